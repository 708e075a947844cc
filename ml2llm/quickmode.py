"""Quick mode: the one run-time switch, read from the environment (not a configuration file).

- ``ML2LLM_QUICK=1``: quick mode. Notebooks and scripts use smaller data and fewer steps but
  the same code path; CI executes every notebook this way.
"""

from __future__ import annotations

import os


def is_quick() -> bool:
    """True when ``ML2LLM_QUICK`` is set to a true value (1, true, yes, on)."""
    return os.environ.get("ML2LLM_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}


def pick(full, quick):
    """Return ``quick`` in quick mode, else ``full``. Example: ``n_iter = pick(5000, 200)``."""
    return quick if is_quick() else full
