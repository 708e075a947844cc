"""Shared hyperparameter validation for the iterative linear classifiers (Projects 02–03).

Each check raises ``ValueError`` naming the parameter and what was expected.
"""

from __future__ import annotations

import numbers


def check_iterative_params(est, solvers: tuple[str, ...]) -> None:
    """Validate ``C``, ``solver``, ``learning_rate``, ``max_iter`` and ``tol`` of ``est``."""
    if not (isinstance(est.C, numbers.Real) and est.C > 0):
        raise ValueError(f"C must be a positive number (np.inf for no penalty), got {est.C!r}")
    if est.solver not in solvers:
        names = " or ".join(repr(s) for s in solvers)
        raise ValueError(f"solver must be {names}, got {est.solver!r}")
    lr = est.learning_rate
    if not ((isinstance(lr, str) and lr == "auto") or (isinstance(lr, numbers.Real) and lr > 0)):
        raise ValueError(f"learning_rate must be a positive number or 'auto', got {lr!r}")
    if not (isinstance(est.max_iter, numbers.Integral) and est.max_iter >= 1):
        raise ValueError(f"max_iter must be a positive integer, got {est.max_iter!r}")
    if not (isinstance(est.tol, numbers.Real) and est.tol >= 0):
        raise ValueError(f"tol must be a non-negative number, got {est.tol!r}")
