"""The mutation scorer itself: mutants are made, weak checks score low, equivalents are not
counted, and a hanging mutant is cut off."""

import numpy as np
import pytest

from ml2llm.checks import Case, Check
from ml2llm.checks.mutation import fresh_cases, mutants, score_check


def scaled_mean(x, axis=0):
    total = np.sum(x * 2.0, axis=axis, keepdims=True)
    return total / x.shape[axis]


def countdown(n):
    k = 0
    while n > 0:
        n = n - 1
        k = k + 2
    return k


def _check(cases, ref=scaled_mean):
    return Check("demo.mut", reference=ref, cases=cases)


def test_operators_cover_the_issue_list():
    whats = [m.what for m in mutants(_check([Case((np.ones((2, 3)),))]))]
    for needle in [
        "`*` → `/`",
        "`/` → `*`",
        "constant 2.0 → 0.0",
        "constant 2.0 → 4.0",
        "`keepdims=True` dropped",
        "`.sum` → `.mean`",
        "operands of `/` swapped",
        "`return total` (an intermediate)",
    ]:
        assert needle in whats, (needle, whats)


def test_weak_check_scores_low_and_strong_check_scores_full():
    weak = score_check(_check([Case((np.zeros((2, 2)),))]))  # x*2 and x/2 agree on zeros
    rng = np.random.default_rng(0)
    strong = score_check(
        _check([Case((rng.normal(size=(3, 4)),)), Case((rng.normal(size=(2, 5)),), {"axis": 1})])
    )
    assert weak.score < 0.8 < strong.score == 1.0
    assert strong.killed + strong.equivalent == strong.n


def test_equivalent_mutants_are_not_counted_but_need_fresh_inputs():
    chk = _check([Case((np.arange(6.0).reshape(2, 3),))], ref=lambda x: np.sqrt(x * x))
    s = score_check(chk)
    assert s.n > 0 and len(fresh_cases(chk)) >= 10
    cases = [Case((np.arange(6.0).reshape(2, 3),))]
    assert all(not np.array_equal(f.args[0], cases[0].args[0]) for f in fresh_cases(chk))


def test_a_mutant_that_never_returns_is_cut_off_and_killed():
    s = score_check(_check([Case((3,)), Case((0,))], ref=countdown))
    hung = [m for m in s.mutants if "n = n - 1" in m.what or m.what == "`-` → `+`"]
    assert hung and all(m.status == "killed" for m in hung)


def test_dev_mutate_cli(capsys):
    from ml2llm.cli import main

    assert main(["dev", "mutate", "p01.predict", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "p01.predict" in out and "| 01 | 1 |" in out and "killed by the time limit" in out
    assert main(["dev", "mutate", "nope"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["dev", "mutate", "p01.mse", "--record", "--sample", "3"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["dev", "mutate", "p01.mse", "--sample", "-1"])
    assert exc.value.code == 2
