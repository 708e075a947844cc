"""A Llama/Mistral-architecture model: RoPE, RMSNorm, SwiGLU, grouped-query attention.

The modern decoder block differs from GPT-2's in five places, each implemented here as a
small ``nn.Module``:

- **RMSNorm** instead of LayerNorm (no mean subtraction, no bias);
- **RoPE** rotates queries and keys instead of adding learned position embeddings;
- **SwiGLU** MLP ``down(silu(gate(x)) * up(x))`` instead of ``Linear → GELU → Linear``;
- **grouped-query attention**: ``n_kv_head`` key/value heads shared by ``n_head`` queries,
  which shrinks the KV cache by ``n_head / n_kv_head``;
- optionally a **sliding window**: each token sees only the last ``sliding_window`` tokens.

No biases anywhere. Parameter names follow Hugging Face's ``MistralForCausalLM`` /
``LlamaForCausalLM`` (``model.layers.0.self_attn.q_proj.weight`` …), so
:mod:`ml2llm.transformers.hf` copies weights one-to-one and PEFT-style ``target_modules``
(``q_proj``, ``v_proj`` …) mean the same thing. Only default RoPE (no scaling variants), no
padding masks.

>>> import torch
>>> from ml2llm.transformers.config import MistralConfig
>>> cfg = MistralConfig(vocab_size=11, block_size=8, n_layer=1, n_head=4, n_kv_head=2, n_embd=16)
>>> logits, _ = Mistral(cfg)(torch.zeros(1, 5, dtype=torch.long))
>>> tuple(logits.shape)
(1, 5, 11)
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ml2llm.transformers.attention import attention, causal_mask, repeat_kv
from ml2llm.transformers.base import CausalLM
from ml2llm.transformers.config import MistralConfig
from ml2llm.transformers.kv_cache import KVCache
from ml2llm.transformers.rope import apply_rope, rope_cos_sin


class RMSNorm(nn.Module):
    """``x / sqrt(mean(x²) + eps) * weight``, computed in float32."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


class SwiGLU(nn.Module):
    """Gated MLP: ``down_proj(silu(gate_proj(x)) * up_proj(x))``."""

    def __init__(self, config: MistralConfig):
        super().__init__()
        self.gate_proj = nn.Linear(config.n_embd, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.n_embd, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.n_embd, bias=False)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x)))


class GQAttention(nn.Module):
    """Grouped-query attention with RoPE on queries and keys (never on values)."""

    def __init__(self, config: MistralConfig):
        super().__init__()
        self.config = config
        hd = config.head_dim
        self.q_proj = nn.Linear(config.n_embd, config.n_head * hd, bias=False)
        self.k_proj = nn.Linear(config.n_embd, config.n_kv_head * hd, bias=False)
        self.v_proj = nn.Linear(config.n_embd, config.n_kv_head * hd, bias=False)
        self.o_proj = nn.Linear(config.n_head * hd, config.n_embd, bias=False)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x, cos, sin, kv_cache=None, layer=0, return_attn=False):
        cfg = self.config
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, cfg.n_head, cfg.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, cfg.n_kv_head, cfg.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, cfg.n_kv_head, cfg.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if kv_cache is not None:  # cache the small (n_kv_head) tensors, after RoPE
            k, v = kv_cache.update(layer, k, v)
        n_rep = cfg.n_head // cfg.n_kv_head
        k, v = repeat_kv(k, n_rep), repeat_kv(v, n_rep)
        kv_len = k.shape[-2]
        if cfg.sliding_window is None and kv_len == T:
            mask = None  # plain causal: let sdpa use its fused kernel
        else:
            mask = causal_mask(T, kv_len, cfg.sliding_window, device=x.device)
        y, probs = attention(
            q,
            k,
            v,
            mask,
            dropout_p=cfg.dropout if self.training else 0.0,
            impl=cfg.attn_impl,
            return_probs=return_attn,
            is_causal=True,
        )
        y = y.transpose(1, 2).contiguous().view(B, T, cfg.n_head * cfg.head_dim)
        return self.resid_dropout(self.o_proj(y)), probs


class DecoderLayer(nn.Module):
    """Pre-norm block: ``x + attn(rms(x))`` then ``x + swiglu(rms(x))``."""

    def __init__(self, config: MistralConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(config.n_embd, config.rms_norm_eps)
        self.self_attn = GQAttention(config)
        self.post_attention_layernorm = RMSNorm(config.n_embd, config.rms_norm_eps)
        self.mlp = SwiGLU(config)

    def forward(self, x, cos, sin, kv_cache=None, layer=0, return_attn=False):
        a, probs = self.self_attn(self.input_layernorm(x), cos, sin, kv_cache, layer, return_attn)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, probs


class Mistral(CausalLM):
    """Llama/Mistral-architecture language model. See the module docstring.

    Parameters
    ----------
    config : MistralConfig
    """

    def __init__(self, config: MistralConfig):
        super().__init__()
        if not isinstance(config, MistralConfig):
            raise ValueError(f"config must be a MistralConfig, got {type(config).__name__}")
        self.config = config
        self.model = nn.ModuleDict(
            dict(
                embed_tokens=nn.Embedding(config.vocab_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                layers=nn.ModuleList([DecoderLayer(config) for _ in range(config.n_layer)]),
                norm=RMSNorm(config.n_embd, config.rms_norm_eps),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if config.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    def _embedding_params(self):
        return [self.model.embed_tokens.weight]

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        *,
        kv_cache: KVCache | None = None,
        return_attn: bool = False,
    ):
        """Same contract as :meth:`ml2llm.transformers.gpt.GPT.forward`."""
        past = kv_cache.seq_len if kv_cache is not None else 0
        self._check_idx(idx, past)
        T = idx.shape[1]
        x = self.model.drop(self.model.embed_tokens(idx))
        pos = torch.arange(past, past + T, device=idx.device)
        cos, sin = rope_cos_sin(pos, self.config.head_dim, self.config.rope_theta, dtype=x.dtype)
        attn = []
        for i, layer in enumerate(self.model.layers):
            x, probs = layer(x, cos, sin, kv_cache, i, return_attn)
            attn.append(probs)
        logits = self.lm_head(self.model.norm(x))
        loss = self._loss(logits, targets)
        return (logits, loss, attn) if return_attn else (logits, loss)


Llama = Mistral
