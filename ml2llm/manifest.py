"""The curriculum manifest (``curriculum.toml``): load, validate, look projects up.

Every tool that needs the list of projects reads it from here: the CLI, the README table
test, CI notebook execution, progress tracking and the journey report.

>>> cur = load_manifest()
>>> cur.get("1").folder
'projects/phase1_classical_ml/project01_linear_regression'
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from ml2llm.paths import repo_root

STATUSES = ("ready", "planned")
_ID = re.compile(r"^(\d{2}(\.\d{1,2})?|P\d)$")


class ManifestError(ValueError):
    """curriculum.toml is malformed; the message names the project and field."""


class UnknownProjectError(KeyError):
    """A project id that is not in the manifest."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else "unknown project"


@dataclass(frozen=True)
class Project:
    id: str
    title: str
    phase: str
    folder: str
    notebook: str
    modules: tuple[str, ...]
    checks: tuple[str, ...]
    hours: float
    prerequisites: tuple[str, ...]
    compares_against: str
    summary: str
    status: str

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    @property
    def check_prefix(self) -> str:
        """Prefix of this project's check ids: ``p01``, ``p04_5``, ``pp1``."""
        return "p" + self.id.lower().replace(".", "_")

    def path(self, root: Path | None = None) -> Path:
        return (root or repo_root()) / self.folder

    def notebook_path(self, root: Path | None = None) -> Path:
        return self.path(root) / self.notebook

    def source_path(self, root: Path | None = None) -> Path:
        return self.path(root) / (Path(self.notebook).stem + ".py")

    def solution_path(self, root: Path | None = None) -> Path:
        return self.path(root) / (Path(self.notebook).stem + "_solution.ipynb")


@dataclass(frozen=True)
class Curriculum:
    name: str
    phases: tuple[tuple[str, str], ...]
    projects: tuple[Project, ...]

    def get(self, project_id: str) -> Project:
        """Look up by id, tolerant of forms like ``1``, ``01``, ``4.5``, ``p01`` or ``p1``."""
        key = normalize_id(project_id)
        for p in self.projects:
            if p.id == key:
                return p
        raise UnknownProjectError(
            f"unknown project id {project_id!r}; valid ids: {', '.join(p.id for p in self.projects)}"
        )

    def ready(self) -> list[Project]:
        return [p for p in self.projects if p.ready]

    def phase_title(self, phase: str) -> str:
        return dict(self.phases).get(phase, phase)


def normalize_id(project_id) -> str:
    """``"1"`` → ``"01"``, ``"4.5"`` → ``"04.5"``, ``"p1"``/``"P1"`` → ``"P1"``, ``"p01"`` → ``"01"``."""
    text = str(project_id).strip()
    if re.fullmatch(r"[pP]\d", text):
        return text.upper()
    if text[:1] in "pP" and text[1:2].isdigit():
        text = text[1:].replace("_", ".")
    head, dot, tail = text.partition(".")
    if head.isdigit():
        return f"{int(head):02d}" + (dot + tail if dot else "")
    return text


def _req(entry: dict, key: str, kind, where: str):
    if key not in entry:
        raise ManifestError(f"{where}: missing field {key!r}")
    value = entry[key]
    if not isinstance(value, kind):
        raise ManifestError(f"{where}: field {key!r} should be {kind}, got {value!r}")
    return value


def load_manifest(path: str | Path | None = None) -> Curriculum:
    """Parse and validate ``curriculum.toml`` (default: the repository's)."""
    path = Path(path) if path else repo_root() / "curriculum.toml"
    if not path.exists():
        raise ManifestError(f"manifest not found: {path}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    meta = data.get("curriculum", {})
    phases = tuple((p["id"], p["title"]) for p in meta.get("phases", []))
    phase_ids = {p for p, _ in phases}
    projects = []
    for n, entry in enumerate(data.get("project", []), start=1):
        where = f"curriculum.toml project #{n} ({entry.get('id', '?')})"
        pid = _req(entry, "id", str, where)
        if not _ID.match(pid):
            raise ManifestError(f"{where}: id {pid!r} should look like '01', '04.5' or 'P1'")
        status = _req(entry, "status", str, where)
        if status not in STATUSES:
            raise ManifestError(f"{where}: status {status!r} should be one of {STATUSES}")
        phase = _req(entry, "phase", str, where)
        if phases and phase not in phase_ids:
            raise ManifestError(f"{where}: phase {phase!r} is not declared in [curriculum].phases")
        folder = _req(entry, "folder", str, where)
        if not folder.startswith(f"projects/{phase}/project"):
            raise ManifestError(f"{where}: folder {folder!r} should be under projects/{phase}/")
        notebook = _req(entry, "notebook", str, where)
        if not notebook.endswith(".ipynb"):
            raise ManifestError(f"{where}: notebook {notebook!r} should end in .ipynb")
        projects.append(
            Project(
                id=pid,
                title=_req(entry, "title", str, where),
                phase=phase,
                folder=folder,
                notebook=notebook,
                modules=tuple(_req(entry, "modules", list, where)),
                checks=tuple(_req(entry, "checks", list, where)),
                hours=float(_req(entry, "hours", (int, float), where)),
                prerequisites=tuple(_req(entry, "prerequisites", list, where)),
                compares_against=entry.get("compares_against", "—"),
                summary=entry.get("summary", ""),
                status=status,
            )
        )
    ids = [p.id for p in projects]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ManifestError(f"curriculum.toml: duplicate project ids {sorted(dupes)}")
    for p in projects:
        for pre in p.prerequisites:
            if pre not in ids:
                raise ManifestError(f"project {p.id}: unknown prerequisite {pre!r}")
        for cid in p.checks:
            if not cid.startswith(p.check_prefix + "."):
                raise ManifestError(
                    f"project {p.id}: check {cid!r} should start with {p.check_prefix + '.'!r}"
                )
    return Curriculum(meta.get("name", "curriculum"), phases, tuple(projects))
