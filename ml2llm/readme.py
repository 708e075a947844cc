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


def render(text: str, cur: Curriculum) -> str:
    if START not in text or END not in text:
        raise ValueError(f"README has no {START} … {END} block")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{curriculum_table(cur)}\n{END}{tail}"


def sync_readme(path: Path | None = None) -> bool:
    """Rewrite the table in place; returns True when the file changed."""
    path = path or repo_root() / "README.md"
    text = path.read_text(encoding="utf-8")
    new = render(text, load_manifest())
    if new != text:
        atomic_write_text(path, new)
        return True
    return False
