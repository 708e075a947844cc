"""Recurrent networks from scratch: a vanilla RNN with backpropagation through time (BPTT),
LSTM and GRU forward passes, a character-level language model and a sequence classifier.

Vanilla RNN (``tanh``), batch first, ``x`` of shape ``(B, T, D)``::

    h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b)          (W_xh: (D, H), W_hh: (H, H), b: (H,))

PyTorch's ``nn.RNN`` computes the same with ``weight_ih_l0 = W_xh.T``, ``weight_hh_l0 = W_hh.T``
and two biases whose sum is ``b`` (:meth:`RNN.from_torch` copies them; outputs and gradients
are then equal in float64, tested).

BPTT walks the sequence backwards. The gradient reaching ``h_t`` has two sources, the output at
step ``t`` *and* the future through ``h_{t+1}``; forgetting the second is the classic bug::

    dh_t = dhs[t] + da_{t+1} @ W_hh.T,   da_t = dh_t ⊙ (1 − h_t²)
    dW_xh += x_tᵀ da_t,   dW_hh += h_{t−1}ᵀ da_t,   db += Σ_batch da_t,   dx_t = da_t @ W_xhᵀ

Truncated BPTT (:func:`train_char_rnn`): long text is cut into chunks of ``seq_len`` steps; the
hidden state is carried from one chunk to the next but gradients stop at chunk boundaries.

What it does not do: multiple layers, bidirectional RNNs, or backward passes for LSTM/GRU
(their forward passes are here to compare with PyTorch and to discuss gating).

>>> import numpy as np
>>> rnn = RNN(3, 4, random_state=0)
>>> hs, h_last = rnn.forward(np.ones((2, 5, 3)))
>>> hs.shape, h_last.shape, rnn.backward(np.ones_like(hs))[0].shape
((2, 5, 4), (2, 4), (2, 5, 3))
"""

from __future__ import annotations

import numpy as np

from ml2llm.neural.layers import Embedding, Linear, Module, Parameter, sigmoid
from ml2llm.neural.losses import SoftmaxCrossEntropy, softmax
from ml2llm.neural.optim import clip_grad_norm

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "CharRNN",
    "RNNClassifier",
    "fit_sequence_classifier",
    "hidden_gradient_norms",
    "sample_text",
    "softmax_temperature",
    "train_char_rnn",
]


def _pos_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_seq(x, size, name="x"):
    x = np.asarray(x, dtype=float)
    if x.ndim != 3 or x.shape[2] != size:
        raise ValueError(f"{name} must have shape (batch, time, {size}), got {x.shape}")
    return x


class RNN(Module):
    """Single-layer ``tanh`` RNN with a hand-written BPTT backward pass.

    ``forward(x (B, T, D), h0=None) -> (hs (B, T, H), h_T (B, H))``;
    ``backward(dhs (B, T, H), dh_last=None) -> (dx (B, T, D), dh0 (B, H))`` sets the parameter
    gradients and keeps ``dh_`` (B, T, H), the full gradient reaching every hidden state.
    Weights start ``U(±1/sqrt(H))`` like PyTorch's.
    """

    def __init__(self, input_size, hidden_size, random_state=None):
        self.input_size = _pos_int(input_size, "input_size")
        self.hidden_size = _pos_int(hidden_size, "hidden_size")
        rng = np.random.default_rng(random_state)
        k = 1.0 / np.sqrt(self.hidden_size)
        self.W_xh = Parameter(rng.uniform(-k, k, size=(self.input_size, self.hidden_size)))
        self.W_hh = Parameter(rng.uniform(-k, k, size=(self.hidden_size, self.hidden_size)))
        self.b = Parameter(rng.uniform(-k, k, size=self.hidden_size))

    @classmethod
    def from_torch(cls, torch_rnn):
        """Copy the weights of a single-layer, unidirectional, batch-first ``torch.nn.RNN``."""
        if torch_rnn.num_layers != 1 or torch_rnn.bidirectional or torch_rnn.nonlinearity != "tanh":
            raise ValueError("torch_rnn must be a single-layer, unidirectional tanh nn.RNN")
        new = cls(torch_rnn.input_size, torch_rnn.hidden_size)
        get = lambda name: getattr(torch_rnn, name).detach().cpu().double().numpy()
        new.W_xh.data = get("weight_ih_l0").T.copy()
        new.W_hh.data = get("weight_hh_l0").T.copy()
        new.b.data = (
            get("bias_ih_l0") + get("bias_hh_l0") if torch_rnn.bias else np.zeros(new.hidden_size)
        )
        return new

    def forward(self, x, h0=None):
        x = _check_seq(x, self.input_size)
        B, T, _ = x.shape
        h = np.zeros((B, self.hidden_size)) if h0 is None else np.asarray(h0, dtype=float)
        if h.shape != (B, self.hidden_size):
            raise ValueError(f"h0 must have shape ({B}, {self.hidden_size}), got {h.shape}")
        xw = x @ self.W_xh.data + self.b.data  # all input projections in one product
        hs = np.empty((B, T, self.hidden_size))
        self._h0 = h
        for t in range(T):
            h = np.tanh(xw[:, t] + h @ self.W_hh.data)
            hs[:, t] = h
        self._x, self._hs = x, hs
        return hs, h

    def backward(self, dhs, dh_last=None):
        x, hs = self._x, self._hs
        B, T, H = hs.shape
        dhs = np.zeros_like(hs) if dhs is None else np.asarray(dhs, dtype=float)
        if dhs.shape != hs.shape:
            raise ValueError(f"dhs must have shape {hs.shape}, got {dhs.shape}")
        da = np.empty_like(hs)
        self.dh_ = np.empty_like(hs)
        dh_next = np.zeros((B, H)) if dh_last is None else np.asarray(dh_last, dtype=float)
        W_hh = self.W_hh.data
        for t in range(T - 1, -1, -1):
            dh = dhs[:, t] + dh_next  # from this step's output AND from the future
            self.dh_[:, t] = dh
            da[:, t] = dh * (1.0 - hs[:, t] ** 2)
            dh_next = da[:, t] @ W_hh.T
        h_prev = np.concatenate([self._h0[:, None], hs[:, :-1]], axis=1)
        da2 = da.reshape(-1, H)
        self.W_xh.grad = x.reshape(-1, self.input_size).T @ da2
        self.W_hh.grad = h_prev.reshape(-1, H).T @ da2
        self.b.grad = da2.sum(axis=0)
        return da @ self.W_xh.data.T, dh_next

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}"


class LSTM(Module):
    """Single-layer LSTM, forward pass only, gates in PyTorch's order (input, forget, cell, output).

    ``W_x`` (D, 4H), ``W_h`` (H, 4H), ``b`` (4H,); ``forward(x, state=None) -> (hs, (h_T, c_T))``::

        i, f, g, o = σ(·), σ(·), tanh(·), σ(·)  of  x_t W_x + h W_h + b
        c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

    The additive cell update is why gradients survive longer than in a vanilla RNN.
    """

    def __init__(self, input_size, hidden_size, random_state=None):
        self.input_size = _pos_int(input_size, "input_size")
        self.hidden_size = _pos_int(hidden_size, "hidden_size")
        rng = np.random.default_rng(random_state)
        k, H = 1.0 / np.sqrt(self.hidden_size), self.hidden_size
        self.W_x = Parameter(rng.uniform(-k, k, size=(self.input_size, 4 * H)))
        self.W_h = Parameter(rng.uniform(-k, k, size=(H, 4 * H)))
        self.b = Parameter(rng.uniform(-k, k, size=4 * H))

    @classmethod
    def from_torch(cls, m):
        new = cls(m.input_size, m.hidden_size)
        get = lambda name: getattr(m, name).detach().cpu().double().numpy()
        new.W_x.data, new.W_h.data = get("weight_ih_l0").T.copy(), get("weight_hh_l0").T.copy()
        new.b.data = get("bias_ih_l0") + get("bias_hh_l0")
        return new

    def forward(self, x, state=None):
        x = _check_seq(x, self.input_size)
        B, T, _ = x.shape
        H = self.hidden_size
        h, c = (np.zeros((B, H)), np.zeros((B, H))) if state is None else state
        xw = x @ self.W_x.data + self.b.data
        hs = np.empty((B, T, H))
        for t in range(T):
            z = xw[:, t] + h @ self.W_h.data
            i, f, g, o = (
                sigmoid(z[:, :H]),
                sigmoid(z[:, H : 2 * H]),
                np.tanh(z[:, 2 * H : 3 * H]),
                sigmoid(z[:, 3 * H :]),
            )
            c = f * c + i * g
            h = o * np.tanh(c)
            hs[:, t] = h
        return hs, (h, c)


class GRU(Module):
    """Single-layer GRU, forward pass only, PyTorch's equations and gate order (reset, update, new)::

    r = σ(x W_xr + b_xr + h W_hr + b_hr),  z = σ(x W_xz + b_xz + h W_hz + b_hz)
    n = tanh(x W_xn + b_xn + r ⊙ (h W_hn + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
    """

    def __init__(self, input_size, hidden_size, random_state=None):
        self.input_size = _pos_int(input_size, "input_size")
        self.hidden_size = _pos_int(hidden_size, "hidden_size")
        rng = np.random.default_rng(random_state)
        k, H = 1.0 / np.sqrt(self.hidden_size), self.hidden_size
        self.W_x = Parameter(rng.uniform(-k, k, size=(self.input_size, 3 * H)))
        self.W_h = Parameter(rng.uniform(-k, k, size=(H, 3 * H)))
        self.b_x = Parameter(rng.uniform(-k, k, size=3 * H))
        self.b_h = Parameter(rng.uniform(-k, k, size=3 * H))

    @classmethod
    def from_torch(cls, m):
        new = cls(m.input_size, m.hidden_size)
        get = lambda name: getattr(m, name).detach().cpu().double().numpy()
        new.W_x.data, new.W_h.data = get("weight_ih_l0").T.copy(), get("weight_hh_l0").T.copy()
        new.b_x.data, new.b_h.data = get("bias_ih_l0"), get("bias_hh_l0")
        return new

    def forward(self, x, h0=None):
        x = _check_seq(x, self.input_size)
        B, T, _ = x.shape
        H = self.hidden_size
        h = np.zeros((B, H)) if h0 is None else h0
        xw = x @ self.W_x.data + self.b_x.data
        hs = np.empty((B, T, H))
        for t in range(T):
            hw = h @ self.W_h.data + self.b_h.data
            r = sigmoid(xw[:, t, :H] + hw[:, :H])
            z = sigmoid(xw[:, t, H : 2 * H] + hw[:, H : 2 * H])
            n = np.tanh(xw[:, t, 2 * H :] + r * hw[:, 2 * H :])
            h = (1 - z) * n + z * h
            hs[:, t] = h
        return hs, h


def hidden_gradient_norms(rnn, x, h0=None, random_state=0):
    """``‖∂L/∂h_t‖`` (mean over the batch) for every step ``t`` when the loss sees only the last
    hidden state (``L = h_T · u`` for a random unit vector ``u``): how much a step ``T − t``
    back can still influence learning. Decays geometrically when the largest singular value of
    ``W_hh`` (times the tanh slope) is below 1, grows when above."""
    hs, _ = rnn.forward(x, h0)
    u = np.random.default_rng(random_state).normal(size=rnn.hidden_size)
    u /= np.linalg.norm(u)
    rnn.backward(np.zeros_like(hs), np.broadcast_to(u, (hs.shape[0], rnn.hidden_size)).copy())
    return np.linalg.norm(rnn.dh_, axis=2).mean(axis=0)


def softmax_temperature(logits, temperature=1.0):
    """``softmax(logits / temperature)``: ``T < 1`` sharpens (greedier), ``T > 1`` flattens."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    return softmax(np.asarray(logits, dtype=float) / temperature)


class CharRNN(Module):
    """Character language model: ``Embedding → RNN → Linear`` to next-character logits.

    ``forward(ids (B, T), h0=None) -> (logits (B, T, V), h_T)``; ``backward(dlogits)``.
    """

    def __init__(self, vocab_size, hidden_size=128, embed_dim=32, random_state=None):
        rng = np.random.default_rng(random_state)
        seeds = rng.integers(2**31, size=3)
        self.vocab_size = _pos_int(vocab_size, "vocab_size")
        self.embed = Embedding(vocab_size, embed_dim, random_state=seeds[0])
        self.rnn = RNN(embed_dim, hidden_size, random_state=seeds[1])
        self.head = Linear(hidden_size, vocab_size, init="xavier", random_state=seeds[2])

    def children(self):
        return [("embed", self.embed), ("rnn", self.rnn), ("head", self.head)]

    def forward(self, ids, h0=None):
        hs, h = self.rnn.forward(self.embed.forward(ids), h0)
        return self.head.forward(hs), h

    def backward(self, dlogits):
        dx, _ = self.rnn.backward(self.head.backward(dlogits))
        self.embed.backward(dx)


def sample_text(model, start_ids, n_chars, temperature=1.0, random_state=None):
    """Generate ``n_chars`` token ids after ``start_ids`` (which prime the hidden state)."""
    rng = np.random.default_rng(random_state)
    ids = np.asarray(start_ids, dtype=np.int64).reshape(1, -1)
    logits, h = model.forward(ids)
    out = []
    for _ in range(n_chars):
        p = softmax_temperature(logits[0, -1], temperature)
        nxt = int(rng.choice(len(p), p=p))
        out.append(nxt)
        logits, h = model.forward(np.array([[nxt]]), h)
    return out


def train_char_rnn(
    model,
    ids,
    optimizer,
    n_steps=1000,
    seq_len=32,
    batch_size=16,
    clip=5.0,
    sample_every=None,
    sample_len=200,
    decode=None,
    temperature=0.8,
    random_state=0,
    log=print,
):
    """Truncated-BPTT training on the token stream ``ids``.

    ``batch_size`` streams read the text in parallel from evenly spaced offsets; each step
    takes the next ``seq_len`` tokens of each stream, carries the hidden state over (gradients
    stop at the chunk boundary) and predicts every next token. Returns a history dict with
    ``loss`` (per step), ``grad_norm`` (before clipping) and ``samples`` (``(step, text)``).
    """
    ids = np.asarray(ids, dtype=np.int64)
    seq_len, batch_size = _pos_int(seq_len, "seq_len"), _pos_int(batch_size, "batch_size")
    stream_len = (len(ids) - 1) // batch_size
    if stream_len < seq_len + 1:
        raise ValueError(
            f"ids is too short: need > {batch_size * (seq_len + 1)} tokens, got {len(ids)}"
        )
    starts = np.arange(batch_size) * stream_len
    loss_fn = SoftmaxCrossEntropy()
    hist = {"loss": [], "grad_norm": [], "samples": []}
    pos, h = 0, None
    for step in range(1, n_steps + 1):
        if pos + seq_len + 1 > stream_len:
            pos, h = 0, None
        idx = starts[:, None] + pos + np.arange(seq_len + 1)
        chunk = ids[idx]
        logits, h = model.forward(chunk[:, :-1], h)
        V = logits.shape[-1]
        loss = loss_fn.forward(logits.reshape(-1, V), chunk[:, 1:].reshape(-1))
        model.backward(loss_fn.backward().reshape(logits.shape))
        hist["grad_norm"].append(clip_grad_norm(model.parameters(), clip) if clip else np.nan)
        optimizer.step()
        hist["loss"].append(loss)
        pos += seq_len
        if sample_every and (step % sample_every == 0 or step == n_steps):
            out = sample_text(model, chunk[0, :1], sample_len, temperature, random_state + step)
            text = decode(out) if decode else out
            hist["samples"].append((step, text))
            if log:
                log(f"--- step {step}, loss {loss:.3f} ---\n{text}")
    return hist


class RNNClassifier(Module):
    """Sequence → class: ``Embedding → RNN → Linear`` on the last hidden state (the recall task)."""

    def __init__(self, vocab_size, n_classes, hidden_size=64, embed_dim=16, random_state=None):
        rng = np.random.default_rng(random_state)
        seeds = rng.integers(2**31, size=3)
        self.embed = Embedding(vocab_size, embed_dim, random_state=seeds[0])
        self.rnn = RNN(embed_dim, hidden_size, random_state=seeds[1])
        self.head = Linear(hidden_size, n_classes, init="xavier", random_state=seeds[2])

    def children(self):
        return [("embed", self.embed), ("rnn", self.rnn), ("head", self.head)]

    def forward(self, ids):
        self._hs, h = self.rnn.forward(self.embed.forward(ids))
        return self.head.forward(h)

    def backward(self, dlogits):
        dh_last = self.head.backward(dlogits)
        dx, _ = self.rnn.backward(np.zeros_like(self._hs), dh_last)
        self.embed.backward(dx)


def fit_sequence_classifier(
    model, X, y, optimizer, epochs=10, batch_size=64, clip=1.0, random_state=0
):
    """Mini-batch training with softmax cross-entropy and gradient clipping; returns the
    per-epoch mean losses."""
    X, y = np.asarray(X), np.asarray(y)
    rng = np.random.default_rng(random_state)
    loss_fn = SoftmaxCrossEntropy()
    losses = []
    for _ in range(epochs):
        order, epoch = rng.permutation(len(X)), []
        for s in range(0, len(X), batch_size):
            idx = order[s : s + batch_size]
            epoch.append(loss_fn.forward(model.forward(X[idx]), y[idx]))
            model.backward(loss_fn.backward())
            if clip:
                clip_grad_norm(model.parameters(), clip)
            optimizer.step()
        losses.append(float(np.mean(epoch)))
    return losses
