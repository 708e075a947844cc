"""Checks for Project 06 — random forests (bootstrap sample, features per split, soft vote,
out-of-bag accuracy). References are in :mod:`ml2llm.classical.forest`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import forest as ref


def _boot_cases():
    return [
        Case((10, 0)),
        Case((5, 42)),
        Case((200, 7), label="n_samples=200, seed=7"),
        Case((1, 3), hint="one sample: it is drawn every time, so nothing is out of bag."),
    ]


def _boot_permutation(n_samples, seed):
    idx = np.random.default_rng(seed).permutation(n_samples)
    return idx, np.zeros(n_samples, dtype=bool)


def _boot_inverted(n_samples, seed):
    idx, oob = ref.bootstrap_sample(n_samples, seed)
    return idx, ~oob


def _boot_python_random(n_samples, seed):
    rng = np.random.default_rng(seed)
    idx = rng.choice(n_samples, size=n_samples, replace=False)
    oob = np.ones(n_samples, dtype=bool)
    oob[idx] = False
    return idx, oob


register(
    Check(
        "p06.bootstrap",
        reference=ref.bootstrap_sample,
        cases=_boot_cases,
        hint="indices = np.random.default_rng(seed).integers(0, n_samples, size=n_samples); a row is "
        "out of bag when it never appears in indices.",
        mistakes=[
            Mistake(
                "permutation",
                _boot_permutation,
                "a bootstrap draws WITH replacement (integers), not a permutation: some rows "
                "repeat and about 37% are left out.",
            ),
            Mistake(
                "no replacement",
                _boot_python_random,
                "a bootstrap draws WITH replacement (integers), not a permutation: some rows "
                "repeat and about 37% are left out.",
            ),
            Mistake("inverted", _boot_inverted, "oob_mask is True for rows that were NOT drawn."),
        ],
    )
)


def _nfeat_cases():
    return [
        Case(("sqrt", 64)),
        Case(("sqrt", 13), hint="round down: int(np.sqrt(13)) = 3."),
        Case(("log2", 30)),
        Case((None, 9)),
        Case((0.5, 9), hint="a float is a share: int(0.5 * 9) = 4."),
        Case((0.01, 10), hint="never fewer than 1 feature: max(1, ...)."),
        Case((3, 10), hint="an int is the number itself."),
        Case(("log2", 1), hint="never fewer than 1 feature: max(1, ...)."),
    ]


def _nfeat_variant(rounding=int, floor_one=True, log=np.log2):
    def wrong(max_features, n_features):
        if max_features is None:
            return n_features
        if max_features == "sqrt":
            k = rounding(np.sqrt(n_features))
        elif max_features == "log2":
            k = rounding(log(n_features))
        elif isinstance(max_features, float):
            k = rounding(max_features * n_features)
        else:
            k = max_features
        return max(1, k) if floor_one else k

    return wrong


register(
    Check(
        "p06.n_features",
        reference=ref.n_split_features,
        cases=_nfeat_cases,
        hint="None → all; 'sqrt' → int(√d); 'log2' → int(log₂ d); float f → int(f·d); int → itself; "
        "and at least 1.",
        mistakes=[
            Mistake(
                "round",
                _nfeat_variant(rounding=lambda v: int(round(v))),
                "round down with int(...), as scikit-learn does, not to the nearest integer.",
            ),
            Mistake(
                "zero", _nfeat_variant(floor_one=False), "never fewer than 1 feature: max(1, ...)."
            ),
            Mistake(
                "natural log", _nfeat_variant(log=np.log), "'log2' means log base 2 (np.log2)."
            ),
        ],
    )
)


def _vote_cases():
    # 3 trees, 2 samples, 2 classes: hard and soft voting disagree on sample 0
    p1 = np.array(
        [
            [[0.55, 0.45], [0.2, 0.8]],
            [[0.55, 0.45], [0.3, 0.7]],
            [[0.0, 1.0], [0.6, 0.4]],
        ]
    )
    rng = np.random.default_rng(3)
    raw = rng.random((5, 7, 3))
    return [
        Case((p1,), label="3 trees × 2 samples × 2 classes (hard and soft votes differ)"),
        Case((raw / raw.sum(-1, keepdims=True),), label="5 trees × 7 samples × 3 classes"),
        Case((p1[:1],), label="a single tree"),
    ]


def _hard_vote(probas):
    votes = np.argmax(probas, axis=2)  # (T, n)
    k = probas.shape[2]
    counts = np.stack([(votes == c).sum(axis=0) for c in range(k)], axis=1)
    return np.argmax(counts, axis=1)


register(
    Check(
        "p06.soft_vote",
        reference=ref.soft_vote,
        cases=_vote_cases,
        hint="average the probabilities over the trees (axis 0), then argmax over the classes.",
        mistakes=[
            Mistake(
                "hard vote",
                _hard_vote,
                "that is a hard (majority) vote: average the probabilities first, then argmax.",
            ),
            Mistake(
                "wrong axis",
                lambda probas: np.argmax(np.mean(probas, axis=1), axis=1),
                "average over the trees: axis 0 of (trees, samples, classes).",
            ),
        ],
    )
)


def _oob_cases():
    rng = np.random.default_rng(8)
    T, n, K = 6, 12, 3
    raw = rng.random((T, n, K))
    probas = raw / raw.sum(-1, keepdims=True)
    in_bag = rng.random((T, n)) < 0.63
    in_bag[:, 0] = True  # row 0 is never out of bag
    y = rng.integers(0, K, size=n)
    small = np.array([[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], [[0.3, 0.7], [0.4, 0.6], [0.1, 0.9]]])
    return [
        Case(
            (small, np.array([[True, False, True], [False, True, True]]), np.array([1, 1, 0])),
            label="2 trees × 3 rows; row 2 is in every bag",
        ),
        Case((probas, in_bag, y), label="6 trees × 12 rows × 3 classes; row 0 is in every bag"),
    ]


def _oob_all_trees(probas, in_bag, y):
    return float(np.mean(np.argmax(probas.mean(axis=0), axis=1) == y))


def _oob_in_bag(probas, in_bag, y):
    return ref.oob_accuracy(probas, ~np.asarray(in_bag), y)


def _oob_all_rows(probas, in_bag, y):
    oob = ~np.asarray(in_bag)
    summed = np.einsum("tn,tnk->nk", oob.astype(float), probas)
    pred = np.argmax(summed, axis=1)
    has = oob.any(axis=0)
    return float(np.sum((pred == y) & has) / len(y))


register(
    Check(
        "p06.oob_accuracy",
        reference=ref.oob_accuracy,
        cases=_oob_cases,
        hint="for each row, average only the trees with in_bag False; skip rows no tree left out; "
        "accuracy over the remaining rows.",
        mistakes=[
            Mistake(
                "all trees",
                _oob_all_trees,
                "use only the trees that did NOT see the row (in_bag False): otherwise it is a "
                "training accuracy.",
            ),
            Mistake(
                "in-bag trees",
                _oob_in_bag,
                "out-of-bag means in_bag is False: you averaged the trees that trained on the row.",
            ),
            Mistake(
                "all rows",
                _oob_all_rows,
                "skip rows that every tree saw, and divide by the number of rows that have an "
                "out-of-bag vote, not by n.",
            ),
        ],
    )
)
