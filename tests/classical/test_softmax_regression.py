"""SoftmaxRegression equals scikit-learn's multinomial LogisticRegression on digits."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ml2llm.classical.softmax_regression import (
    SoftmaxRegression,
    cross_entropy,
    log_softmax,
    one_hot,
    softmax,
    softmax_gradient,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # tiny matrices: BLAS threads only fight each other on a shared 2-core machine
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_lbfgs_equals_sklearn_multinomial_on_digits(digits, C):
    X, y = digits
    ours = SoftmaxRegression(C=C, solver="lbfgs", tol=1e-8).fit(X, y)
    sk = SkLogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    assert ours.coef_.shape == sk.coef_.shape == (10, 64)
    # Same strictly convex objective (on W; intercepts centred, as sklearn's sum to 0).
    # Measured: coef ≤ 7e-6, intercept ≤ 4e-5, probabilities ≤ 2e-6 (C=1); lbfgs stops on
    # a gradient tolerance, so allow 10× that.
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=5e-4)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=2e-5)
    assert (ours.predict(X) == sk.predict(X)).mean() == 1.0
    assert abs(ours.intercept_.sum()) < 1e-10


def test_gd_reaches_sklearn_accuracy_within_one_point(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gd = SoftmaxRegression(C=0.1, solver="gd", max_iter=1000).fit(X, y)
    sk = SkLogisticRegression(C=0.1, tol=1e-10, max_iter=10_000).fit(X, y)
    # measured: identical accuracy 0.9883; probabilities within 0.03 after 1000 epochs
    assert abs(gd.score(X, y) - sk.score(X, y)) <= 0.01
    assert np.abs(gd.predict_proba(X) - sk.predict_proba(X)).max() < 0.1
    assert np.all(np.diff(gd.loss_history_) <= 1e-12)  # 1/L step: monotone decrease


def test_binary_and_string_labels_iris():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    m = SoftmaxRegression(C=1.0).fit(X, names)
    sk = SkLogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X, names)
    assert m.classes_.tolist() == sk.classes_.tolist()
    np.testing.assert_allclose(m.predict_proba(X), sk.predict_proba(X), atol=1e-4)
    np.testing.assert_allclose(np.exp(m.predict_log_proba(X)), m.predict_proba(X), atol=1e-12)


def test_pipeline_and_grid_search():
    X, y = load_digits(return_X_y=True)
    X, y = X[:600], y[:600]
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), SoftmaxRegression(max_iter=200)),
        {"softmaxregression__C": [1e-4, 0.1]},
        cv=3,
    ).fit(X, y)
    assert grid.best_params_["softmaxregression__C"] == 0.1  # 1e-4 underfits badly
    # sklearn's LogisticRegression(C=0.1) scores 0.8617 in the same 3-fold CV (measured)
    assert abs(grid.best_score_ - 0.8617) < 0.01


def test_functions_are_stable_and_gradient_is_right():
    Z = np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4 + 1, -1e4 + 2]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = softmax(Z)
        L = log_softmax(Z)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert np.isfinite(L).all() and L[0, 2] == -2000.0
    np.testing.assert_allclose(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 3)), rng.integers(0, 4, 12)
    Y, W, b, a, h = one_hot(y, 4), rng.normal(size=(3, 4)), rng.normal(size=4), 0.2, 1e-6

    def J(W_, b_):
        return cross_entropy(Y, X @ W_ + b_) + 0.5 * a * np.sum(W_ * W_)

    gW, gb = softmax_gradient(X, Y, W, b, a)
    E = np.eye(12).reshape(12, 3, 4)
    num = np.array([(J(W + h * e, b) - J(W - h * e, b)) / (2 * h) for e in E]).reshape(3, 4)
    np.testing.assert_allclose(gW, num, atol=1e-8)  # centred differences: error ~1e-10
    numb = [(J(W, b + h * e) - J(W, b - h * e)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(gb, numb, atol=1e-8)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"C": 0.0}, "C must be a positive number"),
        ({"solver": "newton"}, "solver must be 'gd' or 'lbfgs'"),
        ({"solver": "gd", "learning_rate": 0}, "learning_rate must be a positive number"),
        ({"max_iter": -3}, "max_iter must be a positive integer"),
        ({"tol": -1.0}, "tol must be a non-negative number"),
    ],
)
def test_bad_parameters(kwargs, match):
    X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0, 1, 2])
    with pytest.raises(ValueError, match=match):
        SoftmaxRegression(**kwargs).fit(X, y)


def test_bad_data():
    X = np.array([[0.0], [1.0], [2.0]])
    with pytest.raises(ValueError, match="at least 2 classes"):
        SoftmaxRegression().fit(X, np.array([1, 1, 1]))
    with pytest.raises(ValueError, match="NaN"):
        SoftmaxRegression().fit(np.array([[0.0], [np.nan], [1.0]]), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SoftmaxRegression().fit(X, np.array([0, 1]))
    with pytest.raises(ValueError, match="sample_weight"):
        SoftmaxRegression().fit(X, np.array([0, 1, 2]), sample_weight=np.array([1.0, -1.0, 1.0]))
