"""Project 09 SVMs against scikit-learn's SVC and LinearSVC on real data.

The issue's bar: accuracy within 1 point, close support-vector counts, decision-function
correlation >= 0.99. SMO with libsvm's working-set rule and stopping tolerance reaches the
same optimum as libsvm, so we assert much tighter where the numbers allow it.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import polynomial_kernel as sk_poly
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from ml2llm.classical import svm


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xte), ytr, yte


@pytest.mark.parametrize(
    "params",
    [
        {"kernel": "linear", "C": 1.0},
        {"kernel": "rbf", "C": 1.0},
        {"kernel": "rbf", "C": 10.0, "gamma": 0.05},
        {"kernel": "poly", "degree": 3, "C": 1.0, "coef0": 1.0},
    ],
    ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()),
)
def test_kernel_svm_matches_svc_on_breast_cancer(cancer, params):
    Xtr, Xte, ytr, yte = cancer
    ours, theirs = svm.KernelSVM(**params).fit(Xtr, ytr), SVC(**params).fit(Xtr, ytr)
    # accuracy within 1 point (the bar); measured: identical
    assert abs(ours.score(Xte, yte) - theirs.score(Xte, yte)) <= 0.01
    # support vectors: measured identical sets; allow 3 % for SVs sitting on the bound
    assert abs(len(ours.support_) - len(theirs.support_)) <= max(2, 0.03 * len(theirs.support_))
    r = np.corrcoef(ours.decision_function(Xte), theirs.decision_function(Xte))[0, 1]
    assert r >= 0.999  # issue asks 0.99; measured 1 - 1e-6 (both stop at KKT gap 1e-3)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=0.02)


def test_kernel_svm_dual_solution_is_feasible_and_matches_libsvm(cancer):
    Xtr, _, ytr, _ = cancer
    ours, theirs = (
        svm.KernelSVM(kernel="rbf", C=2.0).fit(Xtr, ytr),
        SVC(kernel="rbf", C=2.0).fit(Xtr, ytr),
    )
    alpha_y = ours.dual_coef_[0]
    assert np.all(np.abs(alpha_y) <= 2.0 + 1e-12)  # box 0 <= alpha <= C
    assert abs(alpha_y.sum()) < 1e-9  # sum_i alpha_i y_i = 0
    assert set(ours.support_) == set(theirs.support_)
    # same sign convention as sklearn (positive = classes_[1]), same multipliers to SMO's tolerance
    order = np.argsort(theirs.support_)
    np.testing.assert_allclose(np.sort(ours.support_), theirs.support_[order])
    np.testing.assert_allclose(
        alpha_y[np.argsort(ours.support_)], theirs.dual_coef_[0][order], atol=0.02
    )


def test_kernel_svm_on_moons_c_and_gamma_sweep():
    X, y = make_moons(300, noise=0.25, random_state=0)
    for C, gamma in [(0.1, 0.5), (1.0, 1.0), (10.0, 5.0)]:
        ours, theirs = svm.KernelSVM(C=C, gamma=gamma).fit(X, y), SVC(C=C, gamma=gamma).fit(X, y)
        assert abs(ours.score(X, y) - theirs.score(X, y)) <= 0.01
        assert abs(len(ours.support_) - len(theirs.support_)) <= 3
        assert np.corrcoef(ours.decision_function(X), theirs.decision_function(X))[0, 1] >= 0.999


def test_multiclass_one_vs_one_matches_svc_on_iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours, theirs = svm.KernelSVM().fit(X, y), SVC().fit(X, y)
    np.testing.assert_array_equal(ours.n_support_, theirs.n_support_)  # measured [8, 22, 21]
    assert np.mean(ours.predict(X) == theirs.predict(X)) >= 0.99
    assert ours.decision_function(X).shape == (150, 3)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X), atol=1e-3)


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_pegasos_matches_linear_svc_hinge(cancer, C):
    Xtr, Xte, ytr, yte = cancer
    ours = svm.LinearSVM(C=C, random_state=0).fit(Xtr, ytr)
    theirs = LinearSVC(C=C, loss="hinge", max_iter=200_000).fit(Xtr, ytr)
    assert abs(ours.score(Xte, yte) - theirs.score(Xte, yte)) <= 0.01
    # stochastic sub-gradients with averaging: measured r = 0.9995 (C=1) and 0.99997 (C=0.1)
    assert np.corrcoef(ours.decision_function(Xte), theirs.decision_function(Xte))[0, 1] >= 0.99


def test_pegasos_reaches_the_primal_optimum(cancer):
    Xtr, _, ytr, _ = cancer
    C = 0.5
    ys = np.where(ytr == 1, 1.0, -1.0)
    ours = svm.LinearSVM(C=C, n_epochs=100, random_state=1).fit(Xtr, ytr)
    # the exact optimum from libsvm's dual with a linear kernel: w = sum alpha_i y_i x_i
    exact = SVC(kernel="linear", C=C, tol=1e-6).fit(Xtr, ytr)
    w_star, b_star = exact.coef_[0], exact.intercept_[0]
    opt = svm.primal_objective(w_star, b_star, Xtr, ys, C)
    # Pegasos regularises the bias too; its objective adds ½b², so compare against that bound
    got = (
        svm.primal_objective(ours.coef_[0], ours.intercept_[0], Xtr, ys, C)
        + 0.5 * ours.intercept_[0] ** 2
    )
    assert opt <= got <= 1.05 * (opt + 0.5 * b_star**2)  # within 5 % of the optimum
    assert ours.objective_history_[-1] <= ours.objective_history_[0]


def test_kernels_equal_sklearn_pairwise():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(7, 4)), rng.normal(size=(5, 4))
    np.testing.assert_allclose(svm.rbf_kernel(A, B, 0.3), sk_rbf(A, B, gamma=0.3), rtol=1e-12)
    np.testing.assert_allclose(
        svm.polynomial_kernel(A, B, 3, 0.5, 1.0), sk_poly(A, B, 3, 0.5, 1.0), rtol=1e-12
    )
    np.testing.assert_allclose(svm.linear_kernel(A, B), A @ B.T)


def test_smo_step_keeps_constraints():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 2))
    y = np.array([1.0, -1.0] * 4)
    K = svm.rbf_kernel(X, X, 1.0)
    alpha = np.zeros(8)
    for _ in range(40):
        E = K @ (alpha * y) - y
        i, j = rng.choice(8, 2, replace=False)
        new = svm.smo_step(alpha, y, K, 0.7, i, j, E)
        assert np.all(new >= -1e-12) and np.all(new <= 0.7 + 1e-12)
        assert abs(new @ y) < 1e-12
        alpha = new


def test_estimators_work_in_pipeline_and_grid_search(cancer):
    Xtr, _, ytr, _ = cancer
    pipe = make_pipeline(StandardScaler(), svm.KernelSVM())
    gs = GridSearchCV(
        pipe, {"kernelsvm__C": [0.3, 3.0], "kernelsvm__gamma": ["scale", 0.01]}, cv=3
    ).fit(Xtr, ytr)
    assert gs.best_score_ > 0.95  # the scaled cancer data is ~97 % separable by an RBF SVM


@pytest.mark.parametrize(
    "est,match",
    [
        (svm.KernelSVM(C=0), "C must be a positive number"),
        (svm.KernelSVM(kernel="sigmoid"), "kernel must be 'linear', 'poly' or 'rbf'"),
        (svm.KernelSVM(gamma="wide"), "gamma must be 'scale', 'auto' or a positive number"),
        (svm.KernelSVM(max_iter=0), "max_iter must be a positive integer"),
        (svm.LinearSVM(C=-1.0), "C must be a positive number"),
        (svm.LinearSVM(batch_size=0), "batch_size must be a positive integer"),
    ],
)
def test_bad_parameters_raise_clear_errors(est, match):
    X, y = make_moons(20, random_state=0)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


def test_single_class_is_rejected():
    with pytest.raises(ValueError, match="at least 2 classes"):
        svm.KernelSVM().fit(np.ones((4, 2)), np.zeros(4))


def test_max_iter_warns():
    X, y = make_moons(100, noise=0.3, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svm.KernelSVM(max_iter=3).fit(X, y)
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
