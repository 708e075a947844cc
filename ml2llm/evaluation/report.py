"""Write a comparison (or a single evaluation) as a Markdown and a self-contained HTML report.

Figures (PNG, also embedded in the HTML as base64 so the file can be mailed on its own):

- ``per_task.png``: exact match and token F1 per task, base vs tuned, with bootstrap CIs;
- ``perplexity.png``: held-out perplexity of both models with CIs (from the per-window NLLs);
- ``behaviour.png``: format adherence, stop rate, repetition and mean length.

The Markdown holds the per-task table (scores, difference with its paired-bootstrap CI,
McNemar p-value), the forgetting numbers, behaviour deltas and side-by-side samples.

What it does not do: interactive plots, PDF output.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import numpy as np

from ml2llm.evaluation.harness import Comparison, EvalResult
from ml2llm.evaluation.stats import bootstrap_ci

__all__ = ["plot_per_task", "plot_perplexity", "write_report"]


def _err(entries):
    est = np.array([e["estimate"] for e in entries])
    lo = np.array([e["low"] for e in entries])
    hi = np.array([e["high"] for e in entries])
    return est, np.vstack([est - lo, hi - est]).clip(min=0)


def plot_per_task(results: list[EvalResult], metrics=("exact_match", "f1"), ax=None):
    """Grouped bars (one group per task, one bar per model) with CI error bars."""
    import matplotlib.pyplot as plt

    tasks = list(results[0].summary)
    if ax is None:
        _, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.6), squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(ax)
    width = 0.8 / len(results)
    for a, metric in zip(axes, metrics):
        for k, res in enumerate(results):
            est, err = _err([res.summary[t][metric] for t in tasks])
            a.bar(
                np.arange(len(tasks)) + k * width, est, width, yerr=err, capsize=3, label=res.name
            )
        a.set_xticks(np.arange(len(tasks)) + width * (len(results) - 1) / 2, tasks, rotation=20)
        a.set_ylim(0, 1.05)
        a.set_title(f"{metric} per task (95% bootstrap CI)")
        a.legend(fontsize=8)
    axes[0].figure.tight_layout()
    return axes[0].figure


def _ppl_ci(p: dict, seed: int = 0):
    w = p.get("window_nll") or []
    if len(w) < 2:
        return p["perplexity"], p["perplexity"], p["perplexity"]
    ci = bootstrap_ci(w, seed=seed)
    return p["perplexity"], math.exp(ci.low), math.exp(ci.high)


def plot_perplexity(results: list[EvalResult], ax=None):
    """Held-out perplexity per model; error bars from a bootstrap over windows."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.6))
    vals = [_ppl_ci(r.perplexity) for r in results]
    est = np.array([v[0] for v in vals])
    err = np.vstack([est - [v[1] for v in vals], [v[2] for v in vals] - est]).clip(min=0)
    ax.bar(
        [r.name for r in results],
        est,
        yerr=err,
        capsize=4,
        color=["C0", "C1", "C2", "C3"][: len(results)],
    )
    ax.set_ylabel("perplexity (per token)")
    ax.set_title("Forgetting: held-out original-domain text")
    ax.figure.tight_layout()
    return ax.figure


def _plot_behaviour(results: list[EvalResult]):
    import matplotlib.pyplot as plt

    metrics = ("format", "stopped", "repetition")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    width = 0.8 / len(results)
    for k, res in enumerate(results):
        est, err = _err([res.summary["all"][m] for m in metrics])
        axes[0].bar(
            np.arange(len(metrics)) + k * width, est, width, yerr=err, capsize=3, label=res.name
        )
        e = res.summary["all"]["length"]
        axes[1].bar(
            [res.name],
            [e["estimate"]],
            yerr=[[e["estimate"] - e["low"]], [e["high"] - e["estimate"]]],
            capsize=4,
        )
    axes[0].set_xticks(
        np.arange(len(metrics)) + width * (len(results) - 1) / 2,
        ["format ok", "stops", "repetition"],
    )
    axes[0].set_ylim(0, 1.05)
    axes[0].set_title("Behaviour (rates, 95% CI)")
    axes[0].legend(fontsize=8)
    axes[1].set_title("Mean answer length (words)")
    fig.tight_layout()
    return fig


def _fmt_ci(e: dict, digits: int = 2) -> str:
    return f"{e['estimate']:.{digits}f} [{e['low']:.{digits}f}, {e['high']:.{digits}f}]"


def _md_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in r) + " |"
        for r in rows
    ]
    return "\n".join(lines)


def _markdown(obj, title: str, figures: list[str]) -> str:
    results = [obj.base, obj.tuned] if isinstance(obj, Comparison) else [obj]
    out = [f"# {title}", ""]
    if isinstance(obj, Comparison):
        b, t = obj.base.name, obj.tuned.name
        out += [
            f"Base: `{b}` · tuned: `{t}` · {obj.tasks['all']['n']} held-out examples. "
            "Scores with 95% bootstrap CIs; Δ = tuned − base with a paired-bootstrap CI; "
            "p = McNemar's exact test on exact match.",
            "",
            "## Per-task scores",
            "",
        ]
        rows = []
        for task, x in obj.tasks.items():
            d = x["diff"]["exact_match"]
            rows.append(
                [
                    task,
                    x["n"],
                    _fmt_ci(x["base"]["exact_match"]),
                    _fmt_ci(x["tuned"]["exact_match"]),
                    f"{d['estimate']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}]",
                    f"{x['mcnemar']['pvalue']:.3g}",
                    _fmt_ci(x["base"]["f1"]),
                    _fmt_ci(x["tuned"]["f1"]),
                    f"{x['diff']['f1']['pvalue']:.3g}",
                ]
            )
        out += [
            _md_table(
                [
                    "task",
                    "n",
                    f"EM {b}",
                    f"EM {t}",
                    "Δ EM",
                    "McNemar p",
                    f"F1 {b}",
                    f"F1 {t}",
                    "F1 paired p",
                ],
                rows,
            ),
            "",
        ]
    else:
        out += [
            f"Model: `{obj.name}` · {obj.summary['all']['n']} examples · 95% bootstrap CIs.",
            "",
            "## Per-task scores",
            "",
        ]
        rows = [
            [task, x["n"], _fmt_ci(x["exact_match"]), _fmt_ci(x["f1"])]
            for task, x in obj.summary.items()
        ]
        out += [_md_table(["task", "n", "exact match", "token F1"], rows), ""]
    if all(r.perplexity for r in results):
        out += ["## Forgetting (held-out original-domain text)", ""]
        rows = []
        for r in results:
            p, lo, hi = _ppl_ci(r.perplexity)
            rows.append(
                [
                    r.name,
                    f"{p:.3f} [{lo:.3f}, {hi:.3f}]",
                    f"{r.perplexity['bits_per_char']:.3f}",
                    r.perplexity["n_tokens"],
                ]
            )
        out += [_md_table(["model", "perplexity [95% CI]", "bits/char", "tokens"], rows), ""]
        if isinstance(obj, Comparison) and obj.perplexity and "nll_diff" in obj.perplexity:
            d = obj.perplexity["nll_diff"]
            out += [
                f"Mean NLL change per token (tuned − base): {d['estimate']:+.4f} nats, 95% CI "
                f"[{d['low']:+.4f}, {d['high']:+.4f}], paired-bootstrap p = {d['pvalue']:.3g}.",
                "",
            ]
    out += ["## Behaviour (all tasks)", ""]
    names = {
        "format": "format adherence",
        "stopped": "stops at end (EOS)",
        "length": "length (words)",
        "repetition": "repetition rate",
    }
    rows = [[label, *[_fmt_ci(r.summary["all"][m]) for r in results]] for m, label in names.items()]
    out += [_md_table(["metric", *[r.name for r in results]], rows), ""]
    if isinstance(obj, Comparison):
        out += ["## Side-by-side samples", ""]
        rows = [
            [s["task"], s["prompt"], s["reference"], s["base"], s["tuned"]] for s in obj.samples
        ]
        out += [_md_table(["task", "prompt", "reference", obj.base.name, obj.tuned.name], rows), ""]
    out += ["## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figures] + [""]
    return "\n".join(out)


def _html(md: str, out_dir: Path, title: str) -> str:
    """A small Markdown subset (headings, tables, paragraphs, images) -> standalone HTML."""
    import re

    body, table = [], []

    def flush():
        if table:
            rows = [r for r in table if not re.fullmatch(r"\|(---\|)+", r)]
            cells = [
                [
                    html.escape(c.strip().replace("\\|", "|"))
                    for c in re.split(r"(?<!\\)\|", r)[1:-1]
                ]
                for r in rows
            ]
            head = "".join(f"<th>{c}</th>" for c in cells[0])
            trs = "".join(
                "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells[1:]
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{trs}</tbody></table>")
            table.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if m := re.fullmatch(r"(#+) (.*)", line):
            n = len(m.group(1))
            body.append(f"<h{n}>{html.escape(m.group(2))}</h{n}>")
        elif m := re.fullmatch(r"!\[(.*)\]\((.*)\)", line):
            data = base64.b64encode((out_dir / m.group(2)).read_bytes()).decode()
            body.append(
                f'<p><img alt="{html.escape(m.group(1))}" src="data:image/png;base64,{data}"></p>'
            )
        elif line.strip():
            text = re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(line))
            body.append(f"<p>{text}</p>")
    flush()
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}th{background:#f0f0f0}img{max-width:100%}"
    )
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style></head><body>{''.join(body)}</body></html>"


def write_report(obj, out_dir, title: str | None = None) -> dict:
    """Write ``report.md``, ``report.html``, ``results.json`` and the PNG figures to ``out_dir``.

    Parameters
    ----------
    obj : Comparison or EvalResult
    out_dir : str or Path
    title : str, optional

    Returns
    -------
    dict
        ``{"markdown": path, "html": path, "json": path, "figures": [paths]}``.
    """
    import matplotlib.pyplot as plt

    from ml2llm.io import atomic_write_text

    if not isinstance(obj, (Comparison, EvalResult)):
        raise ValueError(f"obj must be a Comparison or an EvalResult, got {type(obj).__name__}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [obj.base, obj.tuned] if isinstance(obj, Comparison) else [obj]
    title = title or (
        f"{obj.base.name} vs {obj.tuned.name}"
        if isinstance(obj, Comparison)
        else f"Evaluation of {obj.name}"
    )
    figures = []
    for name, make in [("per_task.png", lambda: plot_per_task(results)),
                       ("perplexity.png", lambda: plot_perplexity(results) if all(r.perplexity for r in results) else None),
                       ("behaviour.png", lambda: _plot_behaviour(results))]:  # fmt: skip
        fig = make()
        if fig is not None:
            fig.savefig(out_dir / name, dpi=90)
            plt.close(fig)
            figures.append(name)
    md = _markdown(obj, title, figures)
    paths = {
        "markdown": atomic_write_text(out_dir / "report.md", md),
        "html": atomic_write_text(out_dir / "report.html", _html(md, out_dir, title)),
        "json": obj.save(out_dir / "results.json"),
        "figures": [out_dir / f for f in figures],
    }
    return paths
