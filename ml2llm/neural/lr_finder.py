"""The learning-rate range test (Smith, 2017; popularised by fast.ai).

Train for a few hundred mini-batches while the learning rate grows geometrically from
``lr_min`` to ``lr_max``, recording the (smoothed) loss. The loss first stays flat (too small a
rate), then falls fastest, then explodes. A good rate sits where it falls fastest, about a decade
below the minimum of the curve. The test *trains* the model it is given: rebuild it afterwards.

>>> import numpy as np
>>> from ml2llm.neural.model import make_mlp
>>> from ml2llm.neural.optim import SGD
>>> X = np.random.default_rng(0).normal(size=(256, 2)); y = (X.sum(1) > 0).astype(int)
>>> net = make_mlp([2, 16, 2], random_state=0)
>>> lrs, losses = lr_range_test(net, SGD(net.parameters()), X, y, n_steps=50)
>>> len(lrs) == len(losses) and bool(lrs[0] < lrs[-1])
True
"""

from __future__ import annotations

import numpy as np

from ml2llm.neural.losses import SoftmaxCrossEntropy

__all__ = ["lr_range_test", "suggest_lr"]


def lr_range_test(
    model,
    optimizer,
    X,
    y,
    lr_min=1e-5,
    lr_max=10.0,
    n_steps=100,
    batch_size=64,
    smoothing=0.9,
    diverge_factor=4.0,
    random_state=0,
):
    """Return ``(lrs, smoothed_losses)``; stops early once the loss exceeds
    ``diverge_factor ×`` its best value."""
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, got lr_min={lr_min!r}, lr_max={lr_max!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    rng = np.random.default_rng(random_state)
    loss_fn = SoftmaxCrossEntropy()
    schedule = np.geomspace(lr_min, lr_max, n_steps)
    lrs, losses, avg, best = [], [], 0.0, np.inf
    model.train()
    for k, lr in enumerate(schedule):
        idx = rng.choice(len(X), size=min(batch_size, len(X)), replace=False)
        loss = loss_fn.forward(model.forward(X[idx]), y[idx])
        if not np.isfinite(loss):
            break
        model.backward(loss_fn.backward())
        optimizer.lr = float(lr)
        optimizer.step()
        avg = smoothing * avg + (1 - smoothing) * loss
        smooth = avg / (1 - smoothing ** (k + 1))  # bias-corrected, like Adam's moments
        lrs.append(float(lr))
        losses.append(float(smooth))
        best = min(best, smooth)
        if smooth > diverge_factor * best:
            break
    return np.array(lrs), np.array(losses)


def suggest_lr(lrs, losses):
    """The rate where the smoothed loss falls fastest (steepest negative slope in log-lr),
    capped at a tenth of the rate of minimum loss."""
    lrs, losses = np.asarray(lrs), np.asarray(losses)
    if len(lrs) < 3:
        raise ValueError("need at least 3 points of a range test to suggest a rate")
    slope = np.gradient(losses, np.log(lrs))
    i_min = int(np.argmin(losses))
    steepest = lrs[int(np.argmin(slope[: max(i_min, 2)]))]
    return float(min(steepest, lrs[i_min] / 10 if i_min > 0 else steepest))
