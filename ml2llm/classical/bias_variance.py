"""Bias–variance decomposition by simulation, and learning curves.

For a regression target :math:`y = f(x) + \\varepsilon`, :math:`\\varepsilon \\sim \\mathcal N(0, \\sigma^2)`,
and a learning algorithm that returns :math:`\\hat f_D` when trained on a random training
set :math:`D`, the expected squared error at a test input :math:`x` splits exactly into

.. math:: \\mathbb E_{D,\\varepsilon}\\big[(y - \\hat f_D(x))^2\\big]
          = \\underbrace{\\big(\\mathbb E_D \\hat f_D(x) - f(x)\\big)^2}_{\\text{bias}^2}
          + \\underbrace{\\operatorname{Var}_D \\hat f_D(x)}_{\\text{variance}}
          + \\underbrace{\\sigma^2}_{\\text{noise}} .

:func:`simulate_predictions` draws ``n_datasets`` training sets from a known ``f`` and
records each fitted model's predictions on a fixed test grid; :func:`bias_variance` turns
those into bias² and variance (averaged over the grid); :func:`decompose` does both and
also measures the expected test error on fresh noisy targets, so the identity above can be
checked numerically (:attr:`Decomposition.residual` is its Monte-Carlo error).
:func:`learning_curve` gives train/validation error against the training-set size.

The learner is any ``fit_predict(x_train, y_train, x_test) -> predictions`` callable on 1-D
inputs; :func:`polynomial_fit_predict` builds one for polynomial least squares / ridge, and
:func:`estimator_fit_predict` wraps any scikit-learn regressor.

Not here: classification losses (0-1 loss has no additive decomposition), multi-dimensional
inputs in the simulation helpers.

>>> import numpy as np
>>> preds = np.array([[1.0, 2.0], [3.0, 2.0]])  # 2 training sets, 2 test points
>>> bias_variance(preds, np.array([2.0, 1.0]))
(0.5, 0.5)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone


# ----------------------------------------------------------------- exercise references
def simulate_predictions(
    fit_predict, f, x_test, n_train, n_datasets, noise_std, seed=None, x_train=None
):
    """Predictions of ``n_datasets`` models, each trained on a fresh sample; shape (n_datasets, len(x_test)).

    With ``rng = np.random.default_rng(seed)``, each training set is drawn in this order:
    ``x = rng.uniform(-1, 1, n_train)`` (skipped when a fixed design ``x_train`` is given),
    then ``y = f(x) + noise_std * rng.normal(size=n_train)``.
    """
    rng = np.random.default_rng(seed)
    x_test = np.asarray(x_test, dtype=float)
    preds = np.empty((n_datasets, x_test.shape[0]))
    for d in range(n_datasets):
        x = rng.uniform(-1.0, 1.0, n_train) if x_train is None else np.asarray(x_train, float)
        y = f(x) + noise_std * rng.normal(size=x.shape[0])
        preds[d] = fit_predict(x, y, x_test)
    return preds


def bias_variance(predictions, f_true):
    """``(bias², variance)`` averaged over test points from predictions (n_datasets, n_points).

    ``bias² = mean_x (mean_D ŷ − f)²`` and ``variance = mean_x Var_D ŷ`` (population variance,
    ``ddof=0``, so that bias² + variance equals the mean squared distance to ``f``).
    """
    predictions = np.asarray(predictions, dtype=float)
    mean_pred = predictions.mean(axis=0)
    bias2 = np.mean((mean_pred - f_true) ** 2)
    variance = np.mean(predictions.var(axis=0))
    return float(bias2), float(variance)


def learning_curve(fit_predict, x_train, y_train, x_val, y_val, sizes):
    """Train and validation MSE of models fitted on the first ``m`` training samples.

    Returns ``(train_mse, val_mse)``, arrays of ``len(sizes)``; the train error is measured
    on the ``m`` samples the model saw.
    """
    train_mse, val_mse = [], []
    for m in sizes:
        xm, ym = x_train[:m], y_train[:m]
        train_mse.append(np.mean((fit_predict(xm, ym, xm) - ym) ** 2))
        val_mse.append(np.mean((fit_predict(xm, ym, x_val) - y_val) ** 2))
    return np.array(train_mse), np.array(val_mse)


# ----------------------------------------------------------------- learners
def polynomial_fit_predict(degree, alpha=0.0):
    """A ``fit_predict`` for polynomial least squares (``alpha=0``) or ridge on 1-D inputs.

    Degree 0 predicts the training mean. Least squares uses the SVD (``lstsq``), which is
    stable for high degrees on [-1, 1]; ridge penalises the coefficients of ``x … x^degree``
    (not the intercept) with scikit-learn's scaling ``‖y − Xw − b‖² + α‖w‖²``.
    """
    if not (isinstance(degree, numbers.Integral) and degree >= 0):
        raise ValueError(f"degree must be a non-negative integer, got {degree!r}")
    if not (isinstance(alpha, numbers.Real) and alpha >= 0):
        raise ValueError(f"alpha must be a non-negative number, got {alpha!r}")

    def fit_predict(x, y, x_new):
        x, x_new = np.asarray(x, float).reshape(-1), np.asarray(x_new, float).reshape(-1)
        if degree == 0:
            return np.full(x_new.shape[0], np.mean(y))
        powers = np.arange(1, degree + 1)
        P, P_new = x[:, None] ** powers, x_new[:, None] ** powers
        if alpha == 0:
            A = np.column_stack([np.ones(len(x)), P])
            theta = np.linalg.lstsq(A, y, rcond=None)[0]
            return theta[0] + P_new @ theta[1:]
        mu, ym = P.mean(axis=0), np.mean(y)
        Pc = P - mu
        w = np.linalg.solve(Pc.T @ Pc + alpha * np.eye(degree), Pc.T @ (y - ym))
        return ym + (P_new - mu) @ w

    fit_predict.__name__ = f"poly{degree}" + (f"_ridge{alpha:g}" if alpha else "")
    return fit_predict


def estimator_fit_predict(estimator):
    """Wrap a scikit-learn regressor (cloned at every call) as a 1-D ``fit_predict``."""

    def fit_predict(x, y, x_new):
        model = clone(estimator).fit(np.asarray(x, float).reshape(-1, 1), y)
        return model.predict(np.asarray(x_new, float).reshape(-1, 1))

    return fit_predict


# ----------------------------------------------------------------- the whole experiment
@dataclass
class Decomposition:
    """Result of :func:`decompose` (all values averaged over the test grid)."""

    bias2: float
    variance: float
    noise: float
    expected_mse: float
    predictions: np.ndarray

    @property
    def total(self) -> float:
        """bias² + variance + noise: the theoretical expected test MSE."""
        return self.bias2 + self.variance + self.noise

    @property
    def residual(self) -> float:
        """``expected_mse − total``: zero up to Monte-Carlo error."""
        return self.expected_mse - self.total


def decompose(
    fit_predict, f, x_test, n_train=30, n_datasets=200, noise_std=0.3, seed=None, x_train=None
):
    """Simulate, decompose, and measure the expected test error on fresh noisy targets.

    Each simulated model is scored against its own fresh draw ``f(x_test) + noise_std·ε``, so
    ``expected_mse`` estimates the left-hand side of the decomposition independently.
    """
    for name, value in (("n_train", n_train), ("n_datasets", n_datasets)):
        if not (isinstance(value, numbers.Integral) and value >= 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not (isinstance(noise_std, numbers.Real) and noise_std >= 0):
        raise ValueError(f"noise_std must be a non-negative number, got {noise_std!r}")
    x_test = np.asarray(x_test, dtype=float)
    if x_test.ndim != 1 or x_test.size == 0:
        raise ValueError(f"x_test must be a non-empty 1-D array, got shape {x_test.shape}")
    preds = simulate_predictions(
        fit_predict, f, x_test, n_train, n_datasets, noise_std, seed, x_train
    )
    f_true = f(x_test)
    bias2, variance = bias_variance(preds, f_true)
    rng = np.random.default_rng(None if seed is None else seed + 1)
    y_fresh = f_true + noise_std * rng.normal(size=preds.shape)
    expected = float(np.mean((preds - y_fresh) ** 2))
    return Decomposition(bias2, variance, float(noise_std) ** 2, expected, preds)
