"""Classification metrics and SMOTE: ours (NumPy) vs scikit-learn / imbalanced-learn.

Side by side in one process, on the same random inputs (scores with ties, 3-class labels):
ROC AUC (curve + trapezoids, and the rank formula), average precision, multi-class macro F1,
log-loss, the confusion matrix, and SMOTE against imbalanced-learn when it is installed.
Each timing is the median of ``--repeats`` runs; the printed ratio is ours / reference
(< 1 means ours is faster). No speed goal is claimed: the point is that from-scratch NumPy
code is in the same league, so learners can use it on real data.

Run: ``python benchmarks/bench_metrics.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import sklearn.metrics as skm

from ml2llm.classical import imbalance as imb
from ml2llm.metrics import classification as cm


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, few repeats")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else 1_000_000
    repeats = args.repeats or (3 if args.quick else 7)
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.3).astype(int)
    s = np.round(rng.random(n) + 0.3 * y, 3)  # ties on a 0.001 grid
    y3, p3 = rng.integers(0, 3, n), rng.integers(0, 3, n)
    P = rng.dirichlet(np.ones(3), size=n)
    n_smote = 2_000 if args.quick else 20_000
    Xs = rng.normal(size=(n_smote, 8))
    ys = (rng.random(n_smote) < 0.1).astype(int)
    cases = [
        ("roc_auc_score", lambda: cm.roc_auc_score(y, s), lambda: skm.roc_auc_score(y, s)),
        (
            "roc_auc_rank (Mann-Whitney)",
            lambda: cm.roc_auc_rank(y, s),
            lambda: skm.roc_auc_score(y, s),
        ),
        (
            "average_precision_score",
            lambda: cm.average_precision_score(y, s),
            lambda: skm.average_precision_score(y, s),
        ),
        (
            "f1_score macro, 3 classes",
            lambda: cm.f1_score(y3, p3, average="macro"),
            lambda: skm.f1_score(y3, p3, average="macro"),
        ),
        (
            "confusion_matrix, 3 classes",
            lambda: cm.confusion_matrix(y3, p3),
            lambda: skm.confusion_matrix(y3, p3),
        ),
        ("log_loss, 3 classes", lambda: cm.log_loss(y3, P), lambda: skm.log_loss(y3, P)),
    ]
    try:
        from imblearn.over_sampling import SMOTE

        cases.append(
            (
                f"SMOTE ({n_smote} x 8, 10 % minority)",
                lambda: imb.smote(Xs, ys, 5, 0),
                lambda: SMOTE(random_state=0).fit_resample(Xs, ys),
            )
        )
    except ImportError:
        print("imbalanced-learn not installed: SMOTE row skipped")
    print(f"n = {n:,} samples, median of {repeats} repeats")
    print(f"{'metric':36s} {'ours (ms)':>10s} {'reference (ms)':>15s} {'ratio':>7s}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, ours, ref in cases:
            a, b = ours(), ref()  # warm-up, and check they agree
            if not isinstance(a, tuple):
                np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-9)
            t_ours, t_ref = median_time(ours, repeats), median_time(ref, repeats)
            print(f"{name:36s} {1e3 * t_ours:10.2f} {1e3 * t_ref:15.2f} {t_ours / t_ref:7.2f}")


if __name__ == "__main__":
    main()
