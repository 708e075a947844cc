"""Build the browsable course site (MkDocs Material + mkdocs-jupyter), offline.

The site holds the README (home page), the guides in ``docs/``, every phase and project page,
and each ready project's notebook — the executed solution notebook with its plots when one is
found in ``reports/notebooks/`` (written by ``ml2llm run`` and by the test suite), otherwise
the learner notebook. Sources are staged into ``build/site_src`` with repository-relative
paths kept, so the links that work on GitHub work on the site; folder links are pointed at the
folder's README. ``mkdocs build --strict`` then fails on any broken link.

What it does not do: execute notebooks (run ``ml2llm run`` or ``make test`` first).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ml2llm.manifest import load_manifest
from ml2llm.paths import repo_root

TOP_LEVEL_DOCS = (
    "GETTING_STARTED_PLAN.md",
    "classical_ml_learning_path.md",
    "complete_ml_learning_path_with_pretraining.md",
    "mistral_mlx_learning_project.md",
    "PROGRESS_LOG.md",
    "LICENSE",
    "curriculum.toml",
)


LEARNING_PATHS = (
    ("Phase 1 in depth", "classical_ml_learning_path.md"),
    ("Projects 12–17 in depth", "complete_ml_learning_path_with_pretraining.md"),
    ("Fine-tuning a real Mistral 7B", "mistral_mlx_learning_project.md"),
)


def _fix_folder_links(text: str) -> str:
    # [x](some/folder/) → [x](some/folder/README.md); keeps anchors and external links
    def repl(match):
        label, target = match.group(1), match.group(2)
        if re.match(r"^[a-z]+:", target) or not target.endswith("/"):
            return match.group(0)
        return f"[{label}]({target}README.md)"

    return re.sub(r"\[([^\]]*)\]\(([^)\s]+)\)", repl, text)


def stage(out: Path, executed_dir: Path | None = None) -> dict:
    """Copy the site's sources into ``out``; returns what was staged."""
    root = repo_root()
    cur = load_manifest()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    def put(src: Path, rel: str, text_fix=True):
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".md" and text_fix:
            dst.write_text(_fix_folder_links(src.read_text(encoding="utf-8")), encoding="utf-8")
        else:
            shutil.copyfile(src, dst)

    put(root / "README.md", "index.md")
    for name in TOP_LEVEL_DOCS:
        if (root / name).exists():
            put(root / name, name)
    for doc in sorted((root / "docs").glob("*.md")):
        put(doc, f"docs/{doc.name}")
    executed, learner = [], []
    for phase, _ in cur.phases:
        readme = root / "projects" / phase / "README.md"
        if readme.exists():
            put(readme, f"projects/{phase}/README.md")
    for p in cur.ready():
        folder = p.path(root)
        for f in folder.iterdir():
            if f.is_file() and f.suffix in {".md", ".py"} and not f.name.startswith("."):
                put(f, f"{p.folder}/{f.name}")
        nb = executed_dir / f"{p.id}.ipynb" if executed_dir else None
        if nb is not None and nb.exists():
            put(nb, f"{p.folder}/{p.notebook}")
            executed.append(p.id)
        else:
            put(p.notebook_path(root), f"{p.folder}/{p.notebook}")
            learner.append(p.id)
    return {"executed": executed, "learner": learner}


def _config(cur) -> str:
    nav = [
        "  - Home: index.md",
        "  - Getting started: GETTING_STARTED_PLAN.md",
        "  - Learning paths:",
        *[f"      - {t}: {f}" for t, f in LEARNING_PATHS if (repo_root() / f).exists()],
        "  - Guides:",
    ]
    nav += [
        f"      - {p.stem.replace('_', ' ').title()}: docs/{p.name}"
        for p in sorted((repo_root() / "docs").glob("*.md"))
    ]
    for phase, title in cur.phases:
        nav.append(f'  - "{title}":')
        nav.append(f"      - Overview: projects/{phase}/README.md")
        for p in cur.ready():
            if p.phase == phase:
                nav.append(f'      - "{p.id} {p.title}":')
                nav.append(f"          - About: {p.folder}/README.md")
                nav.append(f"          - Notebook: {p.folder}/{p.notebook}")
    nav.append("  - Progress log: PROGRESS_LOG.md")
    return "\n".join(
        [
            "site_name: learning-ml-to-llm",
            "site_description: From linear regression to LoRA, built from scratch",
            "docs_dir: content",
            "theme:",
            "  name: material",
            "  font: false",  # no web fonts: the site works offline
            "  features: [navigation.sections, search.suggest, content.code.copy]",
            "plugins:",
            "  - search",
            "  - mkdocs-jupyter:",
            "      include: ['*.ipynb']",
            "      execute: false",
            "      include_source: true",
            "markdown_extensions: [tables, admonition, toc, pymdownx.arithmatex, pymdownx.details]",
            "validation:",
            "  omitted_files: info",
            "  absolute_links: warn",
            "  unrecognized_links: warn",
            "  anchors: warn",
            "nav:",
            *nav,
            "",
        ]
    )


def build(site_dir: Path, executed_dir: Path | None = None, strict: bool = True) -> int:
    """Stage and run ``mkdocs build``; returns mkdocs' exit code."""
    root = repo_root()
    src = root / "build" / "site_src"
    info = stage(src / "content", executed_dir)
    (src / "mkdocs.yml").write_text(_config(load_manifest()), encoding="utf-8")
    if info["learner"]:
        print(
            f"note: no executed notebook for {', '.join(info['learner'])}; using the learner notebook "
            "(run `ml2llm run --quick` first to include outputs)"
        )
    cmd = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "-q",
        "-f",
        str(src / "mkdocs.yml"),
        "-d",
        str(site_dir.resolve()),
    ]
    if strict:
        cmd.append("--strict")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(cmd, cwd=src, env=env).returncode
