"""Project 15 checks pass correct code and catch typical wrong code with the right hint."""

import math

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def token_nll(logits, targets):
    logits = np.asarray(logits, dtype=float)
    flat = logits.reshape(-1, logits.shape[-1])
    out = []
    for row, t in zip(flat, np.asarray(targets).ravel()):
        m = max(row)
        out.append(m + math.log(sum(math.exp(v - m) for v in row)) - row[t])
    return np.array(out).reshape(np.shape(targets))


def previous_token_score(attn):
    attn = np.asarray(attn)
    T = attn.shape[-1]
    return sum(attn[..., t, t - 1] for t in range(1, T)) / (T - 1)


def induction_score(attn, period):
    attn = np.asarray(attn)
    return sum(attn[..., t, t - period + 1] for t in range(period, 2 * period)) / period


def entropy(logits):
    logits = np.asarray(logits, dtype=float)
    flat = logits.reshape(-1, logits.shape[-1])
    out = []
    for row in flat:
        m = max(row)
        log_z = m + math.log(sum(math.exp(v - m) for v in row))
        out.append(-sum(math.exp(v - log_z) * (v - log_z) for v in row))
    return np.array(out).reshape(logits.shape[:-1])


def logit_lens_readout(h, gamma, beta, W_U, eps=1e-5):
    h = np.asarray(h, dtype=float)
    C = h.shape[-1]
    mean = h.sum(-1, keepdims=True) / C
    var = ((h - mean) ** 2).sum(-1, keepdims=True) / C
    normed = gamma * (h - mean) / np.sqrt(var + eps) + beta
    return np.einsum("...c,vc->...v", normed, W_U)


def cosine_similarity_matrix(E):
    E = np.asarray(E, dtype=float)
    n = len(E)
    S = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            S[i, j] = E[i] @ E[j] / math.sqrt((E[i] @ E[i]) * (E[j] @ E[j]))
    return S


REFERENCES = {
    "p15.token_nll": token_nll,
    "p15.previous_token_score": previous_token_score,
    "p15.induction_score": induction_score,
    "p15.entropy": entropy,
    "p15.logit_lens_readout": logit_lens_readout,
    "p15.cosine_similarity_matrix": cosine_similarity_matrix,
}


# --- typical mistakes ------------------------------------------------------------------
def nll_naive(logits, targets):
    with np.errstate(all="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return -np.log(np.take_along_axis(p, targets[..., None], -1)[..., 0])


def nll_no_logsumexp(logits, targets):
    return -np.take_along_axis(logits, targets[..., None], -1)[..., 0]


def nll_mean(logits, targets):
    return token_nll(logits, targets).mean()


def prev_diagonal(attn):
    return np.diagonal(attn, axis1=-2, axis2=-1).mean(-1)


def prev_over_t(attn):
    return np.diagonal(attn, offset=-1, axis1=-2, axis2=-1).sum(-1) / attn.shape[-1]


def induction_duplicate(attn, period):
    return sum(attn[..., t, t - period] for t in range(period, 2 * period)) / period


def induction_from_start(attn, period):
    T = attn.shape[-1]
    return sum(attn[..., t, t - period + 1] for t in range(period - 1, T)) / (T - period + 1)


def entropy_bits(logits):
    return entropy(logits) / math.log(2)


def entropy_naive(logits):
    with np.errstate(all="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return -(p * np.log(p)).sum(-1)


def lens_no_norm(h, gamma, beta, W_U, eps=1e-5):
    return np.asarray(h) @ np.asarray(W_U).T


def lens_unbiased_var(h, gamma, beta, W_U, eps=1e-5):
    h = np.asarray(h, dtype=float)
    normed = (h - h.mean(-1, keepdims=True)) / np.sqrt(h.var(-1, ddof=1, keepdims=True) + eps)
    return (gamma * normed + beta) @ W_U.T


def lens_no_beta(h, gamma, beta, W_U, eps=1e-5):
    return logit_lens_readout(h, gamma, np.zeros_like(beta), W_U, eps)


def cos_dot(E):
    return E @ E.T


def cos_columns(E):
    U = E / np.linalg.norm(E, axis=0)
    return U @ U.T


MISTAKES = {
    "p15.token_nll": [
        (nll_naive, "subtract the largest logit"),
        (nll_no_logsumexp, "log-sum-exp"),
        (nll_mean, "one loss per position"),
    ],
    "p15.previous_token_score": [
        (prev_diagonal, "attn[t, t-1]"),
        (prev_over_t, "T-1 positions"),
    ],
    "p15.induction_score": [
        (induction_duplicate, "t - period + 1"),
        (induction_from_start, "only queries in the repeat"),
    ],
    "p15.entropy": [
        (entropy_bits, "natural log"),
        (entropy_naive, "subtract the max logit"),
        (lambda lg: -entropy(lg), ">= 0"),
    ],
    "p15.logit_lens_readout": [
        (lens_no_norm, "final LayerNorm"),
        (lens_unbiased_var, "biased variance"),
        (lens_no_beta, "add beta"),
    ],
    "p15.cosine_similarity_matrix": [
        (cos_dot, "divide each row by its norm"),
        (cos_columns, "each ROW"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
