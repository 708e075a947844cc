"""Documentation links: every GLOSSARY.md#anchor used anywhere resolves, and every relative
markdown link in docs, READMEs and notebook sources points at a file that exists."""

import re

import pytest

from ml2llm.paths import repo_root

ROOT = repo_root()
SKIP = {".venv", ".git", "reports", "node_modules", "site", "build", ".pytest_cache"}


def slug(heading: str) -> str:
    """GitHub-style anchor: lowercase, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def glossary_anchors() -> set[str]:
    text = (ROOT / "docs" / "GLOSSARY.md").read_text(encoding="utf-8")
    return {slug(m) for m in re.findall(r"^#{2,4} (.+)$", text, flags=re.M)}


def files(*patterns):
    out = []
    for pattern in patterns:
        for path in ROOT.rglob(pattern):
            if not SKIP.intersection(path.relative_to(ROOT).parts):
                out.append(path)
    return sorted(out)


SOURCES = files("*.md") + [p for p in files("*.py") if "projects" in p.parts]


def test_glossary_has_terms_with_definitions():
    anchors = glossary_anchors()
    assert len(anchors) >= 80
    assert "gradient-descent" in anchors and "lora" in anchors


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_glossary_links_resolve(path):
    anchors = glossary_anchors()
    text = path.read_text(encoding="utf-8")
    missing = sorted({a for a in re.findall(r"GLOSSARY\.md#([\w\-]+)", text) if a not in anchors})
    assert not missing, f"{path.name} links to glossary terms that do not exist: {missing}"


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_relative_links_resolve(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":  # notebook source: links live in the markdown (comment) lines
        text = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        target = target.split("#", 1)[0]
        if not target or re.match(r"^[a-z]+:", target):
            continue
        if not (path.parent / target).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)} has broken links: {broken}"
