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


def test_mlx_models_train_in_float32_on_the_cpu_unless_quantised():
    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten

    from ml2llm.finetune.backends import mlx_cpu_float32

    model = nn.Sequential(nn.Linear(64, 64), nn.Linear(64, 8))
    model.update(tree_flatten_to_bf16(model))
    assert {v.dtype for _, v in tree_flatten(model.parameters())} == {mx.bfloat16}
    x = mx.random.normal((3, 64))
    before = model(x.astype(mx.bfloat16)).astype(mx.float32)
    assert mlx_cpu_float32(model) is True
    assert {v.dtype for _, v in tree_flatten(model.parameters())} == {mx.float32}
    after = model(x)
    assert mx.allclose(before, after, atol=0.1).item()  # the same model, in float32
    assert mlx_cpu_float32(model) is False  # already float32

    quantised = nn.QuantizedLinear(64, 64, bits=4, group_size=32)
    dtypes = [v.dtype for _, v in tree_flatten(quantised.parameters())]
    assert mlx_cpu_float32(quantised) is False
    assert [v.dtype for _, v in tree_flatten(quantised.parameters())] == dtypes


def tree_flatten_to_bf16(model):
    import mlx.core as mx
    from mlx.utils import tree_map

    return tree_map(lambda v: v.astype(mx.bfloat16), model.parameters())
