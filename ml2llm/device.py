"""Pick the compute backend once, the same way everywhere: MLX, CUDA, MPS or CPU.

Priority: MLX when Apple Metal is available, then PyTorch CUDA, then PyTorch MPS, then CPU.
``LEARNING_ML_BACKEND=mlx|cuda|mps|cpu`` overrides the choice; an unknown value, or one this
machine cannot run, raises :class:`BackendError` with a one-line message listing the valid
values. Everything works with only NumPy installed: the CPU backend then uses NumPy arrays.

What this does not do: multi-GPU placement (use ``torchrun``) or mixed precision.

>>> backend_name() in {"mlx", "cuda", "mps", "cpu"}
True
"""

from __future__ import annotations

import importlib.util
import os
import platform
import random

import numpy as np

BACKENDS = ("mlx", "cuda", "mps", "cpu")
ENV_VAR = "LEARNING_ML_BACKEND"


class BackendError(RuntimeError):
    """The requested backend is unknown or not available on this machine."""


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _torch():
    if not _has("torch"):
        return None
    import torch

    return torch


def _mlx_core():
    if not _has("mlx"):
        return None
    try:
        import mlx.core as mx
    except Exception:  # a broken MLX install must not break the CPU path
        return None
    return mx


def available_backends() -> list[str]:
    """Backends this machine can run, in priority order (``"cpu"`` is always last)."""
    found = []
    mx = _mlx_core()
    if mx is not None and _metal_available(mx):
        found.append("mlx")
    torch = _torch()
    if torch is not None and torch.cuda.is_available():
        found.append("cuda")
    if (
        torch is not None
        and getattr(torch.backends, "mps", None)
        and torch.backends.mps.is_available()
    ):
        found.append("mps")
    found.append("cpu")
    return found


def _metal_available(mx) -> bool:
    try:
        return bool(mx.metal.is_available())
    except Exception:
        return False


def backend_name() -> str:
    """The active backend: the override in ``LEARNING_ML_BACKEND`` or the best available."""
    requested = os.environ.get(ENV_VAR, "").strip().lower()
    if not requested:
        return available_backends()[0]
    if requested not in BACKENDS:
        raise BackendError(
            f"{ENV_VAR}={requested!r} is not a backend; valid values: {', '.join(BACKENDS)}"
        )
    if requested == "mlx":
        # MLX also runs on the CPU (mlx[cpu] on Linux), so an explicit request only needs MLX.
        if _mlx_core() is None:
            raise BackendError(
                f"{ENV_VAR}=mlx but MLX is not installed; valid here: {', '.join(available_backends())}"
            )
        return "mlx"
    if requested not in available_backends():
        raise BackendError(
            f"{ENV_VAR}={requested!r} is not available on this machine; "
            f"valid here: {', '.join(available_backends())}"
        )
    return requested


def get_device():
    """A device object for the active backend.

    ``torch.device`` for cuda/mps (and for cpu when torch is installed), MLX's default device
    for mlx, and the string ``"cpu"`` when only NumPy is installed.
    """
    name = backend_name()
    if name == "mlx":
        mx = _mlx_core()
        if not _metal_available(mx):
            mx.set_default_device(mx.cpu)
        return mx.default_device()
    torch = _torch()
    if torch is None:
        return "cpu"
    return torch.device(name)


def backend_info() -> str:
    """One human-readable line: backend, device and library versions."""
    name = backend_name()
    parts = [f"backend={name}", f"python={platform.python_version()}", f"numpy={np.__version__}"]
    torch = _torch()
    if torch is not None:
        parts.append(f"torch={torch.__version__}")
        if name == "cuda":
            parts.append(f"gpu={torch.cuda.get_device_name(0)}")
    mx = _mlx_core()
    if mx is not None:
        parts.append(f"mlx={getattr(mx, '__version__', '?')}")
    if name == "cpu" and torch is None:
        parts.append("arrays=numpy")
    return " ".join(parts)


def tensor(data, dtype=None):
    """Create an array on the active backend (torch tensor, MLX array or NumPy array)."""
    name = backend_name()
    if name == "mlx":
        mx = _mlx_core()
        return (
            mx.array(np.asarray(data), dtype=dtype)
            if dtype is not None
            else mx.array(np.asarray(data))
        )
    torch = _torch()
    if torch is None:
        return np.asarray(data, dtype=dtype)
    t = torch.as_tensor(data, dtype=dtype)
    if t.is_floating_point() and dtype is None:
        t = t.float()
    return t.to(get_device())


def move_to(obj, device=None):
    """Move a tensor, module or nested list/tuple/dict of them to ``device`` (default: active).

    NumPy arrays and plain Python values are returned unchanged on the NumPy CPU backend.
    """
    device = get_device() if device is None else device
    if isinstance(obj, dict):
        return {k: move_to(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        moved = [move_to(v, device) for v in obj]
        return type(obj)(moved) if isinstance(obj, list) else tuple(moved)
    if callable(getattr(obj, "to", None)):  # torch tensors and modules
        return obj.to(device)
    return obj


def ensure_seed(seed: int = 42) -> int:
    """Seed ``random``, NumPy, torch (all devices) and MLX when present. Returns the seed."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = _torch()
    if torch is not None:
        torch.manual_seed(seed)
    mx = _mlx_core()
    if mx is not None:
        mx.random.seed(seed)
    return seed
