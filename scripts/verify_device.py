"""Print the chosen compute backend and run a tiny matmul on it.

Usage: python scripts/verify_device.py   (LEARNING_ML_BACKEND=cpu|cuda|mps|mlx to override)
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from ml2llm.device import BackendError, backend_info, backend_name, tensor

    try:
        name = backend_name()
        print("Using backend:", backend_info())
        a = tensor([[1.0, 2.0], [3.0, 4.0]])
        product = a @ a
        print(f"matmul on {name}: [[1,2],[3,4]] @ itself =", product.tolist())
    except BackendError as exc:
        print(f"verify_device: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
