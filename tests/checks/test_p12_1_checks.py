"""Project 12.1 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


def causal_mask(T):
    i, j = np.indices((T, T))
    return j <= i


def attention(q, k, v, mask=None):
    s = np.einsum("...td,...sd->...ts", q, k) / np.sqrt(q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -1e30)  # a huge negative number works as well as -inf
    w = softmax(s)
    return np.einsum("...ts,...sd->...td", w, v), w


def split_heads(x, n_heads):
    B, T, D = x.shape
    return np.stack(np.split(x, n_heads, axis=-1), axis=1)


def attention_backward(dout, q, k, v, weights):
    c = 1 / np.sqrt(q.shape[-1])
    dv = np.einsum("...ts,...td->...sd", weights, dout)
    dp = np.einsum("...td,...sd->...ts", dout, v)
    ds = weights * dp - weights * np.einsum("...ts,...ts->...t", weights, dp)[..., None]
    return (
        c * np.einsum("...ts,...sd->...td", ds, k),
        c * np.einsum("...ts,...td->...sd", ds, q),
        dv,
    )


REFERENCES = {
    "p12_1.softmax": softmax,
    "p12_1.causal_mask": causal_mask,
    "p12_1.attention": attention,
    "p12_1.split_heads": split_heads,
    "p12_1.attention_backward": attention_backward,
}


# --- typical mistakes ------------------------------------------------------------------
def softmax_naive(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def softmax_columns(x):
    z = np.exp(x - x.max(axis=0, keepdims=True))
    return z / z.sum(axis=0, keepdims=True)


def mask_no_diagonal(T):
    i, j = np.indices((T, T))
    return j < i


def mask_future(T):
    i, j = np.indices((T, T))
    return j >= i


def attention_unscaled(q, k, v, mask=None):
    s = q @ np.swapaxes(k, -1, -2)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    w = softmax(s)
    return w @ v, w


def attention_mask_after_softmax(q, k, v, mask=None):
    w = softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]))
    if mask is not None:
        w = np.where(mask, w, 0.0)
    return w @ v, w


def attention_softmax_over_queries(q, k, v, mask=None):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    z = np.exp(s - s.max(axis=-2, keepdims=True))
    w = z / z.sum(axis=-2, keepdims=True)
    return w @ v, w


def split_reshape_only(x, n_heads):
    B, T, D = x.shape
    return np.reshape(x, (B, n_heads, T, D // n_heads))


def split_strided(x, n_heads):
    return np.stack([x[..., h::n_heads] for h in range(n_heads)], axis=1)


def backward_no_jacobian(dout, q, k, v, weights):
    c = 1 / np.sqrt(q.shape[-1])
    dp = dout @ np.swapaxes(v, -1, -2)
    return c * dp @ k, c * np.swapaxes(dp, -1, -2) @ q, np.swapaxes(weights, -1, -2) @ dout


def backward_unscaled(dout, q, k, v, weights):
    dq, dk, dv = attention_backward(dout, q, k, v, weights)
    c = np.sqrt(q.shape[-1])
    return dq * c, dk * c, dv


def backward_dv_untransposed(dout, q, k, v, weights):
    dq, dk, _ = attention_backward(dout, q, k, v, weights)
    return dq, dk, weights @ dout


MISTAKES = {
    "p12_1.softmax": [(softmax_naive, "subtract the row max"), (softmax_columns, "wrong axis")],
    "p12_1.causal_mask": [(mask_no_diagonal, "include the diagonal"), (mask_future, "transposed")],
    "p12_1.attention": [
        (attention_unscaled, "√d_k"),
        (attention_mask_after_softmax, "before the softmax"),
        (attention_softmax_over_queries, "wrong axis"),
    ],
    "p12_1.split_heads": [
        (split_reshape_only, "plain reshape"),
        (split_strided, "contiguous features"),
    ],
    "p12_1.attention_backward": [
        (backward_no_jacobian, "jacobian"),
        (backward_unscaled, "1/√d_k"),
        (backward_dv_untransposed, "transpose the weights"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
