"""Checks for Project 12.5 — modern blocks (RMSNorm, RoPE, grouped-query heads, SwiGLU,
sliding-window mask, RoPE attention, one KV-cached step; parameters and KV-cache bytes of a
config). References: :mod:`ml2llm.transformers.functional`, :mod:`ml2llm.models.footprint`."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.models.footprint import llama_footprint
from ml2llm.transformers import functional as ref


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _randn(*shape, seed):
    return torch.randn(*shape, generator=_gen(seed))


# ------------------------------------------------------------------------ RMSNorm
def _rms_cases():
    return [
        Case(
            (torch.tensor([[3.0, 4.0]]), torch.ones(2), 1e-6),
            label="x=[[3, 4]], weight=ones, eps=1e-6",
        ),
        Case(
            (_randn(2, 3, 8, seed=0) + 2.0, _randn(8, seed=1), 1e-6),
            label="x (2, 3, 8) with mean 2, random weight",
        ),
        Case(
            (0.1 * _randn(4, 6, seed=2), torch.ones(6) * 1.5, 0.05),
            label="small x (4, 6), eps=0.05",
            hint="eps goes inside the square root, added to the mean of squares.",
        ),
    ]


register(
    Check(
        "p12_5.rms_norm",
        reference=ref.rms_norm,
        cases=_rms_cases,
        rtol=1e-5,
        atol=1e-6,
        hint="x / sqrt(mean(x², last axis, keepdim) + eps) * weight.",
        mistakes=[
            Mistake(
                "layernorm",
                lambda x, w, eps: (
                    (x - x.mean(-1, keepdim=True))
                    * torch.rsqrt(x.var(-1, keepdim=True, unbiased=False) + eps)
                    * w
                ),
                "that is LayerNorm: RMSNorm does not subtract the mean.",
            ),
            Mistake(
                "eps outside",
                lambda x, w, eps: x / (x.pow(2).mean(-1, keepdim=True).sqrt() + eps) * w,
                "add eps inside the square root: sqrt(mean(x²) + eps).",
            ),
            Mistake(
                "no weight",
                lambda x, w, eps: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps),
                "multiply by the learned weight (gain) at the end.",
            ),
            Mistake(
                "sum",
                lambda x, w, eps: x * torch.rsqrt(x.pow(2).sum(-1, keepdim=True) + eps) * w,
                "use the MEAN of the squares over the last axis, not the sum.",
            ),
        ],
    )
)


# ------------------------------------------------------------------------ RoPE
def _rope_cases():
    return [
        Case((_randn(1, 1, 3, 4, seed=3), torch.arange(3)), label="x (1, 1, 3, 4), positions 0..2"),
        Case((_randn(2, 3, 5, 8, seed=4), torch.arange(5)), label="x (2, 3, 5, 8), positions 0..4"),
        Case(
            (_randn(1, 2, 4, 16, seed=5), torch.arange(10, 14), 500.0),
            label="x (1, 2, 4, 16), positions 10..13, theta=500",
        ),
    ]


def _rope_variant(interleaved=False, freq_step=2, sign=1.0):
    def wrong(x, positions, theta=10000.0):
        d = x.shape[-1]
        inv = 1.0 / (
            theta
            ** (torch.arange(0, d // 2 * freq_step, freq_step, dtype=torch.float32)[: d // 2] / d)
        )
        ang = positions.float()[:, None] * inv
        cos, sin = ang.cos(), ang.sin()
        if interleaved:
            x1, x2 = x[..., 0::2], x[..., 1::2]
            out = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
            return out.flatten(-2)
        x1, x2 = x[..., : d // 2], x[..., d // 2 :]
        return torch.cat([x1 * cos - sign * x2 * sin, x2 * cos + sign * x1 * sin], dim=-1)

    return wrong


register(
    Check(
        "p12_5.apply_rope",
        reference=ref.apply_rope,
        cases=_rope_cases,
        rtol=1e-5,
        atol=1e-5,
        hint="θ_i = theta^(−2i/d); angles = position × θ; x·cos + rotate_half(x)·sin with rotate_half([a, b]) = [−b, a].",
        mistakes=[
            Mistake(
                "interleaved",
                _rope_variant(interleaved=True),
                "you rotated interleaved pairs (0,1), (2,3)…; Hugging Face pairs feature i with i + d/2 (rotate_half).",
            ),
            Mistake(
                "freq",
                _rope_variant(freq_step=1),
                "frequencies are theta^(−2i/d) for i = 0 … d/2−1: use torch.arange(0, d, 2) / d.",
            ),
            Mistake(
                "sign",
                _rope_variant(sign=-1.0),
                "rotation direction: rotate_half([a, b]) = [−b, a], so the first half gets −b·sin.",
            ),
        ],
    )
)


# ------------------------------------------------------------------------ repeat_kv
def _rep_cases():
    return [
        Case(
            (torch.arange(2.0).view(1, 2, 1, 1), 3), label="x = [[h0], [h1]] (1, 2, 1, 1), n_rep=3"
        ),
        Case((_randn(2, 2, 3, 4, seed=6), 2), label="x (2, 2, 3, 4), n_rep=2"),
        Case((_randn(1, 3, 2, 2, seed=7), 1), hint="n_rep=1 leaves x unchanged."),
    ]


register(
    Check(
        "p12_5.repeat_kv",
        reference=ref.repeat_kv,
        cases=_rep_cases,
        hint="kv head j serves query heads j·n_rep … j·n_rep + n_rep − 1: torch.repeat_interleave(x, n_rep, dim=1).",
        mistakes=[
            Mistake(
                "tile",
                lambda x, n: x.repeat(1, n, 1, 1),
                "x.repeat tiles the heads (h0, h1, h0, h1 …); each kv head must serve CONSECUTIVE query "
                "heads (h0, h0, h1, h1 …): use repeat_interleave.",
            ),
            Mistake(
                "wrong dim",
                lambda x, n: torch.repeat_interleave(x, n, dim=2),
                "repeat along the head axis (dim=1), not the time axis.",
            ),
            Mistake(
                "identity",
                lambda x, n: x,
                "expand the kv heads n_rep times so every query head has one.",
            ),
        ],
    )
)


# ------------------------------------------------------------------------ SwiGLU
def _swiglu_cases():
    out = []
    for seed, (C, H) in enumerate([(4, 6), (8, 12)]):
        out.append(
            Case(
                (
                    _randn(2, 3, C, seed=20 + seed),
                    _randn(H, C, seed=30 + seed),
                    _randn(H, C, seed=40 + seed),
                    _randn(C, H, seed=50 + seed),
                ),
                label=f"x (2, 3, {C}), w_gate/w_up ({H}, {C}), w_down ({C}, {H})",
            )
        )
    return out


register(
    Check(
        "p12_5.swiglu",
        reference=ref.swiglu,
        cases=_swiglu_cases,
        rtol=1e-5,
        atol=1e-5,
        hint="(silu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T — nn.Linear weights are (out, in).",
        mistakes=[
            Mistake(
                "gelu",
                lambda x, g, u, d: (F.gelu(x @ g.T) * (x @ u.T)) @ d.T,
                "SwiGLU uses SiLU (x·sigmoid(x)) on the gate, not GELU.",
            ),
            Mistake(
                "swapped",
                lambda x, g, u, d: ((x @ g.T) * F.silu(x @ u.T)) @ d.T,
                "apply SiLU to the GATE projection, not the up projection.",
            ),
            Mistake(
                "no gate",
                lambda x, g, u, d: F.silu(x @ g.T) @ d.T,
                "multiply by the up projection: SwiGLU is silu(gate) * up.",
            ),
            Mistake(
                "no transpose",
                lambda x, g, u, d: (F.silu(x @ g.T) * (x @ u.T)) @ d,
                "nn.Linear stores weights as (out, in): use w_down.T.",
            ),
        ],
    )
)


# ------------------------------------------------------------------------ sliding window
def _sw_cases():
    return [
        Case((5, 2)),
        Case((6, 3)),
        Case((4, 4)),
        Case((3, 1), hint="window 1: each token sees only itself."),
    ]


register(
    Check(
        "p12_5.sliding_window_mask",
        reference=ref.sliding_window_mask,
        cases=_sw_cases,
        hint="True where i − window < j ≤ i: causal AND within the last `window` positions (itself included).",
        mistakes=[
            Mistake(
                "window+1",
                lambda T, w: (
                    torch.ones(T, T, dtype=torch.bool).tril()
                    & ~torch.ones(T, T, dtype=torch.bool).tril(-w - 1)
                ),
                "off by one: a window of w keys includes the token itself, so keep j > i − w.",
            ),
            Mistake(
                "not causal",
                lambda T, w: (torch.arange(T)[:, None] - torch.arange(T)[None]).abs() < w,
                "the mask must stay causal: no key after the query (j ≤ i).",
            ),
            Mistake(
                "causal only",
                lambda T, w: torch.ones(T, T, dtype=torch.bool).tril(),
                "also hide keys more than `window − 1` positions back.",
            ),
        ],
    )
)


# ------------------------------------------------------------------------ RoPE attention
def _ra_cases():
    out = []
    for seed, shape in enumerate([(1, 2, 5, 8), (2, 1, 4, 4)]):
        q, k, v = (_randn(*shape, seed=60 + 3 * seed + j) for j in range(3))
        out.append(
            Case(
                (q, k, v, torch.arange(shape[2])),
                label=f"q, k, v {shape}, positions 0..{shape[2] - 1}",
            )
        )
    return out


def _causal(q, k, v, scale=True):
    T = q.shape[-2]
    s = q @ k.transpose(-2, -1) / (math.sqrt(q.shape[-1]) if scale else 1.0)
    s = s.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(s, -1) @ v


register(
    Check(
        "p12_5.rope_attention",
        reference=ref.rope_attention,
        cases=_ra_cases,
        rtol=1e-5,
        atol=1e-5,
        hint="rotate q and k with RoPE (same positions), leave v alone, then causal scaled dot-product attention.",
        mistakes=[
            Mistake(
                "rope on v",
                lambda q, k, v, p, theta=10000.0: _causal(
                    ref.apply_rope(q, p, theta),
                    ref.apply_rope(k, p, theta),
                    ref.apply_rope(v, p, theta),
                ),
                "RoPE applies to queries and keys only: rotating the values changes what is mixed, not where.",
            ),
            Mistake(
                "q only",
                lambda q, k, v, p, theta=10000.0: _causal(ref.apply_rope(q, p, theta), k, v),
                "rotate the keys too: relative position comes from rotating both q and k.",
            ),
            Mistake(
                "no rope",
                lambda q, k, v, p, theta=10000.0: _causal(q, k, v),
                "apply RoPE to q and k before the dot product.",
            ),
        ],
    )
)


# ------------------------------------------------------------------------ KV-cached step
def _cache_cases():
    out = []
    for seed, (B, H, T, d) in enumerate([(1, 1, 3, 4), (2, 2, 5, 8)]):
        g = [_randn(B, H, 1, d, seed=80 + 5 * seed + j) for j in range(3)]
        kc, vc = _randn(B, H, T, d, seed=90 + seed), _randn(B, H, T, d, seed=95 + seed)
        out.append(
            Case((*g, kc, vc), label=f"new q/k/v (B={B}, H={H}, 1, d={d}), cache of {T} positions")
        )
    return out


def _before_append(q, k, v, kc, vc):
    s = q @ kc.transpose(-2, -1) / math.sqrt(q.shape[-1])
    return torch.softmax(s, -1) @ vc, torch.cat([kc, k], -2), torch.cat([vc, v], -2)


def _tril_mask(q, k, v, kc, vc):
    ka, va = torch.cat([kc, k], -2), torch.cat([vc, v], -2)
    s = q @ ka.transpose(-2, -1) / math.sqrt(q.shape[-1])
    s = s.masked_fill(~torch.ones(1, ka.shape[-2], dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(s, -1) @ va, ka, va


register(
    Check(
        "p12_5.attend_with_cache",
        reference=ref.attend_with_cache,
        cases=_cache_cases,
        rtol=1e-5,
        atol=1e-6,
        hint="concatenate the new k/v to the cache along time (dim=-2) FIRST, then attend with the new query; "
        "return (out, k_all, v_all).",
        mistakes=[
            Mistake(
                "before append",
                _before_append,
                "append the new key/value before attending: the newest token must see itself.",
            ),
            Mistake(
                "tril",
                _tril_mask,
                "no causal mask here: the one new query sits at the last position and may see every cached key "
                "(tril on a (1, T) matrix keeps only the first).",
            ),
            Mistake(
                "old cache",
                lambda q, k, v, kc, vc: (ref.attend_with_cache(q, k, v, kc, vc)[0], kc, vc),
                "return the UPDATED cache (k_all, v_all), or the next step forgets this token.",
            ),
        ],
    )
)


# ------------------------------------------------------- parameters and KV cache of a config
def _footprint_cases():
    smollm2 = {  # SmolLM2-135M-Instruct's config.json (the fields that matter)
        "vocab_size": 49152,
        "hidden_size": 576,
        "intermediate_size": 1536,
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
        "head_dim": 64,
        "tie_word_embeddings": True,
    }
    mistral = {  # mistralai/Mistral-7B-Instruct-v0.3 (no head_dim key: 4096 / 32 = 128)
        "vocab_size": 32768,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "tie_word_embeddings": False,
    }
    tiny = {  # multi-query attention, untied
        "vocab_size": 100,
        "hidden_size": 16,
        "intermediate_size": 40,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "tie_word_embeddings": False,
    }
    return [
        Case((smollm2, 2048), label="SmolLM2-135M config, seq_len=2048 (bf16)"),
        Case(
            (mistral, 32768),
            label="Mistral-7B-v0.3 config, seq_len=32768 (bf16)",
            hint="Mistral-7B-v0.3 has 7,248,023,552 parameters.",
        ),
        Case((tiny, 10, 4), label="tiny MQA config, seq_len=10, float32 (4 bytes)"),
    ]


def _fp_dims(c):
    heads = c["num_attention_heads"]
    return heads, c.get("num_key_value_heads", heads), c["hidden_size"] // heads


def _fp_variant(tie=True, kv_heads="kv", kv_factor=2, norms=True, mlp_mats=3, bytes_=True):
    def wrong(config, seq_len, bytes_per_value=2):
        c = config
        heads, kv, hd = _fp_dims(c)
        kv_h = heads if kv_heads == "q" else kv
        C, L, V = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"]
        layer = 2 * C * heads * hd + 2 * C * kv * hd + mlp_mats * C * c["intermediate_size"]
        layer += 2 * C if norms else 0
        params = L * layer + V * C + (C if norms else 0)
        if not (tie and c.get("tie_word_embeddings", False)):
            params += V * C
        kv_bytes = kv_factor * L * kv_h * hd * seq_len * (bytes_per_value if bytes_ else 1)
        return params, kv_bytes

    return wrong


register(
    Check(
        "p12_5.llama_footprint",
        reference=llama_footprint,
        cases=_footprint_cases,
        rtol=0.0,
        atol=0.0,
        hint="params: per layer 2·C·H·d + 2·C·H_kv·d + 3·C·I + 2·C, plus V·C (+ V·C if untied) + C; "
        "KV bytes: 2 · layers · H_kv · d · seq_len · bytes_per_value.",
        mistakes=[
            Mistake(
                "untied",
                _fp_variant(tie=False),
                "with tie_word_embeddings the output layer IS the embedding matrix: count V·C once.",
            ),
            Mistake(
                "query heads in the cache",
                _fp_variant(kv_heads="q"),
                "the cache stores keys/values, which have num_key_value_heads heads (GQA), "
                "not num_attention_heads.",
            ),
            Mistake(
                "keys only",
                _fp_variant(kv_factor=1),
                "the cache holds keys AND values: a factor 2.",
            ),
            Mistake(
                "no norms",
                _fp_variant(norms=False),
                "count the RMSNorm gains: two per layer (C each) and the final norm.",
            ),
            Mistake(
                "two-matrix MLP",
                _fp_variant(mlp_mats=2),
                "SwiGLU has three matrices (gate, up, down), each C × intermediate_size.",
            ),
            Mistake(
                "values not bytes",
                _fp_variant(bytes_=False),
                "multiply the number of cached values by bytes_per_value.",
            ),
        ],
    )
)
