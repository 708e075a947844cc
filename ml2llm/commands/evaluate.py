"""``ml2llm evaluate MODEL`` and ``ml2llm compare BASE TUNED`` (Project 17).

- ``ml2llm evaluate MODEL --data DIR_OR_FILE`` runs one model over held-out instruction
  records (``test.jsonl`` of a Project 16 data folder, or any JSONL/Alpaca file): exact
  match, token F1, behaviour metrics, each with a 95% bootstrap CI per task, and perplexity
  on held-out Shakespeare (``--heldout``); writes ``report.md``, ``report.html``,
  ``results.json`` and plots to ``--out``.
- ``ml2llm compare BASE TUNED --data ...`` evaluates both on the same records and adds the
  paired statistics: tuned − base per task with a paired-bootstrap CI, McNemar's exact test,
  the perplexity change, and side-by-side samples.

MODEL/BASE/TUNED are Hugging Face model folders (``ml2llm export``), PEFT-format adapter
folders (``ml2llm finetune --backend torch|peft``) or MLX adapter folders; ``--backend``
chooses how they run (``auto``, ``hf``, ``torch`` = our own model classes, ``peft``, ``mlx``).
Prompts are formatted as in ``ml2llm finetune``: with the base folder's chat template when it
has one, else ``"Q: ...\nA: "``; ``--eos-token`` names the end-of-answer token for a tokenizer
that has none.

Bad input (a missing folder or data file, a bad value) prints one line and exits 2.
"""

from __future__ import annotations

from ml2llm.errors import UsageError


def _common(p) -> None:
    p.add_argument(
        "--data", required=True, help="data folder with test.jsonl, or a .jsonl/.json file"
    )
    p.add_argument("--split", default="test", help="split of a data folder (default: test)")
    p.add_argument("--backend", default="auto", help="auto, hf, torch, peft or mlx (default: auto)")
    p.add_argument(
        "--max-examples", type=int, default=None, help="evaluate only the first N records"
    )
    p.add_argument("--max-new-tokens", type=int, default=32, help="generation budget (default: 32)")
    p.add_argument(
        "--heldout",
        default="shakespeare",
        help="forgetting text: 'shakespeare' (held-out tail of the corpus), a text FILE, or 'none'",
    )
    p.add_argument("--heldout-chars", type=int, default=20_000, help="characters of held-out text")
    p.add_argument(
        "--max-windows", type=int, default=None, help="perplexity on the first N windows only"
    )
    p.add_argument(
        "--resamples", type=int, default=2000, help="bootstrap resamples (default: 2000)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--eos-token",
        default=None,
        help="end-of-answer token, for a tokenizer that names none (must be one of its tokens)",
    )
    p.add_argument("--out", default=None, help="report folder (default: reports/evaluate/<name>)")


def register(subparsers) -> None:
    e = subparsers.add_parser(
        "evaluate",
        help="evaluate a model on held-out instruction tasks (+ forgetting, behaviour, report)",
    )
    e.add_argument(
        "model", help="Hugging Face model folder, PEFT adapter folder or MLX adapter folder"
    )
    _common(e)
    e.set_defaults(func=run_evaluate)
    c = subparsers.add_parser(
        "compare", help="compare a base and a tuned model with paired statistics and a report"
    )
    c.add_argument("base", help="the base model (folder)")
    c.add_argument("tuned", help="the tuned model (folder)")
    c.add_argument("--alpha", type=float, default=0.05, help="significance level (default: 0.05)")
    _common(c)
    c.set_defaults(func=run_compare)


def _records(args):
    from pathlib import Path

    from ml2llm.finetune.data import load_records

    path = Path(args.data)
    if path.is_dir():
        f = path / f"{args.split}.jsonl"
        if not f.is_file():
            raise ValueError(f"data folder {path} has no {args.split}.jsonl (--split {args.split})")
        records = load_records(f)
    elif path.is_file():
        records = load_records(path)
    else:
        raise ValueError(f"--data {path} does not exist")
    if args.max_examples is not None:
        if args.max_examples < 1:
            raise ValueError(f"--max-examples must be >= 1, got {args.max_examples}")
        records = records[: args.max_examples]
    return records


def _heldout(args):
    from pathlib import Path

    if args.heldout_chars < 2:
        raise ValueError(f"--heldout-chars must be >= 2, got {args.heldout_chars}")
    if args.heldout == "none":
        return None
    if args.heldout == "shakespeare":
        from ml2llm.evaluation.forgetting import shakespeare_heldout

        return shakespeare_heldout(args.heldout_chars)
    path = Path(args.heldout)
    if not path.is_file():
        raise ValueError(f"--heldout {path}: no such file (or use 'shakespeare' / 'none')")
    try:
        text = path.read_text(encoding="utf-8")[: args.heldout_chars]
    except UnicodeDecodeError:
        raise ValueError(f"--heldout {path} is not UTF-8 text") from None
    if len(text.strip()) < 2:
        raise ValueError(f"--heldout {path} is empty: give a text file, 'shakespeare' or 'none'")
    return text


def _check_args(args):
    if args.max_new_tokens < 1:
        raise ValueError(f"--max-new-tokens must be >= 1, got {args.max_new_tokens}")
    if args.resamples < 1:
        raise ValueError(f"--resamples must be >= 1, got {args.resamples}")
    if args.max_windows is not None and args.max_windows < 1:
        raise ValueError(f"--max-windows must be >= 1, got {args.max_windows}")


def _check_weights(*paths) -> None:
    """A truncated or zeroed ``*.safetensors`` in a model folder, named before any loading."""
    from pathlib import Path

    from ml2llm.io import check_safetensors

    for path in paths:
        for weights in sorted(Path(path).glob("*.safetensors")) if Path(path).is_dir() else []:
            check_safetensors(weights)


def _evaluate(path, args, records, text, name=None):
    from ml2llm.evaluation.harness import evaluate, load_model

    _check_weights(path)

    lm = load_model(path, backend=args.backend, name=name, eos_token=args.eos_token)
    try:
        return evaluate(
            lm, records, max_new_tokens=args.max_new_tokens, heldout_text=text,
            max_windows=args.max_windows, n_resamples=args.resamples, seed=args.seed,
        )  # fmt: skip
    except ValueError as exc:
        if str(exc).startswith("records["):  # name the file the learner wrote
            raise ValueError(f"--data {args.data}: {exc}") from None
        raise


def _print_summary(result) -> None:
    print(f"{result.name}: {result.summary['all']['n']} examples")
    for task, s in result.summary.items():
        em, f1 = s["exact_match"], s["f1"]
        print(
            f"  {task:<12} EM {em['estimate']:.3f} [{em['low']:.3f}, {em['high']:.3f}]  "
            f"F1 {f1['estimate']:.3f} [{f1['low']:.3f}, {f1['high']:.3f}]  n={s['n']}"
        )
    if result.perplexity:
        print(f"  held-out perplexity {result.perplexity['perplexity']:.3f}")


def _guard(fn):
    try:
        return fn()
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def run_evaluate(args) -> int:
    from pathlib import Path

    from ml2llm.evaluation.report import write_report

    def work():
        _check_args(args)
        records, text = _records(args), _heldout(args)
        result = _evaluate(args.model, args, records, text)
        out = Path(args.out or Path("reports") / "evaluate" / result.name)
        return result, write_report(result, out)

    result, paths = _guard(work)
    _print_summary(result)
    print(f"report: {paths['markdown']}  {paths['html']}")
    return 0


def run_compare(args) -> int:
    from pathlib import Path

    from ml2llm.evaluation.harness import compare
    from ml2llm.evaluation.report import write_report

    def work():
        _check_args(args)
        if not 0 < args.alpha < 1:
            raise ValueError(f"--alpha must be in (0, 1), got {args.alpha}")
        records, text = _records(args), _heldout(args)
        _check_weights(args.base, args.tuned)
        base_name, tuned_name = Path(args.base).name, Path(args.tuned).name
        if base_name == tuned_name:
            base_name, tuned_name = "base", "tuned"
        base = _evaluate(args.base, args, records, text, base_name)
        tuned = _evaluate(args.tuned, args, records, text, tuned_name)
        comp = compare(base, tuned, alpha=args.alpha)
        out = Path(args.out or Path("reports") / "compare")
        return comp, write_report(comp, out)

    comp, paths = _guard(work)
    print(f"{comp.base.name} -> {comp.tuned.name} ({comp.tasks['all']['n']} examples)")
    for row in comp.table():
        sig = "*" if comp.tasks[row["task"]]["significant"] else " "
        print(
            f"  {row['task']:<12} EM {row['em_base']:.3f} -> {row['em_tuned']:.3f} "
            f"(diff {row['em_diff']:+.3f} [{row['em_diff_low']:+.3f}, {row['em_diff_high']:+.3f}], "
            f"McNemar p={row['mcnemar_p']:.3g}{sig})  F1 {row['f1_base']:.3f} -> {row['f1_tuned']:.3f}"
        )
    if comp.perplexity:
        b, t = comp.perplexity["base"]["perplexity"], comp.perplexity["tuned"]["perplexity"]
        print(f"  held-out perplexity {b:.3f} -> {t:.3f}")
    print(f"report: {paths['markdown']}  {paths['html']}")
    return 0
