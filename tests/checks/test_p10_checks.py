"""Project 10 checks pass correct code and catch typical wrong code with the right hint."""

from itertools import combinations_with_replacement

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def standardize(X_fit, X):
    mu = np.mean(X_fit, axis=0)
    sd = np.sqrt(np.mean((X_fit - mu) ** 2, axis=0))
    sd[sd == 0] = 1.0
    return (X - mu) / sd


def min_max_scale(X_fit, X, feature_range=(0.0, 1.0)):
    a, b = feature_range
    lo, hi = np.min(X_fit, axis=0), np.max(X_fit, axis=0)
    rng = np.where(hi > lo, hi - lo, 1.0)
    return (X - lo) / rng * (b - a) + a


def one_hot(values, categories):
    out = np.zeros((len(values), len(categories)))
    index = {c: k for k, c in enumerate(categories)}
    for i, v in enumerate(values):
        if v in index:
            out[i, index[v]] = 1
    return out


def impute(X_fit, X, strategy="mean"):
    X = X.copy()
    for j in range(X.shape[1]):
        seen = X_fit[~np.isnan(X_fit[:, j]), j]
        if strategy == "mean":
            v = np.nanmean(X_fit[:, j])
        elif strategy == "median":
            v = np.nanmedian(X_fit[:, j])
        else:
            counts = {}
            for s in seen:
                counts[s] = counts.get(s, 0) + 1
            v = min(counts, key=lambda s: (-counts[s], s))
        X[:, j] = np.where(np.isnan(X[:, j]), v, X[:, j])
    return X


def polynomial_features(X, degree=2):
    cols = [np.ones(X.shape[0])]
    for k in range(1, degree + 1):
        for combo in combinations_with_replacement(range(X.shape[1]), k):
            col = np.ones(X.shape[0])
            for j in combo:
                col = col * X[:, j]
            cols.append(col)
    return np.stack(cols, axis=1)


def bin_uniform(X_fit, X, n_bins=5):
    lo, hi = X_fit.min(axis=0), X_fit.max(axis=0)
    width = (hi - lo) / n_bins
    codes = np.floor((X - lo) / width)
    return np.clip(codes, 0, n_bins - 1).astype(float)


REFERENCES = {
    "p10.standardize": standardize,
    "p10.min_max_scale": min_max_scale,
    "p10.one_hot": one_hot,
    "p10.impute": impute,
    "p10.polynomial_features": polynomial_features,
    "p10.bin_uniform": bin_uniform,
}


# --- typical mistakes ------------------------------------------------------------------
def std_leaky(X_fit, X):
    return standardize(X, X)


def std_sample(X_fit, X):
    sd = X_fit.std(axis=0, ddof=1)
    sd[sd == 0] = 1
    return (X - X_fit.mean(axis=0)) / sd


def std_in_place(X_fit, X):
    X -= X_fit.mean(axis=0)
    sd = X_fit.std(axis=0)
    sd[sd == 0] = 1
    X /= sd
    return X


def mm_leaky(X_fit, X, feature_range=(0.0, 1.0)):
    return min_max_scale(X, X, feature_range)


def mm_no_range(X_fit, X, feature_range=(0.0, 1.0)):
    lo, hi = X_fit.min(axis=0), X_fit.max(axis=0)
    return (X - lo) / (hi - lo)


def mm_over_max(X_fit, X, feature_range=(0.0, 1.0)):
    a, b = feature_range
    return a + (b - a) * (X - X_fit.min(axis=0)) / X_fit.max(axis=0)


def oh_from_values(values, categories):
    return one_hot(values, sorted(set(np.asarray(values).tolist())))


def oh_nearest(values, categories):
    cats = list(categories)
    out = np.zeros((len(values), len(cats)))
    for i, v in enumerate(values):
        out[i, cats.index(v) if v in cats else 0] = 1
    return out


def oh_drop_first(values, categories):
    return one_hot(values, categories)[:, 1:]


def imp_nanmean_missing(X_fit, X, strategy="mean"):
    X = X.copy()
    fn = {"mean": np.mean, "median": np.median}.get(strategy, np.mean)
    for j in range(X.shape[1]):
        X[np.isnan(X[:, j]), j] = fn(X_fit[:, j])
    return X


def imp_leaky(X_fit, X, strategy="mean"):
    return impute(X, X, strategy)


def imp_zero(X_fit, X, strategy="mean"):
    return np.nan_to_num(X, nan=0.0)


def poly_powers_only(X, degree=2):
    return np.hstack([np.ones((len(X), 1))] + [X**k for k in range(1, degree + 1)])


def poly_no_bias(X, degree=2):
    return polynomial_features(X, degree)[:, 1:]


def bin_digitize(X_fit, X, n_bins=5):
    out = np.empty_like(X)
    for j in range(X.shape[1]):
        out[:, j] = np.digitize(
            X[:, j], np.linspace(X_fit[:, j].min(), X_fit[:, j].max(), n_bins + 1)
        )
    return out


def bin_leaky(X_fit, X, n_bins=5):
    return bin_uniform(X, X, n_bins)


def bin_few_edges(X_fit, X, n_bins=5):
    return bin_uniform(X_fit, X, n_bins - 1)


MISTAKES = {
    "p10.standardize": [
        (std_leaky, "leakage"),
        (std_sample, "ddof=0"),
        (std_in_place, "in place"),
    ],
    "p10.min_max_scale": [
        (mm_leaky, "leakage"),
        (mm_no_range, "feature_range"),
        (mm_over_max, "range (max − min)"),
    ],
    "p10.one_hot": [
        (oh_from_values, "not np.unique(values)"),
        (oh_nearest, "row of zeros"),
        (oh_drop_first, "keep every category"),
    ],
    "p10.impute": [
        (imp_nanmean_missing, "ignore nans"),
        (imp_leaky, "leakage"),
        (imp_zero, "not with 0"),
    ],
    "p10.polynomial_features": [
        (poly_powers_only, "interactions"),
        (poly_no_bias, "bias column"),
    ],
    "p10.bin_uniform": [
        (bin_digitize, "inner edges"),
        (bin_leaky, "leakage"),
        (bin_few_edges, "n_bins + 1 edges"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
