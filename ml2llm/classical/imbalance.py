"""Imbalanced classification from scratch: class weights, resampling, SMOTE, threshold moving.

- :func:`balanced_class_weights`: :math:`w_c = n / (k\\,n_c)`, scikit-learn's
  ``class_weight="balanced"`` (use it with :class:`ml2llm.classical.logistic_regression.LogisticRegression`);
- :func:`random_oversample` / :func:`random_undersample`: duplicate minority samples /
  drop majority samples until every class has the majority's / minority's count. With the
  same ``random_state`` they return exactly what imbalanced-learn's ``RandomOverSampler`` /
  ``RandomUnderSampler`` return (same ``numpy.random.RandomState`` draws, same order);
- :func:`smote_neighbors`, :func:`smote_interpolate` and :func:`smote`: SMOTE (Chawla et
  al., 2002) — each synthetic sample lies on the segment between a minority sample and one
  of its ``k`` nearest minority neighbours; equal to imbalanced-learn's ``SMOTE`` for the
  same ``random_state`` (neighbour ties aside);
- :func:`best_threshold` (maximise :math:`F_\\beta` over the PR curve's thresholds) and
  :func:`threshold_for_recall` (the highest threshold that still reaches a recall target);
- :func:`correct_prior_shift`: undo the change of base rate that resampling causes in the
  predicted probabilities.

Not here: SMOTE variants (borderline, SMOTE-NC, ADASYN), cleaning under-samplers (Tomek
links, ENN), sampling strategies other than "balance every class", sparse inputs.

>>> balanced_class_weights([0, 0, 0, 1])
{0: 0.6666666666666666, 1: 2.0}
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from ml2llm.metrics.classification import (
    _check_proba,
    binary_counts_at_thresholds,
    precision_recall_curve,
)


def _xy(X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"y must be 1-D with one label per row of X: X has {len(X)} rows, y shape {y.shape}"
        )
    if len(np.unique(y)) < 2:
        raise ValueError("y must contain at least two classes to rebalance")
    return X, y


# ----------------------------------------------------------------- class weights
def balanced_class_weights(y):
    """``{class: n / (n_classes * count(class))}``: every class gets the same total weight."""
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {y.shape}")
    classes, counts = np.unique(y, return_counts=True)
    w = len(y) / (len(classes) * counts)
    return {c.item() if hasattr(c, "item") else c: float(v) for c, v in zip(classes, w)}


# ----------------------------------------------------------------- random resampling
def random_oversample(X, y, random_state=None):
    """Duplicate random samples of every non-majority class up to the majority's count.

    Returns ``(X_res, y_res)``: the original rows first, then the duplicates class by class
    (sorted labels). Same output as ``imblearn.over_sampling.RandomOverSampler``.
    """
    X, y = _xy(X, y)
    rng = check_random_state(random_state)
    classes, counts = np.unique(y, return_counts=True)
    majority = classes[np.argmax(counts)]
    parts_X, parts_y = [X], [y]
    for c, n_c in zip(classes, counts):
        if c == majority:
            continue
        idx = rng.choice(np.flatnonzero(y == c), size=counts.max() - n_c, replace=True)
        parts_X.append(X[idx])
        parts_y.append(y[idx])
    return np.vstack(parts_X), np.concatenate(parts_y)


def random_undersample(X, y, random_state=None):
    """Keep a random subset of every non-minority class of the minority's size.

    Returns ``(X_res, y_res)`` grouped by class (sorted labels), rows of the minority class
    in their original order. Same output as ``imblearn.under_sampling.RandomUnderSampler``.
    """
    X, y = _xy(X, y)
    rng = check_random_state(random_state)
    classes, counts = np.unique(y, return_counts=True)
    minority = classes[np.argmin(counts)]
    keep = []
    for c in classes:
        members = np.flatnonzero(y == c)
        if c != minority:
            members = members[rng.choice(np.arange(len(members)), size=counts.min(), replace=False)]
        keep.append(members)
    keep = np.concatenate(keep)
    return X[keep], y[keep]


# ----------------------------------------------------------------- SMOTE
def smote_neighbors(X_min, k):
    """Indices of the ``k`` nearest other rows of ``X_min`` for every row (Euclidean, self excluded)."""
    X_min = np.asarray(X_min, dtype=float)
    n = len(X_min)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k >= n:
        raise ValueError(
            f"k={k} neighbours need at least k + 1 = {k + 1} minority samples, got {n}"
        )
    sq = (X_min**2).sum(axis=1)
    d2 = sq[:, None] + sq[None, :] - 2 * X_min @ X_min.T
    np.fill_diagonal(d2, np.inf)
    return np.argsort(d2, axis=1, kind="stable")[:, :k]


def smote_interpolate(X_min, neighbors, rows, cols, gaps):
    """Synthetic samples ``X[r] + gap * (X[neighbors[r, c]] - X[r])`` for each (r, c, gap)."""
    X_min = np.asarray(X_min, dtype=float)
    gaps = np.asarray(gaps, dtype=float).reshape(-1, 1)
    base = X_min[rows]
    return base + gaps * (X_min[neighbors[rows, cols]] - base)


def smote(X, y, k_neighbors=5, random_state=None):
    """SMOTE every non-majority class up to the majority's count.

    Per class (sorted labels), with a fresh ``RandomState(random_state)`` as in
    imbalanced-learn: draw ``n_new`` integers in ``[0, n_c * k)`` (row = i // k,
    neighbour = i % k) and ``n_new`` gaps in ``[0, 1)``. Returns the original rows followed
    by the synthetic ones.
    """
    X, y = _xy(X, y)
    classes, counts = np.unique(y, return_counts=True)
    majority = classes[np.argmax(counts)]
    parts_X, parts_y = [X], [y]
    for c, n_c in zip(classes, counts):
        n_new = counts.max() - n_c
        if c == majority or n_new == 0:
            continue
        rng = check_random_state(random_state)
        X_c = X[y == c]
        nn = smote_neighbors(X_c, k_neighbors)
        picks = rng.randint(low=0, high=nn.size, size=n_new)
        gaps = rng.uniform(size=n_new)
        parts_X.append(smote_interpolate(X_c, nn, picks // k_neighbors, picks % k_neighbors, gaps))
        parts_y.append(np.full(n_new, c, dtype=y.dtype))
    return np.vstack(parts_X), np.concatenate(parts_y)


# ----------------------------------------------------------------- thresholds
def best_threshold(y_true, scores, beta=1.0):
    """``(threshold, f_beta)``: the score threshold (predict ``score >= t``) maximising
    :math:`F_\\beta = (1+\\beta^2)PR/(\\beta^2 P + R)` over the distinct scores; the highest
    threshold on ties.

    F is computed from the counts, :math:`(1+\\beta^2)TP / ((1+\\beta^2)TP + \\beta^2 FN + FP)`,
    so thresholds with mathematically equal F compare equal in floating point too.
    """
    if beta <= 0:
        raise ValueError(f"beta must be positive, got {beta}")
    fps, tps, thresholds = binary_counts_at_thresholds(y_true, scores)  # highest threshold first
    if tps[-1] == 0:
        raise ValueError("y_true has no positive sample: F-beta is undefined")
    b2 = beta**2
    fns = tps[-1] - tps
    denom = (1 + b2) * tps + b2 * fns + fps
    f = np.divide((1 + b2) * tps, denom, out=np.zeros(len(tps)), where=denom > 0)
    best = int(np.argmax(f))
    return float(thresholds[best]), float(f[best])


def threshold_for_recall(y_true, scores, min_recall):
    """The highest threshold whose recall (predict ``score >= t``) is at least ``min_recall``."""
    if not 0 < min_recall <= 1:
        raise ValueError(f"min_recall must be in (0, 1], got {min_recall}")
    _, recall, thresholds = precision_recall_curve(y_true, scores)
    ok = np.flatnonzero(recall[:-1] >= min_recall)
    return float(thresholds[ok.max()])


def correct_prior_shift(proba, train_prior, true_prior):
    """Map probabilities from a model trained at positive rate ``train_prior`` to the rate
    ``true_prior``: multiply the odds by :math:`\\frac{\\pi/(1-\\pi)}{\\pi_s/(1-\\pi_s)}`."""
    p = _check_proba(proba, "proba")
    for name, v in [("train_prior", train_prior), ("true_prior", true_prior)]:
        if not 0 < v < 1:
            raise ValueError(f"{name} must be in (0, 1), got {v}")
    ratio = (true_prior / (1 - true_prior)) / (train_prior / (1 - train_prior))
    return p * ratio / (p * ratio + (1 - p))


__all__ = [
    "balanced_class_weights",
    "best_threshold",
    "correct_prior_shift",
    "random_oversample",
    "random_undersample",
    "smote",
    "smote_interpolate",
    "smote_neighbors",
    "threshold_for_recall",
]
