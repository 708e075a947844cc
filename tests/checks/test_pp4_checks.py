"""Project P4 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def release_decision(metrics, thresholds):
    failures = []
    for name in sorted(thresholds):
        kind, limit = thresholds[name]
        value = metrics.get(name, np.nan)
        ok = value >= limit if kind == "min" else value <= limit  # NaN compares False
        if not ok:
            failures.append(name)
    return len(failures) == 0, failures


def feature_profile(values, n_bins=10):
    x = np.sort(np.asarray(values, float)[np.isfinite(values)])
    edges = np.array([np.quantile(x, k / n_bins) for k in range(1, n_bins)])
    bins = np.digitize(x, edges)  # == searchsorted(side="right")
    return edges, np.array([np.mean(bins == k) for k in range(n_bins)])


def psi_from_profile(edges, fractions, values):
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    bins = np.digitize(x, edges)
    a = np.maximum([np.mean(bins == k) for k in range(len(fractions))], 1e-4)
    e = np.maximum(fractions, 1e-4)
    return float(np.sum(a * np.log(a / e)) + np.sum(e * np.log(e / a)))


REFERENCES = {
    "pp4.release_decision": release_decision,
    "pp4.feature_profile": feature_profile,
    "pp4.psi_from_profile": psi_from_profile,
}


# --- typical mistakes ------------------------------------------------------------------
def gate_strict(metrics, thresholds):
    fails = sorted(
        n
        for n, (k, v) in thresholds.items()
        if n not in metrics or not (metrics[n] > v if k == "min" else metrics[n] < v)
    )
    return not fails, fails


def gate_ignores_direction(metrics, thresholds):
    fails = sorted(n for n, (k, v) in thresholds.items() if n not in metrics or not metrics[n] >= v)
    return not fails, fails


def gate_nan_passes(metrics, thresholds):
    fails = sorted(
        n
        for n, (k, v) in thresholds.items()
        if n in metrics and (metrics[n] < v if k == "min" else metrics[n] > v)
    )
    return not fails, fails


def profile_with_min_max(values, n_bins=10):
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    edges = np.quantile(x, np.linspace(0, 1, n_bins + 1))
    return edges, np.histogram(x, edges)[0] / len(x)


def profile_counts(values, n_bins=10):
    edges, fr = feature_profile(values, n_bins)
    n = np.count_nonzero(~np.isnan(np.asarray(values, float)))
    return edges, np.rint(fr * n)


def profile_left_bins(values, n_bins=10):
    edges, _ = feature_profile(values, n_bins)
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    return edges, np.bincount(np.searchsorted(edges, x, side="left"), minlength=n_bins) / len(x)


def psi_unclipped(edges, fractions, values):
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    a = np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(fractions)) / len(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum((a - fractions) * np.log(a / fractions)))


def psi_counts_nan(edges, fractions, values):
    x = np.asarray(values, float)
    counts = np.bincount(
        np.searchsorted(edges, x[~np.isnan(x)], side="right"), minlength=len(fractions)
    )
    a, e = np.maximum(counts / len(x), 1e-4), np.maximum(fractions, 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


MISTAKES = {
    "pp4.release_decision": [
        (gate_strict, "inclusive"),
        (gate_ignores_direction, "ABOVE"),
        (gate_nan_passes, "missing (or NaN)"),
    ],
    "pp4.feature_profile": [
        (profile_with_min_max, "INNER edges"),
        (profile_counts, "store fractions"),
        (profile_left_bins, "side='right'"),
    ],
    "pp4.psi_from_profile": [
        (psi_unclipped, "clip both"),
        (psi_counts_nan, "ignore NaNs"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
