"""Classification metrics from scratch (NumPy), with scikit-learn's conventions.

- :func:`confusion_matrix`, :func:`accuracy_score`;
- :func:`precision_recall_fscore_support` and the :func:`precision_score`,
  :func:`recall_score`, :func:`f1_score` shortcuts, with ``average`` in
  ``{"binary", "micro", "macro", "weighted", None}`` and ``zero_division`` in
  ``{"warn", 0, 1, nan}`` (``"warn"`` warns :class:`UndefinedMetricWarning` and uses 0);
- :func:`roc_curve` (ties share one threshold; ``drop_intermediate`` as in scikit-learn),
  :func:`roc_auc_score` (trapezoids on the ROC curve) and :func:`roc_auc_rank` (the
  Mann–Whitney statistic: ties count one half);
- :func:`precision_recall_curve` and :func:`average_precision_score` (the step-wise sum
  :math:`\\sum_k (R_k - R_{k-1}) P_k`, not a trapezoid);
- :func:`log_loss` (probabilities clipped to ``[eps, 1 - eps]``) and :func:`brier_score_loss`.

Each returns what ``sklearn.metrics`` returns for the same inputs (tests prove it with
hypothesis property tests). A single class present is handled like scikit-learn: ROC AUC
warns and returns ``nan``; precision/recall with nothing predicted/present warns and returns
the ``zero_division`` value.

Not here: sample weights, multilabel targets, multi-class ROC AUC, ``labels`` subsets for
P/R/F1.

>>> confusion_matrix([0, 1, 1, 0], [0, 1, 0, 0]).tolist()
[[2, 0], [1, 1]]
>>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from __future__ import annotations

import warnings

import numpy as np


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined for these inputs (e.g. no predicted positives)."""


AVERAGES = ("binary", "micro", "macro", "weighted", None)


# ----------------------------------------------------------------- validation
def _labels_1d(y, name):
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    return arr


def _check_pair(y_true, y_pred, pred_name="y_pred"):
    y_true = _labels_1d(y_true, "y_true")
    y_pred = _labels_1d(y_pred, pred_name)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and {pred_name} must have the same length, got {len(y_true)} and {len(y_pred)}"
        )
    return y_true, y_pred


def _check_proba(y_prob, name="y_prob"):
    p = np.asarray(y_prob, dtype=float)
    if p.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be finite probabilities, got NaN or inf")
    if p.min() < 0 or p.max() > 1:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values in [{p.min():g}, {p.max():g}]"
        )
    return p


def _zero_division_value(zero_division):
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise ValueError(f"zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")
        return 0.0
    value = float(zero_division)
    if not (value in (0.0, 1.0) or np.isnan(value)):
        raise ValueError(f"zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")
    return value


def _safe_divide(num, den, zero_division, what):
    """``num / den`` elementwise; where ``den == 0`` use the zero_division value (and warn)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    mask = den == 0
    out = num / np.where(mask, 1.0, den)
    if mask.any():
        out[mask] = _zero_division_value(zero_division)
        if isinstance(zero_division, str):
            warnings.warn(
                f"{what} is ill-defined and set to 0.0 for labels with no {'predicted' if what == 'Precision' else 'true'} "
                "samples; pass zero_division to choose the value.",
                UndefinedMetricWarning,
                stacklevel=3,
            )
    return out


# ----------------------------------------------------------------- confusion matrix family
def confusion_matrix(y_true, y_pred, labels=None):
    """Counts ``C[i, j]`` = samples of true class ``labels[i]`` predicted as ``labels[j]``.

    Rows are true classes, columns predicted classes (scikit-learn's layout). ``labels``
    defaults to the sorted union of both arrays; labels not in ``labels`` are ignored.
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    labels = np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(labels)
    if labels.size == 0:
        raise ValueError("labels must not be empty")
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"labels must be unique, got {labels.tolist()}")
    k = len(labels)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]

    def position(values):  # index of each value in `labels`, -1 when absent (vectorised)
        at = np.clip(np.searchsorted(sorted_labels, values), 0, k - 1)
        return np.where(sorted_labels[at] == values, order[at], -1)

    ti, pi = position(y_true), position(y_pred)
    keep = (ti >= 0) & (pi >= 0)
    return np.bincount(ti[keep] * k + pi[keep], minlength=k * k).reshape(k, k)


def accuracy_score(y_true, y_pred):
    """Fraction of samples whose predicted label equals the true one."""
    y_true, y_pred = _check_pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def precision_recall_fscore_support(
    y_true, y_pred, *, average="binary", pos_label=1, beta=1.0, zero_division="warn"
):
    """Precision, recall, F-beta and support, per class or averaged.

    Per class: :math:`P = TP/(TP+FP)`, :math:`R = TP/(TP+FN)`,
    :math:`F_\\beta = (1+\\beta^2) TP / ((1+\\beta^2) TP + \\beta^2 FN + FP)`.

    ``average``: ``"binary"`` (the ``pos_label`` class only; binary targets),
    ``"micro"`` (pool the counts of all classes, then divide), ``"macro"`` (unweighted mean
    of the per-class scores), ``"weighted"`` (mean weighted by true support) or ``None``
    (per-class arrays and the support). A ratio with a zero denominator takes the
    ``zero_division`` value; ``"warn"`` means 0.0 with an :class:`UndefinedMetricWarning`.
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    _zero_division_value(zero_division)
    y_true, y_pred = _check_pair(y_true, y_pred)
    present = np.unique(np.concatenate([y_true, y_pred]))
    if average == "binary":
        if len(present) > 2:
            raise ValueError(
                f"average='binary' needs binary targets, found {len(present)} classes "
                f"{present.tolist()}; choose average='micro', 'macro' or 'weighted'"
            )
        if pos_label not in present.tolist() and len(present) == 2:
            raise ValueError(
                f"pos_label={pos_label!r} is not a label; labels are {present.tolist()}"
            )
        labels = np.array([pos_label])
    else:
        labels = present
    tp = np.array([np.sum((y_true == c) & (y_pred == c)) for c in labels.tolist()], dtype=float)
    pred = np.array([np.sum(y_pred == c) for c in labels.tolist()], dtype=float)
    true = np.array([np.sum(y_true == c) for c in labels.tolist()], dtype=float)
    support = true.astype(int)
    if average == "micro":
        tp, pred, true = tp.sum(keepdims=True), pred.sum(keepdims=True), true.sum(keepdims=True)
    precision = _safe_divide(tp, pred, zero_division, "Precision")
    recall = _safe_divide(tp, true, zero_division, "Recall")
    b2 = beta**2
    with warnings.catch_warnings():  # F warns only through P and R, like scikit-learn
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        f = _safe_divide((1 + b2) * tp, b2 * true + pred, zero_division, "F-score")
    if average is None:
        return precision, recall, f, support
    weights = true if average == "weighted" else None

    def avg(v):
        ok = ~np.isnan(v)
        if not ok.any():
            return float("nan")
        if weights is None:
            return float(np.mean(v[ok]))
        w = weights[ok]
        if w.sum() == 0:
            return _zero_division_value(zero_division)
        return float(np.average(v[ok], weights=w))

    return avg(precision), avg(recall), avg(f), None


def precision_score(y_true, y_pred, *, average="binary", pos_label=1, zero_division="warn"):
    """Precision :math:`TP/(TP+FP)`; see :func:`precision_recall_fscore_support`."""
    return precision_recall_fscore_support(
        y_true, y_pred, average=average, pos_label=pos_label, zero_division=zero_division
    )[0]


def recall_score(y_true, y_pred, *, average="binary", pos_label=1, zero_division="warn"):
    """Recall :math:`TP/(TP+FN)`; see :func:`precision_recall_fscore_support`."""
    return precision_recall_fscore_support(
        y_true, y_pred, average=average, pos_label=pos_label, zero_division=zero_division
    )[1]


def f1_score(y_true, y_pred, *, average="binary", pos_label=1, zero_division="warn"):
    """F1, the harmonic mean of precision and recall; see :func:`precision_recall_fscore_support`."""
    return precision_recall_fscore_support(
        y_true, y_pred, average=average, pos_label=pos_label, zero_division=zero_division
    )[2]


# ----------------------------------------------------------------- threshold curves
def _binary_targets(y_true, pos_label):
    labels = np.unique(y_true)
    if len(labels) > 2:
        raise ValueError(f"y_true must be binary, found {len(labels)} classes {labels.tolist()}")
    if pos_label is None:
        if not (set(labels.tolist()) <= {0, 1} or set(labels.tolist()) <= {-1, 1}):
            raise ValueError(
                f"y_true has labels {labels.tolist()}; pass pos_label to say which one is positive"
            )
        pos_label = 1
    return (y_true == pos_label).astype(float)


def binary_counts_at_thresholds(y_true, y_score, pos_label=None):
    """``(fps, tps, thresholds)``: false/true positives when predicting ``score >= t``.

    One entry per *distinct* score, from the highest down, so tied scores enter together.
    """
    y_true, y_score = _check_pair(y_true, y_score, "y_score")
    y_score = np.asarray(y_score, dtype=float)
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score must be finite, got NaN or inf")
    y = _binary_targets(y_true, pos_label)
    order = np.argsort(-y_score, kind="mergesort")
    s, y = y_score[order], y[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tps = np.cumsum(y)[last_of_each]
    fps = 1 + last_of_each - tps
    return fps, tps, s[last_of_each]


def roc_curve(y_true, y_score, *, pos_label=None, drop_intermediate=True):
    """``(fpr, tpr, thresholds)`` of the ROC curve; the first threshold is ``inf`` (0, 0).

    ``drop_intermediate`` removes collinear points, which changes neither the plot nor the
    area (scikit-learn's default). With no negatives (positives) in ``y_true`` the FPR (TPR)
    is undefined: it warns and returns NaNs.
    """
    fps, tps, thr = binary_counts_at_thresholds(y_true, y_score, pos_label)
    if drop_intermediate and len(fps) > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    thr = np.r_[np.inf, thr]
    if fps[-1] <= 0:
        warnings.warn(
            "No negative samples in y_true: the FPR is undefined",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        fpr = np.full(fps.shape, np.nan)
    else:
        fpr = fps / fps[-1]
    if tps[-1] <= 0:
        warnings.warn(
            "No positive samples in y_true: the TPR is undefined",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        tpr = np.full(tps.shape, np.nan)
    else:
        tpr = tps / tps[-1]
    return fpr, tpr, thr


def auc(x, y):
    """Area under the piecewise-linear curve through ``(x, y)`` (trapezoids); x monotonic."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"x and y must be 1-D of the same length >= 2, got {x.shape}, {y.shape}")
    dx = np.diff(x)
    if np.any(dx < 0) and np.any(dx > 0):
        raise ValueError("x must be monotonic (increasing or decreasing)")
    area = np.sum(dx * (y[1:] + y[:-1]) / 2)
    return float(-area if np.all(dx <= 0) else area)


def roc_auc_score(y_true, y_score, *, pos_label=None):
    """Area under the ROC curve (binary). One class only: warns and returns ``nan``."""
    y_true, _ = _check_pair(y_true, y_score, "y_score")
    if len(np.unique(y_true)) != 2:
        warnings.warn(
            "Only one class is present in y_true: ROC AUC is undefined",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return float("nan")
    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label=pos_label)
    return auc(fpr, tpr)


def roc_auc_rank(y_true, y_score):
    """ROC AUC as the probability that a random positive outscores a random negative.

    :math:`\\mathrm{AUC} = P(s^+ > s^-) + \\tfrac12 P(s^+ = s^-)`, computed from average
    ranks in :math:`O(n \\log n)` (Mann–Whitney U / (n_+ n_-)). Equals :func:`roc_auc_score`.
    """
    from scipy.stats import rankdata

    y_true, y_score = _check_pair(y_true, y_score, "y_score")
    y = _binary_targets(y_true, None).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("y_true must contain both classes for ROC AUC")
    ranks = rankdata(np.asarray(y_score, float))  # ties get their average rank
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precision_recall_curve(y_true, y_score, *, pos_label=None):
    """``(precision, recall, thresholds)``, recall decreasing, ending at (P=1, R=0).

    Precision with no predicted positives is 0; with no positives in ``y_true`` recall is
    set to 1 everywhere (with a warning), as scikit-learn does.
    """
    fps, tps, thr = binary_counts_at_thresholds(y_true, y_score, pos_label)
    ps = tps + fps
    precision = np.where(ps != 0, tps / np.where(ps == 0, 1, ps), 0.0)
    if tps[-1] == 0:
        warnings.warn(
            "No positive class in y_true: recall is set to one", UserWarning, stacklevel=2
        )
        recall = np.ones_like(tps, dtype=float)
    else:
        recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thr[::-1]


def average_precision_score(y_true, y_score, *, pos_label=None):
    """AP :math:`= \\sum_k (R_k - R_{k-1}) P_k`: the PR curve as a step function, no interpolation."""
    precision, recall, _ = precision_recall_curve(y_true, y_score, pos_label=pos_label)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


# ----------------------------------------------------------------- probabilistic losses
def _one_hot(y_true, n_cols, labels, name):
    classes = np.unique(y_true) if labels is None else np.asarray(labels)
    if len(classes) != n_cols:
        raise ValueError(
            f"{name} has {n_cols} columns but there are {len(classes)} classes "
            f"{classes.tolist()}; pass labels= to list every class"
        )
    if not np.isin(y_true, classes).all():
        raise ValueError(f"y_true has labels not in {classes.tolist()}")
    return (y_true[:, None] == classes[None, :]).astype(float)


def _proba_matrix(y_true, y_prob, name):
    y_true = _labels_1d(y_true, "y_true")
    p = _check_proba(y_prob, name)
    if p.ndim == 1:
        p = p[:, None]
    if p.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {p.shape}")
    if len(p) != len(y_true):
        raise ValueError(
            f"y_true and {name} must have the same length, got {len(y_true)} and {len(p)}"
        )
    one_col = p.shape[1] == 1
    if one_col:
        p = np.hstack([1 - p, p])
    return y_true, p, one_col


def log_loss(y_true, y_prob, *, labels=None):
    """Mean negative log-likelihood :math:`-\\frac1n\\sum_i \\log p_{i, y_i}`.

    ``y_prob`` is ``(n,)`` (probability of the larger label) or ``(n, k)`` (columns in the
    sorted order of ``labels``, default the classes of ``y_true``). Probabilities are
    clipped to ``[eps, 1 - eps]`` (float64 machine epsilon) so a confident mistake costs
    about 36 nats rather than infinity. Rows not summing to one warn.
    """
    y_true, p, _ = _proba_matrix(y_true, y_prob, "y_prob")
    if not np.allclose(p.sum(axis=1), 1.0, rtol=np.sqrt(np.finfo(float).eps)):
        warnings.warn("The y_prob rows do not sum to one", UserWarning, stacklevel=2)
    y = _one_hot(y_true, p.shape[1], labels, "y_prob")
    eps = np.finfo(float).eps
    p = np.clip(p, eps, 1 - eps)
    return float(np.mean(-np.sum(y * np.log(p), axis=1)))


def brier_score_loss(y_true, y_prob, *, pos_label=None, labels=None):
    """Brier score: mean squared distance between predicted probabilities and outcomes.

    Binary (``y_prob`` 1-D, the probability of ``pos_label``): :math:`\\frac1n\\sum_i (p_i - y_i)^2`.
    Multi-class (``(n, k)``): :math:`\\frac1n\\sum_i\\sum_k (p_{ik} - y_{ik})^2`, halved when
    ``k = 2`` so both forms agree (scikit-learn's ``scale_by_half="auto"``).
    """
    y_true, p, one_col = _proba_matrix(y_true, y_prob, "y_prob")
    if one_col:
        if len(np.unique(y_true)) > 2:
            raise ValueError("a 1-D y_prob needs binary y_true; pass a (n, k) matrix instead")
        y = _binary_targets(y_true, pos_label)
        return float(np.mean((p[:, 1] - y) ** 2))
    y = _one_hot(y_true, p.shape[1], labels, "y_prob")
    score = float(np.mean(np.sum((p - y) ** 2, axis=1)))
    return score / 2 if p.shape[1] < 3 else score


__all__ = [
    "UndefinedMetricWarning",
    "accuracy_score",
    "auc",
    "average_precision_score",
    "binary_counts_at_thresholds",
    "brier_score_loss",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "precision_recall_curve",
    "precision_recall_fscore_support",
    "precision_score",
    "recall_score",
    "roc_auc_rank",
    "roc_auc_score",
    "roc_curve",
]
