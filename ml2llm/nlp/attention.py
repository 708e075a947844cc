"""Scaled dot-product and multi-head attention in NumPy, forward and backward.

.. math::

    \\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\Big(\\frac{QK^\\top}{\\sqrt{d_k}} + M\\Big) V

- :func:`softmax` — numerically stable (subtracts the row maximum).
- :func:`causal_mask`, :func:`padding_mask` — boolean masks, ``True`` = *may attend* (the
  convention of ``torch.nn.functional.scaled_dot_product_attention``); combine them with ``&``.
- :func:`scaled_dot_product_attention` — any leading batch/head dimensions, returns the output
  and the attention weights; :func:`attention_backward` — its exact gradients.
- :func:`split_heads` / :func:`merge_heads` — ``(B, T, D) <-> (B, H, T, D/H)``.
- :class:`MultiHeadAttention` — projections + heads + output projection with a backward pass;
  :meth:`MultiHeadAttention.from_torch` copies the weights of a ``torch.nn.MultiheadAttention``.

Shapes: queries ``(..., T, d_k)``, keys ``(..., S, d_k)``, values ``(..., S, d_v)``; masks
broadcast to ``(..., T, S)``. A query row whose keys are *all* masked gets zero weights and a
zero output (PyTorch returns NaN there); avoid such rows.

Not here: dropout, key/value caching (Project 12.5), fused kernels.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> q, k, v = rng.normal(size=(3, 2, 4, 8))
>>> out, w = scaled_dot_product_attention(q, k, v, mask=causal_mask(4))
>>> out.shape, bool(np.allclose(w.sum(-1), 1)), float(w[0, 0, 1])
((2, 4, 8), True, 0.0)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MultiHeadAttention",
    "attention_backward",
    "causal_mask",
    "merge_heads",
    "padding_mask",
    "scaled_dot_product_attention",
    "softmax",
    "split_heads",
]


def softmax(x, axis: int = -1, where=None):
    """Numerically stable softmax along ``axis``; entries where ``where`` is False get 0.

    A slice that is entirely excluded by ``where`` gives all zeros (not NaN).
    """
    x = np.asarray(x, dtype=float)
    if where is not None:
        where = np.broadcast_to(np.asarray(where, dtype=bool), x.shape)
        x = np.where(where, x, -np.inf)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(x - m)
    s = e.sum(axis=axis, keepdims=True)
    return e / np.where(s == 0, 1.0, s)


def causal_mask(T: int, S: int | None = None):
    """Boolean ``(T, S)`` mask, True where query ``i`` may attend key ``j`` (``j <= i + S - T``).

    With ``S == T`` (the default) this is the lower triangle including the diagonal.
    """
    S = T if S is None else S
    for name, val in (("T", T), ("S", S)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < 1:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    return np.tril(np.ones((T, S), dtype=bool), k=S - T)


def padding_mask(lengths, S: int):
    """Boolean ``(B, 1, 1, S)`` mask, True for the first ``lengths[b]`` keys of sequence ``b``.

    Broadcasts against ``(B, H, T, S)`` scores; use ``[:, 0]`` for ``(B, T, S)`` scores.
    """
    lengths = np.asarray(lengths)
    if (
        lengths.ndim != 1
        or lengths.dtype.kind not in "iu"
        or (lengths < 0).any()
        or (lengths > S).any()
    ):
        raise ValueError(f"lengths must be a 1-D array of ints in [0, S={S}], got {lengths!r}")
    return (np.arange(S)[None, :] < lengths[:, None])[:, None, None, :]


def _check_qkv(q, k, v):
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(
            f"q, k, v must have the same number (>= 2) of dimensions, got {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must share the last dimension d_k, got {q.shape} and {k.shape}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same number of keys, got {k.shape} and {v.shape}")
    return q, k, v


def _check_mask(mask, T, S):
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(
            f"mask must be a boolean array (True = may attend), got dtype {mask.dtype}"
        )
    if (
        mask.ndim < 1
        or mask.shape[-1] not in (1, S)
        or (mask.ndim >= 2 and mask.shape[-2] not in (1, T))
    ):
        raise ValueError(f"mask must broadcast to (..., T={T}, S={S}), got shape {mask.shape}")
    return mask


def scaled_dot_product_attention(
    q, k, v, mask=None, causal: bool = False, scale: float | None = None
):
    """Return ``(output, weights)`` of softmax(q kᵀ · scale, masked) v.

    Parameters
    ----------
    q, k, v : arrays of shape (..., T, d_k), (..., S, d_k), (..., S, d_v)
    mask : bool array broadcastable to (..., T, S), optional. True = may attend.
    causal : bool
        Also apply :func:`causal_mask` ``(T, S)``.
    scale : float, optional
        Default ``1 / sqrt(d_k)``.

    Returns
    -------
    output : (..., T, d_v)
    weights : (..., T, S); each row sums to 1 (0 for a fully masked row).
    """
    q, k, v = _check_qkv(q, k, v)
    T, S = q.shape[-2], k.shape[-2]
    mask = _check_mask(mask, T, S)
    if causal:
        cm = causal_mask(T, S)
        mask = cm if mask is None else (mask & cm)
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = (q @ np.swapaxes(k, -1, -2)) * scale
    weights = softmax(scores, axis=-1, where=mask)
    return weights @ v, weights


def attention_backward(dout, q, k, v, weights, scale: float | None = None):
    """Gradients ``(dq, dk, dv)`` of attention given ``dout = ∂L/∂output`` and the forward weights.

    With P the weights and S the scaled scores: dV = Pᵀ dO, dP = dO Vᵀ,
    dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS K · scale, dK = dSᵀ Q · scale.
    Masked entries have P = 0, so they get no gradient.
    """
    q, k, v = _check_qkv(q, k, v)
    dout, P = np.asarray(dout, dtype=float), np.asarray(weights, dtype=float)
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else float(scale)
    dv = np.swapaxes(P, -1, -2) @ dout
    dP = dout @ np.swapaxes(v, -1, -2)
    dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True))
    dq = (dS @ k) * scale
    dk = (np.swapaxes(dS, -1, -2) @ q) * scale
    return dq, dk, dv


def split_heads(x, n_heads: int):
    """``(B, T, D) -> (B, H, T, D // H)``: head ``h`` gets features ``h*dh:(h+1)*dh``."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (B, T, D), got {x.shape}")
    if (
        isinstance(n_heads, bool)
        or not isinstance(n_heads, (int, np.integer))
        or n_heads < 1
        or x.shape[-1] % n_heads
    ):
        raise ValueError(
            f"n_heads must be a positive int dividing D={x.shape[-1]}, got {n_heads!r}"
        )
    B, T, D = x.shape
    return x.reshape(B, T, n_heads, D // n_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    """``(B, H, T, dh) -> (B, T, H * dh)``, the inverse of :func:`split_heads`."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (B, H, T, dh), got {x.shape}")
    B, H, T, dh = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * dh)


class MultiHeadAttention:
    """Multi-head attention with learnable projections, in NumPy, with a backward pass.

    ``y = merge(Attention(split(x_q W_q + b_q), split(x_kv W_k + b_k), split(x_kv W_v + b_v))) W_o + b_o``

    Weights are ``(D, D)`` matrices applied on the right (``x @ W``), i.e. the transpose of
    PyTorch's ``nn.Linear`` weights. Initialisation: Xavier-uniform weights, zero biases (as
    ``nn.MultiheadAttention``'s input projection).

    Parameters
    ----------
    d_model : int
    n_heads : int, dividing ``d_model``
    random_state : int or numpy.random.Generator, optional

    Attributes
    ----------
    params : dict of arrays ``W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o``
    grads : dict, same keys, filled by :meth:`backward`
    weights_ : (B, H, T, S) attention weights of the last :meth:`forward`
    """

    KEYS = ("W_q", "b_q", "W_k", "b_k", "W_v", "b_v", "W_o", "b_o")

    def __init__(self, d_model: int, n_heads: int, random_state=None):
        if isinstance(d_model, bool) or not isinstance(d_model, (int, np.integer)) or d_model < 1:
            raise ValueError(f"d_model must be a positive int, got {d_model!r}")
        if (
            isinstance(n_heads, bool)
            or not isinstance(n_heads, (int, np.integer))
            or n_heads < 1
            or d_model % n_heads
        ):
            raise ValueError(
                f"n_heads must be a positive int dividing d_model={d_model}, got {n_heads!r}"
            )
        self.d_model, self.n_heads = int(d_model), int(n_heads)
        rng = np.random.default_rng(random_state)
        lim = np.sqrt(6.0 / (2 * d_model))
        self.params = {}
        for name in ("q", "k", "v", "o"):
            self.params[f"W_{name}"] = rng.uniform(-lim, lim, size=(d_model, d_model))
            self.params[f"b_{name}"] = np.zeros(d_model)
        self.grads: dict = {}
        self._cache = None
        self.weights_ = None

    @classmethod
    def from_torch(cls, module) -> MultiHeadAttention:
        """Copy the weights of a ``torch.nn.MultiheadAttention`` (with biases, same q/k/v dims)."""
        D, H = module.embed_dim, module.num_heads
        if (
            module.in_proj_weight is None
            or module.in_proj_bias is None
            or module.out_proj.bias is None
        ):
            raise ValueError("module must use a packed in_proj_weight with biases (the default)")
        mha = cls(D, H)
        W = module.in_proj_weight.detach().double().numpy()
        b = module.in_proj_bias.detach().double().numpy()
        for i, name in enumerate("qkv"):
            mha.params[f"W_{name}"] = W[i * D : (i + 1) * D].T.copy()
            mha.params[f"b_{name}"] = b[i * D : (i + 1) * D].copy()
        mha.params["W_o"] = module.out_proj.weight.detach().double().numpy().T.copy()
        mha.params["b_o"] = module.out_proj.bias.detach().double().numpy().copy()
        return mha

    def forward(self, x_q, x_kv=None, mask=None, causal: bool = False):
        """Output ``(B, T, D)`` for queries ``x_q (B, T, D)`` and keys/values ``x_kv (B, S, D)``.

        ``x_kv=None`` means self-attention (``x_kv = x_q``). ``mask`` broadcasts to
        ``(B, H, T, S)``, True = may attend (e.g. ``padding_mask(lengths, S)``).
        """
        x_q = np.asarray(x_q, dtype=float)
        self_attn = x_kv is None
        x_kv = x_q if self_attn else np.asarray(x_kv, dtype=float)
        if (
            x_q.ndim != 3
            or x_kv.ndim != 3
            or x_q.shape[-1] != self.d_model
            or x_kv.shape[-1] != self.d_model
        ):
            raise ValueError(
                f"x_q and x_kv must have shape (B, T, d_model={self.d_model}), got {x_q.shape}, {x_kv.shape}"
            )
        p, H = self.params, self.n_heads
        q = split_heads(x_q @ p["W_q"] + p["b_q"], H)
        k = split_heads(x_kv @ p["W_k"] + p["b_k"], H)
        v = split_heads(x_kv @ p["W_v"] + p["b_v"], H)
        heads, w = scaled_dot_product_attention(q, k, v, mask=mask, causal=causal)
        merged = merge_heads(heads)
        self._cache = (x_q, x_kv, self_attn, q, k, v, w, merged)
        self.weights_ = w
        return merged @ p["W_o"] + p["b_o"]

    __call__ = forward

    def backward(self, dout):
        """Fill :attr:`grads` and return ``(dx_q, dx_kv)``; for self-attention ``dx_kv`` is None
        and ``dx_q`` holds the whole input gradient."""
        if self._cache is None:
            raise ValueError("call forward before backward")
        x_q, x_kv, self_attn, q, k, v, w, merged = self._cache
        dout = np.asarray(dout, dtype=float)
        p, H, g = self.params, self.n_heads, {}
        g["W_o"] = np.einsum("btd,bte->de", merged, dout)
        g["b_o"] = dout.sum(axis=(0, 1))
        dheads = split_heads(dout @ p["W_o"].T, H)
        dq, dk, dv = attention_backward(dheads, q, k, v, w)
        dq, dk, dv = merge_heads(dq), merge_heads(dk), merge_heads(dv)
        g["W_q"], g["b_q"] = np.einsum("btd,bte->de", x_q, dq), dq.sum(axis=(0, 1))
        g["W_k"], g["b_k"] = np.einsum("bsd,bse->de", x_kv, dk), dk.sum(axis=(0, 1))
        g["W_v"], g["b_v"] = np.einsum("bsd,bse->de", x_kv, dv), dv.sum(axis=(0, 1))
        self.grads = g
        dx_q = dq @ p["W_q"].T
        dx_kv = dk @ p["W_k"].T + dv @ p["W_v"].T
        if self_attn:
            return dx_q + dx_kv, None
        return dx_q, dx_kv

    def __repr__(self) -> str:
        return f"MultiHeadAttention(d_model={self.d_model}, n_heads={self.n_heads})"
