"""Checks for Project 07 — classification metrics (confusion matrix, P/R/F1 averages, ROC
points, ROC AUC with ties, average precision, log-loss). References are in
:mod:`ml2llm.metrics.classification`."""

from __future__ import annotations

import warnings

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.metrics import classification as ref


# ----------------------------------------------------------------- exercise references
def confusion_matrix(y_true, y_pred, labels):
    return ref.confusion_matrix(y_true, y_pred, labels=labels)


def precision_recall_f1(y_true, y_pred, average):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, _ = ref.precision_recall_fscore_support(
            y_true, y_pred, average=average, zero_division=0
        )
    return p, r, f


def roc_points(y_true, y_score):
    fpr, tpr, _ = ref.roc_curve(y_true, y_score, drop_intermediate=False)
    return fpr, tpr


def roc_auc(y_true, y_score):
    return ref.roc_auc_rank(y_true, y_score)


def average_precision(y_true, y_score):
    return ref.average_precision_score(y_true, y_score)


def log_loss(y_true, proba):
    return ref.log_loss(y_true, proba, labels=np.arange(proba.shape[1]))


# ----------------------------------------------------------------- confusion matrix
def _cm_cases():
    rng = np.random.default_rng(0)
    yt, yp = rng.integers(0, 4, 40), rng.integers(0, 4, 40)
    return [
        Case((np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), np.array([0, 1]))),
        Case((np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 1, 1]), np.array([0, 1, 2]))),
        Case(
            (np.array([1, 1, 1]), np.array([1, 1, 0]), np.array([0, 1, 2])),
            hint="every label in `labels` gets a row and a column, even if it never occurs.",
        ),
        Case((yt, yp, np.arange(4)), label="40 random labels in 0..3"),
        Case(
            (np.array([2, 0, 1, 2]), np.array([2, 1, 1, 0]), np.array([2, 0, 1])),
            hint="rows and columns follow the order of `labels` as given, even when unsorted.",
        ),
    ]


def _cm_loop(yt, yp, labels, transpose=False, normalise=False):
    k = len(labels)
    C = np.zeros((k, k), dtype=int)
    pos = {lab: i for i, lab in enumerate(labels)}
    for t, p in zip(yt, yp):
        C[pos[t], pos[p]] += 1
    if normalise:
        return C / C.sum()
    return C.T if transpose else C


register(
    Check(
        "p07.confusion_matrix",
        reference=confusion_matrix,
        cases=_cm_cases,
        hint="C[i, j] counts samples whose TRUE label is labels[i] and PREDICTED label is labels[j].",
        mistakes=[
            Mistake(
                "transposed",
                lambda yt, yp, labels: _cm_loop(yt, yp, labels, transpose=True),
                "rows are true labels and columns are predictions; you have them transposed.",
            ),
            Mistake(
                "normalised",
                lambda yt, yp, labels: _cm_loop(yt, yp, labels, normalise=True),
                "return counts, not fractions: do not divide by the number of samples.",
            ),
            Mistake(
                "labels from data",
                lambda yt, yp, labels: ref.confusion_matrix(yt, yp),
                "use the `labels` argument for the rows/columns, not only the labels that occur.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- P/R/F1
def _prf_cases():
    yt = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2])
    yp = np.array([0, 0, 0, 0, 1, 2, 1, 0, 2, 1])
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 3, 30), rng.integers(0, 3, 30)
    return [
        Case((yt, yp, "macro")),
        Case((yt, yp, "micro")),
        Case((yt, yp, "weighted")),
        Case(
            (np.array([0, 0, 1, 1, 2]), np.array([0, 0, 0, 0, 0]), "macro"),
            hint="a class never predicted has precision 0/0: count it as 0 (zero_division=0).",
        ),
        Case((a, b, "macro"), label="30 random labels, average='macro'"),
        Case((a, b, "weighted"), label="30 random labels, average='weighted'"),
        Case(
            (np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1]), "macro"),
            hint="a class predicted but never true has recall 0/0: count it as 0 (zero_division=0).",
        ),
    ]


def _per_class(yt, yp):
    labels = np.unique(np.concatenate([yt, yp]))
    tp = np.array([np.sum((yt == c) & (yp == c)) for c in labels], float)
    npred = np.array([np.sum(yp == c) for c in labels], float)
    ntrue = np.array([np.sum(yt == c) for c in labels], float)
    div = lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b > 0)
    p, r = div(tp, npred), div(tp, ntrue)
    return p, r, div(2 * p * r, p + r), ntrue, npred


def _swapped(yt, yp, average):
    other = {"macro": "micro", "micro": "macro"}.get(average, average)
    return precision_recall_f1(yt, yp, other)


def _f_of_means(yt, yp, average):
    p, r, f = precision_recall_f1(yt, yp, average)
    if average == "macro":
        f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _weighted_by_pred(yt, yp, average):
    if average != "weighted":
        return precision_recall_f1(yt, yp, average)
    p, r, f, _, npred = _per_class(yt, yp)
    return tuple(float(np.average(v, weights=npred)) for v in (p, r, f))


register(
    Check(
        "p07.precision_recall_f1",
        reference=precision_recall_f1,
        cases=_prf_cases,
        hint="per class: P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2PR/(P+R); macro = plain mean over "
        "classes, micro = pool TP/FP/FN first, weighted = mean weighted by true counts.",
        rtol=1e-9,
        mistakes=[
            Mistake(
                "micro/macro swapped",
                _swapped,
                "micro and macro are swapped: macro averages per-class scores, micro pools the counts.",
            ),
            Mistake(
                "F of means",
                _f_of_means,
                "macro F1 is the mean of per-class F1 scores, not the F1 of mean precision and mean recall.",
            ),
            Mistake(
                "weighted by predictions",
                _weighted_by_pred,
                "weight by the TRUE class counts (support), not by how often a class is predicted.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- ROC points
def _roc_cases():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 25)
    y[:2] = [0, 1]
    return [
        Case((np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))),
        Case(
            (np.array([0, 1, 0, 1, 1]), np.array([0.2, 0.5, 0.5, 0.9, 0.5])),
            hint="tied scores cross the threshold together: they make ONE point, not several.",
        ),
        Case((y, rng.integers(0, 5, 25) / 4), label="25 samples, scores with many ties"),
        Case(
            (np.array([1, 1, 0, 1]), np.array([0.9, 0.3, 0.6, 0.4])),
            hint="one negative is enough: FPR = FP / N with N = 1.",
        ),
        Case(
            (np.array([0, 0, 1, 0, 0]), np.array([0.2, 0.7, 0.5, 0.1, 0.9])),
            hint="one positive is enough: TPR = TP / P with P = 1.",
        ),
        Case(
            (np.array([1, 1, 0]), np.array([0.9, 0.8, 0.1])),
            hint="a perfect ranking: the curve goes up to (0, 1) first, then right to (1, 1).",
        ),
        Case(
            (np.array([0, 0, 1]), np.array([0.9, 0.8, 0.1])),
            hint="the worst ranking: the positive enters only at the last threshold.",
        ),
    ]


def _roc_no_ties(y, s):
    order = np.argsort(-s, kind="mergesort")
    y = y[order]
    tps, fps = np.cumsum(y), np.cumsum(1 - y)
    return np.r_[0, fps] / fps[-1], np.r_[0, tps] / tps[-1]


def _roc_no_origin(y, s):
    fpr, tpr = roc_points(y, s)
    return fpr[1:], tpr[1:]


register(
    Check(
        "p07.roc_points",
        reference=roc_points,
        cases=_roc_cases,
        hint="sort by score descending; at each DISTINCT score take cumulative TP/P and FP/N; "
        "start the curve at (0, 0).",
        mistakes=[
            Mistake(
                "no tie handling",
                _roc_no_ties,
                "tied scores must enter together: take one point per distinct score.",
            ),
            Mistake(
                "no origin",
                _roc_no_origin,
                "start the curve at (0, 0): the threshold above every score predicts nothing positive.",
            ),
            Mistake(
                "swapped",
                lambda y, s: roc_points(y, s)[::-1],
                "return (fpr, tpr) in that order: false positive rate on the x-axis.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- ROC AUC
def _auc_cases():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 40)
    y[:2] = [0, 1]
    return [
        Case((np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))),
        Case(
            (np.array([0, 1]), np.array([0.5, 0.5])),
            hint="a tie between a positive and a negative counts one half.",
        ),
        Case((np.array([0, 1, 0, 1, 1, 0]), np.array([0.3, 0.3, 0.7, 0.9, 0.1, 0.3]))),
        Case(
            (y, rng.integers(0, 4, 40).astype(float)),
            label="40 samples, integer scores with many ties",
        ),
    ]


def _pairs(y, s):
    pos, neg = s[y == 1], s[y == 0]
    return pos[:, None], neg[None, :]


register(
    Check(
        "p07.roc_auc",
        reference=roc_auc,
        cases=_auc_cases,
        hint="AUC = P(score of a random positive > score of a random negative) + ½ P(tie).",
        mistakes=[
            Mistake(
                "ties ignored",
                lambda y, s: float(np.mean(_pairs(y, s)[0] > _pairs(y, s)[1])),
                "ties count one half: add 0.5 × (fraction of tied positive–negative pairs).",
            ),
            Mistake(
                "ties win",
                lambda y, s: float(np.mean(_pairs(y, s)[0] >= _pairs(y, s)[1])),
                "a tie is not a win: count it one half, not one.",
            ),
            Mistake(
                "reversed",
                lambda y, s: 1 - roc_auc(y, s),
                "you computed P(negative outscores positive): compare positive scores against negative ones.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- average precision
def _ap_cases():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 30)
    y[0] = 1
    return [
        Case((np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))),
        Case((np.array([1, 0, 1, 0, 0, 1]), np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4]))),
        Case(
            (np.array([0, 1, 1, 0]), np.array([0.5, 0.5, 0.2, 0.1])),
            hint="tied scores enter together.",
        ),
        Case((y, rng.random(30)), label="30 random scores"),
        Case(
            (np.array([0, 1, 0, 0, 0]), np.array([0.3, 0.6, 0.8, 0.1, 0.2])),
            hint="one positive: AP is the precision at the rank where it is found.",
        ),
        Case(
            (np.array([0, 0, 1]), np.array([0.9, 0.8, 0.1])),
            hint="the positive is ranked last: AP = 1/3, the precision at that rank.",
        ),
    ]


def _ap_trapezoid(y, s):
    p, r, _ = ref.precision_recall_curve(y, s)
    return ref.auc(r, p)


def _ap_mean_precision(y, s):
    p, _, _ = ref.precision_recall_curve(y, s)
    return float(np.mean(p[:-1]))


register(
    Check(
        "p07.average_precision",
        reference=average_precision,
        cases=_ap_cases,
        hint="AP = Σ_k (R_k − R_{k−1}) P_k over the distinct thresholds, from the highest score down.",
        mistakes=[
            Mistake(
                "trapezoid",
                _ap_trapezoid,
                "no trapezoids: AP is a step-wise sum Σ (R_k − R_{k−1}) P_k (linear interpolation is optimistic).",
            ),
            Mistake(
                "mean precision",
                _ap_mean_precision,
                "weight each precision by the recall it adds (R_k − R_{k−1}), do not take a plain mean.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- log-loss
def _ll_cases():
    rng = np.random.default_rng(5)
    P = rng.dirichlet(np.ones(3), size=20)
    return [
        Case((np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))),
        Case((np.array([0, 2, 1]), np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]]))),
        Case(
            (np.array([0, 1]), np.array([[1.0, 0.0], [1.0, 0.0]])),
            hint="clip probabilities to [eps, 1 − eps] before the log so a confident mistake is finite.",
        ),
        Case((rng.integers(0, 3, 20), P), label="20 samples, 3 classes, random probabilities"),
    ]


def _ll_noclip(y, P):
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.log(P[np.arange(len(y)), y])))


def _ll_sum(y, P):
    eps = np.finfo(float).eps
    return float(-np.sum(np.log(np.clip(P, eps, 1 - eps))[np.arange(len(y)), y]))


def _ll_all_columns(y, P):
    eps = np.finfo(float).eps
    return float(-np.mean(np.sum(np.log(np.clip(P, eps, 1 - eps)), axis=1)))


register(
    Check(
        "p07.log_loss",
        reference=log_loss,
        cases=_ll_cases,
        hint="log-loss = −(1/n) Σ_i log p_{i, y_i}, with p clipped to [eps, 1 − eps], eps = np.finfo(float).eps.",
        mistakes=[
            Mistake(
                "no clipping",
                _ll_noclip,
                "clip the probabilities to [eps, 1 − eps]: log(0) is −inf.",
            ),
            Mistake("sum", _ll_sum, "average over samples (divide by n), do not sum."),
            Mistake(
                "all columns",
                _ll_all_columns,
                "take the log-probability of the TRUE class only (P[i, y_i]), not of every column.",
            ),
        ],
    )
)
