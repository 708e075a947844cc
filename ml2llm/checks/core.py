"""The exercise-check engine: run a learner's function on many inputs, compare, explain.

A :class:`Check` bundles a reference implementation, a list of :class:`Case` inputs (edge
cases included), a comparison rule and a catalogue of typical :class:`Mistake` s. Running it
on the learner's function gives a :class:`CheckResult` whose one-line message names the
first failing input with expected vs got and a hint. When the learner's wrong output equals
what a catalogued mistake produces on that input, the hint is that mistake's hint: that is
how a forgotten ``1/n`` is told apart from a sign error.

What it does not do: time out an infinite loop, or sandbox the learner's code.

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
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PASS, FAIL, TODO = "✓", "✗", "…"


class Mismatch(Exception):
    """Raised by a comparison when the learner's value differs; the text says how."""


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
        if not np.array_equal(exp, val):
            raise Mismatch(f"values differ{where}")
        return
    if exp.shape != val.shape:
        if exp.size == val.size:
            raise Mismatch(f"expected shape {exp.shape}, got shape {val.shape}{where}")
        raise Mismatch(f"expected shape {exp.shape}, got shape {val.shape}{where}")
    if exp.dtype == bool or val.dtype == bool:
        if not np.array_equal(exp, val):
            raise Mismatch(f"values differ{where}")
        return
    if not np.allclose(val, exp, rtol=rtol, atol=atol, equal_nan=True):
        raise Mismatch(f"values differ{where}")


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


# ----------------------------------------------------------------- running
def run_check(check: Check, fn: Callable) -> CheckResult:
    """Run ``check`` on the learner's ``fn``; never raises for learner errors."""
    cases = check.get_cases()
    n = len(cases)
    for i, case in enumerate(cases):
        where = describe_case(check, case)
        expected = check.run(check.reference, case)
        try:
            got = check.run(fn, case)
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
            detail = str(exc)
            if detail == "values differ":
                detail = f"expected {fmt(expected)}, got {fmt(got)}"
            elif not detail.startswith("expected"):
                detail = f"expected {fmt(expected)}, got {fmt(got)}: {detail}"
            return CheckResult(
                check.id,
                "failed",
                i,
                n,
                f"{FAIL} {check.id}: {where} → {detail}. Hint: {hint}",
                hint,
            )
        name = _mutated(check, case, fn)
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
