"""Project 07 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def confusion_matrix(y_true, y_pred, labels):
    k = len(labels)
    idx = {lab: i for i, lab in enumerate(labels)}
    C = np.zeros((k, k), dtype=int)
    np.add.at(C, ([idx[t] for t in y_true], [idx[p] for p in y_pred]), 1)
    return C


def _counts(y_true, y_pred):
    labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    C = confusion_matrix(y_true, y_pred, labels)
    tp = np.diag(C).astype(float)
    return tp, C.sum(axis=0).astype(float), C.sum(axis=1).astype(float)


def _ratio(a, b):
    return np.array([x / y if y else 0.0 for x, y in zip(np.atleast_1d(a), np.atleast_1d(b))])


def precision_recall_f1(y_true, y_pred, average):
    tp, npred, ntrue = _counts(y_true, y_pred)
    if average == "micro":
        tp, npred, ntrue = tp.sum(), npred.sum(), ntrue.sum()
    p, r = _ratio(tp, npred), _ratio(tp, ntrue)
    f = _ratio(2 * np.atleast_1d(tp), np.atleast_1d(npred) + np.atleast_1d(ntrue))
    w = ntrue / ntrue.sum() if average == "weighted" else np.full(len(p), 1 / len(p))
    return float(p @ w), float(r @ w), float(f @ w)


def roc_points(y_true, y_score):
    thresholds = np.unique(y_score)[::-1]
    P, N = y_true.sum(), (1 - y_true).sum()
    tpr = [0.0] + [np.sum((y_score >= t) & (y_true == 1)) / P for t in thresholds]
    fpr = [0.0] + [np.sum((y_score >= t) & (y_true == 0)) / N for t in thresholds]
    return np.array(fpr), np.array(tpr)


def roc_auc(y_true, y_score):
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def average_precision(y_true, y_score):
    total, ap, prev_recall = y_true.sum(), 0.0, 0.0
    for t in np.unique(y_score)[::-1]:
        pred = y_score >= t
        tp = np.sum(pred & (y_true == 1))
        recall = tp / total
        ap += (recall - prev_recall) * tp / pred.sum()
        prev_recall = recall
    return ap


def log_loss(y_true, proba):
    eps = np.finfo(np.float64).eps
    p = np.clip(proba[np.arange(len(y_true)), y_true], eps, 1 - eps)
    return -np.log(p).mean()


REFERENCES = {
    "p07.confusion_matrix": confusion_matrix,
    "p07.precision_recall_f1": precision_recall_f1,
    "p07.roc_points": roc_points,
    "p07.roc_auc": roc_auc,
    "p07.average_precision": average_precision,
    "p07.log_loss": log_loss,
}


# --- typical mistakes ------------------------------------------------------------------
def cm_transposed(y_true, y_pred, labels):
    return confusion_matrix(y_true, y_pred, labels).T


def cm_from_present_labels(y_true, y_pred, labels):
    present = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    return confusion_matrix(y_true, y_pred, present)


def cm_fractions(y_true, y_pred, labels):
    return confusion_matrix(y_true, y_pred, labels) / len(y_true)


def prf_swapped(y_true, y_pred, average):
    swap = {"micro": "macro", "macro": "micro"}
    return precision_recall_f1(y_true, y_pred, swap.get(average, average))


def prf_f_of_means(y_true, y_pred, average):
    p, r, f = precision_recall_f1(y_true, y_pred, average)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def prf_weighted_by_predictions(y_true, y_pred, average):
    if average != "weighted":
        return precision_recall_f1(y_true, y_pred, average)
    tp, npred, ntrue = _counts(y_true, y_pred)
    p, r = _ratio(tp, npred), _ratio(tp, ntrue)
    f = _ratio(2 * tp, npred + ntrue)
    w = npred / npred.sum()
    return float(p @ w), float(r @ w), float(f @ w)


def roc_one_point_per_sample(y_true, y_score):
    y = y_true[np.argsort(-y_score, kind="stable")]
    return np.r_[0, np.cumsum(1 - y)] / (1 - y).sum(), np.r_[0, np.cumsum(y)] / y.sum()


def roc_missing_origin(y_true, y_score):
    fpr, tpr = roc_points(y_true, y_score)
    return fpr[1:], tpr[1:]


def auc_strict(y_true, y_score):
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    return np.mean([p > n for p in pos for n in neg])


def auc_ties_win(y_true, y_score):
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    return np.mean([p >= n for p in pos for n in neg])


def ap_trapezoid(y_true, y_score):
    ts = np.unique(y_score)[::-1]
    prec = [1.0] + [np.sum((y_score >= t) & (y_true == 1)) / np.sum(y_score >= t) for t in ts]
    rec = [0.0] + [np.sum((y_score >= t) & (y_true == 1)) / y_true.sum() for t in ts]
    return np.trapezoid(prec, rec)


def ap_plain_mean(y_true, y_score):
    ts = np.unique(y_score)[::-1]
    return np.mean([np.sum((y_score >= t) & (y_true == 1)) / np.sum(y_score >= t) for t in ts])


def ll_unclipped(y_true, proba):
    with np.errstate(divide="ignore"):
        return -np.log(proba[np.arange(len(y_true)), y_true]).mean()


def ll_summed(y_true, proba):
    eps = np.finfo(np.float64).eps
    return -np.log(np.clip(proba[np.arange(len(y_true)), y_true], eps, 1 - eps)).sum()


MISTAKES = {
    "p07.confusion_matrix": [
        (cm_transposed, "transposed"),
        (cm_from_present_labels, "`labels` argument"),
        (cm_fractions, "counts, not fractions"),
    ],
    "p07.precision_recall_f1": [
        (prf_swapped, "swapped"),
        (prf_f_of_means, "mean of per-class f1"),
        (prf_weighted_by_predictions, "true class counts"),
    ],
    "p07.roc_points": [
        (roc_one_point_per_sample, "distinct score"),
        (roc_missing_origin, "(0, 0)"),
    ],
    "p07.roc_auc": [
        (auc_strict, "one half"),
        (auc_ties_win, "not a win"),
    ],
    "p07.average_precision": [
        (ap_trapezoid, "no trapezoids"),
        (ap_plain_mean, "plain mean"),
    ],
    "p07.log_loss": [
        (ll_unclipped, "clip"),
        (ll_summed, "average over samples"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
