"""The ml2llm CLI: listing, progress, check on learner vs solution notebooks, the journey
report, and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest

from ml2llm import cli
from ml2llm.manifest import load_manifest
from ml2llm.paths import repo_root


@pytest.fixture
def state(tmp_path, monkeypatch):
    """Keep progress files out of the real repo."""
    monkeypatch.setattr("ml2llm.progress.state_dir", lambda: tmp_path / ".ml2llm")
    return tmp_path


def run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_all_projects(capsys):
    code, out, _ = run(["list"], capsys)
    assert code == 0
    for p in load_manifest().projects:
        assert f" {p.id} " in out or f" {p.id}  " in out
    assert "projects ready" in out


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["check", "42"], "unknown project id '42'"),
        (["solution", "99"], "unknown project id"),
        (["run", "nope"], "unknown project id"),
        (["progress", "01"], "--note"),
    ],
)
def test_bad_ids_and_arguments_are_one_line_exit_2(argv, fragment, capsys, state, monkeypatch):
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    code, out, err = run(argv, capsys)
    assert code == 2
    assert fragment in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["list", "--bogus"], ["frobnicate"], ["check"]])
def test_argparse_errors_are_one_line_exit_2(argv):
    proc = subprocess.run(
        [sys.executable, "-m", "ml2llm.cli", *argv], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "error" in proc.stderr


def test_planned_project_is_refused(capsys, monkeypatch):
    import dataclasses

    cur = load_manifest()
    target = cur.projects[-1]
    planned = dataclasses.replace(target, status="planned")
    fake = dataclasses.replace(cur, projects=cur.projects[:-1] + (planned,))
    monkeypatch.setattr(cli, "_curriculum", lambda: fake)
    for argv in (["solution", target.id], ["check", target.id], ["run", target.id]):
        code, _, err = run(argv, capsys)
        assert code == 2 and "planned" in err and err.count("\n") == 1


def test_device_reports_cpu_and_rejects_bogus_backend(capsys, monkeypatch):
    monkeypatch.setenv("LEARNING_ML_BACKEND", "cpu")
    code, out, _ = run(["device"], capsys)
    assert code == 0 and "backend=cpu" in out
    monkeypatch.setenv("LEARNING_ML_BACKEND", "bogus")
    code, _, err = run(["device"], capsys)
    assert code == 2 and "valid values: mlx, cuda, mps, cpu" in err


def test_solution_writes_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "sol.ipynb"
    code, _, _ = run(["solution", "01", "--out", str(out)], capsys)
    assert code == 0
    nb = json.loads(out.read_text())
    code_cells = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert (
        "NotImplementedError" not in code_cells and "np.mean((y_true - y_pred) ** 2)" in code_cells
    )
    out.write_text("my edits")
    code, _, err = run(["solution", "01", "--out", str(out)], capsys)
    assert code == 2 and "--force" in err and out.read_text() == "my edits"


@pytest.mark.notebook
def test_check_learner_notebook_not_done_then_solution_all_passed(tmp_path, capsys, state):
    project = load_manifest().get("01")
    code, out, _ = run(["check", "01"], capsys)
    assert code == 1
    assert f"0/{len(project.checks)} checks passed" in out
    assert out.count("todo") == len(project.checks)

    sol = tmp_path / "sol.ipynb"
    run(["solution", "01", "--out", str(sol)], capsys)
    code, out, _ = run(["check", "01", "--notebook", str(sol)], capsys)
    assert code == 0
    assert f"{len(project.checks)}/{len(project.checks)} checks passed" in out
    code, out, _ = run(["status"], capsys)
    assert f"{len(project.checks)}/{len(project.checks)}" in out.split("\n 01")[0] or "6/6" in out

    # a later run of the unfinished notebook does not erase solved checks
    run(["check", "01"], capsys)
    progress = json.loads((state / ".ml2llm" / "progress.json").read_text())
    assert all(v == "passed" for v in progress["projects"]["01"]["checks"].values())


def test_progress_appends_dated_entry(tmp_path, capsys, state, monkeypatch):
    template = tmp_path / "PROGRESS_LOG.md"
    template.write_text("# Progress log\n\nthe tracked template\n")
    monkeypatch.setattr("ml2llm.progress.repo_root", lambda: tmp_path)
    code, out, _ = run(
        ["progress", "1", "--note", "GD diverges above 2/λ_max!", "--hours", "2.5"], capsys
    )
    assert code == 0
    # the journal is a git-ignored copy of the template; the tracked template is untouched
    assert template.read_text() == "# Progress log\n\nthe tracked template\n"
    log = tmp_path / "MY_PROGRESS_LOG.md"
    text = log.read_text()
    assert "the tracked template" in text and "Project 01" in text
    assert "Time spent: 2.5 h" in text and "GD diverges above 2/λ_max!" in text
    assert "Checks passed: 0/6" in text


@pytest.mark.notebook
def test_run_writes_report_with_figures(tmp_path, capsys):
    code, out, _ = run(["run", "01", "--quick", "--out", str(tmp_path), "--no-progress"], capsys)
    assert code == 0
    index = (tmp_path / "index.html").read_text()
    assert "01.html" in index and "figures/01/figure-01.png" in index
    assert len(list((tmp_path / "figures" / "01").glob("*.png"))) >= 2
    assert (tmp_path / "01.html").stat().st_size > 10_000


def test_run_to_unwritable_folder_is_a_clean_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(["run", "01", "--out", str(blocker / "sub")], capsys)
    assert code == 2 and "cannot write" in err


def test_notebooks_check_reports_in_sync(capsys):
    code, out, _ = run(["notebooks", "--check"], capsys)
    assert code == 0 and "in sync" in out


def test_console_script_is_declared():
    text = (repo_root() / "pyproject.toml").read_text()
    assert 'ml2llm = "ml2llm.cli:main"' in text
