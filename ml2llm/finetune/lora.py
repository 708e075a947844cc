"""LoRA (low-rank adaptation) from scratch, PEFT-compatible.

A frozen linear layer ``y = x W^T + b`` gets a trainable low-rank update::

    y = x W^T + b + (alpha / r) * dropout(x) A^T B^T,    A: [r, in], B: [out, r]

``A`` starts random (Kaiming-uniform, as PEFT) and ``B`` starts at **zero**, so the adapted
model is exactly the base model at step 0. Only ``A`` and ``B`` are trained.

- :class:`LoRALinear` wraps an ``nn.Linear``; ``merge()`` folds ``(alpha/r) B A`` into ``W``
  (no extra latency at inference), ``unmerge()`` takes it out again.
- :func:`apply_lora` replaces the linear layers selected by name (PEFT's rule: a list of
  names matches a module whose name equals or ends with ``"." + name``; a single string is a
  regular expression that must match the whole module name) and freezes everything else.
- :func:`merge_lora`, :func:`unmerge_lora`, :func:`merge_and_unload`,
  :func:`trainable_report`.
- :func:`save_adapter` / :func:`load_adapter` write and read the **PEFT on-disk format**
  (``adapter_model.safetensors`` with keys ``base_model.model.<module>.lora_A.weight`` and
  ``adapter_config.json``), so ``peft.PeftModel.from_pretrained`` loads our adapters into a
  Hugging Face model whose module names match (our Mistral uses the HF names).

What it does not do: DoRA, rsLoRA, LoRA on embeddings or convolutions, quantised base weights
(QLoRA), several named adapters at once.

>>> import torch
>>> layer = LoRALinear(torch.nn.Linear(8, 4), r=2, alpha=4)
>>> tuple(layer.lora_A.shape), tuple(layer.lora_B.shape), layer.scaling
((2, 8), (4, 2), 2.0)
>>> bool(torch.equal(layer(torch.ones(1, 8)), layer.base(torch.ones(1, 8))))  # B = 0 at init
True
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import torch
from torch import nn

from ml2llm.io import atomic_write_bytes, atomic_write_text

__all__ = [
    "LoRALinear",
    "apply_lora",
    "load_adapter",
    "lora_modules",
    "lora_state_dict",
    "merge_and_unload",
    "merge_lora",
    "save_adapter",
    "trainable_report",
    "unmerge_lora",
]

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a trainable low-rank update. See the module docstring.

    Parameters
    ----------
    base : nn.Linear
        The layer to adapt (kept as ``self.base``; its parameters are frozen).
    r : int
        Rank of the update (>= 1).
    alpha : float
        Scaling numerator: the update is multiplied by ``alpha / r``.
    dropout : float
        Dropout on the LoRA branch's input (0 disables it).
    """

    def __init__(self, base: nn.Linear, r: int = 8, alpha: float = 16.0, dropout: float = 0.0):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise ValueError(f"base must be an nn.Linear, got {type(base).__name__}")
        if not isinstance(r, int) or isinstance(r, bool) or r < 1:
            raise ValueError(f"r must be a positive int, got {r!r}")
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.r, self.alpha = r, float(alpha)
        self.scaling = self.alpha / r
        w = base.weight
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, dtype=w.dtype, device=w.device))
        self.lora_B = nn.Parameter(
            torch.zeros(base.out_features, r, dtype=w.dtype, device=w.device)
        )
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # PEFT's default init of A
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.merged = False

    @property
    def in_features(self) -> int:
        return self.base.in_features

    @property
    def out_features(self) -> int:
        return self.base.out_features

    @property
    def weight(self) -> torch.Tensor:  # code that reads layer.weight keeps working
        return self.base.weight

    def delta_weight(self) -> torch.Tensor:
        """``(alpha / r) * B @ A``, shape ``[out, in]``.

        Half-precision (float16/bfloat16) adapters are multiplied in float32 and the result
        stays float32, as PEFT does (it keeps adapters in float32): :meth:`merge` then adds it
        to ``W`` in float32 and rounds once, which gives PEFT's merged weights bit for bit.
        """
        A, B = self.lora_A, self.lora_B
        if A.dtype in (torch.float16, torch.bfloat16):
            A, B = A.float(), B.float()
        return (B @ A) * self.scaling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        if self.merged:
            return y
        z = (self.dropout(x).to(self.lora_A.dtype) @ self.lora_A.T) @ self.lora_B.T
        return y + (z * self.scaling).to(y.dtype)

    @torch.no_grad()
    def merge(self) -> None:
        """Add the update into ``base.weight`` (idempotent)."""
        if not self.merged:
            w = self.base.weight
            w.copy_(w.float() + self.delta_weight().float())  # one rounding to w's dtype
            self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        """Subtract the update from ``base.weight`` again (idempotent)."""
        if self.merged:
            w = self.base.weight
            w.copy_(w.float() - self.delta_weight().float())
            self.merged = False

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha:g}, merged={self.merged}"


def _matcher(target_modules):
    if isinstance(target_modules, str):
        pattern = re.compile(target_modules)
        return lambda name: pattern.fullmatch(name) is not None
    targets = list(target_modules)
    if not targets or not all(isinstance(t, str) and t for t in targets):
        raise ValueError(
            f"target_modules must be a regex string or a non-empty list of names, got {target_modules!r}"
        )
    return lambda name: any(name == t or name.endswith("." + t) for t in targets)


def apply_lora(
    model: nn.Module,
    target_modules=("q_proj", "v_proj"),
    r: int = 8,
    alpha: float = 16.0,
    dropout: float = 0.0,
    freeze: bool = True,
) -> list[str]:
    """Replace the selected ``nn.Linear`` modules of ``model`` by :class:`LoRALinear`, in place.

    Parameters
    ----------
    model : nn.Module
    target_modules : list of str or str
        Names (suffix match, as PEFT) or one regular expression (full match).
    r, alpha, dropout
        As in :class:`LoRALinear`.
    freeze : bool
        Freeze every parameter of ``model`` except the new ``lora_A``/``lora_B``.

    Returns
    -------
    list of str
        The names of the adapted modules (in ``model.named_modules()`` order).
    """
    match = _matcher(target_modules)
    chosen = [
        name
        for name, m in model.named_modules()
        if name and isinstance(m, nn.Linear) and match(name) and not name.endswith(".base")
    ]
    if not chosen:
        linears = sorted(
            {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, nn.Linear)}
        )
        raise ValueError(
            f"target_modules={target_modules!r} matched no nn.Linear; this model's linear "
            f"layers are named {linears}"
        )
    if freeze:
        for p in model.parameters():
            p.requires_grad_(False)
    for name in chosen:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(
            parent, child, LoRALinear(getattr(parent, child), r=r, alpha=alpha, dropout=dropout)
        )
    return chosen


def lora_modules(model: nn.Module) -> dict[str, LoRALinear]:
    """``{module name: LoRALinear}`` for every adapted layer of ``model``."""
    return {n: m for n, m in model.named_modules() if isinstance(m, LoRALinear)}


def merge_lora(model: nn.Module) -> None:
    """Merge every :class:`LoRALinear` of ``model`` (outputs unchanged, up to rounding)."""
    for m in lora_modules(model).values():
        m.merge()


def unmerge_lora(model: nn.Module) -> None:
    """Undo :func:`merge_lora`: every base weight gets its original value back."""
    for m in lora_modules(model).values():
        m.unmerge()


def merge_and_unload(model: nn.Module) -> nn.Module:
    """Merge and put plain ``nn.Linear`` layers back (for export); returns ``model``."""
    for name, m in list(lora_modules(model).items()):
        m.merge()
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, m.base)
    return model


def trainable_report(model: nn.Module) -> dict:
    """Trainable vs total parameters (shared tensors counted once).

    Returns
    -------
    dict
        ``trainable``, ``total``, ``percent`` and a one-line ``summary``.
    """
    seen, total, trainable = set(), 0, 0
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        trainable += p.numel() if p.requires_grad else 0
    pct = 100.0 * trainable / max(total, 1)
    return {
        "trainable": trainable,
        "total": total,
        "percent": pct,
        "summary": f"trainable params: {trainable:,} || all params: {total:,} || trainable%: {pct:.4f}",
    }


def lora_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The adapter weights in PEFT's key format (``base_model.model.<name>.lora_A.weight``)."""
    out = {}
    for name, m in lora_modules(model).items():
        out[f"base_model.model.{name}.lora_A.weight"] = m.lora_A.detach().cpu().contiguous()
        out[f"base_model.model.{name}.lora_B.weight"] = m.lora_B.detach().cpu().contiguous()
    return out


def save_adapter(model: nn.Module, directory, base_model_name_or_path: str | None = None) -> Path:
    """Write ``adapter_model.safetensors`` + ``adapter_config.json`` (PEFT format) to ``directory``."""

    mods = lora_modules(model)
    if not mods:
        raise ValueError("model has no LoRALinear layers: call apply_lora first")
    ranks = {m.r for m in mods.values()}
    alphas = {m.alpha for m in mods.values()}
    if len(ranks) != 1 or len(alphas) != 1:
        raise ValueError(
            f"save_adapter needs one r and alpha for all layers, got {ranks}, {alphas}"
        )
    drop = next(iter(mods.values())).dropout
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save as to_bytes

    # both files are written atomically (temporary file + rename): a crash keeps the old ones
    atomic_write_bytes(directory / ADAPTER_WEIGHTS, to_bytes(lora_state_dict(model)))
    config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "r": ranks.pop(),
        "lora_alpha": alphas.pop(),
        "lora_dropout": float(getattr(drop, "p", 0.0)),
        "target_modules": sorted({n.rsplit(".", 1)[-1] for n in mods}),
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "base_model_name_or_path": base_model_name_or_path,
    }
    atomic_write_text(directory / ADAPTER_CONFIG, json.dumps(config, indent=2))
    return directory


def read_adapter(directory) -> tuple[dict, dict[str, torch.Tensor]]:
    """``(adapter_config, {module name: (A, B)})`` from a PEFT-format adapter folder."""
    from safetensors.torch import load_file

    directory = Path(directory)
    for f in (ADAPTER_CONFIG, ADAPTER_WEIGHTS):
        if not (directory / f).is_file():
            raise ValueError(f"adapter directory {directory} has no {f}")
    config = json.loads((directory / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    weights = load_file(str(directory / ADAPTER_WEIGHTS))
    pairs: dict[str, dict] = {}
    for key, t in weights.items():
        m = re.fullmatch(r"(?:base_model\.model\.)?(.+)\.lora_([AB])(?:\.default)?\.weight", key)
        if m is None:
            raise ValueError(f"unexpected key {key!r} in {directory / ADAPTER_WEIGHTS}")
        pairs.setdefault(m.group(1), {})[m.group(2)] = t
    return config, {k: (v["A"], v["B"]) for k, v in pairs.items()}


def load_adapter(model: nn.Module, directory) -> list[str]:
    """Load a PEFT-format adapter into ``model`` (applying LoRA first if needed).

    Returns the adapted module names. Raises ``ValueError`` when a module is missing or a
    shape does not match.
    """
    config, pairs = read_adapter(directory)
    if not lora_modules(model):
        apply_lora(
            model,
            target_modules=sorted(pairs),
            r=int(config["r"]),
            alpha=float(config["lora_alpha"]),
            dropout=float(config.get("lora_dropout", 0.0)),
        )
    mods = lora_modules(model)
    for name, (A, B) in pairs.items():
        if name not in mods:
            raise ValueError(
                f"adapter has weights for {name!r}, which is not a LoRA layer of model"
            )
        m = mods[name]
        if A.shape != m.lora_A.shape or B.shape != m.lora_B.shape:
            raise ValueError(
                f"{name}: adapter shapes A{tuple(A.shape)} B{tuple(B.shape)} do not match the "
                f"model's A{tuple(m.lora_A.shape)} B{tuple(m.lora_B.shape)}"
            )
        with torch.no_grad():
            m.lora_A.copy_(A)
            m.lora_B.copy_(B)
    return sorted(pairs)
