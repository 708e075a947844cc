"""``ml2llm penguins train`` and ``ml2llm penguins predict`` (Project 11).

- ``ml2llm penguins train --out MODEL.json [--model softmax|svm|forest]`` fits the Project 11
  pipeline on all of Palmer penguins and saves it in the safe JSON format.
- ``ml2llm penguins predict --model MODEL.json --input ROWS.csv [--output OUT.csv]
  [--sha256 HEX]`` validates every row against the schema, predicts the good ones and writes
  a CSV with ``species``, ``confidence`` and ``error`` columns (stdout by default). Rejected
  rows are listed on stderr, one line each.

Exit codes: 0 every row predicted; 1 some rows rejected (the others are still predicted);
2 unusable input (missing file or column, not a model file, wrong checksum): one line on stderr.

Rows with a measurement far outside the training penguins' range (half the smallest to twice
the largest, e.g. a body mass of 1e308 g) are rejected like other bad rows.

Trust: the model file is JSON read without unpickling, and only the estimator classes in
``ml2llm.classical.penguins.ALLOWED_CLASSES`` are rebuilt from it, so opening it cannot run
code; a tampered file (unknown class, empty pipeline, absurd nesting) is one line and exit 2.
Still only use model files you made (``--sha256`` refuses a file whose checksum differs from
the one in its model card).
"""

from __future__ import annotations

import sys

from ml2llm.errors import UsageError

_MODELS = ("softmax", "svm", "forest")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "penguins", help="Project 11: train or apply the Palmer penguins species model"
    )
    sub = p.add_subparsers(dest="penguins_command", metavar="{train,predict}")
    sub.required = True

    t = sub.add_parser("train", help="fit the pipeline on all penguins and save it as JSON")
    t.add_argument("--out", required=True, help="where to write the model (.json)")
    t.add_argument(
        "--model", choices=_MODELS, default="softmax", help="classifier (default: softmax)"
    )
    t.set_defaults(func=run_train)

    q = sub.add_parser("predict", help="predict species for the rows of a CSV file")
    q.add_argument(
        "--model",
        required=True,
        help="a model file written by `ml2llm penguins train` or the notebook",
    )
    q.add_argument("--input", required=True, help="CSV with columns " + ", ".join(_features()))
    q.add_argument("--output", help="write the predictions CSV here instead of stdout")
    q.add_argument("--sha256", help="refuse the model file unless its SHA-256 matches")
    q.set_defaults(func=run_predict)


def _features():
    return ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island", "sex"]


def _estimator(name):
    if name == "softmax":
        from ml2llm.classical.softmax_regression import SoftmaxRegression

        return SoftmaxRegression()
    if name == "svm":
        from ml2llm.classical.svm import KernelSVM

        return KernelSVM()
    from ml2llm.classical.forest import RandomForestClassifier

    return RandomForestClassifier(n_estimators=50, random_state=0)


def run_train(args) -> int:
    from ml2llm.classical import penguins as pg

    try:
        df = pg.load_penguins()
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    model = pg.make_pipeline(_estimator(args.model)).fit(df[pg.FEATURES], df[pg.TARGET].to_numpy())
    meta = {
        "model": args.model,
        "trained_on": f"all {len(df)} Palmer penguins",
        "features": pg.FEATURES,
    }
    try:
        digest = pg.save_model(model, args.out, metadata=meta)
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(
        f"saved {args.model} pipeline to {args.out} (training accuracy {model.score(df[pg.FEATURES], df[pg.TARGET]):.3f})"
    )
    print(f"sha256 {digest}")
    return 0


def run_predict(args) -> int:
    import pandas as pd

    from ml2llm.classical import penguins as pg

    try:
        model, _ = pg.load_model(args.model, expected_sha256=args.sha256)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    try:
        rows = pd.read_csv(args.input, dtype=str, keep_default_na=True)
    except FileNotFoundError:
        raise UsageError(f"input file not found: {args.input}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {args.input} as CSV: {str(exc).splitlines()[0]}") from None
    try:
        out = pg.predict(model, rows)
    except pg.SchemaError as exc:
        raise UsageError(f"{args.input}: {exc}") from None
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        # the file passed every check but the model still cannot run: a tampered file
        why = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UsageError(
            f"model file {args.model} cannot predict ({why}); is it damaged?"
        ) from None
    bad = out[out["error"] != ""]
    table = out.copy()
    table.insert(0, "row", range(1, len(out) + 1))  # 1-based data-row numbers, as a person counts
    if args.output:
        try:
            table.to_csv(args.output, index=False)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    else:
        table.to_csv(sys.stdout, index=False)
    for pos, (_, r) in enumerate(out.iterrows(), start=1):
        if r["error"]:
            print(f"rejected row {pos}: {r['error']}", file=sys.stderr)
    print(
        f"{len(out) - len(bad)} of {len(out)} rows predicted, {len(bad)} rejected", file=sys.stderr
    )
    return 1 if len(bad) else 0
