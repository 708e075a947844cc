"""What the GPT and Llama models share: loss, input checks, ``generate``, parameter count."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ml2llm.transformers.generation import generate


class CausalLM(nn.Module):
    """Base class: subclasses set ``self.config`` and implement ``forward``."""

    config: object

    def _check_idx(self, idx: torch.Tensor, past: int = 0) -> None:
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2:
            shape = tuple(idx.shape) if isinstance(idx, torch.Tensor) else type(idx).__name__
            raise ValueError(f"idx must be a 2-D LongTensor of shape (batch, seq_len), got {shape}")
        if idx.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"idx must hold integer token ids, got dtype {idx.dtype}")
        t = idx.shape[1]
        if t == 0:
            raise ValueError("idx must contain at least one token (seq_len >= 1)")
        if past + t > self.config.block_size:
            raise ValueError(
                f"idx has sequence length {t}"
                + (f" (+{past} cached)" if past else "")
                + f" but block_size (the context length) is {self.config.block_size}; "
                "crop the input to the last block_size tokens"
            )

    @staticmethod
    def _loss(logits: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor | None:
        """Mean cross-entropy over positions whose target is not -100 (ignored)."""
        if targets is None:
            return None
        if targets.shape != logits.shape[:2]:
            raise ValueError(
                f"targets must have shape {tuple(logits.shape[:2])} (same as idx), "
                f"got {tuple(targets.shape)}"
            )
        return F.cross_entropy(
            logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1), ignore_index=-100
        )

    def num_params(self, non_embedding: bool = False) -> int:
        """Number of distinct parameters (tied weights count once).

        With ``non_embedding=True`` the token (and position) embeddings are left out, the
        convention of scaling-law papers. A tied output projection is then left out too.
        """
        seen, total = set(), 0
        for p in self.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                total += p.numel()
        if non_embedding:
            for p in self._embedding_params():
                total -= p.numel()
        return total

    def _embedding_params(self) -> list[torch.Tensor]:
        raise NotImplementedError

    def generate(self, idx: torch.Tensor, max_new_tokens: int, **kwargs) -> torch.Tensor:
        """Append ``max_new_tokens`` sampled tokens to ``idx`` (``(B, T)``) and return it.

        This is :func:`ml2llm.transformers.generation.generate` (the one decoding loop) on this
        model; ``kwargs`` are its ``temperature`` (0 = greedy), ``top_k``, ``top_p``,
        ``use_cache``, ``generator`` and ``eos_id``. Cached and uncached decoding give
        identical tokens.
        """
        self._check_idx(idx[:, -self.config.block_size :])
        return generate(self, idx, max_new_tokens, **kwargs)
