"""Binary logistic regression from scratch: a stable sigmoid, cross-entropy, GD and Newton.

The model is :math:`p(y=1\\mid x) = \\sigma(x^\\top w + b)` with
:math:`\\sigma(z) = 1/(1+e^{-z})`, fitted by minimising the (sample-weighted) binary
cross-entropy plus an L2 penalty on ``w`` (never on the intercept ``b``):

.. math:: J(w, b) = \\frac{1}{S}\\Big[\\sum_i s_i\\,\\ell(y_i, z_i) + \\frac{1}{2C}\\lVert w\\rVert^2\\Big],
          \\qquad \\ell(y, z) = \\log(1 + e^{z}) - y z,\\quad z_i = x_i^\\top w + b,

with sample weights :math:`s_i` (1 by default, times the class weight) and
:math:`S = \\sum_i s_i`. Its minimiser is exactly that of scikit-learn's
``LogisticRegression(C=C)`` (``C * Σ s_i ℓ_i + ½‖w‖²``), so the same ``C`` gives the same
model. Written with a per-sample strength :math:`\\alpha = 1/(C S)` it reads
"mean BCE + (α/2)‖w‖²", the form the exercise functions below use.

Numerical care: the loss is computed from the *logits* with ``logaddexp`` (no ``log(0)``,
no overflow for ``|z|`` in the thousands), and the sigmoid never evaluates ``exp`` of a large
positive number.

- :func:`sigmoid`, :func:`binary_cross_entropy`, :func:`logistic_gradient`,
  :func:`newton_step`, :func:`predict_labels`: Project 02's exercise references.
- :class:`LogisticRegression`: the estimator (``solver="gd"`` or ``"newton"``), with
  ``class_weight`` and ``sample_weight`` following scikit-learn's semantics.

Not here: more than two classes (Project 03's softmax regression), L1 penalties (Project 04)
and sparse inputs.

>>> import numpy as np
>>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]]); y = np.array([0, 0, 1, 1])
>>> LogisticRegression(C=1.0, solver="newton").fit(X, y).predict([[-3.0], [3.0]]).tolist()
[0, 1]
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ml2llm.classical._params import check_iterative_params


# ----------------------------------------------------------------- exercise references
def sigmoid(z):
    """Numerically stable logistic function ``1 / (1 + exp(-z))``.

    For ``z >= 0`` it evaluates ``1 / (1 + e^{-z})``; for ``z < 0`` the equivalent
    ``e^{z} / (1 + e^{z})``. Either way ``exp`` only sees non-positive numbers, so nothing
    overflows and no warning is raised, even for ``z = ±1000``.
    """
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def binary_cross_entropy(y, logits):
    """Mean binary cross-entropy computed from logits ``z`` (not probabilities).

    ``-[y log σ(z) + (1-y) log(1-σ(z))] = log(1 + e^{z}) - y z``; ``np.logaddexp(0, z)``
    evaluates ``log(1 + e^{z})`` without overflow, so confident wrong predictions give a
    large finite loss instead of ``inf``/``nan``.
    """
    y = np.asarray(y, dtype=float)
    z = np.asarray(logits, dtype=float)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def logistic_gradient(X, y, w, b, alpha=0.0):
    """Gradient of ``mean BCE + (alpha/2)‖w‖²``; returns ``(grad_w, grad_b)``.

    ``grad_w = Xᵀ(σ(Xw + b) − y)/n + alpha·w`` and ``grad_b = mean(σ(Xw + b) − y)`` (the
    intercept is not penalised).
    """
    r = sigmoid(X @ w + b) - y
    n = X.shape[0]
    return X.T @ r / n + alpha * w, float(r.sum() / n)


def newton_step(X, y, w, b, alpha=0.0):
    """One Newton (IRLS) step on ``mean BCE + (alpha/2)‖w‖²``; returns the new ``(w, b)``.

    With ``X̃ = [X, 1]`` and ``p = σ(X̃θ)``, the Hessian is
    ``H = X̃ᵀ diag(p(1−p)) X̃ / n + alpha·diag(1, …, 1, 0)`` and ``θ ← θ − H⁻¹∇J``.
    """
    n, d = X.shape
    Xb = np.column_stack([X, np.ones(n)])
    p = sigmoid(X @ w + b)
    grad_w, grad_b = logistic_gradient(X, y, w, b, alpha)
    grad = np.append(grad_w, grad_b)
    reg = np.full(d + 1, alpha)
    reg[-1] = 0.0
    H = (Xb * (p * (1 - p))[:, None]).T @ Xb / n + np.diag(reg)
    theta = np.append(w, b) - np.linalg.solve(H, grad)
    return theta[:-1], float(theta[-1])


def predict_labels(X, w, b, threshold=0.5):
    """0/1 labels: 1 where ``σ(Xw + b) > threshold``."""
    return (sigmoid(X @ w + b) > threshold).astype(int)


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression with an L2 penalty, fitted by gradient descent or Newton.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength, exactly as in scikit-learn: the minimised objective
        is ``C · Σ s_i ℓ_i + ½‖w‖²`` (``s_i`` = sample weight × class weight). Smaller ``C``
        means a stronger penalty; ``C=np.inf`` switches the penalty off (then the solution
        does not exist for linearly separable data and the weights grow until ``max_iter``).
    solver : {"newton", "gd"}, default="newton"
        ``"newton"``: Newton's method / IRLS with step halving (a few iterations, each
        solving a ``(d+1)×(d+1)`` system). ``"gd"``: full-batch gradient descent.
    learning_rate : float or "auto", default="auto"
        Step size for ``solver="gd"``. ``"auto"`` uses ``1/L`` with
        ``L = λ_max(X̃ᵀ diag(s̃) X̃)/4 + α``, a bound on the Hessian's largest eigenvalue
        (σ' ≤ 1/4), for which gradient descent provably decreases the loss every step.
    max_iter : int, default=100 for Newton; use thousands for GD
        Maximum iterations (Newton steps or GD epochs).
    tol : float, default=1e-8
        Stop when the gradient's largest absolute entry falls below ``tol``.
    fit_intercept : bool, default=True
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``. ``"balanced"`` uses
        ``n_samples / (n_classes · count(class))``; a dict maps class labels to weights
        (missing classes get 1), as in scikit-learn.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    n_iter_ : int
        Iterations run.
    loss_history_ : ndarray
        Objective ``Σ s̃_i ℓ_i + (α/2)‖w‖²`` (normalised weights s̃) before each iteration,
        then the final value.
    converged_ : bool

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> round(clf.score(X, y), 3)
    0.988
    """

    def __init__(
        self,
        C=1.0,
        solver="newton",
        learning_rate="auto",
        max_iter=100,
        tol=1e-8,
        fit_intercept=True,
        class_weight=None,
    ):
        self.C = C
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight

    # ------------------------------------------------------------- validation
    def _check_params(self):
        check_iterative_params(self, ("gd", "newton"))
        cw = self.class_weight
        if not (cw is None or isinstance(cw, dict) or (isinstance(cw, str) and cw == "balanced")):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {cw!r}")

    def _weights(self, y_enc, y, sample_weight, X):
        s = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if np.any(s < 0):
            raise ValueError("sample_weight must be non-negative")
        if self.class_weight is not None:
            cw = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
            s = s * cw[y_enc]
        total = s.sum()
        if not total > 0:
            raise ValueError("sample_weight (times class_weight) must have a positive sum")
        return s / total, total

    # ------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None):
        """Fit the model; returns ``self``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), exactly two distinct labels
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative per-sample weights (multiplied by ``class_weight``).
        """
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if len(self.classes_) != 2:
            k = len(self.classes_)
            more = "Only binary classification is supported. " if k > 2 else ""
            raise ValueError(
                f"{more}y must contain exactly 2 classes for binary logistic regression, got "
                f"{k} class{'' if k == 1 else 'es'} ({self.classes_.tolist()[:5]}); use "
                "ml2llm.classical.softmax_regression.SoftmaxRegression for more"
            )
        s, total = self._weights(y_enc, y, sample_weight, X)
        t = y_enc.astype(np.float64)
        alpha = 0.0 if np.isinf(self.C) else 1.0 / (self.C * total)
        n, d = X.shape
        Xb = np.column_stack([X, np.ones(n)]) if self.fit_intercept else X
        reg = np.full(Xb.shape[1], alpha)
        if self.fit_intercept:
            reg[-1] = 0.0
        theta = np.zeros(Xb.shape[1])

        def grad_of(th):
            return Xb.T @ (s * (sigmoid(Xb @ th) - t)) + reg * th

        def obj(th):
            return float(s @ (np.logaddexp(0.0, Xb @ th) - t * (Xb @ th)) + 0.5 * (reg * th) @ th)

        history = [obj(theta)]
        self.converged_ = False
        it = 0
        if self.solver == "newton":
            for it in range(1, self.max_iter + 1):
                g = grad_of(theta)
                if np.max(np.abs(g)) < self.tol:
                    self.converged_, it = True, it - 1
                    break
                p = sigmoid(Xb @ theta)
                H = (Xb * (s * p * (1 - p))[:, None]).T @ Xb + np.diag(reg)
                try:
                    step = np.linalg.solve(H, g)
                except np.linalg.LinAlgError:
                    step = np.linalg.lstsq(H, g, rcond=None)[0]
                t_step, f0 = 1.0, history[-1]
                while True:  # step halving keeps every iteration a descent step
                    cand = theta - t_step * step
                    f1 = obj(cand)
                    if f1 <= f0 + 1e-4 * t_step * (g @ -step) or t_step < 1e-10:
                        break
                    t_step *= 0.5
                theta = cand
                history.append(f1)
        else:
            if self.learning_rate == "auto":
                lam = np.linalg.eigvalsh((Xb * s[:, None]).T @ Xb)[-1]
                lr = 1.0 / (lam / 4.0 + alpha)
            else:
                lr = float(self.learning_rate)
            with np.errstate(over="ignore", invalid="ignore"):
                for it in range(1, self.max_iter + 1):
                    g = grad_of(theta)
                    if np.max(np.abs(g)) < self.tol:
                        self.converged_, it = True, it - 1
                        break
                    theta = theta - lr * g
                    history.append(obj(theta))
                    if not np.isfinite(history[-1]):
                        raise ValueError(
                            f"gradient descent diverged (learning_rate={lr:g}); use a smaller "
                            "learning_rate or 'auto', and standardise the features"
                        )
        if not self.converged_:
            self.converged_ = bool(np.max(np.abs(grad_of(theta))) < self.tol)
        if not self.converged_:
            warnings.warn(
                f"{self.solver} did not reach tol={self.tol:g} in max_iter={self.max_iter} "
                "iterations; increase max_iter (or C=np.inf on separable data has no optimum)",
                ConvergenceWarning,
                stacklevel=2,
            )
        if self.fit_intercept:
            self.coef_, self.intercept_ = theta[:-1][None, :], theta[-1:].copy()
        else:
            self.coef_, self.intercept_ = theta[None, :], np.zeros(1)
        self.n_iter_ = int(it)
        self.loss_history_ = np.asarray(history)
        return self

    # ------------------------------------------------------------- prediction
    def decision_function(self, X):
        """Logits ``Xw + b`` of shape (n_samples,); positive means ``classes_[1]``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X):
        """Probabilities of shape (n_samples, 2), columns ordered as ``classes_``."""
        p1 = sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p1, p1])

    def predict_log_proba(self, X):
        """Log-probabilities, computed from the logits without taking ``log(0)``."""
        z = self.decision_function(X)
        return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])

    def predict(self, X):
        """Class labels: ``classes_[1]`` where the logit is positive."""
        positive = self.decision_function(X) > 0  # checks fitted before touching classes_
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # binary only: see SoftmaxRegression
        return tags
