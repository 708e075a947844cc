"""Checks for Project 08 — cross-validation (k-fold indices, stratified fold ids,
time-series splits, cross-validated scores, hyperparameter selection). References are in
:mod:`ml2llm.classical.model_selection`."""

from __future__ import annotations

import warnings

import numpy as np

from ml2llm.checks import Case, Check, Mismatch, Mistake, assert_close, register
from ml2llm.classical import model_selection as ref


# ----------------------------------------------------------------- exercise references
def kfold_test_indices(n_samples, n_splits):
    return [test for _, test in ref.KFold(n_splits).split(np.zeros(n_samples))]


def stratified_fold_ids(y, n_splits):
    with warnings.catch_warnings():  # a class smaller than n_splits is a case here, not a problem
        warnings.simplefilter("ignore", UserWarning)
        return ref.stratified_test_folds(y, n_splits)


def time_series_splits(n_samples, n_splits, gap=0):
    return list(ref.TimeSeriesSplit(n_splits, gap=gap).split(np.zeros(n_samples)))


def cross_val_scores(make_model, X, y, folds):
    scores = []
    for test in folds:
        train = np.setdiff1d(np.arange(len(X)), test)
        scores.append(make_model().fit(X[train], y[train]).score(X[test], y[test]))
    return np.array(scores)


def select_hyperparameter(make_model, values, X, y, folds):
    means = np.array(
        [cross_val_scores(lambda v=v: make_model(v), X, y, folds).mean() for v in values]
    )
    return values[int(np.argmax(means))], means


# ----------------------------------------------------------------- comparisons
def _compare_lists(expected, got, path="folds"):
    if not isinstance(got, (list, tuple)):
        raise Mismatch(f"expected a list of {len(expected)} folds, got {type(got).__name__}")
    if len(got) != len(expected):
        raise Mismatch(f"expected {len(expected)} folds, got {len(got)}")
    for i, (e, g) in enumerate(zip(expected, got)):
        if isinstance(e, tuple):
            if not isinstance(g, (tuple, list)) or len(g) != 2:
                raise Mismatch(f"fold {i}: expected a (train, test) pair")
            for name, ee, gg in zip(("train", "test"), e, g):
                _same_indices(ee, gg, f"fold {i} {name}")
        else:
            _same_indices(e, g, f"fold {i}")


def _same_indices(e, g, where):
    g = np.asarray(g)
    if g.shape != e.shape or not np.array_equal(np.sort(g), e):
        raise Mismatch(f"{where}: expected indices {_short(e)}, got {_short(g)}")


def _short(a):
    a = np.asarray(a)
    return str(a.tolist()) if a.size <= 10 else f"{a[:4].tolist()}…{a[-2:].tolist()} (len {a.size})"


# ----------------------------------------------------------------- k-fold
def _kfold_cases():
    return [
        Case((10, 5)),
        Case((7, 3), hint="7 = 3 + 2 + 2: the first n % k folds get one extra sample."),
        Case((11, 4)),
        Case((5, 5), hint="n_splits = n_samples is leave-one-out."),
    ]


def _kfold_drop_remainder(n, k):
    size = n // k
    return [np.arange(i * size, (i + 1) * size) for i in range(k)]


def _kfold_remainder_last(n, k):
    sizes = [n // k] * k
    for i in range(n % k):
        sizes[k - 1 - i] += 1
    b = np.r_[0, np.cumsum(sizes)]
    return [np.arange(b[i], b[i + 1]) for i in range(k)]


def _kfold_strided(n, k):
    return [np.arange(i, n, k) for i in range(k)]


register(
    Check(
        "p08.kfold",
        reference=kfold_test_indices,
        cases=_kfold_cases,
        compare=_compare_lists,
        hint="k contiguous blocks of sizes n // k, the first n % k of them one larger.",
        mistakes=[
            Mistake(
                "drop remainder",
                _kfold_drop_remainder,
                "every sample must be tested exactly once: give the n % k leftover samples to the first folds.",
            ),
            Mistake(
                "remainder last",
                _kfold_remainder_last,
                "the FIRST n % k folds get the extra sample (scikit-learn's convention), not the last.",
            ),
            Mistake(
                "strided",
                _kfold_strided,
                "folds are contiguous blocks (0..a, a..b, …), not every k-th sample.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- stratified fold ids
def _strat_cases():
    rng = np.random.default_rng(0)
    y_big = rng.choice(3, size=40, p=[0.6, 0.3, 0.1])
    y_big[:3] = [0, 1, 2]  # classes first appear in sorted order
    return [
        Case((np.array([0, 0, 0, 0, 0, 0, 1, 1, 1]), 3)),
        Case(
            (np.r_[np.zeros(18, int), np.ones(2, int)], 4),
            hint="a class with fewer members than folds still gets spread over the folds, one each.",
        ),
        Case((np.array([0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0]), 3)),
        Case((y_big, 5), label="y: 40 labels in 3 classes (60/30/10 %), n_splits=5"),
        Case(
            (np.array([1, 0, 1, 0, 1, 0]), 3),
            hint="every class has exactly n_splits members: that is enough, one per fold.",
        ),
    ]


def _strat_plain_kfold(y, k):
    folds = np.empty(len(y), int)
    for f, test in enumerate(kfold_test_indices(len(y), k)):
        folds[test] = f
    return folds


def _strat_round_robin(y, k):
    folds = np.empty(len(y), int)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        folds[idx] = np.arange(len(idx)) % k
    return folds


def _strat_per_class_blocks(y, k):
    folds = np.empty(len(y), int)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        sizes = np.full(k, len(idx) // k)
        sizes[: len(idx) % k] += 1
        folds[idx] = np.repeat(np.arange(k), sizes)
    return folds


register(
    Check(
        "p08.stratified_fold_ids",
        reference=stratified_fold_ids,
        cases=_strat_cases,
        hint="deal np.sort(y) round-robin to the folds to get how many of each class each fold "
        "gets; then give each class's samples, in order, to fold 0, then fold 1, …",
        mistakes=[
            Mistake(
                "no stratification",
                _strat_plain_kfold,
                "that is plain k-fold: it ignores the classes, so a rare class can miss whole folds.",
            ),
            Mistake(
                "round robin per class",
                _strat_round_robin,
                "within a class, fill the folds in contiguous blocks, not round-robin.",
            ),
            Mistake(
                "per-class remainders first",
                _strat_per_class_blocks,
                "decide the counts by dealing the SORTED labels round-robin over all classes, "
                "so the leftovers of rare classes do not all pile into fold 0.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- time series
def _ts_cases():
    return [
        Case((6, 5)),
        Case((12, 3)),
        Case(
            (12, 3),
            {"gap": 2},
            hint="the gap removes the last `gap` samples before the test block from training.",
        ),
        Case((20, 4), {"gap": 1}),
    ]


def _ts_test_size_k(n, k, gap=0):
    size = n // k
    starts = [n - (k - i) * size for i in range(k)]
    return [(np.arange(0, max(s - gap, 0)), np.arange(s, s + size)) for s in starts]


def _ts_no_gap(n, k, gap=0):
    return time_series_splits(n, k, 0)


def _ts_all_past_and_future(n, k, gap=0):
    out = []
    for _, test in time_series_splits(n, k, gap):
        out.append((np.setdiff1d(np.arange(n), test), test))
    return out


register(
    Check(
        "p08.time_series_splits",
        reference=time_series_splits,
        cases=_ts_cases,
        compare=_compare_lists,
        hint="test_size = n // (n_splits + 1); the test blocks are the last n_splits blocks; "
        "train on everything before the block, minus the gap.",
        mistakes=[
            Mistake(
                "no gap", _ts_no_gap, "leave out the `gap` samples just before each test block."
            ),
            Mistake(
                "future in train",
                _ts_all_past_and_future,
                "never train on the future: the training set is only what comes BEFORE the test block.",
            ),
            Mistake(
                "test size n // k",
                _ts_test_size_k,
                "use n_splits + 1 blocks (the first is only ever training): test_size = n // (n_splits + 1).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- cross-validated scores
def _tree(depth):
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=depth, random_state=0)


def _make_tree():
    return _tree(3)


def _cv_data(seed=0, n=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + 0.8 * rng.normal(size=n) > 0).astype(int)
    return X, y


def _cvs_cases():
    X, y = _cv_data(0, 40)
    X2, y2 = _cv_data(1, 30)
    return [
        Case(
            (_make_tree, X, y, kfold_test_indices(40, 4)),
            label="depth-3 tree, 40 noisy samples, 4 folds",
        ),
        Case(
            (_make_tree, X2, y2, kfold_test_indices(30, 5)),
            label="depth-3 tree, 30 noisy samples, 5 folds",
        ),
    ]


def _cvs_fit_all(make_model, X, y, folds):
    model = make_model().fit(X, y)
    return np.array([model.score(X[t], y[t]) for t in folds])


def _cvs_train_score(make_model, X, y, folds):
    out = []
    for test in folds:
        train = np.setdiff1d(np.arange(len(X)), test)
        out.append(make_model().fit(X[train], y[train]).score(X[train], y[train]))
    return np.array(out)


register(
    Check(
        "p08.cross_val_scores",
        reference=cross_val_scores,
        cases=_cvs_cases,
        hint="for each test fold: train = all other indices; fit a NEW model on train, score it on the test fold.",
        mistakes=[
            Mistake(
                "fit on all data",
                _cvs_fit_all,
                "fit on the training folds only: the model has seen the test fold (leakage).",
            ),
            Mistake(
                "train score",
                _cvs_train_score,
                "score on the held-out test fold, not on the data the model was fitted on.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- hyperparameter selection
def _make_tree_of_depth(depth):
    return _tree(depth)


def _sel_cases():
    X, y = _cv_data(2, 60)
    X2, y2 = _cv_data(3, 45)
    return [
        Case(
            (_make_tree_of_depth, [1, 2, 4, 8], X, y, kfold_test_indices(60, 5)),
            label="trees with max_depth in [1, 2, 4, 8], 60 noisy samples, 5 folds",
        ),
        Case(
            (_make_tree_of_depth, [6, 3, 1], X2, y2, kfold_test_indices(45, 3)),
            label="trees with max_depth in [6, 3, 1], 45 noisy samples, 3 folds",
        ),
    ]


def _sel_argmin(make_model, values, X, y, folds):
    _, means = select_hyperparameter(make_model, values, X, y, folds)
    return values[int(np.argmin(means))], means


def _sel_train_scores(make_model, values, X, y, folds):
    means = np.array(
        [_cvs_train_score(lambda v=v: make_model(v), X, y, folds).mean() for v in values]
    )
    return values[int(np.argmax(means))], means


def _sel_index(make_model, values, X, y, folds):
    best, means = select_hyperparameter(make_model, values, X, y, folds)
    return int(np.argmax(means)), means


def _compare_selection(expected, got):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch("expected a tuple (best_value, mean_scores)")
    assert_close(np.asarray(expected[1]), np.asarray(got[1]), rtol=1e-9, path="mean_scores")
    if got[0] != expected[0]:
        raise Mismatch(f"expected best value {expected[0]!r}, got {got[0]!r}")


register(
    Check(
        "p08.select_hyperparameter",
        reference=select_hyperparameter,
        cases=_sel_cases,
        compare=_compare_selection,
        hint="for each value: mean cross-validated score of make_model(value); return the value with the "
        "HIGHEST mean (first one on ties) and the array of means.",
        mistakes=[
            Mistake("argmin", _sel_argmin, "scores are better when higher: take the argmax."),
            Mistake(
                "training scores",
                _sel_train_scores,
                "rank the values by their held-out scores; training scores always favour the most flexible model.",
            ),
            Mistake(
                "index", _sel_index, "return the best VALUE itself (values[i]), not its index i."
            ),
        ],
    )
)
