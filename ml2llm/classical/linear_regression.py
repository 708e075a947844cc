"""Linear regression from scratch: gradient descent and the normal equation.

The model is :math:`\\hat y = Xw + b`, fitted by minimising the mean squared error

.. math:: L(w, b) = \\frac{1}{n}\\sum_i (\\hat y_i - y_i)^2,\\qquad
          \\nabla_w L = \\frac{2}{n} X^\\top (\\hat y - y),\\quad
          \\partial_b L = \\frac{2}{n}\\sum_i (\\hat y_i - y_i).

Functions here are the reference solutions of Project 01's exercises; the two estimators
wrap them with scikit-learn's API so they work in pipelines and grid search.

- :class:`LinearRegressionGD`: full-batch (or mini-batch) gradient descent with a loss
  history, a tolerance, and divergence detection that explains the stable step size
  :math:`\\eta < 2/\\lambda_{\\max}(H)`, :math:`H = \\frac{2}{n}\\tilde X^\\top \\tilde X`.
- :class:`LinearRegressionNormalEq`: the closed form :math:`(X^\\top X)^{-1} X^\\top y`, solved with
  ``solve`` (``method="normal"``) or the SVD-based least squares (``method="lstsq"``, default,
  also right when :math:`X^\\top X` is singular).

Not here: regularisation (Project 04) and sparse inputs.

>>> import numpy as np
>>> X = np.array([[0.0], [1.0], [2.0]]); y = 1.0 + 2.0 * X[:, 0]
>>> LinearRegressionNormalEq().fit(X, y).coef_.round(6).tolist()
[2.0]
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data


class DivergenceWarning(ConvergenceWarning):
    """Gradient descent's loss blew up: the learning rate is above the stable limit."""


# ----------------------------------------------------------------- exercise references
def predict(X, w, b):
    """Linear predictions ``X @ w + b`` for X of shape (n, d), w (d,), scalar b."""
    return X @ w + b


def mse(y_true, y_pred):
    """Mean squared error ``mean((y_true - y_pred)**2)``."""
    return np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)


def mse_gradient(X, y, w, b):
    """Gradient of the MSE with respect to ``(w, b)``; returns ``(grad_w, grad_b)``."""
    residual = X @ w + b - y
    n = X.shape[0]
    return 2.0 / n * (X.T @ residual), 2.0 / n * residual.sum()


def gd_step(X, y, w, b, learning_rate):
    """One gradient-descent step; returns new ``(w, b)`` and leaves the inputs unchanged."""
    grad_w, grad_b = mse_gradient(X, y, w, b)
    return w - learning_rate * grad_w, b - learning_rate * grad_b


def gradient_descent(X, y, learning_rate=0.1, n_iter=100):
    """Run ``n_iter`` steps from ``w = 0, b = 0``; returns ``(w, b, losses)``.

    ``losses[k]`` is the MSE *before* step ``k``, so ``len(losses) == n_iter`` and
    ``losses[0]`` is the loss of the all-zero model.
    """
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(n_iter):
        losses.append(mse(y, predict(X, w, b)))
        w, b = gd_step(X, y, w, b, learning_rate)
    return w, b, np.array(losses)


def normal_equation(X, y):
    """Closed-form least squares with an intercept; returns ``(w, b)``.

    Solves :math:`\\tilde X^\\top \\tilde X \\theta = \\tilde X^\\top y` with
    :math:`\\tilde X = [1, X]` (a column of ones for the intercept).
    """
    Xb = np.column_stack([np.ones(X.shape[0]), X])
    theta = np.linalg.solve(Xb.T @ Xb, Xb.T @ y)
    return theta[1:], theta[0]


def max_stable_learning_rate(X, fit_intercept=True):
    """Largest step size for which full-batch GD on the MSE converges: ``2 / λ_max(H)``.

    ``H = (2/n) X̃ᵀX̃`` is the (constant) Hessian of the MSE. Along the eigenvector of
    ``λ_max`` the error is multiplied by ``1 - η λ_max`` each step, which shrinks only if
    ``|1 - η λ_max| < 1``, i.e. ``η < 2/λ_max``.
    """
    X = np.asarray(X, dtype=float)
    Xb = np.column_stack([np.ones(X.shape[0]), X]) if fit_intercept else X
    hessian = 2.0 / X.shape[0] * (Xb.T @ Xb)
    return 2.0 / np.linalg.eigvalsh(hessian)[-1]


# ----------------------------------------------------------------- estimators
class LinearRegressionGD(RegressorMixin, BaseEstimator):
    """Least-squares linear regression fitted by (mini-batch) gradient descent.

    Parameters
    ----------
    learning_rate : float, default=0.1
        Step size η. Full-batch GD converges only for η < 2/λ_max(H)
        (see :func:`max_stable_learning_rate`); above that the loss grows geometrically.
    n_iter : int, default=1000
        Maximum number of epochs (passes over the data).
    tol : float or None, default=1e-8
        Stop when the loss improves by less than ``tol * max(1, loss)`` in one epoch.
    fit_intercept : bool, default=True
    batch_size : int or None, default=None
        ``None`` is full-batch GD; an int gives mini-batch SGD with shuffling.
    random_state : int, Generator or None, default=None
        Shuffling seed for mini-batch SGD.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    loss_history_ : ndarray
        Training MSE at the start of each epoch, then the final loss.
    n_iter_ : int
        Epochs run.
    diverged_ : bool
        True when the loss became non-finite or grew by more than 1e6×; a
        :class:`DivergenceWarning` says why and what learning rate would be stable.
    """

    def __init__(
        self,
        learning_rate=0.1,
        n_iter=1000,
        tol=1e-8,
        fit_intercept=True,
        batch_size=None,
        random_state=None,
    ):
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.batch_size = batch_size
        self.random_state = random_state

    def _validate_params_values(self):
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number, got {self.learning_rate!r}")
        if not (isinstance(self.n_iter, (int, np.integer)) and self.n_iter >= 1):
            raise ValueError(f"n_iter must be a positive integer, got {self.n_iter!r}")
        if self.tol is not None and not (isinstance(self.tol, (int, float)) and self.tol >= 0):
            raise ValueError(f"tol must be a non-negative number or None, got {self.tol!r}")
        if self.batch_size is not None and not (
            isinstance(self.batch_size, (int, np.integer)) and self.batch_size >= 1
        ):
            raise ValueError(
                f"batch_size must be a positive integer or None, got {self.batch_size!r}"
            )

    def fit(self, X, y):
        """Fit by gradient descent; returns ``self``."""
        self._validate_params_values()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        n, d = X.shape
        rng = np.random.default_rng(self.random_state)
        w, b = np.zeros(d), 0.0
        fit_b = 1.0 if self.fit_intercept else 0.0
        batch = n if self.batch_size is None else min(self.batch_size, n)
        history = [float(mse(y, X @ w + b))]
        self.diverged_ = False
        epoch = 0
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(1, self.n_iter + 1):
                order = np.arange(n) if batch == n else rng.permutation(n)
                for start in range(0, n, batch):
                    idx = order[start : start + batch]
                    grad_w, grad_b = mse_gradient(X[idx], y[idx], w, b)
                    w = w - self.learning_rate * grad_w
                    b = b - self.learning_rate * grad_b * fit_b
                loss = float(mse(y, X @ w + b))
                history.append(loss)
                if not np.isfinite(loss) or loss > 1e6 * max(history[0], 1e-12):
                    self.diverged_ = True
                    self._warn_divergence(X, history, epoch)
                    break
                if (
                    self.tol is not None
                    and history[-2] - loss < self.tol * max(1.0, loss)
                    and loss <= history[-2]
                ):
                    break
        self.coef_, self.intercept_ = w, float(b)
        self.loss_history_ = np.asarray(history)
        self.n_iter_ = epoch
        return self

    def _warn_divergence(self, X, history, epoch):
        limit = max_stable_learning_rate(X, self.fit_intercept)
        warnings.warn(
            f"gradient descent diverged at epoch {epoch}: the loss grew from {history[0]:.3g} "
            f"to {history[-1]:.3g}. learning_rate={self.learning_rate:g} is above the stable "
            f"limit 2/λ_max(H) = {limit:.3g} for this data; lower it or standardise the features.",
            DivergenceWarning,
            stacklevel=3,
        )

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_


class LinearRegressionNormalEq(RegressorMixin, BaseEstimator):
    """Least-squares linear regression in closed form.

    Parameters
    ----------
    fit_intercept : bool, default=True
    method : {"lstsq", "normal"}, default="lstsq"
        ``"normal"`` solves the normal equation ``X̃ᵀX̃ θ = X̃ᵀy`` (fast, but squares the
        condition number and fails when ``X̃ᵀX̃`` is singular); ``"lstsq"`` uses the SVD
        and returns the minimum-norm solution in that case.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    rank_ : int
        Rank of the design matrix (with the intercept column).
    """

    def __init__(self, fit_intercept=True, method="lstsq"):
        self.fit_intercept = fit_intercept
        self.method = method

    def fit(self, X, y):
        """Solve for the coefficients; returns ``self``."""
        if self.method not in {"lstsq", "normal"}:
            raise ValueError(f"method must be 'lstsq' or 'normal', got {self.method!r}")
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        Xb = np.column_stack([np.ones(X.shape[0]), X]) if self.fit_intercept else X
        if self.method == "normal":
            try:
                theta = np.linalg.solve(Xb.T @ Xb, Xb.T @ y)
            except np.linalg.LinAlgError as exc:
                raise ValueError(
                    "X̃ᵀX̃ is singular (collinear features or more features than samples); "
                    "use method='lstsq'"
                ) from exc
            self.rank_ = int(np.linalg.matrix_rank(Xb))
        else:
            theta, _, self.rank_, _ = np.linalg.lstsq(Xb, y, rcond=None)
            self.rank_ = int(self.rank_)
        if self.fit_intercept:
            self.intercept_, self.coef_ = float(theta[0]), theta[1:]
        else:
            self.intercept_, self.coef_ = 0.0, theta
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_
