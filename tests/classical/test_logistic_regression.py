"""LogisticRegression equals scikit-learn's on breast_cancer; bad input fails clearly."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml2llm.classical.logistic_regression import (
    LogisticRegression,
    binary_cross_entropy,
    logistic_gradient,
    newton_step,
    sigmoid,
)
from tests.sklearn_api import assert_passes_check_estimator


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _sk(X, y, **kw):
    return SkLogisticRegression(tol=1e-12, max_iter=10_000, **kw).fit(X, y)


@pytest.mark.parametrize("C", [0.05, 1.0, 20.0])
def test_newton_equals_sklearn_on_breast_cancer(cancer, C):
    X, y = cancer
    ours, sk = LogisticRegression(C=C, solver="newton", tol=1e-10).fit(X, y), _sk(X, y, C=C)
    # Same strictly convex objective, both solved to tight tolerance: coefficients agree to
    # ~1e-6 (measured ≤ 4e-6 for C=20, where lbfgs's own tol limits sklearn's accuracy).
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-4 * max(1.0, np.abs(sk.coef_).max()))
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=1e-4)
    # Probabilities: measured max difference ≈ 5e-7; 1e-5 leaves room for BLAS differences.
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))
    assert ours.n_iter_ <= 20  # Newton converges quadratically: 9 steps measured for C=1


def test_gd_matches_sklearn_accuracy_within_one_point(cancer):
    X, y = cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GD stops at max_iter on this ill-conditioned set
        gd = LogisticRegression(C=1.0, solver="gd", max_iter=3000).fit(X, y)
    sk = _sk(X, y, C=1.0)
    # The bar: accuracy within 1 point. Measured: identical (0.9877 both).
    assert abs(gd.score(X, y) - sk.score(X, y)) <= 0.01
    # GD is first order and the problem has κ ≈ 1e4, so probabilities are only close:
    # measured max difference 0.003 after 3000 epochs; 0.02 bounds it.
    assert np.abs(gd.predict_proba(X) - sk.predict_proba(X)).max() < 0.02
    # The objective decreases monotonically at the 'auto' step 1/L.
    assert np.all(np.diff(gd.loss_history_) <= 1e-12)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 0.5}, {1: 2.0}])
def test_class_weight_equals_sklearn(cancer, class_weight):
    X, y = cancer
    ours = LogisticRegression(C=0.5, class_weight=class_weight, tol=1e-10).fit(X, y)
    sk = _sk(X, y, C=0.5, class_weight=class_weight)
    # measured ≤ 4e-6 for the coefficients; same tolerance reasoning as above
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-5)


def test_sample_weight_equals_sklearn_and_repetition(cancer):
    X, y = cancer
    sw = np.random.default_rng(0).integers(1, 4, size=len(y)).astype(float)
    ours = LogisticRegression(C=0.3, tol=1e-10).fit(X, y, sample_weight=sw)
    sk = SkLogisticRegression(C=0.3, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-4)
    # integer weights == repeating rows
    rep = LogisticRegression(C=0.3, tol=1e-10).fit(
        np.repeat(X, sw.astype(int), 0), np.repeat(y, sw.astype(int))
    )
    np.testing.assert_allclose(ours.coef_, rep.coef_, atol=1e-6)


def test_string_labels_and_classes(cancer):
    X, y = cancer
    labels = np.array(["malignant", "benign"])[y]
    m = LogisticRegression().fit(X, labels)
    assert m.classes_.tolist() == ["benign", "malignant"]
    proba = m.predict_proba(X)
    assert proba.shape == (len(y), 2) and np.allclose(proba.sum(1), 1)
    # column 1 is classes_[1] and predict agrees with decision_function's sign
    assert np.all((m.decision_function(X) > 0) == (m.predict(X) == "malignant"))
    np.testing.assert_allclose(np.exp(m.predict_log_proba(X)), proba, atol=1e-12)


def test_pipeline_and_grid_search(cancer):
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    grid = GridSearchCV(pipe, {"logisticregression__C": [0.01, 1.0]}, cv=3).fit(X, y)
    assert grid.best_params_["logisticregression__C"] == 1.0
    assert grid.best_score_ > 0.95  # sklearn's own LogisticRegression: 0.974 on this split


def test_stable_functions_do_not_overflow():
    z = np.array([-1000.0, 0.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning would fail the test
        np.testing.assert_allclose(sigmoid(z), [0.0, 0.5, 1.0])
        # confidently wrong predictions cost |z|, not inf
        assert binary_cross_entropy(np.array([1.0, 0.0]), np.array([-1000.0, 1000.0])) == 1000.0


def test_gradient_matches_finite_differences_and_newton_solves_small_problem():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30).astype(float)
    w, b, alpha, h = rng.normal(size=3), 0.2, 0.1, 1e-6

    def J(w_, b_):
        return binary_cross_entropy(y, X @ w_ + b_) + 0.5 * alpha * w_ @ w_

    gw, gb = logistic_gradient(X, y, w, b, alpha)
    num = [(J(w + h * e, b) - J(w - h * e, b)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(gw, num, rtol=1e-6, atol=1e-8)  # O(h²) error ≈ 1e-12
    np.testing.assert_allclose(gb, (J(w, b + h) - J(w, b - h)) / (2 * h), atol=1e-8)
    for _ in range(8):
        w, b = newton_step(X, y, w, b, alpha)
    assert np.abs(np.r_[logistic_gradient(X, y, w, b, alpha)]).max() < 1e-12


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"C": 0}, "C must be a positive number"),
        ({"C": -1.0}, "C must be a positive number"),
        ({"solver": "lbfgs"}, "solver must be 'gd' or 'newton'"),
        ({"solver": "gd", "learning_rate": 0.0}, "learning_rate must be a positive number"),
        ({"solver": "gd", "learning_rate": -0.1}, "learning_rate must be a positive number"),
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"class_weight": "auto"}, "class_weight must be None, 'balanced' or a dict"),
    ],
)
def test_bad_parameters_raise_clear_errors(kwargs, match):
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match=match):
        LogisticRegression(**kwargs).fit(X, y)


def test_bad_data_raises_clear_errors():
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="exactly 2 classes"):
        LogisticRegression().fit(X, np.zeros(4))
    with pytest.raises(ValueError, match="exactly 2 classes"):
        LogisticRegression().fit(X, np.array([0, 1, 2, 2]))
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(np.array([[0.0], [np.nan], [2.0], [3.0]]), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LogisticRegression().fit(X, y[:3])
    with pytest.raises(ValueError, match="Unknown label type"):
        LogisticRegression().fit(X, np.array([0.1, 0.2, 0.3, 0.4]))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        LogisticRegression().fit(X, y, sample_weight=np.array([1.0, -1.0, 1.0, 1.0]))
    m = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict(np.ones((2, 3)))


def test_gd_divergence_is_reported():
    X, y = load_breast_cancer(return_X_y=True)  # unscaled: feature values up to ~4000
    with pytest.raises(ValueError, match="diverged|learning_rate"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LogisticRegression(solver="gd", learning_rate=1e6, max_iter=50).fit(X, y)


@pytest.mark.parametrize("solver", ["gd"])  # the default (newton): test_estimator_checks.py
def test_passes_sklearn_check_estimator(solver):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on sklearn's tiny random datasets
        assert_passes_check_estimator(LogisticRegression(solver=solver))
