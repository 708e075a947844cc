"""Build multilayer perceptrons and measure what flows through them.

:func:`make_mlp` builds ``Linear → activation → … → Linear`` from a list of sizes, with an
initialisation, optional BatchNorm and Dropout. :func:`layer_statistics` runs one forward and
backward pass and reports, per hidden layer, the spread of the activations and of the gradients
that reach them: the numbers that show vanishing and exploding signals.
:func:`mlp_sizes_for_budget` finds the hidden width that gives a depth a parameter budget.

>>> net = make_mlp([64, 32, 10], random_state=0)
>>> [type(layer).__name__ for layer in net.layers]
['Linear', 'ReLU', 'Linear']
"""

from __future__ import annotations

import numpy as np

from ml2llm.neural.layers import (
    BatchNorm1d,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from ml2llm.neural.losses import SoftmaxCrossEntropy

__all__ = ["ACTIVATIONS", "layer_statistics", "make_mlp", "mlp_n_params", "mlp_sizes_for_budget"]

ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "linear": Identity,
}


def make_mlp(sizes, activation="relu", init="he", dropout=0.0, batchnorm=False, random_state=None):
    """A :class:`Sequential` MLP with layer widths ``sizes = [in, hidden..., out]``.

    Each hidden block is ``Linear → [BatchNorm1d] → activation → [Dropout]``; the last Linear has
    no activation (its outputs are logits for :class:`SoftmaxCrossEntropy`).
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes
    ):
        raise ValueError(f"sizes must be a list of >= 2 positive integers, got {sizes!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    rng = np.random.default_rng(random_state)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        seed = int(rng.integers(2**31))
        layers.append(Linear(fan_in, fan_out, init=init, random_state=seed))
        if i < len(sizes) - 2:
            if batchnorm:
                layers.append(BatchNorm1d(fan_out))
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(Dropout(dropout, random_state=int(rng.integers(2**31))))
    return Sequential(*layers)


def mlp_n_params(sizes):
    """Parameter count of a plain MLP (weights + biases) with widths ``sizes``."""
    return int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))


def mlp_sizes_for_budget(n_in, n_out, depth, budget):
    """Widths ``[n_in, h, …, h, n_out]`` with ``depth`` hidden layers whose parameter count is
    closest to ``budget`` (solves the quadratic in ``h``, then rounds)."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth!r}")
    # params = (n_in+1)h + (depth-1)(h²+h) + (h+1)n_out
    a, b, c = depth - 1, (n_in + 1) + (depth - 1) + n_out, n_out - budget
    h = -c / b if a == 0 else (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    best = min(
        (max(1, int(v)) for v in (np.floor(h), np.ceil(h))),
        key=lambda w: abs(mlp_n_params([n_in, *[w] * depth, n_out]) - budget),
    )
    return [n_in, *[best] * depth, n_out]


def layer_statistics(model, X, y):
    """Per-activation-layer statistics after one forward and backward pass on ``(X, y)``.

    Returns a list of dicts, one per activation layer (in order), with ``act_mean``,
    ``act_std`` (of the layer's output), ``frac_zero`` (fraction of exact zeros: dead ReLUs),
    ``grad_std`` (of the loss gradient reaching that output) and ``weight_grad_norm`` (of the
    Linear layer that follows it).
    """
    loss_fn = SoftmaxCrossEntropy()
    model.record = True
    try:
        logits = model.forward(X)
        loss_fn.forward(logits, y)
        model.backward(loss_fn.backward())
    finally:
        model.record = False
    stats = []
    act_types = tuple(ACTIVATIONS.values())
    for i, layer in enumerate(model.layers):
        if isinstance(layer, act_types) and not isinstance(layer, Identity):
            out, grad = model.outputs_[i], model.grad_outputs_[i]
            nxt = next((lay for lay in model.layers[i + 1 :] if isinstance(lay, Linear)), None)
            stats.append(
                {
                    "layer": len(stats) + 1,
                    "act_mean": float(out.mean()),
                    "act_std": float(out.std()),
                    "frac_zero": float(np.mean(out == 0)),
                    "grad_std": float(grad.std()),
                    "weight_grad_norm": float(np.linalg.norm(nxt.W.grad))
                    if nxt is not None
                    else np.nan,
                }
            )
    return stats
