"""Project 09 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def primal_objective(w, b, X, y, C):
    losses = [max(0.0, 1.0 - yi * (xi @ w + b)) for xi, yi in zip(X, y)]
    return 0.5 * float(np.dot(w, w)) + C * sum(losses)


def hinge_subgradient(w, b, X, y, lam):
    n = len(y)
    g_w, g_b = lam * np.asarray(w, float), 0.0
    for xi, yi in zip(X, y):
        if yi * (xi @ w + b) < 1:
            g_w = g_w - yi * xi / n
            g_b -= yi / n
    return g_w, g_b


def rbf_kernel(A, B, gamma=1.0):
    d2 = np.einsum("ijk,ijk->ij", A[:, None] - B[None], A[:, None] - B[None])
    return np.exp(-gamma * d2)


def smo_step(alpha, y, K, C, i, j, errors):
    new = alpha.copy()
    s = y[i] * y[j]
    total = alpha[j] + s * alpha[i]  # conserved along the constraint line
    if s > 0:
        L, H = max(0.0, total - C), min(C, total)
    else:
        L, H = max(0.0, total), min(C, C + total)
    eta = K[i, i] + K[j, j] - 2 * K[i, j]
    new[j] = np.clip(alpha[j] + y[j] * (errors[i] - errors[j]) / eta, L, H)
    new[i] = alpha[i] + s * (alpha[j] - new[j])
    return new


def decision_function(alpha, y, b, K):
    return np.einsum("tn,n->t", K, alpha * y) + b


REFERENCES = {
    "p09.primal_objective": primal_objective,
    "p09.hinge_subgradient": hinge_subgradient,
    "p09.rbf_kernel": rbf_kernel,
    "p09.smo_step": smo_step,
    "p09.decision_function": decision_function,
}


# --- typical mistakes ------------------------------------------------------------------
def obj_linear_loss(w, b, X, y, C):
    return 0.5 * w @ w + C * np.sum(1 - y * (X @ w + b))


def obj_mean(w, b, X, y, C):
    return 0.5 * w @ w + C * np.mean(np.maximum(0, 1 - y * (X @ w + b)))


def obj_no_half(w, b, X, y, C):
    return w @ w + C * np.sum(np.maximum(0, 1 - y * (X @ w + b)))


def sg_forgets_reg(w, b, X, y, lam):
    gw, gb = hinge_subgradient(w, b, X, y, lam)
    return gw - lam * w, gb


def sg_le(w, b, X, y, lam):
    m = y * (X @ w + b)
    a = m <= 1
    return lam * w - (y[a] @ X[a]) / len(y), -y[a].sum() / len(y)


def sg_sign(w, b, X, y, lam):
    m = y * (X @ w + b)
    a = m < 1
    return lam * w + (y[a] @ X[a]) / len(y), y[a].sum() / len(y)


def sg_sum(w, b, X, y, lam):
    m = y * (X @ w + b)
    a = m < 1
    return lam * w - y[a] @ X[a], -y[a].sum()


def rbf_plus(A, B, gamma=1.0):
    return 1 / rbf_kernel(A, B, gamma)


def rbf_distance(A, B, gamma=1.0):
    return np.exp(-gamma * np.linalg.norm(A[:, None] - B[None], axis=-1))


def rbf_in_place(A, B, gamma=1.0):
    A *= np.sqrt(gamma)  # "scale the inputs instead of the distances", in place
    return np.exp(-(((A[:, None] - B[None] * np.sqrt(gamma)) ** 2).sum(-1)))


def smo_unclipped(alpha, y, K, C, i, j, errors):
    new = alpha.copy()
    eta = K[i, i] + K[j, j] - 2 * K[i, j]
    new[j] = alpha[j] + y[j] * (errors[i] - errors[j]) / eta
    new[i] = alpha[i] + y[i] * y[j] * (alpha[j] - new[j])
    return new


def smo_only_j(alpha, y, K, C, i, j, errors):
    new = smo_step(alpha, y, K, C, i, j, errors)
    new[i] = alpha[i]
    return new


def smo_in_place(alpha, y, K, C, i, j, errors):
    new = smo_step(alpha, y, K, C, i, j, errors)
    alpha[:] = new
    return alpha


def dec_no_y(alpha, y, b, K):
    return K @ alpha + b


def dec_no_b(alpha, y, b, K):
    return K @ (alpha * y)


def dec_transposed(alpha, y, b, K):
    return K.T @ (alpha * y)[: K.shape[0]] + b


MISTAKES = {
    "p09.primal_objective": [
        (obj_linear_loss, "clip at zero"),
        (obj_mean, "sum the hinge losses"),
        (obj_no_half, "with the ½"),
    ],
    "p09.hinge_subgradient": [
        (sg_forgets_reg, "λw"),
        (sg_le, "strictly below 1"),
        (sg_sign, "sign error"),
        (sg_sum, "divide the hinge part by n"),
    ],
    "p09.rbf_kernel": [
        (rbf_plus, "minus sign"),
        (rbf_distance, "squared distance"),
        (rbf_in_place, "in place"),
    ],
    "p09.smo_step": [
        (smo_unclipped, "clip"),
        (smo_only_j, "update αᵢ too"),
        (smo_in_place, "in place"),
    ],
    "p09.decision_function": [
        (dec_no_y, "label"),
        (dec_no_b, "add the bias"),
        (dec_transposed, "expected shape"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
