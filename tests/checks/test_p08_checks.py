"""Project 08 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def kfold(n_samples, n_splits):
    return np.array_split(np.arange(n_samples), n_splits)


def stratified_fold_ids(y, n_splits):
    classes = list(dict.fromkeys(y.tolist()))  # order of first appearance
    code = np.array([classes.index(v) for v in y.tolist()])
    dealt = np.sort(code)
    per_fold = [
        [np.sum(dealt[f::n_splits] == c) for c in range(len(classes))] for f in range(n_splits)
    ]
    out = np.zeros(len(y), dtype=int)
    for c in range(len(classes)):
        members = np.flatnonzero(code == c)
        pos = 0
        for f in range(n_splits):
            out[members[pos : pos + per_fold[f][c]]] = f
            pos += per_fold[f][c]
    return out


def time_series_splits(n_samples, n_splits, gap=0):
    size = n_samples // (n_splits + 1)
    splits = []
    for i in range(n_splits):
        start = n_samples - (n_splits - i) * size
        splits.append((np.arange(start - gap), np.arange(start, start + size)))
    return splits


def cross_val_scores(make_model, X, y, folds):
    out = []
    for test in folds:
        mask = np.ones(len(X), bool)
        mask[test] = False
        model = make_model()
        model.fit(X[mask], y[mask])
        out.append(np.mean(model.predict(X[test]) == y[test]))
    return np.array(out)


def select_hyperparameter(make_model, values, X, y, folds):
    means = [cross_val_scores(lambda v=v: make_model(v), X, y, folds).mean() for v in values]
    best = max(range(len(values)), key=lambda i: (means[i], -i))
    return values[best], np.array(means)


REFERENCES = {
    "p08.kfold": kfold,
    "p08.stratified_fold_ids": stratified_fold_ids,
    "p08.time_series_splits": time_series_splits,
    "p08.cross_val_scores": cross_val_scores,
    "p08.select_hyperparameter": select_hyperparameter,
}


# --- typical mistakes ------------------------------------------------------------------
def kfold_floor_sizes(n_samples, n_splits):
    size = n_samples // n_splits
    return [np.arange(f * size, (f + 1) * size) for f in range(n_splits)]


def kfold_every_kth(n_samples, n_splits):
    return [np.arange(f, n_samples, n_splits) for f in range(n_splits)]


def strat_ignores_classes(y, n_splits):
    out = np.zeros(len(y), dtype=int)
    for f, idx in enumerate(np.array_split(np.arange(len(y)), n_splits)):
        out[idx] = f
    return out


def strat_modulo(y, n_splits):
    out = np.zeros(len(y), dtype=int)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        out[members] = np.arange(len(members)) % n_splits
    return out


def strat_rare_class_in_first_fold(y, n_splits):
    out = np.zeros(len(y), dtype=int)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        for f, part in enumerate(np.array_split(members, n_splits)):
            out[part] = f
    return out


def ts_ignores_gap(n_samples, n_splits, gap=0):
    return time_series_splits(n_samples, n_splits, 0)


def ts_trains_on_future(n_samples, n_splits, gap=0):
    return [
        (np.setdiff1d(np.arange(n_samples), te), te)
        for _, te in time_series_splits(n_samples, n_splits, gap)
    ]


def cvs_leaks(make_model, X, y, folds):
    model = make_model()
    model.fit(X, y)
    return np.array([np.mean(model.predict(X[t]) == y[t]) for t in folds])


def cvs_scores_training_data(make_model, X, y, folds):
    out = []
    for test in folds:
        train = np.setdiff1d(np.arange(len(X)), test)
        model = make_model().fit(X[train], y[train])
        out.append(model.score(X[train], y[train]))
    return np.array(out)


def select_lowest(make_model, values, X, y, folds):
    means = np.array(
        [cross_val_scores(lambda v=v: make_model(v), X, y, folds).mean() for v in values]
    )
    return values[int(np.argmin(means))], means


def select_by_training_score(make_model, values, X, y, folds):
    means = np.array(
        [cvs_scores_training_data(lambda v=v: make_model(v), X, y, folds).mean() for v in values]
    )
    return values[int(np.argmax(means))], means


MISTAKES = {
    "p08.kfold": [
        (kfold_floor_sizes, "tested exactly once"),
        (kfold_every_kth, "contiguous blocks"),
    ],
    "p08.stratified_fold_ids": [
        (strat_ignores_classes, "ignores the classes"),
        (strat_modulo, "not round-robin"),
        (strat_rare_class_in_first_fold, "pile into fold 0"),
    ],
    "p08.time_series_splits": [
        (ts_ignores_gap, "gap"),
        (ts_trains_on_future, "never train on the future"),
    ],
    "p08.cross_val_scores": [
        (cvs_leaks, "leakage"),
        (cvs_scores_training_data, "held-out test fold"),
    ],
    "p08.select_hyperparameter": [
        (select_lowest, "argmax"),
        (select_by_training_score, "held-out scores"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
