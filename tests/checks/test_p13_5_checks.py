"""Project 13.5 checks pass correct code and catch typical wrong code with the right hint."""

import math

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def decay_split(named_params):
    flags = [(name, len(np.shape(p)) > 1) for name, p in named_params]
    return [n for n, f in flags if f], [n for n, f in flags if not f]


def warmup_cosine_lr(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))
    return min_lr + (max_lr - min_lr) * (math.cos(math.pi * progress) + 1) / 2


def wsd_lr(step, max_lr, min_lr, warmup_steps, max_steps, decay_fraction):
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    start = max(warmup_steps, max_steps - round(decay_fraction * max_steps))
    if step < start:
        return max_lr
    frac = min(1.0, (step - start) / max(1, max_steps - start))
    return (1 - frac) * max_lr + frac * min_lr


def clip_grad_norm(grads, max_norm):
    flat = np.concatenate([np.ravel(g) for g in grads])
    total = float(np.linalg.norm(flat))
    coef = max_norm / (total + 1e-6)
    return [np.array(g, dtype=float) * (coef if coef < 1 else 1.0) for g in grads], total


def adamw_step(param, grad, m, v, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    b1, b2 = betas
    m_new = m + (1 - b1) * (grad - m)
    v_new = v + (1 - b2) * (grad * grad - v)
    denom = np.sqrt(v_new / (1 - b2**step)) + eps
    step_size = lr / (1 - b1**step)
    return param - lr * weight_decay * param - step_size * m_new / denom, m_new, v_new


def fit_power_law(x, y):
    A = np.stack([np.ones(len(x)), np.log(x)], axis=1)
    (log_a, slope), *_ = np.linalg.lstsq(A, np.log(y), rcond=None)
    return math.exp(log_a), -slope


def newton_schulz(G, steps=5, coeffs=(3.4445, -4.7750, 2.0315)):
    # written on the right for tall matrices (A = XᵀX): the same polynomial, no transposes
    a, b, c = coeffs
    X = np.array(G, dtype=float) / (np.sqrt(np.sum(np.square(G))) + 1e-7)
    for _ in range(steps):
        if X.shape[0] > X.shape[1]:
            A = X.T @ X
            X = a * X + X @ (b * A + c * (A @ A))
        else:
            A = X @ X.T
            X = a * X + (b * A + c * (A @ A)) @ X
    return X


def newton_schulz_torch(G, steps=5, coeffs=(3.4445, -4.7750, 2.0315)):
    import torch

    from ml2llm.training.optim import newton_schulz as ours

    return ours(torch.as_tensor(G, dtype=torch.float64), steps, coeffs).numpy()


REFERENCES = {
    "p13_5.newton_schulz": newton_schulz,
    "p13_5.decay_split": decay_split,
    "p13_5.warmup_cosine_lr": warmup_cosine_lr,
    "p13_5.wsd_lr": wsd_lr,
    "p13_5.clip_grad_norm": clip_grad_norm,
    "p13_5.adamw_step": adamw_step,
    "p13_5.fit_power_law": fit_power_law,
}


# --- typical mistakes ------------------------------------------------------------------
def decay_by_name(named_params):
    return [n for n, _ in named_params if "weight" in n], [
        n for n, _ in named_params if "weight" not in n
    ]


def decay_everything(named_params):
    return [n for n, _ in named_params], []


def cosine_warmup_zero(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    return warmup_cosine_lr(step, max_lr, min_lr, warmup_steps, max_steps)


def cosine_to_zero(step, max_lr, min_lr, warmup_steps, max_steps):
    return warmup_cosine_lr(step, max_lr, 0.0, warmup_steps, max_steps)


def wsd_with_cosine(step, max_lr, min_lr, warmup_steps, max_steps, decay_fraction):
    start = max(warmup_steps, max_steps - round(decay_fraction * max_steps))
    if step < start:
        return wsd_lr(step, max_lr, min_lr, warmup_steps, max_steps, decay_fraction)
    frac = min(1.0, (step - start) / max(1, max_steps - start))
    return min_lr + (max_lr - min_lr) * (1 + math.cos(math.pi * frac)) / 2


def wsd_without_stable(step, max_lr, min_lr, warmup_steps, max_steps, decay_fraction):
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    frac = min(1.0, (step - warmup_steps) / (max_steps - warmup_steps))
    return (1 - frac) * max_lr + frac * min_lr


def clip_each_tensor(grads, max_norm):
    out = [np.asarray(g) * min(1.0, max_norm / (np.linalg.norm(np.ravel(g)) + 1e-6)) for g in grads]
    return out, float(np.linalg.norm(np.concatenate([np.ravel(g) for g in grads])))


def clip_unconditionally(grads, max_norm):
    total = float(np.linalg.norm(np.concatenate([np.ravel(g) for g in grads])))
    return [np.asarray(g) * max_norm / (total + 1e-6) for g in grads], total


def adam_with_l2(param, grad, m, v, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    return adamw_step(param, grad + weight_decay * param, m, v, step, lr, betas, eps, 0.0)


def adamw_without_bias_correction(
    param, grad, m, v, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01
):
    b1, b2 = betas
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return param - lr * weight_decay * param - lr * m / (np.sqrt(v) + eps), m, v


def power_law_slope_sign(x, y):
    a, alpha = fit_power_law(x, y)
    return a, -alpha


def power_law_linear(x, y):
    slope, intercept = np.polyfit(x, y, 1)
    return intercept, -slope


def ns_unnormalised(G, steps=5, coeffs=(3.4445, -4.7750, 2.0315)):
    a, b, c = coeffs
    X = np.array(G, dtype=float)
    tall = X.shape[0] > X.shape[1]
    X = X.T if tall else X
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * (A @ A)) @ X
    return X.T if tall else X


def ns_elementwise_square(G, steps=5, coeffs=(3.4445, -4.7750, 2.0315)):
    a, b, c = coeffs
    X = np.array(G, dtype=float) / (np.linalg.norm(G) + 1e-7)
    tall = X.shape[0] > X.shape[1]
    X = X.T if tall else X
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A**2) @ X
    return X.T if tall else X


MISTAKES = {
    "p13_5.newton_schulz": [
        (ns_unnormalised, "frobenius norm"),
        (ns_elementwise_square, "A @ A"),
    ],
    "p13_5.decay_split": [
        (decay_by_name, "not the name"),
        (decay_everything, "must not be decayed"),
    ],
    "p13_5.warmup_cosine_lr": [(cosine_warmup_zero, "(step + 1)"), (cosine_to_zero, "not to 0")],
    "p13_5.wsd_lr": [
        (wsd_with_cosine, "linear decay, not a cosine"),
        (wsd_without_stable, "keep max_lr flat"),
    ],
    "p13_5.clip_grad_norm": [
        (clip_each_tensor, "global norm"),
        (clip_unconditionally, "only scale down"),
    ],
    "p13_5.adamw_step": [
        (adam_with_l2, "adam + l2"),
        (adamw_without_bias_correction, "1 − β₁ᵗ"),
    ],
    "p13_5.fit_power_law": [
        (power_law_slope_sign, "minus the fitted slope"),
        (power_law_linear, "log axes"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


def test_the_package_newton_schulz_passes_the_check():
    assert_passes("p13_5.newton_schulz", newton_schulz_torch)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
