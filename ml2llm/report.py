"""The journey report: execute solution notebooks and write ``reports/``.

For each project run: ``reports/<id>.html`` (the executed notebook), its figures as PNG under
``reports/figures/<id>/``, and ``reports/index.html`` with every project's status, runtime and
figure thumbnails. Files are written atomically; an earlier report for a project that is not
re-run is kept in the index as it was.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ml2llm.io import atomic_write_bytes, atomic_write_text
from ml2llm.manifest import Curriculum, Project


@dataclass
class ProjectRun:
    id: str
    ok: bool
    seconds: float
    error: str | None
    figures: list[str]
    html: str
    when: str


def notebook_html(nb) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="classic")
    body, _ = exporter.from_notebook_node(nb)
    return body


def save_executed(nb, folder: Path, project_id: str) -> Path:
    """Keep the executed notebook (outputs included) as ``<folder>/<id>.ipynb`` for the site."""
    import nbformat

    return atomic_write_text(folder / f"{project_id}.ipynb", nbformat.writes(nb))


def run_project(project: Project, out_dir: Path, quick: bool = True) -> ProjectRun:
    """Execute one project's solution notebook and write its HTML and figures."""
    from ml2llm.notebooks.execute import execute_notebook
    from ml2llm.notebooks.source import solution_notebook

    nb = solution_notebook(project.source_path())
    result = execute_notebook(nb, cwd=project.path(), quick=quick, allow_errors=False)
    fig_dir = out_dir / "figures" / project.id
    names = []
    for k, png in enumerate(result.figures, start=1):
        name = f"figures/{project.id}/figure-{k:02d}.png"
        atomic_write_bytes(out_dir / name, png)
        names.append(name)
    for stale in sorted(fig_dir.glob("figure-*.png"))[len(names) :] if fig_dir.exists() else []:
        stale.unlink()
    page = f"{project.id}.html"
    atomic_write_text(out_dir / page, notebook_html(result.notebook))
    save_executed(result.notebook, out_dir / "notebooks", project.id)
    return ProjectRun(
        project.id,
        result.ok,
        round(result.seconds, 1),
        result.error,
        names,
        page,
        dt.datetime.now().isoformat(timespec="seconds"),
    )


def _load_runs(out_dir: Path) -> dict[str, dict]:
    path = out_dir / "runs.json"
    if path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return {}
    return {}


def save_runs(out_dir: Path, runs: list[ProjectRun]) -> dict[str, dict]:
    merged = _load_runs(out_dir)
    merged.update({r.id: asdict(r) for r in runs})
    atomic_write_text(out_dir / "runs.json", json.dumps(merged, indent=2) + "\n")
    return merged


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:.3em}
table{border-collapse:collapse;width:100%;margin-top:1em}
th,td{border-bottom:1px solid #ddd;padding:.45em .5em;text-align:left;vertical-align:top;font-size:14px}
th{background:#f6f6f6}.ok{color:#16803c;font-weight:600}.fail{color:#b42318;font-weight:600}
.planned{color:#888}.phase td{background:#eef3fb;font-weight:600}
img.thumb{height:70px;border:1px solid #ddd;margin:2px}
.bar{background:#eee;border-radius:4px;height:10px;width:200px;display:inline-block}
.bar>span{display:block;height:10px;background:#3b82f6;border-radius:4px}
"""


def write_index(out_dir: Path, curriculum: Curriculum, runs: dict[str, dict], quick: bool) -> Path:
    """Write ``reports/index.html`` from the manifest and the recorded runs."""
    ready = curriculum.ready()
    ok = sum(1 for p in ready if runs.get(p.id, {}).get("ok"))
    pct = 100 * len(ready) / max(1, len(curriculum.projects))
    rows, phase = [], None
    for p in curriculum.projects:
        if p.phase != phase:
            phase = p.phase
            rows.append(
                f'<tr class="phase"><td colspan="5">{html.escape(curriculum.phase_title(phase))}</td></tr>'
            )
        run = runs.get(p.id)
        if not p.ready:
            state, runtime, figs, title = (
                '<span class="planned">planned</span>',
                "",
                "",
                html.escape(p.title),
            )
        elif run is None:
            state, runtime, figs, title = "not run", "", "", html.escape(p.title)
        else:
            cls = "ok" if run["ok"] else "fail"
            label = "ran" if run["ok"] else f"failed: {html.escape(run['error'] or '')}"
            state = f'<span class="{cls}">{label}</span>'
            runtime = f"{run['seconds']:.1f} s"
            figs = "".join(
                f'<a href="{f}"><img class="thumb" src="{f}" alt="figure"></a>'
                for f in run["figures"]
            )
            title = f'<a href="{run["html"]}">{html.escape(p.title)}</a>'
        rows.append(
            f"<tr><td>{p.id}</td><td>{title}</td><td>{state}</td><td>{runtime}</td><td>{figs}</td></tr>"
        )
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>ML → LLM journey report</title>
<style>{_CSS}</style></head><body>
<h1>ML → LLM journey report</h1>
<p class="sub">Generated {when} · {"quick mode" if quick else "full mode"} · {ok}/{len(ready)} ready projects ran cleanly ·
{len(ready)}/{len(curriculum.projects)} projects built <span class="bar"><span style="width:{pct:.0f}%"></span></span></p>
<table><tr><th>id</th><th>project</th><th>status</th><th>runtime</th><th>figures</th></tr>
{"".join(rows)}
</table></body></html>
"""
    return atomic_write_text(out_dir / "index.html", page)
