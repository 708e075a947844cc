"""Turn one notebook source (jupytext percent ``.py``) into the learner and solution notebooks.

A source is a plain Python file with ``# %%`` code cells and ``# %% [markdown]`` prose
cells. Inside a code cell the reference solution sits between two marker lines::

    def mse(y_true, y_pred):
        ### BEGIN SOLUTION
        return np.mean((y_true - y_pred) ** 2)
        ### END SOLUTION

The learner notebook gets, at the marker's indentation,
``raise NotImplementedError("Exercise 1.2: Mean squared error")`` where the name comes from
the closest markdown heading above that reads ``Exercise <number> — <title>``. The solution
notebook keeps the code and drops the marker lines. Both come out without outputs and with
stable cell ids, so regenerating gives byte-identical files (CI compares them).

What it does not do: execute anything (see :mod:`ml2llm.notebooks.execute`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import nbformat

from ml2llm.io import atomic_write_text

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_EXERCISE = re.compile(r"^#+\s*Exercise\s+([0-9A-Za-z.]+)\s*[—:-]+\s*(.+?)\s*$", re.M)
KERNELSPEC = {"name": "ml-learning", "display_name": "Python (ML Learning)", "language": "python"}


class SourceError(ValueError):
    """A notebook source has unbalanced or misplaced solution markers."""


def read_source(path: str | Path) -> nbformat.NotebookNode:
    """Parse a percent-format source into a notebook (markers still in place)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"notebook source not found: {path}")
    nb = jupytext.reads(path.read_text(encoding="utf-8"), fmt="py:percent")
    nb.metadata = {}
    return nb


def exercises(nb) -> list[tuple[str, str]]:
    """``(number, title)`` of every exercise heading, in order."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found.extend(_EXERCISE.findall(cell.source))
    return found


def _strip(source: str, learner: bool, exercise: str | None, where: str) -> str:
    out, inside = [], False
    for lineno, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise SourceError(f"{where}: nested {BEGIN} at cell line {lineno}")
            inside = True
            if learner:
                indent = line[: len(line) - len(line.lstrip())]
                label = exercise or "this exercise"
                out.append(f"{indent}# YOUR CODE HERE")
                out.append(f"{indent}raise NotImplementedError({json.dumps(label)})")
            continue
        if marker == END:
            if not inside:
                raise SourceError(f"{where}: {END} without {BEGIN} at cell line {lineno}")
            inside = False
            continue
        if not (inside and learner):
            out.append(line)
    if inside:
        raise SourceError(f"{where}: {BEGIN} is never closed")
    return "\n".join(out)


def render(nb, learner: bool) -> nbformat.NotebookNode:
    """The learner (``learner=True``) or solution notebook for a parsed source."""
    cells, current = [], None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found = _EXERCISE.findall(cell.source)
            if found:
                number, title = found[-1]
                current = f"Exercise {number}: {title}"
            new = nbformat.v4.new_markdown_cell(cell.source)
        elif cell.cell_type == "code":
            text = _strip(cell.source, learner, current, f"cell {i}")
            new = nbformat.v4.new_code_cell(text)
        else:
            new = nbformat.v4.new_raw_cell(cell.source)
        new["id"] = f"c{i:03d}"
        if cell.metadata.get("tags"):
            new.metadata["tags"] = list(cell.metadata["tags"])
        cells.append(new)
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }
    out.nbformat, out.nbformat_minor = 4, 5
    return out


def dumps(nb) -> str:
    """Deterministic JSON text for a notebook (what gets committed)."""
    nbformat.validate(nb)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def learner_notebook(source_path) -> nbformat.NotebookNode:
    return render(read_source(source_path), learner=True)


def solution_notebook(source_path) -> nbformat.NotebookNode:
    return render(read_source(source_path), learner=False)


def write_notebook(nb, path) -> Path:
    """Write ``nb`` atomically with the deterministic layout of :func:`dumps`."""
    return atomic_write_text(path, dumps(nb))


def is_in_sync(source_path, notebook_path) -> bool:
    """True when the committed learner notebook equals what the source generates."""
    notebook_path = Path(notebook_path)
    if not notebook_path.exists():
        return False
    return notebook_path.read_text(encoding="utf-8") == dumps(learner_notebook(source_path))
