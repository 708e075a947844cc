"""Fit time of the linear-model family (Projects 01–04) against scikit-learn, side by side.

Each row fits our estimator and scikit-learn's on the same bundled dataset in the same
process, at comparable tolerance (same objective scaling and the same kind of stopping rule),
``--repeats`` times each, and prints the median times and the ratio ours / sklearn. It also
prints the largest coefficient difference so a fast-but-wrong fit cannot hide. (For the
lasso rows that difference is mostly scikit-learn's: at its default ``tol=1e-4`` it stops up
to a few units away from the optimum on diabetes, while ours ends with a support solve that
its duality gap certifies; ``tests/classical/test_regularization.py`` checks ours against
scikit-learn run to ``tol=1e-14``.)

Goals (issue 3): ≤ 2× for closed-form least squares and ridge; ≤ 3× for logistic, softmax
and lasso. BLAS is limited to one thread for both sides (tiny matrices; threads only add
noise on a shared machine).

Run: ``python benchmarks/bench_linear_models.py [--quick] [--repeats N]``.
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
from sklearn import linear_model as sklm
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ml2llm.classical.linear_regression import LinearRegressionNormalEq
from ml2llm.classical.logistic_regression import LogisticRegression
from ml2llm.classical.regularization import ElasticNet, Lasso, Ridge
from ml2llm.classical.softmax_regression import SoftmaxRegression


def median_time(make, X, y, repeats):
    times, model = [], None
    for _ in range(repeats):
        est = make()
        t0 = time.perf_counter()
        model = est.fit(X, y)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), model


def cases():
    Xd, yd = load_diabetes(return_X_y=True)
    Xc, yc = load_breast_cancer(return_X_y=True)
    Xc = StandardScaler().fit_transform(Xc)
    Xg, yg = load_digits(return_X_y=True)
    Xg = StandardScaler().fit_transform(Xg)
    tol = 1e-6  # gradient max-norm for Newton / L-BFGS on both sides (same objective scaling)
    return [
        (
            "closed-form OLS",
            "diabetes",
            2.0,
            Xd,
            yd,
            LinearRegressionNormalEq,
            sklm.LinearRegression,
        ),
        (
            "ridge closed form (α=1)",
            "diabetes",
            2.0,
            Xd,
            yd,
            lambda: Ridge(alpha=1.0),
            lambda: sklm.Ridge(alpha=1.0),
        ),
        (
            "logistic, Newton vs lbfgs (C=1)",
            "breast_cancer",
            3.0,
            Xc,
            yc,
            lambda: LogisticRegression(C=1.0, tol=tol),
            lambda: sklm.LogisticRegression(C=1.0, tol=tol, max_iter=1000),
        ),
        (
            "softmax, L-BFGS (C=0.1)",
            "digits",
            3.0,
            Xg,
            yg,
            lambda: SoftmaxRegression(C=0.1, tol=tol),
            lambda: sklm.LogisticRegression(C=0.1, tol=tol, max_iter=1000),
        ),
        (
            "lasso, CD (α=1)",
            "diabetes",
            3.0,
            Xd,
            yd,
            lambda: Lasso(alpha=1.0),
            lambda: sklm.Lasso(alpha=1.0),
        ),
        (
            "lasso, CD (α=0.1)",
            "diabetes",
            3.0,
            Xd,
            yd,
            lambda: Lasso(alpha=0.1),
            lambda: sklm.Lasso(alpha=0.1),
        ),
        (
            "lasso, CD (α=0.01)",
            "diabetes",
            3.0,
            Xd,
            yd,
            lambda: Lasso(alpha=0.01),
            lambda: sklm.Lasso(alpha=0.01),
        ),
        (
            "elastic net, CD (α=0.01, ρ=0.5)",
            "diabetes",
            3.0,
            Xd,
            yd,
            lambda: ElasticNet(alpha=0.01, l1_ratio=0.5),
            lambda: sklm.ElasticNet(alpha=0.01, l1_ratio=0.5),
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 31)
    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, data, goal, X, y, ours, theirs in cases():
            median_time(ours, X, y, 2)  # warm-up (imports, caches)
            median_time(theirs, X, y, 2)
            t_ours, m_ours = median_time(ours, X, y, repeats)
            t_sk, m_sk = median_time(theirs, X, y, repeats)
            diff = np.abs(np.ravel(m_ours.coef_) - np.ravel(m_sk.coef_)).max()
            rows.append((name, data, t_ours, t_sk, t_ours / t_sk, goal, diff))
    print(f"median of {repeats} fits, one BLAS thread\n")
    print(
        f"{'model':34s} {'dataset':14s} {'ours ms':>9s} {'sklearn ms':>10s} {'ratio':>6s} "
        f"{'goal':>5s} {'max |Δcoef|':>11s}"
    )
    for name, data, t_o, t_s, ratio, goal, diff in rows:
        flag = "" if ratio <= goal else "  > goal"
        print(
            f"{name:34s} {data:14s} {t_o * 1e3:9.3f} {t_s * 1e3:10.3f} {ratio:6.2f} "
            f"{goal:4.0f}× {diff:11.1e}{flag}"
        )
    return rows


if __name__ == "__main__":
    main()
