"""Checks for Project 11.5 — neural networks from scratch (Linear and ReLU backward, softmax
cross-entropy, centred-difference gradients, momentum and Adam steps). References are in
:mod:`ml2llm.neural.functional`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.neural import functional as ref


def _rng(seed):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------- linear backward
def _linear_cases():
    r = _rng(0)
    return [
        Case(
            (
                np.array([[1.0, 2.0]]),
                np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]]),
                np.array([[1.0, -1.0, 2.0]]),
            )
        ),
        Case(
            (r.normal(size=(5, 3)), r.normal(size=(3, 4)), r.normal(size=(5, 4))),
            label="x (5, 3), W (3, 4), dout (5, 4)",
        ),
        Case(
            (r.normal(size=(4, 3)), r.normal(size=(3, 3)), r.normal(size=(4, 3))),
            label="x (4, 3), square W (3, 3), dout (4, 3)",
            hint="with a square W the shapes cannot warn you: dx = dout @ W.T, dW = x.T @ dout.",
        ),
    ]


register(
    Check(
        "p11_5.linear_backward",
        reference=ref.linear_backward,
        cases=_linear_cases,
        hint="dx = dout @ W.T, dW = x.T @ dout, db = dout.sum(axis=0); each has its variable's shape.",
        mistakes=[
            Mistake(
                "no transpose dx",
                lambda x, W, d: (d @ W, x.T @ d, d.sum(0)),
                "missing transpose: dx = dout @ W.T (W maps inputs to outputs; going back uses W.T).",
            ),
            Mistake(
                "dW transposed",
                lambda x, W, d: (d @ W.T, d.T @ x, d.sum(0)),
                "dW = x.T @ dout has the shape of W (in, out); dout.T @ x is its transpose.",
            ),
            Mistake(
                "db mean",
                lambda x, W, d: (d @ W.T, x.T @ d, d.mean(0)),
                "db sums dout over the batch (the bias is added to every row), it does not average.",
            ),
            Mistake(
                "db not reduced",
                lambda x, W, d: (d @ W.T, x.T @ d, d),
                "db must have the shape of b: sum dout over the batch axis.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- relu backward
def _relu_cases():
    r = _rng(1)
    return [
        Case((np.array([-2.0, -0.5, 0.5, 3.0]), np.array([1.0, 2.0, 3.0, 4.0]))),
        Case(
            (np.array([[0.0, 1.0], [-1.0, 0.0]]), np.array([[5.0, 5.0], [5.0, 5.0]])),
            hint="at exactly x = 0 the gradient is 0 (PyTorch's convention).",
        ),
        Case((r.normal(size=(6, 4)), r.normal(size=(6, 4))), label="x, dout: random (6, 4)"),
    ]


register(
    Check(
        "p11_5.relu_backward",
        reference=ref.relu_backward,
        cases=_relu_cases,
        hint="pass dout through where x > 0 and block it (0) elsewhere.",
        mistakes=[
            Mistake(
                "passes everything",
                lambda x, d: d,
                "the gradient must be 0 where x < 0: ReLU's output there is constant.",
            ),
            Mistake(
                "mask only",
                lambda x, d: (x > 0).astype(float),
                "multiply the mask by dout (chain rule); the mask alone is ReLU's local derivative.",
            ),
            Mistake(
                ">= 0",
                lambda x, d: d * (x >= 0),
                "use x > 0, not x >= 0: at exactly 0 the gradient is 0.",
            ),
            Mistake(
                "uses output sign of dout",
                lambda x, d: np.maximum(d, 0),
                "the mask comes from the forward input x, not from the sign of dout.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- softmax cross-entropy
def _ce_cases():
    r = _rng(2)
    return [
        Case((np.array([[2.0, 1.0, 0.1]]), np.array([0]))),
        Case((np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([1, 1]))),
        Case(
            (r.normal(size=(6, 5)) * 3, np.array([0, 1, 2, 3, 4, 0])), label="logits (6, 5), y (6,)"
        ),
        Case(
            (np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]]), np.array([0, 2])),
            hint="subtract each row's max before exp: exp(1000) overflows to inf.",
        ),
    ]


def _ce_unstable(z, y):
    with np.errstate(all="ignore"):
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    g = p.copy()
    g[np.arange(len(y)), y] -= 1
    return float(loss), g / len(y)


def _ce_no_mean_grad(z, y):
    loss, g = ref.softmax_cross_entropy(z, y)
    return loss, g * len(y)


def _ce_no_onehot(z, y):
    loss, _ = ref.softmax_cross_entropy(z, y)
    return loss, ref.softmax(z) / len(y)


def _ce_sum_loss(z, y):
    loss, g = ref.softmax_cross_entropy(z, y)
    return loss * len(y), g


register(
    Check(
        "p11_5.softmax_cross_entropy",
        reference=ref.softmax_cross_entropy,
        cases=_ce_cases,
        hint="loss = mean(−log softmax(z)[y]); grad = (softmax(z) − onehot(y)) / N; use log-sum-exp.",
        mistakes=[
            Mistake(
                "unstable",
                _ce_unstable,
                "unstable softmax: subtract the row max (log-sum-exp trick) so exp never overflows.",
            ),
            Mistake(
                "no 1/N in grad",
                _ce_no_mean_grad,
                "the loss is a mean over N samples, so its gradient carries a factor 1/N.",
            ),
            Mistake(
                "no one-hot",
                _ce_no_onehot,
                "subtract 1 at the true class: grad = softmax − onehot(y).",
            ),
            Mistake("sum loss", _ce_sum_loss, "average the loss over the batch; do not sum it."),
        ],
    )
)


# ----------------------------------------------------------------- numerical gradient
def _f_sin(x):
    return float(np.sum(np.sin(x) * x**2))


def _f_quad(x):
    return float(x @ np.array([[2.0, 1.0], [1.0, 3.0]]) @ x)


def _f_cube(x):
    return float(np.sum(x**3))


def _ng_cases():
    return [
        Case(
            (_f_cube, np.array([1.0, -2.0, 0.5])),
            {"eps": 1e-3},
            label="f(x) = Σx³ at x=[1, -2, 0.5], eps=1e-3",
        ),
        Case(
            (_f_quad, np.array([0.5, -1.0])),
            {"eps": 1e-3},
            label="f(x) = xᵀAx at x=[0.5, -1], eps=1e-3",
        ),
        Case(
            (_f_sin, np.array([[0.3, -1.2], [2.0, 0.7]])),
            {"eps": 1e-3},
            label="f(x) = Σ sin(x)·x² at a (2, 2) array, eps=1e-3",
            hint="x can have any shape: loop over np.ndindex(x.shape).",
        ),
    ]


def _ng_forward(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    g, f0 = np.zeros_like(x), f(x)
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xp[i] += eps
        g[i] = (f(xp) - f0) / eps
    return g


def _ng_no_two(f, x, eps=1e-6):
    return 2 * ref.numerical_gradient(f, x, eps)


def _ng_no_restore(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        fp = f(x)
        x[i] -= 2 * eps
        fm = f(x)
        g[i] = (fp - fm) / (2 * eps)
    return g


register(
    Check(
        "p11_5.numerical_gradient",
        reference=ref.numerical_gradient,
        cases=_ng_cases,
        hint="grad[i] = (f(x + eps·e_i) − f(x − eps·e_i)) / (2·eps), one entry at a time.",
        rtol=1e-7,
        atol=1e-9,  # same formula, so only round-off (~1e-13) separates a right answer
        mistakes=[
            Mistake(
                "forward difference",
                _ng_forward,
                "use centred differences (f(x+eps) − f(x−eps)) / 2eps: the one-sided version has error O(eps).",
            ),
            Mistake(
                "divide by eps", _ng_no_two, "divide by 2·eps: the two points are 2·eps apart."
            ),
        ],
    )
)


# ----------------------------------------------------------------- momentum
def _mom_cases():
    r = _rng(3)
    return [
        Case(
            (np.array([1.0, -1.0]), np.array([0.5, 0.5]), np.array([0.0, 0.0]), 0.1, 0.9),
            hint="first step from zero velocity: v = g.",
        ),
        Case((np.array([1.0, 2.0]), np.array([1.0, -1.0]), np.array([2.0, 1.0]), 0.1, 0.9)),
        Case(
            (r.normal(size=(3, 2)), r.normal(size=(3, 2)), r.normal(size=(3, 2)), 0.05, 0.5),
            label="param, grad, velocity: random (3, 2); lr=0.05, momentum=0.5",
        ),
    ]


def _mom_old_velocity(p, g, v, lr, mu=0.9):
    return p - lr * v, mu * v + g


def _mom_dampened(p, g, v, lr, mu=0.9):
    v = mu * v + (1 - mu) * g
    return p - lr * v, v


def _mom_no_mu(p, g, v, lr, mu=0.9):
    v = v + g
    return p - lr * v, v


register(
    Check(
        "p11_5.sgd_momentum_step",
        reference=ref.sgd_momentum_step,
        cases=_mom_cases,
        hint="v ← momentum·v + grad, then param ← param − lr·v; return (param, v).",
        mistakes=[
            Mistake(
                "old velocity",
                _mom_old_velocity,
                "update the velocity first, then step the parameter with the new velocity.",
            ),
            Mistake(
                "dampened",
                _mom_dampened,
                "PyTorch's momentum adds the full gradient: v ← μv + g, not μv + (1 − μ)g.",
            ),
            Mistake(
                "no decay", _mom_no_mu, "multiply the old velocity by the momentum coefficient μ."
            ),
        ],
    )
)


# ----------------------------------------------------------------- adam
def _adam_cases():
    r = _rng(4)
    z = np.zeros(3)
    return [
        Case(
            (np.array([1.0, -2.0, 0.5]), np.array([0.1, -0.3, 2.0]), z, z, 1),
            {"lr": 0.01},
            label="first step (t=1) from m = v = 0, lr=0.01",
            hint="at t=1 bias correction makes the step ≈ lr·sign(grad).",
        ),
        Case(
            (r.normal(size=3), r.normal(size=3), r.normal(size=3) * 0.1, r.random(3) * 0.01, 5),
            {"lr": 0.001},
            label="t=5, random m and v, lr=0.001",
        ),
        Case(
            (r.normal(size=(2, 2)), r.normal(size=(2, 2)), np.zeros((2, 2)), np.zeros((2, 2)), 1),
            {"lr": 0.1, "beta1": 0.8, "beta2": 0.99},
            label="(2, 2) arrays, t=1, lr=0.1, betas=(0.8, 0.99)",
        ),
        Case(
            (np.array([1.0]), np.array([1e-5]), np.array([0.0]), np.array([0.0]), 1),
            {"lr": 0.1, "eps": 1e-4},
            label="tiny gradient 1e-5 with eps=1e-4",
            hint="eps is added to sqrt(v_hat), outside the square root.",
        ),
    ]


def _adam_no_bias_correction(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return p - lr * m / (np.sqrt(v) + eps), m, v


def _adam_eps_inside(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return p - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps), m, v


def _adam_t_minus_one(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    with np.errstate(all="ignore"):
        return ref.adam_step(p, g, m, v, t + 1, lr, beta1, beta2, eps)


def _adam_grad_not_squared(p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * np.abs(g)
    return p - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


register(
    Check(
        "p11_5.adam_step",
        reference=ref.adam_step,
        cases=_adam_cases,
        hint="m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; m̂ = m/(1−β₁ᵗ); v̂ = v/(1−β₂ᵗ); θ ← θ − lr·m̂/(√v̂ + ε).",
        mistakes=[
            Mistake(
                "no bias correction",
                _adam_no_bias_correction,
                "divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ): bias correction, or early steps are far too small.",
            ),
            Mistake("eps inside sqrt", _adam_eps_inside, "add eps after the square root: √v̂ + ε."),
            Mistake(
                "t off by one",
                _adam_t_minus_one,
                "t is the 1-based step number: the first update uses t = 1 in β₁ᵗ and β₂ᵗ.",
            ),
            Mistake(
                "v of |g|", _adam_grad_not_squared, "v averages the squared gradient g², not |g|."
            ),
        ],
    )
)
