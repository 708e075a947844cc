"""Small functional versions of the transformer parts: the references for the exercises.

Each function is the smallest self-contained statement of one idea in Projects 12 and
12.5, written on plain tensors (no ``nn.Module``): splitting heads, causal attention, a
pre-norm block, the GPT-2 parameter count, the next-token loss, top-k filtering, RMSNorm,
RoPE, grouped-query head repetition, SwiGLU, the sliding-window mask and one KV-cached
attention step. The modules in :mod:`~ml2llm.transformers.gpt` and
:mod:`~ml2llm.transformers.llama` call these functions (``split_heads``, ``block_forward``,
``rms_norm``, ``swiglu``), and :mod:`~ml2llm.transformers.generation` filters with
``top_k_logits``, so a notebook check leads in one hop to the code the models run.

>>> import torch
>>> x = torch.arange(12.0).view(1, 2, 6)
>>> tuple(split_heads(x, 3).shape)
(1, 3, 2, 2)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ml2llm.transformers import attention as _attn
from ml2llm.transformers import rope as _rope


# ------------------------------------------------------------------------ Project 12
def split_heads(x: torch.Tensor, n_head: int) -> torch.Tensor:
    """``(B, T, C) -> (B, n_head, T, C // n_head)``: head ``h`` gets features ``h*d … h*d+d-1``."""
    B, T, C = x.shape
    return x.view(B, T, n_head, C // n_head).transpose(1, 2)


def causal_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``softmax(QKᵀ/√d + causal mask) V`` on ``(B, H, T, d)`` tensors."""
    T = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def block_forward(x, ln_1, attn, ln_2, mlp):
    """Pre-norm residual block: ``x = x + attn(ln_1(x))``; ``x = x + mlp(ln_2(x))``.

    The four parts are callables (modules or functions), so GPT-2's and Llama's blocks share it.
    """
    x = x + attn(ln_1(x))
    return x + mlp(ln_2(x))


def gpt_num_params(vocab_size: int, block_size: int, n_layer: int, n_embd: int) -> int:
    """Parameters of a GPT-2 model with biases and a tied output projection."""
    V, T, L, C = vocab_size, block_size, n_layer, n_embd
    ln = 2 * C
    attn = C * 3 * C + 3 * C + C * C + C
    mlp = C * 4 * C + 4 * C + 4 * C * C + C
    return V * C + T * C + L * (2 * ln + attn + mlp) + ln


def next_token_loss(logits: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of predicting ``idx[:, t+1]`` from ``logits[:, t]``."""
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), idx[:, 1:].reshape(-1))


def top_k_logits(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest logits of each row, set the rest to ``-inf`` (ties kept)."""
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


# ---------------------------------------------------------------------- Project 12.5
def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``x / sqrt(mean(x², last dim) + eps) * weight``.

    The normalisation runs in float32 and is cast back before the gain, as Hugging Face's
    Llama does, so half-precision inputs do not overflow in ``x²``.
    """
    h = x.float()
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return weight * h.to(x.dtype)


def apply_rope(x: torch.Tensor, positions: torch.Tensor, theta: float = 10000.0) -> torch.Tensor:
    """RoPE (Hugging Face rotate-half layout) on ``x`` of shape ``(..., T, d)``."""
    cos, sin = _rope.rope_cos_sin(positions, x.shape[-1], theta, dtype=x.dtype)
    return _rope.apply_rope(x, cos, sin)


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """``(B, H_kv, T, d) -> (B, H_kv * n_rep, T, d)``; each kv head serves ``n_rep`` consecutive query heads."""
    return _attn.repeat_kv(x, n_rep)


def _project(w, x):
    """``x Wᵀ`` for a weight tensor in ``nn.Linear`` layout, or ``w(x)`` for a module."""
    return F.linear(x, w) if isinstance(w, torch.Tensor) else w(x)


def swiglu(x, w_gate, w_up, w_down):
    """``silu(x W_gateᵀ) * (x W_upᵀ)`` then ``W_downᵀ``; weights in ``nn.Linear`` layout (out, in).

    Each ``w_*`` may also be a module (an ``nn.Linear``, or one wrapped by LoRA), which is
    then called instead.
    """
    return _project(w_down, F.silu(_project(w_gate, x)) * _project(w_up, x))


def sliding_window_mask(T: int, window: int) -> torch.Tensor:
    """Boolean ``(T, T)``: query ``i`` sees keys ``j`` with ``i - window < j <= i``."""
    return _attn.causal_mask(T, T, sliding_window=window)


def rope_attention(q, k, v, positions, theta: float = 10000.0):
    """Causal attention with RoPE applied to queries and keys (never values)."""
    return causal_attention(apply_rope(q, positions, theta), apply_rope(k, positions, theta), v)


def attend_with_cache(q_new, k_new, v_new, k_cache, v_cache):
    """One decoding step: append the new key/value, then attend with the new query.

    ``q_new``/``k_new``/``v_new`` are ``(B, H, 1, d)``; the caches ``(B, H, T, d)``.
    Returns ``(out (B, H, 1, d), k_all, v_all)``. The newest query may see every cached
    position, so no mask is needed.
    """
    k_all = torch.cat([k_cache, k_new], dim=-2)
    v_all = torch.cat([v_cache, v_new], dim=-2)
    scores = q_new @ k_all.transpose(-2, -1) / math.sqrt(q_new.shape[-1])
    return torch.softmax(scores, dim=-1) @ v_all, k_all, v_all
