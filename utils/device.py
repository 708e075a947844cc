"""Backend auto-detection (MLX → CUDA → MPS → CPU); see :mod:`ml2llm.device`."""

from ml2llm.device import (  # noqa: F401
    BACKENDS,
    BackendError,
    available_backends,
    backend_info,
    backend_name,
    ensure_seed,
    get_device,
    move_to,
    tensor,
)
