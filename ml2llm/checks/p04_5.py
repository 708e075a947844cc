"""Checks for Project 04.5 — bias–variance (simulating many training sets, the bias²/variance
decomposition, learning curves). References are in :mod:`ml2llm.classical.bias_variance`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import bias_variance as ref


def _wave(x):
    return np.sin(2.5 * x) + 0.5 * x


def _line(x):
    return 1.0 - 2.0 * x


_MEAN = ref.polynomial_fit_predict(0)
_LINEAR = ref.polynomial_fit_predict(1)
_CUBIC = ref.polynomial_fit_predict(3)


# ----------------------------------------------------------------- simulation
def _sim_cases():
    grid = np.linspace(-1, 1, 7)
    return [
        Case(
            (_MEAN, _line, grid, 5, 3, 0.5),
            {"seed": 0},
            label="fit_predict=mean of y, f(x)=1−2x, 7 test points, n_train=5, n_datasets=3, noise_std=0.5, seed=0",
        ),
        Case(
            (_LINEAR, _wave, grid, 10, 4, 0.3),
            {"seed": 1},
            label="fit_predict=straight line, f=sin(2.5x)+x/2, n_train=10, n_datasets=4, noise_std=0.3, seed=1",
        ),
        Case(
            (_CUBIC, _wave, grid, 12, 2, 0.0),
            {"seed": 2},
            label="cubic fit, noise_std=0 (only the inputs x vary), seed=2",
        ),
    ]


def _sim_variant(fresh=True, noise=True, x_first=True, scale=True):
    def wrong(fit_predict, f, x_test, n_train, n_datasets, noise_std, seed=None):
        rng = np.random.default_rng(seed)
        preds = np.empty((n_datasets, len(x_test)))
        data = None
        for d in range(n_datasets):
            if data is None or fresh:
                if x_first:
                    x = rng.uniform(-1, 1, n_train)
                    eps = rng.normal(size=n_train)
                else:
                    eps = rng.normal(size=n_train)
                    x = rng.uniform(-1, 1, n_train)
                y = f(x) + ((noise_std if scale else 1.0) * eps if noise else 0.0)
                data = (x, y)
            preds[d] = fit_predict(*data, x_test)
        return preds

    return wrong


register(
    Check(
        "p04_5.simulate",
        reference=ref.simulate_predictions,
        cases=_sim_cases,
        hint="rng = np.random.default_rng(seed); for each dataset: x = rng.uniform(-1, 1, n_train), "
        "y = f(x) + noise_std·rng.normal(size=n_train), preds[d] = fit_predict(x, y, x_test).",
        mistakes=[
            Mistake(
                "same data",
                _sim_variant(fresh=False),
                "draw a fresh training set inside the loop: reusing one set hides all the variance.",
            ),
            Mistake("no noise", _sim_variant(noise=False), "add the noise noise_std·ε to f(x)."),
            Mistake(
                "noise first",
                _sim_variant(x_first=False),
                "draw x first, then the noise (the order fixes which random numbers go where).",
            ),
            Mistake(
                "unscaled noise",
                _sim_variant(scale=False),
                "multiply the standard normal noise by noise_std.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- decomposition
def _bv_cases():
    rng = np.random.default_rng(3)
    P = rng.normal(size=(6, 5)) + np.linspace(0, 1, 5)
    return [
        Case((np.array([[1.0, 2.0], [3.0, 2.0]]), np.array([2.0, 1.0]))),
        Case(
            (np.array([[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]]), np.array([1.0, 1.0, 1.0])),
            hint="mean prediction equals f here: all of the error is variance.",
        ),
        Case(
            (np.tile([1.0, -1.0, 0.5], (4, 1)), np.zeros(3)),
            hint="identical predictions for every training set: zero variance.",
        ),
        Case(
            (P, np.linspace(0, 1, 5)),
            label="predictions (6 datasets, 5 points), f = linspace(0, 1, 5)",
        ),
    ]


def _bv_total(P, f):
    return float(np.mean((P - f) ** 2)), float(np.mean(P.var(axis=0)))


def _bv_mean_before_square(P, f):
    return float(np.mean(P.mean(axis=0) - f) ** 2), float(np.mean(P.var(axis=0)))


register(
    Check(
        "p04_5.bias_variance",
        reference=ref.bias_variance,
        cases=_bv_cases,
        hint="m = predictions.mean(axis=0); bias² = mean((m − f)²); variance = mean(predictions.var(axis=0)).",
        mistakes=[
            Mistake(
                "ddof 1",
                lambda P, f: (ref.bias_variance(P, f)[0], float(np.mean(P.var(axis=0, ddof=1)))),
                "use the population variance (ddof=0) so that bias² + variance is the mean squared error around f.",
            ),
            Mistake(
                "total",
                _bv_total,
                "bias² compares the *average* prediction with f: average over datasets first, then square.",
            ),
            Mistake(
                "mean before square",
                _bv_mean_before_square,
                "square the bias at each test point, then average over points (errors of opposite sign must not cancel).",
            ),
            Mistake(
                "axis",
                lambda P, f: (ref.bias_variance(P, f)[0], float(np.mean(P.var(axis=1)))),
                "variance is across training sets (axis=0) at each test point, not across test points.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- learning curve
def _lc_cases():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, 40)
    y = _wave(x) + 0.3 * rng.normal(size=40)
    xv = rng.uniform(-1, 1, 30)
    yv = _wave(xv) + 0.3 * rng.normal(size=30)
    return [
        Case(
            (_LINEAR, x, y, xv, yv, [5, 10, 40]),
            label="straight-line fit, 40 training / 30 validation points, sizes [5, 10, 40]",
        ),
        Case((_CUBIC, x, y, xv, yv, [6, 20]), label="cubic fit, sizes [6, 20]"),
    ]


def _lc_full_train(fit_predict, x_train, y_train, x_val, y_val, sizes):
    tr, va = [], []
    for m in sizes:
        tr.append(np.mean((fit_predict(x_train[:m], y_train[:m], x_train) - y_train) ** 2))
        va.append(np.mean((fit_predict(x_train[:m], y_train[:m], x_val) - y_val) ** 2))
    return np.array(tr), np.array(va)


def _lc_off_by_one(fit_predict, x_train, y_train, x_val, y_val, sizes):
    return ref.learning_curve(fit_predict, x_train, y_train, x_val, y_val, [m + 1 for m in sizes])


register(
    Check(
        "p04_5.learning_curve",
        reference=ref.learning_curve,
        cases=_lc_cases,
        hint="for each m: fit on x_train[:m], y_train[:m]; train MSE on those m points, validation MSE "
        "on (x_val, y_val); return two arrays.",
        mistakes=[
            Mistake(
                "train on all",
                _lc_full_train,
                "measure the training error on the m samples the model was fitted on, not on the whole training set.",
            ),
            Mistake(
                "off by one",
                _lc_off_by_one,
                "off by one: use exactly the first m samples, x_train[:m].",
            ),
            Mistake(
                "swapped",
                lambda *a: tuple(reversed(ref.learning_curve(*a))),
                "return (train_mse, val_mse) in that order.",
            ),
        ],
    )
)
