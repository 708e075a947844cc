"""Parameter count and KV-cache memory of a Llama/Mistral model, from its ``config.json``.

Project 12.5's exercise and the reference of its check (``p12_5.llama_footprint``); the
memory benchmark and ``ml2llm model info`` use the same numbers. Configs are Hugging Face
``config.json`` dictionaries (or any object with ``to_dict()``): ``vocab_size``,
``hidden_size``, ``intermediate_size``, ``num_hidden_layers``, ``num_attention_heads``,
``num_key_value_heads`` (default: ``num_attention_heads``), ``head_dim`` (default:
``hidden_size // num_attention_heads``) and ``tie_word_embeddings`` (default ``False``).
Architectures with biases, MoE layers or extra norms are not covered.

>>> cfg = {"vocab_size": 49152, "hidden_size": 576, "intermediate_size": 1536,
...        "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
...        "tie_word_embeddings": True}
>>> num_params(cfg), kv_cache_bytes(cfg, seq_len=8192)
(134515008, 188743680)
"""

from __future__ import annotations


def _as_dict(config) -> dict:
    if hasattr(config, "to_dict"):
        config = config.to_dict()
    if not isinstance(config, dict):
        raise ValueError(f"config must be a dict or have to_dict(), got {type(config).__name__}")
    missing = [
        k
        for k in (
            "vocab_size",
            "hidden_size",
            "intermediate_size",
            "num_hidden_layers",
            "num_attention_heads",
        )
        if k not in config
    ]
    if missing:
        raise ValueError(f"config is missing {missing}")
    return config


def _dims(config):
    c = _as_dict(config)
    heads = c["num_attention_heads"]
    kv_heads = c.get("num_key_value_heads") or heads
    head_dim = c.get("head_dim") or c["hidden_size"] // heads
    return c, heads, kv_heads, head_dim


def num_params(config) -> int:
    """Parameters of a Llama/Mistral causal LM; a tied output matrix counts once.

    Per layer: ``q_proj`` (C × H·d), ``k_proj`` and ``v_proj`` (C × H_kv·d each), ``o_proj``
    (H·d × C), three SwiGLU matrices (3 · C × I) and two RMSNorm gains (2C). Plus the token
    embedding (V × C), the final norm (C), and ``lm_head`` (V × C) unless tied.
    """
    c, heads, kv_heads, head_dim = _dims(config)
    C, inter, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    attn = C * heads * head_dim * 2 + C * kv_heads * head_dim * 2
    per_layer = attn + 3 * C * inter + 2 * C
    head = 0 if c.get("tie_word_embeddings", False) else V * C
    return c["num_hidden_layers"] * per_layer + V * C + C + head


def kv_cache_bytes(config, seq_len: int, batch: int = 1, bytes_per_value: int = 2) -> int:
    """Bytes of the KV cache for ``batch`` sequences of ``seq_len`` tokens.

    ``2 (K and V) × layers × H_kv × head_dim × seq_len × batch × bytes_per_value``.
    """
    c, _, kv_heads, head_dim = _dims(config)
    return 2 * c["num_hidden_layers"] * kv_heads * head_dim * seq_len * batch * bytes_per_value


def llama_footprint(config, seq_len: int, bytes_per_value: int = 2) -> tuple[int, int]:
    """``(num_params(config), kv_cache_bytes(config, seq_len, 1, bytes_per_value))``."""
    return num_params(config), kv_cache_bytes(config, seq_len, 1, bytes_per_value)
