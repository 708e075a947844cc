"""Project 07.8 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def reliability_bins(y_true, y_prob, n_bins):
    edges = np.linspace(0, 1, n_bins + 1)
    frac, mean, count = [], [], []
    for b in range(n_bins):
        lo, hi = edges[b], edges[b + 1]
        inside = (y_prob > lo) & (y_prob <= hi) if b > 0 else (y_prob <= hi)
        if b == n_bins - 1:
            inside = y_prob > lo if b > 0 else np.ones_like(y_prob, bool)
        if inside.any():
            frac.append(y_true[inside].mean())
            mean.append(y_prob[inside].mean())
            count.append(int(inside.sum()))
    return np.array(frac), np.array(mean), np.array(count)


def ece(y_true, y_prob, n_bins):
    frac, mean, count = reliability_bins(y_true, y_prob, n_bins)
    return float(np.dot(count / len(y_true), np.abs(frac - mean)))


def platt_fit(scores, y):
    from scipy.optimize import minimize

    n1 = y.sum()
    n0 = len(y) - n1
    t = np.where(y == 1, (n1 + 1) / (n1 + 2), 1 / (n0 + 2))

    def nll(ab):
        z = ab[0] * scores + ab[1]
        return np.sum(np.logaddexp(0, z) - t * z)

    def grad(ab):
        p = 1 / (1 + np.exp(-(ab[0] * scores + ab[1])))
        return np.array([(p - t) @ scores, (p - t).sum()])

    res = minimize(nll, [0.0, 0.0], jac=grad, method="BFGS", options={"gtol": 1e-11})
    return tuple(res.x)


def pav(y):
    fit = np.asarray(y, float).copy()
    while True:  # repeat until monotone: pool every maximal decreasing run's violators
        diffs = np.flatnonzero(np.diff(fit) < -1e-15)
        if not len(diffs):
            return fit
        i = diffs[0]
        j = i + 1
        lo = i
        while lo > 0 and np.isclose(fit[lo - 1], fit[i]):
            lo -= 1
        hi = j
        while hi + 1 < len(fit) and np.isclose(fit[hi + 1], fit[j]):
            hi += 1
        fit[lo : hi + 1] = fit[lo : hi + 1].mean()


def isotonic_calibrate(scores_cal, y_cal, scores_new):
    xs, inv = np.unique(scores_cal, return_inverse=True)
    means = np.bincount(inv, y_cal) / np.bincount(inv)
    counts = np.bincount(inv)
    fitted = pav(np.repeat(means, counts))
    per_unique = fitted[np.cumsum(counts) - 1]
    return np.interp(scores_new, xs, per_unique)


REFERENCES = {
    "p07_8.reliability_bins": reliability_bins,
    "p07_8.ece": ece,
    "p07_8.platt_fit": platt_fit,
    "p07_8.pav": pav,
    "p07_8.isotonic_calibrate": isotonic_calibrate,
}


# --- typical mistakes ------------------------------------------------------------------
def bins_by_floor(y_true, y_prob, n_bins):
    ids = np.clip(np.floor(y_prob * n_bins).astype(int), 0, n_bins - 1)
    out = [
        (y_true[ids == b].mean(), y_prob[ids == b].mean(), (ids == b).sum()) for b in np.unique(ids)
    ]
    return tuple(np.array(v) for v in zip(*out))


def bins_with_empty(y_true, y_prob, n_bins):
    ids = np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], y_prob)
    count = np.bincount(ids, minlength=n_bins)
    with np.errstate(invalid="ignore"):
        return (
            np.bincount(ids, y_true, n_bins) / count,
            np.bincount(ids, y_prob, n_bins) / count,
            count,
        )


def ece_plain_mean(y_true, y_prob, n_bins):
    frac, mean, _ = reliability_bins(y_true, y_prob, n_bins)
    return np.abs(frac - mean).mean()


def ece_no_abs(y_true, y_prob, n_bins):
    frac, mean, count = reliability_bins(y_true, y_prob, n_bins)
    return np.dot(count, mean - frac) / count.sum()


def platt_on_labels(scores, y):
    from scipy.optimize import minimize

    def nll(ab):
        z = ab[0] * scores + ab[1]
        return np.sum(np.logaddexp(0, z) - y * z) + 1e-9 * (ab @ ab)

    return tuple(minimize(nll, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10}).x)


def platt_paper_sign(scores, y):
    a, b = platt_fit(scores, y)
    return -a, -b


def pav_single_sweep(y):
    out = np.array(y, float)
    for i in range(len(out) - 1):
        if out[i] > out[i + 1]:
            out[i] = out[i + 1] = (out[i] + out[i + 1]) / 2
    return out


def pav_cummax(y):
    return np.maximum.accumulate(np.asarray(y, float))


def iso_forgets_sorting(scores_cal, y_cal, scores_new):
    return np.interp(scores_new, np.sort(scores_cal), pav(y_cal))


def iso_step_function(scores_cal, y_cal, scores_new):
    xs, inv = np.unique(scores_cal, return_inverse=True)
    counts = np.bincount(inv)
    fitted = pav(np.repeat(np.bincount(inv, y_cal) / counts, counts))[np.cumsum(counts) - 1]
    idx = np.clip(np.searchsorted(xs, scores_new, side="right") - 1, 0, len(xs) - 1)
    return fitted[idx]


MISTAKES = {
    "p07_8.reliability_bins": [
        (bins_by_floor, "upper bin"),
        (bins_with_empty, "drop the empty bins"),
    ],
    "p07_8.ece": [
        (ece_plain_mean, "share of samples"),
        (ece_no_abs, "absolute gap"),
    ],
    "p07_8.platt_fit": [
        (platt_on_labels, "smoothed targets"),
        (platt_paper_sign, "Platt's paper"),
    ],
    "p07_8.pav": [
        (pav_single_sweep, "merging backwards"),
        (pav_cummax, "running maximum"),
    ],
    "p07_8.isotonic_calibrate": [
        (iso_forgets_sorting, "sort the calibration samples"),
        (iso_step_function, "interpolate linearly"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
