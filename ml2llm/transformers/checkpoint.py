"""Save and load the project's models as safetensors weights + a JSON config.

``save_checkpoint(model, directory)`` writes ``model.safetensors`` (a tied output
projection is stored once) and ``ml2llm_config.json`` (``{"arch": "gpt" | "mistral",
"config": {...}}``). ``load_checkpoint(directory, config=None)`` rebuilds the model; when a
``config`` is given and it differs from the saved one, it raises ``ValueError`` naming every
field that differs, instead of failing later with a shape error deep inside PyTorch.
Nothing is unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ml2llm.io import atomic_write_text
from ml2llm.transformers.config import GPTConfig, MistralConfig
from ml2llm.transformers.gpt import GPT
from ml2llm.transformers.hf import load_weights
from ml2llm.transformers.llama import Mistral

WEIGHTS, CONFIG = "model.safetensors", "ml2llm_config.json"
_ARCHS = {"gpt": (GPT, GPTConfig), "mistral": (Mistral, MistralConfig)}
_EMBEDDING_KEY = {"gpt": "transformer.wte.weight", "mistral": "model.embed_tokens.weight"}


def _arch(model) -> str:
    for name, (cls, _) in _ARCHS.items():
        if isinstance(model, cls):
            return name
    raise ValueError(f"model must be an ml2llm GPT or Mistral, got {type(model).__name__}")


def _tied(model) -> bool:
    return model.lm_head.weight is model._embedding_params()[0]


def save_checkpoint(model, directory) -> Path:
    """Write ``model.safetensors`` and ``ml2llm_config.json`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if _tied(model):
        state.pop("lm_head.weight")
    save_file(state, str(directory / WEIGHTS))
    meta = {"arch": _arch(model), "config": model.config.to_dict()}
    atomic_write_text(directory / CONFIG, json.dumps(meta, indent=2))
    return directory


def load_checkpoint(directory, config=None, map_location: str | torch.device = "cpu"):
    """Rebuild the model saved in ``directory``.

    ``config`` (optional) is the config you expect; a mismatch raises ``ValueError`` listing
    the differing fields (``attn_impl`` may differ: it does not change the weights).
    """
    directory = Path(directory)
    if not (directory / CONFIG).exists() or not (directory / WEIGHTS).exists():
        raise ValueError(f"directory {str(directory)!r} has no {CONFIG} and {WEIGHTS}")
    meta = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    if meta.get("arch") not in _ARCHS:
        raise ValueError(f"{CONFIG} has unknown arch {meta.get('arch')!r}")
    cls, cfg_cls = _ARCHS[meta["arch"]]
    saved = cfg_cls.from_dict(meta["config"])
    if config is not None:
        diff = {k: v for k, v in saved.diff(config).items() if k != "attn_impl"}
        if diff:
            detail = ", ".join(f"{k}: saved {a!r} vs given {b!r}" for k, (a, b) in diff.items())
            raise ValueError(
                f"config does not match the checkpoint in {str(directory)!r}: {detail}"
            )
        saved = config
    model = cls(saved)
    state = load_file(str(directory / WEIGHTS), device=str(map_location))
    if _tied(model):
        state.setdefault("lm_head.weight", state[_EMBEDDING_KEY[meta["arch"]]])
    load_weights(model, state, f"checkpoint {str(directory)!r}")
    return model
