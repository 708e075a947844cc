"""Project 12.5 checks pass correct code and catch typical wrong code with the right hint."""

import math

import torch
import torch.nn.functional as F

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def rms_norm(x, weight, eps=1e-6):
    return weight * x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps)


def apply_rope(x, positions, theta=10000.0):
    # complex-number formulation, re-ordered to the rotate-half layout
    d = x.shape[-1]
    half = d // 2
    freqs = theta ** (-torch.arange(half, dtype=torch.float64) * 2 / d)
    rot = torch.polar(
        torch.ones(len(positions), half, dtype=torch.float64), positions.double()[:, None] * freqs
    )
    z = torch.complex(x[..., :half].double(), x[..., half:].double()) * rot
    return torch.cat([z.real, z.imag], dim=-1).to(x.dtype)


def repeat_kv(x, n_rep):
    return torch.repeat_interleave(x, n_rep, dim=1)


def swiglu(x, w_gate, w_up, w_down):
    g = F.linear(x, w_gate)
    return F.linear(g * torch.sigmoid(g) * F.linear(x, w_up), w_down)


def sliding_window_mask(T, window):
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    return (j <= i) & (i - j < window)


def rope_attention(q, k, v, positions, theta=10000.0):
    q, k = apply_rope(q, positions, theta), apply_rope(k, positions, theta)
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def attend_with_cache(q_new, k_new, v_new, k_cache, v_cache):
    k_all = torch.cat((k_cache, k_new), dim=2)
    v_all = torch.cat((v_cache, v_new), dim=2)
    return F.scaled_dot_product_attention(q_new, k_all, v_all), k_all, v_all


def llama_footprint(config, seq_len, bytes_per_value=2):
    # Hugging Face counts the parameters of the model built on the meta device (no memory)
    import transformers

    fields = {k: v for k, v in config.items() if k != "head_dim"}
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**fields))
    n_params = sum(p.numel() for p in model.parameters())  # tied weights are yielded once
    heads = config["num_attention_heads"]
    head_dim = config["hidden_size"] // heads
    per_token = [2, config["num_hidden_layers"], config.get("num_key_value_heads", heads)]
    return n_params, math.prod(per_token) * head_dim * seq_len * bytes_per_value


def llama_footprint_by_shapes(config, seq_len, bytes_per_value=2):
    # another correct variant: list every matrix shape, as in model.safetensors
    C, inter, V = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    H, L = config["num_attention_heads"], config["num_hidden_layers"]
    kv = config.get("num_key_value_heads", H)
    d = config.get("head_dim", C // H)
    layer = [(H * d, C), (kv * d, C), (kv * d, C), (C, H * d), (inter, C), (inter, C)]
    layer += [(C, inter), (C, 1), (C, 1)]
    shapes = layer * L + [(V, C), (C, 1)]
    if not config.get("tie_word_embeddings"):
        shapes.append((V, C))
    kv_cache = 0
    for _ in range(L):  # keys and values of every layer, one token at a time
        kv_cache += seq_len * (kv * d * bytes_per_value) * 2
    return sum(a * b for a, b in shapes), kv_cache


REFERENCES = {
    "p12_5.llama_footprint": llama_footprint,
    "p12_5.rms_norm": rms_norm,
    "p12_5.apply_rope": apply_rope,
    "p12_5.repeat_kv": repeat_kv,
    "p12_5.swiglu": swiglu,
    "p12_5.sliding_window_mask": sliding_window_mask,
    "p12_5.rope_attention": rope_attention,
    "p12_5.attend_with_cache": attend_with_cache,
}


# --- typical mistakes ------------------------------------------------------------------
def rms_layernorm(x, weight, eps=1e-6):
    return F.layer_norm(x, x.shape[-1:], eps=eps) * weight


def rms_eps_outside(x, weight, eps=1e-6):
    return weight * x / (x.pow(2).mean(-1, keepdim=True).sqrt() + eps)


def rope_interleaved(x, positions, theta=10000.0):
    d = x.shape[-1]
    freqs = theta ** (-torch.arange(0, d, 2).float() / d)
    ang = positions.float()[:, None] * freqs
    z = torch.view_as_complex(
        x.float().reshape(*x.shape[:-1], d // 2, 2).contiguous()
    ) * torch.polar(torch.ones_like(ang), ang)
    return torch.view_as_real(z).flatten(-2)


def rope_wrong_freq(x, positions, theta=10000.0):
    d = x.shape[-1]
    freqs = theta ** (-torch.arange(d // 2).float() / d)  # forgot the factor 2
    ang = torch.cat([positions.float()[:, None] * freqs] * 2, dim=-1)
    rot = torch.cat([-x[..., d // 2 :], x[..., : d // 2]], dim=-1)
    return x * ang.cos() + rot * ang.sin()


def repeat_tile(x, n_rep):
    return torch.cat([x] * n_rep, dim=1)


def repeat_time(x, n_rep):
    return x.repeat_interleave(n_rep, dim=2)


def swiglu_gelu(x, w_gate, w_up, w_down):
    return (F.gelu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T


def swiglu_swapped(x, w_gate, w_up, w_down):
    return (F.silu(x @ w_up.T) * (x @ w_gate.T)) @ w_down.T


def swiglu_relu_no_gate(x, w_gate, w_up, w_down):
    return F.silu(x @ w_gate.T) @ w_down.T


def sw_off_by_one(T, window):
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    return (j <= i) & (i - j <= window)


def sw_not_causal(T, window):
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    return (i - j).abs() < window


def rope_on_values(q, k, v, positions, theta=10000.0):
    return rope_attention(q, k, apply_rope(v, positions, theta), positions, theta)


def rope_queries_only(q, k, v, positions, theta=10000.0):
    return F.scaled_dot_product_attention(apply_rope(q, positions, theta), k, v, is_causal=True)


def cache_attend_before_append(q_new, k_new, v_new, k_cache, v_cache):
    out = F.scaled_dot_product_attention(q_new, k_cache, v_cache)
    return out, torch.cat((k_cache, k_new), 2), torch.cat((v_cache, v_new), 2)


def cache_with_tril(q_new, k_new, v_new, k_cache, v_cache):
    k_all, v_all = torch.cat((k_cache, k_new), 2), torch.cat((v_cache, v_new), 2)
    return F.scaled_dot_product_attention(q_new, k_all, v_all, is_causal=True), k_all, v_all


def cache_not_updated(q_new, k_new, v_new, k_cache, v_cache):
    out, _, _ = attend_with_cache(q_new, k_new, v_new, k_cache, v_cache)
    return out, k_cache, v_cache


def cache_no_scale(q_new, k_new, v_new, k_cache, v_cache):
    k_all, v_all = torch.cat((k_cache, k_new), 2), torch.cat((v_cache, v_new), 2)
    return (q_new @ k_all.transpose(-2, -1)).softmax(-1) @ v_all, k_all, v_all


def footprint_untied(config, seq_len, bytes_per_value=2):
    return llama_footprint_by_shapes(
        {**config, "tie_word_embeddings": False}, seq_len, bytes_per_value
    )


def footprint_query_heads_in_cache(config, seq_len, bytes_per_value=2):
    kv_as_q = {**config, "num_key_value_heads": config["num_attention_heads"]}
    return llama_footprint(config, seq_len)[0], llama_footprint(kv_as_q, seq_len, bytes_per_value)[
        1
    ]


def footprint_keys_only(config, seq_len, bytes_per_value=2):
    n, kv = llama_footprint(config, seq_len, bytes_per_value)
    return n, kv // 2


MISTAKES = {
    "p12_5.llama_footprint": [
        (footprint_untied, "count v·c once"),
        (footprint_query_heads_in_cache, "num_key_value_heads"),
        (footprint_keys_only, "factor 2"),
    ],
    "p12_5.rms_norm": [(rms_layernorm, "layernorm"), (rms_eps_outside, "inside the square root")],
    "p12_5.apply_rope": [(rope_interleaved, "interleaved"), (rope_wrong_freq, "frequencies")],
    "p12_5.repeat_kv": [(repeat_tile, "consecutive"), (repeat_time, "head axis")],
    "p12_5.swiglu": [
        (swiglu_gelu, "not gelu"),
        (swiglu_swapped, "gate projection"),
        (swiglu_relu_no_gate, "silu(gate) * up"),
    ],
    "p12_5.sliding_window_mask": [(sw_off_by_one, "off by one"), (sw_not_causal, "causal")],
    "p12_5.rope_attention": [
        (rope_on_values, "queries and keys only"),
        (rope_queries_only, "keys too"),
    ],
    "p12_5.attend_with_cache": [
        (cache_attend_before_append, "before attending"),
        (cache_with_tril, "no causal mask"),
        (cache_not_updated, "updated cache"),
        (cache_no_scale, "then attend"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)


def test_footprint_variants_agree_and_match_a_real_model():
    from ml2llm.checks.p12_5 import _footprint_cases

    for case in _footprint_cases():
        assert llama_footprint(*case.args) == llama_footprint_by_shapes(*case.args)
    mistral = _footprint_cases()[1].args[0]
    assert llama_footprint(mistral, 32768)[0] == 7_248_023_552
    assert llama_footprint(mistral, 32768)[1] == 4 * 2**30  # 4 GiB in bf16 at 32k tokens


def test_rope_reference_is_a_rotation():
    x = torch.randn(1, 1, 6, 8)
    y = apply_rope(x, torch.arange(6))
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    assert math.isclose(
        float((y[0, 0, 0] - x[0, 0, 0]).abs().max()), 0.0, abs_tol=1e-6
    )  # position 0
