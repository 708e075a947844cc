"""Rotary position embeddings (RoPE), in the Hugging Face "rotate-half" layout.

RoPE encodes position ``m`` by rotating each pair of query/key features by an angle
``m * θ_i`` with ``θ_i = base^(-2i/d)``. Because a rotation by ``m`` followed by the inverse
rotation by ``n`` is a rotation by ``m - n``, the dot product ``q_m · k_n`` depends only on
the *relative* position ``m - n``.

Hugging Face's Llama/Mistral pair feature ``i`` with feature ``i + d/2`` (not ``2i`` with
``2i + 1`` as in the RoPE paper); this module uses the same layout so weights copied from
``transformers`` give identical results. Only the default (unscaled) RoPE is implemented:
no NTK/YaRN/linear scaling.

>>> import torch
>>> cos, sin = rope_cos_sin(torch.arange(4), head_dim=8)
>>> tuple(cos.shape)
(4, 8)
>>> x = torch.randn(1, 1, 4, 8)
>>> torch.allclose(apply_rope(x, cos, sin).norm(dim=-1), x.norm(dim=-1), atol=1e-5)
True
"""

from __future__ import annotations

import torch


def rope_inv_freq(head_dim: int, theta: float = 10000.0) -> torch.Tensor:
    """Inverse frequencies ``θ_i = theta^(-2i/head_dim)`` for ``i = 0 … head_dim/2 − 1``."""
    if head_dim % 2:
        raise ValueError(f"head_dim must be even for RoPE, got {head_dim}")
    return 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))


def rope_cos_sin(
    positions: torch.Tensor, head_dim: int, theta: float = 10000.0, dtype=torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """``cos`` and ``sin`` of shape ``(*positions.shape, head_dim)`` (angles repeated twice)."""
    inv_freq = rope_inv_freq(head_dim, theta).to(positions.device)
    freqs = positions.to(torch.float32)[..., None] * inv_freq
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """``[x1, x2] -> [-x2, x1]`` on the last dimension (halves, not interleaved pairs)."""
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate ``x`` (``(..., T, head_dim)``) by the angles in ``cos``/``sin`` (``(T, head_dim)``)."""
    return x * cos + rotate_half(x) * sin
