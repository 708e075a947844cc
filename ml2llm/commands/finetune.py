"""``ml2llm finetune`` (Project 16): LoRA instruction tuning with the torch, peft or mlx backend.

- ``ml2llm finetune --model PATH_OR_ID --data DIR --backend torch|peft|mlx --out DIR``
  trains LoRA adapters on ``DIR/train.jsonl`` (``valid.jsonl`` for eval loss; ``test.jsonl``,
  when present, for exact-match task accuracy) and writes them to ``--out``.
- ``ml2llm finetune --make-data DIR`` writes the offline Shakespeare instruction tasks
  (``{"prompt","completion"}`` JSONL; ``--chat`` for ``{"messages"}``) and exits.

``--model`` is a Hugging Face folder (e.g. from ``ml2llm export``) or a hub id already in the
local cache (``mistralai/Mistral-7B-v0.1``). Bad input (missing folder or files, unknown
backend, bad numbers, mlx-lm not installed) is a :class:`~ml2llm.errors.UsageError`: one line
on stderr and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path

from ml2llm.errors import UsageError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "finetune",
        help="LoRA instruction tuning (backends: torch, peft, mlx)",
        description="Train LoRA adapters on {train,valid,test}.jsonl prompt/completion data.",
    )
    p.add_argument("--model", help="Hugging Face model folder or cached hub id")
    p.add_argument("--data", help="folder with train.jsonl, valid.jsonl [, test.jsonl]")
    p.add_argument("--backend", default="torch", help="torch (our LoRA), peft or mlx")
    p.add_argument("--out", default="runs/finetune", help="output folder for the adapter")
    p.add_argument("--rank", type=int, default=8, help="LoRA rank r")
    p.add_argument("--alpha", type=float, default=16.0, help="LoRA alpha (scale = alpha / r)")
    p.add_argument(
        "--targets", default="q_proj,v_proj", help="comma-separated module names to adapt"
    )
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-len", type=int, default=256)
    p.add_argument("--pack", action="store_true", help="pack examples into full rows (no padding)")
    p.add_argument(
        "--save-every", type=int, default=0, help="checkpoint (and resume) every N steps"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--make-data", metavar="DIR", help="write the Shakespeare tasks to DIR and exit")
    p.add_argument("--chat", action="store_true", help="with --make-data: {'messages'} format")
    p.set_defaults(func=run)


def _validate(args) -> None:
    from ml2llm.finetune.backends import BACKENDS

    if args.backend not in BACKENDS:
        raise UsageError(f"--backend must be one of {', '.join(BACKENDS)}, got {args.backend!r}")
    for name in ("rank", "steps", "batch_size", "max_len"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.save_every < 0:
        raise UsageError(f"--save-every must be >= 0, got {args.save_every}")
    if not args.alpha > 0 or not args.lr > 0:
        raise UsageError(f"--alpha and --lr must be > 0, got {args.alpha} and {args.lr}")
    if not args.model:
        raise UsageError("--model is required (a Hugging Face folder or cached hub id)")
    if not args.data:
        raise UsageError("--data is required (a folder with train.jsonl and valid.jsonl)")
    data = Path(args.data)
    if not data.is_dir():
        raise UsageError(f"--data folder {data} does not exist")
    for f in ("train.jsonl", "valid.jsonl"):
        if not (data / f).is_file():
            raise UsageError(f"--data folder {data} has no {f}")
    model = Path(args.model)
    looks_like_path = args.model.startswith((".", "/", "~")) or model.exists()
    if looks_like_path and not model.exists():
        raise UsageError(f"--model folder {model} does not exist")
    if looks_like_path and not (model / "config.json").is_file():
        raise UsageError(
            f"--model folder {model} has no config.json (export it with `ml2llm export`)"
        )


def run(args) -> int:
    if args.make_data:
        from ml2llm.finetune.data import build_tasks, load_plays, write_splits

        out = write_splits(
            build_tasks(load_plays(), seed=args.seed),
            args.make_data,
            fmt="chat" if args.chat else "completions",
        )
        print(f"wrote {out}/train.jsonl, valid.jsonl, test.jsonl")
        return 0
    _validate(args)
    from ml2llm.finetune import backends

    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not targets:
        raise UsageError("--targets must name at least one module, e.g. q_proj,v_proj")
    common = dict(r=args.rank, alpha=args.alpha, target_modules=targets)
    try:
        if args.backend == "mlx":
            result = backends.finetune_mlx(
                args.model, args.data, args.out, steps=args.steps, batch_size=args.batch_size,
                lr=args.lr, max_len=args.max_len, seed=args.seed, **common,
            )  # fmt: skip
            import re

            log = re.sub(r"\x1b\[[0-9;]*m", "", result["log"]).strip().splitlines()
            print(next((line.strip() for line in reversed(log) if "val" in line), "done"))
        else:
            fn = backends.finetune_torch if args.backend == "torch" else backends.finetune_peft
            result = fn(
                args.model, args.data, args.out, steps=args.steps, batch_size=args.batch_size,
                lr=args.lr, max_len=args.max_len, pack=args.pack, save_every=args.save_every,
                seed=args.seed, eval_every=max(1, args.steps // 4), **common,
            )  # fmt: skip
            rep = result["trainable"]
            print(f"trainable {rep['trainable']:,} of {rep['total']:,} ({rep['percent']:.3f}%)")
            print(f"val loss {result['val_loss']:.4f}")
            if "test" in result:
                print(f"test accuracy {result['test']['accuracy']:.3f}")
            (Path(args.out) / "finetune_result.json").write_text(
                json.dumps({k: v for k, v in result.items() if k != "history"}, indent=2)
            )
    except (ValueError, OSError, RuntimeError) as exc:
        raise UsageError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    print(f"adapter: {args.out}")
    return 0
