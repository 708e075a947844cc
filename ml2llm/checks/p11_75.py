"""Checks for Project 11.75 — RNNs from scratch (one RNN step forward and backward, full
backpropagation through time, global-norm gradient clipping, softmax with temperature).
References are in :mod:`ml2llm.neural.functional`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mismatch, Mistake, assert_close, register
from ml2llm.neural import functional as ref


def _weights(D, H, seed):
    r = np.random.default_rng(seed)
    return r.normal(size=(D, H)) * 0.5, r.normal(size=(H, H)) * 0.5, r.normal(size=H) * 0.1


# ----------------------------------------------------------------- step forward
def _fwd_cases():
    r = np.random.default_rng(0)
    W_xh, W_hh, b = _weights(3, 4, 1)
    return [
        Case(
            (
                np.array([[1.0]]),
                np.array([[0.5]]),
                np.array([[2.0]]),
                np.array([[0.5]]),
                np.array([0.1]),
            )
        ),
        Case(
            (r.normal(size=(2, 3)), r.normal(size=(2, 4)), W_xh, W_hh, b),
            label="x (2, 3), h_prev (2, 4), W_xh (3, 4), W_hh (4, 4), b (4,)",
        ),
        Case(
            (np.zeros((1, 3)), np.zeros((1, 4)), W_xh, W_hh, b),
            label="zero x and h_prev: h = tanh(b)",
        ),
    ]


register(
    Check(
        "p11_75.rnn_step_forward",
        reference=ref.rnn_step_forward,
        cases=_fwd_cases,
        hint="h = tanh(x @ W_xh + h_prev @ W_hh + b).",
        mistakes=[
            Mistake(
                "no tanh",
                lambda x, h, Wx, Wh, b: x @ Wx + h @ Wh + b,
                "apply the tanh nonlinearity; without it the RNN is a linear system.",
            ),
            Mistake(
                "W_hh transposed",
                lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b),
                "use h_prev @ W_hh (not W_hh.T): W_hh has shape (H_in, H_out) like W_xh.",
            ),
            Mistake(
                "no recurrence",
                lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + b),
                "add the recurrent term h_prev @ W_hh: it is what carries memory.",
            ),
            Mistake(
                "sigmoid",
                lambda x, h, Wx, Wh, b: 1 / (1 + np.exp(-(x @ Wx + h @ Wh + b))),
                "the vanilla RNN uses tanh, not the sigmoid.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- step backward
def _step_bwd_cases():
    r = np.random.default_rng(2)
    W_xh, W_hh, b = _weights(3, 4, 3)
    x, h_prev = r.normal(size=(2, 3)), r.normal(size=(2, 4)) * 0.5
    h = ref.rnn_step_forward(x, h_prev, W_xh, W_hh, b)
    x1, hp1 = np.array([[1.0, -1.0, 0.5]]), np.array([[0.2, -0.1, 0.0, 0.3]])
    h1 = ref.rnn_step_forward(x1, hp1, W_xh, W_hh, b)
    return [
        Case((np.ones((1, 4)), x1, hp1, h1, W_xh, W_hh), label="dh = ones (1, 4), one sample"),
        Case(
            (r.normal(size=(2, 4)), x, h_prev, h, W_xh, W_hh), label="random dh (2, 4), batch of 2"
        ),
    ]


def _sb_variant(tanh_grad="ok", transpose=True, db_sum=True):
    def wrong(dh, x, h_prev, h, W_xh, W_hh):
        da = dh * (1 - h**2) if tanh_grad == "ok" else dh * (1 - h) if tanh_grad == "1-h" else dh
        dh_prev = da @ W_hh.T if transpose else da @ W_hh
        db = da.sum(0) if db_sum else da.mean(0)
        return da @ W_xh.T, dh_prev, x.T @ da, h_prev.T @ da, db

    return wrong


register(
    Check(
        "p11_75.rnn_step_backward",
        reference=ref.rnn_step_backward,
        cases=_step_bwd_cases,
        hint="da = dh·(1 − h²); dx = da @ W_xh.T; dh_prev = da @ W_hh.T; dW_xh = x.T @ da; "
        "dW_hh = h_prev.T @ da; db = da.sum(0).",
        mistakes=[
            Mistake(
                "1 - h",
                _sb_variant(tanh_grad="1-h"),
                "tanh'(a) = 1 − tanh²(a) = 1 − h², not 1 − h.",
            ),
            Mistake(
                "no tanh grad",
                _sb_variant(tanh_grad="none"),
                "back-propagate through the tanh first: multiply dh by 1 − h².",
            ),
            Mistake(
                "no transpose",
                _sb_variant(transpose=False),
                "missing transpose: dh_prev = da @ W_hh.T (going backwards through h_prev @ W_hh).",
            ),
            Mistake(
                "db mean", _sb_variant(db_sum=False), "db sums over the batch, it does not average."
            ),
        ],
    )
)


# ----------------------------------------------------------------- full BPTT
def _bptt_cases():
    out = []
    for seed, (B, T, D, H) in [(4, (1, 3, 2, 3)), (5, (2, 6, 3, 4))]:
        r = np.random.default_rng(seed)
        W_xh, W_hh, b = _weights(D, H, seed + 10)
        xs, h0 = r.normal(size=(B, T, D)), r.normal(size=(B, H)) * 0.5
        hs, h = np.empty((B, T, H)), h0
        for t in range(T):
            h = ref.rnn_step_forward(xs[:, t], h, W_xh, W_hh, b)
            hs[:, t] = h
        out.append(
            Case(
                (r.normal(size=(B, T, H)), xs, hs, h0, W_xh, W_hh),
                label=f"B={B}, T={T}, D={D}, H={H}, gradients at every step",
            )
        )
    r = np.random.default_rng(6)
    B, T, D, H = 2, 5, 3, 4
    W_xh, W_hh, b = _weights(D, H, 7)
    xs, h0 = r.normal(size=(B, T, D)), np.zeros((B, H))
    hs, h = np.empty((B, T, H)), h0
    for t in range(T):
        h = ref.rnn_step_forward(xs[:, t], h, W_xh, W_hh, b)
        hs[:, t] = h
    dhs = np.zeros((B, T, H))
    dhs[:, -1] = r.normal(size=(B, H))
    out.append(
        Case(
            (dhs, xs, hs, h0, W_xh, W_hh),
            label="loss on the last step only (B=2, T=5)",
            hint="with a loss on the last step only, every earlier gradient arrives through dh_next.",
        )
    )
    return out


def _bptt_no_carry(dhs, xs, hs, h0, W_xh, W_hh):
    B, T, H = hs.shape
    dxs = np.zeros_like(xs)
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(H)
    dh_prev = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dx, dh_prev, a, c, d = ref.rnn_step_backward(
            dhs[:, t], xs[:, t], h_prev, hs[:, t], W_xh, W_hh
        )
        dxs[:, t] = dx
        dW_xh, dW_hh, db = dW_xh + a, dW_hh + c, db + d
    return dxs, dh_prev, dW_xh, dW_hh, db


def _bptt_no_accumulate(dhs, xs, hs, h0, W_xh, W_hh):
    B, T, H = hs.shape
    dxs = np.zeros_like(xs)
    dh_next = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dx, dh_next, dW_xh, dW_hh, db = ref.rnn_step_backward(
            dhs[:, t] + dh_next, xs[:, t], h_prev, hs[:, t], W_xh, W_hh
        )
        dxs[:, t] = dx
    return dxs, dh_next, dW_xh, dW_hh, db


def _bptt_wrong_hprev(dhs, xs, hs, h0, W_xh, W_hh):
    B, T, H = hs.shape
    dxs = np.zeros_like(xs)
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(H)
    dh_next = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        dx, dh_next, a, c, d = ref.rnn_step_backward(
            dhs[:, t] + dh_next, xs[:, t], hs[:, t], hs[:, t], W_xh, W_hh
        )
        dxs[:, t] = dx
        dW_xh, dW_hh, db = dW_xh + a, dW_hh + c, db + d
    return dxs, dh_next, dW_xh, dW_hh, db


register(
    Check(
        "p11_75.rnn_backward",
        reference=ref.rnn_backward,
        cases=_bptt_cases,
        hint="loop t = T−1 … 0: dh = dhs[:, t] + dh_next; step backward with h_prev = hs[:, t−1] "
        "(h0 at t = 0); add the weight gradients of every step.",
        mistakes=[
            Mistake(
                "no dh_next",
                _bptt_no_carry,
                "accumulate the hidden-state gradient: dh_t = dhs[:, t] + (gradient from step t+1).",
            ),
            Mistake(
                "no weight accumulation",
                _bptt_no_accumulate,
                "the weights are shared across time: sum dW_xh, dW_hh and db over all steps.",
            ),
            Mistake(
                "h_prev = h_t",
                _bptt_wrong_hprev,
                "step t's input state is h_{t−1} (hs[:, t−1], or h0 at t = 0), not h_t.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- gradient clipping
def _clip_cases():
    r = np.random.default_rng(8)
    return [
        Case(([np.array([3.0, 4.0])], 1.0), label="grads=[[3, 4]] (norm 5), max_norm=1"),
        Case(
            ([np.array([3.0, 0.0]), np.array([[0.0], [4.0]])], 2.5),
            label="two arrays [3, 0] and [[0], [4]] (global norm 5), max_norm=2.5",
            hint="one norm over ALL arrays together: sqrt(Σ_arrays Σ g²).",
        ),
        Case(
            ([np.array([0.1, -0.2]), np.array([0.2])], 1.0),
            label="global norm 0.3 < max_norm=1: unchanged",
        ),
        Case(
            ([r.normal(size=(3, 4)) * 4, r.normal(size=4) * 4], 2.0),
            label="random (3, 4) and (4,), max_norm=2",
        ),
    ]


def _compare_clip(expected, got):
    exp_grads, exp_norm = expected
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch("expected a tuple (new_grads, norm)")
    grads, norm = got
    if not isinstance(grads, (list, tuple)) or len(grads) != len(exp_grads):
        raise Mismatch(f"expected new_grads to be a list of {len(exp_grads)} arrays")
    assert_close(float(exp_norm), norm, rtol=1e-6, atol=1e-10, path="norm")
    for i, (e, g) in enumerate(zip(exp_grads, grads)):
        assert_close(e, g, rtol=1e-6, atol=1e-10, path=f"new_grads[{i}]")


def _clip_per_tensor(grads, max_norm):
    out = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
    return out, float(np.sqrt(sum(np.sum(g**2) for g in grads)))


def _clip_always(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    return [g * max_norm / norm for g in grads], norm


def _clip_value(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads], float(
        np.sqrt(sum(np.sum(g**2) for g in grads))
    )


register(
    Check(
        "p11_75.clip_by_global_norm",
        reference=ref.clip_by_global_norm,
        cases=_clip_cases,
        compare=_compare_clip,
        hint="norm = sqrt(Σ over all arrays of Σ g²); if norm > max_norm scale every array by "
        "max_norm / norm; return (new_grads, norm).",
        mistakes=[
            Mistake(
                "per tensor",
                _clip_per_tensor,
                "clip by the GLOBAL norm of all gradients together, not each array separately "
                "(per-array clipping changes the update's direction).",
            ),
            Mistake(
                "always rescale",
                _clip_always,
                "only scale when the norm exceeds max_norm; smaller gradients stay unchanged.",
            ),
            Mistake(
                "clip values",
                _clip_value,
                "that clips each value; rescale the whole gradient so its norm is max_norm.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- temperature
def _temp_cases():
    return [
        Case((np.array([2.0, 1.0, 0.0]), 1.0)),
        Case((np.array([2.0, 1.0, 0.0]), 0.5), hint="divide the logits by T (< 1 sharpens)."),
        Case((np.array([[1.0, 3.0], [0.0, 0.0]]), 2.0), hint="normalise each row (the last axis)."),
        Case(
            (np.array([1000.0, 999.0, -1000.0]), 0.7),
            hint="subtract the max before exp: exp(1000/0.7) overflows.",
        ),
    ]


def _temp_unstable(z, T=1.0):
    with np.errstate(all="ignore"):
        e = np.exp(np.asarray(z) / T)
        return e / e.sum(axis=-1, keepdims=True)


register(
    Check(
        "p11_75.softmax_temperature",
        reference=ref.softmax_temperature,
        cases=_temp_cases,
        hint="p = softmax(logits / T) over the last axis, with the max subtracted first.",
        mistakes=[
            Mistake(
                "times T",
                lambda z, T=1.0: ref.softmax_temperature(np.asarray(z) * T * T, T),
                "divide the logits by the temperature, do not multiply.",
            ),
            Mistake(
                "unstable",
                _temp_unstable,
                "unstable: subtract the max logit before exponentiating.",
            ),
            Mistake(
                "T on probs",
                lambda z, T=1.0: ref.softmax_temperature(z, 1.0) / T,
                "apply the temperature to the logits, before the softmax.",
            ),
            Mistake(
                "global",
                lambda z, T=1.0: (lambda e: e / e.sum())(np.exp(np.asarray(z) / T - np.max(z) / T)),
                "normalise over the last axis (each row), not the whole array.",
            ),
        ],
    )
)
