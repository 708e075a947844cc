"""A key/value cache for autoregressive decoding.

During generation the keys and values of past positions never change, so each layer can
store them and the model only has to run the *new* token through the network: one step
costs O(T) attention work instead of re-running the whole O(T²) prefix.

:class:`KVCache` keeps, per layer, tensors of shape ``(batch, n_kv_head, T, head_dim)`` and
grows them by concatenation. It does not evict old entries (a sliding-window model masks
them instead), and it holds a single batch of equal-length sequences (no padding).

>>> import torch
>>> cache = KVCache(n_layer=1)
>>> k, v = cache.update(0, torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4))
>>> cache.seq_len, tuple(k.shape)
(3, (1, 2, 3, 4))
"""

from __future__ import annotations

import torch


class KVCache:
    """Per-layer cache of attention keys and values.

    Parameters
    ----------
    n_layer : int
        Number of transformer layers the cache serves.
    """

    def __init__(self, n_layer: int):
        if isinstance(n_layer, bool) or not isinstance(n_layer, int) or n_layer <= 0:
            raise ValueError(f"n_layer must be a positive int, got {n_layer!r}")
        self.n_layer = n_layer
        self.keys: list[torch.Tensor | None] = [None] * n_layer
        self.values: list[torch.Tensor | None] = [None] * n_layer

    @property
    def seq_len(self) -> int:
        """Number of positions stored (taken from layer 0)."""
        return 0 if self.keys[0] is None else int(self.keys[0].shape[-2])

    def update(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append ``k``/``v`` (``(B, H, T_new, D)``) for ``layer``; return all keys and values."""
        if self.keys[layer] is None:
            self.keys[layer], self.values[layer] = k, v
        else:
            self.keys[layer] = torch.cat([self.keys[layer], k], dim=-2)
            self.values[layer] = torch.cat([self.values[layer], v], dim=-2)
        return self.keys[layer], self.values[layer]

    def reset(self) -> None:
        """Forget everything."""
        self.keys = [None] * self.n_layer
        self.values = [None] * self.n_layer
