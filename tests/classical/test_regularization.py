"""Ridge, Lasso, ElasticNet and lasso_path equal scikit-learn's on the diabetes dataset."""

import warnings

import numpy as np
import pytest
from sklearn import linear_model as sklm
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from threadpoolctl import threadpool_limits

from ml2llm.classical.regularization import (
    ElasticNet,
    Lasso,
    Ridge,
    _enet_cd,
    coordinate_descent_epoch,
    lasso_path,
    polynomial_features,
    ridge_closed_form,
    soft_threshold,
)
from tests.sklearn_api import assert_passes_check_estimator


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def _rel(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(b).max(), 1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.01, 1.0, 100.0])
def test_ridge_closed_form_equals_sklearn(diabetes, alpha):
    X, y = diabetes
    ours, sk = Ridge(alpha=alpha).fit(X, y), sklm.Ridge(alpha=alpha).fit(X, y)
    # Both solve the same linear system directly: only round-off differs (measured 3e-15).
    assert _rel(ours.coef_, sk.coef_) < 1e-9
    assert abs(ours.intercept_ - sk.intercept_) < 1e-8
    np.testing.assert_allclose(ours.predict(X), sk.predict(X), rtol=1e-10)


@pytest.mark.parametrize("alpha", [0.01, 1.0])
def test_ridge_gd_equals_closed_form(diabetes, alpha):
    X, y = diabetes
    gd = Ridge(alpha=alpha, solver="gd", max_iter=50_000, tol=1e-12).fit(X, y)
    sk = sklm.Ridge(alpha=alpha).fit(X, y)
    # GD runs to a gradient of 1e-12·|y|max; measured coefficient error ≤ 8e-7 relative
    assert _rel(gd.coef_, sk.coef_) < 1e-5
    assert np.all(np.diff(gd.loss_history_) <= 1e-9)  # 1/L steps never increase the loss


@pytest.mark.parametrize("alpha", [0.01, 0.1, 1.0])
def test_lasso_equals_sklearn(diabetes, alpha):
    X, y = diabetes
    ours = Lasso(alpha=alpha).fit(X, y)  # default tol=1e-4, like sklearn's default
    exact = sklm.Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y)
    # Our CD ends with a certified solve on the support, so at the default tol it is already
    # at the exact optimum: measured <= 4e-10 from sklearn run to tol=1e-14 (coefficients up
    # to ~750). sklearn's own default-tol fit is 3.3 away at alpha=0.01, so compare to the
    # tight one with 1e-6 relative.
    np.testing.assert_allclose(ours.coef_, exact.coef_, atol=1e-6 * np.abs(exact.coef_).max())
    assert np.array_equal(ours.coef_ == 0, exact.coef_ == 0)  # identical sparsity pattern
    assert abs(ours.intercept_ - exact.intercept_) < 1e-6
    # and the duality gap certifies the tolerance, as in sklearn
    assert ours.dual_gap_ <= 1e-4 * np.sum((y - y.mean()) ** 2)


def test_lasso_without_refinement_is_sklearn_step_for_step(diabetes):
    # Plain cyclic CD (no support solve) is scikit-learn's algorithm: same sweeps, same result.
    X, y = diabetes
    Xc, yc = X - X.mean(0), y - y.mean()
    w, n_iter, gap, _ = _enet_cd(Xc, yc, 0.01, 1.0, 1000, 1e-4, refine=False)
    sk = sklm.Lasso(alpha=0.01).fit(X, y)
    assert n_iter == sk.n_iter_  # 231 sweeps on both sides
    np.testing.assert_allclose(w, sk.coef_, atol=1e-6)  # measured 2e-10


@pytest.mark.parametrize("alpha,l1_ratio", [(0.001, 0.5), (0.01, 0.9), (0.1, 0.2), (0.05, 0.05)])
def test_elastic_net_equals_sklearn(diabetes, alpha, l1_ratio):
    X, y = diabetes
    sk = sklm.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=1_000_000).fit(X, y)
    ours = ElasticNet(alpha=alpha, l1_ratio=l1_ratio).fit(X, y)
    # ours at the default tol vs sklearn run to tol=1e-12: measured <= 7e-10 absolute on
    # coefficients up to ~450; allow 1e-6 relative.
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-6 * np.abs(sk.coef_).max())


def test_lasso_path_equals_sklearn(diabetes):
    X, y = diabetes
    Xc, yc = X - X.mean(0), y - y.mean()
    alphas, coefs = lasso_path(Xc, yc, n_alphas=40, tol=1e-10)
    sk_alphas, sk_coefs, _ = sklm.lasso_path(Xc, yc, alphas=alphas, tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(alphas, sk_alphas)
    # both run to tight duality gaps: measured 4e-8 on coefficients up to ~800
    np.testing.assert_allclose(coefs, sk_coefs, atol=1e-5)
    assert np.all(coefs[:, 0] == 0)  # alpha_max = max|X^T y|/n zeroes every coefficient
    assert np.count_nonzero(coefs[:, -1]) == X.shape[1]


def test_functions_match_definitions(diabetes):
    X, y = diabetes
    x = X[:, 2]
    sk_poly = PolynomialFeatures(degree=5, include_bias=False).fit_transform(x[:, None])
    np.testing.assert_allclose(polynomial_features(x, 5), sk_poly, rtol=1e-12)
    w, b = ridge_closed_form(X, y, 0.5)
    sk = sklm.Ridge(alpha=0.5).fit(X, y)
    assert _rel(w, sk.coef_) < 1e-9 and abs(b - sk.intercept_) < 1e-8
    np.testing.assert_array_equal(
        soft_threshold(np.array([-2.0, -0.5, 0.5, 2.0]), 1.0), [-1, 0, 0, 1]
    )
    # repeated sweeps converge to sklearn's Lasso without intercept on centred data
    Xc, yc = X - X.mean(0), y - y.mean()
    w = np.zeros(X.shape[1])
    for _ in range(300):
        w = coordinate_descent_epoch(Xc, yc, w, 0.1)
    sk = sklm.Lasso(alpha=0.1, fit_intercept=False, tol=1e-10, max_iter=10_000).fit(Xc, yc)
    np.testing.assert_allclose(w, sk.coef_, atol=1e-3)  # 300 sweeps: measured ~1e-6


def test_pipeline_and_grid_search(diabetes):
    X, y = diabetes
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), Lasso()), {"lasso__alpha": [0.1, 1.0, 10.0]}, cv=3
    ).fit(X, y)
    sk_lasso = sklm.Lasso(tol=1e-12, max_iter=100_000)
    sk = GridSearchCV(
        make_pipeline(StandardScaler(), sk_lasso), {"lasso__alpha": [0.1, 1.0, 10.0]}, cv=3
    ).fit(X, y)
    assert grid.best_params_ == sk.best_params_
    assert abs(grid.best_score_ - sk.best_score_) < 1e-6  # same models, same folds


@pytest.mark.parametrize(
    "est,match",
    [
        (Ridge(alpha=-1.0), "alpha must be a non-negative number"),
        (Ridge(solver="svd"), "solver must be 'closed_form' or 'gd'"),
        (Ridge(solver="gd", learning_rate=0.0), "learning_rate must be a positive number"),
        (Lasso(alpha=-0.1), "alpha must be a non-negative number"),
        (Lasso(max_iter=0), "max_iter must be a positive integer"),
        (ElasticNet(l1_ratio=1.5), r"l1_ratio must be a number in \[0, 1\]"),
        (ElasticNet(tol=-1.0), "tol must be a non-negative number"),
    ],
)
def test_bad_parameters(est, match):
    X, y = np.arange(8.0).reshape(4, 2), np.arange(4.0)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


def test_bad_data():
    X, y = np.arange(8.0).reshape(4, 2), np.arange(4.0)
    with pytest.raises(ValueError, match="NaN"):
        Lasso().fit(np.where(X == 3, np.nan, X), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Ridge().fit(X, y[:3])
    with pytest.raises(ValueError, match="features"):
        Ridge().fit(X, y).predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="X must be 2-D"):
        lasso_path(np.arange(4.0), y)


@pytest.mark.parametrize(
    "est",
    [Ridge(solver="gd")],  # the defaults: test_estimator_checks.py
    ids=["ridge-gd"],
)
def test_passes_sklearn_check_estimator(est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_passes_check_estimator(est)
