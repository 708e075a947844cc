"""Checks for Project 01 — linear regression (predict, MSE, gradient, GD step, GD loop,
normal equation). References are in :mod:`ml2llm.classical.linear_regression`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import linear_regression as ref


def _data(n, d, seed, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    return X, X @ w + 0.7 + noise * rng.normal(size=n), rng.normal(size=d), float(rng.normal())


def _predict_cases():
    X, _, w, b = _data(6, 3, 0)
    return [
        Case((np.array([[1.0], [2.0]]), np.array([3.0]), 0.5)),
        Case((np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -1.0]), 2.0)),
        Case((X, w, b), label="X of shape (6, 3), random w and b"),
        Case(
            (np.array([[1.0, -1.0, 2.0]]), np.array([1.0, 1.0, 1.0]), 0.0),
            hint="a single sample must still give an array of shape (1,).",
        ),
    ]


register(
    Check(
        "p01.predict",
        reference=ref.predict,
        cases=_predict_cases,
        hint="ŷ = X @ w + b: one dot product per row of X, plus the bias.",
        mistakes=[
            Mistake("no bias", lambda X, w, b: X @ w, "you forgot to add the bias b."),
            Mistake(
                "bias times", lambda X, w, b: (X @ w) * b, "add the bias, don't multiply by it."
            ),
            Mistake(
                "sum features",
                lambda X, w, b: X.sum(axis=1) * w.sum() + b,
                "use a dot product X @ w, not separate sums.",
            ),
        ],
    )
)


def _mse_cases():
    rng = np.random.default_rng(1)
    return [
        Case((np.array([1.0, 2.0]), np.array([1.0, 4.0]))),
        Case((np.array([3.0, -1.0, 2.0]), np.array([2.5, 0.0, 2.0]))),
        Case(
            (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])), hint="a perfect fit has MSE 0."
        ),
        Case((np.array([5.0]), np.array([2.0])), hint="one sample: MSE is that squared error."),
        Case((rng.normal(size=50), rng.normal(size=50)), label="y_true, y_pred: 50 random values"),
    ]


register(
    Check(
        "p01.mse",
        reference=ref.mse,
        cases=_mse_cases,
        hint="MSE = (1/n) Σ (y_i − ŷ_i)².",
        mistakes=[
            Mistake(
                "sum", lambda y, p: np.sum((y - p) ** 2), "average over samples (divide by n)."
            ),
            Mistake(
                "rmse",
                lambda y, p: np.sqrt(np.mean((y - p) ** 2)),
                "that is the RMSE: do not take the square root.",
            ),
            Mistake(
                "mae", lambda y, p: np.mean(np.abs(y - p)), "square the errors; |·| gives the MAE."
            ),
            Mistake(
                "no square",
                lambda y, p: np.mean(y - p),
                "square each error before averaging; plain differences cancel out.",
            ),
            Mistake(
                "half",
                lambda y, p: 0.5 * np.mean((y - p) ** 2),
                "no factor 1/2 here: that convention belongs to some textbooks' loss, not MSE.",
            ),
        ],
    )
)


def _grad_cases():
    X, y, w, b = _data(8, 3, 2)
    X1, y1, w1, b1 = _data(5, 1, 3)
    return [
        Case((np.array([[1.0], [2.0]]), np.array([2.0, 4.0]), np.array([0.0]), 0.0)),
        Case((X1, y1, w1, b1), label="X of shape (5, 1), random y, w, b"),
        Case((X, y, w, b), label="X of shape (8, 3), random y, w, b"),
        Case((X, X @ w + b, w, b), label="a perfect fit (gradient must be zero)"),
    ]


def _grad_variant(scale_w=2.0, scale_b=2.0, sign=1.0, mean=True):
    def wrong(X, y, w, b):
        r = sign * (X @ w + b - y)
        n = X.shape[0] if mean else 1
        return scale_w / n * (X.T @ r), scale_b / n * r.sum()

    return wrong


register(
    Check(
        "p01.gradient",
        reference=ref.mse_gradient,
        cases=_grad_cases,
        hint="∇w = (2/n) Xᵀ(ŷ − y) and ∂b = (2/n) Σ(ŷ − y); return them as a tuple (grad_w, grad_b).",
        mistakes=[
            Mistake(
                "sign",
                _grad_variant(sign=-1.0),
                "sign error: use the residual ŷ − y (prediction minus target), not y − ŷ.",
            ),
            Mistake(
                "no 2",
                _grad_variant(scale_w=1.0, scale_b=1.0),
                "the derivative of (ŷ − y)² brings down a factor 2.",
            ),
            Mistake("no 1/n", _grad_variant(mean=False), "divide by n: the MSE is an average."),
            Mistake(
                "no bias grad",
                lambda X, y, w, b: (ref.mse_gradient(X, y, w, b)[0], 0.0),
                "the bias gradient is (2/n) Σ(ŷ − y), not zero.",
            ),
        ],
    )
)


def _step_cases():
    X, y, w, b = _data(10, 2, 4)
    return [
        Case((np.array([[1.0], [2.0]]), np.array([2.0, 4.0]), np.array([0.0]), 0.0, 0.1)),
        Case((X, y, w, b, 0.05), label="X of shape (10, 2), random w, b, learning_rate=0.05"),
        Case((X, y, w, b, 0.0), label="learning_rate=0 (nothing may change)"),
    ]


register(
    Check(
        "p01.gd_step",
        reference=ref.gd_step,
        cases=_step_cases,
        hint="θ ← θ − η ∇L(θ) for both w and b; return the new (w, b).",
        mistakes=[
            Mistake(
                "ascent",
                lambda X, y, w, b, lr: tuple(
                    p + lr * g for p, g in zip((w, b), ref.mse_gradient(X, y, w, b))
                ),
                "step *against* the gradient (minus), otherwise the loss goes up.",
            ),
            Mistake(
                "no lr",
                lambda X, y, w, b, lr: tuple(
                    p - g for p, g in zip((w, b), ref.mse_gradient(X, y, w, b))
                ),
                "multiply the gradient by the learning rate.",
            ),
            Mistake(
                "w only",
                lambda X, y, w, b, lr: (ref.gd_step(X, y, w, b, lr)[0], b),
                "update the bias too: b ← b − η ∂L/∂b.",
            ),
        ],
    )
)


def _loop_cases():
    X, y, _, _ = _data(30, 2, 5)
    Xs, ys, _, _ = _data(12, 1, 6, noise=0.0)
    return [
        Case(
            (Xs, ys),
            {"learning_rate": 0.1, "n_iter": 5},
            label="X (12, 1), learning_rate=0.1, n_iter=5",
        ),
        Case(
            (X, y),
            {"learning_rate": 0.05, "n_iter": 50},
            label="X (30, 2), learning_rate=0.05, n_iter=50",
        ),
        Case((X, y), {"learning_rate": 0.05, "n_iter": 1}, label="n_iter=1 (one loss, one step)"),
    ]


def _loss_after_step(X, y, learning_rate=0.1, n_iter=100):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(n_iter):
        w, b = ref.gd_step(X, y, w, b, learning_rate)
        losses.append(ref.mse(y, ref.predict(X, w, b)))
    return w, b, np.array(losses)


def _one_extra(X, y, learning_rate=0.1, n_iter=100):
    w, b, losses = ref.gradient_descent(X, y, learning_rate, n_iter)
    return w, b, np.append(losses, ref.mse(y, ref.predict(X, w, b)))


register(
    Check(
        "p01.gradient_descent",
        reference=ref.gradient_descent,
        cases=_loop_cases,
        hint="start from w = 0, b = 0; each iteration: record the loss, then take one gd_step.",
        mistakes=[
            Mistake(
                "loss after step",
                _loss_after_step,
                "record the loss before each step, so losses[0] is the loss of the zero model.",
            ),
            Mistake(
                "one extra",
                _one_extra,
                "off by one: exactly n_iter losses, one per step (before it).",
            ),
        ],
    )
)


def _normal_cases():
    X, y, _, _ = _data(20, 3, 7)
    return [
        Case((np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.0]))),
        Case((X, y), label="X of shape (20, 3), noisy y"),
        Case((X[:, :1], y), label="X of shape (20, 1), noisy y"),
    ]


def _no_intercept(X, y):
    return np.linalg.solve(X.T @ X, X.T @ y), 0.0


register(
    Check(
        "p01.normal_equation",
        reference=ref.normal_equation,
        cases=_normal_cases,
        hint="add a column of ones to X, solve (X̃ᵀX̃) θ = X̃ᵀy, then split θ into (w, b).",
        mistakes=[
            Mistake(
                "no intercept column",
                _no_intercept,
                "prepend a column of ones to X so the intercept is fitted too.",
            ),
            Mistake(
                "swapped",
                lambda X, y: tuple(reversed(ref.normal_equation(X, y))),
                "return (w, b) in that order: b is θ[0] (the ones column), w is θ[1:].",
            ),
        ],
    )
)
