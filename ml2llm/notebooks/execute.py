"""Execute a notebook top to bottom in a fresh Python kernel and collect what it produced.

Used by CI (every ready project's solution notebook, quick mode), by ``ml2llm run`` (the
journey report) and by ``ml2llm check`` (the learner's own notebook, errors allowed so that
unfinished exercises do not stop the run). Ctrl-C shuts the kernel down and raises
``KeyboardInterrupt`` (the CLI prints one line and exits 130), without tracebacks.

The kernel runs the interpreter that runs this code (kernel ``python3`` resolves to it), in
the notebook's folder, with ``ML2LLM_QUICK`` set as asked. ``MPLBACKEND`` is removed from
the kernel's environment so figures are captured inline.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

QUICK_CELL_TIMEOUT = 900  # seconds; quick mode must be quick (CI), full mode may take hours


@dataclass
class ExecutionResult:
    notebook: nbformat.NotebookNode
    seconds: float
    ok: bool
    error: str | None = None
    figures: list[bytes] = field(default_factory=list)


def _interrupted(client) -> bool:
    """Whether nbclient's SIGINT/SIGTERM handler fired (it schedules a kernel cleanup)."""
    return getattr(client, "_async_cleanup_kernel_future", None) is not None


def figures_of(nb) -> list[bytes]:
    """PNG bytes of every image output, in cell order."""
    pngs = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                pngs.append(base64.b64decode(data["image/png"]))
    return pngs


def execute_notebook(
    nb,
    cwd: str | Path,
    quick: bool = True,
    timeout: int | None = -1,
    allow_errors: bool = False,
    extra_env: dict[str, str] | None = None,
) -> ExecutionResult:
    """Run ``nb`` (a NotebookNode, modified in place) and return outputs, time and figures.

    ``timeout`` is per cell, in seconds: by default ``QUICK_CELL_TIMEOUT`` in quick mode and
    none in full mode (a full experiment on a laptop CPU may run for a long time); ``None``
    means no limit. A cell that times out or a kernel that dies is a failed run with a
    one-line error, like a cell that raises.
    """
    if timeout == -1:
        timeout = QUICK_CELL_TIMEOUT if quick else None
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    env["ML2LLM_QUICK"] = "1" if quick else "0"
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.update(extra_env or {})
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(cwd)}},
        # quiet the kernel's own log: start-up warnings ("running over TCP without encryption")
        # and, after a Ctrl-C, the errors of a kernel shut down in mid-message; a kernel that
        # fails still shows up as DeadKernelError
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )
    start = time.perf_counter()
    error = None
    try:
        client.execute(env=env, cwd=str(cwd))
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
    except CellTimeoutError:
        error = f"a cell ran longer than the {timeout} s limit per cell"
    except DeadKernelError as exc:
        if _interrupted(client):
            raise KeyboardInterrupt from None
        error = f"the kernel died ({exc})"
    except Exception:
        # Ctrl-C: nbclient's own SIGINT handler shuts the kernel down, the running cell then
        # fails with DeadKernelError and nbclient's second cleanup with an AssertionError.
        if _interrupted(client):
            raise KeyboardInterrupt from None
        raise
    seconds = time.perf_counter() - start
    return ExecutionResult(nb, seconds, error is None, error, figures_of(nb))
