"""Project 01's estimators against scikit-learn on real data (diabetes, California-free)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, SGDRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml2llm.classical.linear_regression import (
    DivergenceWarning,
    LinearRegressionGD,
    LinearRegressionNormalEq,
    max_stable_learning_rate,
)
from tests.sklearn_api import assert_passes_check_estimator

X_RAW, Y = load_diabetes(return_X_y=True)
XS = StandardScaler().fit_transform(X_RAW)


@pytest.mark.parametrize("method", ["lstsq", "normal"])
def test_normal_equation_equals_sklearn_on_diabetes(method):
    sk = LinearRegression().fit(X_RAW, Y)
    ours = LinearRegressionNormalEq(method=method).fit(X_RAW, Y)
    # Both are exact least squares; diabetes' X̃ᵀX̃ has condition number ~1e3 after the
    # intercept column, so double precision leaves ~1e-12 relative error: 1e-8 is generous.
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-8)
    assert ours.intercept_ == pytest.approx(sk.intercept_, rel=1e-10)
    assert ours.score(X_RAW, Y) == pytest.approx(sk.score(X_RAW, Y), abs=1e-12)


def test_no_intercept_equals_sklearn():
    sk = LinearRegression(fit_intercept=False).fit(XS, Y)
    ours = LinearRegressionNormalEq(fit_intercept=False).fit(XS, Y)
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-8)
    assert ours.intercept_ == 0.0


def test_gradient_descent_reaches_the_least_squares_optimum():
    sk = LinearRegression().fit(XS, Y)
    gd = LinearRegressionGD(
        learning_rate=0.9 * max_stable_learning_rate(XS), n_iter=50_000, tol=1e-13
    )
    gd.fit(XS, Y)
    # GD converges linearly at rate ~(1 - 1/κ) with κ ≈ 400 here (s1/s2 are collinear), so
    # predictions converge long before the collinear coefficients: compare R² and predictions.
    assert gd.score(XS, Y) == pytest.approx(sk.score(XS, Y), abs=1e-6)
    np.testing.assert_allclose(gd.predict(XS), sk.predict(XS), atol=0.05)
    assert not gd.diverged_ and gd.n_iter_ < 50_000
    assert np.all(np.diff(gd.loss_history_) <= 1e-9), (
        "full-batch GD below η_max never increases the loss"
    )


def test_minibatch_sgd_is_close_to_sklearn_sgd():
    ours = LinearRegressionGD(learning_rate=0.01, n_iter=200, batch_size=16, random_state=0).fit(
        XS, Y
    )
    sk = SGDRegressor(max_iter=1000, tol=1e-6, random_state=0).fit(XS, Y)
    exact = LinearRegression().fit(XS, Y).score(XS, Y)
    # both are noisy iterative solvers: within 0.01 R² of the exact solution
    assert ours.score(XS, Y) == pytest.approx(exact, abs=0.01)
    assert sk.score(XS, Y) == pytest.approx(exact, abs=0.01)


def test_same_seed_same_fit():
    a = LinearRegressionGD(learning_rate=0.01, n_iter=20, batch_size=8, random_state=3).fit(XS, Y)
    b = LinearRegressionGD(learning_rate=0.01, n_iter=20, batch_size=8, random_state=3).fit(XS, Y)
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_max_stable_learning_rate_is_the_divergence_threshold():
    limit = max_stable_learning_rate(XS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        below = LinearRegressionGD(learning_rate=0.98 * limit, n_iter=3000, tol=None).fit(XS, Y)
    assert not below.diverged_
    with pytest.warns(DivergenceWarning, match="stable limit"):
        above = LinearRegressionGD(learning_rate=1.05 * limit, n_iter=3000, tol=None).fit(XS, Y)
    assert above.diverged_ and above.n_iter_ < 3000


def test_works_in_pipeline_and_grid_search():
    pipe = make_pipeline(StandardScaler(), LinearRegressionGD(n_iter=500))
    grid = GridSearchCV(pipe, {"linearregressiongd__learning_rate": [0.01, 0.1]}, cv=3).fit(
        X_RAW, Y
    )
    assert grid.best_params_["linearregressiongd__learning_rate"] == 0.1
    assert grid.best_score_ > 0.4


@pytest.mark.parametrize(
    "params,match",
    [
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": -1}, "learning_rate"),
        ({"n_iter": 0}, "n_iter"),
        ({"batch_size": 0}, "batch_size"),
        ({"tol": -1}, "tol"),
    ],
)
def test_bad_hyperparameters(params, match):
    with pytest.raises(ValueError, match=match):
        LinearRegressionGD(**params).fit(XS, Y)


def test_bad_data():
    X = XS.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LinearRegressionGD().fit(X, Y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LinearRegressionNormalEq().fit(XS, Y[:-1])
    with pytest.raises(ValueError, match="method"):
        LinearRegressionNormalEq(method="qr").fit(XS, Y)
    fitted = LinearRegressionNormalEq().fit(XS, Y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(XS[:, :3])


def test_singular_design_normal_method_errors_lstsq_works():
    X = np.column_stack([XS[:, 0], 2 * XS[:, 0]])
    with pytest.raises(ValueError, match="singular"):
        LinearRegressionNormalEq(method="normal").fit(X, Y)
    m = LinearRegressionNormalEq().fit(X, Y)
    assert m.rank_ == 2  # intercept + one independent column
    sk = LinearRegression().fit(X, Y)
    np.testing.assert_allclose(m.predict(X), sk.predict(X), atol=1e-8)


@pytest.mark.slow
def test_sklearn_estimator_checks():
    # the defaults are in test_estimator_checks.py; this is a converging configuration
    assert_passes_check_estimator(LinearRegressionGD(learning_rate=0.05, n_iter=2000))
