"""Execute a notebook top to bottom in a fresh Python kernel and collect what it produced.

Used by CI (every ready project's solution notebook, quick mode), by ``ml2llm run`` (the
journey report) and by ``ml2llm check`` (the learner's own notebook, errors allowed so that
unfinished exercises do not stop the run).

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
        # quiet the kernel's own start-up warnings (e.g. "running over TCP without encryption")
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
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
        error = f"the kernel died ({exc})"
    seconds = time.perf_counter() - start
    return ExecutionResult(nb, seconds, error is None, error, figures_of(nb))
