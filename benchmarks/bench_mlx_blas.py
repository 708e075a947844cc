"""MLX on a Linux CPU: the bundled reference BLAS against PyTorch's MKL (``ml2llm.mlx_blas``).

The ``mlx-cpu`` wheel for Linux ships netlib's reference ``libblas``; ``import ml2llm``
installs a hook that binds MLX's ``cblas_sgemm`` to the MKL ``sgemm_`` inside PyTorch
(:mod:`ml2llm.mlx_blas`). The binding is made when ``mlx`` loads, so each variant runs in
its own interpreter: ``bundled`` (``ML2LLM_MLX_FAST_BLAS=0``) and ``mkl`` (the default),
alternated ``--repeats`` times; each child reports the median of 3 timings of each product,
and the parent prints the median over children and the ratio bundled / mkl. PyTorch's own
product (same shapes, same thread count) is printed as the reference.

Products (float32, SmolLM2-135M shapes): one MLP projection (1024 x 576 @ 576 x 1536) and
the LM head (1024 x 576 @ 576 x 49152).

Run: ``python benchmarks/bench_mlx_blas.py [--quick] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, statistics, sys, time
import ml2llm, numpy as np, torch
import mlx.core as mx
torch.set_num_threads(int(sys.argv[1]))
quick = sys.argv[2] == "1"
n = 256 if quick else 1024
shapes = {"mlp": (n, 576, 1536), "head": (n, 576, 8192 if quick else 49152)}
out = {}
for name, (m, k, p) in shapes.items():
    a, b = mx.random.normal((m, k)), mx.random.normal((k, p))
    ta, tb = torch.randn(m, k), torch.randn(k, p)
    mx.eval(a, b)
    mx.eval(a @ b)  # warm-up
    t_mx, t_pt = [], []
    for _ in range(3):
        t = time.perf_counter(); mx.eval(a @ b); t_mx.append(time.perf_counter() - t)
        t = time.perf_counter(); ta @ tb; t_pt.append(time.perf_counter() - t)
    out[name] = {"mlx": statistics.median(t_mx), "torch": statistics.median(t_pt)}
from ml2llm import mlx_blas
out["library"] = mlx_blas.status()["library"]
print(json.dumps(out))
"""


def _child(fast: bool, threads: int, quick: bool) -> dict:
    env = {**os.environ, "ML2LLM_MLX_FAST_BLAS": "1" if fast else "0"}
    cmd = [sys.executable, "-c", CHILD, str(threads), "1" if quick else "0"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    a = p.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("Linux only: MLX uses Accelerate on macOS")
        return {}
    runs = {"bundled": [], "mkl": []}
    for _ in range(a.repeats):  # interleaved
        runs["bundled"].append(_child(False, a.threads, a.quick))
        runs["mkl"].append(_child(True, a.threads, a.quick))
    print(f"MLX float32 products on this CPU ({os.cpu_count()} cores, {a.threads} threads), "
          f"median of {a.repeats} interleaved processes x 3 timings")  # fmt: skip
    result = {"library": runs["mkl"][0]["library"]}
    for name in ("mlp", "head"):
        med = {k: statistics.median(r[name]["mlx"] for r in v) for k, v in runs.items()}
        result[name] = {**med, "ratio": med["bundled"] / med["mkl"]}
        torch_s = statistics.median(r[name]["torch"] for v in runs.values() for r in v)
        print(f"  {name:5s} bundled BLAS {med['bundled'] * 1e3:9.1f} ms   MKL {med['mkl'] * 1e3:7.1f} ms"
              f"   torch {torch_s * 1e3:7.1f} ms   bundled / MKL {med['bundled'] / med['mkl']:6.1f}x"
              f"   MKL / torch {med['mkl'] / torch_s:5.2f}")  # fmt: skip
    print(f"  bound library: {runs['mkl'][0]['library']}")
    return result


if __name__ == "__main__":
    main()
