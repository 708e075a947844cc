"""Fit time of our trees, forests and boosting against scikit-learn, side by side.

Both libraries run single-threaded in one process (``OMP_NUM_THREADS=1``, ``n_jobs=1``) on
the same data with the same hyperparameters:

1. one fully grown ``DecisionTreeClassifier`` on digits (1797 × 64, 10 classes);
2. a 100-tree ``RandomForestClassifier`` on digits (``max_features="sqrt"``);
3. a 100-stage ``GradientBoostingClassifier`` on breast cancer (569 × 30, depth 3).

Each timing is the median of ``--repeats`` fits; the printed ratio is ours / scikit-learn's
(the issue's goal: ≤ 5×). ``--quick`` uses fewer repeats and 20 trees/stages instead of 100.
Run: ``python benchmarks/bench_trees.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn import ensemble as ske
from sklearn import tree as skt
from sklearn.datasets import load_breast_cancer, load_digits

from ml2llm.classical.boosting import GradientBoostingClassifier
from ml2llm.classical.forest import RandomForestClassifier
from ml2llm.classical.tree import DecisionTreeClassifier


def median_time(make, X, y, repeats):
    times = []
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 20 trees/stages")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    n = 20 if args.quick else 100
    Xd, yd = load_digits(return_X_y=True)
    Xb, yb = load_breast_cancer(return_X_y=True)
    cases = [
        ("one tree, digits", Xd, yd,
         lambda: DecisionTreeClassifier(random_state=0),
         lambda: skt.DecisionTreeClassifier(random_state=0)),
        (f"{n}-tree forest, digits", Xd, yd,
         lambda: RandomForestClassifier(n_estimators=n, random_state=0, n_jobs=1),
         lambda: ske.RandomForestClassifier(n_estimators=n, random_state=0, n_jobs=1)),
        (f"{n}-stage boosting, breast cancer", Xb, yb,
         lambda: GradientBoostingClassifier(n_estimators=n, random_state=0),
         lambda: ske.GradientBoostingClassifier(n_estimators=n, random_state=0)),
    ]  # fmt: skip
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs; "
          f"single-threaded; median of {repeats}")  # fmt: skip
    print(f"{'case':34s} {'ours (s)':>9s} {'sklearn (s)':>11s} {'ratio':>7s}")
    ratios = {}
    for name, X, y, ours, ref in cases:
        t_ours = median_time(ours, X, y, repeats)
        t_ref = median_time(ref, X, y, repeats)
        ratios[name] = t_ours / t_ref
        print(f"{name:34s} {t_ours:9.3f} {t_ref:11.3f} {t_ours / t_ref:6.1f}×")
    return ratios


if __name__ == "__main__":
    main()
