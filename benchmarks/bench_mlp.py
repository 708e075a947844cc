"""Epoch time of the NumPy MLP (``ml2llm.neural``) vs a PyTorch CPU MLP of the same architecture.

Side by side in one process: the same data (synthetic, MNIST-shaped: 784 features, 10 classes),
the same architecture (784 → 256 → 256 → 10, ReLU), the same mini-batches (128), softmax
cross-entropy and SGD with momentum 0.9. One "epoch" = forward, loss, backward and update on
every mini-batch. Both run in float64 (our layers' dtype; the same arithmetic), and PyTorch in
float32 is printed for reference.

Threads: NumPy's BLAS and PyTorch get the same number of threads (``--threads``, default 1,
set with ``threadpoolctl`` for NumPy and ``torch.set_num_threads`` for PyTorch), so the ratio
compares implementations, not thread counts. Each timing is the median of ``--repeats`` epochs
after one warm-up epoch; the printed ratio is median(NumPy) / median(PyTorch float64).
Goal (issue 7): ratio <= 1.5.

Run: ``python benchmarks/bench_mlp.py [--quick] [--threads N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from ml2llm.neural.losses import SoftmaxCrossEntropy
from ml2llm.neural.model import make_mlp
from ml2llm.neural.optim import SGD

SIZES = [784, 256, 256, 10]


def numpy_epoch(model, opt, X, y, batches):
    loss_fn = SoftmaxCrossEntropy()
    for idx in batches:
        loss_fn.forward(model.forward(X[idx]), y[idx])
        model.backward(loss_fn.backward())
        opt.step()


def torch_epoch(model, opt, X, y, batches):
    for idx in batches:
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        loss.backward()
        opt.step()


def torch_mlp(dtype):
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(dtype)


def median_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 096 samples, 3 repeats")
    ap.add_argument("--threads", type=int, default=1, help="BLAS/PyTorch threads (default 1)")
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    n = 4096 if args.quick else 16384
    repeats = args.repeats or (3 if args.quick else 7)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=n)
    batches = list(rng.permutation(n).reshape(-1, 128))
    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        blas = ", ".join(
            f"{i['internal_api']} ({i['num_threads']} threads)"
            for i in threadpool_info()
            if i["user_api"] == "blas"
        )
        print(
            f"{n} samples, MLP {SIZES}, batch 128, SGD momentum; threads = {args.threads} "
            f"(NumPy BLAS: {blas}; torch.get_num_threads() = {torch.get_num_threads()})"
        )
        ours = make_mlp(SIZES, random_state=0)
        opt = SGD(ours.parameters(), lr=0.01, momentum=0.9)
        t_np = median_time(lambda: numpy_epoch(ours, opt, X, y, batches), repeats)
        results = {"NumPy (ml2llm.neural, float64)": t_np}
        for dtype, name in [
            (torch.float64, "PyTorch CPU float64"),
            (torch.float32, "PyTorch CPU float32"),
        ]:
            model = torch_mlp(dtype)
            topt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            Xt, yt = torch.tensor(X, dtype=dtype), torch.tensor(y)
            tb = [torch.tensor(b) for b in batches]
            results[name] = median_time(
                lambda m=model, o=topt, a=Xt, b=yt, bs=tb: torch_epoch(m, o, a, b, bs), repeats
            )
    for name, t in results.items():
        print(f"{name:32s} epoch {t * 1000:8.1f} ms   ({n / t:,.0f} samples/s)")
    ratio = t_np / results["PyTorch CPU float64"]
    print(f"ratio NumPy / PyTorch (float64, median of {repeats}): {ratio:.2f}x  (goal <= 1.5x)")
    print(f"ratio NumPy / PyTorch float32: {t_np / results['PyTorch CPU float32']:.2f}x")
    return ratio


if __name__ == "__main__":
    main()
