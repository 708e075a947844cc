"""The learner's progress: which checks pass, per project, and the dated progress log.

State lives in ``.ml2llm/progress.json`` (git-ignored, written atomically). A damaged file
(invalid JSON, binary, a folder, the wrong shape) is a ``ValueError`` naming it, which the CLI
prints as one line. The human journal is ``MY_PROGRESS_LOG.md`` (git-ignored, so a learner's
tree stays clean and pulls never conflict), to which :func:`append_log_entry` adds dated
entries; the first entry starts it from the tracked template ``PROGRESS_LOG.md``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ml2llm.io import atomic_write_text
from ml2llm.manifest import Project
from ml2llm.paths import repo_root, state_dir

TEMPLATE, JOURNAL = "PROGRESS_LOG.md", "MY_PROGRESS_LOG.md"


def progress_path() -> Path:
    return state_dir() / "progress.json"


def load_progress(path: Path | None = None) -> dict:
    """The progress record; an empty one when the file does not exist yet."""
    path = path or progress_path()
    if not path.exists():
        return {"projects": {}}
    fix = "; delete it to start over"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, RecursionError) as exc:
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise ValueError(f"progress file {path} is not valid JSON ({why}){fix}") from None
    except UnicodeDecodeError:
        raise ValueError(f"progress file {path} is not UTF-8 text (binary?){fix}") from None
    except OSError as exc:
        raise ValueError(f"cannot read progress file {path}: {exc.strerror or exc}{fix}") from None
    if not isinstance(data, dict):
        raise ValueError(f"progress file {path} is not a JSON object{fix}")
    data.setdefault("projects", {})
    projects = data["projects"]
    if not isinstance(projects, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("checks", {}), dict) for v in projects.values()
    ):
        raise ValueError(f"progress file {path} has a damaged 'projects' entry{fix}")
    return data


def record_checks(project: Project, results: dict[str, str], path: Path | None = None) -> dict:
    """Store ``{check_id: status}`` for ``project``; a passed check stays passed."""
    path = path or progress_path()
    data = load_progress(path)
    entry = data["projects"].setdefault(project.id, {"checks": {}})
    for cid, status in results.items():
        if entry["checks"].get(cid) == "passed" and status != "passed":
            continue  # once solved, solved: a later broken edit does not erase the record
        entry["checks"][cid] = status
    entry["last_checked"] = dt.datetime.now().isoformat(timespec="seconds")
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data


def passed_checks(project: Project, data: dict | None = None) -> list[str]:
    data = data if data is not None else load_progress()
    checks = data["projects"].get(project.id, {}).get("checks", {})
    return [cid for cid in project.checks if checks.get(cid) == "passed"]


def append_log_entry(
    project: Project,
    note: str,
    hours: float | None = None,
    log_path: Path | None = None,
    today: dt.date | None = None,
) -> Path:
    """Append a dated entry (project, checks passed, time, notes) to ``MY_PROGRESS_LOG.md``.

    The journal is git-ignored; when it does not exist yet it starts as a copy of the tracked
    template ``PROGRESS_LOG.md``, which is never modified.
    """
    log_path = log_path or repo_root() / JOURNAL
    template = repo_root() / TEMPLATE
    today = today or dt.date.today()
    done = passed_checks(project)
    lines = [
        f"\n### {today.isoformat()} — Project {project.id}: {project.title}\n",
        f"- Checks passed: {len(done)}/{len(project.checks)}"
        + (f" ({', '.join(done)})" if done else ""),
    ]
    if hours is not None:
        lines.append(f"- Time spent: {hours:g} h")
    lines.append("- Notes:")
    lines += [f"  {line}" if line.strip() else "" for line in note.strip().splitlines()]
    if log_path.exists():
        old = log_path.read_text(encoding="utf-8")
    elif template.is_file() and template != log_path:
        old = template.read_text(encoding="utf-8")
    else:
        old = "# Progress log\n"
    atomic_write_text(log_path, old.rstrip("\n") + "\n" + "\n".join(lines) + "\n")
    return log_path
