"""GPT-2 from parts: embeddings, causal self-attention, MLP, LayerNorm, residuals.

A decoder-only transformer with the GPT-2 architecture, written as plain ``nn.Module`` s
whose parameter names follow Hugging Face's ``GPT2LMHeadModel`` (``transformer.h.0.attn.
c_attn.weight`` …), so :mod:`ml2llm.transformers.hf` can copy weights both ways (HF stores
these projections transposed, as ``Conv1D``). Pre-norm blocks, learned position
embeddings, tanh-approximated GELU, and the output projection tied to the token embedding.

``forward(idx, targets=None)`` returns ``(logits, loss)``; ``return_attn=True`` appends the
list of per-layer attention probabilities ``(B, n_head, T, T)``. ``generate`` (from
:class:`~ml2llm.transformers.base.CausalLM`) samples with temperature / top-k / top-p and a KV
cache. The blocks call the functional references of Project 12's exercises
(:func:`~ml2llm.transformers.functional.split_heads`,
:func:`~ml2llm.transformers.functional.block_forward`). Not handled: padding masks, cross-attention, gradient
checkpointing.

>>> import torch
>>> from ml2llm.transformers.config import GPTConfig
>>> model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8))
>>> logits, loss = model(torch.zeros(2, 5, dtype=torch.long))
>>> tuple(logits.shape), loss is None
((2, 5, 11), True)
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ml2llm.transformers.attention import attention, causal_mask
from ml2llm.transformers.base import CausalLM
from ml2llm.transformers.config import GPTConfig
from ml2llm.transformers.functional import block_forward, split_heads
from ml2llm.transformers.kv_cache import KVCache


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with one fused q/k/v projection.

    ``layer_idx`` (stored when built, as in Hugging Face) names this layer's slot in the KV
    cache. ``forward(x, cache=None, attn_maps=None) -> y``: with a cache the new keys and
    values are appended to it; with a list ``attn_maps`` the probabilities are appended to it.
    """

    def __init__(self, config: GPTConfig, layer_idx: int = 0):
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x, cache: KVCache | None = None, attn_maps: list | None = None):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head_dim): each head attends independently
        q, k, v = (split_heads(t, self.n_head) for t in (q, k, v))
        if cache is not None:
            k, v = cache.update(self.layer_idx, k, v)
        kv_len = k.shape[-2]
        mask = None if kv_len == T else causal_mask(T, kv_len, device=x.device)
        y, probs = attention(
            q,
            k,
            v,
            mask,
            dropout_p=self.config.dropout if self.training else 0.0,
            impl=self.config.attn_impl,
            return_probs=attn_maps is not None,
            is_causal=True,
        )
        if attn_maps is not None:
            attn_maps.append(probs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble all heads side by side
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """Position-wise feed-forward: Linear(C, 4C) → GELU(tanh) → Linear(4C, C)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))``.

    ``forward(x, cache=None, attn_maps=None) -> x`` is
    :func:`ml2llm.transformers.functional.block_forward` on this block's parts.
    """

    def __init__(self, config: GPTConfig, layer_idx: int = 0):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias)
        self.attn = CausalSelfAttention(config, layer_idx)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x, cache: KVCache | None = None, attn_maps: list | None = None):
        def attn(h):
            return self.attn(h, cache, attn_maps)

        return block_forward(x, self.ln_1, attn, self.ln_2, self.mlp)


class GPT(CausalLM):
    """GPT-2-architecture language model. See the module docstring.

    Parameters
    ----------
    config : GPTConfig
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise ValueError(f"config must be a GPTConfig, got {type(config).__name__}")
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config, i) for i in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):  # GPT-2: scale residual projections by depth
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def _embedding_params(self):
        return [self.transformer.wte.weight, self.transformer.wpe.weight]

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        *,
        kv_cache: KVCache | None = None,
        return_attn: bool = False,
    ):
        """``idx`` (B, T) token ids → ``(logits (B, T, vocab), loss or None)``.

        ``targets`` (B, T) are the next tokens (``-100`` = ignore). With ``kv_cache`` the
        positions continue after the cached ones. ``return_attn=True`` returns a third item:
        a list with one ``(B, n_head, T, T_total)`` probability tensor per layer.
        """
        past = kv_cache.seq_len if kv_cache is not None else 0
        self._check_idx(idx, past)
        T = idx.shape[1]
        pos = torch.arange(past, past + T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        attn = [] if return_attn else None
        for block in self.transformer.h:
            x = block(x, cache=kv_cache, attn_maps=attn)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = self._loss(logits, targets)
        return (logits, loss, attn) if return_attn else (logits, loss)
