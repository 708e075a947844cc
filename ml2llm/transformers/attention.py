"""Attention primitives shared by the GPT and Mistral models.

:func:`causal_mask` builds the boolean "may attend" matrix (optionally with a sliding
window), :func:`repeat_kv` expands grouped key/value heads, and :func:`attention` computes
``softmax(QKᵀ/√d + mask) V`` either with PyTorch's fused
``scaled_dot_product_attention`` ("sdpa") or spelled out ("manual", which can also return
the attention probabilities for analysis). Both paths agree to float32 rounding.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def causal_mask(
    q_len: int, kv_len: int, sliding_window: int | None = None, device=None
) -> torch.Tensor:
    """Boolean ``(q_len, kv_len)`` mask, True where query ``i`` may attend to key ``j``.

    The queries are the *last* ``q_len`` of ``kv_len`` positions (query ``i`` sits at
    position ``kv_len - q_len + i``), which is what a KV cache needs. With
    ``sliding_window=w`` a query sees only keys at positions ``> pos - w``.
    """
    q_pos = torch.arange(kv_len - q_len, kv_len, device=device)[:, None]
    k_pos = torch.arange(kv_len, device=device)[None, :]
    allowed = k_pos <= q_pos
    if sliding_window is not None:
        allowed = allowed & (k_pos > q_pos - sliding_window)
    return allowed


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """``(B, H_kv, T, D) -> (B, H_kv * n_rep, T, D)``; query head ``h`` uses kv head ``h // n_rep``."""
    if n_rep == 1:
        return x
    b, h, t, d = x.shape
    return x[:, :, None].expand(b, h, n_rep, t, d).reshape(b, h * n_rep, t, d)


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None,
    *,
    dropout_p: float = 0.0,
    impl: str = "sdpa",
    return_probs: bool = False,
    is_causal: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Scaled dot-product attention on ``(B, H, T, D)`` tensors.

    ``mask`` is boolean (True = attend) and broadcastable to ``(B, H, T_q, T_k)``; with
    ``is_causal=True`` and ``mask=None`` the sdpa path uses its fused causal kernel. Returns
    ``(output, probs)`` where ``probs`` is ``None`` unless ``return_probs`` (manual path).
    """
    if impl == "sdpa" and not return_probs:
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=dropout_p, is_causal=is_causal and mask is None
        )
        return out, None
    if is_causal and mask is None:
        mask = causal_mask(q.shape[-2], k.shape[-2], device=q.device)
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    dropped = F.dropout(probs, p=dropout_p) if dropout_p > 0 else probs
    return dropped @ v, (probs if return_probs else None)
