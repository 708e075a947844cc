"""Checks for Project 13.5 — training dynamics (decay groups, schedules, clipping, AdamW,
power-law fit). References are in :mod:`ml2llm.training.optim`."""

from __future__ import annotations

import math

import numpy as np

from ml2llm.checks import Case, Check, Mismatch, Mistake, assert_close, register
from ml2llm.training import optim as ref


# ---------------------------------------------------------------------- 13.5.1 decay groups
def _named(*items):
    return [(name, np.zeros(shape)) for name, shape in items]


def _decay_cases():
    gpt = _named(
        ("wte.weight", (65, 32)),
        ("wpe.weight", (32, 32)),
        ("h.0.ln_1.weight", (32,)),
        ("h.0.ln_1.bias", (32,)),
        ("h.0.attn.c_attn.weight", (96, 32)),
        ("h.0.attn.c_attn.bias", (96,)),
        ("ln_f.weight", (32,)),
    )
    return [
        Case((_named(("linear.weight", (3, 2)), ("linear.bias", (3,))),)),
        Case(
            (gpt,),
            label="a 1-layer GPT's parameters (embeddings, LayerNorm, attention)",
            hint="LayerNorm weights are vectors (1-D): they are not decayed even though they are called 'weight'.",
        ),
        Case(
            (_named(("conv.weight", (4, 3, 3, 3)), ("scale", ()), ("norm.weight", (4,))),),
            hint="a 4-D conv kernel is a weight tensor too: decay everything with ndim >= 2.",
        ),
    ]


def _lists_equal(expected, got):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f"expected a pair (decay_names, no_decay_names), got {type(got).__name__}")
    for label, e, g in (("decay", expected[0], got[0]), ("no_decay", expected[1], got[1])):
        if list(g) != list(e):
            raise Mismatch(f"{label} names differ: expected {list(e)}, got {list(g)}")


register(
    Check(
        "p13_5.decay_split",
        reference=ref.decay_split,
        cases=_decay_cases,
        compare=_lists_equal,
        hint="decay a parameter when its array has 2 or more dimensions (np.ndim(p) >= 2), else not.",
        mistakes=[
            Mistake(
                "by name",
                lambda ps: (
                    [n for n, _ in ps if n.endswith("weight")],
                    [n for n, _ in ps if not n.endswith("weight")],
                ),
                "decide by the number of dimensions, not the name: LayerNorm weights are 1-D gains.",
            ),
            Mistake(
                "all",
                lambda ps: ([n for n, _ in ps], []),
                "biases and norm gains (1-D) must not be decayed: pulling them to 0 hurts.",
            ),
            Mistake(
                "inverted",
                lambda ps: (
                    [n for n, p in ps if np.ndim(p) < 2],
                    [n for n, p in ps if np.ndim(p) >= 2],
                ),
                "the other way round: matrices (ndim >= 2) are decayed, vectors are not.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 13.5.2 warmup + cosine
def _cosine_cases():
    args = dict(max_lr=1e-3, min_lr=1e-4, warmup_steps=10, max_steps=110)
    return [
        Case((0,), args, hint="at step 0 the warmup LR is max_lr · 1/(warmup_steps + 1), not 0."),
        Case((5,), args),
        Case((10,), args, hint="the first step after warmup is exactly max_lr."),
        Case((60,), args, hint="halfway through the decay the LR is (max_lr + min_lr) / 2."),
        Case((100,), args),
        Case((110,), args, hint="at max_steps the LR has reached min_lr."),
        Case((500,), args, hint="after max_steps the LR stays at min_lr."),
        Case((3,), dict(max_lr=6e-4, min_lr=0.0, warmup_steps=0, max_steps=20)),
    ]


def _cos_warmup_from_zero(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    return ref.cosine_lr(step, max_lr, min_lr, warmup_steps, max_steps)


def _cos_to_zero(step, max_lr, min_lr, warmup_steps, max_steps):
    return ref.cosine_lr(step, max_lr, 0.0, warmup_steps, max_steps)


def _cos_whole_run(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    if step >= max_steps:
        return min_lr
    return min_lr + 0.5 * (1 + math.cos(math.pi * step / max_steps)) * (max_lr - min_lr)


register(
    Check(
        "p13_5.warmup_cosine_lr",
        reference=ref.cosine_lr,
        cases=_cosine_cases,
        rtol=1e-9,
        hint="warmup: max_lr·(step+1)/(warmup+1); then min_lr + ½(1 + cos(π·r))(max_lr − min_lr).",
        mistakes=[
            Mistake(
                "warmup from zero",
                _cos_warmup_from_zero,
                "step 0 must not have LR 0 (that step would be wasted): use (step + 1)/(warmup_steps + 1).",
            ),
            Mistake("decay to zero", _cos_to_zero, "decay to min_lr, not to 0."),
            Mistake(
                "progress over whole run",
                _cos_whole_run,
                "measure progress from the end of warmup: r = (step − warmup_steps)/(max_steps − warmup_steps).",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 13.5.3 WSD
def _wsd_cases():
    args = dict(max_lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=100, decay_fraction=0.2)
    return [
        Case((4,), args),
        Case((50,), args, hint="in the stable phase the LR is exactly max_lr."),
        Case(
            (79,),
            args,
            hint="the decay starts at max_steps − round(decay_fraction · max_steps) = 80.",
        ),
        Case(
            (90,),
            args,
            hint="the decay is linear: halfway through it the LR is (max_lr + min_lr)/2.",
        ),
        Case((100,), args),
        Case((250,), args),
        Case((7,), dict(max_lr=3e-3, min_lr=0.0, warmup_steps=0, max_steps=10, decay_fraction=0.5)),
    ]


def _wsd_cosine_decay(step, max_lr, min_lr, warmup_steps, max_steps, decay_fraction):
    start = max(warmup_steps, max_steps - int(round(decay_fraction * max_steps)))
    if step < start:
        return ref.wsd_lr(step, max_lr, min_lr, warmup_steps, max_steps, decay_fraction)
    if step >= max_steps:
        return min_lr
    r = (step - start) / max(1, max_steps - start)
    return min_lr + 0.5 * (1 + math.cos(math.pi * r)) * (max_lr - min_lr)


def _wsd_decay_from_warmup(step, max_lr, min_lr, warmup_steps, max_steps, decay_fraction):
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    if step >= max_steps:
        return min_lr
    r = (step - warmup_steps) / max(1, max_steps - warmup_steps)
    return max_lr + r * (min_lr - max_lr)


def _wsd_decay_at_start(step, max_lr, min_lr, warmup_steps, max_steps, decay_fraction):
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    decay_steps = int(round(decay_fraction * max_steps))
    if step < warmup_steps + decay_steps:
        r = (step - warmup_steps) / max(1, decay_steps)
        return max_lr + r * (min_lr - max_lr)
    return min_lr


register(
    Check(
        "p13_5.wsd_lr",
        reference=ref.wsd_lr,
        cases=_wsd_cases,
        rtol=1e-9,
        hint="warmup, then max_lr flat, then a LINEAR decay to min_lr over the last decay_fraction of the run.",
        mistakes=[
            Mistake(
                "cosine decay",
                _wsd_cosine_decay,
                "WSD's final phase here is a linear decay, not a cosine.",
            ),
            Mistake(
                "no stable phase",
                _wsd_decay_from_warmup,
                "keep max_lr flat until the last decay_fraction of the run; you decay from the end of warmup.",
            ),
            Mistake(
                "decay first",
                _wsd_decay_at_start,
                "the decay comes LAST (just before max_steps), after the long stable phase.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 13.5.4 clipping
def _clip_cases():
    rng = np.random.default_rng(0)
    return [
        Case(([np.array([3.0, 4.0])], 1.0), hint="the norm is 5, so every entry is scaled by 1/5."),
        Case(([np.array([3.0]), np.array([[4.0]])], 10.0), hint="below max_norm nothing changes."),
        Case(
            ([np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([4.0, 0.0, 0.0])], 2.0),
            hint="ONE global norm over all tensors together, not one per tensor.",
        ),
        Case(
            ([rng.normal(size=(5, 4)) * 3, rng.normal(size=7), rng.normal(size=(2, 2, 2))], 1.5),
            label="three random gradient arrays, max_norm=1.5",
        ),
    ]


def _clip_compare(expected, got):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f"expected a pair (clipped_grads, total_norm), got {type(got).__name__}")
    grads, norm = got
    if not isinstance(grads, (list, tuple)) or len(grads) != len(expected[0]):
        raise Mismatch(f"expected a list of {len(expected[0])} clipped arrays")
    assert_close(float(expected[1]), norm, rtol=1e-6, atol=1e-9, path="total_norm")
    for i, (e, g) in enumerate(zip(expected[0], grads)):
        assert_close(e, g, rtol=1e-6, atol=1e-9, path=f"clipped_grads[{i}]")


def _clip_per_tensor(grads, max_norm):
    out = []
    for g in grads:
        n = np.sqrt(np.sum(np.asarray(g) ** 2))
        out.append(np.asarray(g) * min(1.0, max_norm / (n + 1e-6)))
    total = float(np.sqrt(sum(np.sum(np.asarray(g) ** 2) for g in grads)))
    return out, total


def _clip_always(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(np.asarray(g) ** 2) for g in grads)))
    return [np.asarray(g) * max_norm / (total + 1e-6) for g in grads], total


def _clip_l1(grads, max_norm):
    total = float(sum(np.sum(np.abs(g)) for g in grads))
    return [np.asarray(g) * min(1.0, max_norm / (total + 1e-6)) for g in grads], total


register(
    Check(
        "p13_5.clip_grad_norm",
        reference=ref.clip_grad_norm,
        cases=_clip_cases,
        compare=_clip_compare,
        hint="total = sqrt(Σ over all tensors of Σ g²); scale every g by min(1, max_norm / (total + 1e-6)).",
        mistakes=[
            Mistake(
                "per tensor",
                _clip_per_tensor,
                "use ONE global norm over all tensors together, not one per tensor.",
            ),
            Mistake(
                "always",
                _clip_always,
                "only scale down: when the norm is below max_norm the gradients stay as they are.",
            ),
            Mistake(
                "L1",
                _clip_l1,
                "use the L2 norm (square root of the sum of squares), not the sum of |g|.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 13.5.5 AdamW
def _adamw_cases():
    rng = np.random.default_rng(1)
    p, g = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    m, v = rng.normal(size=(3, 2)) * 0.1, rng.random(size=(3, 2)) * 0.01
    kw = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    return [
        Case(
            (np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.zeros(2), np.zeros(2), 1),
            kw,
            hint="at step 1 the bias-corrected update is about lr · sign(g).",
        ),
        Case((p, g, m, v, 5), kw, label="random (3, 2) param, grad, m, v at step 5"),
        Case(
            (p, g, np.zeros_like(p), np.zeros_like(p), 1),
            dict(kw, weight_decay=0.0),
            hint="with weight_decay=0 this is plain Adam.",
        ),
        Case(
            (p, g, m, v, 100),
            dict(lr=3e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.5),
            label="random (3, 2) param at step 100, betas=(0.9, 0.95), weight_decay=0.5",
        ),
        Case(
            (np.array([1.0, 1.0]), np.array([1e-8, 3e-9]), np.zeros(2), np.zeros(2), 1),
            kw,
            hint="tiny gradients: √v̂ is about eps, so eps is added to √v̂ in the denominator.",
        ),
    ]


def _adam_l2(param, grad, m, v, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    g = np.asarray(grad) + weight_decay * np.asarray(param)
    return ref.adamw_step(param, g, m, v, step, lr, betas, eps, 0.0)


def _adamw_no_bias_correction(
    param, grad, m, v, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01
):
    b1, b2 = betas
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return param * (1 - lr * weight_decay) - lr * m / (np.sqrt(v) + eps), m, v


def _adamw_decay_no_lr(
    param, grad, m, v, step, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01
):
    p, m2, v2 = ref.adamw_step(param, grad, m, v, step, lr, betas, eps, 0.0)
    return p - weight_decay * np.asarray(param), m2, v2


register(
    Check(
        "p13_5.adamw_step",
        reference=ref.adamw_step,
        cases=_adamw_cases,
        rtol=1e-7,
        atol=1e-12,
        hint="m, v moving averages; m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ); p ← p(1 − lr·wd) − lr·m̂/(√v̂ + ε).",
        mistakes=[
            Mistake(
                "L2 not decoupled",
                _adam_l2,
                "AdamW decays the weights directly (p·(1 − lr·wd)); adding wd·p to the gradient is Adam + L2.",
            ),
            Mistake(
                "no bias correction",
                _adamw_no_bias_correction,
                "divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ): without it the first steps are far too small.",
            ),
            Mistake(
                "decay without lr",
                _adamw_decay_no_lr,
                "the decay is scaled by the learning rate: p·(1 − lr·weight_decay).",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 13.5.6 power law
def _power_cases():
    x = np.array([1e4, 3e4, 1e5, 3e5, 1e6])
    rng = np.random.default_rng(2)
    return [
        Case((x, 50.0 * x**-0.2)),
        Case((np.array([1.0, 10.0, 100.0]), np.array([4.0, 2.0, 1.0]))),
        Case(
            (x, 7.0 * x**-0.076 * np.exp(rng.normal(scale=0.01, size=5))),
            label="x = 1e4 … 1e6, y = 7 x^-0.076 with 1 % noise",
        ),
    ]


def _power_slope(x, y):
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(intercept)), float(slope)


def _power_linear(x, y):
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept), float(-slope)


def _power_log10(x, y):
    slope, intercept = np.polyfit(np.log10(x), np.log10(y), 1)
    return float(np.exp(intercept)), float(-slope)


register(
    Check(
        "p13_5.fit_power_law",
        reference=ref.fit_power_law,
        cases=_power_cases,
        rtol=1e-6,
        hint="fit a line to (log x, log y): slope = −alpha, intercept = log a.",
        mistakes=[
            Mistake("sign", _power_slope, "y = a·x^(−alpha): alpha is MINUS the fitted slope."),
            Mistake(
                "linear axes",
                _power_linear,
                "fit on log axes (np.log of both x and y), not on x and y.",
            ),
            Mistake(
                "log10 then exp",
                _power_log10,
                "with log10 the intercept must be undone with 10**, not np.exp (or use np.log throughout).",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 13.5.7 Newton-Schulz
def _newton_schulz(G, steps=5, coeffs=(3.4445, -4.7750, 2.0315)):
    """NumPy reference of :func:`ml2llm.training.optim.newton_schulz` (float64)."""
    a, b, c = coeffs
    X = np.asarray(G, dtype=float)
    X = X / (np.linalg.norm(X) + 1e-7)
    tall = X.shape[0] > X.shape[1]
    if tall:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


def _ns_cases():
    rng = np.random.default_rng(7)
    return [
        Case(
            (rng.normal(size=(4, 6)), 0), hint="zero steps: just G divided by its Frobenius norm."
        ),
        Case((rng.normal(size=(4, 6)), 1), hint="one step: X ← aX + (bA + cA²)X with A = X Xᵀ."),
        Case((rng.normal(size=(3, 5)), 5), label="a wide 3×5 matrix, 5 steps"),
        Case(
            (rng.normal(size=(7, 3)), 5),
            hint="a tall matrix: iterate on its transpose (A is then 3×3) and transpose back.",
        ),
        Case((rng.normal(size=(5, 5)), 3), label="a square 5×5 matrix, 3 steps"),
        Case(
            (rng.normal(size=(4, 8)) * 50.0, 5),
            hint="normalise by the Frobenius norm first, or the polynomial blows up.",
        ),
        Case(
            (rng.normal(size=(6, 4)), 12),
            dict(coeffs=(1.5, -0.5, 0.0)),
            hint="use the coefficients you are given (here the cubic iteration).",
        ),
    ]


def _ns_no_normalise(G, steps=5, coeffs=(3.4445, -4.7750, 2.0315)):
    a, b, c = coeffs
    X = np.asarray(G, dtype=float)
    tall = X.shape[0] > X.shape[1]
    X = X.T if tall else X
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


def _ns_elementwise(G, steps=5, coeffs=(3.4445, -4.7750, 2.0315)):
    a, b, c = coeffs
    X = np.asarray(G, dtype=float)
    X = X / (np.linalg.norm(X) + 1e-7)
    tall = X.shape[0] > X.shape[1]
    X = X.T if tall else X
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A * A) @ X
    return X.T if tall else X


def _ns_max_normalise(G, steps=5, coeffs=(3.4445, -4.7750, 2.0315)):
    a, b, c = coeffs
    X = np.asarray(G, dtype=float)
    X = X / np.abs(X).max()
    tall = X.shape[0] > X.shape[1]
    X = X.T if tall else X
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


register(
    Check(
        "p13_5.newton_schulz",
        reference=_newton_schulz,
        cases=_ns_cases,
        rtol=1e-5,
        atol=1e-7,
        hint="X = G/‖G‖_F (transpose if tall); repeat X ← aX + (bA + cA²)X with A = X Xᵀ; transpose back.",
        mistakes=[
            Mistake(
                "no normalisation",
                _ns_no_normalise,
                "divide G by its Frobenius norm first: the iteration only converges for singular values ≤ 1.",
            ),
            Mistake(
                "elementwise A²",
                _ns_elementwise,
                "A² is the matrix product A @ A, not A squared elementwise (A * A or A**2).",
            ),
            Mistake(
                "max-abs normalisation",
                _ns_max_normalise,
                "normalise by the Frobenius norm sqrt(Σ G²), not by the largest entry.",
            ),
        ],
    )
)
