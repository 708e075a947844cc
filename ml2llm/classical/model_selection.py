"""Cross-validation from scratch: splitters, ``cross_val_score``, grid search and nested CV.

Splitters yield exactly scikit-learn's ``(train, test)`` index arrays for the same
parameters (the shuffled variants draw from ``numpy.random.RandomState(random_state)`` in the
same order scikit-learn does), and can be passed as ``cv=`` to scikit-learn's own tools:

- :class:`KFold`: ``n_splits`` contiguous folds; the first ``n % n_splits`` are one larger.
- :class:`StratifiedKFold`: every fold keeps the class proportions. Classes are numbered in
  order of first appearance; the labels sorted by that number are dealt round-robin to the
  folds to decide how many of each class each fold gets, then each class's samples fill the
  folds in order (shuffled when ``shuffle=True``).
- :class:`GroupKFold`: a group never straddles train and test; groups go, largest first, to
  the fold with the fewest samples so far.
- :class:`TimeSeriesSplit`: expanding window, the test block always after the training
  block, with an optional ``gap`` and ``max_train_size``.

:func:`cross_val_score` clones and refits the estimator on every training fold;
:class:`GridSearchCV` picks hyperparameters by inner CV and refits on all data it was given,
so ``cross_val_score(GridSearchCV(...), X, y, cv=outer)`` is **nested cross-validation**
(:func:`nested_cross_val_score` returns the outer scores and the parameters each outer fold
chose). :func:`feature_selection_leakage` measures the optimistic bias of selecting features
before splitting.

Not here: repeated or shuffle-split splitters, stratified group folds, parallelism,
``return_train_score``, randomized search.

>>> [test.tolist() for _, test in KFold(3).split(list(range(7)))]
[[0, 1, 2], [3, 4], [5, 6]]
"""

from __future__ import annotations

import numbers
import warnings
from copy import deepcopy
from dataclasses import dataclass
from itertools import product

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.utils import _safe_indexing, check_random_state, get_tags, indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from ml2llm.metrics import classification as cm
from ml2llm.metrics import regression as rm


# ----------------------------------------------------------------- splitters
def _n_samples(X):
    if X is None:
        raise ValueError("X is required to know the number of samples")
    return X.shape[0] if hasattr(X, "shape") else len(X)


class _BaseSplitter:
    """Common parameter checks and ``split`` built from ``_test_folds`` (one fold id per sample)."""

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        if not isinstance(n_splits, numbers.Integral) or isinstance(n_splits, bool):
            raise ValueError(f"n_splits must be an integer, got {n_splits!r}")
        if n_splits < 2:
            raise ValueError(f"n_splits must be at least 2 for a train/test split, got {n_splits}")
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
        if not shuffle and random_state is not None:
            raise ValueError("random_state has no effect unless shuffle=True; leave it None")
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of ``(train, test)`` pairs :meth:`split` yields."""
        return self.n_splits

    def _check_n(self, n):
        if self.n_splits > n:
            raise ValueError(
                f"n_splits={self.n_splits} is greater than the number of samples n_samples={n}: "
                "every fold needs at least one sample"
            )

    def _test_index_list(self, X, y, groups):  # pragma: no cover - abstract
        raise NotImplementedError

    def split(self, X, y=None, groups=None):
        """Yield ``(train_indices, test_indices)`` for each fold."""
        n = _n_samples(X)
        self._check_n(n)
        indices = np.arange(n)
        for test in self._test_index_list(X, y, groups):
            mask = np.zeros(n, dtype=bool)
            mask[test] = True
            yield indices[~mask], indices[mask]

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


class KFold(_BaseSplitter):
    """K contiguous folds (shuffled first when ``shuffle=True``); see the module docstring."""

    def _test_index_list(self, X, y, groups):
        n = _n_samples(X)
        indices = np.arange(n)
        if self.shuffle:
            check_random_state(self.random_state).shuffle(indices)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        bounds = np.r_[0, np.cumsum(sizes)]
        return [indices[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def stratified_test_folds(y, n_splits, rng=None):
    """The fold id of every sample under scikit-learn's stratification (see module docstring)."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D class labels, got shape {y.shape}")
    _, first_index, inverse = np.unique(y, return_index=True, return_inverse=True)
    _, order_of_appearance = np.unique(first_index, return_inverse=True)
    y_enc = order_of_appearance[inverse.ravel()]
    n_classes = len(first_index)
    counts = np.bincount(y_enc)
    if np.all(n_splits > counts):
        raise ValueError(
            f"n_splits={n_splits} is greater than the number of members in every class"
        )
    if n_splits > counts.min():
        warnings.warn(
            f"The least populated class in y has only {counts.min()} members, "
            f"which is less than n_splits={n_splits}.",
            UserWarning,
            stacklevel=3,
        )
    y_sorted = np.sort(y_enc)
    allocation = np.array(
        [np.bincount(y_sorted[i::n_splits], minlength=n_classes) for i in range(n_splits)]
    )
    folds = np.empty(len(y), dtype=int)
    for c in range(n_classes):
        fold_of_member = np.repeat(np.arange(n_splits), allocation[:, c])
        if rng is not None:
            rng.shuffle(fold_of_member)
        folds[y_enc == c] = fold_of_member
    return folds


class StratifiedKFold(_BaseSplitter):
    """K folds with the class proportions of ``y`` preserved; see the module docstring."""

    def split(self, X, y=None, groups=None):
        if y is None:
            raise ValueError("StratifiedKFold needs y (the class labels) to stratify")
        if len(y) != _n_samples(X):
            raise ValueError(f"X and y must have the same length, got {_n_samples(X)} and {len(y)}")
        return super().split(X, y, groups)

    def _test_index_list(self, X, y, groups):
        rng = check_random_state(self.random_state) if self.shuffle else None
        folds = stratified_test_folds(y, self.n_splits, rng)
        return [np.flatnonzero(folds == k) for k in range(self.n_splits)]


class GroupKFold(_BaseSplitter):
    """K folds that never split a group; balanced greedily by samples (see module docstring)."""

    def _test_index_list(self, X, y, groups):
        if groups is None:
            raise ValueError("GroupKFold needs groups (one group label per sample)")
        groups = np.asarray(groups)
        if len(groups) != _n_samples(X):
            raise ValueError(
                f"X and groups must have the same length, got {_n_samples(X)} and {len(groups)}"
            )
        unique, group_idx = np.unique(groups, return_inverse=True)
        if self.n_splits > len(unique):
            raise ValueError(
                f"n_splits={self.n_splits} is greater than the number of groups: {len(unique)}"
            )
        if self.shuffle:
            perm = check_random_state(self.random_state).permutation(unique)
            return [
                np.flatnonzero(np.isin(groups, part))
                for part in np.array_split(perm, self.n_splits)
            ]
        sizes = np.bincount(group_idx)
        order = np.argsort(sizes, kind="stable")[::-1]  # largest groups first
        load = np.zeros(self.n_splits)
        fold_of_group = np.zeros(len(unique), dtype=int)
        for g in order:
            lightest = int(np.argmin(load))
            load[lightest] += sizes[g]
            fold_of_group[g] = lightest
        fold = fold_of_group[group_idx]
        return [np.flatnonzero(fold == k) for k in range(self.n_splits)]


class TimeSeriesSplit(_BaseSplitter):
    """Expanding-window splits: train on the past, test on the next block."""

    def __init__(self, n_splits=5, *, max_train_size=None, test_size=None, gap=0):
        super().__init__(n_splits)
        for name, v in [("max_train_size", max_train_size), ("test_size", test_size)]:
            if v is not None and (not isinstance(v, numbers.Integral) or v < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {v!r}")
        if not isinstance(gap, numbers.Integral) or gap < 0:
            raise ValueError(f"gap must be a non-negative integer, got {gap!r}")
        self.max_train_size = max_train_size
        self.test_size = test_size
        self.gap = gap

    def split(self, X, y=None, groups=None):
        n = _n_samples(X)
        k = self.n_splits
        if k + 1 > n:
            raise ValueError(
                f"n_splits={k} needs n_splits + 1 = {k + 1} blocks but there are only {n} samples"
            )
        test_size = self.test_size if self.test_size is not None else n // (k + 1)
        if n - self.gap - test_size * k <= 0:
            raise ValueError(
                f"too many splits: n_splits={k}, test_size={test_size} and gap={self.gap} "
                f"leave no training data among {n} samples"
            )
        indices = np.arange(n)
        for start in range(n - k * test_size, n, test_size):
            end = start - self.gap
            begin = (
                end - self.max_train_size
                if self.max_train_size and self.max_train_size < end
                else 0
            )
            yield indices[begin:end], indices[start : start + test_size]


# ----------------------------------------------------------------- scoring
def _score_from_predictions(name, estimator, X, y):
    if name == "accuracy":
        return cm.accuracy_score(y, estimator.predict(X))
    if name == "f1":
        return cm.f1_score(y, estimator.predict(X))
    if name == "f1_macro":
        return cm.f1_score(y, estimator.predict(X), average="macro")
    if name in ("roc_auc", "average_precision"):
        if hasattr(estimator, "decision_function"):
            s = estimator.decision_function(X)
        else:
            s = estimator.predict_proba(X)[:, 1]
        fn = cm.roc_auc_score if name == "roc_auc" else cm.average_precision_score
        return fn(y, s)
    if name == "neg_log_loss":
        proba = estimator.predict_proba(X)
        if proba.shape[1] == 2:  # like scikit-learn's scorer: P(class 1) only, P(0) = 1 - that
            proba = proba[:, 1]
        return -cm.log_loss(y, proba, labels=estimator.classes_)
    if name == "r2":
        return rm.r2_score(y, estimator.predict(X))
    if name == "neg_mean_squared_error":
        return -rm.mse(y, estimator.predict(X))
    raise AssertionError(name)


SCORERS = (
    "accuracy",
    "f1",
    "f1_macro",
    "roc_auc",
    "average_precision",
    "neg_log_loss",
    "r2",
    "neg_mean_squared_error",
)


def get_scorer(scoring):
    """A function ``(estimator, X, y) -> float``: ``None`` uses ``estimator.score``."""
    if scoring is None:
        return lambda est, X, y: float(est.score(X, y))
    if callable(scoring):
        return scoring
    if scoring not in SCORERS:
        raise ValueError(f"scoring must be None, a callable or one of {SCORERS}, got {scoring!r}")
    return lambda est, X, y: float(_score_from_predictions(scoring, est, X, y))


def check_cv(cv, y=None, classifier=False):
    """An integer becomes StratifiedKFold (classifier and class labels) or KFold; splitters pass."""
    if cv is None:
        cv = 5
    if isinstance(cv, numbers.Integral):
        if classifier and y is not None:
            y_arr = np.asarray(y)
            if y_arr.ndim == 1 and (
                y_arr.dtype.kind in "iubOUS" or np.all(y_arr == np.round(y_arr))
            ):
                return StratifiedKFold(cv)
        return KFold(cv)
    if hasattr(cv, "split") and hasattr(cv, "get_n_splits"):
        return cv
    raise ValueError(f"cv must be an int or a splitter with split/get_n_splits, got {cv!r}")


def _take(a, idx):
    """Rows ``idx`` of an array, list, DataFrame or sparse matrix (``None`` stays ``None``)."""
    return None if a is None else _safe_indexing(a, idx)


def cross_val_score(estimator, X, y=None, *, groups=None, cv=5, scoring=None):
    """Score a fresh clone of ``estimator`` on each test fold after fitting it on the rest.

    Returns an array of ``n_splits`` scores, the same as ``sklearn.model_selection.cross_val_score``
    for the same splits.
    """
    if y is not None and len(y) != _n_samples(X):
        raise ValueError(f"X and y must have the same length, got {_n_samples(X)} and {len(y)}")
    splitter = check_cv(cv, y, is_classifier(estimator))
    scorer = get_scorer(scoring)
    scores = []
    for train, test in splitter.split(X, y, groups):
        model = clone(estimator).fit(_take(X, train), _take(y, train))
        scores.append(scorer(model, _take(X, test), _take(y, test)))
    return np.array(scores)


# ----------------------------------------------------------------- grid search and nested CV
def parameter_grid(param_grid):
    """All combinations of ``{name: [values]}``, keys sorted (scikit-learn's ParameterGrid order)."""
    if not isinstance(param_grid, dict) or not param_grid:
        raise ValueError(f"param_grid must be a non-empty dict of lists, got {param_grid!r}")
    keys = sorted(param_grid)
    for k in keys:
        if (
            isinstance(param_grid[k], (str, bytes))
            or not hasattr(param_grid[k], "__len__")
            or not len(param_grid[k])
        ):
            raise ValueError(f"param_grid[{k!r}] must be a non-empty list of values")
    return [dict(zip(keys, values)) for values in product(*(param_grid[k] for k in keys))]


def _inner_has(method):
    """``GridSearchCV`` offers ``method`` only when its estimator does (as scikit-learn)."""
    return lambda self: hasattr(self.estimator, method)


class GridSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Exhaustive search over ``param_grid`` by cross-validation, then refit on all the data.

    Fitted attributes: ``best_params_``, ``best_score_`` (mean CV score; ties go to the first
    candidate in grid order), ``best_estimator_``, ``cv_results_`` (``params``,
    ``mean_test_score``, ``std_test_score``, ``split_test_scores``). ``X`` is passed to the
    estimator as given (a DataFrame stays a DataFrame), so the estimator validates it;
    ``n_features_in_`` and ``feature_names_in_`` come from ``best_estimator_``. The estimator
    tags are the inner estimator's, as for ``sklearn.model_selection.GridSearchCV``.
    """

    def __init__(self, estimator, param_grid, *, cv=5, scoring=None):
        self.estimator = estimator
        self.param_grid = param_grid
        self.cv = cv
        self.scoring = scoring

    def fit(self, X, y=None, groups=None):
        """Score every candidate on every split, then refit the best on all of ``X``."""
        candidates = parameter_grid(self.param_grid)
        if y is not None:
            check_consistent_length(X, y)
        X, y, groups = indexable(X, y, groups)
        splitter = check_cv(self.cv, y, is_classifier(self.estimator))
        splits = list(splitter.split(X, y, groups))
        scorer = get_scorer(self.scoring)
        table = np.empty((len(candidates), len(splits)))
        for i, params in enumerate(candidates):
            for j, (train, test) in enumerate(splits):
                model = clone(self.estimator).set_params(**params)
                model.fit(_take(X, train), _take(y, train))
                table[i, j] = scorer(model, _take(X, test), _take(y, test))
        means = table.mean(axis=1)
        self.best_index_ = int(np.argmax(means))
        self.best_params_ = candidates[self.best_index_]
        self.best_score_ = float(means[self.best_index_])
        self.cv_results_ = {
            "params": candidates,
            "mean_test_score": means,
            "std_test_score": table.std(axis=1),
            "split_test_scores": table,
        }
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X, y)
        if hasattr(self.best_estimator_, "classes_"):
            self.classes_ = self.best_estimator_.classes_
        return self

    @property
    def n_features_in_(self):
        """Number of features seen by ``best_estimator_`` in ``fit``."""
        try:
            check_is_fitted(self)
        except Exception as exc:  # NotFittedError: say which attribute is missing
            raise AttributeError(f"{type(self).__name__} has no n_features_in_ before fit") from exc
        return self.best_estimator_.n_features_in_

    @property
    def feature_names_in_(self):
        """Feature names seen by ``best_estimator_`` in ``fit`` (DataFrame input only)."""
        check_is_fitted(self)
        return self.best_estimator_.feature_names_in_

    def predict(self, X):
        """``best_estimator_.predict``."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        """``best_estimator_.predict_proba``."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        """``best_estimator_.decision_function``."""
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_inner_has("transform"))
    def transform(self, X):
        """``best_estimator_.transform``."""
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    def score(self, X, y):
        """``scoring`` (or the estimator's own ``score``) of ``best_estimator_`` on ``(X, y)``."""
        check_is_fitted(self)
        return get_scorer(self.scoring)(self.best_estimator_, X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)  # as scikit-learn's search: the inner estimator's kind
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        tags.transformer_tags = deepcopy(inner.transformer_tags)
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags


@dataclass
class NestedCVResult:
    """Outer-fold scores of nested CV, the parameters each outer fold chose, and the
    (optimistic) inner best scores."""

    outer_scores: np.ndarray
    chosen_params: list
    inner_best_scores: np.ndarray


def nested_cross_val_score(estimator, param_grid, X, y, *, outer_cv=5, inner_cv=3, scoring=None):
    """Nested CV: in each outer fold, grid-search on the training part, test the winner outside.

    The mean of ``outer_scores`` estimates the performance of *the whole procedure*
    (search included); the mean of ``inner_best_scores`` is biased upwards because the
    maximum over candidates was taken on the same folds it is reported on.
    """
    outer = check_cv(outer_cv, y, is_classifier(estimator))
    scorer = get_scorer(scoring)
    scores, chosen, inner = [], [], []
    for train, test in outer.split(X, y):
        search = GridSearchCV(estimator, param_grid, cv=inner_cv, scoring=scoring)
        search.fit(_take(X, train), _take(y, train))
        scores.append(scorer(search.best_estimator_, _take(X, test), _take(y, test)))
        chosen.append(search.best_params_)
        inner.append(search.best_score_)
    return NestedCVResult(np.array(scores), chosen, np.array(inner))


# ----------------------------------------------------------------- leakage
def select_k_best_by_correlation(X, y, k):
    """Indices of the ``k`` columns of X with the largest absolute correlation with y."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    if not 1 <= k <= X.shape[1]:
        raise ValueError(f"k must be in [1, {X.shape[1]}], got {k}")
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    denom = np.sqrt((Xc**2).sum(axis=0) * (yc**2).sum()) + 1e-300
    corr = np.abs(Xc.T @ yc) / denom
    return np.sort(np.argsort(-corr, kind="stable")[:k])


def feature_selection_leakage(estimator, X, y, k, cv=5):
    """``(leaky, honest)`` mean CV scores when the ``k`` best features are chosen on ALL data
    (leaky) versus inside each training fold (honest)."""
    splitter = check_cv(cv, y, is_classifier(estimator))
    X, y = np.asarray(X), np.asarray(y)
    cols = select_k_best_by_correlation(X, y, k)
    leaky = cross_val_score(estimator, X[:, cols], y, cv=splitter).mean()
    honest = []
    for train, test in splitter.split(X, y):
        c = select_k_best_by_correlation(X[train], y[train], k)
        model = clone(estimator).fit(X[train][:, c], y[train])
        honest.append(model.score(X[test][:, c], y[test]))
    return float(leaky), float(np.mean(honest))


__all__ = [
    "GridSearchCV",
    "GroupKFold",
    "KFold",
    "NestedCVResult",
    "StratifiedKFold",
    "TimeSeriesSplit",
    "check_cv",
    "cross_val_score",
    "feature_selection_leakage",
    "get_scorer",
    "nested_cross_val_score",
    "parameter_grid",
    "select_k_best_by_correlation",
    "stratified_test_folds",
]
