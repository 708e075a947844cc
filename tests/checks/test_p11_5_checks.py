"""Project 11.5 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def linear_backward(x, W, dout):
    dx = np.einsum("bo,io->bi", dout, W)
    dW = np.einsum("bi,bo->io", x, dout)
    return dx, dW, np.einsum("bo->o", dout)


def relu_backward(x, dout):
    return np.where(x > 0, dout, 0.0)


def softmax_cross_entropy(logits, y):
    n = len(y)
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(logits - m), axis=1))
    loss = np.mean(lse - logits[np.arange(n), y])
    p = np.exp(logits - lse[:, None])
    onehot = np.eye(logits.shape[1])[y]
    return loss, (p - onehot) / n


def numerical_gradient(f, x, eps=1e-6):
    flat = x.astype(float).ravel()
    g = np.empty_like(flat)
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = eps
        g[i] = (f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * eps)
    return g.reshape(x.shape)


def sgd_momentum_step(param, grad, velocity, lr, momentum=0.9):
    new_v = velocity * momentum + grad
    return param - lr * new_v, new_v


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m2 = m + (1 - beta1) * (grad - m)
    v2 = v + (1 - beta2) * (grad * grad - v)
    step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)  # the paper's folded form
    return param - step * m2 / (np.sqrt(v2) + eps * np.sqrt(1 - beta2**t)), m2, v2


REFERENCES = {
    "p11_5.linear_backward": linear_backward,
    "p11_5.relu_backward": relu_backward,
    "p11_5.softmax_cross_entropy": softmax_cross_entropy,
    "p11_5.numerical_gradient": numerical_gradient,
    "p11_5.sgd_momentum_step": sgd_momentum_step,
    "p11_5.adam_step": adam_step,
}


# --- typical mistakes ------------------------------------------------------------------
def linear_no_transpose(x, W, dout):
    return dout @ W, x.T @ dout, dout.sum(axis=0)


def linear_dW_transposed(x, W, dout):
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


def linear_db_mean(x, W, dout):
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


def relu_passes_negative(x, dout):
    return dout.copy()


def relu_ge_zero(x, dout):
    return dout * (x >= 0)


def relu_mask_only(x, dout):
    return (x > 0) * 1.0


def ce_naive(logits, y):
    with np.errstate(all="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y]).mean()
    g = p.copy()
    g[np.arange(len(y)), y] -= 1
    return loss, g / len(y)


def ce_grad_no_mean(logits, y):
    loss, g = softmax_cross_entropy(logits, y)
    return loss, g * len(y)


def ce_forgets_onehot(logits, y):
    loss, g = softmax_cross_entropy(logits, y)
    return loss, g + np.eye(logits.shape[1])[y] / len(y)


def ng_forward_difference(f, x, eps=1e-6):
    g = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        xp = x.astype(float)
        xp[i] += eps
        g[i] = (f(xp) - f(x)) / eps
    return g


def ng_no_restore(f, x, eps=1e-6):
    g = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        x[i] += eps
        fp = f(x)
        x[i] -= 2 * eps
        fm = f(x)
        g[i] = (fp - fm) / (2 * eps)
        x[i] += eps * (1 - 1e-3)  # "restores" imperfectly: the input drifts
    return g


def ng_divides_by_eps(f, x, eps=1e-6):
    return 2 * numerical_gradient(f, x, eps)


def momentum_old_velocity(param, grad, velocity, lr, momentum=0.9):
    return param - lr * velocity, momentum * velocity + grad


def momentum_dampened(param, grad, velocity, lr, momentum=0.9):
    v = momentum * velocity + (1 - momentum) * grad
    return param - lr * v, v


def momentum_in_place(param, grad, velocity, lr, momentum=0.9):
    velocity *= momentum
    velocity += grad
    return param - lr * velocity, velocity


def adam_no_bias_correction(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * m / (np.sqrt(v) + eps), m, v


def adam_eps_inside(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps), m, v


def adam_zero_based_t(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return adam_step(param, grad, m, v, t + 1, lr, beta1, beta2, eps)


MISTAKES = {
    "p11_5.linear_backward": [
        (linear_no_transpose, "dx = dout @ W.T"),
        (linear_dW_transposed, "dout.T @ x is its transpose"),
        (linear_db_mean, "does not average"),
    ],
    "p11_5.relu_backward": [
        (relu_passes_negative, "must be 0 where x < 0"),
        (relu_ge_zero, "not x >= 0"),
        (relu_mask_only, "multiply the mask by dout"),
    ],
    "p11_5.softmax_cross_entropy": [
        (ce_naive, "log-sum-exp"),
        (ce_grad_no_mean, "factor 1/N"),
        (ce_forgets_onehot, "onehot"),
    ],
    "p11_5.numerical_gradient": [
        (ng_forward_difference, "centred differences"),
        (ng_no_restore, "in place"),
        (ng_divides_by_eps, "divide by 2·eps"),
    ],
    "p11_5.sgd_momentum_step": [
        (momentum_old_velocity, "update the velocity first"),
        (momentum_dampened, "adds the full gradient"),
        (momentum_in_place, "in place"),
    ],
    "p11_5.adam_step": [
        (adam_no_bias_correction, "bias correction"),
        (adam_eps_inside, "after the square root"),
        (adam_zero_based_t, "1-based"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
