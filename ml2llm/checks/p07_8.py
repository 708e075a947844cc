"""Checks for Project 07.8 — probability calibration (reliability bins, ECE, Platt scaling,
pool-adjacent-violators, isotonic calibration). References are in
:mod:`ml2llm.classical.calibration`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import calibration as ref


# ----------------------------------------------------------------- exercise references
def reliability_bins(y_true, y_prob, n_bins):
    return ref.reliability_bins(y_true, y_prob, n_bins)


def ece(y_true, y_prob, n_bins):
    return ref.expected_calibration_error(y_true, y_prob, n_bins)


def platt_fit(scores, y):
    return ref.platt_fit(scores, y)


def pav(y):
    return ref.pav(y)


def isotonic_calibrate(scores_cal, y_cal, scores_new):
    return ref.IsotonicRegression().fit(scores_cal, y_cal).predict(scores_new)


def _probs(seed, n, power=1.0):
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    return (rng.random(n) < p**power).astype(int), p


# ----------------------------------------------------------------- reliability bins
def _bins_cases():
    y, p = _probs(0, 60, power=2.0)
    return [
        Case((np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.3, 0.35, 0.8, 0.9]), 2)),
        Case(
            (np.array([0, 1, 1, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.4, 0.45, 1.0]), 5),
            hint="a probability exactly on an inner edge (0.2, 0.4, …) goes to the LOWER bin; 1.0 to the last.",
        ),
        Case((np.array([1, 0, 1]), np.array([0.05, 0.07, 0.95]), 10), hint="drop the empty bins."),
        Case((y, p, 10), label="60 over-confident predictions, 10 bins"),
    ]


def _bins_floor(y, p, n_bins):
    ids = np.minimum((p * n_bins).astype(int), n_bins - 1)
    c = np.bincount(ids, minlength=n_bins)
    k = c > 0
    return (np.bincount(ids, y, n_bins)[k] / c[k], np.bincount(ids, p, n_bins)[k] / c[k], c[k])


def _bins_keep_empty(y, p, n_bins):
    ids = np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], p)
    c = np.bincount(ids, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(ids, y, n_bins) / c, np.bincount(ids, p, n_bins) / c, c


register(
    Check(
        "p07_8.reliability_bins",
        reference=reliability_bins,
        cases=_bins_cases,
        hint="edges = linspace(0, 1, n_bins + 1); bin = np.searchsorted(edges[1:-1], p); per non-empty bin "
        "return (mean of y, mean of p, count).",
        mistakes=[
            Mistake(
                "floor",
                _bins_floor,
                "int(p * n_bins) puts a probability on an edge into the UPPER bin; use "
                "np.searchsorted(edges[1:-1], p) (lower bin, scikit-learn's rule), and keep p in "
                "float64 (float32(0.2) lies just above the edge 0.2).",
            ),
            Mistake(
                "keep empty",
                _bins_keep_empty,
                "drop the empty bins instead of returning NaN for them.",
            ),
            Mistake(
                "swapped",
                lambda y, p, n: reliability_bins(y, p, n)[1::-1] + (reliability_bins(y, p, n)[2],),
                "return (fraction of positives, mean predicted probability, count) in that order.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- ECE
def _ece_cases():
    y, p = _probs(1, 200, power=2.0)
    y2, p2 = _probs(2, 200, power=0.5)
    return [
        Case((np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.3, 0.35, 0.8, 0.9]), 2)),
        Case((np.array([0, 0, 0, 1]), np.array([0.1, 0.1, 0.6, 0.9]), 5)),
        Case((y, p, 10), label="200 over-confident predictions, 10 bins"),
        Case((y2, p2, 10), label="200 under-confident predictions, 10 bins"),
    ]


def _ece_unweighted(y, p, n):
    t, q, _ = reliability_bins(y, p, n)
    return float(np.mean(np.abs(t - q)))


def _ece_signed(y, p, n):
    t, q, c = reliability_bins(y, p, n)
    return float(np.sum(c * (q - t)) / c.sum())


def _ece_max(y, p, n):
    t, q, _ = reliability_bins(y, p, n)
    return float(np.max(np.abs(t - q)))


register(
    Check(
        "p07_8.ece",
        reference=ece,
        cases=_ece_cases,
        hint="ECE = Σ_b (n_b / n) · |mean(y in b) − mean(p in b)| over the non-empty bins.",
        mistakes=[
            Mistake(
                "unweighted",
                _ece_unweighted,
                "weight each bin by its share of samples n_b / n; a plain mean over bins overweights nearly empty bins.",
            ),
            Mistake(
                "signed",
                _ece_signed,
                "take the absolute gap per bin: over- and under-confident bins must not cancel.",
            ),
            Mistake(
                "max",
                _ece_max,
                "that is the maximum calibration error (MCE); ECE is the weighted MEAN gap.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- Platt
def _platt_cases():
    rng = np.random.default_rng(3)
    s = rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-(2.5 * s + 0.5)))).astype(int)
    s2 = rng.normal(size=200) * 4
    y2 = (rng.random(200) < 1 / (1 + np.exp(-0.3 * s2))).astype(int)
    return [
        Case((np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 0.5]), np.array([0, 0, 1, 1, 1, 0]))),
        Case((s, y), label="300 scores from an under-confident model (true slope 2.5)"),
        Case((s2, y2), label="200 scores from an over-confident model (true slope 0.3)"),
        Case(
            (np.array([-1.0, -0.5, 0.5, 1.0]), np.array([0, 0, 1, 1])),
            hint="separable data: Platt's smoothed targets keep (a, b) finite.",
        ),
        Case(
            (np.array([-1.5, -0.2, 0.3, 0.9, 2.0, 2.5]), np.ones(6, dtype=int)),
            hint="only positives: every target is (N₊+1)/(N₊+2), so a = 0 and b = ln(N₊+1).",
        ),
    ]


def _platt_raw_targets(s, y):
    a, b = 0.0, 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a * s + b)))
        w = p * (1 - p)
        H = np.array([[w @ (s * s), w @ s], [w @ s, w.sum()]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(H, [(p - y) @ s, (p - y).sum()])
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-12 or abs(a) > 1e3:
            break
    return a, b


register(
    Check(
        "p07_8.platt_fit",
        reference=platt_fit,
        cases=_platt_cases,
        rtol=1e-6,
        atol=1e-6,
        hint="minimise the cross-entropy of σ(a·s + b) against the targets t₊ = (N₊+1)/(N₊+2), "
        "t₋ = 1/(N₋+2) with Newton's method until the step is below 1e-10.",
        mistakes=[
            Mistake(
                "raw targets",
                _platt_raw_targets,
                "use Platt's smoothed targets (N₊+1)/(N₊+2) and 1/(N₋+2), not the raw 0/1 labels.",
            ),
            Mistake(
                "Platt's sign convention",
                lambda s, y: tuple(-v for v in platt_fit(s, y)),
                "return (a, b) for p = σ(a·s + b); Platt's paper writes 1/(1 + exp(A·s + B)), i.e. A = −a, B = −b.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- PAV
def _pav_cases():
    rng = np.random.default_rng(4)
    return [
        Case((np.array([1.0, 3.0, 2.0, 4.0]),)),
        Case(
            (np.array([4.0, 3.0, 2.0, 1.0]),),
            hint="a decreasing sequence pools into one block: its mean.",
        ),
        Case(
            (np.array([1.0, 5.0, 4.0, 0.0, 6.0]),),
            hint="after pooling, the new block may violate the one before it: keep merging backwards.",
        ),
        Case((np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0]),)),
        Case((rng.normal(size=30).cumsum() * 0.3 + rng.normal(size=30),), label="30 noisy values"),
    ]


def _pav_one_pass(y):
    y = y.astype(float).copy()
    for i in range(1, len(y)):
        if y[i - 1] > y[i]:
            y[i - 1] = y[i] = (y[i - 1] + y[i]) / 2
    return y


def _pav_running_max(y):
    return np.maximum.accumulate(y.astype(float))


def _pav_mean_of_means(y):
    blocks = []
    for v in y.astype(float):
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m, n = blocks.pop()
            blocks[-1] = [(blocks[-1][0] + m) / 2, blocks[-1][1] + n]
    return np.repeat([b[0] for b in blocks], [b[1] for b in blocks])


register(
    Check(
        "p07_8.pav",
        reference=pav,
        cases=_pav_cases,
        hint="keep a stack of blocks (mean, size); push each value; while the last two blocks decrease, "
        "merge them into their size-weighted mean.",
        mistakes=[
            Mistake(
                "one pass",
                _pav_one_pass,
                "one pass of pairwise averaging is not enough: a merged block can violate the block "
                "before it, so keep merging backwards (use a stack).",
            ),
            Mistake(
                "running max",
                _pav_running_max,
                "a running maximum is monotone but not the least-squares fit: pool violators into their mean.",
            ),
            Mistake(
                "mean of means",
                _pav_mean_of_means,
                "merge blocks by their size-weighted mean, not the plain mean of the two block means.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- isotonic calibration
def _iso_cases():
    rng = np.random.default_rng(5)
    s = rng.normal(size=80)
    y = (rng.random(80) < 1 / (1 + np.exp(-3 * s))).astype(float)
    return [
        Case(
            (
                np.array([0.1, 0.4, 0.35, 0.8]),
                np.array([0.0, 1.0, 0.0, 1.0]),
                np.array([0.0, 0.2, 0.375, 0.9]),
            )
        ),
        Case(
            (
                np.array([0.3, 0.1, 0.3, 0.7, 0.5]),
                np.array([1.0, 0.0, 0.0, 1.0, 0.0]),
                np.array([0.3, 0.4, 0.6]),
            ),
            hint="equal scores are pooled first (mean of their labels), then PAV runs on the sorted unique scores.",
        ),
        Case(
            (s, y, np.linspace(-3, 3, 13)), label="80 calibration scores; 13 new scores in [-3, 3]"
        ),
    ]


def _iso_unsorted(sc, y, new):
    fit = ref.pav(y)
    return np.interp(new, np.sort(sc), fit)


def _iso_step(sc, y, new):
    iso = ref.IsotonicRegression().fit(sc, y)
    idx = np.clip(
        np.searchsorted(iso.X_thresholds_, new, side="right") - 1, 0, len(iso.X_thresholds_) - 1
    )
    return iso.y_thresholds_[idx]


register(
    Check(
        "p07_8.isotonic_calibrate",
        reference=isotonic_calibrate,
        cases=_iso_cases,
        hint="sort by score, pool equal scores, run PAV on the pooled labels (weighted by their counts), "
        "then np.interp(scores_new, unique_scores, fitted).",
        mistakes=[
            Mistake(
                "not sorted",
                _iso_unsorted,
                "sort the calibration samples by score before running PAV on their labels.",
            ),
            Mistake(
                "step",
                _iso_step,
                "interpolate linearly between fitted points (np.interp), do not hold the previous value.",
            ),
        ],
    )
)
