"""Decoder-only transformers built from parts, and their bridge to Hugging Face.

- :mod:`~ml2llm.transformers.config`: :class:`GPTConfig`, :class:`LlamaConfig` (= ``MistralConfig``)
- :mod:`~ml2llm.transformers.gpt`: :class:`GPT` (GPT-2 architecture, Project 12)
- :mod:`~ml2llm.transformers.llama`: :class:`Llama` (= ``Mistral``; RoPE, RMSNorm, SwiGLU,
  GQA, sliding window; Project 12.5)
- :mod:`~ml2llm.transformers.functional`: the exercise references the modules call
- :mod:`~ml2llm.transformers.generation`: :func:`generate` and :func:`filter_logits`, the one
  decoding loop and logits filter (temperature, top-k, top-p)
- :mod:`~ml2llm.transformers.rope`, :mod:`~ml2llm.transformers.attention`,
  :mod:`~ml2llm.transformers.kv_cache`: the building blocks
- :mod:`~ml2llm.transformers.hf`: :func:`from_hf` / :func:`to_hf` weight converters
- :mod:`~ml2llm.transformers.export`: :func:`export_hf` (safetensors + config + tokenizer)
- :mod:`~ml2llm.transformers.checkpoint`: :func:`save_model` / :func:`load_model` (the model
  format: safetensors + JSON config)

Every model has ``forward(idx, targets=None) -> (logits, loss)`` (``return_attn=True`` adds
per-layer attention maps), ``generate(idx, max_new_tokens, temperature, top_k, top_p,
use_cache)`` and ``num_params()``.
"""

from ml2llm.transformers.checkpoint import load_model, save_model
from ml2llm.transformers.config import GPTConfig, LlamaConfig, MistralConfig
from ml2llm.transformers.export import export_hf
from ml2llm.transformers.generation import filter_logits, generate
from ml2llm.transformers.gpt import GPT
from ml2llm.transformers.hf import from_hf, to_hf
from ml2llm.transformers.kv_cache import KVCache
from ml2llm.transformers.llama import Llama, Mistral

__all__ = [
    "GPT",
    "GPTConfig",
    "KVCache",
    "Llama",
    "LlamaConfig",
    "Mistral",
    "MistralConfig",
    "export_hf",
    "filter_logits",
    "from_hf",
    "generate",
    "load_model",
    "save_model",
    "to_hf",
]
