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
        2 * x

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


# --- feedback when no catalogued mistake matches ----------------------------------------
def test_unexplained_mismatch_names_first_differing_element():
    chk = Check("demo.grid", reference=lambda x: x * 2, cases=[Case((np.ones((3, 4)),))])

    def off(x):
        y = x * 2
        y[1, 2] = 7.0
        return y

    r = run_check(chk, off)
    assert r.status == "failed"
    assert "first difference at index [1, 2]: expected 2, got 7 (1 of 12 elements differ)" in (
        r.message
    )


def test_scalar_and_tuple_mismatch_say_expected_and_got():
    chk = Check("demo.pair", reference=lambda x: (x.sum(), x * 1.0), cases=[Case((np.ones(9),))])
    r = run_check(chk, lambda x: (x.sum() + 1, x * 1.0))
    assert "expected 9, got 10 (in output 0)" in r.message
    r = run_check(chk, lambda x: (x.sum(), np.r_[x[:-1], 0.0]))
    assert "first difference at index 8 (in output 1): expected 1, got 0" in r.message


def test_dtype_difference_is_named():
    chk = Check("demo.half", reference=lambda x: x / 2, cases=[Case((np.array([3, 5]),))])
    r = run_check(chk, lambda x: x // 2)
    assert "dtype: expected float64, got int64" in r.message and "index 0" in r.message


def test_float32_output_passes_with_precision_tolerance():
    chk = Check("demo.mean", reference=lambda x: x / x.sum(), cases=[Case((np.arange(1.0, 50),))])
    assert run_check(chk, lambda x: (x / x.sum()).astype(np.float32)).passed
    assert not run_check(chk, lambda x: (x / x.sum() * 1.01).astype(np.float32)).passed


def test_same_size_shape_mismatch_suggests_transpose():
    chk = Check("demo.t", reference=lambda x: x, cases=[Case((np.ones((2, 3)),))])
    r = run_check(chk, lambda x: x.T)
    assert "expected shape (2, 3), got shape (3, 2)" in r.message and "transpose" in r.message


# --- infinite loops ---------------------------------------------------------------------
def _never_returns(x):
    while True:
        x = x + 0


def _never_returns_swallowing(x):
    while True:
        try:
            x = x + 0
        except Exception:  # a learner's broad except must not defeat the deadline
            pass


@pytest.mark.parametrize("fn", [_never_returns, _never_returns_swallowing])
def test_exercise_that_never_returns_does_not_hang(fn, capsys):
    import time

    chk = Check("demo.loop", reference=lambda x: x, cases=[Case((np.ones(2),))], time_limit=0.3)
    t0 = time.monotonic()
    r = run_check(chk, fn)
    assert time.monotonic() - t0 < 10
    assert r.status == "error" and "did not return within 0.3 s" in r.message
    assert "ML2LLM_CHECK_TIMEOUT" in r.message and "\n" not in r.message


def test_timeout_env_variable_and_check_wrapper(monkeypatch, capsys):
    from ml2llm.checks import _REGISTRY, register

    monkeypatch.setenv("ML2LLM_CHECK_TIMEOUT", "0.2")
    chk = Check("demo.loop_env", reference=lambda x: x, cases=[Case((np.ones(2),))])
    register(chk)
    try:
        r = check("demo.loop_env", _never_returns)
    finally:
        _REGISTRY.pop("demo.loop_env", None)
    assert "did not return within 0.2 s" in capsys.readouterr().out and not r.passed


def test_thread_fallback_times_out_off_the_main_thread():
    import threading
    import time

    chk = Check("demo.loop", reference=lambda x: x, cases=[Case((np.ones(2),))], time_limit=0.3)
    box = {}

    def slow(x):  # ends on its own: an abandoned thread must not spin for the whole session
        time.sleep(2.0)
        return x

    t = threading.Thread(target=lambda: box.update(r=run_check(chk, slow)))
    t.start()
    t.join(20)
    assert not t.is_alive() and "did not return within" in box["r"].message
    assert run_check(chk, lambda x: x).passed


def test_outer_alarm_is_restored():
    import signal

    if not hasattr(signal, "setitimer"):
        pytest.skip("no interval timers on this platform")
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        assert run_check(DOUBLE, lambda x: x + x).passed
        left, _ = signal.setitimer(signal.ITIMER_REAL, 0)
        assert 0 < left <= 30.0 and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_output_a_custom_comparison_cannot_read_is_a_failure_not_a_crash():
    def compare(expected, got):
        if [tuple(x) for x in got] != [tuple(x) for x in expected]:
            raise AssertionError("unreachable for an int")

    chk = Check("demo.pairs", reference=lambda: [(1, 2)], cases=[Case(())], compare=compare)
    r = run_check(chk, lambda: 3)
    assert r.status == "failed" and "got 3 (a int; comparing them raised TypeError" in r.message
