"""Support vector machines from scratch: the primal with Pegasos, the dual with SMO.

A linear SVM finds the hyperplane with the widest margin, trading margin violations against
width with ``C``:

.. math:: \\min_{w, b}\\; \\tfrac12\\|w\\|^2 + C\\sum_i \\max(0,\\, 1 - y_i(w^\\top x_i + b)),
          \\qquad y_i \\in \\{-1, +1\\}.

- :class:`LinearSVM` solves that primal with **Pegasos** (stochastic sub-gradient descent,
  step :math:`1/(\\lambda t)`, :math:`\\lambda = 1/(Cn)`, iterate averaging). Like scikit-learn's
  ``LinearSVC(loss="hinge")`` it treats the intercept as the weight of a constant feature, so
  it is regularised too. Multi-class: one-vs-rest.
- :class:`KernelSVM` solves the dual

  .. math:: \\max_\\alpha\\; \\sum_i \\alpha_i - \\tfrac12\\sum_{i,j}\\alpha_i\\alpha_j y_i y_j K(x_i, x_j)
            \\quad\\text{s.t. } 0 \\le \\alpha_i \\le C,\\; \\sum_i \\alpha_i y_i = 0,

  with **SMO** (two multipliers at a time, chosen with libsvm's second-order rule, stopping
  when the KKT violation is below ``tol``), for linear, polynomial and RBF kernels. It exposes
  ``support_``, ``support_vectors_``, ``dual_coef_`` (:math:`\\alpha_i y_i`), ``intercept_`` and
  ``decision_function`` :math:`f(x) = \\sum_i \\alpha_i y_i K(x_i, x) + b`. Multi-class:
  one-vs-one with voting, as ``SVC``.

Not here: probability estimates (Platt scaling is Project 07.8), class weights, the
squared hinge, shrinking and kernel caching (the full Gram matrix is kept in memory, so use it
for up to a few thousand samples).

>>> import numpy as np
>>> X = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 3.0], [4.0, 4.0]]); y = np.array([0, 0, 1, 1])
>>> KernelSVM(kernel="linear").fit(X, y).predict([[0.5, 0.2], [3.5, 3.9]]).tolist()
[0, 1]
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "KernelSVM",
    "LinearSVM",
    "decision_function",
    "hinge_subgradient",
    "kernel_matrix",
    "linear_kernel",
    "polynomial_kernel",
    "primal_objective",
    "rbf_kernel",
    "smo_step",
]


# ----------------------------------------------------------------- exercise references
def primal_objective(w, b, X, y, C):
    """The soft-margin objective ``½‖w‖² + C Σ max(0, 1 − yᵢ(w·xᵢ + b))``; ``y`` in {−1, +1}."""
    margins = y * (X @ w + b)
    return 0.5 * w @ w + C * np.maximum(0.0, 1.0 - margins).sum()


def hinge_subgradient(w, b, X, y, lam):
    """A sub-gradient of ``λ/2 ‖w‖² + (1/n) Σ max(0, 1 − yᵢ(w·xᵢ + b))``: ``(g_w, g_b)``.

    Points with margin ``yᵢ(w·xᵢ + b) < 1`` contribute ``−yᵢ xᵢ / n`` (and ``−yᵢ / n`` to the
    bias); at margin exactly 1 we take the zero sub-gradient.
    """
    n = X.shape[0]
    active = y * (X @ w + b) < 1.0
    g_w = lam * w - (y[active] @ X[active]) / n
    g_b = -y[active].sum() / n
    return g_w, g_b


def linear_kernel(A, B):
    """Gram matrix ``A Bᵀ``."""
    return A @ B.T


def polynomial_kernel(A, B, degree=3, gamma=1.0, coef0=1.0):
    """``(γ A Bᵀ + coef0)^degree``."""
    return (gamma * (A @ B.T) + coef0) ** degree


def rbf_kernel(A, B, gamma=1.0):
    """``exp(−γ ‖aᵢ − bⱼ‖²)`` for every pair of rows; shape ``(len(A), len(B))``."""
    sq = (A * A).sum(axis=1)[:, None] + (B * B).sum(axis=1)[None, :] - 2.0 * (A @ B.T)
    return np.exp(-gamma * np.maximum(sq, 0.0))


def kernel_matrix(A, B, kernel="rbf", gamma=1.0, degree=3, coef0=0.0):
    """Dispatch to the named kernel (``"linear"``, ``"poly"`` or ``"rbf"``)."""
    if kernel == "linear":
        return linear_kernel(A, B)
    if kernel == "poly":
        return polynomial_kernel(A, B, degree=degree, gamma=gamma, coef0=coef0)
    if kernel == "rbf":
        return rbf_kernel(A, B, gamma=gamma)
    raise ValueError(f"kernel must be 'linear', 'poly' or 'rbf', got {kernel!r}")


def smo_step(alpha, y, K, C, i, j, errors):
    """One SMO update of the pair ``(αᵢ, αⱼ)``; returns a new ``alpha`` (input unchanged).

    ``errors[k] = f(x_k) − y_k`` for the current ``alpha`` (the bias cancels in
    ``errors[i] − errors[j]``). The pair moves along the line ``yᵢαᵢ + yⱼαⱼ = const`` that
    keeps ``Σ αₖyₖ = 0``: ``αⱼ ← clip(αⱼ + yⱼ(Eᵢ − Eⱼ)/η, L, H)`` with curvature
    ``η = Kᵢᵢ + Kⱼⱼ − 2Kᵢⱼ`` and the box ``[L, H]`` where both stay in ``[0, C]``; then
    ``αᵢ ← αᵢ + yᵢyⱼ(αⱼ_old − αⱼ_new)``.
    """
    alpha = np.array(alpha, dtype=float, copy=True)
    ai, aj = alpha[i], alpha[j]
    if y[i] != y[j]:
        L, H = max(0.0, aj - ai), min(C, C + aj - ai)
    else:
        L, H = max(0.0, ai + aj - C), min(C, ai + aj)
    eta = K[i, i] + K[j, j] - 2.0 * K[i, j]
    eta = max(eta, 1e-12)
    aj_new = float(np.clip(aj + y[j] * (errors[i] - errors[j]) / eta, L, H))
    alpha[j] = aj_new
    alpha[i] = ai + y[i] * y[j] * (aj - aj_new)
    return alpha


def decision_function(alpha, y, b, K):
    """``f = K (α ⊙ y) + b`` for ``K`` of shape (n_test, n_train)."""
    return K @ (alpha * y) + b


# ----------------------------------------------------------------- solvers
def _check_C(C):
    if not (isinstance(C, Real) and not isinstance(C, bool) and C > 0):
        raise ValueError(f"C must be a positive number, got {C!r}")


def _check_pos_int(name, value):
    if not (isinstance(value, Integral) and not isinstance(value, bool) and value >= 1):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def smo_solve(K, y, C, tol=1e-3, max_iter=100_000):
    """Solve the binary SVM dual on a precomputed Gram matrix ``K`` (``y`` in {−1, +1}).

    Each iteration picks a violating pair as libsvm does: ``i`` maximises ``yₖ − Fₖ`` over
    multipliers that can still move up along ``yₖ`` (``F = K(α ⊙ y)``); ``j``, among those
    that can move down with a smaller score, maximises the decrease ``(sᵢ − sⱼ)²/ηᵢⱼ`` that
    the exact two-variable step guarantees (second-order selection, which converges far
    faster than taking the smallest score). At the optimum (the KKT conditions) the largest
    score over "up" is at most the smallest over "down"; we stop when the gap is below ``tol``.

    Returns ``(alpha, b, n_iter, converged)``.
    """
    n = len(y)
    alpha = np.zeros(n)
    F = np.zeros(n)  # F_k = Σ_l α_l y_l K_kl (the decision value without the bias)
    diag = np.diag(K)
    pos, neg = y > 0, y < 0
    converged, it = False, 0
    for it in range(1, max_iter + 1):  # noqa: B007 (it is the iteration count returned)
        score = y - F
        up = (pos & (alpha < C)) | (neg & (alpha > 0))
        low = (pos & (alpha > 0)) | (neg & (alpha < C))
        s_up = np.where(up, score, -np.inf)
        s_low = np.where(low, score, np.inf)
        i = int(np.argmax(s_up))
        if s_up[i] - s_low.min() < tol:
            converged = True
            break
        # second-order choice of j (libsvm's WSS2): the largest guaranteed decrease b²/a
        gap = s_up[i] - s_low  # > 0 where the pair (i, t) violates the KKT conditions
        curv = np.maximum(diag[i] + diag - 2.0 * K[i], 1e-12)
        gain = np.where(low & (gap > 0), gap * gap / curv, -np.inf)
        j = int(np.argmax(gain))
        # the SMO update of exercise 9.4, inlined on the running F
        ai, aj = alpha[i], alpha[j]
        if y[i] != y[j]:
            L, H = max(0.0, aj - ai), min(C, C + aj - ai)
        else:
            L, H = max(0.0, ai + aj - C), min(C, ai + aj)
        eta = max(diag[i] + diag[j] - 2.0 * K[i, j], 1e-12)
        e_diff = (F[i] - y[i]) - (F[j] - y[j])
        aj_new = min(max(aj + y[j] * e_diff / eta, L), H)
        ai_new = ai + y[i] * y[j] * (aj - aj_new)
        # snap round-off onto the box so bound multipliers are recognised as bound
        eps = 1e-12 * C
        ai_new = 0.0 if ai_new < eps else (C if ai_new > C - eps else ai_new)
        aj_new = 0.0 if aj_new < eps else (C if aj_new > C - eps else aj_new)
        F += (ai_new - ai) * y[i] * K[:, i] + (aj_new - aj) * y[j] * K[:, j]
        alpha[i], alpha[j] = ai_new, aj_new
    score = y - F
    free = (alpha > 1e-12 * C) & (alpha < C * (1 - 1e-12))
    if free.any():
        b = float(score[free].mean())
    else:  # no free multiplier: take the middle of the feasible interval (as libsvm)
        up = (pos & (alpha < C)) | (neg & (alpha > 0))
        low = (pos & (alpha > 0)) | (neg & (alpha < C))
        hi = score[up].max() if up.any() else score.max()
        lo = score[low].min() if low.any() else score.min()
        b = float((hi + lo) / 2)
    return alpha, b, it, converged


def _resolve_gamma(gamma, X):
    if isinstance(gamma, str):
        if gamma == "scale":
            var = X.var()
            return 1.0 / (X.shape[1] * var) if var > 0 else 1.0
        if gamma == "auto":
            return 1.0 / X.shape[1]
        raise ValueError(f"gamma must be 'scale', 'auto' or a positive number, got {gamma!r}")
    if not (isinstance(gamma, Real) and gamma > 0):
        raise ValueError(f"gamma must be 'scale', 'auto' or a positive number, got {gamma!r}")
    return float(gamma)


def _ovr_votes_to_scores(votes, confidences, n_classes):
    """scikit-learn's one-vs-one aggregation: votes plus a squashed sum of confidences."""
    transformed = confidences / (3 * (np.abs(confidences) + 1))
    return votes + transformed


# ----------------------------------------------------------------- estimators
class KernelSVM(ClassifierMixin, BaseEstimator):
    """Soft-margin kernel SVM trained on the dual with SMO (``SVC``'s model and defaults).

    Parameters
    ----------
    C : float, default=1.0
        Upper bound on each dual multiplier: larger C penalises margin violations more.
    kernel : {"linear", "poly", "rbf"}, default="rbf"
    degree : int, default=3
        Polynomial degree (``kernel="poly"``).
    gamma : {"scale", "auto"} or float, default="scale"
        Kernel coefficient; ``"scale"`` is ``1 / (n_features · X.var())``.
    coef0 : float, default=0.0
        Constant term of the polynomial kernel.
    tol : float, default=1e-3
        Stop when the maximal KKT violation is below ``tol`` (libsvm's rule and default).
    max_iter : int, default=100000
        Maximum SMO iterations per binary problem; a :class:`ConvergenceWarning` says when hit.

    Attributes
    ----------
    classes_ : ndarray
    support_ : ndarray of int
        Indices of the support vectors (``αᵢ > 0`` in at least one binary problem).
    support_vectors_ : ndarray of shape (n_SV, n_features)
    n_support_ : ndarray of int
        Support vectors per class.
    dual_coef_ : ndarray of shape (1, n_SV)
        Binary problems: ``αᵢ yᵢ`` of each support vector, with ``yᵢ = +1`` for ``classes_[1]``.
        Multi-class: one row per class pair (zeros where a vector is not a support vector of
        that pair), rows ordered like ``pairs_``.
    intercept_ : ndarray of shape (n_pairs,)
    pairs_ : list of (int, int)
        The one-vs-one class pairs (indices into ``classes_``); one pair when binary.
    n_iter_ : ndarray of int
        SMO iterations per pair.
    """

    def __init__(
        self, C=1.0, kernel="rbf", degree=3, gamma="scale", coef0=0.0, tol=1e-3, max_iter=100_000
    ):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter

    def _kernel(self, A, B):
        return kernel_matrix(A, B, self.kernel, self._gamma, self.degree, self.coef0)

    def fit(self, X, y):
        """Solve one dual per class pair with SMO; returns ``self``."""
        _check_C(self.C)
        if self.kernel not in {"linear", "poly", "rbf"}:
            raise ValueError(f"kernel must be 'linear', 'poly' or 'rbf', got {self.kernel!r}")
        _check_pos_int("max_iter", self.max_iter)
        _check_pos_int("degree", self.degree)
        if not (isinstance(self.tol, Real) and self.tol > 0):
            raise ValueError(f"tol must be a positive number, got {self.tol!r}")
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y must contain at least 2 classes, got 1 class ({self.classes_.tolist()})"
            )
        self._gamma = _resolve_gamma(self.gamma, X)
        K = self._kernel(X, X)
        k = len(self.classes_)
        self.pairs_ = [(a, b) for a in range(k) for b in range(a + 1, k)]
        coef = np.zeros((len(self.pairs_), len(X)))
        intercepts, iters = [], []
        for p, (a, b) in enumerate(self.pairs_):
            idx = np.flatnonzero((y_idx == a) | (y_idx == b))
            yy = np.where(y_idx[idx] == b, 1.0, -1.0)
            alpha, b0, n_it, ok = smo_solve(
                K[np.ix_(idx, idx)], yy, float(self.C), self.tol, self.max_iter
            )
            if not ok:
                warnings.warn(
                    f"SMO did not converge in max_iter={self.max_iter} iterations for classes "
                    f"{self.classes_[a]!r} vs {self.classes_[b]!r}; raise max_iter or scale the features",
                    ConvergenceWarning,
                    stacklevel=2,
                )
            coef[p, idx] = alpha * yy
            intercepts.append(b0)
            iters.append(n_it)
        self.support_ = np.flatnonzero(np.abs(coef).max(axis=0) > 0)
        self.support_vectors_ = X[self.support_]
        self.dual_coef_ = coef[:, self.support_]
        self.intercept_ = np.array(intercepts)
        self.n_support_ = np.array([np.sum(y_idx[self.support_] == c) for c in range(k)])
        self.n_iter_ = np.array(iters)
        return self

    def _pair_decisions(self, X):
        K = self._kernel(X, self.support_vectors_)
        return K @ self.dual_coef_.T + self.intercept_

    def decision_function(self, X):
        """Binary: ``f(x) = Σ αᵢyᵢK(xᵢ, x) + b`` (positive → ``classes_[1]``), shape (n,).

        Multi-class: per-class scores of shape (n, n_classes) from the one-vs-one votes plus
        a squashed sum of confidences (scikit-learn's ``decision_function_shape="ovr"``).
        """
        check_is_fitted(self, "support_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        D = self._pair_decisions(X)
        if len(self.classes_) == 2:
            return D[:, 0]
        k = len(self.classes_)
        votes = np.zeros((len(X), k))
        conf = np.zeros((len(X), k))
        for p, (a, b) in enumerate(self.pairs_):
            votes[:, b] += D[:, p] > 0
            votes[:, a] += D[:, p] <= 0
            conf[:, b] += D[:, p]
            conf[:, a] -= D[:, p]
        return _ovr_votes_to_scores(votes, conf, k)

    def predict(self, X):
        """The class with the positive decision (binary) or the most one-vs-one votes."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


class LinearSVM(ClassifierMixin, BaseEstimator):
    """Linear soft-margin SVM trained on the primal with Pegasos (mini-batch sub-gradients).

    Minimises ``λ/2 ‖(w, b)‖² + (1/n) Σ max(0, 1 − yᵢ(w·xᵢ + b))`` with ``λ = 1/(C n)``, which
    is ``LinearSVC(loss="hinge")``'s objective divided by ``C n``. Step ``η_t = 1/(λ t)``;
    the returned weights are the average of the iterates over the second half of training,
    which removes most of the sub-gradient noise.

    Parameters
    ----------
    C : float, default=1.0
    n_epochs : int, default=50
        Passes over the data.
    batch_size : int, default=16
    fit_intercept : bool, default=True
        Append a constant feature 1 whose weight is the (regularised) intercept.
    average : bool, default=True
        Return the average of the second half of the iterates instead of the last one.
    random_state : int, Generator or None, default=None

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    classes_ : ndarray
    objective_history_ : ndarray of shape (n_epochs,) or (n_classes, n_epochs)
        The primal objective (scaled as above) after each epoch.
    """

    def __init__(
        self, C=1.0, n_epochs=50, batch_size=16, fit_intercept=True, average=True, random_state=None
    ):
        self.C = C
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.fit_intercept = fit_intercept
        self.average = average
        self.random_state = random_state

    def fit(self, X, y):
        """Fit one binary SVM (or one per class, one-vs-rest); returns ``self``."""
        _check_C(self.C)
        _check_pos_int("n_epochs", self.n_epochs)
        _check_pos_int("batch_size", self.batch_size)
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y must contain at least 2 classes, got 1 class ({self.classes_.tolist()})"
            )
        Xa = np.column_stack([X, np.ones(len(X))]) if self.fit_intercept else X
        rng = np.random.default_rng(self.random_state)
        targets = [1] if len(self.classes_) == 2 else range(len(self.classes_))
        W, hist = [], []
        for c in targets:
            yy = np.where(y_idx == c, 1.0, -1.0)
            w, h = self._pegasos(Xa, yy, rng)
            W.append(w)
            hist.append(h)
        W = np.array(W)
        if self.fit_intercept:
            self.coef_, self.intercept_ = W[:, :-1], W[:, -1].copy()
        else:
            self.coef_, self.intercept_ = W, np.zeros(len(W))
        self.objective_history_ = np.array(hist[0] if len(hist) == 1 else hist)
        return self

    def _pegasos(self, X, y, rng):
        n = len(X)
        lam = 1.0 / (float(self.C) * n)
        batch = min(self.batch_size, n)
        w = np.zeros(X.shape[1])
        w_sum, n_sum = np.zeros_like(w), 0
        steps_per_epoch = int(np.ceil(n / batch))
        total = self.n_epochs * steps_per_epoch
        t, history = 0, []
        for _ in range(self.n_epochs):
            order = rng.permutation(n)
            for start in range(0, n, batch):
                t += 1
                idx = order[start : start + batch]
                Xb, yb = X[idx], y[idx]
                active = yb * (Xb @ w) < 1.0
                eta = 1.0 / (lam * t)
                w = (1.0 - eta * lam) * w + eta * (yb[active] @ Xb[active]) / len(idx)
                if t > total // 2:
                    w_sum += w
                    n_sum += 1
            w_report = w_sum / n_sum if (self.average and n_sum) else w
            history.append(
                0.5 * lam * w_report @ w_report + np.maximum(0, 1 - y * (X @ w_report)).mean()
            )
        return (w_sum / n_sum if (self.average and n_sum) else w), history

    def decision_function(self, X):
        """``X @ coef_.T + intercept_``: shape (n,) when binary, else (n, n_classes)."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X):
        """The class with the largest decision value."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]
