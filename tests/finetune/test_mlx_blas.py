"""``ml2llm.mlx_blas``: MLX's float32 products through PyTorch's MKL on Linux.

Each case runs in a fresh interpreter, because the binding is made when ``mlx`` is first
loaded. Speed is measured in ``benchmarks/bench_mlx_blas.py``, not here.
"""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("mlx.core")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

PROBE = r"""
import json, numpy as np
import ml2llm
import mlx.core as mx
from ml2llm import mlx_blas
rng = np.random.default_rng(0)
a = rng.standard_normal((67, 300)).astype(np.float32)
b = rng.standard_normal((300, 45)).astype(np.float32)
got = np.array(mx.array(a) @ mx.array(b))
ref = a.astype(np.float64) @ b.astype(np.float64)
print(json.dumps({"status": mlx_blas.status(), "err": float(np.abs(got - ref).max()),
                  "scale": float(np.abs(ref).max())}))
"""


def _probe(**env):
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
        env={**os.environ, **env}, timeout=300,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_mlx_after_ml2llm_binds_mkl_and_products_stay_exact():
    r = _probe()
    assert r["status"]["tried"] is True
    assert r["status"]["library"] and r["status"]["library"].endswith("libtorch_cpu.so")
    # float32 over a 300-term sum: a few ulps of the largest entry
    assert r["err"] < 1e-5 * r["scale"] * 10, r


def test_switched_off_leaves_the_bundled_blas_and_the_same_products():
    r = _probe(ML2LLM_MLX_FAST_BLAS="0")
    assert r["status"]["library"] is None
    assert r["err"] < 1e-5 * r["scale"] * 10, r


def test_enable_after_mlx_is_loaded_changes_nothing():
    code = (
        "import mlx.core, json\n"
        "from ml2llm import mlx_blas\n"  # ml2llm imported after mlx: too late to bind
        "print(json.dumps([mlx_blas.enable(), mlx_blas.status()]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)  # fmt: skip
    value, status = json.loads(out.stdout.strip().splitlines()[-1])
    assert value is None and status["library"] is None
