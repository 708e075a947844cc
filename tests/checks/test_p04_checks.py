"""Project 04 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def polynomial_features(x, degree):
    x = np.ravel(np.asarray(x, dtype=float))
    return np.vander(x, degree + 1, increasing=True)[:, 1:]


def ridge_closed_form(X, y, alpha):
    # augmented least squares: [X 1; √α·I 0] θ ≈ [y; 0] penalises w only
    n, d = X.shape
    A = np.vstack(
        [
            np.column_stack([X, np.ones(n)]),
            np.column_stack([np.sqrt(alpha) * np.eye(d), np.zeros(d)]),
        ]
    )
    theta, *_ = np.linalg.lstsq(A, np.r_[y, np.zeros(d)], rcond=None)
    return theta[:d], theta[d]


def ridge_gradient(X, y, w, b, alpha):
    n = len(y)
    r = np.dot(X, w) + b - y
    return np.einsum("ij,i->j", X, r) / n + alpha / n * w, np.sum(r) / n


def soft_threshold(z, threshold):
    return np.where(z > threshold, z - threshold, np.where(z < -threshold, z + threshold, 0.0))


def cd_epoch(X, y, w, alpha, l1_ratio=1.0):
    n = len(y)
    w = w.copy()
    for j in range(X.shape[1]):
        partial = y - np.delete(X, j, axis=1) @ np.delete(w, j)  # residual without feature j
        rho = X[:, j] @ partial
        w[j] = soft_threshold(rho, n * alpha * l1_ratio) / (
            X[:, j] @ X[:, j] + n * alpha * (1 - l1_ratio)
        )
    return w


REFERENCES = {
    "p04.polynomial_features": polynomial_features,
    "p04.ridge_closed_form": ridge_closed_form,
    "p04.ridge_gradient": ridge_gradient,
    "p04.soft_threshold": soft_threshold,
    "p04.cd_epoch": cd_epoch,
}


# --- typical mistakes ------------------------------------------------------------------
def poly_with_bias(x, degree):
    return np.vander(np.ravel(x), degree + 1, increasing=True)


def poly_from_zero(x, degree):
    x = np.ravel(x)
    return np.column_stack([x**k for k in range(degree)])


def ridge_penalises_intercept(X, y, alpha):
    A = np.column_stack([np.ones(len(X)), X])
    theta = np.linalg.inv(A.T @ A + alpha * np.eye(A.shape[1])) @ A.T @ y
    return theta[1:], theta[0]


def ridge_forgets_intercept(X, y, alpha):
    return np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ y), 0.0


def ridge_mean_scaled(X, y, alpha):
    # uses alpha·n (penalty on the *mean* squared error)
    Xc, yc = X - X.mean(0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + len(X) * alpha * np.eye(X.shape[1]), Xc.T @ yc)
    return w, y.mean() - X.mean(0) @ w


def rgrad_penalty_not_scaled(X, y, w, b, alpha):
    r = X @ w + b - y
    return X.T @ r / len(y) + alpha * w, r.mean()


def rgrad_penalises_b(X, y, w, b, alpha):
    gw, gb = ridge_gradient(X, y, w, b, alpha)
    return gw, gb + alpha * b / len(y)


def rgrad_mse_factor(X, y, w, b, alpha):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y) + alpha * w / len(y), 2 * r.mean()


def soft_as_ridge(z, threshold):
    return z / (1 + threshold)


def soft_no_sign(z, threshold):
    return np.maximum(z - threshold, 0)


def soft_hard(z, threshold):
    return np.where(np.abs(z) > threshold, z, 0.0)


def cd_jacobi(X, y, w, alpha, l1_ratio=1.0):
    n, r = len(y), y - X @ w
    new = w.copy()
    for j in range(X.shape[1]):
        rho = X[:, j] @ r + X[:, j] @ X[:, j] * w[j]
        new[j] = soft_threshold(rho, n * alpha * l1_ratio) / (
            X[:, j] @ X[:, j] + n * alpha * (1 - l1_ratio)
        )
    return new


def cd_in_place(X, y, w, alpha, l1_ratio=1.0):
    n = len(y)
    for j in range(X.shape[1]):
        rho = X[:, j] @ (y - X @ w) + X[:, j] @ X[:, j] * w[j]
        w[j] = soft_threshold(rho, n * alpha * l1_ratio) / (
            X[:, j] @ X[:, j] + n * alpha * (1 - l1_ratio)
        )
    return w


def cd_no_n(X, y, w, alpha, l1_ratio=1.0):
    w = w.copy()
    for j in range(X.shape[1]):
        rho = X[:, j] @ (y - X @ w) + X[:, j] @ X[:, j] * w[j]
        w[j] = soft_threshold(rho, alpha * l1_ratio) / (X[:, j] @ X[:, j] + alpha * (1 - l1_ratio))
    return w


def cd_lasso_only(X, y, w, alpha, l1_ratio=1.0):
    n, w = len(y), w.copy()
    for j in range(X.shape[1]):
        rho = X[:, j] @ (y - X @ w) + X[:, j] @ X[:, j] * w[j]
        w[j] = soft_threshold(rho, n * alpha * l1_ratio) / (X[:, j] @ X[:, j])
    return w


MISTAKES = {
    "p04.polynomial_features": [
        (poly_with_bias, "expected shape"),
        (poly_from_zero, "from 1 to degree"),
    ],
    "p04.ridge_closed_form": [
        (ridge_penalises_intercept, "do not penalise the intercept"),
        (ridge_forgets_intercept, "recover the intercept"),
        (ridge_mean_scaled, "use alpha as given"),
    ],
    "p04.ridge_gradient": [
        (rgrad_penalty_not_scaled, "divide the penalty's gradient by n"),
        (rgrad_penalises_b, "do not penalise the intercept"),
        (rgrad_mse_factor, "cancels"),
    ],
    "p04.soft_threshold": [
        (soft_as_ridge, "L2 shrinkage"),
        (soft_no_sign, "negative z"),
        (soft_hard, "hard thresholding"),
    ],
    "p04.cd_epoch": [
        (cd_jacobi, "one after another"),
        (cd_in_place, "in place"),
        (cd_no_n, "multiply the threshold"),
        (cd_lasso_only, "denominator"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
