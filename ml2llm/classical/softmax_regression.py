"""Multi-class softmax (multinomial logistic) regression from scratch.

The model gives every class :math:`k` a logit :math:`z_k = x^\\top W_{:,k} + b_k` and turns
the logits into probabilities with the softmax

.. math:: p_k = \\frac{e^{z_k}}{\\sum_j e^{z_j}}
          = \\exp\\big(z_k - \\operatorname{logsumexp}(z)\\big),

computed stably by subtracting each row's maximum first. Training minimises the
cross-entropy with one-hot targets :math:`Y` plus an L2 penalty on ``W`` (not on ``b``):

.. math:: J = \\frac1n\\sum_i -\\sum_k Y_{ik}\\log p_{ik} + \\frac{\\alpha}{2}\\lVert W\\rVert_F^2,
          \\qquad \\nabla_W J = \\frac1n X^\\top (P - Y) + \\alpha W,\\quad
          \\nabla_b J = \\frac1n \\mathbf 1^\\top (P - Y).

:class:`SoftmaxRegression` takes scikit-learn's ``C`` (objective ``C Σ ℓ_i + ½‖W‖²``, i.e.
:math:`\\alpha = 1/(C n)`), so with the same ``C`` it fits the same model as
``sklearn.linear_model.LogisticRegression`` with the (multinomial) lbfgs solver. Solvers:
``"gd"`` (full-batch gradient descent, the exercise) and ``"lbfgs"`` (SciPy's L-BFGS driven by
this module's loss and gradient). Intercepts are reported centred (they sum to zero), since
adding one constant to every class's logit changes no probability.

Not here: L1 penalties, class weights, sparse inputs.

>>> import numpy as np
>>> softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])).round(3).tolist()
[[0.5, 0.5], [0.25, 0.75]]
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ml2llm.classical._params import check_iterative_params


# ----------------------------------------------------------------- exercise references
def softmax(Z):
    """Row-wise softmax of logits ``Z`` (n, K); subtracts each row's max so ``exp`` ≤ 1."""
    Z = np.asarray(Z, dtype=float)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def log_softmax(Z):
    """Row-wise ``log softmax(Z) = Z − logsumexp(Z)``, finite even where softmax underflows."""
    Z = np.asarray(Z, dtype=float)
    m = Z.max(axis=1, keepdims=True)
    return Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))


def one_hot(y, n_classes):
    """``(n, n_classes)`` float matrix with a 1 in column ``y[i]`` of row ``i``."""
    y = np.asarray(y)
    Y = np.zeros((y.shape[0], n_classes))
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


def cross_entropy(Y, logits):
    """Mean cross-entropy ``−(1/n) Σ_i Σ_k Y_ik log softmax(Z)_ik`` from one-hot ``Y``."""
    return float(-np.sum(Y * log_softmax(logits)) / Y.shape[0])


def softmax_gradient(X, Y, W, b, alpha=0.0):
    """Gradient of ``cross_entropy + (alpha/2)‖W‖²``; returns ``(grad_W, grad_b)``.

    ``W`` has shape (d, K), ``b`` (K,); ``grad_W = Xᵀ(P − Y)/n + alpha·W``,
    ``grad_b = mean(P − Y, axis=0)``.
    """
    R = softmax(X @ W + b) - Y
    n = X.shape[0]
    return X.T @ R / n + alpha * W, R.sum(axis=0) / n


# ----------------------------------------------------------------- estimator
class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression with an L2 penalty.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength as in scikit-learn: minimises
        ``C · Σ_i s_i ℓ_i + ½‖W‖²``. ``np.inf`` disables the penalty.
    solver : {"lbfgs", "gd"}, default="lbfgs"
        ``"gd"``: full-batch gradient descent with ``learning_rate``. ``"lbfgs"``: SciPy's
        L-BFGS-B on this module's loss and gradient.
    learning_rate : float or "auto", default="auto"
        GD step. ``"auto"`` is ``1/L`` with ``L = λ_max(X̃ᵀdiag(s̃)X̃)/2 + α`` (the softmax
        Hessian's blocks are bounded by ½ in this sense), a step that always decreases the loss.
    max_iter : int, default=1000
    tol : float, default=1e-8
        Stop when the largest gradient entry is below ``tol``.
    fit_intercept : bool, default=True

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
    coef_ : ndarray of shape (K, n_features)
        Same layout as scikit-learn (one row per class).
    intercept_ : ndarray of shape (K,), summing to zero
    n_iter_ : int
    loss_history_ : ndarray
        Objective (weighted mean cross-entropy + penalty) per iteration (GD and L-BFGS).
    """

    def __init__(
        self,
        C=1.0,
        solver="lbfgs",
        learning_rate="auto",
        max_iter=1000,
        tol=1e-8,
        fit_intercept=True,
    ):
        self.C = C
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept

    def _check_params(self):
        check_iterative_params(self, ("gd", "lbfgs"))

    def fit(self, X, y, sample_weight=None):
        """Fit the model; returns ``self``. ``y`` needs at least two distinct labels."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        K = len(self.classes_)
        if K < 2:
            raise ValueError(
                f"y must contain at least 2 classes, got 1 class ({self.classes_.tolist()})"
            )
        s = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if np.any(s < 0) or not s.sum() > 0:
            raise ValueError("sample_weight must be non-negative with a positive sum")
        total = s.sum()
        s = s / total
        alpha = 0.0 if np.isinf(self.C) else 1.0 / (self.C * total)
        n, d = X.shape
        Xb = np.column_stack([X, np.ones(n)]) if self.fit_intercept else X
        Y = one_hot(y_enc, K)
        mask = np.ones((Xb.shape[1], K))
        if self.fit_intercept:
            mask[-1] = 0.0  # the intercept row is not penalised
        reg = alpha * mask

        def fun_grad(theta_flat):
            T = theta_flat.reshape(Xb.shape[1], K)
            Z = Xb @ T
            logp = log_softmax(Z)
            f = -np.sum(s[:, None] * Y * logp) + 0.5 * np.sum(reg * T * T)
            G = Xb.T @ (s[:, None] * (np.exp(logp) - Y)) + reg * T
            return f, G.ravel()

        theta = np.zeros(Xb.shape[1] * K)
        history = [fun_grad(theta)[0]]
        if self.solver == "lbfgs":
            res = minimize(
                fun_grad,
                theta,
                jac=True,
                method="L-BFGS-B",
                callback=lambda xk: history.append(fun_grad(xk)[0]),
                options={
                    "maxiter": self.max_iter,
                    "gtol": self.tol,
                    "ftol": 64 * np.finfo(float).eps,
                    "maxcor": 20,
                },
            )
            theta, it = res.x, int(res.nit)
            converged = np.abs(fun_grad(theta)[1]).max() < max(self.tol, 1e-12) or res.success
        else:
            if self.learning_rate == "auto":
                lam = np.linalg.eigvalsh((Xb * s[:, None]).T @ Xb)[-1]
                lr = 1.0 / (lam / 2.0 + alpha)
            else:
                lr = float(self.learning_rate)
            converged, it = False, 0
            for it in range(1, self.max_iter + 1):
                f, g = fun_grad(theta)
                if np.abs(g).max() < self.tol:
                    converged, it = True, it - 1
                    break
                theta = theta - lr * g
                history.append(fun_grad(theta)[0])
                if not np.isfinite(history[-1]):
                    raise ValueError(
                        f"gradient descent diverged (learning_rate={lr:g}); use a smaller "
                        "learning_rate or 'auto', and standardise the features"
                    )
        if not converged:
            warnings.warn(
                f"{self.solver} did not reach tol={self.tol:g} in max_iter={self.max_iter} "
                "iterations; increase max_iter",
                ConvergenceWarning,
                stacklevel=2,
            )
        T = theta.reshape(Xb.shape[1], K)
        if self.fit_intercept:
            self.coef_ = T[:-1].T.copy()
            self.intercept_ = T[-1] - T[-1].mean()
        else:
            self.coef_, self.intercept_ = T.T.copy(), np.zeros(K)
        self.n_iter_ = it
        self.loss_history_ = np.asarray(history)
        return self

    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_.T + self.intercept_

    def decision_function(self, X):
        """Logits of shape (n_samples, K); for two classes, scikit-learn's convention:
        the shape (n_samples,) score ``z₁ − z₀`` (positive means ``classes_[1]``)."""
        Z = self._logits(X)
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z

    def predict_proba(self, X):
        """Class probabilities (n_samples, K), columns ordered as ``classes_``."""
        return softmax(self._logits(X))

    def predict_log_proba(self, X):
        return log_softmax(self._logits(X))

    def predict(self, X):
        """The class with the largest logit."""
        idx = np.argmax(self._logits(X), axis=1)
        return self.classes_[idx]
