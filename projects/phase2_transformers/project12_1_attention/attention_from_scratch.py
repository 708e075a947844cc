# %% [markdown]
# # Project 12.1 — Attention from scratch
#
# In Project 11.75 an RNN had to squeeze everything it had read into one hidden vector, and its
# memory of a token faded with every step. **Attention** removes the bottleneck: every position
# may look directly at every earlier position and take a weighted average of what it finds,
# with weights computed from content. Distance stops mattering. Attention is the one new
# ingredient of the transformer; everything else (MLPs, residuals, normalisation) you know.
#
# **You will:**
# 1. write a numerically stable softmax, the causal mask and scaled dot-product attention;
# 2. split a model dimension into heads (multi-head attention);
# 3. derive and implement the backward pass, and gradient-check it;
# 4. look at attention maps, and re-run Project 11.75's long-range recall task: an attention
#    model against an RNN, accuracy against distance;
# 5. prove the library's forward and backward equal `torch.nn.functional.scaled_dot_product_attention`
#    and `torch.nn.MultiheadAttention` with copied weights.
#
# **Prerequisites:** Project 11.5 (backprop), Project 11.75 (RNNs). **Time:** about 8 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line runs your function on
# several inputs against the reference and prints `✓` or the first input where yours differs,
# with a hint. `ml2llm check 12.1` runs the whole notebook from a terminal.
#
# Terms in **bold** link to the [glossary](../../../docs/GLOSSARY.md).

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from ml2llm import check, is_quick
from ml2llm.quickmode import pick
from ml2llm.data.sequence_tasks import make_recall_task, recall_special_tokens, recall_vocab
from ml2llm.nlp import attention as reference
from ml2llm.nlp.attention import (
    MultiHeadAttention,
    attention_backward,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)
from utils.device import ensure_seed

ensure_seed(0)
torch.set_num_threads(1)
QUICK = is_quick()  # ML2LLM_QUICK=1: fewer training steps and distances, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Attention as a soft dictionary lookup
#
# A Python dict returns the value whose key *equals* the query. Attention returns a blend of
# *all* values, weighted by how well each key matches the query. With queries $Q\in\mathbb
# R^{T\times d_k}$, keys $K\in\mathbb R^{S\times d_k}$ and values $V\in\mathbb R^{S\times d_v}$:
#
# $$\mathrm{Attention}(Q,K,V) = \underbrace{\mathrm{softmax}\Big(\frac{QK^\top}{\sqrt{d_k}}\Big)}_{P\ \in\ \mathbb R^{T\times S}} V .$$
#
# Row $i$ of $P$ is a probability distribution over the $S$ keys: how much query $i$ takes from
# each value. The softmax turns arbitrary scores into such weights:
# $\mathrm{softmax}(z)_j = e^{z_j}/\sum_l e^{z_l}$.
#
# **Numerical stability.** $e^{1000}$ overflows to `inf`, and `inf/inf` is `nan`. Since
# $\mathrm{softmax}(z) = \mathrm{softmax}(z - c)$ for any constant $c$, subtract the row maximum
# first: the largest exponent is then $e^0 = 1$.
#
# ### Exercise 12.1.1 — A stable softmax
#
# Softmax along the last axis of `x` (any shape).

# %%
def softmax(x):
    ### BEGIN SOLUTION
    z = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


check("p12_1.softmax", softmax)

# %% [markdown]
# ## 2. Masks: who may look at whom
#
# A language model predicts token $t+1$ from tokens $\le t$, so position $i$ must not attend to
# any $j > i$: a **causal mask**. Batches of sequences of different lengths are padded to one
# length, and nobody may attend to a padding position: a **padding mask**. We write masks as
# booleans, `True` = *may attend* (PyTorch's `scaled_dot_product_attention` convention), and
# apply them by setting the masked scores to $-\infty$ **before** the softmax, so masked keys
# get exactly zero weight and each row still sums to 1:
#
# $$P = \mathrm{softmax}\Big(\frac{QK^\top}{\sqrt{d_k}} + M\Big),\qquad M_{ij} = \begin{cases}0 & \text{may attend}\\ -\infty & \text{masked.}\end{cases}$$
#
# ### Exercise 12.1.2 — The causal mask
#
# Return a boolean `(T, T)` array, `True` where key `j` is at or before query `i`.

# %%
def causal_mask_ex(T):
    ### BEGIN SOLUTION
    return np.tril(np.ones((T, T), dtype=bool))
    ### END SOLUTION


check("p12_1.causal_mask", causal_mask_ex)

# %% [markdown]
# **Why $\sqrt{d_k}$?** If the entries of $q$ and $k$ are independent with mean 0 and variance 1,
# $q\cdot k = \sum_{l=1}^{d_k} q_l k_l$ has variance $d_k$. With $d_k = 64$ the scores spread
# over $\pm 16$, the softmax saturates to a one-hot vector and its gradient vanishes. Dividing
# by $\sqrt{d_k}$ brings the variance back to 1 — check it numerically:

# %%
rng = np.random.default_rng(0)
for d in (4, 64, 512):
    s = (rng.normal(size=(2000, d)) * rng.normal(size=(2000, d))).sum(1)
    print(f"d_k={d:4d}: std of q·k = {s.std():6.2f}, after /√d_k = {(s / np.sqrt(d)).std():.2f}")

# %% [markdown]
# ### Exercise 12.1.3 — Scaled dot-product attention
#
# Inputs `q (..., T, d_k)`, `k (..., S, d_k)`, `v (..., S, d_v)` with any leading (batch, head)
# dimensions, and an optional boolean `mask` broadcastable to `(..., T, S)`. Return the tuple
# `(output, weights)`. Use `np.swapaxes(k, -1, -2)` for $K^\top$ and your `softmax`.

# %%
def attention(q, k, v, mask=None):
    ### BEGIN SOLUTION
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores)
    return weights @ v, weights
    ### END SOLUTION


check("p12_1.attention", attention)

# %% [markdown]
# ## 3. Multiple heads
#
# One softmax gives one weighted average: a position can look at one "kind" of thing at a time.
# **Multi-head attention** projects the input $x\in\mathbb R^{T\times D}$ to queries, keys and
# values ($xW_Q$, $xW_K$, $xW_V$), cuts the $D$ features into $H$ groups of $d_h = D/H$, runs
# attention in each group independently, concatenates the results and mixes them with $W_O$:
#
# $$\mathrm{MHA}(x) = \mathrm{concat}_h\big(\mathrm{Attention}(xW_Q^{(h)}, xW_K^{(h)}, xW_V^{(h)})\big)\,W_O .$$
#
# Same cost as one big head, but $H$ different attention patterns. In code, "cut into groups" is
# a reshape plus a transpose, so that the head axis becomes a batch axis.
#
# ### Exercise 12.1.4 — Split into heads
#
# `(B, T, D) → (B, H, T, D/H)`; head `h` takes features `h·dh … (h+1)·dh − 1`.

# %%
def split_heads(x, n_heads):
    ### BEGIN SOLUTION
    B, T, D = x.shape
    return x.reshape(B, T, n_heads, D // n_heads).transpose(0, 2, 1, 3)
    ### END SOLUTION


check("p12_1.split_heads", split_heads)

# %% [markdown]
# ## 4. The backward pass
#
# Write $S = QK^\top c$ with $c = 1/\sqrt{d_k}$, $P = \mathrm{softmax}(S)$ row-wise, $O = PV$.
# Given $dO = \partial L/\partial O$, the chain rule gives, step by step backwards:
#
# $$dV = P^\top dO,\qquad dP = dO\, V^\top,$$
# $$dS_{ij} = P_{ij}\Big(dP_{ij} - \sum_l dP_{il} P_{il}\Big)\quad\text{(the softmax Jacobian, row by row)},$$
# $$dQ = c\, dS\, K,\qquad dK = c\, dS^\top Q .$$
#
# The softmax line comes from $\partial P_{il}/\partial S_{ij} = P_{il}(\delta_{lj} - P_{ij})$.
# Masked entries have $P_{ij} = 0$, so they receive no gradient — no special case needed.
#
# ### Exercise 12.1.5 — Attention backward
#
# Given `dout`, the forward inputs `q, k, v` and the forward `weights` $P$, return
# `(dq, dk, dv)`. Works for any leading dimensions.

# %%
def attention_backward_ex(dout, q, k, v, weights):
    ### BEGIN SOLUTION
    c = 1.0 / np.sqrt(q.shape[-1])
    dv = np.swapaxes(weights, -1, -2) @ dout
    dP = dout @ np.swapaxes(v, -1, -2)
    dS = weights * (dP - np.sum(dP * weights, axis=-1, keepdims=True))
    return c * dS @ k, c * np.swapaxes(dS, -1, -2) @ q, dv
    ### END SOLUTION


check("p12_1.attention_backward", attention_backward_ex)

# %% [markdown]
# **Gradient check.** Derivations go wrong; finite differences do not (they are just slow). For a
# random linear loss $L = \sum O \odot C$, compare the library's analytic gradient with
# $\big(L(x + h) - L(x - h)\big)/2h$ for every entry.

# %%
def numerical_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


q, k, v = rng.normal(size=(3, 2, 5, 4))
C = rng.normal(size=(2, 5, 4))
mask = causal_mask(5)
loss = lambda: float(np.sum(scaled_dot_product_attention(q, k, v, mask=mask)[0] * C))
_, P = scaled_dot_product_attention(q, k, v, mask=mask)
for name, x, g in zip("qkv", (q, k, v), attention_backward(C, q, k, v, P)):
    rel = np.abs(g - numerical_grad(loss, x)).max() / np.abs(g).max()
    print(f"d{name}: max relative error {rel:.1e}")
    assert rel < 1e-6  # central differences with h=1e-6 in float64 are accurate to ~1e-9

# %% [markdown]
# ## Experiment 1 — What do attention maps look like?
#
# **Hypothesis.** Without learned projections, a token attends most to keys that *resemble* it.
# If a sequence contains the same embedding twice, the second occurrence should light up the
# first; the causal mask should blank out the upper triangle; padded keys should get zero weight.

# %%
words = ["the", "king", "is", "dead", "long", "live", "the", "king", "<pad>", "<pad>"]
emb = {w: rng.normal(size=16) for w in set(words)}
X = np.stack([emb[w] for w in words])[None]  # (1, T, 16)
mask = causal_mask(len(words)) & padding_mask(np.array([8]), len(words))[0, 0]
_, W_plain = scaled_dot_product_attention(X, X, X, mask=padding_mask(np.array([8]), len(words))[:, 0])
_, W_causal = scaled_dot_product_attention(X, X, X, mask=mask)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, W, title in [(axes[0], W_plain[0], "padding mask only"), (axes[1], W_causal[0], "causal + padding mask")]:
    im = ax.imshow(W, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(words)), words, rotation=60)
    ax.set_yticks(range(len(words)), words)
    ax.set(title=title, xlabel="key", ylabel="query")
fig.colorbar(im, ax=axes, shrink=0.8)
plt.show()

# %% [markdown]
# **What happened.** Each word attends mostly to itself (a vector matches itself best), and the
# second "the"/"king" split their weight between both copies — content-based lookup, regardless
# of distance. Under the causal mask the first "the" can only see itself, and the padded keys
# (columns 8–9) are black in every row. Padded *queries* still get a distribution: their
# outputs are simply ignored by the loss.

# %% [markdown]
# ## Experiment 2 — Long-range recall: attention against an RNN
#
# Project 11.75's recall task hides an answer token right after a `MARK` token and asks for it
# at the final `QUERY` position, `distance` steps later; all other tokens are random
# distractors from the same vocabulary (chance = 1/8).
#
# **Hypothesis.** An RNN must carry the answer through `distance` tanh updates, so its accuracy
# should fall with distance. An attention layer can match the query directly against "the token
# that follows MARK" at any distance, so its accuracy should stay flat.
#
# **The attention model** (NumPy, trained with the library's `MultiHeadAttention` forward and
# backward): each position's input is its token embedding concatenated with the previous
# token's embedding (a one-step look-back, like a width-2 convolution, which lets a key say "I
# come right after MARK"); one 2-head attention layer whose single query is the last position;
# a linear read-out. **The RNN** is `torch.nn.RNN` (tanh) with an embedding and a linear read-out.
# Both train on the same batches with Adam: sequences of one fixed length, distances mixed.

# %%
VOCAB = 8
DISTANCES = pick([2, 5, 10, 20, 40, 80], [2, 8, 24])
SEQ_LEN = max(DISTANCES) + 2
STEPS = pick(1500, 300)
BATCH = 64
MARK, QUERY = recall_special_tokens(VOCAB)
N_IN = recall_vocab(VOCAB)
data_rng = np.random.default_rng(1)


def batch(n, distance=None):
    d = distance or int(data_rng.choice(DISTANCES))
    return make_recall_task(n, d, VOCAB, seq_len=SEQ_LEN, random_state=data_rng)


class RecallAttention:
    """Embedding (+ previous token) → one multi-head attention query at the last position → logits."""

    def __init__(self, d_emb=16, n_heads=2, seed=0):
        r = np.random.default_rng(seed)
        self.d = d_emb
        self.mha = MultiHeadAttention(2 * d_emb, n_heads, random_state=seed)
        self.p = {"E": r.normal(scale=0.5, size=(N_IN + 1, d_emb)),  # row N_IN = "no previous token"
                  "W": r.normal(scale=0.1, size=(2 * d_emb, VOCAB)), "b": np.zeros(VOCAB)}

    def inputs(self, X):
        prev = np.concatenate([np.full((len(X), 1), N_IN), X[:, :-1]], axis=1)
        return np.concatenate([self.p["E"][X], self.p["E"][prev]], axis=-1), prev

    def forward(self, X):
        self.X = X
        self.x, self.prev = self.inputs(X)
        self.h = self.mha.forward(self.x[:, -1:], self.x)[:, 0]  # (B, D): the query's output
        return self.h @ self.p["W"] + self.p["b"]

    def backward(self, dlogits):
        g = {"W": self.h.T @ dlogits, "b": dlogits.sum(0)}
        dxq, dx = self.mha.backward((dlogits @ self.p["W"].T)[:, None, :])
        dx[:, -1] += dxq[:, 0]
        dE = np.zeros_like(self.p["E"])
        np.add.at(dE, self.X, dx[..., : self.d])
        np.add.at(dE, self.prev, dx[..., self.d :])
        g["E"] = dE
        return g | {f"mha.{k}": v for k, v in self.mha.grads.items()}

    def params(self):
        return self.p | {f"mha.{k}": v for k, v in self.mha.params.items()}

    def set(self, key, value):
        if key.startswith("mha."):
            self.mha.params[key[4:]] = value
        else:
            self.p[key] = value


def cross_entropy(logits, y):
    P = reference.softmax(logits)
    loss = -np.log(P[np.arange(len(y)), y] + 1e-12).mean()
    d = P.copy()
    d[np.arange(len(y)), y] -= 1
    return loss, d / len(y)


class Adam:
    def __init__(self, lr=1e-2, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.m, self.v, self.t = lr, b1, b2, eps, {}, {}, 0

    def step(self, model, grads):
        self.t += 1
        for key, value in model.params().items():
            g = grads[key]
            self.m[key] = self.b1 * self.m.get(key, 0) + (1 - self.b1) * g
            self.v[key] = self.b2 * self.v.get(key, 0) + (1 - self.b2) * g * g
            mh, vh = self.m[key] / (1 - self.b1**self.t), self.v[key] / (1 - self.b2**self.t)
            model.set(key, value - self.lr * mh / (np.sqrt(vh) + self.eps))


class RecallRNN(torch.nn.Module):
    def __init__(self, d_emb=16, hidden=64):
        super().__init__()
        self.emb = torch.nn.Embedding(N_IN, d_emb)
        self.rnn = torch.nn.RNN(d_emb, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, VOCAB)

    def forward(self, X):
        h, _ = self.rnn(self.emb(X))
        return self.out(h[:, -1])


attn_model, opt = RecallAttention(), Adam(lr=1e-2)
rnn = RecallRNN()
rnn_opt = torch.optim.Adam(rnn.parameters(), lr=3e-3)
hist = {"attention": [], "rnn": []}
t0 = time.perf_counter()
for _ in range(STEPS):
    Xb, yb = batch(BATCH)
    loss, dlogits = cross_entropy(attn_model.forward(Xb), yb)
    opt.step(attn_model, attn_model.backward(dlogits))
    rnn_loss = torch.nn.functional.cross_entropy(rnn(torch.from_numpy(Xb)), torch.from_numpy(yb))
    rnn_opt.zero_grad()
    rnn_loss.backward()
    torch.nn.utils.clip_grad_norm_(rnn.parameters(), 1.0)  # Project 11.75: clip RNN gradients
    rnn_opt.step()
    hist["attention"].append(loss)
    hist["rnn"].append(rnn_loss.item())
print(f"trained both models for {STEPS} steps in {time.perf_counter() - t0:.1f} s")

# %%
acc = {"attention": [], "rnn": []}
for d in DISTANCES:
    Xe, ye = make_recall_task(500, d, VOCAB, seq_len=SEQ_LEN, random_state=100 + d)
    acc["attention"].append(float((attn_model.forward(Xe).argmax(1) == ye).mean()))
    with torch.no_grad():
        acc["rnn"].append(float((rnn(torch.from_numpy(Xe)).argmax(1).numpy() == ye).mean()))
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
smooth = lambda h: np.convolve(h, np.ones(20) / 20, mode="valid")
for name in hist:
    axes[0].plot(smooth(hist[name]), label=name)
axes[0].set(xlabel="step", ylabel="cross-entropy (smoothed)", title="Training loss")
axes[0].legend()
for name, marker in (("attention", "o-"), ("rnn", "s-")):
    axes[1].plot(DISTANCES, acc[name], marker, label=name)
axes[1].axhline(1 / VOCAB, color="gray", ls="--", label="chance")
axes[1].set(xscale="log", xlabel="distance (steps between answer and query)", ylabel="accuracy",
            title=f"Recall accuracy, sequences of length {SEQ_LEN}", ylim=(0, 1.05))
axes[1].legend()
plt.tight_layout()
plt.show()
for d, a, r in zip(DISTANCES, acc["attention"], acc["rnn"]):
    print(f"distance {d:3d}: attention {a:.3f}   RNN {r:.3f}")

# %% [markdown]
# **What happened.** The attention model's accuracy is (nearly) the same at every distance:
# the answer is one softmax away wherever it sits. The RNN does well when the answer is a few
# steps back and decays towards chance as the distance grows — the vanishing memory of Project
# 11.75. (In quick mode both models train briefly; the full run makes the gap cleaner.)
#
# Where does the trained attention query look? Its weights should peak at the answer, right
# after `MARK`:

# %%
Xe, ye = make_recall_task(4, DISTANCES[-1], VOCAB, seq_len=SEQ_LEN, random_state=7)
attn_model.forward(Xe)
W = attn_model.mha.weights_[:, :, 0, :]  # (B, heads, keys) for the single query
fig, ax = plt.subplots(figsize=(10, 2.8))
im = ax.imshow(W.reshape(-1, SEQ_LEN), aspect="auto", cmap="viridis")
answer_pos = SEQ_LEN - 1 - DISTANCES[-1]
ax.axvline(answer_pos, color="w", ls=":", lw=1)
ax.set(xlabel="key position", ylabel="sequence × head", title=f"Query attention (dotted: answer at position {answer_pos})")
fig.colorbar(im)
plt.show()

# %% [markdown]
# ## Comparison with PyTorch
#
# Same inputs in float64, same weights: the library's forward *and* backward must equal
# `torch.nn.functional.scaled_dot_product_attention` and `torch.nn.MultiheadAttention` to
# $10^{-9}$ (only summation order differs). Note the mask conventions: SDPA's boolean mask means
# "may attend" like ours, while `nn.MultiheadAttention`'s `attn_mask` and `key_padding_mask`
# mean "blocked" — hence the `~`.

# %%
B, H, T, D = 3, 2, 6, 8
q, k, v = rng.normal(size=(3, B, H, T, D // H))
lengths = np.array([6, 4, 5])
mask = padding_mask(lengths, T) & causal_mask(T)
out, P = scaled_dot_product_attention(q, k, v, mask=mask)
tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(mask))
dout = rng.normal(size=out.shape)
tout.backward(torch.tensor(dout))
err_f = np.abs(out - tout.detach().numpy()).max()
err_b = max(np.abs(a - t.grad.numpy()).max() for a, t in zip(attention_backward(dout, q, k, v, P), (tq, tk, tv)))
print(f"SDPA: forward max |diff| {err_f:.1e}, backward {err_b:.1e}")
assert err_f < 1e-9 and err_b < 1e-9

torch.manual_seed(0)
tm = torch.nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64)
with torch.no_grad():
    tm.in_proj_bias.normal_()
mha = MultiHeadAttention.from_torch(tm)
x = rng.normal(size=(B, T, D))
out = mha.forward(x, mask=padding_mask(lengths, T), causal=True)
tx = torch.tensor(x, requires_grad=True)
tout, _ = tm(tx, tx, tx, key_padding_mask=torch.tensor(~padding_mask(lengths, T)[:, 0, 0]),
             attn_mask=torch.tensor(~causal_mask(T)))
dout = rng.normal(size=out.shape)
tout.backward(torch.tensor(dout))
dx, _ = mha.backward(dout)
err_f = np.abs(out - tout.detach().numpy()).max()
err_x = np.abs(dx - tx.grad.numpy()).max()
err_w = np.abs(mha.grads["W_o"] - tm.out_proj.weight.grad.numpy().T).max()
print(f"nn.MultiheadAttention: forward {err_f:.1e}, d input {err_x:.1e}, d W_o {err_w:.1e}")
assert max(err_f, err_x, err_w) < 1e-9

# %% [markdown]
# ## What you learned
#
# - **Attention** is a differentiable dictionary lookup: softmax-normalised query–key scores
#   weight an average of values. Scaling by $\sqrt{d_k}$ keeps the scores' variance at 1 so
#   the softmax does not saturate; subtracting the row max keeps it finite.
# - Masks act **before** the softmax ($-\infty$ scores): a **causal mask** hides the future,
#   a **padding mask** hides padding; rows still sum to 1.
# - **Multi-head attention** is a reshape and a transpose around the same computation; heads
#   learn different patterns.
# - The backward pass is three matrix products and the softmax Jacobian; you gradient-checked
#   it and matched PyTorch to $10^{-9}$.
# - On long-range recall, attention's accuracy does not depend on distance, while an RNN's
#   decays: the reason transformers replaced RNNs.
#
# **Next:** Project 12 assembles attention, MLPs, residuals and LayerNorm into a GPT.
# Glossary: [attention](../../../docs/GLOSSARY.md#attention),
# [softmax](../../../docs/GLOSSARY.md#softmax),
# [causal mask](../../../docs/GLOSSARY.md#causal-mask),
# [padding mask](../../../docs/GLOSSARY.md#padding-mask),
# [multi-head attention](../../../docs/GLOSSARY.md#multi-head-attention),
# [gradient check](../../../docs/GLOSSARY.md#gradient-check).
