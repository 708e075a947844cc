"""SVM training speed: our SMO (``KernelSVM``) and Pegasos (``LinearSVM``) vs scikit-learn.

Side by side in one process, on the standardised breast-cancer data (569 × 30) and on moons:
fit time of ``KernelSVM`` vs ``SVC`` (libsvm, C++) for the RBF and linear kernels, and of
``LinearSVM`` vs ``LinearSVC(loss="hinge")`` (liblinear). Each time is the median of
``--repeats`` runs; the printed ratio is ours / scikit-learn's (> 1 means ours is slower).
The support-vector counts and decision-function correlation are printed alongside, so a
speed-up can never hide a different answer. ``--quick`` uses fewer repeats and a smaller
moons set. Run: ``python benchmarks/bench_svm.py [--quick]``.
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
from sklearn.datasets import load_breast_cancer, make_moons
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from ml2llm.classical.svm import KernelSVM, LinearSVM


def median_time(make, X, y, repeats):
    times, model = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        model = make().fit(X, y)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller data")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    Xc, yc = load_breast_cancer(return_X_y=True)
    Xc = StandardScaler().fit_transform(Xc)
    Xm, ym = make_moons(500 if args.quick else 2000, noise=0.3, random_state=0)
    rows = [
        ("cancer", Xc, yc, "SMO rbf", lambda: KernelSVM(), lambda: SVC()),
        (
            "cancer",
            Xc,
            yc,
            "SMO linear",
            lambda: KernelSVM(kernel="linear"),
            lambda: SVC(kernel="linear"),
        ),
        ("moons", Xm, ym, "SMO rbf", lambda: KernelSVM(), lambda: SVC()),
        (
            "cancer",
            Xc,
            yc,
            "Pegasos",
            lambda: LinearSVM(random_state=0),
            lambda: LinearSVC(loss="hinge", max_iter=200_000),
        ),
        (
            "moons",
            Xm,
            ym,
            "Pegasos",
            lambda: LinearSVM(random_state=0),
            lambda: LinearSVC(loss="hinge", max_iter=200_000),
        ),
    ]
    print(
        f"{'data':7s} {'solver':11s} {'n':>5s} {'ours (s)':>9s} {'sklearn (s)':>11s} {'ratio':>7s} "
        f"{'SVs ours/sk':>12s} {'corr(f)':>8s}"
    )
    for data, X, y, name, ours, theirs in rows:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_o, m_o = median_time(ours, X, y, repeats)
            t_s, m_s = median_time(theirs, X, y, repeats)
        r = np.corrcoef(m_o.decision_function(X), m_s.decision_function(X))[0, 1]
        svs = f"{len(m_o.support_)}/{len(m_s.support_)}" if hasattr(m_o, "support_") else "—"
        print(
            f"{data:7s} {name:11s} {len(X):5d} {t_o:9.4f} {t_s:11.4f} {t_o / t_s:7.1f} {svs:>12s} {r:8.5f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
