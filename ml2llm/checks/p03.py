"""Checks for Project 03 — softmax regression (stable softmax, log-softmax, one-hot,
cross-entropy, gradient). References are in :mod:`ml2llm.classical.softmax_regression`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import softmax_regression as ref


def _problem(n, d, K, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, n)
    return X, ref.one_hot(y, K), 0.5 * rng.normal(size=(d, K)), 0.3 * rng.normal(size=K)


def _naive_softmax(Z):
    with np.errstate(over="ignore", invalid="ignore"):
        E = np.exp(Z)
        return E / E.sum(axis=1, keepdims=True)


def _global_max_softmax(Z):
    with np.errstate(invalid="ignore"):
        E = np.exp(Z - Z.max())
        return E / E.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------- softmax
def _softmax_cases():
    rng = np.random.default_rng(0)
    return [
        Case((np.array([[0.0, 0.0]]),), hint="equal logits give equal probabilities."),
        Case((np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]]),)),
        Case(
            (np.array([[1000.0, 1001.0, 999.0]]),),
            hint="subtract the row's max before exp, or exp(1000) overflows to inf.",
        ),
        Case(
            (np.array([[-1000.0, -1001.0], [1000.0, 999.0]]),),
            hint="subtract each row's own max (keepdims=True), not one global max.",
        ),
        Case((rng.normal(size=(6, 4)),), label="Z of shape (6, 4), random logits"),
    ]


register(
    Check(
        "p03.softmax",
        reference=ref.softmax,
        cases=_softmax_cases,
        hint="E = exp(Z − max over each row); divide each row by its sum (axis=1, keepdims=True).",
        mistakes=[
            Mistake(
                "naive",
                _naive_softmax,
                "exp of a large logit overflows: subtract each row's max first (the result is unchanged).",
            ),
            Mistake(
                "global max",
                _global_max_softmax,
                "subtract each row's own max (axis=1, keepdims=True): one global max underflows whole rows to 0/0.",
            ),
            Mistake(
                "axis 0",
                lambda Z: np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=0),
                "normalise over classes (axis=1, each row sums to 1), not over samples.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- log-softmax
def _log_softmax_cases():
    rng = np.random.default_rng(1)
    return [
        Case((np.array([[0.0, 0.0]]),), hint="log(1/2) = −0.693 for both classes."),
        Case((np.array([[1.0, 2.0, 3.0]]),)),
        Case(
            (np.array([[0.0, 800.0], [-500.0, 500.0]]),),
            hint="log softmax(z)_k = z_k − logsumexp(z) stays finite (here −800 and −1000) "
            "where softmax underflows to 0.",
        ),
        Case((rng.normal(size=(5, 3)) * 4,), label="Z of shape (5, 3), random logits"),
    ]


def _log_of_softmax(Z):
    with np.errstate(divide="ignore"):
        return np.log(ref.softmax(Z))


def _forgot_max(Z):
    m = Z.max(axis=1, keepdims=True)
    return Z - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))


register(
    Check(
        "p03.log_softmax",
        reference=ref.log_softmax,
        cases=_log_softmax_cases,
        hint="log softmax(Z) = Z − m − log Σ_j exp(Z_j − m), with m each row's max.",
        mistakes=[
            Mistake(
                "log of softmax",
                _log_of_softmax,
                "log(softmax(Z)) is −inf where the probability underflows: use Z − logsumexp(Z).",
            ),
            Mistake(
                "forgot max",
                _forgot_max,
                "you subtracted the max inside the log but did not subtract it outside: "
                "logsumexp(z) = m + log Σ exp(z − m).",
            ),
            Mistake(
                "no log",
                lambda Z: Z - np.exp(Z - Z.max(1, keepdims=True)).sum(1, keepdims=True),
                "take the log of the sum of exponentials.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- one-hot
def _one_hot_cases():
    return [
        Case((np.array([0, 2, 1]), 3)),
        Case(
            (np.array([1, 1]), 4),
            hint="use n_classes for the width, even if some classes do not occur.",
        ),
        Case((np.array([3]), 4), hint="label k sets column k (labels start at 0)."),
        Case((np.arange(10) % 5, 5), label="y = [0, 1, 2, 3, 4, 0, …], n_classes=5"),
    ]


def _eye_minus_one(y, n_classes):
    return np.eye(n_classes)[np.asarray(y) - 1]


register(
    Check(
        "p03.one_hot",
        reference=ref.one_hot,
        cases=_one_hot_cases,
        hint="Y = zeros((n, n_classes)); Y[np.arange(n), y] = 1.",
        mistakes=[
            Mistake(
                "off by one",
                _eye_minus_one,
                "off by one: label k goes in column k, labels start at 0.",
            ),
            Mistake(
                "max+1",
                lambda y, n_classes: np.eye(np.max(y) + 1)[y],
                "the width is n_classes, not max(y) + 1: a batch may miss the last classes.",
            ),
            Mistake(
                "transposed",
                lambda y, n_classes: np.eye(n_classes)[y].T,
                "one row per sample: shape (n, n_classes).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- cross-entropy
def _ce_cases():
    X, Y, W, b = _problem(20, 3, 4, 2)
    return [
        Case(
            (np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]])),
            hint="equal logits: the loss is log 2.",
        ),
        Case(
            (
                np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
                np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]]),
            )
        ),
        Case(
            (np.array([[1.0, 0.0]]), np.array([[0.0, 1000.0]])),
            hint="confidently wrong: the loss is 1000, finite. Use log-softmax, not log(softmax).",
        ),
        Case((Y, X @ W + b), label="20 samples, 4 classes, random logits"),
    ]


def _ce_naive(Y, Z):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(Y * np.log(_naive_softmax(Z))) / Y.shape[0]


register(
    Check(
        "p03.cross_entropy",
        reference=ref.cross_entropy,
        cases=_ce_cases,
        hint="−(1/n) Σ_i Σ_k Y_ik · log_softmax(Z)_ik: sum over classes, average over samples.",
        mistakes=[
            Mistake(
                "mean over all",
                lambda Y, Z: -np.mean(Y * ref.log_softmax(Z)),
                "np.mean over the whole matrix also divides by the number of classes: sum over "
                "classes, then average over samples.",
            ),
            Mistake(
                "sum",
                lambda Y, Z: -np.sum(Y * ref.log_softmax(Z)),
                "average over samples (divide by n).",
            ),
            Mistake(
                "naive",
                _ce_naive,
                "log(softmax) hits log(0) = −inf (or exp overflows): use the stable log-softmax.",
            ),
            Mistake(
                "no minus",
                lambda Y, Z: np.sum(Y * ref.log_softmax(Z)) / Y.shape[0],
                "sign error: the loss is the *negative* log-likelihood, ≥ 0.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- gradient
def _grad_cases():
    X, Y, W, b = _problem(15, 3, 4, 3)
    X2, Y2, W2, b2 = _problem(8, 2, 3, 4)
    return [
        Case((X2, Y2, W2, b2), label="X (8, 2), 3 classes, random W (2, 3) and b (3,)"),
        Case((X, Y, W, b), label="X (15, 3), 4 classes, random W (3, 4) and b (4,)"),
        Case(
            (X, Y, W, b),
            {"alpha": 0.3},
            label="X (15, 3), 4 classes, alpha=0.3",
            hint="the penalty adds α·W to grad_W and nothing to grad_b.",
        ),
    ]


def _grad_variant(sign=1.0, mean=True, use_alpha=True, penalise_b=False):
    def wrong(X, Y, W, b, alpha=0.0):
        a = alpha if use_alpha else 0.0
        R = sign * (ref.softmax(X @ W + b) - Y)
        n = X.shape[0] if mean else 1
        return X.T @ R / n + a * W, R.sum(axis=0) / n + (a * b if penalise_b else 0.0)

    return wrong


register(
    Check(
        "p03.gradient",
        reference=ref.softmax_gradient,
        cases=_grad_cases,
        hint="P = softmax(XW + b); grad_W = Xᵀ(P − Y)/n + αW (shape (d, K)), grad_b = mean(P − Y, axis=0).",
        mistakes=[
            Mistake(
                "sign", _grad_variant(sign=-1.0), "sign error: the residual is P − Y, not Y − P."
            ),
            Mistake(
                "no 1/n", _grad_variant(mean=False), "divide by n: the loss is a mean over samples."
            ),
            Mistake(
                "no penalty",
                _grad_variant(use_alpha=False),
                "add the penalty's gradient α·W to grad_W.",
            ),
            Mistake(
                "penalised bias",
                _grad_variant(penalise_b=True),
                "do not penalise the intercepts: grad_b has no α·b term.",
            ),
            Mistake(
                "logits not probs",
                lambda X, Y, W, b, alpha=0.0: (
                    X.T @ (X @ W + b - Y) / len(X) + alpha * W,
                    (X @ W + b - Y).mean(0),
                ),
                "use the probabilities P = softmax(XW + b) in the residual, not the logits.",
            ),
        ],
    )
)
