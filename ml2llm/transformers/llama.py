"""A Llama/Mistral-architecture model: RoPE, RMSNorm, SwiGLU, grouped-query attention.

The modern decoder block differs from GPT-2's in five places, each implemented here as a
small ``nn.Module``:

- **RMSNorm** instead of LayerNorm (no mean subtraction, no bias);
- **RoPE** rotates queries and keys instead of adding learned position embeddings;
- **SwiGLU** MLP ``down(silu(gate(x)) * up(x))`` instead of ``Linear → GELU → Linear``
  (``mlp="relu2"``: ``down(relu(up(x))²)`` instead);
- **grouped-query attention**: ``n_kv_head`` key/value heads shared by ``n_head`` queries,
  which shrinks the KV cache by ``n_head / n_kv_head``;
- optionally a **sliding window**: each token sees only the last ``sliding_window`` tokens;
- optionally **QK-norm** (``qk_norm=True``): RMSNorm on each head's queries and keys.

No biases anywhere. Parameter names follow Hugging Face's ``MistralForCausalLM`` /
``LlamaForCausalLM`` (``model.layers.0.self_attn.q_proj.weight`` …), so
:mod:`ml2llm.transformers.hf` copies weights one-to-one and PEFT-style ``target_modules``
(``q_proj``, ``v_proj`` …) mean the same thing. Only default RoPE (no scaling variants), no
padding masks.

>>> import torch
>>> from ml2llm.transformers.config import LlamaConfig
>>> cfg = LlamaConfig(vocab_size=11, block_size=8, n_layer=1, n_head=4, n_kv_head=2, n_embd=16)
>>> logits, _ = Llama(cfg)(torch.zeros(1, 5, dtype=torch.long))
>>> tuple(logits.shape)
(1, 5, 11)
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ml2llm.transformers.attention import attention, causal_mask, repeat_kv
from ml2llm.transformers.base import CausalLM
from ml2llm.transformers.config import LlamaConfig
from ml2llm.transformers.functional import block_forward, rms_norm, swiglu
from ml2llm.transformers.kv_cache import KVCache
from ml2llm.transformers.rope import apply_rope, rope_cos_sin


class RMSNorm(nn.Module):
    """``x / sqrt(mean(x²) + eps) * weight``, normalised in float32
    (:func:`~ml2llm.transformers.functional.rms_norm`)."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return rms_norm(x, self.weight, self.eps)


class SwiGLU(nn.Module):
    """Gated MLP: ``down_proj(silu(gate_proj(x)) * up_proj(x))``
    (:func:`~ml2llm.transformers.functional.swiglu` on the three projections)."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(config.n_embd, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.n_embd, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.n_embd, bias=False)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(swiglu(x, self.gate_proj, self.up_proj, self.down_proj))


class ReLU2MLP(nn.Module):
    """ReLU² MLP: ``down_proj(relu(up_proj(x)) ** 2)`` (``mlp="relu2"``; no gate)."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.up_proj = nn.Linear(config.n_embd, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.n_embd, bias=False)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.down_proj(torch.relu(self.up_proj(x)).square()))


class GQAttention(nn.Module):
    """Grouped-query attention with RoPE on queries and keys (never on values).

    ``layer_idx`` (stored when built, as in Hugging Face) names this layer's slot in the KV
    cache. ``forward(x, position_embeddings, cache=None, attn_maps=None) -> y`` where
    ``position_embeddings`` is the ``(cos, sin)`` pair of the current positions. With
    ``config.qk_norm`` each head's queries and keys go through an RMSNorm (``q_norm``,
    ``k_norm``, gains of size ``head_dim``) before RoPE.
    """

    def __init__(self, config: LlamaConfig, layer_idx: int = 0):
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        hd = config.head_dim
        self.q_proj = nn.Linear(config.n_embd, config.n_head * hd, bias=False)
        self.k_proj = nn.Linear(config.n_embd, config.n_kv_head * hd, bias=False)
        self.v_proj = nn.Linear(config.n_embd, config.n_kv_head * hd, bias=False)
        self.o_proj = nn.Linear(config.n_head * hd, config.n_embd, bias=False)
        self.resid_dropout = nn.Dropout(config.dropout)
        if config.qk_norm:
            self.q_norm = RMSNorm(hd, config.rms_norm_eps)
            self.k_norm = RMSNorm(hd, config.rms_norm_eps)

    def forward(self, x, position_embeddings, cache: KVCache | None = None, attn_maps=None):
        cfg = self.config
        cos, sin = position_embeddings
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, cfg.n_head, cfg.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, cfg.n_kv_head, cfg.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, cfg.n_kv_head, cfg.head_dim).transpose(1, 2)
        if cfg.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:  # cache the small (n_kv_head) tensors, after RoPE
            k, v = cache.update(self.layer_idx, k, v)
        n_rep = cfg.n_head // cfg.n_kv_head
        kv_len = k.shape[-2]
        full_window = cfg.sliding_window is None or kv_len <= cfg.sliding_window
        if (
            full_window
            and (kv_len == T or T == 1)
            and cfg.attn_impl == "sdpa"
            and attn_maps is None
        ):
            # fast path: plain causal attention (or one new token that sees every cached
            # key) needs no mask, and sdpa shares each K/V head among its n_rep query heads
            # itself (enable_gqa), so the repeated K/V are never materialised
            y = F.scaled_dot_product_attention(
                q,
                k,
                v,
                dropout_p=cfg.dropout if self.training else 0.0,
                is_causal=T > 1,
                enable_gqa=n_rep > 1,
            )
            y = y.transpose(1, 2).contiguous().view(B, T, cfg.n_head * cfg.head_dim)
            return self.resid_dropout(self.o_proj(y))
        k, v = repeat_kv(k, n_rep), repeat_kv(v, n_rep)
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
            return_probs=attn_maps is not None,
            is_causal=True,
        )
        if attn_maps is not None:
            attn_maps.append(probs)
        y = y.transpose(1, 2).contiguous().view(B, T, cfg.n_head * cfg.head_dim)
        return self.resid_dropout(self.o_proj(y))


class DecoderLayer(nn.Module):
    """Pre-norm block: ``x + attn(rms(x))`` then ``x + swiglu(rms(x))``.

    ``forward(x, position_embeddings, cache=None, attn_maps=None) -> x`` is
    :func:`ml2llm.transformers.functional.block_forward` on this layer's parts.
    """

    def __init__(self, config: LlamaConfig, layer_idx: int = 0):
        super().__init__()
        self.input_layernorm = RMSNorm(config.n_embd, config.rms_norm_eps)
        self.self_attn = GQAttention(config, layer_idx)
        self.post_attention_layernorm = RMSNorm(config.n_embd, config.rms_norm_eps)
        self.mlp = ReLU2MLP(config) if config.mlp == "relu2" else SwiGLU(config)

    def forward(self, x, position_embeddings, cache: KVCache | None = None, attn_maps=None):
        def attn(h):
            return self.self_attn(h, position_embeddings, cache, attn_maps)

        return block_forward(x, self.input_layernorm, attn, self.post_attention_layernorm, self.mlp)


class Llama(CausalLM):
    """Llama/Mistral-architecture language model. See the module docstring.

    Parameters
    ----------
    config : LlamaConfig
        (``MistralConfig`` is the same class.)
    """

    def __init__(self, config: LlamaConfig):
        super().__init__()
        if not isinstance(config, LlamaConfig):
            raise ValueError(f"config must be a LlamaConfig, got {type(config).__name__}")
        self.config = config
        self.model = nn.ModuleDict(
            dict(
                embed_tokens=nn.Embedding(config.vocab_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                layers=nn.ModuleList([DecoderLayer(config, i) for i in range(config.n_layer)]),
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
        attn = [] if return_attn else None
        for layer in self.model.layers:
            x = layer(x, (cos, sin), cache=kv_cache, attn_maps=attn)
        logits = self.lm_head(self.model.norm(x))
        loss = self._loss(logits, targets)
        return (logits, loss, attn) if return_attn else (logits, loss)


Mistral = Llama  # the same architecture (Mistral adds the optional sliding window)
