"""Checks for Project 02 — logistic regression (stable sigmoid, cross-entropy from logits,
gradient, Newton step, thresholded predictions). References are in
:mod:`ml2llm.classical.logistic_regression`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import logistic_regression as ref


def _data(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(float)
    return X, y, 0.5 * rng.normal(size=d), float(0.3 * rng.normal())


# ----------------------------------------------------------------- sigmoid
def _sigmoid_cases():
    return [
        Case((np.array([0.0]),), hint="σ(0) = 1/2."),
        Case((np.array([-2.0, -0.5, 0.5, 2.0]),)),
        Case(
            (np.array([-1000.0, -50.0, 50.0, 1000.0]),),
            hint="exp of a large positive number overflows (even inside np.where, which "
            "evaluates both branches): only ever compute e^{-|z|}.",
        ),
        Case(
            (np.linspace(-8, 8, 9).reshape(3, 3),),
            label="z of shape (3, 3)",
            hint="work element-wise and keep the input's shape.",
        ),
    ]


def _exp_ratio(z):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(z) / (1.0 + np.exp(z))


def _no_overflow(fn, case):
    # An overflow in exp is the bug this exercise is about, even when np.where later throws
    # the bad branch away: make it an error instead of a warning.
    with np.errstate(over="raise"):
        return fn(*case.args, **case.kwargs)


register(
    Check(
        "p02.sigmoid",
        reference=ref.sigmoid,
        cases=_sigmoid_cases,
        call=_no_overflow,
        hint="σ(z) = 1/(1 + e^{−z}); for z < 0 use the equal form e^{z}/(1 + e^{z}).",
        mistakes=[
            Mistake(
                "sign",
                lambda z: 1.0 / (1.0 + np.exp(np.clip(z, -700, 700))),
                "sign error: it is e^{−z} in the denominator, so σ(z) grows with z.",
            ),
            Mistake(
                "exp ratio",
                _exp_ratio,
                "e^{z}/(1 + e^{z}) overflows to inf/inf = nan for large z: use it only for z < 0.",
            ),
            Mistake(
                "tanh",
                lambda z: np.tanh(z),
                "tanh has range (−1, 1); the sigmoid is (1 + tanh(z/2))/2, with range (0, 1).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- cross-entropy
def _bce_cases():
    rng = np.random.default_rng(1)
    return [
        Case(
            (np.array([1.0, 0.0]), np.array([0.0, 0.0])),
            hint="at z = 0 the loss is log 2 per sample.",
        ),
        Case((np.array([1.0, 0.0, 1.0]), np.array([2.0, -1.0, -0.5]))),
        Case(
            (np.array([1.0, 0.0]), np.array([-1000.0, 1000.0])),
            hint="confidently wrong: the loss is ≈ |z| (here 1000), finite. Use np.logaddexp(0, z).",
        ),
        Case(
            (rng.integers(0, 2, 40).astype(float), 3 * rng.normal(size=40)),
            label="40 random labels and logits",
        ),
    ]


def _naive_bce(y, z):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        p = 1.0 / (1.0 + np.exp(-z))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _clipped_bce(y, z):
    p = np.clip(ref.sigmoid(z), 1e-15, 1 - 1e-15)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


register(
    Check(
        "p02.bce",
        reference=ref.binary_cross_entropy,
        cases=_bce_cases,
        hint="mean of log(1 + e^{z}) − y·z; np.logaddexp(0, z) computes log(1 + e^{z}) safely.",
        mistakes=[
            Mistake(
                "naive log",
                _naive_bce,
                "log(σ(z)) hits log(0) = −inf once σ rounds to 0 or 1: compute the loss from the "
                "logits with np.logaddexp(0, z) − y·z.",
            ),
            Mistake(
                "clipped",
                _clipped_bce,
                "clipping p to [1e-15, 1 − 1e-15] caps the loss at ≈ 34.5 per sample: compute it "
                "from the logits instead (np.logaddexp).",
            ),
            Mistake(
                "sum",
                lambda y, z: np.sum(np.logaddexp(0, z) - y * z),
                "average over samples (divide by n).",
            ),
            Mistake(
                "no minus",
                lambda y, z: -np.mean(np.logaddexp(0, z) - y * z),
                "sign error: the cross-entropy is −log-likelihood, a non-negative number.",
            ),
            Mistake(
                "swapped labels",
                lambda y, z: np.mean(np.logaddexp(0, z) - (1 - y) * z),
                "y = 1 goes with log σ(z): the loss is log(1 + e^{z}) − y·z.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- gradient
def _grad_cases():
    X, y, w, b = _data(12, 3, 2)
    X1, y1, w1, b1 = _data(6, 1, 3)
    return [
        Case((np.array([[1.0], [-1.0]]), np.array([1.0, 0.0]), np.array([0.0]), 0.0)),
        Case((X1, y1, w1, b1), label="X of shape (6, 1), random y, w, b"),
        Case((X, y, w, b), label="X of shape (12, 3), random y, w, b"),
        Case(
            (X, y, w, b),
            {"alpha": 0.5},
            label="X of shape (12, 3), alpha=0.5",
            hint="the penalty (α/2)‖w‖² adds α·w to grad_w and nothing to grad_b.",
        ),
    ]


def _grad_variant(sign=1.0, mean=True, alpha_on_b=False, use_alpha=True, link=ref.sigmoid):
    def wrong(X, y, w, b, alpha=0.0):
        a = alpha if use_alpha else 0.0
        r = sign * (link(X @ w + b) - y)
        n = X.shape[0] if mean else 1
        return X.T @ r / n + a * w, float(r.sum() / n + (a * b if alpha_on_b else 0.0))

    return wrong


register(
    Check(
        "p02.gradient",
        reference=ref.logistic_gradient,
        cases=_grad_cases,
        hint="grad_w = Xᵀ(σ(Xw + b) − y)/n + α·w, grad_b = mean(σ(Xw + b) − y); return (grad_w, grad_b).",
        mistakes=[
            Mistake(
                "sign",
                _grad_variant(sign=-1.0),
                "sign error: use σ(z) − y (prediction minus label), not y − σ(z).",
            ),
            Mistake("no 1/n", _grad_variant(mean=False), "divide by n: the loss is a mean."),
            Mistake(
                "linear",
                _grad_variant(link=lambda z: z),
                "pass the logits through the sigmoid: the residual is σ(Xw + b) − y.",
            ),
            Mistake(
                "no penalty",
                _grad_variant(use_alpha=False),
                "add the penalty's gradient α·w to grad_w.",
            ),
            Mistake(
                "penalised bias",
                _grad_variant(alpha_on_b=True),
                "do not penalise the intercept: grad_b has no α·b term.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- Newton step
def _newton_cases():
    X, y, w, b = _data(15, 2, 4)
    X3, y3, w3, b3 = _data(30, 3, 5)
    return [
        Case((X, y, np.zeros(2), 0.0), label="X of shape (15, 2), starting from w = 0, b = 0"),
        Case((X3, y3, w3, b3), label="X of shape (30, 3), random w and b"),
        Case(
            (X3, y3, w3, b3),
            {"alpha": 0.2},
            label="X of shape (30, 3), alpha=0.2",
            hint="the penalty adds α to the Hessian's diagonal for w, not for b.",
        ),
    ]


def _newton_variant(weights=True, reg_b=False, gradient_only=False, plus=False):
    def wrong(X, y, w, b, alpha=0.0):
        n, d = X.shape
        Xb = np.column_stack([X, np.ones(n)])
        p = ref.sigmoid(X @ w + b)
        gw, gb = ref.logistic_gradient(X, y, w, b, alpha)
        g = np.append(gw, gb)
        if gradient_only:
            step = g
        else:
            s = p * (1 - p) if weights else np.ones(n)
            reg = np.full(d + 1, alpha)
            if not reg_b:
                reg[-1] = 0.0
            step = np.linalg.solve((Xb * s[:, None]).T @ Xb / n + np.diag(reg), g)
        theta = np.append(w, b) + (step if plus else -step)
        return theta[:-1], float(theta[-1])

    return wrong


register(
    Check(
        "p02.newton_step",
        reference=ref.newton_step,
        cases=_newton_cases,
        hint="θ ← θ − H⁻¹∇J with H = X̃ᵀ diag(p(1−p)) X̃ / n + α·diag(1,…,1,0), X̃ = [X, 1].",
        mistakes=[
            Mistake(
                "no weights",
                _newton_variant(weights=False),
                "weight each sample by p(1 − p) in the Hessian: H = X̃ᵀ diag(p(1−p)) X̃ / n.",
            ),
            Mistake(
                "gradient step",
                _newton_variant(gradient_only=True),
                "that is a gradient step: solve H·step = ∇J and subtract the step.",
            ),
            Mistake("plus", _newton_variant(plus=True), "subtract H⁻¹∇J: adding it moves uphill."),
            Mistake(
                "penalised bias",
                _newton_variant(reg_b=True),
                "do not penalise the intercept: no α on the Hessian entry for b.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- predictions
def _predict_cases():
    X, _, w, b = _data(10, 2, 6)
    return [
        Case((np.array([[1.0], [-1.0], [0.2]]), np.array([2.0]), 0.0)),
        Case((X, w, b), label="X of shape (10, 2), random w and b"),
        Case(
            (np.array([[0.0], [1.0]]), np.array([1.0]), 0.0),
            hint="a probability of exactly 0.5 is not above the threshold: predict 0.",
        ),
        Case(
            (X, w, b),
            {"threshold": 0.8},
            label="X of shape (10, 2), threshold=0.8",
            hint="compare the probability with the threshold argument.",
        ),
    ]


register(
    Check(
        "p02.predict_labels",
        reference=ref.predict_labels,
        cases=_predict_cases,
        hint="labels = (σ(Xw + b) > threshold) as integers 0/1.",
        mistakes=[
            Mistake(
                "logit threshold",
                lambda X, w, b, threshold=0.5: (X @ w + b > threshold).astype(int),
                "threshold the probability σ(Xw + b), not the logit Xw + b.",
            ),
            Mistake(
                "ignores threshold",
                lambda X, w, b, threshold=0.5: (ref.sigmoid(X @ w + b) > 0.5).astype(int),
                "use the threshold argument instead of a fixed 0.5.",
            ),
            Mistake(
                ">=",
                lambda X, w, b, threshold=0.5: (ref.sigmoid(X @ w + b) >= threshold).astype(int),
                "use a strict >: a probability of exactly 0.5 is predicted as 0.",
            ),
            Mistake(
                "probabilities",
                lambda X, w, b, threshold=0.5: ref.sigmoid(X @ w + b),
                "return 0/1 labels, not probabilities.",
            ),
        ],
    )
)
