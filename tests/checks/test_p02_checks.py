"""Project 02 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np
import pytest

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)

# the wrong implementations overflow and take log(0) on purpose
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# --- correct implementations, written independently of ml2llm ---------------------------
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def bce(y, logits):
    # log(1 + e^z) = max(z, 0) + log1p(e^{-|z|})
    z = np.asarray(logits, float)
    softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
    return float(np.sum(softplus - y * z) / len(z))


def gradient(X, y, w, b, alpha=0.0):
    r = sigmoid(np.dot(X, w) + b) - y
    return np.einsum("ij,i->j", X, r) / len(y) + alpha * w, float(np.mean(r))


def newton_step(X, y, w, b, alpha=0.0):
    # Solve the (d+1)-system with the intercept FIRST (a different but valid layout).
    n, d = X.shape
    A = np.hstack([np.ones((n, 1)), X])
    p = sigmoid(A @ np.r_[b, w])
    gw, gb = gradient(X, y, w, b, alpha)
    H = A.T @ np.diag(p * (1 - p)) @ A / n + alpha * np.diag(np.r_[0.0, np.ones(d)])
    theta = np.r_[b, w] - np.linalg.solve(H, np.r_[gb, gw])
    return theta[1:], theta[0]


def predict_labels(X, w, b, threshold=0.5):
    return np.where(sigmoid(X @ w + b) > threshold, 1, 0)


REFERENCES = {
    "p02.sigmoid": sigmoid,
    "p02.bce": bce,
    "p02.gradient": gradient,
    "p02.newton_step": newton_step,
    "p02.predict_labels": predict_labels,
}


# --- typical mistakes ------------------------------------------------------------------
def sigmoid_naive_ratio(z):
    return np.exp(z) / (1 + np.exp(z))


def sigmoid_textbook(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_where_both_branches(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def sigmoid_sign(z):
    return 1 / (1 + np.exp(np.clip(z, -500, 500)))


def sigmoid_in_place(z):
    z *= -1
    np.exp(z, out=z)
    z += 1
    return 1 / z


def bce_naive(y, logits):
    p = 1 / (1 + np.exp(-logits))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_eps(y, logits):
    p = sigmoid(logits)
    eps = 1e-12
    return -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))


def bce_clip(y, logits):
    p = np.clip(sigmoid(logits), 1e-15, 1 - 1e-15)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_sum(y, logits):
    return np.sum(np.logaddexp(0, logits) - y * logits)


def grad_sign(X, y, w, b, alpha=0.0):
    r = y - sigmoid(X @ w + b)
    return X.T @ r / len(y) + alpha * w, r.mean()


def grad_linear(X, y, w, b, alpha=0.0):
    r = X @ w + b - y
    return X.T @ r / len(y) + alpha * w, r.mean()


def grad_forgets_alpha(X, y, w, b, alpha=0.0):
    r = sigmoid(X @ w + b) - y
    return X.T @ r / len(y), r.mean()


def grad_penalises_bias(X, y, w, b, alpha=0.0):
    r = sigmoid(X @ w + b) - y
    return X.T @ r / len(y) + alpha * w, r.mean() + alpha * b


def newton_unweighted(X, y, w, b, alpha=0.0):
    n, d = X.shape
    A = np.column_stack([X, np.ones(n)])
    gw, gb = gradient(X, y, w, b, alpha)
    H = A.T @ A / n + alpha * np.diag(np.r_[np.ones(d), 0.0])
    th = np.r_[w, b] - np.linalg.solve(H, np.r_[gw, gb])
    return th[:-1], th[-1]


def newton_is_gd(X, y, w, b, alpha=0.0):
    gw, gb = gradient(X, y, w, b, alpha)
    return w - gw, b - gb


def newton_reg_bias(X, y, w, b, alpha=0.0):
    n, d = X.shape
    A = np.column_stack([X, np.ones(n)])
    p = sigmoid(A @ np.r_[w, b])
    gw, gb = gradient(X, y, w, b, alpha)
    H = (A.T * (p * (1 - p))) @ A / n + alpha * np.eye(d + 1)
    th = np.r_[w, b] - np.linalg.solve(H, np.r_[gw, gb])
    return th[:-1], th[-1]


def predict_on_logits(X, w, b, threshold=0.5):
    return (X @ w + b > threshold).astype(int)


def predict_ge(X, w, b, threshold=0.5):
    return (sigmoid(X @ w + b) >= threshold).astype(int)


def predict_fixed_half(X, w, b, threshold=0.5):
    return (sigmoid(X @ w + b) > 0.5).astype(int)


MISTAKES = {
    "p02.sigmoid": [
        (sigmoid_naive_ratio, "overflow"),
        (sigmoid_textbook, "only ever compute e^{-|z|}"),
        (sigmoid_where_both_branches, "evaluates both branches"),
        (sigmoid_sign, "sign error"),
        (sigmoid_in_place, "in place"),
    ],
    "p02.bce": [
        (bce_naive, "log(0)"),
        (bce_eps, "expected 1000"),
        (bce_clip, "caps the loss"),
        (bce_sum, "divide by n"),
    ],
    "p02.gradient": [
        (grad_sign, "sign error"),
        (grad_linear, "through the sigmoid"),
        (grad_forgets_alpha, "penalty's gradient"),
        (grad_penalises_bias, "do not penalise the intercept"),
    ],
    "p02.newton_step": [
        (newton_unweighted, "p(1 − p)"),
        (newton_is_gd, "gradient step"),
        (newton_reg_bias, "do not penalise the intercept"),
    ],
    "p02.predict_labels": [
        (predict_on_logits, "not the logit"),
        (predict_ge, "strict >"),
        (predict_fixed_half, "threshold argument"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
