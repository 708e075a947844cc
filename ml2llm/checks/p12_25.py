"""Checks for Project 12.25 — skip-gram with negative sampling (noise distribution,
sub-sampling, dynamic-window pairs, SGNS loss and gradients, sparse updates). References are in
:mod:`ml2llm.nlp.word2vec`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mismatch, Mistake, register
from ml2llm.checks.core import assert_close
from ml2llm.nlp import word2vec as ref


def _rng(seed):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------- noise distribution
register(
    Check(
        "p12_25.negative_distribution",
        reference=lambda counts: ref.negative_distribution(counts, 0.75),
        cases=[
            Case((np.array([10.0, 10.0]),)),
            Case((np.array([100.0, 10.0, 1.0]),)),
            Case((np.array([5.0]),), hint="one word: probability 1."),
            Case((np.array([1000.0, 300.0, 20.0, 20.0, 1.0]),)),
        ],
        hint="P(w) = count(w)^0.75 / Σ_v count(v)^0.75.",
        mistakes=[
            Mistake(
                "raw unigram",
                lambda c: c / c.sum(),
                "raise the counts to the power 0.75 before normalising; the raw unigram "
                "distribution over-samples frequent words.",
            ),
            Mistake(
                "not normalised", lambda c: c**0.75, "normalise: the probabilities must sum to 1."
            ),
            Mistake(
                "uniform",
                lambda c: np.full(len(c), 1 / len(c)),
                "negatives follow the (smoothed) word frequencies, not a uniform distribution.",
            ),
            Mistake(
                "sqrt", lambda c: np.sqrt(c) / np.sqrt(c).sum(), "the exponent is 0.75, not 0.5."
            ),
        ],
    )
)


# ----------------------------------------------------------------- sub-sampling
def _keep_cases():
    return [
        Case((np.array([1.0, 1.0, 1.0, 1.0]), 0.1)),
        Case((np.array([900.0, 50.0, 40.0, 10.0]), 1e-2)),
        Case(
            (np.array([5000.0, 3000.0, 100.0, 7.0, 1.0]), 1e-3),
            hint="rare words must be kept with probability exactly 1 (clip at 1).",
        ),
        Case(
            (_rng(0).integers(1, 10_000, size=30).astype(float), 1e-3),
            label="30 random counts, sample=1e-3",
        ),
    ]


def _keep_unclipped(counts, sample):
    f = counts / counts.sum()
    return (np.sqrt(f / sample) + 1) * sample / f


def _keep_discard(counts, sample):
    return 1.0 - ref.keep_probability(counts, sample)


def _keep_counts(counts, sample):
    return np.minimum(1.0, (np.sqrt(counts / sample) + 1) * sample / counts)


register(
    Check(
        "p12_25.keep_probability",
        reference=ref.keep_probability,
        cases=_keep_cases,
        hint="f = count / total; keep = min(1, (√(f/t) + 1) · t / f).",
        mistakes=[
            Mistake(
                "no clip",
                _keep_unclipped,
                "a probability cannot exceed 1: clip with np.minimum(1, …).",
            ),
            Mistake(
                "discard",
                _keep_discard,
                "return the probability of *keeping* the word, not of discarding it.",
            ),
            Mistake(
                "counts not frequencies",
                _keep_counts,
                "use frequencies f = count / total, not raw counts.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- dynamic-window pairs
def _pairs_cases():
    return [
        Case((np.array([10, 11, 12]), np.array([1, 1, 1]))),
        Case((np.array([10, 11, 12, 13]), np.array([2, 1, 2, 1]))),
        Case(
            (np.array([5, 6, 7, 8, 9]), np.array([3, 3, 3, 3, 3])),
            hint="windows are cut at the sequence ends; never pair a word with itself.",
        ),
        Case((np.array([1, 2, 3, 4, 5, 6]), np.array([1, 3, 2, 1, 2, 1]))),
        Case(
            (np.array([4]), np.array([2])),
            hint="a single word has no context: return two empty arrays.",
        ),
    ]


def _same_pairs(expected, got):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch("expected a tuple (centres, contexts)")
    e = sorted(zip(np.asarray(expected[0]).tolist(), np.asarray(expected[1]).tolist()))
    g = sorted(zip(np.asarray(got[0]).tolist(), np.asarray(got[1]).tolist()))
    if len(e) != len(g):
        raise Mismatch(f"expected {len(e)} pairs, got {len(g)}")
    if e != g:
        diff = sorted(set(g) - set(e))[:3] or sorted(set(e) - set(g))[:3]
        raise Mismatch(f"pairs differ, e.g. {diff}")


def _pairs_loop(ids, b, fixed=None, self_pair=False, short=False):
    c, o = [], []
    n = len(ids)
    for i in range(n):
        w = fixed if fixed is not None else b[i]
        for j in range(max(0, i - w), min(n, i + w + (0 if short else 1))):
            if j != i or self_pair:
                c.append(ids[i])
                o.append(ids[j])
    return np.array(c, dtype=int), np.array(o, dtype=int)


register(
    Check(
        "p12_25.context_pairs",
        reference=ref.context_pairs,
        cases=_pairs_cases,
        compare=_same_pairs,
        hint="for each position i, pair ids[i] with ids[j] for every j ≠ i with |i − j| ≤ window_sizes[i].",
        mistakes=[
            Mistake(
                "fixed window",
                lambda ids, b: _pairs_loop(ids, b, fixed=int(np.max(b))),
                "use each position's own window size window_sizes[i] (the dynamic window), not the maximum.",
            ),
            Mistake(
                "self pair",
                lambda ids, b: _pairs_loop(ids, b, self_pair=True),
                "do not pair a word with itself (skip j == i).",
            ),
            Mistake(
                "off by one",
                lambda ids, b: _pairs_loop(ids, b, short=True),
                "off by one: the window includes position i + window_sizes[i] (use range(…, i + b + 1)).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- SGNS loss + grads
def _sgns_cases():
    out = []
    for seed, (P, K, d) in [(1, (1, 1, 2)), (2, (3, 2, 4)), (3, (5, 4, 3))]:
        v, u = _rng(seed).normal(size=(2, P, d))
        neg = _rng(seed + 10).normal(size=(P, K, d))
        out.append(Case((v, u, neg), label=f"P={P} pairs, K={K} negatives, d={d}"))
    return out


def _sgns_variant(neg_sign=-1.0, pos_grad_minus_one=True, neg_in_dv=True):
    def wrong(v, u_pos, u_neg):
        sig = lambda x: 1 / (1 + np.exp(-x))
        s_pos = np.sum(u_pos * v, -1)
        s_neg = np.einsum("pkd,pd->pk", u_neg, v)
        loss = -np.sum(np.log(sig(s_pos))) - np.sum(np.log(sig(neg_sign * s_neg)))
        g_pos = sig(s_pos) - (1.0 if pos_grad_minus_one else 0.0)
        g_neg = sig(s_neg) - 1.0 if neg_sign > 0 else sig(s_neg)
        dv = g_pos[:, None] * u_pos + (np.einsum("pk,pkd->pd", g_neg, u_neg) if neg_in_dv else 0)
        return loss, (dv, g_pos[:, None] * v, g_neg[..., None] * v[:, None, :])

    return wrong


def _sgns_mean(v, u_pos, u_neg):
    loss, grads = ref.sgns_loss_and_grads(v, u_pos, u_neg)
    return loss / len(v), tuple(g / len(v) for g in grads)


register(
    Check(
        "p12_25.sgns_loss_and_grads",
        reference=ref.sgns_loss_and_grads,
        cases=_sgns_cases,
        rtol=1e-6,
        atol=1e-9,
        hint="ℓ = −log σ(u_o·v) − Σ_k log σ(−u_k·v); ∂ℓ/∂s_pos = σ(s_pos) − 1, ∂ℓ/∂s_neg = σ(s_neg); "
        "return (loss summed over pairs, (dv, du_pos, du_neg)).",
        mistakes=[
            Mistake(
                "negative sign",
                _sgns_variant(neg_sign=1.0),
                "negatives use σ(−u_k·v): the model should score negative words *low*.",
            ),
            Mistake(
                "missing −1",
                _sgns_variant(pos_grad_minus_one=False),
                "the gradient of −log σ(s) is σ(s) − 1, not σ(s).",
            ),
            Mistake(
                "dv without negatives",
                _sgns_variant(neg_in_dv=False),
                "dv collects gradient from the negatives too: + Σ_k σ(s_k) u_k.",
            ),
            Mistake("mean", _sgns_mean, "sum over the pairs of the minibatch; do not average."),
        ],
    )
)


# ----------------------------------------------------------------- sparse update
def _scatter_cases():
    W = np.arange(12.0).reshape(4, 3)
    G = np.ones((3, 3))
    return [
        Case((W, np.array([0, 2, 3]), G)),
        Case((W, np.array([1, 1, 2]), G), hint="row 1 appears twice: both updates must be added."),
        Case((W, np.array([3, 3, 3]), np.arange(9.0).reshape(3, 3))),
        Case(
            (_rng(4).normal(size=(6, 2)), np.array([5, 0, 5, 5, 1]), _rng(5).normal(size=(5, 2))),
            label="W (6, 2), idx=[5, 0, 5, 5, 1], random G",
        ),
    ]


def _scatter_fancy(W, idx, G):
    out = W.copy()
    out[idx] += G
    return out


def _scatter_first(W, idx, G):
    out = W.copy()
    _, first = np.unique(idx, return_index=True)
    out[idx[first]] += G[first]
    return out


def _scatter_compare(expected, got):
    assert_close(expected, got, rtol=1e-12, atol=1e-12)


register(
    Check(
        "p12_25.scatter_add",
        reference=ref.scatter_add,
        cases=_scatter_cases,
        compare=_scatter_compare,
        hint="copy W, then add every row of G to its row idx[i]; np.add.at accumulates repeated indices.",
        mistakes=[
            Mistake(
                "fancy index",
                _scatter_fancy,
                "W[idx] += G keeps only one update per repeated row: use np.add.at(W, idx, G).",
            ),
            Mistake(
                "first only",
                _scatter_first,
                "every occurrence of a repeated index must be added, not only the first.",
            ),
        ],
    )
)
