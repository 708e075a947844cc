"""Exercise checks: ``check("p01.mse", mse)`` prints one line and never raises.

Each project's checks live in ``ml2llm/checks/<prefix>.py`` (``p01``, ``p04_5``, ``pp1`` …)
and register themselves on import through :func:`register`. :func:`get_check` imports the
module named by the id's prefix on first use, so only what a notebook needs is loaded.
"""

from __future__ import annotations

import importlib
import pkgutil

from ml2llm.checks.core import (
    Case,
    Check,
    CheckResult,
    Mismatch,
    Mistake,
    assert_close,
    log_result,
    run_check,
)

_REGISTRY: dict[str, Check] = {}


def register(chk: Check) -> Check:
    """Add ``chk`` to the registry (ids are unique) and return it."""
    if chk.id in _REGISTRY and _REGISTRY[chk.id] is not chk:
        raise ValueError(f"check id {chk.id!r} is registered twice")
    _REGISTRY[chk.id] = chk
    return chk


def _module_for(check_id: str) -> str:
    prefix = check_id.split(".", 1)[0]
    return f"ml2llm.checks.{prefix}"


def get_check(check_id: str) -> Check:
    """The registered check ``check_id``; raises KeyError with the known ids if unknown."""
    if not isinstance(check_id, str) or "." not in check_id:
        raise KeyError(f"check id must look like 'p01.mse', got {check_id!r}")
    if check_id not in _REGISTRY:
        try:
            importlib.import_module(_module_for(check_id))
        except ModuleNotFoundError as exc:
            if exc.name != _module_for(check_id):
                raise
    if check_id not in _REGISTRY:
        prefix = check_id.split(".", 1)[0] + "."
        known = sorted(k for k in _REGISTRY if k.startswith(prefix)) or sorted(all_check_ids())
        raise KeyError(f"unknown check id {check_id!r}; known: {', '.join(known)}")
    return _REGISTRY[check_id]


def all_check_ids() -> list[str]:
    """Every registered check id, importing all check modules."""
    import ml2llm.checks as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("p"):
            importlib.import_module(f"ml2llm.checks.{info.name}")
    return sorted(_REGISTRY)


def check(check_id: str, obj, quiet: bool = False) -> CheckResult:
    """Check the learner's ``obj`` against exercise ``check_id`` and print one line.

    Never raises: an unknown id or a bug in the learner's code becomes a ✗ line.
    """
    try:
        result = run_check(get_check(check_id), obj)
    except KeyError as exc:
        msg = exc.args[0] if exc.args else str(exc)
        result = CheckResult(str(check_id), "error", 0, 0, f"✗ {msg}")
    except Exception as exc:  # a broken check must not break the notebook either
        result = CheckResult(str(check_id), "error", 0, 0, f"✗ {check_id}: check crashed ({exc!r})")
    if not quiet:
        print(result.message)
    log_result(result)
    return result


__all__ = [
    "Case",
    "Check",
    "CheckResult",
    "Mismatch",
    "Mistake",
    "all_check_ids",
    "assert_close",
    "check",
    "get_check",
    "register",
    "run_check",
]
