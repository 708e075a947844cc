"""Project 11.75 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def rnn_step_forward(x, h_prev, W_xh, W_hh, b):
    a = np.einsum("bd,dh->bh", x, W_xh) + np.einsum("bk,kh->bh", h_prev, W_hh) + b
    return (np.exp(2 * a) - 1) / (np.exp(2 * a) + 1)


def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = dh - dh * h * h
    return (
        np.einsum("bh,dh->bd", da, W_xh),
        np.einsum("bh,kh->bk", da, W_hh),
        np.einsum("bd,bh->dh", x, da),
        np.einsum("bk,bh->kh", h_prev, da),
        da.sum(axis=0),
    )


def rnn_backward(dhs, xs, hs, h0, W_xh, W_hh):
    T = hs.shape[1]
    prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    das = np.zeros_like(hs)
    carry = np.zeros_like(h0)
    for t in reversed(range(T)):
        das[:, t] = (dhs[:, t] + carry) * (1 - hs[:, t] ** 2)
        carry = das[:, t] @ W_hh.T
    return (
        das @ W_xh.T,
        carry,
        np.einsum("btd,bth->dh", xs, das),
        np.einsum("btk,bth->kh", prev, das),
        das.sum(axis=(0, 1)),
    )


def clip_by_global_norm(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))
    factor = min(1.0, max_norm / norm)
    return [factor * g for g in grads], norm


def softmax_temperature(logits, temperature=1.0):
    z = np.asarray(logits) / temperature
    z = z - np.log(np.sum(np.exp(z - z.max(axis=-1, keepdims=True)), axis=-1, keepdims=True))
    return np.exp(z - z.max(axis=-1, keepdims=True)) / np.exp(
        z - z.max(axis=-1, keepdims=True)
    ).sum(axis=-1, keepdims=True)


REFERENCES = {
    "p11_75.rnn_step_forward": rnn_step_forward,
    "p11_75.rnn_step_backward": rnn_step_backward,
    "p11_75.rnn_backward": rnn_backward,
    "p11_75.clip_by_global_norm": clip_by_global_norm,
    "p11_75.softmax_temperature": softmax_temperature,
}


# --- typical mistakes ------------------------------------------------------------------
def fwd_no_tanh(x, h_prev, W_xh, W_hh, b):
    return x @ W_xh + h_prev @ W_hh + b


def fwd_transposed(x, h_prev, W_xh, W_hh, b):
    return np.tanh(x @ W_xh + h_prev @ W_hh.T + b)


def fwd_forgets_state(x, h_prev, W_xh, W_hh, b):
    return np.tanh(x @ W_xh + b)


def sb_one_minus_h(dh, x, h_prev, h, W_xh, W_hh):
    da = dh * (1 - h)
    return da @ W_xh.T, da @ W_hh.T, x.T @ da, h_prev.T @ da, da.sum(0)


def sb_missing_transpose(dh, x, h_prev, h, W_xh, W_hh):
    da = dh * (1 - h**2)
    return da @ W_xh.T, da @ W_hh, x.T @ da, h_prev.T @ da, da.sum(0)


def sb_skips_tanh(dh, x, h_prev, h, W_xh, W_hh):
    return dh @ W_xh.T, dh @ W_hh.T, x.T @ dh, h_prev.T @ dh, dh.sum(0)


def bptt_forgets_hidden_gradient(dhs, xs, hs, h0, W_xh, W_hh):
    """Classic bug: dh_t = dhs[:, t] only; the gradient from the future is dropped."""
    T = hs.shape[1]
    das = dhs * (1 - hs**2)
    prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    return (
        (
            das @ W_xh.T,
            das[:, 0] @ W_hh.T,
            np.einsum("btd,bth->dh", xs, das),
            np.einsum("btk,bth->kh", prev, das),
            das.sum(axis=(0, 1)),
        )
        if T
        else None
    )


def bptt_last_step_weights(dhs, xs, hs, h0, W_xh, W_hh):
    dxs, dh0, _, _, _ = rnn_backward(dhs, xs, hs, h0, W_xh, W_hh)
    T = hs.shape[1]
    carry = np.zeros_like(h0)
    for t in reversed(range(T)):
        da = (dhs[:, t] + carry) * (1 - hs[:, t] ** 2)
        carry = da @ W_hh.T
        prev = h0 if t == 0 else hs[:, t - 1]
        dW_xh, dW_hh, db = xs[:, t].T @ da, prev.T @ da, da.sum(0)  # overwritten, not summed
    return dxs, dh0, dW_xh, dW_hh, db


def bptt_uses_current_state(dhs, xs, hs, h0, W_xh, W_hh):
    dxs, dh0, dW_xh, _, db = rnn_backward(dhs, xs, hs, h0, W_xh, W_hh)
    das = np.zeros_like(hs)
    carry = np.zeros_like(h0)
    for t in reversed(range(hs.shape[1])):
        das[:, t] = (dhs[:, t] + carry) * (1 - hs[:, t] ** 2)
        carry = das[:, t] @ W_hh.T
    return dxs, dh0, dW_xh, np.einsum("btk,bth->kh", hs, das), db


def clip_each_array(grads, max_norm):
    norm = float(np.sqrt(sum((g**2).sum() for g in grads)))
    return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads], norm


def clip_always(grads, max_norm):
    norm = float(np.sqrt(sum((g**2).sum() for g in grads)))
    return [g * (max_norm / norm) for g in grads], norm


def clip_elementwise(grads, max_norm):
    norm = float(np.sqrt(sum((g**2).sum() for g in grads)))
    return [np.clip(g, -max_norm, max_norm) for g in grads], norm


def temp_multiplies(logits, temperature=1.0):
    z = np.asarray(logits) * temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def temp_naive_exp(logits, temperature=1.0):
    with np.errstate(all="ignore"):
        e = np.exp(np.asarray(logits) / temperature)
        return e / e.sum(axis=-1, keepdims=True)


def temp_after_softmax(logits, temperature=1.0):
    z = np.asarray(logits)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) / temperature


MISTAKES = {
    "p11_75.rnn_step_forward": [
        (fwd_no_tanh, "apply the tanh"),
        (fwd_transposed, "not W_hh.T"),
        (fwd_forgets_state, "recurrent term"),
    ],
    "p11_75.rnn_step_backward": [
        (sb_one_minus_h, "not 1 − h"),
        (sb_missing_transpose, "missing transpose"),
        (sb_skips_tanh, "through the tanh"),
    ],
    "p11_75.rnn_backward": [
        (bptt_forgets_hidden_gradient, "accumulate the hidden-state gradient"),
        (bptt_last_step_weights, "shared across time"),
        (bptt_uses_current_state, "not h_t"),
    ],
    "p11_75.clip_by_global_norm": [
        (clip_each_array, "global norm"),
        (clip_always, "only scale when"),
        (clip_elementwise, "clips each value"),
    ],
    "p11_75.softmax_temperature": [
        (temp_multiplies, "do not multiply"),
        (temp_naive_exp, "subtract the max"),
        (temp_after_softmax, "before the softmax"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
