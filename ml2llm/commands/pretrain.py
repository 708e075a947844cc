"""``ml2llm pretrain``, ``ml2llm sample`` and ``ml2llm export`` (Project 14).

- ``ml2llm pretrain [--config configs/shakespeare_char.yaml] [--key value ...]`` trains a GPT
  or Mistral model; every :class:`~ml2llm.training.config.TrainConfig` field is an option
  (``--n_layer 6`` or ``--n-layer 6``; booleans as ``--compile`` or ``--compile false``).
  ``--resume`` continues from ``<out_dir>/checkpoint`` and refuses when there is none
  (``--resume_or_start`` starts a new run then). Ctrl-C saves a checkpoint and exits. A second
  ``pretrain`` on the same ``out_dir`` is refused while the first runs (a lock file). A loss
  that becomes NaN/inf stops the run with exit code 2, keeping the last good checkpoint.
- ``ml2llm sample RUN_DIR --prompt "ROMEO:" --temperature 0.8 --top-k 200 --top-p 0.95``.
- ``ml2llm export RUN_DIR --out DIR [--force]`` writes the Hugging Face format (Project 12.5's
  ``export_hf``) so Phase 3 can fine-tune the model; a non-empty ``DIR`` needs ``--force``.

Bad input (missing or non-UTF-8 data, too little data, ``block_size`` larger than the data,
an unwritable output folder, an unavailable device, a corrupt checkpoint, a bad value) is a
:class:`~ml2llm.errors.UsageError`: one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import fields

from ml2llm.errors import UsageError

_BOOL_HELP = "true/false (a bare flag means true)"


def register(subparsers) -> None:
    from ml2llm.training.config import FIELD_HELP, TrainConfig, _base_type, _field_types

    p = subparsers.add_parser(
        "pretrain",
        help="pretrain a GPT/Mistral model on Shakespeare (or --data FILE)",
        description="Defaults, then --config FILE (YAML), then --key value overrides.",
    )
    p.add_argument("--config", help="YAML config file (e.g. configs/shakespeare_char_baby.yaml)")
    types_ = _field_types()
    defaults = TrainConfig()
    for f in fields(TrainConfig):
        tp, _ = _base_type(types_[f.name])
        names = [f"--{f.name}"] + ([f"--{f.name.replace('_', '-')}"] if "_" in f.name else [])
        extra = {"nargs": "?", "const": "true"} if tp is bool else {}
        p.add_argument(
            *names,
            dest=f.name,
            default=argparse.SUPPRESS,
            metavar=tp.__name__.upper(),
            help=f"{FIELD_HELP.get(f.name, tp.__name__)}{'; ' + _BOOL_HELP if tp is bool else ''} "
            f"(default: {getattr(defaults, f.name)})",
            **extra,
        )
    p.set_defaults(func=run_pretrain)

    s = subparsers.add_parser("sample", help="generate text from a pretraining run")
    s.add_argument(
        "run_dir", help="run folder (the out_dir of `ml2llm pretrain`) or its checkpoint"
    )
    s.add_argument(
        "--prompt",
        default=None,
        help="text to continue (default: a newline, or the first token if the data had none)",
    )
    s.add_argument("--max-new-tokens", type=int, default=500)
    s.add_argument("--temperature", type=float, default=0.8, help="0 = greedy")
    s.add_argument("--top-k", type=int, default=200, help="keep the k most likely tokens (0 = off)")
    s.add_argument("--top-p", type=float, default=None, help="nucleus sampling mass, e.g. 0.95")
    s.add_argument("--num-samples", type=int, default=1)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    s.add_argument(
        "--no-cache", action="store_true", help="recompute the whole context every token"
    )
    s.set_defaults(func=run_sample)

    e = subparsers.add_parser("export", help="export a pretraining run to Hugging Face format")
    e.add_argument("run_dir", help="run folder (the out_dir of `ml2llm pretrain`)")
    e.add_argument(
        "--out", required=True, help="output folder for config.json, model.safetensors, tokenizer"
    )
    e.add_argument("--force", action="store_true", help="write into a non-empty --out folder")
    e.set_defaults(func=run_export)


def _known_errors():
    from ml2llm.training.checkpoint import CheckpointError
    from ml2llm.training.config import ConfigError
    from ml2llm.training.data import DataError
    from ml2llm.training.trainer import TrainingError

    return ConfigError, DataError, CheckpointError, TrainingError


def config_from_args(args):
    """The validated :class:`TrainConfig` for parsed ``pretrain`` arguments."""
    from ml2llm.training.config import ConfigError, TrainConfig, load_config

    overrides = {
        f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)
    }
    try:
        return load_config(args.config, overrides=overrides)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def run_pretrain(args) -> int:
    cfg = config_from_args(args)
    from ml2llm.training.trainer import Trainer

    try:
        trainer = Trainer(cfg)
    except _known_errors() as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        print("interrupted before training started; nothing was saved")
        return 130
    if trainer.dist.is_main:
        print(
            f"model: {cfg.model} {cfg.n_layer} layers x {cfg.n_embd} wide, "
            f"{trainer.n_params / 1e6:.2f}M parameters (non-embedding), vocab {trainer.vocab_size}; "
            f"device {trainer.device}, dtype {trainer.dtype}, world size {trainer.dist.world_size}"
        )
    try:
        result = trainer.train()
    except _known_errors() as exc:  # diverged, or the checkpoint could not be written
        raise UsageError(str(exc)) from None
    finally:
        trainer.close()
    if not trainer.dist.is_main:
        return 0
    print(
        f"step {result.step}: best val loss {result.best_val:.4f}, {result.ms_per_step:.1f} ms/step, "
        f"{result.tokens_per_s:,.0f} tokens/s"
    )
    print(f"checkpoint: {cfg.out_dir}/checkpoint  loss curve: {cfg.out_dir}/loss_curve.png")
    if result.interrupted:
        print(
            f"interrupted at step {result.step}: continue with `ml2llm pretrain ... --out_dir {cfg.out_dir} --resume`"
        )
        return 130
    return 0


def run_sample(args) -> int:
    if args.max_new_tokens < 0:
        raise UsageError(f"--max-new-tokens must be >= 0, got {args.max_new_tokens}")
    if not (math.isfinite(args.temperature) and args.temperature >= 0):
        raise UsageError(f"--temperature must be >= 0 and finite, got {args.temperature}")
    if args.top_k is not None and args.top_k < 0:
        raise UsageError(f"--top-k must be >= 0 (0 = off), got {args.top_k}")
    if args.top_p is not None and not (0 < args.top_p <= 1):
        raise UsageError(f"--top-p must be in (0, 1], got {args.top_p}")
    if args.num_samples < 1:
        raise UsageError(f"--num-samples must be >= 1, got {args.num_samples}")
    from ml2llm.training.sampling import sample_text
    from ml2llm.training.trainer import default_prompt, load_run, resolve_device

    try:
        device = resolve_device(args.device)
        model, tokenizer, _ = load_run(args.run_dir, device)
        if args.prompt is None:
            args.prompt = default_prompt(tokenizer)
        tokenizer.encode(args.prompt)
    except _known_errors() as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:  # the prompt has characters the tokenizer does not know
        raise UsageError(f"cannot encode the prompt: {exc}") from None
    for k in range(args.num_samples):
        text = sample_text(
            model,
            tokenizer,
            args.prompt,
            args.max_new_tokens,
            args.temperature,
            args.top_k or None,
            args.top_p,
            seed=args.seed + k,
            device=device,
            use_cache=not args.no_cache,
        )
        if args.num_samples > 1:
            print(f"--- sample {k + 1} ---")
        print(text)
    return 0


def run_export(args) -> int:
    from pathlib import Path

    from ml2llm.training.trainer import TrainingError, check_writable, load_run

    out = Path(args.out)
    if out.is_file():
        raise UsageError(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not args.force:
        raise UsageError(f"--out {out} exists and is not empty; pass --force to write into it")
    try:
        check_writable(out)
        model, tokenizer, state = load_run(args.run_dir, "cpu")
    except (TrainingError, *_known_errors()) as exc:
        raise UsageError(str(exc)) from None
    from ml2llm.transformers import export_hf

    export_hf(model, tokenizer, out)
    print(
        f"exported step {state['step']} of {args.run_dir} to {out} "
        "(AutoModelForCausalLM.from_pretrained / AutoTokenizer.from_pretrained)"
    )
    return 0
