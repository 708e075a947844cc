"""Checks for Project 07.5 — imbalanced data (balanced class weights, SMOTE neighbours and
interpolation, threshold moving, prior-shift correction). References are in
:mod:`ml2llm.classical.imbalance`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import imbalance as ref


# ----------------------------------------------------------------- class weights
def _cw_cases():
    rng = np.random.default_rng(0)
    return [
        Case((np.array([0, 0, 0, 1]),)),
        Case((np.array([0] * 90 + [1] * 10),)),
        Case((np.array([2, 0, 1, 0, 0, 0, 1, 0, 0, 0]),), hint="three classes: n / (3 · n_c)."),
        Case((rng.choice(4, size=50, p=[0.55, 0.25, 0.15, 0.05]),), label="50 labels in 4 classes"),
    ]


def _cw(formula):
    def wrong(y):
        classes, counts = np.unique(y, return_counts=True)
        return {int(c): float(formula(len(y), len(classes), n)) for c, n in zip(classes, counts)}

    return wrong


register(
    Check(
        "p07_5.balanced_class_weights",
        reference=ref.balanced_class_weights,
        cases=_cw_cases,
        hint="w_c = n_samples / (n_classes · n_c): each class then carries the same total weight n / n_classes.",
        mistakes=[
            Mistake(
                "frequency",
                _cw(lambda n, k, nc: nc / n),
                "that is the class frequency: rare classes must get LARGER weights (inverse frequency).",
            ),
            Mistake(
                "no n_classes",
                _cw(lambda n, k, nc: n / nc),
                "divide by the number of classes too: w_c = n / (n_classes · n_c), so the weights average to 1 per sample.",
            ),
            Mistake(
                "1/n_c",
                _cw(lambda n, k, nc: 1 / nc),
                "scale 1/n_c by n / n_classes so that the total weight stays n.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- SMOTE neighbours
def _nn_cases():
    rng = np.random.default_rng(1)
    return [
        Case((np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]]), 2)),
        Case((np.array([[0.0], [10.0], [1.0], [4.0], [9.0]]), 1)),
        Case((rng.normal(size=(12, 3)), 4), label="X_min: 12 random points in 3-D, k=4"),
    ]


def _nn_with_self(X, k):
    d = np.linalg.norm(X[:, None] - X[None], axis=2)
    return np.argsort(d, axis=1, kind="stable")[:, :k]


def _nn_farthest(X, k):
    d = np.linalg.norm(X[:, None] - X[None], axis=2)
    return np.argsort(-d, axis=1, kind="stable")[:, :k]


register(
    Check(
        "p07_5.smote_neighbors",
        reference=ref.smote_neighbors,
        cases=_nn_cases,
        hint="pairwise Euclidean distances within X_min; set the diagonal to inf; argsort each row and keep k columns.",
        mistakes=[
            Mistake(
                "self included",
                _nn_with_self,
                "every point is its own nearest neighbour: exclude it (set the diagonal to inf).",
            ),
            Mistake(
                "farthest",
                _nn_farthest,
                "sort distances ascending: we want the NEAREST neighbours.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- SMOTE interpolation
def _interp_cases():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0]])
    nn = np.array([[1, 2], [0, 2], [0, 1]])
    rng = np.random.default_rng(2)
    Xr = rng.normal(size=(8, 3))
    nnr = ref.smote_neighbors(Xr, 3)
    rows, cols, gaps = rng.integers(0, 8, 10), rng.integers(0, 3, 10), rng.random(10)
    return [
        Case((X, nn, np.array([0, 1, 2]), np.array([0, 1, 1]), np.array([0.5, 0.25, 1.0]))),
        Case(
            (X, nn, np.array([2, 2]), np.array([0, 0]), np.array([0.0, 0.75])),
            hint="gap 0 gives the sample itself, gap 1 its neighbour.",
        ),
        Case((Xr, nnr, rows, cols, gaps), label="8 random points, k=3, 10 synthetic samples"),
    ]


def _interp_reversed(X, nn, rows, cols, gaps):
    nb = X[nn[rows, cols]]
    return nb + gaps[:, None] * (X[rows] - nb)


def _interp_wrong_index(X, nn, rows, cols, gaps):
    return X[rows] + gaps[:, None] * (X[cols] - X[rows])


def _interp_away(X, nn, rows, cols, gaps):
    return X[rows] - gaps[:, None] * (X[nn[rows, cols]] - X[rows])


register(
    Check(
        "p07_5.smote_interpolate",
        reference=ref.smote_interpolate,
        cases=_interp_cases,
        hint="x_new = X[r] + gap · (X[neighbors[r, c]] − X[r]) for each (r, c, gap).",
        mistakes=[
            Mistake(
                "reversed",
                _interp_reversed,
                "start from the sample X[r] and move a fraction `gap` TOWARDS its neighbour, not the other way.",
            ),
            Mistake(
                "wrong index",
                _interp_wrong_index,
                "c indexes the neighbour list of row r: the neighbour is X[neighbors[r, c]], not X[c].",
            ),
            Mistake(
                "away",
                _interp_away,
                "add gap · (neighbour − sample); subtracting moves away from the neighbour.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- threshold moving
def _thr_cases():
    rng = np.random.default_rng(3)
    y = (rng.random(80) < 0.1).astype(int)
    y[:2] = [0, 1]
    s = np.round(rng.random(80) * 0.7 + 0.3 * y, 2)
    return [
        Case((np.array([0, 0, 1, 0, 1, 1]), np.array([0.1, 0.3, 0.35, 0.4, 0.8, 0.9]), 1.0)),
        Case(
            (np.array([0, 0, 1, 0, 1, 1]), np.array([0.1, 0.3, 0.35, 0.4, 0.8, 0.9]), 2.0),
            hint="beta = 2 weighs recall more: F_β = (1 + β²)PR / (β²P + R).",
        ),
        Case(
            (
                np.array([0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1]),
                np.array([0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]),
                1.0,
            ),
            hint="the best F1 here flags 8 samples; accuracy would flag only the top one.",
        ),
        Case((y, s, 1.0), label="80 samples, 10 % positives, scores with ties"),
        Case((y, s, 0.5), label="same data, beta=0.5"),
        Case(
            (np.array([0, 1, 0, 0]), np.array([0.9, 0.6, 0.4, 0.2]), 1.0),
            hint="one positive is enough to define F_β.",
        ),
        Case(
            (np.array([1, 0, 0, 1, 1]), np.array([0.9, 0.7, 0.6, 0.5, 0.1]), 2.0),
            hint="FN at threshold t counts the positives scored below t: P − TP(t).",
        ),
    ]


def _thr_variant(beta_power=2, pick_last=False):
    def wrong(y, s, beta):
        p, r, t = ref.precision_recall_curve(y, s)
        p, r = p[:-1], r[:-1]
        b = beta**beta_power
        den = b * p + r
        f = np.divide((1 + b) * p * r, den, out=np.zeros_like(p), where=den > 0)
        i = int(np.argmax(f)) if pick_last else len(f) - 1 - int(np.argmax(f[::-1]))
        return float(t[i]), float(f[i])

    return wrong


def _thr_accuracy(y, s, beta):
    cands = np.unique(s)
    acc = [np.mean((s >= c) == (y == 1)) for c in cands]
    c = cands[int(np.argmax(acc))]
    pred = s >= c
    tp = np.sum(pred & (y == 1))
    b2 = beta**2
    f = (1 + b2) * tp / ((1 + b2) * tp + b2 * np.sum(~pred & (y == 1)) + np.sum(pred & (y == 0)))
    return float(c), float(f)


register(
    Check(
        "p07_5.best_threshold",
        reference=ref.best_threshold,
        cases=_thr_cases,
        hint="evaluate F_β at every distinct score t (predict score >= t) and return the best (t, F_β); "
        "on ties keep the highest threshold.",
        mistakes=[
            Mistake(
                "beta not squared",
                _thr_variant(beta_power=1),
                "use β² in F_β = (1 + β²)PR / (β²P + R), not β.",
            ),
            Mistake(
                "lowest threshold on ties",
                _thr_variant(pick_last=True),
                "when several thresholds reach the best F_β, keep the HIGHEST one (fewest positives flagged).",
            ),
            Mistake(
                "accuracy",
                _thr_accuracy,
                "maximise F_β, not accuracy: on imbalanced data accuracy prefers predicting (almost) nothing positive.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- prior shift
def _prior_cases():
    rng = np.random.default_rng(4)
    return [
        Case((np.array([0.5, 0.9, 0.1]), 0.5, 0.05)),
        Case((np.array([0.2, 0.6, 0.99]), 0.3, 0.3), hint="same prior: nothing changes."),
        Case(
            (rng.random(10), 0.5, 0.02),
            label="10 random probabilities, train prior 0.5 -> true prior 0.02",
        ),
        Case((np.array([0.0, 1.0, 0.3]), 0.1, 0.4), hint="0 and 1 stay 0 and 1."),
    ]


def _prior_inverted(p, train_prior, true_prior):
    return ref.correct_prior_shift(p, true_prior, train_prior)


def _prior_scale(p, train_prior, true_prior):
    return np.clip(p * true_prior / train_prior, 0, 1)


register(
    Check(
        "p07_5.correct_prior_shift",
        reference=ref.correct_prior_shift,
        cases=_prior_cases,
        hint="odds' = odds · [π/(1−π)] / [π_s/(1−π_s)] with π = true_prior, π_s = train_prior; p' = odds' / (1 + odds').",
        mistakes=[
            Mistake(
                "inverted",
                _prior_inverted,
                "the ratio is (true odds) / (training odds): you moved the probabilities the wrong way.",
            ),
            Mistake(
                "scaled probability",
                _prior_scale,
                "rescale the ODDS p/(1−p), not the probability itself (which can then exceed 1 or lose its order).",
            ),
        ],
    )
)
