"""``ml2llm finetune`` (Project 16): LoRA instruction tuning with the torch, peft or mlx backend.

- ``ml2llm finetune --model PATH_OR_ID --data DIR --backend torch|peft|mlx --out DIR``
  trains LoRA adapters on ``DIR/train.jsonl`` (``valid.jsonl`` for eval loss; ``test.jsonl``,
  when present, for exact-match task accuracy) and writes them to ``--out``.
- ``ml2llm finetune --make-data DIR`` writes the offline Shakespeare instruction tasks
  (``{"prompt","completion"}`` JSONL; ``--chat`` for ``{"messages"}``) and exits.

``--model`` is a Hugging Face folder (e.g. from ``ml2llm export``) or a hub id already in the
local cache (``mistralai/Mistral-7B-v0.1``). Every backend formats records the same way: with
the folder's chat template when it has one, else as ``"Q: ...\nA: ..." + EOS``; a tokenizer
without an EOS token needs ``--eos-token``. Training prints one line per interval (step,
loss, validation loss, learning rate, tokens/s) and writes ``finetune_result.json`` (same
keys for every backend) next to the adapter; a failed run leaves no ``--out`` folder behind.

Bad input (missing folder or files, unknown backend, bad numbers, mlx-lm not installed, a
tokenizer without EOS) is a :class:`~ml2llm.errors.UsageError`: one line on stderr and exit
code 2.
"""

from __future__ import annotations

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
    p.add_argument(
        "--eos-token",
        default=None,
        help="end-of-answer token, for a tokenizer that names none (must be one of its tokens)",
    )
    p.add_argument(
        "--log-every",
        type=int,
        default=None,
        help="progress line every N steps (default: steps/10)",
    )
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
    if args.log_every is not None and args.log_every < 1:
        raise UsageError(f"--log-every must be >= 1, got {args.log_every}")
    if args.save_every < 0:
        raise UsageError(f"--save-every must be >= 0, got {args.save_every}")
    if not (0 < args.alpha < float("inf")) or not (0 < args.lr < float("inf")):
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
    if looks_like_path:
        from ml2llm.io import check_safetensors

        for weights in sorted(model.glob("*.safetensors")):
            try:
                check_safetensors(weights)  # truncated or zeroed: say so before loading
            except ValueError as exc:
                raise UsageError(f"--model: {exc}") from None


def _warn_unknown_characters(args) -> None:
    """One stderr line when the data has characters the model's tokenizer would drop."""
    import sys

    from ml2llm.finetune.data import load_splits, unknown_characters

    try:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(args.model)
    except Exception:  # not loadable here: the backend reports it properly
        return
    records = [r for recs in load_splits(args.data).values() for r in recs]
    lost = unknown_characters(
        records,
        lambda t: tok.encode(t, add_special_tokens=False),
        lambda ids: tok.decode(ids, skip_special_tokens=True),
    )
    if lost:
        shown = ", ".join(f"{c!r} x{n}" for c, n in list(lost.items())[:5])
        print(
            f"warning: {sum(lost.values())} characters in {args.data} ({len(lost)} distinct: "
            f"{shown}) are unknown to the tokenizer of {args.model} and will be dropped",
            file=sys.stderr,
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
    _warn_unknown_characters(args)
    from ml2llm.finetune import backends

    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not targets:
        raise UsageError("--targets must name at least one module, e.g. q_proj,v_proj")
    every = args.log_every or max(1, args.steps // 10)
    kwargs = dict(
        r=args.rank, alpha=args.alpha, target_modules=targets, steps=args.steps,
        batch_size=args.batch_size, lr=args.lr, max_len=args.max_len, seed=args.seed,
        eos_token=args.eos_token, eval_every=every,
    )  # fmt: skip
    if args.backend != "mlx":
        kwargs.update(pack=args.pack, save_every=args.save_every, log_every=every)
    elif args.pack or args.save_every:
        raise UsageError("--pack and --save-every apply to the torch and peft backends only")
    print(f"finetune: backend {args.backend}, model {args.model}, data {args.data}")
    try:
        result = backends.run_finetune(args.backend, args.model, args.data, args.out, **kwargs)
    except (ValueError, OSError, RuntimeError, KeyError) as exc:
        raise UsageError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    rep = result["trainable"]
    print(f"prompt format: {result['prompt_format']}, EOS {result['eos_token']!r}")
    print(f"trainable {rep['trainable']:,} of {rep['total']:,} ({rep['percent']:.3f}%)")
    tps = result["tokens_per_second"]
    speed = f", {tps:,.0f} tok/s" if tps else ""
    val = result["val_loss"]
    print(f"val loss {val:.4f}" if val is not None else "val loss: n/a", end="")
    print(f" ({result['seconds']:.1f} s{speed})")
    if result.get("test"):
        print(f"test accuracy {result['test']['accuracy']:.3f}")
    print(f"adapter: {args.out} (finetune_result.json)")
    return 0
