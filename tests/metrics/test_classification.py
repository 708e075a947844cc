"""Classification metrics equal sklearn.metrics on random inputs (hypothesis) and real data.

Tolerances: counts and ratios of integers are compared with rtol=1e-12 (the only error is
floating-point rounding of one division or one sum); curves are compared elementwise with
the same tolerance because they are built from the same integer counts.
"""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import UndefinedMetricWarning as SkUndefined
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml2llm.metrics import classification as cm

RTOL = 1e-12
SETTINGS = settings(max_examples=50, deadline=None)


@st.composite
def label_pairs(draw, max_classes=4):
    n = draw(st.integers(1, 40))
    k = draw(st.integers(1, max_classes))
    y_true = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    y_pred = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    return y_true, y_pred


@st.composite
def binary_scores(draw, both_classes=True):
    n = draw(st.integers(2, 40))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    if both_classes:
        y[0], y[1] = 0, 1
    # few distinct values, so ties are common
    scores = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))) / 6.0
    return y, scores


def _quiet():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    return ctx


@SETTINGS
@given(label_pairs())
def test_confusion_matrix_and_accuracy_equal_sklearn(pair):
    y_true, y_pred = pair
    np.testing.assert_array_equal(
        cm.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred)
    )
    assert cm.accuracy_score(y_true, y_pred) == pytest.approx(
        skm.accuracy_score(y_true, y_pred), rel=RTOL
    )


@SETTINGS
@given(
    label_pairs(),
    st.sampled_from(["micro", "macro", "weighted", None]),
    st.sampled_from(["warn", 0, 1]),
)
def test_prf_averages_equal_sklearn(pair, average, zero_division):
    y_true, y_pred = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = cm.precision_recall_fscore_support(
            y_true, y_pred, average=average, zero_division=zero_division
        )
        ref = skm.precision_recall_fscore_support(
            y_true, y_pred, average=average, zero_division=zero_division
        )
    for o, r in zip(ours, ref):
        if r is None:
            assert o is None
        else:
            np.testing.assert_allclose(o, r, rtol=RTOL)


@SETTINGS
@given(label_pairs(max_classes=2))
def test_binary_prf_equals_sklearn(pair):
    y_true, y_pred = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ours, ref in [
            (cm.precision_score, skm.precision_score),
            (cm.recall_score, skm.recall_score),
            (cm.f1_score, skm.f1_score),
        ]:
            assert ours(y_true, y_pred) == pytest.approx(ref(y_true, y_pred), rel=RTOL)


@SETTINGS
@given(binary_scores())
def test_roc_curve_and_auc_equal_sklearn_with_ties(data):
    y, s = data
    for drop in (True, False):
        for ours, ref in zip(
            cm.roc_curve(y, s, drop_intermediate=drop), skm.roc_curve(y, s, drop_intermediate=drop)
        ):
            np.testing.assert_allclose(ours, ref, rtol=RTOL)
    expected = skm.roc_auc_score(y, s)
    assert cm.roc_auc_score(y, s) == pytest.approx(expected, rel=RTOL)
    assert cm.roc_auc_rank(y, s) == pytest.approx(expected, rel=1e-10)  # ranks: different sums


@SETTINGS
@given(binary_scores())
def test_pr_curve_and_average_precision_equal_sklearn(data):
    y, s = data
    for ours, ref in zip(cm.precision_recall_curve(y, s), skm.precision_recall_curve(y, s)):
        np.testing.assert_allclose(ours, ref, rtol=RTOL)
    assert cm.average_precision_score(y, s) == pytest.approx(
        skm.average_precision_score(y, s), rel=RTOL
    )


@SETTINGS
@given(binary_scores(), st.integers(2, 4), st.integers(0, 10**6))
def test_log_loss_and_brier_equal_sklearn(data, k, seed):
    y, s = data
    p = np.clip(s, 0, 1)
    assert cm.log_loss(y, p) == pytest.approx(skm.log_loss(y, p), rel=RTOL)
    assert cm.brier_score_loss(y, p) == pytest.approx(skm.brier_score_loss(y, p), rel=RTOL)
    rng = np.random.default_rng(seed)
    yk = rng.integers(0, k, size=len(y))
    yk[:k] = np.arange(k)[: len(yk)]
    if len(np.unique(yk)) < k:
        return
    P = rng.dirichlet(np.ones(k) * 0.5, size=len(yk))
    P[0, :] = np.eye(k)[(yk[0] + 1) % k]  # a confident mistake: clipping matters
    assert cm.log_loss(yk, P) == pytest.approx(skm.log_loss(yk, P), rel=RTOL)
    assert cm.brier_score_loss(yk, P) == pytest.approx(skm.brier_score_loss(yk, P), rel=RTOL)


def test_real_data_breast_cancer_all_metrics():
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(Xtr, ytr)
    proba, pred = model.predict_proba(Xte)[:, 1], model.predict(Xte)
    pairs = [
        (cm.roc_auc_score(yte, proba), skm.roc_auc_score(yte, proba)),
        (cm.average_precision_score(yte, proba), skm.average_precision_score(yte, proba)),
        (cm.log_loss(yte, proba), skm.log_loss(yte, proba)),
        (cm.brier_score_loss(yte, proba), skm.brier_score_loss(yte, proba)),
        (cm.f1_score(yte, pred), skm.f1_score(yte, pred)),
        (cm.f1_score(yte, pred, average="macro"), skm.f1_score(yte, pred, average="macro")),
    ]
    for ours, ref in pairs:
        assert ours == pytest.approx(ref, rel=RTOL)
    assert 0.98 < cm.roc_auc_score(yte, proba) <= 1.0  # a good model on an easy dataset


# ----------------------------------------------------------------- edge cases like sklearn
def test_zero_division_warns_and_returns_documented_value():
    y_true, y_pred = np.array([0, 0, 1]), np.array([0, 0, 0])  # nothing predicted positive
    with pytest.warns(cm.UndefinedMetricWarning):
        assert cm.precision_score(y_true, y_pred) == 0.0
    with pytest.warns(SkUndefined):
        assert skm.precision_score(y_true, y_pred) == 0.0
    assert cm.precision_score(y_true, y_pred, zero_division=1) == 1.0
    assert np.isnan(cm.precision_score(y_true, y_pred, zero_division=np.nan))


def test_single_class_present():
    y = np.zeros(5, dtype=int)
    with pytest.warns(cm.UndefinedMetricWarning):
        assert np.isnan(cm.roc_auc_score(y, np.linspace(0, 1, 5)))
    with pytest.warns(SkUndefined):
        assert np.isnan(skm.roc_auc_score(y, np.linspace(0, 1, 5)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # no positives: recall is 0/0 -> zero_division; sklearn agrees
        assert cm.recall_score(y, y) == skm.recall_score(y, y) == 0.0
        assert cm.f1_score(y, y, zero_division=1) == skm.f1_score(y, y, zero_division=1) == 1.0
    np.testing.assert_array_equal(cm.confusion_matrix(y, y), [[5]])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: cm.confusion_matrix([0, 1, 1], [0, 1]), "same length"),
        (lambda: cm.f1_score([0, 1], [1, 0, 1]), "same length"),
        (lambda: cm.roc_auc_score([0, 1, 1], [0.2, 0.3]), "same length"),
        (lambda: cm.log_loss([0, 1], [0.2, 1.3]), r"\[0, 1\]"),
        (lambda: cm.brier_score_loss([0, 1], [-0.1, 0.5]), r"\[0, 1\]"),
        (lambda: cm.f1_score([0, 1, 2], [0, 1, 2]), "average='binary'"),
        (lambda: cm.f1_score([0, 1], [0, 1], average="mean"), "average must be"),
        (lambda: cm.log_loss([0, 1, 2], [0.2, 0.5, 0.1]), "classes"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
