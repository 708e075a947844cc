"""Project 03 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np
import pytest
from scipy.special import logsumexp

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)

# the wrong implementations overflow and take log(0) on purpose
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# --- correct implementations, written independently of ml2llm ---------------------------
def log_softmax(Z):
    return Z - logsumexp(Z, axis=1, keepdims=True)


def softmax(Z):
    return np.exp(log_softmax(np.asarray(Z, float)))


def one_hot(y, n_classes):
    return (np.asarray(y)[:, None] == np.arange(n_classes)[None, :]).astype(float)


def cross_entropy(Y, logits):
    return float(-np.einsum("ik,ik->", Y, log_softmax(logits)) / len(Y))


def gradient(X, Y, W, b, alpha=0.0):
    R = softmax(X @ W + b) - Y
    return np.einsum("ij,ik->jk", X, R) / len(X) + alpha * W, R.mean(axis=0)


REFERENCES = {
    "p03.softmax": softmax,
    "p03.log_softmax": log_softmax,
    "p03.one_hot": one_hot,
    "p03.cross_entropy": cross_entropy,
    "p03.gradient": gradient,
}


# --- typical mistakes ------------------------------------------------------------------
def softmax_naive(Z):
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_no_keepdims(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum()  # sums over the whole matrix


def softmax_global_max(Z):
    e = np.exp(Z - np.max(Z))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax_via_log(Z):
    return np.log(softmax(Z))


def log_softmax_naive(Z):
    return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))


def one_hot_off_by_one(y, n_classes):
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), np.asarray(y) - 1] = 1
    return Y


def one_hot_width_from_data(y, n_classes):
    return np.eye(int(np.max(y)) + 1)[y]


def ce_mean_all(Y, logits):
    return -np.mean(Y * log_softmax(logits))


def ce_naive(Y, logits):
    return -np.sum(Y * np.log(softmax_naive(logits))) / len(Y)


def ce_positive_sign(Y, logits):
    return np.sum(Y * log_softmax(logits)) / len(Y)


def grad_y_minus_p(X, Y, W, b, alpha=0.0):
    R = Y - softmax(X @ W + b)
    return X.T @ R / len(X) + alpha * W, R.mean(axis=0)


def grad_penalises_b(X, Y, W, b, alpha=0.0):
    gw, gb = gradient(X, Y, W, b, alpha)
    return gw, gb + alpha * b


def grad_forgets_alpha(X, Y, W, b, alpha=0.0):
    return gradient(X, Y, W, b, 0.0)


def grad_wrong_orientation(X, Y, W, b, alpha=0.0):
    R = softmax(X @ W + b) - Y
    return R.T @ X / len(X) + alpha * W.T, R.mean(axis=0)


MISTAKES = {
    "p03.softmax": [
        (softmax_naive, "overflow"),
        (softmax_global_max, "each row's own max"),
        (softmax_no_keepdims, "divide each row by its sum"),
    ],
    "p03.log_softmax": [
        (log_softmax_via_log, "−inf"),
        (log_softmax_naive, "stays finite"),
    ],
    "p03.one_hot": [
        (one_hot_off_by_one, "off by one"),
        (one_hot_width_from_data, "not max(y) + 1"),
    ],
    "p03.cross_entropy": [
        (ce_mean_all, "number of classes"),
        (ce_naive, "stable log-softmax"),
        (ce_positive_sign, "sign error"),
    ],
    "p03.gradient": [
        (grad_y_minus_p, "sign error"),
        (grad_penalises_b, "do not penalise the intercepts"),
        (grad_forgets_alpha, "penalty's gradient"),
        (grad_wrong_orientation, "expected shape"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
