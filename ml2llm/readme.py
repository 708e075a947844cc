"""Keep the README's curriculum table equal to the manifest.

The table lives between ``<!-- curriculum:start -->`` and ``<!-- curriculum:end -->``;
:func:`sync_readme` rewrites it from ``curriculum.toml`` and a test fails when it is stale.
"""

from __future__ import annotations

from pathlib import Path

from ml2llm.io import atomic_write_text
from ml2llm.manifest import Curriculum, load_manifest
from ml2llm.paths import repo_root

START, END = "<!-- curriculum:start -->", "<!-- curriculum:end -->"


def curriculum_table(cur: Curriculum) -> str:
    """Markdown table: id, project (linked to its folder when ready), proven against, hours, status."""
    lines = ["| id | project | proven against | hours | status |", "|---|---|---|---|---|"]
    phase = None
    for p in cur.projects:
        if p.phase != phase:
            phase = p.phase
            lines.append(f"| | **{cur.phase_title(phase)}** | | | |")
        status = "✅ ready" if p.ready else "planned"
        title = (
            f"[{p.title}]({p.folder}/)" if p.ready else p.title
        )  # planned folders don't exist yet
        lines.append(f"| {p.id} | {title} | {p.compares_against} | {p.hours:g} | {status} |")
    return "\n".join(lines)


def phase_table(cur: Curriculum, phase: str) -> str:
    """Markdown table of one phase's projects, for ``projects/<phase>/README.md``."""
    lines = ["| id | project | prerequisites | hours | status |", "|---|---|---|---|---|"]
    for p in cur.projects:
        if p.phase != phase:
            continue
        name = p.folder.rsplit("/", 1)[1]
        title = f"[{p.title}]({name}/)" if p.ready else p.title
        pre = ", ".join(p.prerequisites) or "—"
        status = "✅ ready" if p.ready else "planned"
        lines.append(
            f"| {p.id} | {title}<br><sub>{p.summary}</sub> | {pre} | {p.hours:g} | {status} |"
        )
    total = sum(p.hours for p in cur.projects if p.phase == phase)
    lines.append(f"\nTotal: about {total:g} hours.")
    return "\n".join(lines)


def render(text: str, cur: Curriculum, phase: str | None = None) -> str:
    """``text`` with its generated block replaced (the curriculum, or one phase's table)."""
    if START not in text or END not in text:
        raise ValueError(f"no {START} … {END} block")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    table = curriculum_table(cur) if phase is None else phase_table(cur, phase)
    return f"{head}{START}\n{table}\n{END}{tail}"


def generated_files(root: Path | None = None) -> list[tuple[Path, str | None]]:
    """``(path, phase)`` of every README with a generated block (phase None: the main one)."""
    root = root or repo_root()
    files = [(root / "README.md", None)]
    for phase, _ in load_manifest().phases:
        path = root / "projects" / phase / "README.md"
        if path.exists():
            files.append((path, phase))
    return files


def sync_readme(path: Path | None = None, phase: str | None = None) -> bool:
    """Rewrite the generated table in place; returns True when the file changed."""
    path = path or repo_root() / "README.md"
    text = path.read_text(encoding="utf-8")
    new = render(text, load_manifest(), phase)
    if new != text:
        atomic_write_text(path, new)
        return True
    return False
