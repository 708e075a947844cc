"""Run scikit-learn's estimator checks and assert on their results explicitly."""

import warnings

from sklearn.utils.estimator_checks import check_estimator


def assert_passes_check_estimator(estimator):
    """Every one of sklearn's API checks passes (or is skipped by sklearn itself)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings on sklearn's tiny random datasets
        results = check_estimator(estimator, on_fail=None)
    failed = [f"{r['check_name']}: {r['exception']!r}" for r in results if r["status"] == "failed"]
    assert not failed, f"{type(estimator).__name__} fails sklearn checks: {failed}"
    assert sum(r["status"] == "passed" for r in results) >= 20
