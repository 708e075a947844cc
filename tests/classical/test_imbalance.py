"""Imbalance tools equal their reference implementations on real and random data.

- resampling and SMOTE: identical arrays to imbalanced-learn for the same random_state
  (skipped when imbalanced-learn is not installed; SMOTE's documented properties are tested
  without it);
- class weights: equal to sklearn.utils.class_weight.compute_class_weight (exact formula);
- weighted logistic regression (Project 02's estimator): same coefficients as scikit-learn's
  LogisticRegression(class_weight="balanced") on an imbalanced breast-cancer subset, to 1e-4
  relative (scikit-learn's lbfgs stops at tol 1e-4 on the gradient; Newton converges further);
- thresholds: brute force over every distinct score with sklearn.metrics.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import fbeta_score, recall_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from ml2llm.classical import imbalance as im

SETTINGS = settings(max_examples=50, deadline=None)


def _imbalanced(seed, n=200, p=(0.75, 0.17, 0.08), d=3):
    rng = np.random.default_rng(seed)
    y = rng.choice(len(p), size=n, p=p)
    y[: len(p)] = np.arange(len(p))
    y[len(p) : 2 * len(p) + 5] = np.arange(len(p) + 5) % len(p)  # >= 3 members per class
    return rng.normal(size=(n, d)) + y[:, None], y


@pytest.fixture(scope="module")
def cancer_imbalanced():
    X, y = load_breast_cancer(return_X_y=True)
    y = 1 - y  # malignant = 1
    rng = np.random.default_rng(0)
    keep = np.r_[np.flatnonzero(y == 0), rng.choice(np.flatnonzero(y == 1), 20, replace=False)]
    return StandardScaler().fit_transform(X[keep]), y[keep]  # 357 benign, 20 malignant (5 %)


@SETTINGS
@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 3))
def test_resamplers_equal_imbalanced_learn(data_seed, rs, k):
    imblearn = pytest.importorskip("imblearn")
    X, y = _imbalanced(data_seed)
    pairs = [
        (
            im.random_oversample(X, y, rs),
            imblearn.over_sampling.RandomOverSampler(random_state=rs).fit_resample(X, y),
        ),
        (
            im.random_undersample(X, y, rs),
            imblearn.under_sampling.RandomUnderSampler(random_state=rs).fit_resample(X, y),
        ),
        (
            im.smote(X, y, k, rs),
            imblearn.over_sampling.SMOTE(k_neighbors=k, random_state=rs).fit_resample(X, y),
        ),
    ]
    for (Xa, ya), (Xb, yb) in pairs:
        np.testing.assert_array_equal(ya, yb)
        np.testing.assert_allclose(Xa, Xb, rtol=1e-12, atol=1e-12)


def test_smote_equals_imbalanced_learn_on_real_data(cancer_imbalanced):
    imblearn = pytest.importorskip("imblearn")
    X, y = cancer_imbalanced
    Xa, ya = im.smote(X, y, k_neighbors=5, random_state=42)
    Xb, yb = imblearn.over_sampling.SMOTE(random_state=42).fit_resample(X, y)
    np.testing.assert_array_equal(ya, yb)
    np.testing.assert_allclose(Xa, Xb, rtol=1e-12, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 4))
def test_smote_documented_properties(seed, k):
    X, y = _imbalanced(seed, p=(0.85, 0.15), d=4)
    Xr, yr = im.smote(X, y, k_neighbors=k, random_state=seed)
    counts = np.bincount(yr)
    assert counts[0] == counts[1] == np.bincount(y).max()  # balanced
    np.testing.assert_array_equal(Xr[: len(X)], X)  # originals kept, first
    X_min = X[y == 1]
    nn = im.smote_neighbors(X_min, k)
    new = Xr[len(X) :]
    # every synthetic point lies on a segment between a minority point and one of its k
    # nearest minority neighbours: solve for the gap and check it is in [0, 1]
    for point in new:
        found = False
        for i in range(len(X_min)):
            for j in nn[i]:
                d = X_min[j] - X_min[i]
                t = float(d @ (point - X_min[i]) / (d @ d))
                if -1e-12 <= t <= 1 + 1e-12 and np.allclose(X_min[i] + t * d, point, atol=1e-9):
                    found = True
                    break
            if found:
                break
        assert found
    # the neighbours are the k nearest, self excluded (brute force)
    D = np.linalg.norm(X_min[:, None] - X_min[None], axis=2)
    np.fill_diagonal(D, np.inf)
    np.testing.assert_allclose(np.take_along_axis(D, nn, 1), np.sort(D, axis=1)[:, :k])


def test_balanced_class_weights_equal_sklearn():
    y = np.array([0] * 90 + [1] * 7 + [2] * 3)
    ours = im.balanced_class_weights(y)
    ref = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=y)
    np.testing.assert_allclose([ours[c] for c in (0, 1, 2)], ref, rtol=1e-15)


def test_weighted_logistic_regression_equals_sklearn(cancer_imbalanced):
    from ml2llm.classical.logistic_regression import LogisticRegression

    X, y = cancer_imbalanced
    for cw in ["balanced", {0: 1.0, 1: 10.0}]:
        ours = LogisticRegression(C=0.1, class_weight=cw, solver="newton").fit(X, y)
        ref = SkLogisticRegression(C=0.1, class_weight=cw, tol=1e-10, max_iter=5000).fit(X, y)
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-4, atol=1e-6)
    plain = LogisticRegression(C=0.1).fit(X, y)
    weighted = LogisticRegression(C=0.1, class_weight="balanced").fit(X, y)
    recall_plain = recall_score(y, plain.predict(X))
    recall_weighted = recall_score(y, weighted.predict(X))
    assert recall_weighted > recall_plain  # the point of class weights


def _fbeta_recall_at(y, s, c, beta):
    pred = s >= c
    tp, fp, fn = np.sum(pred & (y == 1)), np.sum(pred & (y == 0)), np.sum(~pred & (y == 1))
    b2 = beta**2
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp), tp / (tp + fn)


@SETTINGS
@given(st.integers(0, 10**6), st.sampled_from([0.5, 1.0, 2.0]))
def test_best_threshold_equals_brute_force(seed, beta):
    rng = np.random.default_rng(seed)
    y = (rng.random(60) < 0.2).astype(int)
    y[:2] = [0, 1]
    s = np.round(rng.random(60) + 0.5 * y, 2)
    t, f = im.best_threshold(y, s, beta=beta)
    candidates = np.unique(s)[::-1]  # highest first: ties go to the higher threshold
    fs, recalls = np.array([_fbeta_recall_at(y, s, c, beta) for c in candidates]).T
    i = int(np.argmax(fs))
    assert t == candidates[i]
    assert f == pytest.approx(fs[i], rel=1e-12)
    target = rng.uniform(0.2, 1.0)
    tr = im.threshold_for_recall(y, s, target)
    assert _fbeta_recall_at(y, s, tr, beta)[1] >= target
    assert np.all(recalls[candidates > tr] < target)


def test_fbeta_brute_force_agrees_with_sklearn():
    rng = np.random.default_rng(1)
    y, s = (rng.random(50) < 0.3).astype(int), rng.random(50)
    for c in [0.2, 0.5, 0.8]:
        f, r = _fbeta_recall_at(y, s, c, 2.0)
        assert f == pytest.approx(fbeta_score(y, (s >= c).astype(int), beta=2.0), rel=1e-12)
        assert r == pytest.approx(recall_score(y, (s >= c).astype(int)), rel=1e-12)


def test_prior_shift_correction_recovers_true_rate():
    # a perfectly calibrated model at a 50 % training rate, moved to a 5 % world
    p = np.array([0.5, 0.9, 0.1])
    q = im.correct_prior_shift(p, train_prior=0.5, true_prior=0.05)
    np.testing.assert_allclose(q[0], 0.05, rtol=1e-12)  # 1:1 odds become 1:19
    np.testing.assert_allclose(q[1], 9 / (9 + 19), rtol=1e-12)  # 9:1 odds become 9:19


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: im.smote(np.zeros((5, 2)), [0, 0, 0, 1, 1], k_neighbors=2), "k \\+ 1"),
        (lambda: im.random_oversample(np.zeros((4, 2)), [0, 1, 1]), "one label per row"),
        (lambda: im.random_undersample(np.zeros((3, 2)), [1, 1, 1]), "two classes"),
        (lambda: im.correct_prior_shift([0.2, 1.3], 0.5, 0.1), r"\[0, 1\]"),
        (lambda: im.threshold_for_recall([0, 1], [0.2, 0.4], 1.5), "min_recall"),
        (lambda: im.best_threshold([0, 1, 1], [0.2, 0.4]), "same length"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
