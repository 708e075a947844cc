"""Project 01 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def predict(X, w, b):
    return np.dot(X, w) + b


def mse(y_true, y_pred):
    d = np.asarray(y_true, float) - np.asarray(y_pred, float)
    return float(d @ d) / d.size


def gradient(X, y, w, b):
    r = predict(X, w, b) - y
    return 2 * np.einsum("ij,i->j", X, r) / len(y), 2 * np.mean(r)


def gd_step(X, y, w, b, learning_rate):
    gw, gb = gradient(X, y, w, b)
    return w - learning_rate * gw, b - learning_rate * gb


def gradient_descent(X, y, learning_rate=0.1, n_iter=100):
    w, b, hist = np.zeros(X.shape[1]), 0.0, np.empty(n_iter)
    for k in range(n_iter):
        hist[k] = mse(y, predict(X, w, b))
        w, b = gd_step(X, y, w, b, learning_rate)
    return w, b, hist


def normal_equation(X, y):
    A = np.hstack([X, np.ones((len(X), 1))])  # ones last: a different but valid layout
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)
    return theta[:-1], theta[-1]


REFERENCES = {
    "p01.predict": predict,
    "p01.mse": mse,
    "p01.gradient": gradient,
    "p01.gd_step": gd_step,
    "p01.gradient_descent": gradient_descent,
    "p01.normal_equation": normal_equation,
}


# --- typical mistakes ------------------------------------------------------------------
def predict_no_bias(X, w, b):
    return X @ w


def predict_loop_wrong_axis(X, w, b):
    return np.array([np.sum(X[:, j] * w[j]) for j in range(len(w))]) + b


def mse_sum(y_true, y_pred):
    return np.sum((y_true - y_pred) ** 2)


def mse_rmse(y_true, y_pred):
    return np.sqrt(np.mean((y_true - y_pred) ** 2))


def mse_abs(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred))


def grad_sign(X, y, w, b):
    r = y - (X @ w + b)
    return 2 / len(y) * X.T @ r, 2 / len(y) * r.sum()


def grad_no_mean(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r, 2 * r.sum()


def grad_no_two(X, y, w, b):
    r = X @ w + b - y
    return X.T @ r / len(y), r.mean()


def grad_wrong_shape(X, y, w, b):
    r = X @ w + b - y
    return 2 / len(y) * X @ X.T @ r, 2 * r.mean()


def step_plus(X, y, w, b, learning_rate):
    gw, gb = gradient(X, y, w, b)
    return w + learning_rate * gw, b + learning_rate * gb


def step_in_place(X, y, w, b, learning_rate):
    gw, gb = gradient(X, y, w, b)
    w -= learning_rate * gw
    return w, b - learning_rate * gb


def step_forgets_bias(X, y, w, b, learning_rate):
    gw, _ = gradient(X, y, w, b)
    return w - learning_rate * gw, b


def gd_logs_after_step(X, y, learning_rate=0.1, n_iter=100):
    w, b, hist = np.zeros(X.shape[1]), 0.0, []
    for _ in range(n_iter):
        w, b = gd_step(X, y, w, b, learning_rate)
        hist.append(mse(y, predict(X, w, b)))
    return w, b, np.array(hist)


def gd_off_by_one(X, y, learning_rate=0.1, n_iter=100):
    w, b, hist = np.zeros(X.shape[1]), 0.0, []
    for _ in range(n_iter + 1):
        hist.append(mse(y, predict(X, w, b)))
        if len(hist) <= n_iter:
            w, b = gd_step(X, y, w, b, learning_rate)
    return w, b, np.array(hist)


def ne_no_ones(X, y):
    return np.linalg.inv(X.T @ X) @ X.T @ y, 0.0


def ne_returns_theta(X, y):
    A = np.column_stack([np.ones(len(X)), X])
    return np.linalg.solve(A.T @ A, A.T @ y)


def ne_swapped(X, y):
    w, b = normal_equation(X, y)
    return b, w


MISTAKES = {
    "p01.predict": [
        (predict_no_bias, "forgot to add the bias"),
        (predict_loop_wrong_axis, "expected shape"),
    ],
    "p01.mse": [
        (mse_sum, "average over samples"),
        (mse_rmse, "do not take the square root"),
        (mse_abs, "square the errors"),
    ],
    "p01.gradient": [
        (grad_sign, "sign error"),
        (grad_no_mean, "divide by n"),
        (grad_no_two, "factor 2"),
        (grad_wrong_shape, "expected shape (1,)"),
    ],
    "p01.gd_step": [
        (step_plus, "against"),
        (step_in_place, "in place"),
        (step_forgets_bias, "update the bias"),
    ],
    "p01.gradient_descent": [
        (gd_logs_after_step, "before each step"),
        (gd_off_by_one, "off by one"),
    ],
    "p01.normal_equation": [
        (ne_no_ones, "column of ones"),
        (ne_returns_theta, "expected a tuple of 2"),
        (ne_swapped, "(w, b) in that order"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
