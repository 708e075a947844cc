"""Gradient checking with centred finite differences.

``(f(x + h) − f(x − h)) / 2h`` has error ``O(h²)`` (a forward difference has ``O(h)``), so in
float64 with ``h = 1e-6`` an analytic gradient that is right agrees to a relative error of about
``1e-8``; a wrong one is off by ``1e-2`` or more. The relative error
``|a − n| / max(|a| + |n|, tiny)`` is scale-free, unlike an absolute difference.

:func:`check_module_gradients` checks a whole :class:`~ml2llm.neural.layers.Module`: it
back-propagates a fixed random projection of the output (``L = Σ out · R``) and compares the
input gradient and every parameter gradient with finite differences.

>>> import numpy as np
>>> from ml2llm.neural.layers import Linear
>>> errs = check_module_gradients(Linear(3, 2, random_state=0), np.ones((4, 3)))
>>> max(errs.values()) < 1e-7
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_module_gradients", "numerical_gradient", "relative_error"]


def numerical_gradient(f, x, eps=1e-6):
    """Centred-difference gradient of the scalar function ``f`` at ``x`` (an array it may read).

    ``x`` is perturbed in place one entry at a time and restored exactly, so ``f`` can close over
    it (the way a layer's weights are shared with its forward pass).
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a float ndarray, got {type(x).__name__}")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        f_plus = f()
        x[i] = old - eps
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b, tiny=1e-12):
    """``max |a − b| / max(|a| + |b|)``: one scale-free number for two whole arrays."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return float(np.abs(a - b).max() / max(float((np.abs(a) + np.abs(b)).max()), tiny))


def check_module_gradients(module, x, eps=1e-6, random_state=0, check_input=True):
    """Relative errors of ``module``'s input and parameter gradients against finite differences.

    Returns ``{"input": err, "<param name>": err, ...}``. Stochastic layers must be in a
    deterministic state (e.g. ``Dropout`` in eval mode, or with a fixed mask) for this to work.
    """
    x = np.array(x, dtype=float)
    out = module.forward(x)
    R = np.random.default_rng(random_state).normal(size=np.shape(out))

    def loss():
        return float(np.sum(module.forward(x) * R))

    loss()
    dx = module.backward(R.copy())
    analytic = {name: p.grad.copy() for name, p in module.named_parameters()}
    errors = {}
    if check_input and dx is not None:
        errors["input"] = relative_error(dx, numerical_gradient(loss, x, eps))
    for name, p in module.named_parameters():
        errors[name] = relative_error(analytic[name], numerical_gradient(loss, p.data, eps))
    return errors
