"""Layers with hand-written forward and backward passes, in NumPy.

Each layer is a :class:`Module`: ``forward(x)`` caches what the backward pass needs and returns
the output; ``backward(grad_out)`` returns the gradient with respect to the input and *sets*
(does not accumulate) ``p.grad`` on each of its :class:`Parameter` s. Call ``forward`` then
``backward`` once per step, as a training loop does.

Conventions: a batch is the first axis; :class:`Linear` stores ``W`` as ``(in_features,
out_features)`` so that ``y = x @ W + b`` (PyTorch stores the transpose, ``weight = W.T``).
Everything is float64 unless the input is another float dtype.

What it handles: Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Dropout (inverted), BatchNorm1d
(training and evaluation modes, running statistics as in PyTorch), Embedding, Sequential with a
parameter-count summary. What it does not: convolutions, weight sharing between layers, or
calling ``backward`` twice after one ``forward``.

>>> import numpy as np
>>> net = Sequential(Linear(4, 3, random_state=0), ReLU(), Linear(3, 2, random_state=1))
>>> out = net.forward(np.ones((5, 4)))
>>> out.shape, net.backward(np.ones_like(out)).shape, count_parameters(net)
((5, 2), (5, 4), 23)
"""

from __future__ import annotations

import numpy as np

from ml2llm.neural.init import get_init

__all__ = [
    "BatchNorm1d",
    "Dropout",
    "Embedding",
    "Identity",
    "LeakyReLU",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "count_parameters",
    "summary",
]


class Parameter:
    """A trainable array ``data`` and its gradient ``grad`` (same shape, ``None`` before backward)."""

    def __init__(self, data):
        self.data = np.asarray(data, dtype=float)
        self.grad = None

    @property
    def shape(self):
        return self.data.shape

    @property
    def size(self):
        return self.data.size

    def __repr__(self):
        return f"Parameter(shape={self.data.shape})"


def _as_float_array(x, name="x"):
    x = np.asarray(x)
    if x.dtype.kind not in "fiu" or x.dtype == bool:
        raise ValueError(f"{name} must be a numeric array, got dtype {x.dtype}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(float)
    return x


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Module:
    """Base class: ``forward``, ``backward``, ``parameters``, ``train``/``eval``."""

    training = True

    def forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)

    def named_parameters(self, prefix=""):
        """``(name, Parameter)`` pairs, e.g. ``("0.W", p)`` inside a Sequential."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for idx, child in self.children():
            yield from child.named_parameters(f"{prefix}{idx}.")

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def children(self):
        return []

    def train(self, mode=True):
        self.training = bool(mode)
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


class Identity(Module):
    def forward(self, x):
        return x

    def backward(self, grad_out):
        return grad_out


class Linear(Module):
    """Affine map ``y = x @ W + b`` with ``W`` of shape ``(in_features, out_features)``.

    ``x`` may have any number of leading axes (``(B, T, in)`` works); the gradients sum over them.
    ``init`` is ``"he"`` (default), ``"xavier"``, ``"xavier_uniform"``, ``"he_uniform"``,
    ``"torch"`` (PyTorch's default ``U(±1/sqrt(in))`` for W and b), a float (std of a normal) or
    a callable ``(fan_in, fan_out, rng) -> W``. Biases start at zero except with ``"torch"``.
    """

    def __init__(self, in_features, out_features, bias=True, init="he", random_state=None):
        self.in_features = _positive_int(in_features, "in_features")
        self.out_features = _positive_int(out_features, "out_features")
        rng = np.random.default_rng(random_state)
        if init == "torch":
            k = 1.0 / np.sqrt(self.in_features)
            self.W = Parameter(rng.uniform(-k, k, size=(self.in_features, self.out_features)))
            self.b = Parameter(rng.uniform(-k, k, size=self.out_features)) if bias else None
        else:
            self.W = Parameter(get_init(init)(self.in_features, self.out_features, rng))
            self.b = Parameter(np.zeros(self.out_features)) if bias else None
        self._x = None

    def forward(self, x):
        x = _as_float_array(x)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"x must have last dimension in_features={self.in_features}, got shape {x.shape}"
            )
        self._x = x
        out = x @ self.W.data
        return out + self.b.data if self.b is not None else out

    def backward(self, grad_out):
        x2 = self._x.reshape(-1, self.in_features)
        g2 = grad_out.reshape(-1, self.out_features)
        self.W.grad = x2.T @ g2
        if self.b is not None:
            self.b.grad = g2.sum(axis=0)
        return grad_out @ self.W.data.T

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.b is not None}"


class ReLU(Module):
    """``max(0, x)``; the gradient at exactly 0 is 0 (as in PyTorch)."""

    def forward(self, x):
        self._mask = x > 0
        return np.where(self._mask, x, 0.0)

    def backward(self, grad_out):
        return grad_out * self._mask


class LeakyReLU(Module):
    """``x`` for ``x > 0``, else ``negative_slope · x``."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        self._mask = x > 0
        return np.where(self._mask, x, self.negative_slope * x)

    def backward(self, grad_out):
        return grad_out * np.where(self._mask, 1.0, self.negative_slope)


class Tanh(Module):
    """``tanh(x)``; derivative ``1 − tanh²(x)`` from the cached output."""

    def forward(self, x):
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad_out):
        return grad_out * (1.0 - self._y**2)


def sigmoid(x):
    """Numerically stable logistic function (no overflow for large ``|x|``)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


class Sigmoid(Module):
    """``σ(x) = 1 / (1 + e^{−x})``; derivative ``σ(1 − σ)``, at most 1/4."""

    def forward(self, x):
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad_out):
        return grad_out * self._y * (1.0 - self._y)


class Dropout(Module):
    """Inverted dropout: in training, zero each unit with probability ``p`` and scale the rest
    by ``1/(1−p)`` so the expected activation is unchanged; identity in evaluation mode."""

    def __init__(self, p=0.5, random_state=None):
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p < 1.0:
            raise ValueError(f"p must be a probability in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = np.random.default_rng(random_state)
        self._mask = None

    def forward(self, x):
        if not self.training or self.p == 0.0:
            self._mask = None
            return x
        self._mask = (self.rng.random(np.shape(x)) >= self.p) / (1.0 - self.p)
        return x * self._mask

    def backward(self, grad_out):
        return grad_out if self._mask is None else grad_out * self._mask

    def extra_repr(self):
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalisation over the batch axis of ``(N, C)`` inputs, as ``torch.nn.BatchNorm1d``.

    Training: normalise with the batch mean and *biased* variance, then scale by ``gamma`` and
    shift by ``beta``; update running statistics with the *unbiased* variance,
    ``running = (1 − momentum)·running + momentum·batch``. Evaluation: use the running statistics.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.num_features = _positive_int(num_features, "num_features")
        self.eps, self.momentum = float(eps), float(momentum)
        self.gamma = Parameter(np.ones(self.num_features))
        self.beta = Parameter(np.zeros(self.num_features))
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)

    def forward(self, x):
        x = _as_float_array(x)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"x must have shape (N, {self.num_features}), got {x.shape}")
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError("BatchNorm1d needs a batch of at least 2 samples in training mode")
            mean, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * n / (
                n - 1
            )
        else:
            mean, var = self.running_mean, self.running_var
        self._inv_std = 1.0 / np.sqrt(var + self.eps)
        self._xhat = (x - mean) * self._inv_std
        return self.gamma.data * self._xhat + self.beta.data

    def backward(self, grad_out):
        xhat, inv_std = self._xhat, self._inv_std
        self.gamma.grad = (grad_out * xhat).sum(axis=0)
        self.beta.grad = grad_out.sum(axis=0)
        dxhat = grad_out * self.gamma.data
        if not self.training:
            return dxhat * inv_std
        n = grad_out.shape[0]
        return inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))

    def extra_repr(self):
        return f"{self.num_features}"


class Embedding(Module):
    """Lookup table ``W[ids]`` with ``W`` of shape ``(num_embeddings, dim)``, ``N(0, 1)`` at start
    (as PyTorch). The backward pass scatter-adds, so a token used twice gets both gradients."""

    def __init__(self, num_embeddings, embedding_dim, random_state=None):
        self.num_embeddings = _positive_int(num_embeddings, "num_embeddings")
        self.embedding_dim = _positive_int(embedding_dim, "embedding_dim")
        rng = np.random.default_rng(random_state)
        self.W = Parameter(rng.normal(size=(self.num_embeddings, self.embedding_dim)))

    def forward(self, ids):
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise ValueError(f"ids must be an integer array, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_embeddings):
            raise ValueError(
                f"ids must lie in [0, {self.num_embeddings}), got values in [{ids.min()}, {ids.max()}]"
            )
        self._ids = ids
        return self.W.data[ids]

    def backward(self, grad_out):
        grad = np.zeros_like(self.W.data)
        np.add.at(grad, self._ids.reshape(-1), grad_out.reshape(-1, self.embedding_dim))
        self.W.grad = grad
        return None  # integer inputs have no gradient

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Sequential(Module):
    """Layers applied in order; ``backward`` runs them in reverse.

    With ``record=True`` (attribute), ``forward`` keeps every layer's output in ``outputs_``
    and ``backward`` every gradient flowing into a layer's output in ``grad_outputs_`` (used for
    the per-layer statistics of :func:`ml2llm.neural.model.layer_statistics`).
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise ValueError(f"layer {i} must be a Module, got {type(layer).__name__}")
        self.layers = list(layers)
        self.record = False
        self.outputs_, self.grad_outputs_ = [], []

    def children(self):
        return list(enumerate(self.layers))

    def forward(self, x):
        self.outputs_ = []
        for layer in self.layers:
            x = layer.forward(x)
            if self.record:
                self.outputs_.append(x)
        return x

    def backward(self, grad_out):
        grads = []
        for layer in reversed(self.layers):
            if self.record:
                grads.append(grad_out)
            grad_out = layer.backward(grad_out)
        self.grad_outputs_ = grads[::-1]
        return grad_out

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"


def count_parameters(model):
    """Total number of trainable scalars."""
    return int(sum(p.size for p in model.parameters()))


def summary(model):
    """A table of layers, parameter shapes and counts, ending with the total (a string)."""
    rows = [("layer", "parameters", "count")]
    layers = model.children() or [("", model)]
    for idx, layer in layers:
        params = list(layer.named_parameters())
        shapes = ", ".join(f"{n}{tuple(p.shape)}" for n, p in params) or "-"
        rows.append((f"{idx} {layer!r}".strip(), shapes, f"{sum(p.size for _, p in params):,}"))
    rows.append(("total", "", f"{count_parameters(model):,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(-1, "-" * len(lines[0]))
    return "\n".join(lines)
