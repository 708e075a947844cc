"""Where things live: the repository root, data folders, reports and the learner's progress.

The root is found by walking up from a starting folder until a marker file is found, so
notebooks and scripts never hard-code a path. It does not create anything on import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

MARKERS = ("curriculum.toml", "pyproject.toml", ".git")


def find_repo_root(start: str | os.PathLike | None = None, markers=MARKERS) -> Path:
    """Return the first folder at or above ``start`` (default: cwd) holding one of ``markers``.

    ``ML2LLM_ROOT`` overrides the search. Falls back to the folder that holds this package,
    which is the repository root for an editable install.

    >>> (find_repo_root() / "curriculum.toml").exists()
    True
    """
    env = os.environ.get("ML2LLM_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for candidate in [here, *here.parents]:
        if (candidate / "curriculum.toml").exists():
            return candidate
    for candidate in [here, *here.parents]:
        if any((candidate / m).exists() for m in markers):
            return candidate
    return Path(__file__).resolve().parent.parent


def add_repo_root_to_sys_path(start=None, markers=MARKERS) -> Path:
    """Put the repository root on ``sys.path`` (once) so ``import utils`` works anywhere."""
    root = find_repo_root(start, markers)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


def repo_root() -> Path:
    """The repository root that holds ``curriculum.toml`` (searched from this package first)."""
    pkg_root = Path(__file__).resolve().parent.parent
    if (pkg_root / "curriculum.toml").exists() and not os.environ.get("ML2LLM_ROOT"):
        return pkg_root
    return find_repo_root()


def data_dir(kind: str = "raw") -> Path:
    """``data/raw`` or ``data/processed`` under the repository root."""
    if kind not in {"raw", "processed"}:
        raise ValueError(f"kind must be 'raw' or 'processed', got {kind!r}")
    return repo_root() / "data" / kind


def state_dir() -> Path:
    """The git-ignored folder for learner state (progress file)."""
    return repo_root() / ".ml2llm"
