"""Project 12.25 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def negative_distribution(counts):
    logw = 0.75 * np.log(counts)
    w = np.exp(logw - logw.max())
    return w / w.sum()


def keep_probability(counts, sample):
    f = counts / np.sum(counts)
    r = sample / f
    return np.clip(np.sqrt(r) + r, None, 1.0)  # (√(f/t) + 1)·t/f = √(t/f) + t/f


def context_pairs(ids, window_sizes):
    pairs = [
        (ids[i], ids[j])
        for i in range(len(ids))
        for j in range(len(ids))
        if i != j and abs(i - j) <= window_sizes[i]
    ]
    return np.array([p[0] for p in pairs], int), np.array([p[1] for p in pairs], int)


def sgns(v, u_pos, u_neg):
    s = np.einsum("pd,pd->p", v, u_pos)
    t = np.einsum("pd,pkd->pk", v, u_neg)
    loss = np.sum(np.log1p(np.exp(-s))) + np.sum(np.log1p(np.exp(t)))
    a = -1 / (1 + np.exp(s))  # = σ(s) − 1
    b = 1 / (1 + np.exp(-t))
    dv = a[:, None] * u_pos + (b[..., None] * u_neg).sum(1)
    return loss, (dv, a[:, None] * v, b[..., None] * v[:, None])


def scatter_add(W, idx, G):
    out = W.astype(float)
    for i, row in zip(idx, G):
        out[i] = out[i] + row
    return out


REFERENCES = {
    "p12_25.negative_distribution": negative_distribution,
    "p12_25.keep_probability": keep_probability,
    "p12_25.context_pairs": context_pairs,
    "p12_25.sgns_loss_and_grads": sgns,
    "p12_25.scatter_add": scatter_add,
}


# --- typical mistakes ------------------------------------------------------------------
def neg_raw_unigram(counts):
    return counts / np.sum(counts)


def neg_unnormalised(counts):
    return np.power(counts, 0.75)


def keep_no_clip(counts, sample):
    f = counts / counts.sum()
    return np.sqrt(sample / f) + sample / f


def keep_returns_discard(counts, sample):
    return 1 - keep_probability(counts, sample)


def pairs_fixed_window(ids, window_sizes):
    W = max(window_sizes)
    return context_pairs(ids, [W] * len(ids))


def pairs_with_self(ids, window_sizes):
    c, o = context_pairs(ids, window_sizes)
    return np.r_[c, ids], np.r_[o, ids]


def sgns_positive_negatives(v, u_pos, u_neg):
    s = np.einsum("pd,pd->p", v, u_pos)
    t = np.einsum("pd,pkd->pk", v, u_neg)
    sig = lambda x: 1 / (1 + np.exp(-x))
    loss = -np.log(sig(s)).sum() - np.log(sig(t)).sum()
    a, b = sig(s) - 1, sig(t) - 1
    dv = a[:, None] * u_pos + (b[..., None] * u_neg).sum(1)
    return loss, (dv, a[:, None] * v, b[..., None] * v[:, None])


def sgns_forgot_minus_one(v, u_pos, u_neg):
    loss, (dv, du, dn) = sgns(v, u_pos, u_neg)
    s = np.einsum("pd,pd->p", v, u_pos)
    sig = 1 / (1 + np.exp(-s))
    return loss, (dv + u_pos, sig[:, None] * v, dn)


def sgns_averaged(v, u_pos, u_neg):
    loss, grads = sgns(v, u_pos, u_neg)
    return loss / len(v), tuple(g / len(v) for g in grads)


def scatter_fancy_index(W, idx, G):
    out = W.copy()
    out[idx] = out[idx] + G
    return out


def scatter_mutates(W, idx, G):
    np.add.at(W, idx, G)
    return W


MISTAKES = {
    "p12_25.negative_distribution": [
        (neg_raw_unigram, "power 0.75"),
        (neg_unnormalised, "normalise"),
    ],
    "p12_25.keep_probability": [(keep_no_clip, "clip"), (keep_returns_discard, "keeping")],
    "p12_25.context_pairs": [(pairs_fixed_window, "dynamic window"), (pairs_with_self, "itself")],
    "p12_25.sgns_loss_and_grads": [
        (sgns_positive_negatives, "σ(−u_k·v)"),
        (sgns_forgot_minus_one, "σ(s) − 1"),
        (sgns_averaged, "do not average"),
    ],
    "p12_25.scatter_add": [(scatter_fancy_index, "np.add.at"), (scatter_mutates, "in place")],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
