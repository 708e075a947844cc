"""Project 06 checks pass correct code and catch typical wrong code with the right hint."""

import math

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def bootstrap(n_samples, seed):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_samples, size=n_samples)
    return idx, np.bincount(idx, minlength=n_samples) == 0


def n_features(max_features, n_features):
    if max_features is None:
        k = n_features
    elif max_features == "sqrt":
        k = math.floor(math.sqrt(n_features))
    elif max_features == "log2":
        k = math.floor(math.log2(n_features))
    elif isinstance(max_features, float):
        k = math.floor(max_features * n_features)
    else:
        k = max_features
    return max(k, 1)


def soft_vote(probas):
    return np.sum(probas, axis=0).argmax(axis=-1)


def oob_accuracy(probas, in_bag, y):
    right, total = 0, 0
    for i in range(probas.shape[1]):
        trees = [t for t in range(probas.shape[0]) if not in_bag[t][i]]
        if not trees:
            continue
        total += 1
        right += int(np.argmax(sum(probas[t, i] for t in trees)) == y[i])
    return right / total


REFERENCES = {
    "p06.bootstrap": bootstrap,
    "p06.n_features": n_features,
    "p06.soft_vote": soft_vote,
    "p06.oob_accuracy": oob_accuracy,
}


# --- typical mistakes ------------------------------------------------------------------
def bootstrap_permutation(n_samples, seed):
    idx = np.random.default_rng(seed).permutation(n_samples)
    return idx, np.zeros(n_samples, dtype=bool)


def bootstrap_inverted(n_samples, seed):
    idx, oob = bootstrap(n_samples, seed)
    return idx, ~oob


def n_features_round(max_features, n_features_):
    if max_features == "sqrt":
        return max(1, round(math.sqrt(n_features_)))
    return n_features(max_features, n_features_)


def n_features_no_floor(max_features, n_features_):
    if isinstance(max_features, float):
        return int(max_features * n_features_)
    if max_features == "log2":
        return int(math.log2(n_features_))
    return n_features(max_features, n_features_)


def hard_vote(probas):
    votes = probas.argmax(axis=2)
    return np.array([np.bincount(v, minlength=probas.shape[2]).argmax() for v in votes.T])


def vote_wrong_axis(probas):
    return probas.mean(axis=1).argmax(axis=1)


def oob_uses_every_tree(probas, in_bag, y):
    return float(np.mean(probas.sum(0).argmax(1) == y))


def oob_divides_by_n(probas, in_bag, y):
    right = 0
    for i in range(probas.shape[1]):
        trees = [t for t in range(probas.shape[0]) if not in_bag[t][i]]
        if trees:
            right += int(np.argmax(sum(probas[t, i] for t in trees)) == y[i])
    return right / probas.shape[1]


MISTAKES = {
    "p06.bootstrap": [
        (bootstrap_permutation, "with replacement"),
        (bootstrap_inverted, "not drawn"),
    ],
    "p06.n_features": [
        (n_features_round, "round down"),
        (n_features_no_floor, "never fewer than 1"),
    ],
    "p06.soft_vote": [
        (hard_vote, "hard (majority) vote"),
        (vote_wrong_axis, "axis 0"),
    ],
    "p06.oob_accuracy": [
        (oob_uses_every_tree, "did not see the row"),
        (oob_divides_by_n, "skip rows that every tree saw"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
