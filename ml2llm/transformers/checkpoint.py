"""The model-checkpoint format: safetensors weights + a JSON config. Nothing is unpickled.

A model folder holds ``model.safetensors`` (a tied output projection is stored once) and
``ml2llm_config.json`` (``{"arch": "gpt" | "mistral", "config": {...}}``).

- :func:`save_model` writes both files (each atomically: a crash leaves the old file).
- :func:`load_model` rebuilds the model; a given ``config`` that differs from the saved one
  raises ``ValueError`` naming every differing field, instead of a shape error deep inside
  PyTorch.
- :func:`load_model_weights` loads a folder into an existing model, in place (what resuming
  a run needs).

The run checkpoint of :mod:`ml2llm.training.checkpoint` is this format plus the optimizer,
RNG states and step. What it does not do: shard large models, or store LoRA adapters (see
:func:`ml2llm.finetune.lora.save_adapter`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ml2llm.io import atomic_write_text
from ml2llm.transformers.config import GPTConfig, LlamaConfig
from ml2llm.transformers.gpt import GPT
from ml2llm.transformers.hf import load_weights
from ml2llm.transformers.llama import Llama

WEIGHTS, CONFIG = "model.safetensors", "ml2llm_config.json"
_ARCHS = {"gpt": (GPT, GPTConfig), "mistral": (Llama, LlamaConfig)}
_EMBEDDING_KEY = {"gpt": "transformer.wte.weight", "mistral": "model.embed_tokens.weight"}


def _arch(model) -> str:
    for name, (cls, _) in _ARCHS.items():
        if isinstance(model, cls):
            return name
    raise ValueError(f"model must be an ml2llm GPT or Llama, got {type(model).__name__}")


def _tied(model) -> bool:
    return model.lm_head.weight is model._embedding_params()[0]


def save_weights(model, path) -> Path:
    """Write ``model``'s weights to the safetensors file ``path`` atomically (tied ones once)."""
    path = Path(path)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if _tied(model):
        state.pop("lm_head.weight")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_file(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_model(model, directory) -> Path:
    """Write ``model.safetensors`` and ``ml2llm_config.json`` into ``directory``; return it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"arch": _arch(model), "config": model.config.to_dict()}
    save_weights(model, directory / WEIGHTS)
    atomic_write_text(directory / CONFIG, json.dumps(meta, indent=2))
    return directory


def read_model_config(directory):
    """``(arch, config)`` saved in ``directory`` (``arch`` is ``"gpt"`` or ``"mistral"``)."""
    directory = Path(directory)
    if not (directory / CONFIG).is_file() or not (directory / WEIGHTS).is_file():
        raise ValueError(f"directory {str(directory)!r} has no {CONFIG} and {WEIGHTS}")
    try:
        meta = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"{directory / CONFIG} is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("arch") not in _ARCHS:
        arch = meta.get("arch") if isinstance(meta, dict) else None
        raise ValueError(f"{CONFIG} has unknown arch {arch!r}")
    return meta["arch"], _ARCHS[meta["arch"]][1].from_dict(meta["config"])


def _check_same(saved, given, directory) -> None:
    diff = {k: v for k, v in saved.diff(given).items() if k != "attn_impl"}
    if diff:
        detail = ", ".join(f"{k}: saved {a!r} vs given {b!r}" for k, (a, b) in diff.items())
        raise ValueError(f"config does not match the checkpoint in {str(directory)!r}: {detail}")


def load_model_weights(model, directory, map_location: str | torch.device = "cpu") -> None:
    """Load the weights saved in ``directory`` into ``model`` in place.

    Raises ``ValueError`` when the saved architecture or config differs from the model's
    (``attn_impl`` may differ: it does not change the weights). A folder with weights but no
    config (a run checkpoint from before the shared format) loads if every tensor fits.
    """
    directory = Path(directory)
    arch = _arch(model)
    if (directory / CONFIG).is_file() or not (directory / WEIGHTS).is_file():
        saved_arch, saved = read_model_config(directory)
        if saved_arch != arch:
            raise ValueError(
                f"checkpoint in {str(directory)!r} holds a {saved_arch!r} model, not a {arch!r}"
            )
        _check_same(saved, model.config, directory)
    state = load_file(str(directory / WEIGHTS), device=str(map_location))
    emb = _EMBEDDING_KEY[arch]
    if _tied(model) and (emb in state) != ("lm_head.weight" in state):  # stored once
        shared = state.get(emb, state.get("lm_head.weight"))
        state[emb] = state["lm_head.weight"] = shared
    load_weights(model, state, f"checkpoint {str(directory)!r}")


def load_model(directory, config=None, map_location: str | torch.device = "cpu"):
    """Rebuild the model saved in ``directory``.

    ``config`` (optional) is the config you expect; a mismatch raises ``ValueError`` listing
    the differing fields (``attn_impl`` may differ: it does not change the weights).
    """
    arch, saved = read_model_config(directory)
    if config is not None:
        _check_same(saved, config, directory)
        saved = config
    model = _ARCHS[arch][0](saved)
    load_model_weights(model, directory, map_location)
    return model
