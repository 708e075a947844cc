"""ml2llm — the reference library behind the learning-ml-to-llm curriculum.

Every learner exercise has a reference implementation here, tested against a trusted
library (scikit-learn, PyTorch, Hugging Face, PEFT, MLX). The package also holds the
tooling: the curriculum manifest, the notebook generator, the exercise checks and the CLI.

Heavy dependencies (torch, transformers, mlx) are imported lazily by the modules that need
them, so Phase 1 works with NumPy, SciPy, scikit-learn and matplotlib alone.
"""

from ml2llm import mlx_blas as _mlx_blas
from ml2llm.quickmode import is_quick

_mlx_blas.install_hook()  # Linux: MLX's products through PyTorch's MKL (see ml2llm.mlx_blas)

__version__ = "0.1.0"


def check(check_id, obj, **kwargs):
    """Run exercise check ``check_id`` on the learner's ``obj`` and print one line.

    Thin re-export of :func:`ml2llm.checks.check` so notebooks can write
    ``from ml2llm import check``.
    """
    from ml2llm.checks import check as _check

    return _check(check_id, obj, **kwargs)


__all__ = ["check", "is_quick", "__version__"]
