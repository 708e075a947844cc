"""Feature engineering from scratch: scalers, encoders, an imputer, polynomial features, binning.

Every transformer here learns its statistics in ``fit`` (on the training data only) and applies
them in ``transform``; that split is what prevents leakage when they sit inside a
scikit-learn ``Pipeline`` or ``ColumnTransformer``, which they do unchanged (they follow the
estimator API: ``__init__`` stores parameters, fitted attributes end in ``_``,
``get_feature_names_out`` names the output columns).

- :class:`StandardScaler`: :math:`z = (x - \\mu)/\\sigma` (population :math:`\\sigma`, a constant
  feature gets :math:`\\sigma = 1`); NaNs are ignored in ``fit`` and kept in ``transform``.
- :class:`MinMaxScaler`: :math:`x' = a + (x - \\min)(b - a)/(\\max - \\min)`.
- :class:`OneHotEncoder` (dense output, ``handle_unknown`` = ``"error"`` or ``"ignore"``, optional
  ``drop="first"``) and :class:`OrdinalEncoder` (``handle_unknown`` = ``"error"`` or
  ``"use_encoded_value"``). Categories are the sorted unique training values; a missing value
  (NaN, or None in an object column) is a category of its own, listed last (None before
  NaN), as in scikit-learn.
- :class:`SimpleImputer`: mean, median, most frequent (ties: smallest value) or a constant.

The estimator tags say what each accepts, the way scikit-learn's own transformers declare
them: the scalers and encoders allow NaN, the imputer allows it when NaN is what it imputes,
the encoders take categorical input.
- :class:`PolynomialFeatures`: all monomials up to ``degree`` in scikit-learn's column order,
  or only the interactions.
- :class:`KBinsDiscretizer`: uniform or quantile bin edges, ordinal or one-hot output.

Not here: sparse matrices, ``min_frequency``/``max_categories`` grouping, k-means binning,
inverse transforms.

>>> import numpy as np
>>> StandardScaler().fit_transform(np.array([[1.0], [3.0]])).ravel().tolist()
[-1.0, 1.0]
>>> OneHotEncoder(handle_unknown="ignore").fit([["a"], ["b"]]).transform([["b"], ["z"]]).tolist()
[[0.0, 1.0], [0.0, 0.0]]
"""

from __future__ import annotations

from itertools import combinations, combinations_with_replacement
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "KBinsDiscretizer",
    "MinMaxScaler",
    "OneHotEncoder",
    "OrdinalEncoder",
    "PolynomialFeatures",
    "SimpleImputer",
    "StandardScaler",
    "bin_uniform",
    "impute",
    "min_max_scale",
    "one_hot",
    "polynomial_features",
    "standardize",
]


# ----------------------------------------------------------------- exercise references
def standardize(X_fit, X):
    """Standardise ``X`` with the mean and (population) std of ``X_fit``; std 0 becomes 1."""
    mean = X_fit.mean(axis=0)
    std = X_fit.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X - mean) / std


def min_max_scale(X_fit, X, feature_range=(0.0, 1.0)):
    """Map ``X_fit``'s per-feature [min, max] onto ``feature_range`` and apply that to ``X``."""
    lo, hi = feature_range
    data_min, data_max = X_fit.min(axis=0), X_fit.max(axis=0)
    span = data_max - data_min
    span = np.where(span == 0, 1.0, span)
    return lo + (X - data_min) * (hi - lo) / span


def one_hot(values, categories):
    """One-hot encode a 1-D array against ``categories``; unknown values give a row of zeros."""
    values = np.asarray(values)
    return (values[:, None] == np.asarray(categories)[None, :]).astype(float)


def impute(X_fit, X, strategy="mean"):
    """Replace NaNs in ``X`` column by column with a statistic of ``X_fit`` (NaNs ignored).

    ``strategy`` is ``"mean"``, ``"median"`` or ``"most_frequent"`` (ties: smallest value).
    """
    X = np.array(X, dtype=float, copy=True)
    for j in range(X.shape[1]):
        col = X_fit[:, j][~np.isnan(X_fit[:, j])]
        if strategy == "mean":
            stat = col.mean()
        elif strategy == "median":
            stat = np.median(col)
        else:
            vals, counts = np.unique(col, return_counts=True)
            stat = vals[np.argmax(counts)]
        X[np.isnan(X[:, j]), j] = stat
    return X


def polynomial_features(X, degree=2):
    """All monomials of total degree 0..``degree`` in scikit-learn's column order."""
    n, d = X.shape
    cols = [np.ones(n)]
    for k in range(1, degree + 1):
        for combo in combinations_with_replacement(range(d), k):
            cols.append(np.prod(X[:, combo], axis=1))
    return np.column_stack(cols)


def bin_uniform(X_fit, X, n_bins=5):
    """Ordinal bin index of ``X`` using ``n_bins`` equal-width bins spanning ``X_fit``'s range.

    Values below the first edge go to bin 0 and above the last to bin ``n_bins - 1``.
    """
    out = np.empty(X.shape, dtype=float)
    for j in range(X.shape[1]):
        edges = np.linspace(X_fit[:, j].min(), X_fit[:, j].max(), n_bins + 1)
        out[:, j] = np.clip(np.searchsorted(edges[1:-1], X[:, j], side="right"), 0, n_bins - 1)
    return out


# ----------------------------------------------------------------- helpers
def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(map(str, allowed))}, got {value!r}")


def _is_nan_scalar(v):
    return v is None or (isinstance(v, (float, np.floating)) and np.isnan(v))


def _missing_mask(X, missing_values):
    if _is_nan_scalar(missing_values):
        if X.dtype.kind == "f":
            return np.isnan(X)
        if X.dtype.kind == "O":
            return (
                np.vectorize(_is_nan_scalar, otypes=[bool])(X)
                if X.size
                else np.zeros(X.shape, bool)
            )
        return np.zeros(X.shape, dtype=bool)
    return X == missing_values


def _categorical(est, X, reset):
    """Validate a categorical input: 2-D, numbers or strings; NaN/None allowed (a category),
    infinity not."""
    X = validate_data(est, X, dtype=None, ensure_all_finite=False, reset=reset)
    if X.dtype.kind not in "OUSifb":
        raise ValueError(f"X must hold numbers or strings, got dtype {X.dtype}")
    if X.dtype.kind in "OUS":
        X = X.astype(object)
        for j in range(X.shape[1]):
            _check_uniform_types(X[:, j], j)
    if X.dtype.kind == "f" and np.isinf(X).any():
        raise ValueError("Input X contains infinity; encoders accept numbers, strings and NaN")
    return X


def _is_none(col):
    if col.dtype.kind != "O":
        return np.zeros(col.shape, dtype=bool)
    return np.fromiter((v is None for v in col), dtype=bool, count=len(col))


def _is_nan(col):
    if col.dtype.kind == "f":
        return np.isnan(col)
    if col.dtype.kind != "O":
        return np.zeros(col.shape, dtype=bool)
    return np.fromiter(
        (isinstance(v, (float, np.floating)) and np.isnan(v) for v in col),
        dtype=bool,
        count=len(col),
    )


def _check_uniform_types(col, j):
    """An object column must hold only strings or only numbers (missing values aside)."""
    kinds = set()
    for v in col:
        if isinstance(v, str):
            kinds.add("str")
        elif isinstance(v, (Real, np.number, np.bool_)):
            kinds.add("number")  # NaN included: it is the missing category
        elif v is not None:
            raise TypeError(
                f"column {j}: the argument must be uniformly strings or numbers (missing "
                f"values aside), got a {type(v).__name__}"
            )
    if {"str", "number"} <= kinds and not _only_nan_numbers(col):
        raise TypeError(
            f"column {j} mixes strings and numbers: the argument must be uniformly strings "
            f"or numbers; cast it to one type first (e.g. X.astype(str))"
        )


def _only_nan_numbers(col):
    """Strings plus NaN is fine (NaN is missing); strings plus real numbers is not."""
    return all(
        isinstance(v, str) or v is None or (isinstance(v, (float, np.floating)) and np.isnan(v))
        for v in col
    )


def _unique_sorted(col, name):
    """Sorted unique non-missing values, then None, then NaN (scikit-learn's order)."""
    none, nan = _is_none(col), _is_nan(col)
    present = col[~(none | nan)]
    uniques = np.unique(present) if present.size else present[:0]
    extra = [v for v, m in ((None, none), (np.nan, nan)) if m.any()]
    if not extra:
        return uniques
    out = np.empty(len(uniques) + len(extra), dtype=object if col.dtype.kind == "O" else col.dtype)
    out[: len(uniques)] = uniques
    out[len(uniques) :] = extra
    return out


def _input_names(est, input_features):
    if input_features is not None:
        names = np.asarray(input_features, dtype=object)
        if len(names) != est.n_features_in_:
            raise ValueError(
                f"input_features must have {est.n_features_in_} names, got {len(names)}"
            )
        return names
    if hasattr(est, "feature_names_in_"):
        return est.feature_names_in_
    return np.array([f"x{i}" for i in range(est.n_features_in_)], dtype=object)


# ----------------------------------------------------------------- scalers
class StandardScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardise features: ``z = (x - mean_) / scale_``.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract the mean.
    with_std : bool, default=True
        Divide by the population standard deviation (``ddof=0``, as scikit-learn).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
    var_ : ndarray of shape (n_features,) or None
    scale_ : ndarray of shape (n_features,) or None
        ``sqrt(var_)``, with 1 where the variance is (numerically) zero so constant
        features map to 0 instead of NaN.
    n_samples_seen_ : ndarray of shape (n_features,)
        Non-missing values per feature.
    """

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        """Learn the mean and standard deviation of each feature (NaNs ignored)."""
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        self.n_samples_seen_ = np.sum(~np.isnan(X), axis=0)
        with np.errstate(invalid="ignore"), _quiet_nan_warnings():
            mean = np.nanmean(X, axis=0)
            var = np.nanvar(X, axis=0)
        self.mean_ = mean if self.with_mean else None
        if self.with_std:
            self.var_ = var
            scale = np.sqrt(var)
            # same rule as scikit-learn: a variance within rounding of 0 counts as 0
            tiny = 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)
            self.scale_ = np.where(scale < tiny, 1.0, scale)
        else:
            self.var_ = self.scale_ = None
        return self

    def transform(self, X):
        """Apply ``(X - mean_) / scale_``."""
        check_is_fitted(self, "n_samples_seen_")
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False)
        out = X.copy()
        if self.with_mean:
            out -= self.mean_
        if self.with_std:
            out /= self.scale_
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # ignored in fit, kept in transform
        return tags


class _quiet_nan_warnings:
    """Silence numpy's 'mean of empty slice' for all-NaN columns (they stay NaN)."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


class MinMaxScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale each feature linearly so the training range maps onto ``feature_range``.

    Parameters
    ----------
    feature_range : tuple (min, max), default=(0, 1)
    clip : bool, default=False
        Clip transformed values of unseen data to ``feature_range``.

    Attributes
    ----------
    data_min_, data_max_, data_range_ : ndarray of shape (n_features,)
    scale_, min_ : ndarray of shape (n_features,)
        ``transform(X) = X * scale_ + min_``; a constant feature gets ``scale_`` as if its
        range were 1.
    """

    def __init__(self, feature_range=(0, 1), clip=False):
        self.feature_range = feature_range
        self.clip = clip

    def fit(self, X, y=None):
        """Learn each feature's minimum and maximum (NaNs ignored)."""
        try:
            lo, hi = (float(v) for v in self.feature_range)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"feature_range must be a pair (min, max), got {self.feature_range!r}"
            ) from exc
        if not lo < hi:
            raise ValueError(f"feature_range must have min < max, got {self.feature_range!r}")
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        with _quiet_nan_warnings():
            self.data_min_ = np.nanmin(X, axis=0)
            self.data_max_ = np.nanmax(X, axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        span = np.where(self.data_range_ == 0, 1.0, self.data_range_)
        self.scale_ = (hi - lo) / span
        self.min_ = lo - self.data_min_ * self.scale_
        return self

    def transform(self, X):
        """Apply ``X * scale_ + min_`` (and clip if asked)."""
        check_is_fitted(self, "scale_")
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False)
        out = X * self.scale_ + self.min_
        if self.clip:
            out = np.clip(out, *self.feature_range)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # ignored in fit, kept in transform
        return tags


# ----------------------------------------------------------------- encoders
class OneHotEncoder(TransformerMixin, BaseEstimator):
    """One column per (feature, category) pair; dense output.

    Parameters
    ----------
    categories : "auto" or list of array-like, default="auto"
        ``"auto"``: the sorted unique training values of each feature.
    drop : None or "first", default=None
        ``"first"`` drops each feature's first category (a reference level, so the columns
        are not collinear with an intercept).
    handle_unknown : {"error", "ignore"}, default="error"
        ``"ignore"`` encodes a category unseen in ``fit`` as all zeros.

    Attributes
    ----------
    categories_ : list of ndarray
    """

    def __init__(self, categories="auto", drop=None, handle_unknown="error"):
        self.categories = categories
        self.drop = drop
        self.handle_unknown = handle_unknown

    def fit(self, X, y=None):
        """Learn the categories of each feature."""
        _check_choice("handle_unknown", self.handle_unknown, {"error", "ignore"})
        _check_choice("drop", self.drop, {None, "first"})
        X = _categorical(self, X, reset=True)
        self.categories_ = _fit_categories(self, X)
        return self

    def transform(self, X):
        """Return the dense one-hot matrix of shape (n_samples, total categories kept)."""
        check_is_fitted(self, "categories_")
        X = _categorical(self, X, reset=False)
        blocks = []
        for j, cats in enumerate(self.categories_):
            codes, known = _encode_column(X[:, j], cats)
            if not known.all() and self.handle_unknown == "error":
                bad = X[~known, j][0]
                raise ValueError(
                    f"column {j} has category {bad!r} unseen during fit; known: {list(cats)} "
                    f"(use handle_unknown='ignore' to encode it as zeros)"
                )
            block = np.zeros((X.shape[0], len(cats)))
            block[np.flatnonzero(known), codes[known]] = 1.0
            blocks.append(block[:, 1:] if self.drop == "first" else block)
        return np.hstack(blocks) if blocks else np.zeros((X.shape[0], 0))

    def get_feature_names_out(self, input_features=None):
        """``<feature>_<category>`` for every output column."""
        check_is_fitted(self, "categories_")
        names = _input_names(self, input_features)
        out = []
        for name, cats in zip(names, self.categories_):
            kept = cats[1:] if self.drop == "first" else cats
            out.extend(f"{name}_{c}" for c in kept)
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        return _encoder_tags(super().__sklearn_tags__())


class OrdinalEncoder(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Replace each category by its index in the sorted training categories.

    Parameters
    ----------
    categories : "auto" or list of array-like, default="auto"
        Pass an explicit order (e.g. ``[["low", "mid", "high"]]``) when the categories have one.
    handle_unknown : {"error", "use_encoded_value"}, default="error"
    unknown_value : int, float or None, default=None
        The code for unseen categories when ``handle_unknown="use_encoded_value"``
        (e.g. ``-1`` or ``np.nan``).

    Attributes
    ----------
    categories_ : list of ndarray
        NaN seen in ``fit`` is listed as a category but, as in
        scikit-learn (``encoded_missing_value=np.nan``), encodes to NaN.
    """

    def __init__(self, categories="auto", handle_unknown="error", unknown_value=None):
        self.categories = categories
        self.handle_unknown = handle_unknown
        self.unknown_value = unknown_value

    def fit(self, X, y=None):
        """Learn the categories of each feature."""
        _check_choice("handle_unknown", self.handle_unknown, {"error", "use_encoded_value"})
        if self.handle_unknown == "use_encoded_value" and not (
            isinstance(self.unknown_value, Real) and not isinstance(self.unknown_value, bool)
        ):
            raise ValueError(
                "unknown_value must be a number (e.g. -1 or np.nan) when "
                f"handle_unknown='use_encoded_value', got {self.unknown_value!r}"
            )
        X = _categorical(self, X, reset=True)
        self.categories_ = _fit_categories(self, X)
        return self

    def transform(self, X):
        """Return the float matrix of category codes."""
        check_is_fitted(self, "categories_")
        X = _categorical(self, X, reset=False)
        out = np.empty(X.shape, dtype=float)
        for j, cats in enumerate(self.categories_):
            codes, known = _encode_column(X[:, j], cats)
            if not known.all():
                if self.handle_unknown == "error":
                    raise ValueError(
                        f"column {j} has category {X[~known, j][0]!r} unseen during fit; "
                        f"known: {list(cats)}"
                    )
            out[:, j] = np.where(known, codes, np.nan if known.all() else self.unknown_value)
            out[_is_nan(X[:, j]), j] = np.nan  # as scikit-learn (None stays a category)
        return out

    def __sklearn_tags__(self):
        return _encoder_tags(super().__sklearn_tags__())


def _encoder_tags(tags):
    """scikit-learn's encoders: categorical input, NaN is a category."""
    tags.input_tags.categorical = True
    tags.input_tags.allow_nan = True
    return tags


def _fit_categories(est, X):
    if isinstance(est.categories, str):
        _check_choice("categories", est.categories, {"auto"})
        return [_unique_sorted(X[:, j], j) for j in range(X.shape[1])]
    if len(est.categories) != X.shape[1]:
        raise ValueError(
            f"categories must list one array per feature ({X.shape[1]}), got {len(est.categories)}"
        )
    cats = [np.asarray(c, dtype=X.dtype if X.dtype.kind != "f" else float) for c in est.categories]
    for j, c in enumerate(cats):
        codes, known = _encode_column(X[:, j], c)
        if not known.all():
            raise ValueError(f"column {j} has value {X[~known, j][0]!r} not in categories[{j}]")
    return cats


def _encode_column(col, cats):
    """Index of each value of ``col`` in ``cats`` (any order; missing values match the
    missing category of the same kind) and a mask of known values."""
    codes = np.zeros(len(col), dtype=int)
    known = np.zeros(len(col), dtype=bool)
    col_none, col_nan = _is_none(col), _is_nan(col)
    cat_none, cat_nan = _is_none(cats), _is_nan(cats)
    present = ~(col_none | col_nan)
    real = np.flatnonzero(~(cat_none | cat_nan))
    if real.size and present.any():
        try:
            order = np.argsort(cats[real], kind="stable")
            sorted_cats = cats[real][order]
            pos = np.clip(np.searchsorted(sorted_cats, col[present]), 0, len(real) - 1)
        except TypeError as exc:
            raise ValueError(
                "a column mixes strings and numbers; cast it to one type first"
            ) from exc
        codes[present] = real[order[pos]]
        known[present] = np.asarray(sorted_cats[pos] == col[present], dtype=bool)
    for col_mask, cat_mask in ((col_none, cat_none), (col_nan, cat_nan)):
        if cat_mask.any():
            codes[col_mask] = np.flatnonzero(cat_mask)[0]
            known[col_mask] = True
    return codes, known


# ----------------------------------------------------------------- imputer
class SimpleImputer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Fill missing values column by column with a statistic learned in ``fit``.

    Parameters
    ----------
    missing_values : number, str, None or np.nan, default=np.nan
    strategy : {"mean", "median", "most_frequent", "constant"}, default="mean"
        ``most_frequent`` and ``constant`` also work on strings.
    fill_value : scalar or None, default=None
        Used with ``"constant"``; defaults to 0 for numbers and ``"missing_value"`` for strings.

    Attributes
    ----------
    statistics_ : ndarray of shape (n_features,)
        A column that is entirely missing in ``fit`` has statistic NaN and stays missing
        (scikit-learn drops such columns by default; this class keeps the shape).
    """

    def __init__(self, missing_values=np.nan, strategy="mean", fill_value=None):
        self.missing_values = missing_values
        self.strategy = strategy
        self.fill_value = fill_value

    def _validate(self, X, reset):
        numeric = self.strategy in {"mean", "median"}
        nan_missing = _is_nan_scalar(self.missing_values)
        X = validate_data(
            self,
            X,
            dtype=np.float64 if numeric else None,
            ensure_all_finite="allow-nan" if nan_missing else True,
            reset=reset,
        )
        if X.dtype.kind in "US":
            X = X.astype(object)
        return X

    def fit(self, X, y=None):
        """Learn the fill value of each column from its non-missing entries."""
        _check_choice("strategy", self.strategy, {"mean", "median", "most_frequent", "constant"})
        X = self._validate(X, reset=True)
        mask = _missing_mask(X, self.missing_values)
        stats = []
        for j in range(X.shape[1]):
            col = X[~mask[:, j], j]
            if self.strategy == "constant":
                if self.fill_value is not None:
                    stats.append(self.fill_value)
                else:
                    stats.append("missing_value" if X.dtype.kind == "O" else 0.0)
            elif col.size == 0:
                stats.append(np.nan)
            elif self.strategy == "mean":
                stats.append(col.mean())
            elif self.strategy == "median":
                stats.append(np.median(col))
            else:
                try:
                    vals, counts = np.unique(col, return_counts=True)
                except TypeError as exc:
                    raise ValueError(f"column {j} mixes strings and numbers") from exc
                stats.append(vals[np.argmax(counts)])  # argmax picks the smallest on ties
        self.statistics_ = np.array(stats, dtype=object if X.dtype.kind == "O" else float)
        return self

    def transform(self, X):
        """Replace missing entries by ``statistics_``."""
        check_is_fitted(self, "statistics_")
        X = self._validate(X, reset=False)
        mask = _missing_mask(X, self.missing_values)
        out = X.astype(self.statistics_.dtype if X.dtype.kind != "O" else object, copy=True)
        rows, cols = np.nonzero(mask)
        out[rows, cols] = self.statistics_[cols]
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = bool(_is_nan_scalar(self.missing_values))  # as scikit-learn
        return tags


# ----------------------------------------------------------------- polynomial features
class PolynomialFeatures(TransformerMixin, BaseEstimator):
    """Monomials of the features up to ``degree`` (columns in scikit-learn's order).

    Parameters
    ----------
    degree : int, default=2
    interaction_only : bool, default=False
        Only products of distinct features (``x0 x1`` but not ``x0^2``).
    include_bias : bool, default=True
        Start with a column of ones.

    Attributes
    ----------
    powers_ : ndarray of shape (n_output_features, n_features)
        ``powers_[k, j]`` is the exponent of feature ``j`` in output column ``k``.
    n_output_features_ : int
    """

    def __init__(self, degree=2, interaction_only=False, include_bias=True):
        self.degree = degree
        self.interaction_only = interaction_only
        self.include_bias = include_bias

    def fit(self, X, y=None):
        """Enumerate the monomials for ``X``'s number of features."""
        if not (isinstance(self.degree, Integral) and self.degree >= 0):
            raise ValueError(f"degree must be a non-negative integer, got {self.degree!r}")
        X = validate_data(self, X, dtype=np.float64)
        d = X.shape[1]
        comb = combinations if self.interaction_only else combinations_with_replacement
        start = 0 if self.include_bias else 1
        powers = []
        for k in range(start, self.degree + 1):
            for combo in comb(range(d), k):
                powers.append(np.bincount(np.array(combo, dtype=int), minlength=d))
        self.powers_ = np.array(powers, dtype=int).reshape(len(powers), d)
        self.n_output_features_ = len(powers)
        return self

    def transform(self, X):
        """Return the matrix of monomials."""
        check_is_fitted(self, "powers_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        out = np.ones((X.shape[0], self.n_output_features_))
        for k, p in enumerate(self.powers_):
            for j in np.flatnonzero(p):
                out[:, k] *= X[:, j] ** p[j]
        return out

    def get_feature_names_out(self, input_features=None):
        """Names such as ``1``, ``x0``, ``x0^2``, ``x0 x1``."""
        check_is_fitted(self, "powers_")
        names = _input_names(self, input_features)
        out = []
        for p in self.powers_:
            terms = [f"{names[j]}^{e}" if e > 1 else str(names[j]) for j, e in enumerate(p) if e]
            out.append(" ".join(terms) if terms else "1")
        return np.asarray(out, dtype=object)


# ----------------------------------------------------------------- binning
class KBinsDiscretizer(TransformerMixin, BaseEstimator):
    """Cut each feature into ``n_bins`` intervals and replace values by their bin.

    Parameters
    ----------
    n_bins : int, default=5
    encode : {"ordinal", "onehot-dense"}, default="ordinal"
    strategy : {"uniform", "quantile"}, default="quantile"
        ``uniform``: equal widths over the training range. ``quantile``: equal counts, edges
        at the training quantiles (``averaged_inverted_cdf``, scikit-learn 1.9's default);
        edges closer than 1e-8 are merged, so a feature may get fewer bins.

    Attributes
    ----------
    bin_edges_ : ndarray of shape (n_features,), dtype object
        The edges of each feature, ``n_bins_[j] + 1`` of them.
    n_bins_ : ndarray of shape (n_features,)
    """

    def __init__(self, n_bins=5, encode="ordinal", strategy="quantile"):
        self.n_bins = n_bins
        self.encode = encode
        self.strategy = strategy

    def fit(self, X, y=None):
        """Compute the bin edges of each feature."""
        if not (isinstance(self.n_bins, Integral) and self.n_bins >= 2):
            raise ValueError(f"n_bins must be an integer >= 2, got {self.n_bins!r}")
        _check_choice("encode", self.encode, {"ordinal", "onehot-dense"})
        _check_choice("strategy", self.strategy, {"uniform", "quantile"})
        X = validate_data(self, X, dtype=np.float64)
        edges_all, n_bins = [], []
        for j in range(X.shape[1]):
            col = X[:, j]
            lo, hi = col.min(), col.max()
            if lo == hi:
                edges = np.array([-np.inf, np.inf])
            elif self.strategy == "uniform":
                edges = np.linspace(lo, hi, self.n_bins + 1)
            else:
                q = np.linspace(0, 100, self.n_bins + 1)
                edges = np.percentile(col, q, method="averaged_inverted_cdf")
                keep = np.r_[True, np.diff(edges) > 1e-8]
                edges = edges[keep]
            edges_all.append(edges)
            n_bins.append(len(edges) - 1)
        self.bin_edges_ = np.empty(len(edges_all), dtype=object)
        self.bin_edges_[:] = edges_all
        self.n_bins_ = np.array(n_bins)
        return self

    def transform(self, X):
        """Bin indices (``encode="ordinal"``) or their one-hot expansion."""
        check_is_fitted(self, "bin_edges_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        codes = np.empty(X.shape)
        for j, edges in enumerate(self.bin_edges_):
            idx = np.searchsorted(edges[1:-1], X[:, j], side="right")
            codes[:, j] = np.clip(idx, 0, self.n_bins_[j] - 1)
        if self.encode == "ordinal":
            return codes
        blocks = [np.eye(k)[codes[:, j].astype(int)] for j, k in enumerate(self.n_bins_)]
        return np.hstack(blocks)

    def get_feature_names_out(self, input_features=None):
        """The input names (ordinal) or ``<feature>_<bin>`` (one-hot)."""
        check_is_fitted(self, "bin_edges_")
        names = _input_names(self, input_features)
        if self.encode == "ordinal":
            return np.asarray(names, dtype=object)
        return np.asarray(
            [f"{n}_{float(b)}" for n, k in zip(names, self.n_bins_) for b in range(k)], dtype=object
        )
