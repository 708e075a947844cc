"""Checks for Project 09 — support vector machines (primal objective, hinge sub-gradient, RBF
kernel, SMO pair update, kernel decision function). References are in
:mod:`ml2llm.classical.svm`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import svm as ref


def _problem(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    return X, y, rng.normal(size=d), float(rng.normal())


# ----------------------------------------------------------------- 9.1 primal objective
def _objective_cases():
    X, y, w, b = _problem(12, 3, 0)
    return [
        Case(
            (
                np.array([1.0, -1.0]),
                0.5,
                np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]]),
                np.array([1.0, 1.0, -1.0]),
                1.0,
            )
        ),
        Case((w, b, X, y, 0.3), label="w, b random; X (12, 3); C=0.3"),
        Case((w * 10, b, X, y, 2.0), label="a large w: most margins far beyond 1; C=2"),
    ]


def _obj_no_max(w, b, X, y, C):
    return 0.5 * w @ w + C * (1 - y * (X @ w + b)).sum()


def _obj_mean(w, b, X, y, C):
    return 0.5 * w @ w + C * np.maximum(0, 1 - y * (X @ w + b)).mean()


def _obj_no_half(w, b, X, y, C):
    return w @ w + C * np.maximum(0, 1 - y * (X @ w + b)).sum()


def _obj_bias_outside(w, b, X, y, C):
    return 0.5 * w @ w + C * np.maximum(0, 1 - (y * (X @ w) + b)).sum()


register(
    Check(
        "p09.primal_objective",
        reference=ref.primal_objective,
        cases=_objective_cases,
        hint="½‖w‖² + C Σᵢ max(0, 1 − yᵢ(w·xᵢ + b)).",
        mistakes=[
            Mistake(
                "no max",
                _obj_no_max,
                "clip at zero: max(0, 1 − margin), so points beyond the margin cost nothing.",
            ),
            Mistake(
                "mean",
                _obj_mean,
                "sum the hinge losses (C multiplies the sum), don't average them.",
            ),
            Mistake("no half", _obj_no_half, "the regulariser is ½‖w‖², with the ½."),
            Mistake(
                "bias outside",
                _obj_bias_outside,
                "the margin is yᵢ(w·xᵢ + b): multiply the whole score, bias included, by yᵢ.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 9.2 sub-gradient
def _subgrad_cases():
    X, y, w, b = _problem(10, 3, 1)
    # the third point sits exactly on the margin: y (w·x + b) = 1
    Xe = np.array([[2.0, 0.0], [0.0, -1.0], [1.0, 0.0], [-0.5, 0.5]])
    ye = np.array([1.0, 1.0, 1.0, -1.0])
    return [
        Case(
            (np.array([0.5, 0.0]), 0.5, Xe, ye, 0.1),
            label="4 points, one exactly on the margin (y·f = 1), λ=0.1",
            hint="a point with margin exactly 1 has zero hinge loss: only margins < 1 count.",
        ),
        Case((w, b, X, y, 0.05), label="w, b random; X (10, 3); λ=0.05"),
        Case((np.zeros(3), 0.0, X, y, 1.0), label="w = 0, b = 0 (every point active); λ=1"),
    ]


def _sg_variant(reg=True, sign=1.0, le=False, mean=True, bias_all=False):
    def wrong(w, b, X, y, lam):
        n = X.shape[0] if mean else 1
        m = y * (X @ w + b)
        active = m <= 1 if le else m < 1
        g_w = (lam * w if reg else 0.0) - sign * (y[active] @ X[active]) / n
        g_b = -sign * (y.sum() if bias_all else y[active].sum()) / n
        return g_w, g_b

    return wrong


register(
    Check(
        "p09.hinge_subgradient",
        reference=ref.hinge_subgradient,
        cases=_subgrad_cases,
        hint="g_w = λw − (1/n) Σ_{margin<1} yᵢxᵢ and g_b = −(1/n) Σ_{margin<1} yᵢ.",
        mistakes=[
            Mistake("no regulariser", _sg_variant(reg=False), "add the regulariser's gradient λw."),
            Mistake(
                "sign",
                _sg_variant(sign=-1.0),
                "sign error: the hinge term contributes −yᵢxᵢ (it pushes w towards yᵢxᵢ).",
            ),
            Mistake(
                "<= 1",
                _sg_variant(le=True),
                "only points with margin strictly below 1 are active; at exactly 1 the loss is 0.",
            ),
            Mistake(
                "no 1/n", _sg_variant(mean=False), "divide the hinge part by n: it is an average."
            ),
            Mistake(
                "bias all",
                _sg_variant(bias_all=True),
                "the bias gradient sums yᵢ over the active points only, like g_w.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 9.3 RBF kernel
def _rbf_cases():
    rng = np.random.default_rng(2)
    return [
        Case((np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 0.0]]), 0.5)),
        Case(
            (rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), 0.2),
            label="A (5, 3), B (4, 3), γ=0.2",
        ),
        Case(
            (np.array([[1.0, 2.0]]), np.array([[1.0, 2.0], [3.0, 2.0]]), 2.0),
            hint="K(x, x) = 1 for every point: the distance to itself is 0.",
        ),
    ]


def _rbf_sq(A, B, gamma=1.0):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)


register(
    Check(
        "p09.rbf_kernel",
        reference=ref.rbf_kernel,
        cases=_rbf_cases,
        hint="K[i, j] = exp(−γ ‖A[i] − B[j]‖²), shape (len(A), len(B)).",
        mistakes=[
            Mistake(
                "positive exponent",
                lambda A, B, gamma=1.0: np.exp(gamma * _rbf_sq(A, B)),
                "mind the minus sign: exp(−γ d²) decays with distance.",
            ),
            Mistake(
                "not squared",
                lambda A, B, gamma=1.0: np.exp(-gamma * np.sqrt(_rbf_sq(A, B))),
                "use the squared distance ‖a − b‖², not the distance.",
            ),
            Mistake(
                "divide by gamma",
                lambda A, B, gamma=1.0: np.exp(-_rbf_sq(A, B) / gamma),
                "multiply by γ (scikit-learn's convention: γ = 1/(2σ²)), don't divide.",
            ),
            Mistake(
                "dot product",
                lambda A, B, gamma=1.0: np.exp(-gamma * (A @ B.T)),
                "the RBF kernel uses the squared distance ‖a‖² + ‖b‖² − 2a·b, not the dot product.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 9.4 SMO step
def _smo_cases():
    X, y, _, _ = _problem(6, 2, 3)
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    K = ref.rbf_kernel(X, X, 0.5)
    alpha = np.array([0.2, 0.5, 0.0, 0.3, 0.6, 0.0])  # Σ αy = 0.2−0.5+0−0.3+0.6−0 = 0
    errors = K @ (alpha * y) + 0.1 - y
    return [
        Case(
            (alpha, y, K, 1.0, 0, 1, errors),
            label="6 points, RBF K, C=1, pair (0, 1) (labels differ)",
        ),
        Case((alpha, y, K, 1.0, 0, 4, errors), label="pair (0, 4) (same label)"),
        Case(
            (alpha, y, K, 0.65, 0, 4, errors),
            label="pair (0, 4), C=0.65: the step must be clipped",
            hint="clip αⱼ to [L, H] so both multipliers stay in [0, C].",
        ),
        Case((alpha, y, K, 1.0, 2, 3, errors), label="pair (2, 3), α₂ = 0 at its bound"),
        Case(
            (alpha, y, K, 10.0, 0, 1, errors),
            label="pair (0, 1), C=10: the step lands inside the box (no clipping)",
            hint="η = Kᵢᵢ + Kⱼⱼ − 2Kᵢⱼ and the step is yⱼ(Eᵢ − Eⱼ)/η.",
        ),
        Case((alpha, y, K, 10.0, 4, 0, errors), label="pair (4, 0), same label, C=10, no clipping"),
        Case(
            (alpha, y, K, 0.55, 1, 4, errors),
            label="pair (1, 4), C=0.55: labels differ, αⱼ > αᵢ, the box [L, H] is narrow",
            hint="labels differ: L = max(0, αⱼ − αᵢ), H = min(C, C + αⱼ − αᵢ).",
        ),
        Case(
            (alpha, y, K, 0.55, 4, 1, errors),
            label="pair (4, 1), C=0.55: labels differ, αⱼ < αᵢ",
            hint="labels differ: L = max(0, αⱼ − αᵢ), H = min(C, C + αⱼ − αᵢ).",
        ),
        Case(
            (alpha, y, K, 10.0, 1, 5, errors),
            label="pair (1, 5): close points (η ≈ 0.08 < 1), same label, C=10, no clipping",
        ),
        Case(
            (alpha, y, K, 1.0, 4, 3, -errors),
            label="pair (4, 3), labels differ, the step pushes α₃ below 0: clip at L = 0",
            hint="labels differ: L = max(0, αⱼ − αᵢ), H = min(C, C + αⱼ − αᵢ).",
        ),
        Case(
            (alpha, y, K, 1.0, 3, 4, -errors),
            label="pair (3, 4), labels differ, αⱼ > αᵢ, the step goes below αⱼ − αᵢ",
            hint="labels differ: L = max(0, αⱼ − αᵢ), H = min(C, C + αⱼ − αᵢ).",
        ),
        Case(
            (alpha, y, K, 1.0, 0, 4, -errors),
            label="pair (0, 4), same label, the step goes down",
            hint="same label: L = max(0, αᵢ + αⱼ − C), H = min(C, αᵢ + αⱼ).",
        ),
        Case(
            (alpha, y, K, 0.65, 0, 4, -errors),
            label="pair (0, 4), same label, C=0.65, the step goes below αᵢ + αⱼ − C",
            hint="same label: L = max(0, αᵢ + αⱼ − C), H = min(C, αᵢ + αⱼ).",
        ),
        Case(
            (alpha, y, K, 0.6, 4, 0, -errors),
            label="pair (4, 0), same label, C=0.6: α₀ may not fall below α₄ + α₀ − C = 0.2",
            hint="same label: L = max(0, αᵢ + αⱼ − C), H = min(C, αᵢ + αⱼ).",
        ),
        Case(
            (alpha, y, K, 0.65, 0, 2, -errors),
            label="pair (0, 2), same label, C=0.65, α₂ = 0: the step must stop at 0",
            hint="same label: L = max(0, αᵢ + αⱼ − C), H = min(C, αᵢ + αⱼ).",
        ),
        Case(
            (alpha, y, K, 0.65, 4, 0, errors),
            label="pair (4, 0), same label, C=0.65",
            hint="same label: L = max(0, αᵢ + αⱼ − C), H = min(C, αᵢ + αⱼ).",
        ),
    ]


def _smo_variant(clip=True, same_bounds=False, update_i=True, flip=False):
    def wrong(alpha, y, K, C, i, j, errors):
        alpha = np.array(alpha, dtype=float)
        ai, aj = alpha[i], alpha[j]
        if y[i] != y[j] or same_bounds:
            L, H = max(0.0, aj - ai), min(C, C + aj - ai)
        else:
            L, H = max(0.0, ai + aj - C), min(C, ai + aj)
        eta = max(K[i, i] + K[j, j] - 2 * K[i, j], 1e-12)
        diff = errors[j] - errors[i] if flip else errors[i] - errors[j]
        new = aj + y[j] * diff / eta
        if clip:
            new = min(max(new, L), H)
        alpha[j] = new
        if update_i:
            alpha[i] = ai + y[i] * y[j] * (aj - new)
        return alpha

    return wrong


register(
    Check(
        "p09.smo_step",
        reference=ref.smo_step,
        cases=_smo_cases,
        hint="αⱼ ← clip(αⱼ + yⱼ(Eᵢ − Eⱼ)/η, L, H), η = Kᵢᵢ + Kⱼⱼ − 2Kᵢⱼ; then αᵢ ← αᵢ + yᵢyⱼ(αⱼ_old − αⱼ_new).",
        mistakes=[
            Mistake(
                "no clip",
                _smo_variant(clip=False),
                "clip αⱼ to [L, H] so both multipliers stay in [0, C].",
            ),
            Mistake(
                "one box",
                _smo_variant(same_bounds=True),
                "when yᵢ = yⱼ the box is L = max(0, αᵢ + αⱼ − C), H = min(C, αᵢ + αⱼ).",
            ),
            Mistake(
                "alpha_i fixed",
                _smo_variant(update_i=False),
                "update αᵢ too, so Σ αₖyₖ stays 0: αᵢ += yᵢyⱼ(αⱼ_old − αⱼ_new).",
            ),
            Mistake(
                "flipped errors",
                _smo_variant(flip=True),
                "use Eᵢ − Eⱼ (in that order) in the step.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 9.5 decision function
def _decision_cases():
    rng = np.random.default_rng(4)
    alpha = np.array([0.0, 0.7, 1.0, 0.3])
    y = np.array([1.0, -1.0, 1.0, 1.0])
    return [
        Case((alpha, y, -0.2, np.array([[1.0, 0.5, 0.2, 0.1], [0.0, 1.0, 0.3, 0.9]]))),
        Case((alpha, y, 0.4, rng.random((5, 4))), label="K of shape (5 test, 4 train), b=0.4"),
    ]


register(
    Check(
        "p09.decision_function",
        reference=ref.decision_function,
        cases=_decision_cases,
        hint="f = K @ (α * y) + b, with K of shape (n_test, n_train).",
        mistakes=[
            Mistake(
                "no labels", lambda alpha, y, b, K: K @ alpha + b, "weight each αᵢ by its label yᵢ."
            ),
            Mistake("no bias", lambda alpha, y, b, K: K @ (alpha * y), "add the bias b."),
            Mistake(
                "minus bias",
                lambda alpha, y, b, K: K @ (alpha * y) - b,
                "add the bias b, don't subtract it.",
            ),
        ],
    )
)
