"""The exercise-check engine: run a learner's function on many inputs, compare, explain.

A :class:`Check` bundles a reference implementation, a list of :class:`Case` inputs (edge
cases included), a comparison rule and a catalogue of typical :class:`Mistake` s. Running it
on the learner's function gives a :class:`CheckResult` whose one-line message names the
first failing input with expected vs got and a hint. When the learner's wrong output equals
what a catalogued mistake produces on that input, the hint is that mistake's hint: that is
how a forgotten ``1/n`` is told apart from a sign error.

Every call of the learner's function runs under a deadline (:data:`DEFAULT_TIME_LIMIT`
seconds per check, all cases together; ``Check(time_limit=...)`` or the environment variable
``ML2LLM_CHECK_TIMEOUT`` change it), so an exercise that never returns gives a ✗ line instead
of a hung notebook. On POSIX, in the main thread (a notebook kernel, a script, pytest), the
deadline is a ``SIGALRM`` timer (``signal.setitimer``) that raises :class:`CheckTimeout`
inside the learner's code; any outer ``ITIMER_REAL`` timer is saved and re-armed afterwards.
Elsewhere (Windows, a worker thread) the call runs in a daemon thread that is abandoned after
``join(timeout)``: the check returns on time, but the runaway loop keeps a core busy until the
kernel restarts. Neither can interrupt one long C call (a huge ``np.linalg`` solve).

When no catalogued mistake explains a wrong value, the line still says where it differs:
the first differing element (index, expected, got), how many differ, and any shape or dtype
difference. A learner never sees only "wrong". Low-precision outputs (float32, float16) are
compared with a tolerance that suits their precision, so a correct float32 answer passes.

What it does not do: sandbox the learner's code (it runs in the notebook's own process).

>>> import numpy as np
>>> c = Check("demo.double", reference=lambda x: 2 * x, cases=[Case((np.array([1.0]),))],
...           mistakes=[Mistake("square", lambda x: x**2, "double it, do not square it.")])
>>> print(run_check(c, lambda x: x**2).message)
✗ demo.double: x=[1.] → expected [2.], got [1.]. Hint: double it, do not square it.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PASS, FAIL, TODO = "✓", "✗", "…"
DEFAULT_TIME_LIMIT = 60.0  # seconds for all calls of the learner's function in one check


class Mismatch(Exception):
    """Raised by a comparison when the learner's value differs; the text says how."""


class CheckTimeout(BaseException):
    """The learner's function ran past its deadline (a BaseException: ``except Exception``
    in the learner's code cannot swallow it)."""


@dataclass
class Case:
    """One input to a check: positional ``args``, keyword ``kwargs``.

    ``label`` replaces the printed arguments (useful for big arrays); ``hint`` is shown when
    this case fails and no catalogued mistake explains it.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    label: str | None = None
    hint: str | None = None


@dataclass
class Mistake:
    """A typical wrong implementation and the hint that fixes it."""

    name: str
    fn: Callable
    hint: str


@dataclass
class Check:
    """A check: reference, cases, comparison and mistakes. See the module docstring."""

    id: str
    reference: Callable
    cases: Sequence[Case] | Callable[[], Sequence[Case]]
    hint: str = "compare your code with the equation above, one term at a time."
    mistakes: Sequence[Mistake] = ()
    compare: Callable[[Any, Any], None] | None = None
    call: Callable[[Callable, Case], Any] | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    check_mutation: bool = True
    time_limit: float | None = None  # seconds; None: $ML2LLM_CHECK_TIMEOUT or the default
    # fresh random input for mutation scoring (rng -> Case); None: perturb the cases
    random_case: Callable[[np.random.Generator], Case] | None = None

    def get_cases(self) -> list[Case]:
        return list(self.cases() if callable(self.cases) else self.cases)

    def run(self, fn: Callable, case: Case) -> Any:
        args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
        if self.call is not None:
            return self.call(fn, Case(args, kwargs, case.label, case.hint))
        return fn(*args, **kwargs)

    def assert_same(self, expected, got) -> None:
        if self.compare is not None:
            self.compare(expected, got)
        else:
            assert_close(expected, got, rtol=self.rtol, atol=self.atol)


@dataclass
class CheckResult:
    """Outcome of one check; ``message`` is the line printed to the learner."""

    id: str
    status: str  # "passed" | "failed" | "todo" | "error"
    n_passed: int
    n_cases: int
    message: str
    hint: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __repr__(self) -> str:
        return self.message

    def _ipython_display_(self):  # the line was printed already; show nothing twice
        return None


# ----------------------------------------------------------------- comparison helpers
def _is_array_like(x) -> bool:
    return isinstance(x, (np.ndarray, list)) or (
        hasattr(x, "__array__") and not isinstance(x, (str, bytes, dict))
    )


def _to_numpy(x):
    if hasattr(x, "detach"):  # torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def assert_close(expected, got, rtol=1e-6, atol=1e-8, path="") -> None:
    """Recursive closeness for scalars, arrays, tuples/lists and dicts; raises Mismatch."""
    where = f" (in {path})" if path else ""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            raise Mismatch(f"expected a dict{where}, got {type(got).__name__}")
        missing = set(expected) - set(got)
        if missing:
            raise Mismatch(f"missing key(s) {sorted(missing)}{where}")
        for key in expected:
            assert_close(expected[key], got[key], rtol, atol, f"{path}[{key!r}]")
        return
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            n = len(got) if isinstance(got, (tuple, list)) else type(got).__name__
            raise Mismatch(f"expected a tuple of {len(expected)} values{where}, got {n}")
        for i, (e, g) in enumerate(zip(expected, got)):
            assert_close(e, g, rtol, atol, f"{path}[{i}]" if path else f"output {i}")
        return
    if got is None and expected is not None:
        raise Mismatch(f"got None{where}: did you forget to `return` the result?")
    exp = _to_numpy(expected)
    try:
        val = _to_numpy(got)
    except Exception as exc:  # not convertible
        raise Mismatch(f"expected a number or array{where}, got {type(got).__name__}") from exc
    if exp.dtype.kind in "OUS" or val.dtype.kind in "OUS":
        if exp.shape != val.shape:
            raise Mismatch(f"expected shape {exp.shape}, got shape {val.shape}{where}")
        if not np.array_equal(exp, val):
            raise Mismatch(_first_difference(exp, val, _unequal(exp, val), where))
        return
    if exp.shape != val.shape:
        extra = _dtype_note(exp, val)
        if exp.size == val.size and exp.ndim:
            extra += " (same number of elements: a missing transpose or reshape?)"
        raise Mismatch(f"expected shape {exp.shape}, got shape {val.shape}{where}{extra}")
    if exp.dtype == bool or val.dtype == bool:
        if not np.array_equal(exp, val):
            raise Mismatch(_first_difference(exp, val, _unequal(exp, val), where))
        return
    rtol, atol = _precision_tolerance(exp, val, rtol, atol)
    with np.errstate(all="ignore"):
        bad = ~np.isclose(val, exp, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        raise Mismatch(_first_difference(exp, val, bad, where))


def _unequal(exp, val):
    try:
        return np.asarray(exp != val, dtype=bool).reshape(exp.shape)
    except Exception:
        return np.ones(exp.shape, dtype=bool)


def _precision_tolerance(exp, val, rtol, atol):
    """Tolerances for a learner who computed in float32/float16 (or returned it)."""
    if val.dtype.kind not in "fc" or val.dtype.itemsize >= 8 or exp.size == 0:
        return rtol, atol
    low = val.dtype == np.float16
    with np.errstate(all="ignore"):
        scale = float(np.nanmax(np.abs(exp[np.isfinite(exp)]), initial=1.0))
    rel = 2e-3 if low else 1e-4
    return max(rtol, rel), max(atol, rel * 0.1 * max(1.0, scale))


def _dtype_note(exp, val) -> str:
    if exp.dtype.kind != val.dtype.kind and not ({exp.dtype.kind, val.dtype.kind} <= {"i", "u"}):
        return f" (dtype: expected {exp.dtype}, got {val.dtype})"
    return ""


def _first_difference(exp, val, bad, where="") -> str:
    """'expected a, got b' for a scalar; the first differing element of an array."""
    note = _dtype_note(exp, val)
    if exp.ndim == 0:
        return f"expected {fmt(exp[()])}, got {fmt(val[()])}{where}{note}"
    flat = int(np.argmax(bad.reshape(-1)))
    idx = np.unravel_index(flat, exp.shape)
    index = str(idx[0]) if len(idx) == 1 else "[" + ", ".join(str(int(i)) for i in idx) + "]"
    n_bad, n = int(bad.sum()), exp.size
    return (
        f"first difference at index {index}{where}: expected {fmt(exp[idx])}, "
        f"got {fmt(val[idx])} ({n_bad} of {n} element{'s' if n > 1 else ''} differ){note}"
    )


# ----------------------------------------------------------------- formatting helpers
def fmt(x, max_items: int = 8) -> str:
    """Short, readable rendering of a value for a one-line message."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        if x.size <= max_items:
            return np.array2string(x, precision=4, separator=", ", suppress_small=True).replace(
                "\n", ""
            )
        return f"array(shape={x.shape})"
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    if isinstance(x, (list, tuple)) and len(x) > max_items:
        return f"{type(x).__name__}(len={len(x)})"
    if isinstance(x, tuple):
        return "(" + ", ".join(fmt(v) for v in x) + ")"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(fmt(v) for v in x) + "]"
    if callable(x):
        return getattr(x, "__name__", "function")
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _param_names(fn: Callable, n: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    return (params + [f"arg{i}" for i in range(len(params), n)])[:n]


def describe_case(check: Check, case: Case) -> str:
    if case.label:
        return case.label
    names = _param_names(check.reference, len(case.args))
    parts = [f"{n}={fmt(a)}" for n, a in zip(names, case.args)]
    parts += [f"{k}={fmt(v)}" for k, v in case.kwargs.items()]
    return ", ".join(parts) if parts else "(no arguments)"


def _mutated(check: Check, case: Case, fn: Callable) -> str | None:
    """Name of an argument the learner's function modified in place, if any."""
    if not check.check_mutation:
        return None
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    snapshot = copy.deepcopy((args, kwargs))
    try:
        if check.call is not None:
            check.call(fn, Case(args, kwargs))
        else:
            fn(*args, **kwargs)
    except Exception:
        return None
    names = _param_names(check.reference, len(args))
    for name, before, after in zip(names, snapshot[0], args):
        if _changed(before, after):
            return name
    for key, before in snapshot[1].items():
        if _changed(before, kwargs[key]):
            return key
    return None


def _changed(before, after) -> bool:
    """True when a NumPy array argument was modified in place (NaN equals NaN)."""
    if not isinstance(before, np.ndarray):
        return False
    # subtle: equal_nan only works for numeric dtypes; strings/objects compare plainly
    numeric = before.dtype.kind in "biufc"
    return not np.array_equal(before, after, equal_nan=numeric)


def _explain(check: Check, case: Case, got) -> str | None:
    """The hint of the first catalogued mistake that reproduces ``got`` on ``case``."""
    for mistake in check.mistakes:
        try:
            wrong = check.run(mistake.fn, case)
            check.assert_same(wrong, got)
        except Exception:
            continue
        return mistake.hint
    return None


# ----------------------------------------------------------------- deadlines
def time_limit_for(check: Check) -> float:
    """Seconds allowed for the learner's calls: the check's own, $ML2LLM_CHECK_TIMEOUT, or
    :data:`DEFAULT_TIME_LIMIT` (in that order)."""
    if check.time_limit is not None:
        return float(check.time_limit)
    try:
        return float(os.environ.get("ML2LLM_CHECK_TIMEOUT", DEFAULT_TIME_LIMIT))
    except ValueError:
        return DEFAULT_TIME_LIMIT


def call_with_deadline(func: Callable[[], Any], seconds: float) -> Any:
    """Return ``func()``, or raise :class:`CheckTimeout` once ``seconds`` have passed.

    POSIX main thread: a ``SIGALRM`` interval timer (an outer timer is re-armed after).
    Otherwise: a daemon thread and ``join(seconds)`` (the thread is abandoned on timeout).
    """
    if seconds is None or seconds <= 0 or seconds == float("inf"):
        return func()
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        return _call_with_alarm(func, seconds)
    return _call_in_thread(func, seconds)


def _call_with_alarm(func, seconds):
    def on_alarm(signum, frame):
        raise CheckTimeout(seconds)

    outer_handler = signal.signal(signal.SIGALRM, on_alarm)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, 0)
    start = time.monotonic()
    outer_first = 0 < outer_delay < seconds
    signal.setitimer(signal.ITIMER_REAL, outer_delay if outer_first else seconds)
    outer_fired = False
    try:
        return func()
    except CheckTimeout:
        if outer_first:  # the outer deadline came first: hand the alarm to its owner
            outer_fired = True
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, outer_handler)
            if callable(outer_handler):
                outer_handler(signal.SIGALRM, None)
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_delay > 0 and not outer_fired:
            left = max(outer_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


def _call_in_thread(func, seconds):
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = func()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="ml2llm-check", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise CheckTimeout(seconds)
    if "error" in box:
        raise box["error"]
    return box.get("value")


# ----------------------------------------------------------------- running
def run_check(check: Check, fn: Callable, time_limit: float | None = None) -> CheckResult:
    """Run ``check`` on the learner's ``fn``; never raises for learner errors.

    ``time_limit`` (seconds, all cases together) overrides :func:`time_limit_for`.
    """
    cases = check.get_cases()
    n = len(cases)
    limit = time_limit_for(check) if time_limit is None else float(time_limit)
    deadline = time.monotonic() + limit

    def learner(call):
        return call_with_deadline(call, max(deadline - time.monotonic(), 1e-3))

    for i, case in enumerate(cases):
        where = describe_case(check, case)
        expected = check.run(check.reference, case)
        try:
            got = learner(lambda case=case: check.run(fn, case))
        except CheckTimeout:
            hint = (
                "look for a loop whose stop condition is never met (a `while` that never "
                "advances, a recursion without a base case)."
            )
            return CheckResult(
                check.id,
                "error",
                i,
                n,
                f"{FAIL} {check.id}: {where} → did not return within {limit:g} s "
                f"(time limit per check; set ML2LLM_CHECK_TIMEOUT to change it). Hint: {hint}",
                hint,
            )
        except NotImplementedError as exc:
            detail = str(exc) or "NotImplementedError"
            return CheckResult(
                check.id,
                "todo",
                i,
                n,
                f"{TODO} {check.id}: not implemented yet ({detail}). Replace the `raise` with your code.",
            )
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            hint = case.hint or check.hint
            return CheckResult(
                check.id,
                "error",
                i,
                n,
                f"{FAIL} {check.id}: {where} → raised {type(exc).__name__}: {exc} "
                f"(line {frame.lineno}). Hint: {hint}",
                hint,
            )
        try:
            check.assert_same(expected, got)
        except Mismatch as exc:
            hint = _explain(check, case, got) or case.hint or check.hint
            detail = str(exc) or "the value differs from the reference"
            if not detail.startswith("expected"):
                fe, fg = fmt(expected), fmt(got)
                if "shape=" not in fe + fg and "len=" not in fe + fg and len(fe + fg) < 120:
                    detail = f"expected {fe}, got {fg}: {detail}"
            return CheckResult(
                check.id,
                "failed",
                i,
                n,
                f"{FAIL} {check.id}: {where} → {detail}. Hint: {hint}",
                hint,
            )
        except Exception as exc:  # a comparison that cannot even read the learner's output
            hint = case.hint or check.hint
            return CheckResult(
                check.id,
                "failed",
                i,
                n,
                f"{FAIL} {check.id}: {where} → expected {fmt(expected)}, got {fmt(got)} "
                f"(a {type(got).__name__}; comparing them raised {type(exc).__name__}: {exc}). "
                f"Hint: {hint}",
                hint,
            )
        try:
            name = learner(lambda case=case: _mutated(check, case, fn))
        except CheckTimeout:
            name = None
        if name is not None:
            hint = (
                f"your function changed its input `{name}` in place; work on a copy "
                f"(e.g. `{name} = {name}.copy()` or `x = x - ...` instead of `x -= ...`)."
            )
            return CheckResult(
                check.id,
                "failed",
                i,
                n,
                f"{FAIL} {check.id}: {where} → correct output, but the input `{name}` was modified. Hint: {hint}",
                hint,
            )
    return CheckResult(check.id, "passed", n, n, f"{PASS} {check.id}: {n}/{n} cases passed.")


def log_result(result: CheckResult) -> None:
    """Append the result to ``$ML2LLM_CHECK_LOG`` (JSON lines) when that variable is set."""
    path = os.environ.get("ML2LLM_CHECK_LOG")
    if not path:
        return
    record = {
        "id": result.id,
        "status": result.status,
        "n_passed": result.n_passed,
        "n_cases": result.n_cases,
    }
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
