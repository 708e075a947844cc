"""Notebook pipeline: sources ↔ committed learner notebooks, stubs, and quick-mode execution.

For every ``ready`` project in the manifest:
- the committed learner notebook equals what its source generates and has no outputs;
- every exercise is a stub in the learner notebook and every check is called after it;
- the solution notebook executes top to bottom in quick mode without an error, and every
  check it runs passes.
"""

import json
import os
import re
from pathlib import Path

import pytest

from ml2llm.manifest import load_manifest
from ml2llm.notebooks.execute import execute_notebook
from ml2llm.notebooks.source import (
    dumps,
    exercises,
    learner_notebook,
    read_source,
    solution_notebook,
)
from ml2llm.report import save_executed

READY = load_manifest().ready()
IDS = [p.id for p in READY]


@pytest.mark.parametrize("project", READY, ids=IDS)
def test_committed_notebook_in_sync_and_clean(project):
    path = project.notebook_path()
    assert path.exists(), f"{path} missing: run `make notebooks`"
    committed = path.read_text(encoding="utf-8")
    assert committed == dumps(learner_notebook(project.source_path())), (
        f"{path.name} is out of sync with its source: run `make notebooks`"
    )
    nb = json.loads(committed)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name} has outputs"
            assert cell.get("execution_count") is None


@pytest.mark.parametrize("project", READY, ids=IDS)
def test_exercises_are_stubs_each_followed_by_its_check(project):
    source = read_source(project.source_path())
    ex = exercises(source)
    assert 3 <= len(ex) <= 8, (
        f"{project.id}: the README (For contributors) asks for 3–8 exercises, found {len(ex)}"
    )
    learner = learner_notebook(project.source_path())
    code = "\n".join(c.source for c in learner.cells if c.cell_type == "code")
    stubs = re.findall(r'raise NotImplementedError\("Exercise ([0-9A-Za-z.]+): ', code)
    assert sorted(set(stubs)) == sorted({n for n, _ in ex}), "every exercise needs a stub"
    assert "### BEGIN SOLUTION" not in code and "### END SOLUTION" not in code
    called = set(re.findall(r'check\("([\w.]+)"', code))
    assert called == set(project.checks), f"checks called {called} != manifest {project.checks}"


@pytest.mark.notebook
@pytest.mark.parametrize("project", READY, ids=IDS)
def test_solution_notebook_executes_in_quick_mode(project, tmp_path):
    nb = solution_notebook(project.source_path())
    log = tmp_path / "checks.jsonl"  # the structured check log (ml2llm.checks.core.log_result)
    log.touch()
    result = execute_notebook(
        nb, cwd=project.path(), quick=True, timeout=900, extra_env={"ML2LLM_CHECK_LOG": str(log)}
    )
    assert result.ok, f"{project.id} failed: {result.error}"
    if os.environ.get("ML2LLM_EXECUTED_DIR"):  # `make test` keeps them for `make docs`
        save_executed(nb, Path(os.environ["ML2LLM_EXECUTED_DIR"]), project.id)
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    status = {r["id"]: r for r in records}
    for cid in project.checks:
        assert cid in status, f"{cid} was never run in the solution notebook"
        rec = status[cid]
        assert rec["status"] == "passed" and rec["n_passed"] == rec["n_cases"] > 0, (
            f"{cid} did not pass in the solution notebook: {rec}"
        )
    assert len(result.figures) >= 2, (
        "the README (For contributors) asks for at least two experiments with plots"
    )


def test_a_cell_over_the_time_limit_is_a_failed_run_not_a_crash(tmp_path):
    # `ml2llm run` and `ml2llm check` report a one-line error for it, as for a raising cell
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("import time; time.sleep(30)"),
        ]
    )
    result = execute_notebook(nb, cwd=tmp_path, quick=True, timeout=2)
    assert not result.ok
    assert result.error == "a cell ran longer than the 2 s limit per cell"
    assert result.seconds < 25
