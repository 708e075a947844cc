"""Convert LoRA adapters between MLX (``mlx_lm lora``) and PEFT / our PyTorch LoRA.

The two formats hold the same numbers, laid out differently:

========================  =====================================  =============================
                          PEFT / ours                            MLX (``mlx_lm``)
========================  =====================================  =============================
files                     ``adapter_model.safetensors``,         ``adapters.safetensors``,
                          ``adapter_config.json``                ``adapter_config.json``
key                       ``base_model.model.<m>.lora_A.weight`` ``<m>.lora_a``
A                         ``[r, in]``                            ``[in, r]`` (transposed)
B                         ``[out, r]``                           ``[r, out]`` (transposed)
scaling                   ``lora_alpha / r``                     ``scale`` (used as is)
which layers              ``target_modules`` (names)             ``keys`` (names inside a
                                                                 layer) on the last
                                                                 ``num_layers`` layers
========================  =====================================  =============================

``<m>`` is the module path, e.g. ``model.layers.0.self_attn.q_proj`` in both (our Mistral and
MLX's Llama/Mistral use the Hugging Face names).

What it does not do: DoRA adapters, fused (``mlx_lm fuse``) models, quantised base weights.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ml2llm.finetune.lora import ADAPTER_CONFIG, ADAPTER_WEIGHTS, read_adapter

__all__ = ["mlx_to_peft", "peft_to_mlx"]

MLX_WEIGHTS = "adapters.safetensors"
_LAYER = re.compile(r"^(.*\.layers)\.(\d+)\.(.+)$")


def _load_numpy(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except Exception:  # bf16 is not a numpy dtype: go through torch
        from safetensors.torch import load_file as load_torch

        return {k: v.float().numpy() for k, v in load_torch(str(path)).items()}


def mlx_to_peft(mlx_dir, out_dir, base_model_name_or_path: str | None = None) -> Path:
    """Convert an ``mlx_lm lora`` adapter folder into a PEFT-format folder.

    Returns ``out_dir``; load it with :func:`~ml2llm.finetune.lora.load_adapter` (ours) or
    ``peft.PeftModel.from_pretrained``.
    """
    from safetensors.numpy import save_file

    mlx_dir, out_dir = Path(mlx_dir), Path(out_dir)
    for f in (ADAPTER_CONFIG, MLX_WEIGHTS):
        if not (mlx_dir / f).is_file():
            raise ValueError(f"mlx_dir {mlx_dir} has no {f} (is it an mlx_lm adapter folder?)")
    cfg = json.loads((mlx_dir / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    if cfg.get("fine_tune_type", "lora") != "lora":
        raise ValueError(
            f"only LoRA adapters convert, got fine_tune_type={cfg['fine_tune_type']!r}"
        )
    lp = cfg["lora_parameters"]
    r, scale = int(lp["rank"]), float(lp["scale"])
    weights = _load_numpy(mlx_dir / MLX_WEIGHTS)
    out, targets = {}, set()
    for key, w in weights.items():
        m = re.fullmatch(r"(.+)\.lora_([ab])", key)
        if m is None:
            raise ValueError(f"unexpected key {key!r} in {mlx_dir / MLX_WEIGHTS}")
        name, which = m.groups()
        targets.add(name.rsplit(".", 1)[-1])
        arr = np.ascontiguousarray(np.asarray(w, dtype=np.float32).T)
        out[f"base_model.model.{name}.lora_{which.upper()}.weight"] = arr
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(out, str(out_dir / ADAPTER_WEIGHTS))
    config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "r": r,
        "lora_alpha": scale * r,
        "lora_dropout": float(lp.get("dropout", 0.0)),
        "target_modules": sorted(targets),
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "base_model_name_or_path": base_model_name_or_path or cfg.get("model"),
    }
    (out_dir / ADAPTER_CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")
    return out_dir


def peft_to_mlx(peft_dir, out_dir, n_layers: int | None = None) -> Path:
    """Convert a PEFT-format adapter folder (ours or PEFT's) into an ``mlx_lm`` adapter folder.

    Parameters
    ----------
    n_layers : int, optional
        Number of transformer layers of the base model. MLX adapts the *last*
        ``num_layers`` layers; by default the adapted layer indices must run up to the
        highest one present (``num_layers = max - min + 1``).
    """
    from safetensors.numpy import save_file

    config, pairs = read_adapter(peft_dir)
    r, alpha = int(config["r"]), float(config["lora_alpha"])
    layers, keys, out = set(), set(), {}
    for name, (A, B) in pairs.items():
        m = _LAYER.match(name)
        if m is None:
            raise ValueError(f"{name!r} is not inside a transformer layer (…layers.N.…)")
        layers.add(int(m.group(2)))
        keys.add(m.group(3))
        out[f"{name}.lora_a"] = np.ascontiguousarray(A.float().numpy().T)
        out[f"{name}.lora_b"] = np.ascontiguousarray(B.float().numpy().T)
    top = (n_layers - 1) if n_layers is not None else max(layers)
    num_layers = top - min(layers) + 1
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(out, str(out_dir / MLX_WEIGHTS))
    mlx_cfg = {
        "fine_tune_type": "lora",
        "num_layers": num_layers,
        "lora_parameters": {"rank": r, "scale": alpha / r, "dropout": 0.0, "keys": sorted(keys)},
        "model": config.get("base_model_name_or_path"),
    }
    (out_dir / ADAPTER_CONFIG).write_text(json.dumps(mlx_cfg, indent=2), encoding="utf-8")
    return out_dir
