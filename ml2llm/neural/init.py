"""Weight initialisation: Xavier/Glorot and He/Kaiming, seeded by a ``numpy.random.Generator``.

Shapes are ``(fan_in, fan_out)`` (the layout of :class:`ml2llm.neural.layers.Linear`).

- Xavier keeps the variance of activations *and* gradients roughly constant through linear/tanh
  layers: ``Var(W) = 2 / (fan_in + fan_out)``.
- He compensates for ReLU zeroing half its inputs: ``Var(W) = 2 / fan_in``.

>>> import numpy as np
>>> W = he_normal(1000, 500, np.random.default_rng(0))
>>> round(float(W.std() * np.sqrt(1000 / 2)), 1)
1.0
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "INITS",
    "get_init",
    "he_normal",
    "he_uniform",
    "normal",
    "xavier_normal",
    "xavier_uniform",
]


def _fans(fan_in, fan_out):
    for name, v in (("fan_in", fan_in), ("fan_out", fan_out)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(fan_in), int(fan_out)


def xavier_uniform(fan_in, fan_out, rng, gain=1.0):
    """``U(-a, a)`` with ``a = gain·sqrt(6 / (fan_in + fan_out))`` (torch ``xavier_uniform_``)."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out))


def xavier_normal(fan_in, fan_out, rng, gain=1.0):
    """``N(0, gain²·2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return rng.normal(0.0, gain * np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    """``N(0, 2 / fan_in)`` (torch ``kaiming_normal_`` with ``nonlinearity='relu'``)."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def he_uniform(fan_in, fan_out, rng):
    """``U(-a, a)`` with ``a = sqrt(6 / fan_in)``."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    a = np.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, size=(fan_in, fan_out))


def normal(fan_in, fan_out, rng, std=0.01):
    """``N(0, std²)``: the naive choice whose failure (vanishing or exploding) Project 11.5 shows."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return rng.normal(0.0, std, size=(fan_in, fan_out))


INITS = {
    "xavier": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he": he_normal,
    "he_uniform": he_uniform,
}


def get_init(init):
    """A callable ``(fan_in, fan_out, rng) -> W`` from a name, a float (std of a normal) or a callable."""
    if callable(init):
        return init
    if isinstance(init, (int, float)) and not isinstance(init, bool) and init > 0:
        return lambda fi, fo, rng: normal(fi, fo, rng, std=float(init))
    if init in INITS:
        return INITS[init]
    raise ValueError(
        f"init must be one of {sorted(INITS)}, a positive float (std of a normal) or a callable, "
        f"got {init!r}"
    )
