"""Stateless versions of the backward passes and update rules, one function per idea.

These are the reference solutions of the exercises in Projects 11.5 and 11.75 (the layer
classes in :mod:`~ml2llm.neural.layers`, :mod:`~ml2llm.neural.optim` and
:mod:`~ml2llm.neural.rnn` package the same maths with state). Inputs are never modified.

>>> import numpy as np
>>> relu_backward(np.array([-1.0, 0.0, 2.0]), np.array([5.0, 5.0, 5.0]))
array([0., 0., 5.])
"""

from __future__ import annotations

import numpy as np

from ml2llm.neural.losses import log_softmax, softmax

__all__ = [
    "adam_step",
    "clip_by_global_norm",
    "linear_backward",
    "numerical_gradient",
    "relu_backward",
    "rnn_backward",
    "rnn_step_backward",
    "rnn_step_forward",
    "sgd_momentum_step",
    "softmax_cross_entropy",
    "softmax_temperature",
]


# ----------------------------------------------------------------- Project 11.5
def linear_backward(x, W, dout):
    """Gradients of ``y = x @ W + b``: ``(dx, dW, db) = (dout Wᵀ, xᵀ dout, Σ_rows dout)``."""
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_backward(x, dout):
    """``dout`` where ``x > 0``, else 0 (also at exactly 0)."""
    return dout * (x > 0)


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy and its gradient ``(softmax − onehot)/N``, stable for huge logits."""
    n = logits.shape[0]
    logp = log_softmax(logits)
    loss = -logp[np.arange(n), y].mean()
    grad = np.exp(logp)
    grad[np.arange(n), y] -= 1.0
    return float(loss), grad / n


def numerical_gradient(f, x, eps=1e-6):
    """Centred differences ``(f(x + εe_i) − f(x − εe_i)) / 2ε`` for every entry of ``x``."""
    x = np.array(x, dtype=float)  # a private copy: the caller's array is never touched
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad


def sgd_momentum_step(param, grad, velocity, lr, momentum=0.9):
    """PyTorch's heavy ball: ``v ← μv + g``, ``θ ← θ − ηv``; returns ``(param, velocity)``."""
    velocity = momentum * velocity + grad
    return param - lr * velocity, velocity


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update at step ``t`` (1-based); returns ``(param, m, v)``."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


# ----------------------------------------------------------------- Project 11.75
def rnn_step_forward(x, h_prev, W_xh, W_hh, b):
    """``h = tanh(x @ W_xh + h_prev @ W_hh + b)`` for a batch: ``x (B, D)``, ``h_prev (B, H)``."""
    return np.tanh(x @ W_xh + h_prev @ W_hh + b)


def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    """Back through one step, given the total gradient ``dh`` reaching its output ``h``.

    Returns ``(dx, dh_prev, dW_xh, dW_hh, db)``.
    """
    da = dh * (1.0 - h**2)
    return da @ W_xh.T, da @ W_hh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_backward(dhs, xs, hs, h0, W_xh, W_hh):
    """Full BPTT for ``hs = RNN(xs, h0)``, given ``dhs[:, t] = ∂L/∂h_t`` from the outputs.

    Walks ``t = T−1 … 0`` adding the gradient that flows back from ``h_{t+1}`` and accumulating
    the weight gradients over time. Returns ``(dxs, dh0, dW_xh, dW_hh, db)``.
    """
    B, T, H = hs.shape
    dxs = np.zeros_like(xs, dtype=float)
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(H)
    dh_next = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dx, dh_next, dWx, dWh, db_t = rnn_step_backward(
            dhs[:, t] + dh_next, xs[:, t], h_prev, hs[:, t], W_xh, W_hh
        )
        dxs[:, t] = dx
        dW_xh += dWx
        dW_hh += dWh
        db += db_t
    return dxs, dh_next, dW_xh, dW_hh, db


def clip_by_global_norm(grads, max_norm):
    """Scale every gradient by ``max_norm / ‖g‖`` when the global norm ``‖g‖`` (over all arrays
    together) exceeds ``max_norm``; returns ``(new_grads, global_norm_before)``."""
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm


def softmax_temperature(logits, temperature=1.0):
    """``softmax(logits / T)`` over the last axis, computed stably."""
    return softmax(np.asarray(logits, dtype=float) / temperature)
