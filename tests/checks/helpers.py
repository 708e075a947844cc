"""Shared harness for check tests.

Each ``tests/checks/test_<prefix>_checks.py`` defines

- ``REFERENCES = {check_id: correct_implementation}`` (written in the test, not imported from
  the check, so a wrong reference in the library is caught), and
- ``MISTAKES = {check_id: [(wrong_implementation, expected_hint_substring), ...]}`` with at
  least two typical learner mistakes per check,

and calls :func:`parametrize_references` / :func:`parametrize_mistakes`.
``test_check_coverage.py`` verifies every ready project's checks have both.
"""

from __future__ import annotations

import pytest

from ml2llm.checks import get_check, run_check


def assert_passes(check_id, fn):
    result = run_check(get_check(check_id), fn)
    assert result.passed, result.message
    assert result.n_passed == result.n_cases >= 2


def assert_catches(check_id, fn, hint):
    result = run_check(get_check(check_id), fn)
    assert not result.passed, f"{check_id} accepted a wrong implementation: {result.message}"
    assert result.status in {"failed", "error"}
    assert hint.lower() in result.message.lower(), (
        f"{check_id}: expected hint containing {hint!r}, got: {result.message}"
    )
    assert result.message.count("\n") == 0, "a check prints exactly one line"


def parametrize_references(references):
    return pytest.mark.parametrize("check_id,fn", list(references.items()), ids=list(references))


def parametrize_mistakes(mistakes):
    cases, ids = [], []
    for check_id, items in mistakes.items():
        for k, (fn, hint) in enumerate(items):
            cases.append((check_id, fn, hint))
            ids.append(f"{check_id}-{k}-{getattr(fn, '__name__', 'wrong')}")
    return pytest.mark.parametrize("check_id,fn,hint", cases, ids=ids)
