"""Checks for Project 15 — pretrained vs random (loss, head scores, entropy, logit lens, geometry).

References are in :mod:`ml2llm.analysis` (``perplexity``, ``attention``, ``sampling``,
``embeddings``) and :func:`logit_lens_readout` below (the logit lens of one residual vector
with NumPy, the same operations as :func:`ml2llm.analysis.logit_lens.logit_lens`).
"""

from __future__ import annotations

import numpy as np

from ml2llm.analysis import attention as attn_ref
from ml2llm.analysis import embeddings as emb_ref
from ml2llm.analysis import perplexity as ppl_ref
from ml2llm.analysis import sampling as samp_ref
from ml2llm.checks import Case, Check, Mistake, register


def _softmax_naive(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def _nll_naive(lg, t):
    with np.errstate(all="ignore"):
        return -np.log(np.take_along_axis(_softmax_naive(lg), t[..., None], -1)[..., 0])


def _entropy_naive(lg):
    with np.errstate(all="ignore"):
        p = _softmax_naive(lg)
        return -(p * np.log(p)).sum(-1)


def _causal_attn(rng, H, T, sharp=1.0):
    scores = rng.normal(scale=sharp, size=(H, T, T))
    scores = np.where(np.tril(np.ones((T, T), bool)), scores, -np.inf)
    z = scores - scores.max(-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(-1, keepdims=True)


# ---------------------------------------------------------------------- 15.1 token NLL
def _nll_cases():
    rng = np.random.default_rng(0)
    return [
        Case((np.array([[0.0, 0.0, 0.0, 0.0]]), np.array([2]))),
        Case((np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]]), np.array([0, 1]))),
        Case(
            (rng.normal(size=(3, 5, 7)), rng.integers(0, 7, size=(3, 5))),
            label="logits: (3, 5, 7) random, targets: (3, 5)",
        ),
        Case(
            (np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 1.0]]), np.array([0, 2])),
            hint="exp(1000) overflows: subtract the largest logit before exponentiating.",
        ),
    ]


register(
    Check(
        "p15.token_nll",
        reference=ppl_ref.token_nll,
        cases=_nll_cases,
        hint="nll = logsumexp(logits) - logits[target], along the last axis.",
        mistakes=[
            Mistake(
                "naive softmax",
                _nll_naive,
                "exp(1000) overflows: subtract the largest logit before exponentiating "
                "(log-sum-exp trick).",
            ),
            Mistake(
                "no normaliser",
                lambda lg, t: -np.take_along_axis(lg, t[..., None], -1)[..., 0],
                "logits are not log-probabilities: subtract log-sum-exp of the logits.",
            ),
            Mistake(
                "sign",
                lambda lg, t: -ppl_ref.token_nll(lg, t),
                "the loss is the NEGATIVE log-probability: it is >= 0.",
            ),
            Mistake(
                "mean",
                lambda lg, t: ppl_ref.token_nll(lg, t).mean(),
                "return one loss per position (same shape as targets), not their mean.",
            ),
        ],
        rtol=1e-7,
        atol=1e-9,
    )
)


# ---------------------------------------------------------------------- 15.2 previous-token
def _prev_cases():
    rng = np.random.default_rng(1)
    uni = np.tril(np.ones((5, 5)))
    uni /= uni.sum(-1, keepdims=True)
    prev = np.eye(6, k=-1)
    prev[0, 0] = 1.0
    return [
        Case((uni,), label="attn: one uniform causal head, T=5"),
        Case((prev,), label="attn: a perfect previous-token head, T=6"),
        Case((_causal_attn(rng, 3, 8),), label="attn: 3 random causal heads, shape (3, 8, 8)"),
        Case((_causal_attn(rng, 4, 6)[None].repeat(2, 0),), label="attn: shape (2, 4, 6, 6)"),
    ]


def _diag(a, k):
    return np.diagonal(a, offset=k, axis1=-2, axis2=-1)


register(
    Check(
        "p15.previous_token_score",
        reference=attn_ref.previous_token_score,
        cases=_prev_cases,
        hint="average attn[..., t, t-1] over t = 1 .. T-1.",
        mistakes=[
            Mistake(
                "self",
                lambda a: _diag(a, 0).mean(-1),
                "attn[t, t] is attention to the token itself; the previous token is attn[t, t-1] "
                "(the diagonal just below the main one).",
            ),
            Mistake(
                "divide by T",
                lambda a: _diag(a, -1).sum(-1) / a.shape[-1],
                "position 0 has no previous token: average over the T-1 positions t = 1 .. T-1.",
            ),
            Mistake(
                "future",
                lambda a: _diag(a, 1).mean(-1),
                "attn[t, t+1] is the next (masked) token; the previous token is attn[t, t-1].",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 15.3 induction
def _ind_cases():
    rng = np.random.default_rng(2)
    T, n = 8, 4
    perfect = np.zeros((T, T))
    for t in range(T):
        perfect[t, t - n + 1 if t >= n else 0] = 1.0
    return [
        Case((perfect, n), label="attn: a perfect induction head, T=8, period=4"),
        Case((_causal_attn(rng, 2, 10), 5), label="attn: 2 random causal heads, T=10, period=5"),
        Case(
            (_causal_attn(rng, 3, 11, 2.0), 4), label="attn: (3, 11, 11), period=4 (T > 2*period)"
        ),
        Case((_causal_attn(rng, 2, 6)[None].repeat(2, 0), 3), label="attn: (2, 2, 6, 6), period=3"),
        Case((_causal_attn(rng, 2, 4), 1), label="attn: (2, 4, 4), period=1 (the shortest repeat)"),
    ]


def _ind_offset(a, n, k, lo, hi):
    return np.stack([a[..., t, t - n + k] for t in range(lo, hi)], -1).mean(-1)


register(
    Check(
        "p15.induction_score",
        reference=attn_ref.induction_score,
        cases=_ind_cases,
        hint="for t = period .. 2*period-1 average attn[..., t, t - period + 1].",
        mistakes=[
            Mistake(
                "duplicate token",
                lambda a, n: _ind_offset(a, n, 0, n, 2 * n),
                "attn[t, t - period] is the earlier copy of the SAME token; an induction head "
                "looks one further, at the token after it: t - period + 1.",
            ),
            Mistake(
                "first half included",
                lambda a, n: _ind_offset(a, n, 1, n - 1, 2 * n),
                "only queries in the repeat count: t = period .. 2*period-1.",
            ),
            Mistake(
                "whole sequence",
                lambda a, n: np.stack(
                    [a[..., t, t - n + 1] for t in range(n - 1, a.shape[-1])], -1
                ).mean(-1),
                "only queries in the repeat count: t = period .. 2*period-1.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 15.4 entropy
def _ent_cases():
    rng = np.random.default_rng(3)
    return [
        Case((np.zeros(4),), hint="uniform over V tokens: the entropy is ln V."),
        Case((np.array([2.0, 1.0, 0.0]),)),
        Case((rng.normal(scale=2.0, size=(4, 6, 9)),), label="logits: (4, 6, 9) random"),
        Case(
            (np.array([[1000.0, 0.0, 0.0], [5.0, 5.0, -1000.0]]),),
            hint="subtract the max before exp, and treat 0 * log 0 as 0.",
        ),
        Case(
            (np.array([1000.0, 999.0, 998.0]),),
            hint="large but close logits: subtract the max before exp (exp(1000) overflows).",
        ),
    ]


def _ent_log2(lg):
    return samp_ref.entropy(lg) / np.log(2)


register(
    Check(
        "p15.entropy",
        reference=samp_ref.entropy,
        cases=_ent_cases,
        hint="p = softmax(logits) (stable); H = -sum p * log p along the last axis, in nats.",
        mistakes=[
            Mistake("bits", _ent_log2, "use the natural log (nats), not log2 (bits)."),
            Mistake("sign", lambda lg: -samp_ref.entropy(lg), "H = -sum p log p: entropy is >= 0."),
            Mistake(
                "naive",
                _entropy_naive,
                "exp(1000) overflows and 0 * log 0 gives nan: subtract the max logit first and "
                "use log p = z - logsumexp(z).",
            ),
        ],
        rtol=1e-7,
        atol=1e-9,
    )
)


# ---------------------------------------------------------------------- 15.5 logit lens
def logit_lens_readout(h, gamma, beta, W_U, eps=1e-5):
    """NumPy logit lens of residual vectors ``h (..., C)``: ``LayerNorm_f(h) @ W_U.T``."""
    h = np.asarray(h, dtype=np.float64)
    mu = h.mean(-1, keepdims=True)
    var = ((h - mu) ** 2).mean(-1, keepdims=True)
    return ((h - mu) / np.sqrt(var + eps) * gamma + beta) @ np.asarray(W_U).T


def _lens_cases():
    rng = np.random.default_rng(4)
    C, V = 6, 5
    return [
        Case(
            (rng.normal(size=(3, C)), np.ones(C), np.zeros(C), rng.normal(size=(V, C))),
            label="h: (3, 6), gamma=1, beta=0, W_U: (5, 6)",
        ),
        Case(
            (
                rng.normal(size=(2, 4, C)) * 3 + 1,
                rng.uniform(0.5, 2, C),
                rng.normal(size=C),
                rng.normal(size=(V, C)),
            ),
            label="h: (2, 4, 6), random gamma and beta, W_U: (5, 6)",
        ),
        Case(
            (np.full((1, C), 2.0), np.ones(C), np.linspace(-1, 1, C), rng.normal(size=(V, C))),
            label="h: a constant vector (variance 0), beta = linspace(-1, 1, 6)",
            hint="the variance can be 0: eps goes inside the square root.",
        ),
    ]


def _ln_mistake(ddof=0, use_beta=True, eps_in=True, norm=True):
    def wrong(h, gamma, beta, W_U, eps=1e-5):
        h = np.asarray(h, dtype=np.float64)
        if norm:
            sd = h.std(-1, keepdims=True, ddof=ddof)
            z = (h - h.mean(-1, keepdims=True)) / (np.sqrt(sd**2 + eps) if eps_in else sd + eps)
            h = z * gamma + (beta if use_beta else 0.0)
        return h @ np.asarray(W_U).T

    return wrong


register(
    Check(
        "p15.logit_lens_readout",
        reference=logit_lens_readout,
        cases=_lens_cases,
        hint="apply the FINAL LayerNorm (mean, biased variance, eps inside the sqrt, gamma, "
        "beta), then multiply by W_U transposed.",
        mistakes=[
            Mistake(
                "no final norm",
                _ln_mistake(norm=False),
                "the model applies its final LayerNorm before the unembedding: so must the lens.",
            ),
            Mistake(
                "no beta",
                _ln_mistake(use_beta=False),
                "LayerNorm is (h - mean) / sqrt(var + eps) * gamma + beta: add beta.",
            ),
            Mistake(
                "unbiased",
                _ln_mistake(ddof=1),
                "LayerNorm uses the biased variance (divide by C, not C - 1).",
            ),
            Mistake(
                "eps outside",
                _ln_mistake(eps_in=False),
                "eps goes inside the square root: sqrt(var + eps).",
            ),
        ],
        rtol=1e-7,
        atol=1e-9,
    )
)


# ---------------------------------------------------------------------- 15.6 cosine
def _cos_cases():
    rng = np.random.default_rng(5)
    return [
        Case((np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0]]),)),
        Case((np.array([[1.0, 2.0, 2.0], [-2.0, 1.0, 0.5]]),)),
        Case(
            (rng.normal(size=(6, 4)) * rng.uniform(0.1, 10, (6, 1)),),
            label="E: (6, 4) rows of varied norm",
        ),
    ]


register(
    Check(
        "p15.cosine_similarity_matrix",
        reference=emb_ref.cosine_similarity_matrix,
        cases=_cos_cases,
        hint="divide each ROW by its norm, then S = U @ U.T.",
        mistakes=[
            Mistake(
                "dot product",
                lambda E: E @ E.T,
                "a dot product grows with the vectors' lengths: divide each row by its norm.",
            ),
            Mistake(
                "column norms",
                lambda E: (
                    (E / np.linalg.norm(E, axis=0, keepdims=True))
                    @ (E / np.linalg.norm(E, axis=0, keepdims=True)).T
                ),
                "normalise each ROW (one token's vector, axis=1), not each column.",
            ),
            Mistake(
                "one side",
                lambda E: (E / np.linalg.norm(E, axis=1, keepdims=True)) @ E.T,
                "normalise both vectors: S[i, j] = E_i · E_j / (|E_i| |E_j|).",
            ),
        ],
    )
)
