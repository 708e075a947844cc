"""Softmax, log-softmax and the softmax cross-entropy loss with its backward pass.

The loss fuses softmax and the negative log-likelihood because the pair has a tiny, stable
gradient, ``(softmax(z) − onehot(y)) / N``, while the two separately would divide by
probabilities that can underflow to zero. Both use the log-sum-exp trick (subtract the row
maximum), so logits of 1000 are fine.

>>> import numpy as np
>>> loss = SoftmaxCrossEntropy()
>>> round(float(loss.forward(np.array([[1000.0, 0.0]]), np.array([1]))), 3)
1000.0
"""

from __future__ import annotations

import numpy as np

__all__ = ["SoftmaxCrossEntropy", "log_softmax", "softmax"]


def log_softmax(z, axis=-1):
    """``z − logsumexp(z)``, computed stably."""
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z, axis=-1):
    """``exp(z) / Σ exp(z)``, computed stably."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class SoftmaxCrossEntropy:
    """Mean cross-entropy of integer labels ``y`` under ``softmax(logits)``.

    ``forward(logits (N, C), y (N,))`` returns the scalar loss; ``backward()`` returns
    ``dL/dlogits = (softmax − onehot) / N``. Equals ``torch.nn.functional.cross_entropy``.
    """

    def forward(self, logits, y):
        logits = np.asarray(logits, dtype=float)
        y = np.asarray(y)
        if logits.ndim != 2:
            raise ValueError(f"logits must have shape (N, C), got {logits.shape}")
        if y.shape != (logits.shape[0],) or y.dtype.kind not in "iu":
            raise ValueError(
                f"y must be an integer array of shape ({logits.shape[0]},), got {y.dtype} {y.shape}"
            )
        if y.size and (y.min() < 0 or y.max() >= logits.shape[1]):
            raise ValueError(f"y must hold class indices in [0, {logits.shape[1]})")
        logp = log_softmax(logits)
        self._probs, self._y = np.exp(logp), y
        return float(-logp[np.arange(len(y)), y].mean())

    __call__ = forward

    def backward(self):
        grad = self._probs.copy()
        grad[np.arange(len(self._y)), self._y] -= 1.0
        return grad / len(self._y)
