"""A fast matrix multiply for MLX on a Linux CPU (``mlx-cpu``), without any system package.

Why: the ``mlx-cpu`` wheel for Linux bundles the *reference* BLAS (netlib ``libblas``): its
``cblas_sgemm`` is a wrapper around a plain triple loop in ``sgemm_``. Measured on this
project's 2-core CPU, a 1024×576 @ 576×1536 float32 product takes 0.36 s in MLX and 0.04 s
in PyTorch, and SmolLM2's 49 k-way LM head over 1024 positions 30 s against 0.65 s: a LoRA
step on SmolLM2 took 282 s in ``mlx_lm``.

How: the bundled ``cblas_sgemm`` calls ``sgemm_`` through the dynamic linker, which looks in
the process's *global* symbol scope first. PyTorch's ``libtorch_cpu`` already carries
Intel MKL and exports an LP64 ``sgemm_`` (the same Fortran interface), but Python loads it
with ``RTLD_LOCAL``. :func:`enable` re-opens that already-loaded library with
``RTLD_GLOBAL | RTLD_NOLOAD`` *before* MLX is loaded, so MLX's reference ``cblas_sgemm``
binds to MKL's ``sgemm_`` (the same product to float32 rounding; the parity tests of
Projects 12.5 and 16 run through it). :func:`install_hook` does that lazily: ``import
ml2llm`` installs an import hook that calls :func:`enable` the first time anything imports
``mlx``, so nothing is paid by code that never touches MLX.

What it does not do: anything on macOS (MLX uses Accelerate and Metal there) or Windows;
anything once ``mlx`` is already imported (the binding is made at load time; it returns
``None`` then); anything when ``ML2LLM_MLX_FAST_BLAS=0``. It does not change MLX's own
kernels (attention, element-wise), only the BLAS products.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys

__all__ = ["enable", "install_hook", "status"]

_STATE: dict = {"tried": False, "library": None}


def _wanted() -> bool:
    return sys.platform.startswith("linux") and os.environ.get("ML2LLM_MLX_FAST_BLAS", "1") != "0"


def enable() -> str | None:
    """Make MLX's BLAS products use PyTorch's MKL ``sgemm_``; return the library path or None.

    Call it before the first ``import mlx``; :func:`install_hook` does so automatically.
    Idempotent. ``None`` means nothing was changed: not Linux, switched off with
    ``ML2LLM_MLX_FAST_BLAS=0``, ``mlx`` already imported, no PyTorch, or a PyTorch build
    whose ``libtorch_cpu`` exports no ``sgemm_``.
    """
    if _STATE["tried"]:
        return _STATE["library"]
    _STATE["tried"] = True
    if not _wanted() or "mlx.core" in sys.modules:
        return None
    try:
        import ctypes

        import torch
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")
    try:
        # subtle: RTLD_NOLOAD re-opens the copy torch already loaded (no second MKL, no
        # second OpenMP runtime) and only promotes its symbols to the global scope.
        lib = ctypes.CDLL(path, mode=os.RTLD_GLOBAL | os.RTLD_NOLOAD | os.RTLD_NOW)
        lib.sgemm_  # noqa: B018 - raises AttributeError when this build exports none
    except (OSError, AttributeError):
        return None
    _STATE["library"] = path
    return path


def status() -> dict:
    """``{"tried": bool, "library": path or None}``: whether :func:`enable` ran and what it used."""
    return dict(_STATE)


class _Hook(importlib.abc.MetaPathFinder):
    """Runs :func:`enable` once, just before ``mlx`` is first imported, then steps aside."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "mlx":
            sys.meta_path[:] = [f for f in sys.meta_path if f is not self]
            enable()
        return None  # the normal finders import mlx itself


def install_hook() -> None:
    """Install the import hook (Linux only, once; a no-op when ``mlx`` is already loaded)."""
    if not _wanted() or "mlx" in sys.modules:
        return
    if any(isinstance(f, _Hook) for f in sys.meta_path):
        return
    if importlib.util.find_spec("mlx") is None:
        return
    sys.meta_path.insert(0, _Hook())
