"""Checks for Project 10 — feature engineering (standardise, min–max, one-hot, impute,
polynomial features, uniform binning). References are in :mod:`ml2llm.classical.preprocessing`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import preprocessing as ref


def _fit_apply(seed, n_fit=12, n=5, d=3, scale=(1.0, 10.0, 100.0)):
    rng = np.random.default_rng(seed)
    s = np.asarray(scale[:d])
    return rng.normal(size=(n_fit, d)) * s + 3.0, rng.normal(size=(n, d)) * s + 2.0


# ----------------------------------------------------------------- 10.1 standardise
def _std_cases():
    A, B = _fit_apply(0)
    const = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    return [
        Case((np.array([[1.0], [3.0]]), np.array([[2.0], [5.0]]))),
        Case((A, B), label="X_fit (12, 3), X (5, 3) on scales 1, 10, 100"),
        Case(
            (const, np.array([[2.0, 5.0], [4.0, 6.0]])),
            label="second feature constant in X_fit",
            hint="a constant feature has std 0: divide by 1 instead.",
        ),
    ]


def _std(ddof=0, stats_from_x=False, guard=True, center=True):
    def wrong(X_fit, X):
        S = X if stats_from_x else X_fit
        sd = S.std(axis=0, ddof=ddof)
        if guard:
            sd = np.where(sd == 0, 1.0, sd)
        with np.errstate(divide="ignore", invalid="ignore"):
            return ((X - S.mean(axis=0)) if center else X) / sd

    return wrong


register(
    Check(
        "p10.standardize",
        reference=ref.standardize,
        cases=_std_cases,
        hint="z = (x − mean) / std, with the mean and std of X_fit (per column, axis=0).",
        mistakes=[
            Mistake(
                "stats from X",
                _std(stats_from_x=True),
                "leakage: compute mean and std on X_fit (the training data), then apply them to X.",
            ),
            Mistake(
                "ddof=1", _std(ddof=1), "use the population std (ddof=0), as scikit-learn does."
            ),
            Mistake(
                "no zero guard",
                _std(guard=False),
                "a constant feature has std 0: replace a zero std by 1 so you never divide by 0.",
            ),
            Mistake(
                "no centring", _std(center=False), "subtract the mean before dividing by the std."
            ),
        ],
    )
)


# ----------------------------------------------------------------- 10.2 min-max
def _minmax_cases():
    A, B = _fit_apply(1)
    return [
        Case((np.array([[0.0], [10.0]]), np.array([[5.0], [20.0]]))),
        Case((A, B), label="X_fit (12, 3), X (5, 3)"),
        Case(
            (A, B),
            {"feature_range": (-1.0, 1.0)},
            label="X_fit (12, 3), X (5, 3), feature_range=(-1, 1)",
        ),
    ]


def _mm_from_x(X_fit, X, feature_range=(0.0, 1.0)):
    return ref.min_max_scale(X, X, feature_range)


def _mm_ignores_range(X_fit, X, feature_range=(0.0, 1.0)):
    return ref.min_max_scale(X_fit, X, (0.0, 1.0))


def _mm_by_max(X_fit, X, feature_range=(0.0, 1.0)):
    lo, hi = feature_range
    return lo + (X - X_fit.min(axis=0)) / X_fit.max(axis=0) * (hi - lo)


register(
    Check(
        "p10.min_max_scale",
        reference=ref.min_max_scale,
        cases=_minmax_cases,
        hint="x' = a + (x − min)(b − a)/(max − min) with min and max of X_fit and (a, b) = feature_range.",
        mistakes=[
            Mistake(
                "stats from X", _mm_from_x, "leakage: take min and max from X_fit, not from X."
            ),
            Mistake(
                "ignores feature_range",
                _mm_ignores_range,
                "map onto feature_range = (a, b): multiply by (b − a) and add a.",
            ),
            Mistake("divide by max", _mm_by_max, "divide by the range (max − min), not by max."),
        ],
    )
)


# ----------------------------------------------------------------- 10.3 one-hot
def _onehot_cases():
    return [
        # string values travel as lists (the engine's in-place check compares numeric arrays)
        Case((["b", "a", "c", "a"], ["a", "b", "c"])),
        Case(
            (["red", "blue", "purple"], ["blue", "green", "red"]),
            hint="an unknown category ('purple') is a row of zeros.",
        ),
        Case(
            (np.array([3, 1, 3]), [1, 2, 3]),
            hint="a category absent from `values` still gets its column.",
        ),
        Case((["z"], ["x", "z"])),
    ]


def _oh_unique(values, categories):
    values = np.asarray(values)
    cats = np.unique(values)
    return (np.asarray(values)[:, None] == cats[None, :]).astype(float)


def _oh_searchsorted(values, categories):
    cats = np.asarray(categories)
    idx = np.clip(np.searchsorted(cats, values), 0, len(cats) - 1)
    return np.eye(len(cats))[idx]


def _oh_drop_first(values, categories):
    return ref.one_hot(values, categories)[:, 1:]


register(
    Check(
        "p10.one_hot",
        reference=ref.one_hot,
        cases=_onehot_cases,
        hint="one column per entry of `categories` (in that order): 1.0 where the value equals it.",
        mistakes=[
            Mistake(
                "categories from values",
                _oh_unique,
                "encode against the given `categories` (learned at fit time), not np.unique(values).",
            ),
            Mistake(
                "unknown gets a 1",
                _oh_searchsorted,
                "an unknown category must give a row of zeros (every column 0), not the nearest category.",
            ),
            Mistake(
                "drop first", _oh_drop_first, "keep every category's column (no drop='first' here)."
            ),
        ],
    )
)


# ----------------------------------------------------------------- 10.4 impute
def _impute_cases():
    A, B = _fit_apply(2, n_fit=10, n=6)
    A[[0, 3, 7], [0, 1, 2]] = np.nan
    B[[1, 2, 4], [0, 2, 1]] = np.nan
    tie = np.array([[2.0], [1.0], [2.0], [1.0], [np.nan], [5.0]])
    return [
        Case((np.array([[1.0], [np.nan], [5.0]]), np.array([[np.nan], [2.0]]))),
        Case(
            (A, B),
            {"strategy": "mean"},
            label="X_fit (10, 3) and X (6, 3) with NaNs, strategy='mean'",
        ),
        Case(
            (A, B),
            {"strategy": "median"},
            label="X_fit (10, 3) and X (6, 3) with NaNs, strategy='median'",
        ),
        Case(
            (tie, np.array([[np.nan], [7.0]])),
            {"strategy": "most_frequent"},
            label="most_frequent with a tie between 1 and 2",
            hint="on a tie, take the smallest value.",
        ),
    ]


def _imp(stat=None, from_x=False, fill_zero=False):
    def wrong(X_fit, X, strategy="mean"):
        X = np.array(X, dtype=float)
        S = X if from_x else X_fit
        for j in range(X.shape[1]):
            if fill_zero:
                value = 0.0
            elif stat is not None:
                value = stat(S[:, j], strategy)
            else:
                value = ref.impute(S[:, j : j + 1], np.array([[np.nan]]), strategy)[0, 0]
            X[np.isnan(X[:, j]), j] = value
        return X

    return wrong


def _nan_unaware(col, strategy):
    if strategy == "mean":
        return np.mean(col)
    if strategy == "median":
        return np.median(col)
    vals, counts = np.unique(col, return_counts=True)
    return vals[np.argmax(counts)]


def _tie_largest(col, strategy):
    col = col[~np.isnan(col)]
    if strategy != "most_frequent":
        return ref.impute(col[:, None], np.array([[np.nan]]), strategy)[0, 0]
    vals, counts = np.unique(col, return_counts=True)
    return vals[len(vals) - 1 - np.argmax(counts[::-1])]


register(
    Check(
        "p10.impute",
        reference=ref.impute,
        cases=_impute_cases,
        hint="per column: the statistic of X_fit's non-missing values, written into X's NaNs only.",
        mistakes=[
            Mistake(
                "NaN-unaware statistic",
                _imp(stat=_nan_unaware),
                "ignore NaNs when computing the statistic (np.nanmean / np.nanmedian, or mask them out).",
            ),
            Mistake(
                "stats from X",
                _imp(from_x=True),
                "leakage: learn the fill value from X_fit, not from X.",
            ),
            Mistake(
                "fill zero", _imp(fill_zero=True), "fill with the learned statistic, not with 0."
            ),
            Mistake(
                "tie largest",
                _imp(stat=_tie_largest),
                "most_frequent ties go to the smallest value (np.unique sorts; argmax takes the first).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 10.5 polynomial features
def _poly_cases():
    rng = np.random.default_rng(3)
    return [
        Case((np.array([[2.0, 3.0]]), 2)),
        Case((rng.normal(size=(4, 3)),), {"degree": 2}, label="X (4, 3), degree=2"),
        Case((rng.normal(size=(3, 2)),), {"degree": 3}, label="X (3, 2), degree=3"),
        Case((np.array([[1.5], [-2.0]]), 1), hint="degree 1: the bias column and the features."),
    ]


def _poly_powers_only(X, degree=2):
    return np.column_stack([np.ones(len(X))] + [X**k for k in range(1, degree + 1)])


def _poly_no_bias(X, degree=2):
    return ref.polynomial_features(X, degree)[:, 1:]


def _poly_product(X, degree=2):
    from itertools import product

    cols = [np.ones(len(X))]
    for k in range(1, degree + 1):
        for combo in product(range(X.shape[1]), repeat=k):
            cols.append(np.prod(X[:, combo], axis=1))
    return np.column_stack(cols)


def _poly_interactions_only(X, degree=2):
    from itertools import combinations

    cols = [np.ones(len(X))]
    for k in range(1, degree + 1):
        for combo in combinations(range(X.shape[1]), k):
            cols.append(np.prod(X[:, combo], axis=1))
    return np.column_stack(cols)


register(
    Check(
        "p10.polynomial_features",
        reference=ref.polynomial_features,
        cases=_poly_cases,
        hint="columns: 1, then every monomial of degree 1, 2, … in itertools.combinations_with_replacement order.",
        mistakes=[
            Mistake(
                "powers only",
                _poly_powers_only,
                "include the interactions (products of different features such as x0·x1), not only powers.",
            ),
            Mistake("no bias", _poly_no_bias, "start with the bias column of ones (degree 0)."),
            Mistake(
                "product",
                _poly_product,
                "each monomial once: x0·x1 and x1·x0 are the same (use combinations_with_replacement).",
            ),
            Mistake(
                "interactions only",
                _poly_interactions_only,
                "include the squares too (x0², …): use combinations_with_replacement, not combinations.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 10.6 uniform binning
def _bin_cases():
    A, B = _fit_apply(4, n_fit=15, n=6)
    B[0] = A.min(axis=0)
    B[1] = A.max(axis=0)
    return [
        Case((np.array([[0.0], [10.0]]), np.array([[0.0], [2.5], [5.0], [9.9], [10.0]]), 4)),
        Case(
            (A, B),
            {"n_bins": 3},
            label="X_fit (15, 3), X (6, 3) incl. X_fit's min and max, n_bins=3",
        ),
        Case(
            (np.array([[0.0], [1.0]]), np.array([[-5.0], [0.5], [7.0]]), 2),
            hint="values outside X_fit's range go to the first or last bin.",
        ),
    ]


def _bin_digitize(X_fit, X, n_bins=5):
    out = np.empty(X.shape)
    for j in range(X.shape[1]):
        edges = np.linspace(X_fit[:, j].min(), X_fit[:, j].max(), n_bins + 1)
        out[:, j] = np.digitize(X[:, j], edges)
    return out


def _bin_from_x(X_fit, X, n_bins=5):
    return ref.bin_uniform(X, X, n_bins)


def _bin_n_edges(X_fit, X, n_bins=5):
    out = np.empty(X.shape)
    for j in range(X.shape[1]):
        edges = np.linspace(X_fit[:, j].min(), X_fit[:, j].max(), n_bins)
        out[:, j] = np.clip(np.searchsorted(edges[1:-1], X[:, j], side="right"), 0, n_bins - 1)
    return out


register(
    Check(
        "p10.bin_uniform",
        reference=ref.bin_uniform,
        cases=_bin_cases,
        hint="edges = linspace(min, max, n_bins + 1) of X_fit; bin = how many inner edges are ≤ x, clipped to 0…n_bins−1.",
        mistakes=[
            Mistake(
                "digitize all edges",
                _bin_digitize,
                "bins are numbered 0 … n_bins − 1: use only the inner edges (edges[1:-1]) and clip.",
            ),
            Mistake(
                "edges from X", _bin_from_x, "leakage: compute the edges from X_fit, not from X."
            ),
            Mistake("n_bins edges", _bin_n_edges, "n_bins bins need n_bins + 1 edges."),
        ],
    )
)
