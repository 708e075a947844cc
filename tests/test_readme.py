"""The README keeps its promises: the curriculum table equals the manifest, the quick start is
exactly `make run` + `make test`, and .ci/run calls the README's test command."""

import re

from ml2llm.manifest import load_manifest
from ml2llm.paths import repo_root
from ml2llm.readme import generated_files, render

ROOT = repo_root()
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_curriculum_table_matches_manifest():
    assert render(README, load_manifest()) == README, "README table is stale: run `make notebooks`"


def test_every_phase_has_a_readme_with_a_current_table():
    cur = load_manifest()
    files = dict((phase, path) for path, phase in generated_files())
    for phase, _ in cur.phases:
        assert phase in files, f"projects/{phase}/README.md is missing"
        text = files[phase].read_text(encoding="utf-8")
        assert render(text, cur, phase) == text, (
            f"{phase}/README.md table is stale: run `make notebooks`"
        )


def test_table_lists_every_project_with_its_status():
    cur = load_manifest()
    for p in cur.projects:
        row = next(line for line in README.splitlines() if line.startswith(f"| {p.id} |"))
        assert ("✅ ready" in row) == p.ready


def test_quick_start_is_two_commands():
    block = README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: setup", makefile, re.M) and re.search(r"^run: setup", makefile, re.M)


def test_relative_links_resolve():
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if target.startswith(("http://", "https://", "mailto:")) or target == "LICENSE":
            continue
        assert (ROOT / target).exists(), f"README links to missing {target}"
