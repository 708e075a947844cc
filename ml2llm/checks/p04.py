"""Checks for Project 04 — regularization (polynomial features, ridge in closed form and its
gradient, soft-thresholding, one coordinate-descent sweep for lasso / elastic net).
References are in :mod:`ml2llm.classical.regularization`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import regularization as ref


def _data(n, d, seed, center=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + 0.5
    y = X @ rng.normal(size=d) + 1.5 + 0.3 * rng.normal(size=n)
    if center:
        X, y = X - X.mean(0), y - y.mean()
    return X, y, rng.normal(size=d)


# ----------------------------------------------------------------- polynomial features
def _poly_cases():
    return [
        Case((np.array([1.0, 2.0, 3.0]), 2)),
        Case((np.array([-1.0, 0.5]), 4)),
        Case(
            (np.array([[2.0], [-3.0]]), 3), hint="accept x of shape (n, 1) too: flatten it first."
        ),
        Case((np.linspace(-1, 1, 7), 1), hint="degree 1 is just x as one column."),
    ]


register(
    Check(
        "p04.polynomial_features",
        reference=ref.polynomial_features,
        cases=_poly_cases,
        hint="column k is x**(k+1): x, x², …, x^degree, shape (n, degree); no column of ones.",
        mistakes=[
            Mistake(
                "bias column",
                lambda x, degree: np.asarray(x, float).reshape(-1, 1) ** np.arange(degree + 1),
                "no column of ones (x⁰): the models fit their own intercept.",
            ),
            Mistake(
                "starts at 0",
                lambda x, degree: np.asarray(x, float).reshape(-1, 1) ** np.arange(degree),
                "powers run from 1 to degree (x, …, x^degree), not from 0.",
            ),
            Mistake(
                "transposed",
                lambda x, degree: (
                    (np.asarray(x, float).reshape(-1, 1) ** np.arange(1, degree + 1)).T
                ),
                "one row per sample: shape (n, degree).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- ridge, closed form
def _ridge_cases():
    X, y, _ = _data(20, 3, 0)
    return [
        Case(
            (np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([1.0, 3.0, 5.0, 7.0]), 0.0),
            hint="alpha = 0 is ordinary least squares.",
        ),
        Case((X, y, 1.0), label="X of shape (20, 3), y, alpha=1.0"),
        Case(
            (X, y, 50.0),
            label="X of shape (20, 3), y, alpha=50",
            hint="a large alpha shrinks w towards 0, but the intercept must stay ≈ mean(y) − mean(X)·w.",
        ),
    ]


def _ridge_penalised_intercept(X, y, alpha):
    Xb = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.solve(Xb.T @ Xb + alpha * np.eye(Xb.shape[1]), Xb.T @ y)
    return theta[:-1], float(theta[-1])


def _ridge_no_center(X, y, alpha):
    return np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ y), 0.0


def _ridge_scaled(X, y, alpha):
    return ref.ridge_closed_form(X, y, alpha * len(X))


register(
    Check(
        "p04.ridge_closed_form",
        reference=ref.ridge_closed_form,
        cases=_ridge_cases,
        hint="centre X and y, solve (X_cᵀX_c + αI) w = X_cᵀy_c, then b = mean(y) − mean(X)·w; return (w, b).",
        mistakes=[
            Mistake(
                "penalised intercept",
                _ridge_penalised_intercept,
                "do not penalise the intercept: centre X and y, solve for w, then b = ȳ − x̄·w.",
            ),
            Mistake(
                "no intercept",
                _ridge_no_center,
                "centre X and y first and recover the intercept b = ȳ − x̄·w.",
            ),
            Mistake(
                "alpha·n",
                _ridge_scaled,
                "use alpha as given: the objective is ‖y − Xw − b‖² + α‖w‖² (sums, not means).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- ridge gradient
def _rgrad_cases():
    X, y, w = _data(12, 3, 1)
    return [
        Case((np.array([[1.0], [2.0]]), np.array([1.0, 2.0]), np.array([0.5]), 0.0, 0.0)),
        Case((X, y, w, 0.7, 0.0), label="X (12, 3), random w, b=0.7, alpha=0"),
        Case(
            (X, y, w, 0.7, 3.0),
            label="X (12, 3), random w, b=0.7, alpha=3",
            hint="the penalty α‖w‖²/(2n) adds α·w/n to grad_w and nothing to grad_b.",
        ),
    ]


def _rgrad_variant(pen_scale=None, penalise_b=False, factor=1.0, sign=1.0):
    def wrong(X, y, w, b, alpha):
        n = X.shape[0]
        r = sign * (X @ w + b - y)
        pen = alpha * w / n if pen_scale is None else pen_scale * alpha * w
        return factor * X.T @ r / n + pen, float(
            factor * r.mean() + (alpha * b / n if penalise_b else 0.0)
        )

    return wrong


register(
    Check(
        "p04.ridge_gradient",
        reference=ref.ridge_gradient,
        cases=_rgrad_cases,
        hint="with r = Xw + b − y: grad_w = (Xᵀr + α·w)/n, grad_b = mean(r).",
        mistakes=[
            Mistake(
                "penalty not /n",
                _rgrad_variant(pen_scale=1.0),
                "divide the penalty's gradient by n too: J = (‖r‖² + α‖w‖²)/(2n).",
            ),
            Mistake(
                "penalised b", _rgrad_variant(penalise_b=True), "do not penalise the intercept."
            ),
            Mistake(
                "factor 2",
                _rgrad_variant(factor=2.0),
                "J has a factor 1/(2n): the 2 from the square cancels, so grad_w = Xᵀr/n + …",
            ),
            Mistake(
                "sign",
                _rgrad_variant(sign=-1.0),
                "sign error: use r = Xw + b − y (prediction minus target).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- soft-thresholding
def _soft_cases():
    return [
        Case((np.array([3.0, 0.5, -0.5, -3.0]), 1.0)),
        Case((np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), 1.0), hint="|z| ≤ threshold gives exactly 0."),
        Case((np.array([0.3, -7.0]), 0.0), hint="threshold 0 changes nothing."),
        Case((np.linspace(-4, 4, 9), 2.5), label="z = [-4, -3, …, 4], threshold=2.5"),
    ]


register(
    Check(
        "p04.soft_threshold",
        reference=ref.soft_threshold,
        cases=_soft_cases,
        hint="S(z, t) = sign(z) · max(|z| − t, 0): shrink towards 0 by t, and stop at 0.",
        mistakes=[
            Mistake(
                "ridge shrink",
                lambda z, threshold: z / (1.0 + threshold),
                "that is L2 shrinkage (divide by 1 + t), used for L1: the lasso subtracts t and "
                "sets small values to exactly 0.",
            ),
            Mistake(
                "no sign",
                lambda z, threshold: np.maximum(z - threshold, 0.0),
                "negative z must shrink towards 0 too: use sign(z)·max(|z| − t, 0).",
            ),
            Mistake(
                "hard",
                lambda z, threshold: z * (np.abs(z) > threshold),
                "that is hard thresholding: surviving values must also shrink by t.",
            ),
            Mistake(
                "no floor",
                lambda z, threshold: np.sign(z) * (np.abs(z) - threshold),
                "values with |z| < t must become 0, not change sign: take max(|z| − t, 0).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- coordinate descent
def _cd_cases():
    X, y, w = _data(25, 4, 2, center=True)
    X2, y2, w2 = _data(15, 2, 3, center=True)
    return [
        Case((X2, y2, np.zeros(2), 0.1), label="X (15, 2) centred, w = 0, alpha=0.1"),
        Case(
            (X, y, w, 0.05),
            label="X (25, 4) centred, random w, alpha=0.05",
            hint="update w_j in place of a *copy*, one coordinate after another, using the new values.",
        ),
        Case((X, y, w, 5.0), label="X (25, 4) centred, random w, alpha=5 (every weight → 0)"),
        Case(
            (X, y, w, 0.2),
            {"l1_ratio": 0.5},
            label="X (25, 4) centred, alpha=0.2, l1_ratio=0.5",
            hint="elastic net: threshold n·α·ρ, denominator ‖x_j‖² + n·α·(1 − ρ).",
        ),
    ]


def _cd_variant(jacobi=False, scale_n=True, norm=True, l2=True):
    def wrong(X, y, w, alpha, l1_ratio=1.0):
        n = X.shape[0]
        w_old, w = np.array(w, float), np.array(w, float)
        a = n * alpha if scale_n else alpha
        for j in range(X.shape[1]):
            cur = w_old if jacobi else w
            xj = X[:, j]
            rho = xj @ (y - X @ cur) + (xj @ xj) * cur[j]
            den = (xj @ xj if norm else n) + (a * (1 - l1_ratio) if l2 else 0.0)
            w[j] = ref.soft_threshold(rho, a * l1_ratio) / den
        return w

    return wrong


register(
    Check(
        "p04.cd_epoch",
        reference=ref.coordinate_descent_epoch,
        cases=_cd_cases,
        hint="for each j: ρ_j = x_jᵀ(y − Xw + x_j w_j); w_j ← S(ρ_j, nαρ₁)/(‖x_j‖² + nα(1 − ρ₁)), "
        "using the already-updated weights.",
        mistakes=[
            Mistake(
                "jacobi",
                _cd_variant(jacobi=True),
                "update the coordinates one after another, each using the weights already "
                "updated in this sweep (Gauss–Seidel), not all from the old w.",
            ),
            Mistake(
                "no n",
                _cd_variant(scale_n=False),
                "the loss is ‖y − Xw‖²/(2n): multiply the threshold (and the L2 term) by n.",
            ),
            Mistake(
                "divide by n",
                _cd_variant(norm=False),
                "divide by ‖x_j‖² (the coordinate's curvature), not by n.",
            ),
            Mistake(
                "no l2",
                _cd_variant(l2=False),
                "elastic net: add n·α·(1 − l1_ratio) to the denominator.",
            ),
        ],
    )
)
