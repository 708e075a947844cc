"""Checks for Project 12.1 — attention (stable softmax, causal mask, scaled dot-product
attention with a mask, splitting heads, the attention backward pass). References are in
:mod:`ml2llm.nlp.attention`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.nlp import attention as ref


def _rng(seed):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------- softmax
def _softmax_ref(x):
    return ref.softmax(x, axis=-1)


def _softmax_unstable(x):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)


def _softmax_axis0(x):
    return ref.softmax(x, axis=0)


def _softmax_no_norm(x):
    return np.exp(x - x.max(axis=-1, keepdims=True))


register(
    Check(
        "p12_1.softmax",
        reference=_softmax_ref,
        cases=lambda: [
            Case((np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),)),
            Case(
                (np.array([[1.0, 2.0], [3.0, 5.0], [0.5, -1.0]]),),
                hint="normalise each row (the last axis): every row must sum to 1.",
            ),
            Case(
                (np.array([[1000.0, 1001.0, 1002.0]]),),
                hint="exp(1000) overflows: subtract the row max first.",
            ),
            Case((_rng(0).normal(size=(2, 3, 4)) * 5,), label="x of shape (2, 3, 4)"),
        ],
        hint="softmax(x)_i = exp(x_i − max x) / Σ_j exp(x_j − max x), along the last axis.",
        mistakes=[
            Mistake(
                "unstable",
                _softmax_unstable,
                "exp of large scores overflows to inf (and inf/inf = nan): subtract the row max before exp.",
            ),
            Mistake(
                "axis 0",
                _softmax_axis0,
                "softmax over the wrong axis: normalise along the last axis (axis=-1).",
            ),
            Mistake(
                "no normalisation", _softmax_no_norm, "divide by the row sum so each row sums to 1."
            ),
        ],
    )
)


# ----------------------------------------------------------------- causal mask
register(
    Check(
        "p12_1.causal_mask",
        reference=lambda T: ref.causal_mask(T),
        cases=[Case((1,)), Case((2,)), Case((4,)), Case((6,))],
        hint="True where key j <= query i: the lower triangle *including* the diagonal (np.tril).",
        mistakes=[
            Mistake(
                "strict",
                lambda T: np.tril(np.ones((T, T), bool), k=-1),
                "off by one: a token may attend to itself, so include the diagonal.",
            ),
            Mistake(
                "upper",
                lambda T: np.triu(np.ones((T, T), bool)),
                "transposed: row i is the query, it may see keys j <= i (lower triangle), not the future.",
            ),
            Mistake(
                "inverted",
                lambda T: ~np.tril(np.ones((T, T), bool)),
                "inverted: True must mean *may attend* (past and present), False the future.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- attention
def _attn_cases():
    q, k, v = _rng(1).normal(size=(3, 4, 3))
    qb, kb, vb = _rng(2).normal(size=(3, 2, 5, 4))
    kc, vc = _rng(3).normal(size=(2, 6, 4))
    qc = _rng(4).normal(size=(3, 4))
    return [
        Case((q, k, v), label="q, k, v of shape (4, 3), no mask"),
        Case((q, k, v, ref.causal_mask(4)), label="(4, 3) inputs with a causal mask"),
        Case((qb, kb, vb, ref.causal_mask(5)), label="batched (2, 5, 4) inputs with a causal mask"),
        Case(
            (qc, kc, vc, ref.padding_mask(np.array([4]), 6)[0, 0]),
            label="3 queries, 6 keys, the last 2 keys padded",
        ),
    ]


def _attn_ref(q, k, v, mask=None):
    return ref.scaled_dot_product_attention(q, k, v, mask=mask)


def _scores(q, k, scale=None):
    d = q.shape[-1]
    return q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(d) if scale is None else scale)


def _attn_with(scores_fn, after=False, axis=-1):
    def wrong(q, k, v, mask=None):
        s = scores_fn(q, k)
        if mask is not None and not after:
            s = np.where(mask, s, -np.inf)
        w = ref.softmax(s, axis=axis)
        if mask is not None and after:
            w = w * mask
        return w @ v, w

    return wrong


def _attn_zero_fill(q, k, v, mask=None):
    s = _scores(q, k)
    if mask is not None:
        s = s * mask
    w = ref.softmax(s)
    return w @ v, w


register(
    Check(
        "p12_1.attention",
        reference=_attn_ref,
        cases=_attn_cases,
        hint="weights = softmax(q kᵀ / √d_k with masked scores set to −inf) along the keys; "
        "return (weights @ v, weights).",
        mistakes=[
            Mistake(
                "no scale",
                _attn_with(lambda q, k: _scores(q, k, 1.0)),
                "divide the scores by √d_k (d_k = q.shape[-1]) before the softmax.",
            ),
            Mistake(
                "scale by d",
                _attn_with(lambda q, k: _scores(q, k, 1 / q.shape[-1])),
                "scale by 1/√d_k, not 1/d_k.",
            ),
            Mistake(
                "wrong axis",
                _attn_with(_scores, axis=-2),
                "softmax over the wrong axis: each query's weights over the keys (last axis) sum to 1.",
            ),
            Mistake(
                "mask after softmax",
                _attn_with(_scores, after=True),
                "apply the mask before the softmax (scores → −inf); zeroing weights afterwards "
                "leaves rows that do not sum to 1.",
            ),
            Mistake(
                "zero fill",
                _attn_zero_fill,
                "a masked score must become −inf, not 0: exp(0) = 1 still gives the key weight.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- split heads
def _split_cases():
    return [
        Case((np.arange(8.0).reshape(1, 2, 4), 2)),
        Case((np.arange(24.0).reshape(2, 2, 6), 3)),
        Case((_rng(5).normal(size=(2, 5, 8)), 4), label="x of shape (2, 5, 8), n_heads=4"),
        Case((_rng(6).normal(size=(1, 3, 4)), 1), label="n_heads=1 (one head holds everything)"),
    ]


def _split_no_transpose(x, n_heads):
    B, T, D = x.shape
    return x.reshape(B, n_heads, T, D // n_heads)


def _split_interleaved(x, n_heads):
    B, T, D = x.shape
    return x.reshape(B, T, D // n_heads, n_heads).transpose(0, 3, 1, 2)


register(
    Check(
        "p12_1.split_heads",
        reference=ref.split_heads,
        cases=_split_cases,
        hint="reshape (B, T, D) to (B, T, H, D/H), then move the head axis: transpose(0, 2, 1, 3).",
        mistakes=[
            Mistake(
                "no transpose",
                _split_no_transpose,
                "a plain reshape to (B, H, T, dh) mixes positions: reshape to (B, T, H, dh) first, then transpose.",
            ),
            Mistake(
                "interleaved",
                _split_interleaved,
                "head h must get the contiguous features h·dh … (h+1)·dh − 1: reshape to (B, T, H, dh), not (B, T, dh, H).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- backward
def _bwd_cases():
    out = []
    for seed, shape, causal in [(7, (3, 2), False), (8, (4, 3), True), (9, (2, 5, 4), True)]:
        q, k, v, dout = _rng(seed).normal(size=(4, *shape))
        mask = ref.causal_mask(shape[-2]) if causal else None
        w = ref.scaled_dot_product_attention(q, k, v, mask=mask)[1]
        label = f"q, k, v, dout of shape {shape}" + (" (causal weights)" if causal else "")
        out.append(Case((dout, q, k, v, w), label=label))
    return out


def _bwd_variant(jacobian=True, scale=True, transpose_p=True):
    def wrong(dout, q, k, v, weights):
        s = 1 / np.sqrt(q.shape[-1]) if scale else 1.0
        P = weights
        dv = (np.swapaxes(P, -1, -2) if transpose_p else P) @ dout
        dP = dout @ np.swapaxes(v, -1, -2)
        dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True)) if jacobian else dP
        return (dS @ k) * s, (np.swapaxes(dS, -1, -2) @ q) * s, dv

    return wrong


register(
    Check(
        "p12_1.attention_backward",
        reference=ref.attention_backward,
        cases=_bwd_cases,
        hint="dV = Pᵀ dO; dP = dO Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)); dQ = dS K/√d; dK = dSᵀ Q/√d.",
        mistakes=[
            Mistake(
                "no softmax jacobian",
                _bwd_variant(jacobian=False),
                "you skipped the softmax's Jacobian: dS = P ⊙ (dP − Σ_j dP_j P_j), not dP.",
            ),
            Mistake(
                "no scale",
                _bwd_variant(scale=False),
                "the scores were scaled by 1/√d_k in the forward pass: multiply dQ and dK by it too.",
            ),
            Mistake(
                "P not transposed",
                _bwd_variant(transpose_p=False),
                "dV = Pᵀ dO (transpose the weights): key j collects gradient from every query that used it.",
            ),
        ],
    )
)
