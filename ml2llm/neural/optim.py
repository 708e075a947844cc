"""Optimizers (SGD, momentum, Nesterov, Adam) and gradient-norm clipping, as in PyTorch.

Optimizers update each :class:`~ml2llm.neural.layers.Parameter`'s ``data`` in place from its
``grad``; their update rules are PyTorch's exactly, so a trajectory equals ``torch.optim``'s
for the same gradients (tested):

- SGD with momentum ``μ`` and weight decay ``λ``: ``g ← g + λθ``; ``v ← μv + g`` (``v = g`` on
  the first step); ``θ ← θ − η v`` (Nesterov: ``θ ← θ − η (g + μv)``).
- Adam: ``m ← β₁m + (1−β₁)g``, ``v ← β₂v + (1−β₂)g²``, ``m̂ = m/(1−β₁ᵗ)``, ``v̂ = v/(1−β₂ᵗ)``,
  ``θ ← θ − η m̂ / (√v̂ + ε)``.

>>> import numpy as np
>>> from ml2llm.neural.layers import Parameter
>>> p = Parameter(np.array([1.0])); p.grad = np.array([0.5])
>>> SGD([p], lr=0.1).step(); p.data
array([0.95])
"""

from __future__ import annotations

import numpy as np

__all__ = ["SGD", "Adam", "Optimizer", "clip_grad_norm"]


class Optimizer:
    """Base class: holds the parameters and a learning rate ``lr`` that schedules may change."""

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("params must be a non-empty list of Parameters")
        if not isinstance(lr, (int, float)) or isinstance(lr, bool) or lr < 0:
            raise ValueError(f"lr must be a non-negative number, got {lr!r}")
        self.lr = float(lr)
        self.state = [{} for _ in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay."""

    def __init__(self, params, lr=0.01, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.momentum, self.weight_decay, self.nesterov = (
            float(momentum),
            float(weight_decay),
            nesterov,
        )

    def step(self):
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            if self.momentum:
                v = state.get("velocity")
                v = g.copy() if v is None else self.momentum * v + g
                state["velocity"] = v
                g = g + self.momentum * v if self.nesterov else v
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction; ``weight_decay`` is the L2 (not AdamW) kind."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        self.betas, self.eps, self.weight_decay = (
            (float(b1), float(b2)),
            float(eps),
            float(weight_decay),
        )

    def step(self):
        b1, b2 = self.betas
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            t = state.get("t", 0) + 1
            m = b1 * state.get("m", 0.0) + (1 - b1) * g
            v = b2 * state.get("v", 0.0) + (1 - b2) * g * g
            state.update(t=t, m=m, v=v)
            m_hat = m / (1 - b1**t)
            v_hat = v / (1 - b2**t)
            p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def clip_grad_norm(params, max_norm):
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    Returns the norm *before* clipping (as ``torch.nn.utils.clip_grad_norm_``, whose scale
    factor ``max_norm / (norm + 1e-6)`` it copies). Gradients are replaced, not modified in place.
    """
    if not isinstance(max_norm, (int, float)) or isinstance(max_norm, bool) or max_norm <= 0:
        raise ValueError(f"max_norm must be a positive number, got {max_norm!r}")
    params = [p for p in params if p.grad is not None]
    total = float(np.sqrt(sum(float(np.sum(p.grad**2)) for p in params)))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad = p.grad * coef
    return total
