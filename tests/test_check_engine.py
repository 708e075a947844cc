"""The check engine itself: one line, never raises, explains with the catalogued hint,
detects in-place mutation, and logs results for `ml2llm check`."""

import json

import numpy as np
import pytest

from ml2llm.checks import Case, Check, Mistake, check, run_check

DOUBLE = Check(
    "demo.double",
    reference=lambda x: 2 * x,
    cases=[Case((np.array([1.0, 2.0]),)), Case((np.array([-3.0]),))],
    hint="multiply by two.",
    mistakes=[Mistake("square", lambda x: x**2, "double it, do not square it.")],
)


def test_reference_passes_and_counts_cases():
    r = run_check(DOUBLE, lambda x: x + x)
    assert r.passed and r.n_passed == r.n_cases == 2 and r.message.startswith("✓ demo.double: 2/2")


def test_catalogued_mistake_gives_its_hint_and_first_failing_input():
    r = run_check(DOUBLE, lambda x: x**2)
    assert r.status == "failed" and r.n_passed == 0
    assert "x=[1., 2.]" in r.message and "expected [2., 4.], got [1., 4.]" in r.message
    assert r.hint == "double it, do not square it."


def test_unknown_mistake_falls_back_to_generic_hint():
    r = run_check(DOUBLE, lambda x: 3 * x)
    assert r.hint == "multiply by two."


def test_exception_is_reported_not_raised():
    def broken(x):
        return x @ np.ones((5, 5))

    r = run_check(DOUBLE, broken)
    assert r.status == "error" and "raised ValueError" in r.message and "\n" not in r.message


def test_todo_and_missing_return():
    def todo(x):
        raise NotImplementedError("Exercise 9.9: Double")

    assert run_check(DOUBLE, todo).status == "todo"

    def no_return(x):
        2 * x  # noqa: B018

    assert "forget to `return`" in run_check(DOUBLE, no_return).message


def test_shape_mismatch_is_explained():
    r = run_check(DOUBLE, lambda x: (2 * x)[:, None])
    assert "expected shape (2,), got shape (2, 1)" in r.message


@pytest.mark.parametrize(
    "values", [np.array([1.0, 2.0]), np.array(["a", "b"], dtype=object), np.array(["a", "b"])]
)
def test_in_place_mutation_is_detected_for_any_dtype(values):
    chk = Check("demo.first", reference=lambda x: x[0], cases=[Case((values,))])

    def mutating(x):
        first = x[0]
        x[1] = x[0]
        return first

    r = run_check(chk, mutating)
    assert r.status == "failed" and "in place" in r.hint
    assert run_check(chk, lambda x: x[0]).passed


def test_check_never_raises_and_logs(tmp_path, monkeypatch, capsys):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("ML2LLM_CHECK_LOG", str(log))
    result = check("p01.no_such_check", lambda: None)
    out = capsys.readouterr().out
    assert not result.passed and out.startswith("✗ unknown check id") and out.count("\n") == 1
    check("p01.mse", lambda a, b: np.mean((a - b) ** 2))
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[-1] == {"id": "p01.mse", "status": "passed", "n_passed": 5, "n_cases": 5}
