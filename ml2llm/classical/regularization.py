"""Regularised linear regression from scratch: ridge, lasso and elastic net.

All three minimise a least-squares loss plus a penalty on the weights ``w`` (never on the
intercept ``b``), with exactly scikit-learn's scaling, so the same ``alpha`` gives the same
model:

.. math::
    \\text{Ridge:}\\quad & \\lVert y - Xw - b\\rVert^2 + \\alpha\\lVert w\\rVert_2^2 \\\\
    \\text{Lasso:}\\quad & \\tfrac{1}{2n}\\lVert y - Xw - b\\rVert^2 + \\alpha\\lVert w\\rVert_1 \\\\
    \\text{ElasticNet:}\\quad & \\tfrac{1}{2n}\\lVert y - Xw - b\\rVert^2
        + \\alpha\\rho\\lVert w\\rVert_1 + \\tfrac{\\alpha(1-\\rho)}{2}\\lVert w\\rVert_2^2

(:math:`\\rho` = ``l1_ratio``). The intercept is handled by centring: fit ``w`` on
:math:`X - \\bar x`, :math:`y - \\bar y`, then :math:`b = \\bar y - \\bar x^\\top w`.

- :class:`Ridge`: closed form :math:`w = (X_c^\\top X_c + \\alpha I)^{-1}X_c^\\top y_c`
  (``solver="closed_form"``) or gradient descent (``solver="gd"``).
- :class:`Lasso`, :class:`ElasticNet`: cyclic coordinate descent with soft-thresholding,
  stopped by scikit-learn's duality-gap criterion (``gap < tol · ‖y_c‖²``), so ``tol`` means
  the same as there. Once the sweeps stop changing the support and signs, one linear solve
  on that support proposes the exact optimum, accepted only if its duality gap certifies it. :func:`lasso_path` fits a decreasing grid of ``alpha`` with warm starts.
- :func:`polynomial_features`, :func:`ridge_closed_form`, :func:`ridge_gradient`,
  :func:`soft_threshold`, :func:`coordinate_descent_epoch`: Project 04's exercise references.

Not here: sparse inputs, ``positive=True`` constraints, multi-output targets.

>>> import numpy as np
>>> soft_threshold(np.array([-3.0, 0.5, 2.0]), 1.0).tolist()
[-2.0, 0.0, 1.0]
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data


# ----------------------------------------------------------------- exercise references
def polynomial_features(x, degree):
    """Columns ``x, x², …, x^degree`` of a 1-D input ``x`` (shape (n,) or (n, 1)); no bias."""
    x = np.asarray(x, dtype=float).reshape(-1)
    return x[:, None] ** np.arange(1, degree + 1)[None, :]


def ridge_closed_form(X, y, alpha):
    """Minimiser ``(w, b)`` of ``‖y − Xw − b‖² + alpha‖w‖²`` (intercept unpenalised).

    Centre ``X`` and ``y``, solve ``(X_cᵀX_c + alpha·I) w = X_cᵀy_c``, then
    ``b = mean(y) − mean(X)·w``.
    """
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y_mean - x_mean @ w)


def ridge_gradient(X, y, w, b, alpha):
    """Gradient of ``J = (‖Xw + b − y‖² + alpha‖w‖²) / (2n)``; returns ``(grad_w, grad_b)``.

    ``J`` is scikit-learn's ridge objective divided by ``2n`` (same minimiser):
    ``grad_w = (Xᵀr + alpha·w)/n``, ``grad_b = mean(r)`` with ``r = Xw + b − y``.
    """
    r = X @ w + b - y
    n = X.shape[0]
    return (X.T @ r + alpha * w) / n, float(r.mean())


def soft_threshold(z, threshold):
    """``sign(z) · max(|z| − threshold, 0)``: the proximal operator of ``threshold·|·|``."""
    z = np.asarray(z, dtype=float)
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


def coordinate_descent_epoch(X, y, w, alpha, l1_ratio=1.0):
    """One cyclic sweep of coordinate descent for the elastic net (lasso when ``l1_ratio=1``).

    Objective (no intercept: centre ``X`` and ``y`` first):
    ``‖y − Xw‖²/(2n) + alpha·l1_ratio·‖w‖₁ + alpha·(1 − l1_ratio)/2·‖w‖²``.
    For ``j = 0 … d−1``, with the *latest* values of the other weights,
    ``ρ_j = x_jᵀ(y − Xw + x_j w_j)`` and
    ``w_j ← S(ρ_j, n·alpha·l1_ratio) / (‖x_j‖² + n·alpha·(1 − l1_ratio))``.
    Returns a new array; ``w`` is not modified.
    """
    n = X.shape[0]
    w = np.array(w, dtype=float)
    r = y - X @ w
    for j in range(X.shape[1]):
        xj = X[:, j]
        rho = xj @ r + (xj @ xj) * w[j]
        new = soft_threshold(rho, n * alpha * l1_ratio) / (xj @ xj + n * alpha * (1 - l1_ratio))
        r -= xj * (new - w[j])
        w[j] = new
    return w


# ----------------------------------------------------------------- solvers
def _check_positive(name, value, allow_zero=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if not ok:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {kind} number, got {value!r}")


def _check_int(name, value):
    if not (isinstance(value, numbers.Integral) and value >= 1):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _center(X, y, fit_intercept):
    if fit_intercept:
        x_mean, y_mean = X.mean(axis=0), y.mean()
        return X - x_mean, y - y_mean, x_mean, y_mean
    return X, y, np.zeros(X.shape[1]), 0.0


def _enet_cd(X, y, alpha, l1_ratio, max_iter, tol, w0=None, refine=True):
    """Coordinate descent on centred data with a Gram matrix; returns (w, n_iter, gap, stop).

    Scaled as scikit-learn's ``cd_fast``: ``½‖y − Xw‖² + a‖w‖₁ + ½β‖w‖²`` with
    ``a = n·alpha·l1_ratio``, ``β = n·alpha·(1 − l1_ratio)``; stops when the duality gap is
    below ``tol·‖y‖²``.

    ``refine``: once a sweep leaves the support (the set of non-zero weights) and the signs
    unchanged, the optimum *for that support and those signs* solves the linear system
    ``(G_AA + βI) w_A = Xᵀy_A − a·sign(w_A)``. The candidate is accepted only if its duality
    gap certifies it (``gap ≤ tol·‖y‖²``), otherwise the sweeps simply continue. On badly
    conditioned problems (diabetes at small ``alpha``) this replaces hundreds of slow sweeps
    by one small solve, with the same guarantee on the result.
    """
    n, d = X.shape
    a, beta = n * alpha * l1_ratio, n * alpha * (1.0 - l1_ratio)
    G, Xty = X.T @ X, X.T @ y
    diag = np.diag(G).copy()
    w = np.zeros(d) if w0 is None else np.array(w0, dtype=float)
    Gw = G @ w
    yy = float(y @ y)
    stop = tol * yy

    def duality_gap(w, Gw):
        # same formula as scikit-learn, from Gram quantities only
        r_norm2 = yy - 2 * (w @ Xty) + w @ Gw
        dual_norm = np.abs(Xty - Gw - beta * w).max() if d else 0.0
        if dual_norm > a:
            const = a / dual_norm
            gap = 0.5 * r_norm2 * (1 + const**2)
        else:
            const, gap = 1.0, r_norm2
        return (
            gap
            + a * np.abs(w).sum()
            - const * (yy - w @ Xty)
            + 0.5 * beta * (1 + const**2) * (w @ w)
        )

    gap = np.inf
    it = 0
    prev_signs = None
    for it in range(1, max_iter + 1):
        w_max = d_max = 0.0
        for j in range(d):
            if diag[j] == 0.0:
                continue
            wj = w[j]
            rho = Xty[j] - Gw[j] + diag[j] * wj
            new = np.sign(rho) * max(abs(rho) - a, 0.0) / (diag[j] + beta)
            if new != wj:
                Gw += G[:, j] * (new - wj)
                w[j] = new
            d_max = max(d_max, abs(new - wj))
            w_max = max(w_max, abs(new))
        if w_max == 0.0 or d_max / w_max <= tol or it == max_iter:
            gap = duality_gap(w, Gw)
            if gap <= stop:
                break
        signs = np.sign(w)
        if refine and prev_signs is not None and np.array_equal(signs, prev_signs):
            A = np.flatnonzero(signs)
            if A.size:
                try:
                    wA = np.linalg.solve(
                        G[np.ix_(A, A)] + beta * np.eye(A.size), Xty[A] - a * signs[A]
                    )
                except np.linalg.LinAlgError:
                    wA = None
                if wA is not None and np.array_equal(np.sign(wA), signs[A]):
                    cand = np.zeros(d)
                    cand[A] = wA
                    Gcand = G @ cand
                    cand_gap = duality_gap(cand, Gcand)
                    if cand_gap <= stop:
                        w, gap = cand, cand_gap
                        break
        prev_signs = signs
    return w, it, gap, stop


class _EnetBase(RegressorMixin, BaseEstimator):
    def _fit_enet(self, X, y, l1_ratio):
        _check_positive("alpha", self.alpha, allow_zero=True)
        _check_int("max_iter", self.max_iter)
        _check_positive("tol", self.tol, allow_zero=True)
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        Xc, yc, x_mean, y_mean = _center(X, y, self.fit_intercept)
        w, it, gap, stop = _enet_cd(Xc, yc, float(self.alpha), l1_ratio, self.max_iter, self.tol)
        if gap > stop:
            warnings.warn(
                f"coordinate descent did not converge: duality gap {gap:.3g} > tol·‖y‖² = "
                f"{stop:.3g} after max_iter={self.max_iter} sweeps; increase max_iter",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.coef_ = w
        self.intercept_ = float(y_mean - x_mean @ w)
        self.n_iter_ = it
        self.dual_gap_ = float(gap)
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_


class ElasticNet(_EnetBase):
    """Elastic net by cyclic coordinate descent (scikit-learn's objective and ``tol``).

    Parameters
    ----------
    alpha : float, default=1.0
        Overall penalty strength (≥ 0).
    l1_ratio : float in [0, 1], default=0.5
        Mix between L1 (1.0: lasso) and L2 (0.0: ridge with ``alpha·n`` scaling).
    max_iter : int, default=1000
        Maximum sweeps over the coordinates.
    tol : float, default=1e-4
        Stop when the duality gap is below ``tol · ‖y − ȳ‖²``.
    fit_intercept : bool, default=True

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    dual_gap_ : float
    """

    def __init__(self, alpha=1.0, l1_ratio=0.5, max_iter=1000, tol=1e-4, fit_intercept=True):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        """Fit by coordinate descent; returns ``self``."""
        if not (isinstance(self.l1_ratio, numbers.Real) and 0 <= self.l1_ratio <= 1):
            raise ValueError(f"l1_ratio must be a number in [0, 1], got {self.l1_ratio!r}")
        return self._fit_enet(X, y, float(self.l1_ratio))


class Lasso(_EnetBase):
    """Lasso (L1-penalised least squares) by cyclic coordinate descent with soft-thresholding.

    Same parameters and attributes as :class:`ElasticNet`, with ``l1_ratio = 1``. Large
    ``alpha`` sets coefficients to exactly zero: for ``alpha ≥ max_j |x_jᵀ y_c| / n`` all are.
    """

    def __init__(self, alpha=1.0, max_iter=1000, tol=1e-4, fit_intercept=True):
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        """Fit by coordinate descent; returns ``self``."""
        return self._fit_enet(X, y, 1.0)


def lasso_path(X, y, alphas=None, n_alphas=100, eps=1e-3, max_iter=1000, tol=1e-4):
    """Lasso coefficients along a decreasing grid of ``alpha`` (warm starts), no intercept.

    Like ``sklearn.linear_model.lasso_path``, ``X`` and ``y`` are used as given (centre them
    yourself for a model with an intercept). The default grid is ``n_alphas`` values from
    ``alpha_max = max|Xᵀy|/n`` (where every coefficient is 0) down to ``eps·alpha_max`` on a
    log scale. Returns ``(alphas, coefs)`` with ``coefs`` of shape (n_features, n_alphas).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"X must be 2-D and y 1-D with as many rows, got {X.shape} and {y.shape}")
    if alphas is None:
        alpha_max = np.abs(X.T @ y).max() / len(y)
        alphas = np.geomspace(alpha_max, alpha_max * eps, n_alphas)
    alphas = np.sort(np.asarray(alphas, dtype=float))[::-1]
    coefs, w = np.zeros((X.shape[1], len(alphas))), np.zeros(X.shape[1])
    for k, a in enumerate(alphas):
        w, *_ = _enet_cd(X, y, a, 1.0, max_iter, tol, w0=w)
        coefs[:, k] = w
    return alphas, coefs


class Ridge(RegressorMixin, BaseEstimator):
    """Ridge regression: ``‖y − Xw − b‖² + alpha‖w‖²``, in closed form or by gradient descent.

    Parameters
    ----------
    alpha : float, default=1.0
        L2 strength (≥ 0), same meaning as in scikit-learn.
    solver : {"closed_form", "gd"}, default="closed_form"
        ``"closed_form"`` solves ``(X_cᵀX_c + αI) w = X_cᵀy_c`` (Cholesky via ``solve``);
        ``"gd"`` runs full-batch gradient descent on the objective divided by ``2n``.
    learning_rate : float or "auto", default="auto"
        GD step; ``"auto"`` is ``1/L``, ``L = λ_max(X_cᵀX_c + αI)/n``.
    max_iter : int, default=10000
    tol : float, default=1e-10
        GD stops when the largest gradient entry is below ``tol · max(1, |y|_max)``.
    fit_intercept : bool, default=True

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        GD iterations (1 for the closed form: one linear solve).
    loss_history_ : ndarray
        GD objective per iteration (empty for the closed form).
    """

    def __init__(
        self,
        alpha=1.0,
        solver="closed_form",
        learning_rate="auto",
        max_iter=10000,
        tol=1e-10,
        fit_intercept=True,
    ):
        self.alpha = alpha
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        """Fit the model; returns ``self``."""
        _check_positive("alpha", self.alpha, allow_zero=True)
        if self.solver not in {"closed_form", "gd"}:
            raise ValueError(f"solver must be 'closed_form' or 'gd', got {self.solver!r}")
        if not (isinstance(self.learning_rate, str) and self.learning_rate == "auto"):
            _check_positive("learning_rate", self.learning_rate)
        _check_int("max_iter", self.max_iter)
        _check_positive("tol", self.tol, allow_zero=True)
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        Xc, yc, x_mean, y_mean = _center(X, y, self.fit_intercept)
        n, d = Xc.shape
        alpha = float(self.alpha)
        history = []
        it = 1
        if self.solver == "closed_form":
            A = Xc.T @ Xc + alpha * np.eye(d)
            try:
                w = np.linalg.solve(A, Xc.T @ yc)
            except np.linalg.LinAlgError:
                w = np.linalg.lstsq(A, Xc.T @ yc, rcond=None)[0]
        else:
            # On centred data the intercept's gradient is 0, so GD runs on w alone.
            G, Xty = Xc.T @ Xc, Xc.T @ yc
            if self.learning_rate == "auto":
                lr = n / (np.linalg.eigvalsh(G)[-1] + alpha)
            else:
                lr = float(self.learning_rate)
            w = np.zeros(d)
            scale = max(1.0, np.abs(yc).max())
            for it in range(1, self.max_iter + 1):  # noqa: B007 (read after the loop)
                grad = (G @ w - Xty + alpha * w) / n
                history.append(float((yc @ yc - 2 * w @ Xty + w @ G @ w + alpha * w @ w) / (2 * n)))
                if np.abs(grad).max() < self.tol * scale:
                    break
                w = w - lr * grad
                if not np.all(np.isfinite(w)):
                    raise ValueError(
                        f"gradient descent diverged (learning_rate={lr:g}); use 'auto' or a "
                        "smaller learning_rate"
                    )
            else:
                warnings.warn(
                    f"gd did not reach tol={self.tol:g} in max_iter={self.max_iter} iterations",
                    ConvergenceWarning,
                    stacklevel=2,
                )
        self.coef_ = w
        self.intercept_ = float(y_mean - x_mean @ w)
        self.n_iter_ = it
        self.loss_history_ = np.asarray(history)
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_
