# %% [markdown]
# # Project 11.75 — Recurrent networks from scratch
#
# Text, audio and time series arrive as **sequences**, and their length varies. An MLP wants a
# fixed-size input. A **recurrent neural network** (RNN) reads one element at a time and keeps
# a running summary, its *hidden state*, updated by the same small network at every step. For
# twenty years this was how machines read language; then attention replaced it. This project
# shows you, with measurements, *why*:
#
# - you build the RNN cell and **backpropagation through time** (BPTT) by hand, check it with
#   finite differences and prove it equals `torch.nn.RNN` with copied weights;
# - you measure how the gradient fades with the distance between cause and effect
#   (**vanishing gradients**) and tame its opposite (exploding) with **gradient clipping**;
# - you train a character-level language model on Shakespeare and watch it learn to spell;
# - you test how far back an RNN can remember a single token, and how the sequential
#   computation scales — the two measurements that motivate attention (Project 12.1).
#
# **Prerequisites:** Project 11.5 (layers, backprop, optimizers). **Time:** about 10 hours.
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
from ml2llm.data.sequence_tasks import make_recall_task, recall_special_tokens, recall_vocab
from ml2llm.data.shakespeare import load_corpus
from ml2llm.neural.gradcheck import check_module_gradients, relative_error
from ml2llm.neural.optim import Adam
from ml2llm.neural.rnn import (GRU, LSTM, RNN, CharRNN, RNNClassifier, fit_sequence_classifier,
                               hidden_gradient_norms, sample_text, train_char_rnn)
from ml2llm.viz import plot_loss_curves
from utils.device import ensure_seed

ensure_seed(0)
torch.set_num_threads(1)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. The recurrent cell
#
# At step $t$ the RNN combines the new input $x_t$ with its previous state $h_{t-1}$:
#
# $$h_t = \tanh\!\left(x_t W_{xh} + h_{t-1} W_{hh} + b\right),\qquad h_0 = 0 .$$
#
# The *same* $W_{xh} \in \mathbb R^{D\times H}$, $W_{hh} \in \mathbb R^{H\times H}$ and $b$
# are used at every step, so the model has a fixed number of parameters whatever the length.
# Outputs (next-character logits, a class) are read from the hidden states by an ordinary
# Linear layer. Unrolled over $T$ steps, an RNN **is** a $T$-layer deep network whose layers
# share one weight matrix: Project 11.5's depth experiments apply, with depth = sequence length.
#
# ### Exercise 11.75.1 — One RNN step
#
# For a batch: `x` (B, D), `h_prev` (B, H), `W_xh` (D, H), `W_hh` (H, H), `b` (H,). Return
# `h` (B, H).

# %%
def rnn_step_forward(x, h_prev, W_xh, W_hh, b):
    ### BEGIN SOLUTION
    return np.tanh(x @ W_xh + h_prev @ W_hh + b)
    ### END SOLUTION


check("p11_75.rnn_step_forward", rnn_step_forward)

# %% [markdown]
# ## 2. Backpropagation through time
#
# Write $a_t = x_t W_{xh} + h_{t-1} W_{hh} + b$ so $h_t = \tanh(a_t)$. The gradient reaching
# $h_t$ has **two** sources: the loss at step $t$ (through the output layer), and every later
# step, through $h_{t+1}$:
#
# $$\frac{\partial L}{\partial h_t} = \underbrace{\frac{\partial L_t}{\partial h_t}}_{\texttt{dhs[:, t]}}
#   + \underbrace{\frac{\partial L}{\partial a_{t+1}} W_{hh}^\top}_{\text{from the future}},
#   \qquad \frac{\partial L}{\partial a_t} = \frac{\partial L}{\partial h_t} \odot (1 - h_t^2).$$
#
# One step backwards, given the total $\partial L/\partial h_t$, is a Linear backward
# (Project 11.5) through a tanh:
#
# $$\bar a = \bar h \odot (1-h^2),\quad \bar x = \bar a W_{xh}^\top,\quad \bar h_{t-1} = \bar a W_{hh}^\top,
#   \quad \bar W_{xh} = x^\top \bar a,\quad \bar W_{hh} = h_{t-1}^\top \bar a,\quad \bar b = \textstyle\sum \bar a .$$
#
# ### Exercise 11.75.2 — One step backwards
#
# Given `dh` (the *total* gradient reaching `h`, B × H) and the step's forward values, return
# `(dx, dh_prev, dW_xh, dW_hh, db)`.

# %%
def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    ### BEGIN SOLUTION
    da = dh * (1.0 - h**2)
    return da @ W_xh.T, da @ W_hh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    ### END SOLUTION


check("p11_75.rnn_step_backward", rnn_step_backward)

# %% [markdown]
# ### Exercise 11.75.3 — Full BPTT
#
# `xs` (B, T, D), `hs` (B, T, H) are the inputs and hidden states of a forward pass from `h0`;
# `dhs[:, t]` is $\partial L_t/\partial h_t$ from the outputs. Walk $t = T-1, \dots, 0$:
# add the gradient coming back from step $t+1$ to `dhs[:, t]`, step backwards (with
# $h_{t-1}$ = `hs[:, t-1]`, or `h0` at $t = 0$), and **sum** the weight gradients over time —
# the weights are shared, so each step contributes. Return `(dxs, dh0, dW_xh, dW_hh, db)`.

# %%
def rnn_backward(dhs, xs, hs, h0, W_xh, W_hh):
    ### BEGIN SOLUTION
    B, T, H = hs.shape
    dxs = np.zeros_like(xs, dtype=float)
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(H)
    dh_next = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dx, dh_next, dWx, dWh, db_t = rnn_step_backward(dhs[:, t] + dh_next, xs[:, t], h_prev,
                                                        hs[:, t], W_xh, W_hh)
        dxs[:, t] = dx
        dW_xh += dWx
        dW_hh += dWh
        db += db_t
    return dxs, dh_next, dW_xh, dW_hh, db
    ### END SOLUTION


check("p11_75.rnn_backward", rnn_backward)

# %% [markdown]
# ### Gradient check and equality with `torch.nn.RNN`
#
# The library's `RNN` (`ml2llm.neural.rnn`) is the same computation with state. First a
# finite-difference check of every gradient (input, $W_{xh}$, $W_{hh}$, $b$); then we build
# a `torch.nn.RNN` in float64, copy its weights into ours (PyTorch stores
# $W^\top$ and splits $b$ into two biases whose sum is ours) and compare outputs and all
# gradients. Tolerance: we require agreement with `torch.nn.RNN` to 1e-6; the same float64
# maths agrees to ~1e-15.

# %%
class OutputsOnly:
    """Adapter: an RNN seen as a layer mapping x to all hidden states (for the gradient check)."""

    def __init__(self, rnn):
        self.rnn = rnn

    def forward(self, x):
        return self.rnn.forward(x)[0]

    def backward(self, g):
        return self.rnn.backward(g)[0]

    def named_parameters(self):
        return self.rnn.named_parameters()


rng = np.random.default_rng(0)
errors = check_module_gradients(OutputsOnly(RNN(3, 5, random_state=0)), rng.normal(size=(2, 8, 3)))
print("finite differences vs BPTT, relative error:", {k: f"{v:.1e}" for k, v in errors.items()})
assert max(errors.values()) < 1e-6

torch.manual_seed(0)
torch_rnn = torch.nn.RNN(4, 16, batch_first=True).double()
ours = RNN.from_torch(torch_rnn)
x = rng.normal(size=(3, 20, 4))
upstream = rng.normal(size=(3, 20, 16))
hs, _ = ours.forward(x)
dx, _ = ours.backward(upstream)
xt = torch.tensor(x, requires_grad=True)
hst, _ = torch_rnn(xt)
(hst * torch.tensor(upstream)).sum().backward()
diffs = {
    "outputs": relative_error(hs, hst.detach().numpy()),
    "dx": relative_error(dx, xt.grad.numpy()),
    "dW_xh": relative_error(ours.W_xh.grad, torch_rnn.weight_ih_l0.grad.numpy().T),
    "dW_hh": relative_error(ours.W_hh.grad, torch_rnn.weight_hh_l0.grad.numpy().T),
    "db": relative_error(ours.b.grad, torch_rnn.bias_hh_l0.grad.numpy()),
}
print("ours vs torch.nn.RNN (float64), relative difference:", {k: f"{v:.1e}" for k, v in diffs.items()})
assert max(diffs.values()) < 1e-6

# LSTM and GRU forward passes (gated cells; no backward here) against PyTorch too:
for ours_cls, torch_cls in [(LSTM, torch.nn.LSTM), (GRU, torch.nn.GRU)]:
    ref = torch_cls(4, 8, batch_first=True).double()
    diff = relative_error(ours_cls.from_torch(ref).forward(x)[0], ref(torch.tensor(x))[0].detach().numpy())
    print(f"{ours_cls.__name__} forward vs torch: {diff:.1e}")
    assert diff < 1e-6

# %% [markdown]
# ## Experiment 1 — How the gradient fades with distance
#
# **Hypothesis.** The gradient that step $T$'s loss sends back to step $t$ is a product of
# $T - t$ Jacobians:
#
# $$\frac{\partial h_T}{\partial h_t} = \prod_{k=t+1}^{T} \operatorname{diag}(1 - h_k^2)\, W_{hh}^\top ,
#   \qquad \Bigl\|\frac{\partial h_T}{\partial h_t}\Bigr\| \le \bigl(\sigma_{\max}(W_{hh})\bigr)^{T-t},$$
#
# since $|\tanh'| \le 1$. If the largest singular value $\sigma_{\max} < 1$ the gradient must
# shrink **geometrically** with distance: the model cannot learn that a token 50 steps back
# mattered. If it is much larger than 1, the gradient *can* grow geometrically (explode) until
# tanh saturates.
#
# **Experiment.** An RNN with $H = 64$, its $W_{hh}$ rescaled to several spectral norms;
# a loss on the last hidden state only; $\|\partial L/\partial h_t\|$ for every $t$
# (`hidden_gradient_norms`).

# %%
T_grad = 60 if QUICK else 100
x_seq = np.random.default_rng(1).normal(size=(16, T_grad, 8))
base = RNN(8, 64, random_state=0)
W0 = base.W_hh.data / np.linalg.norm(base.W_hh.data, 2)
fig, ax = plt.subplots(figsize=(7, 4))
for sigma in [0.5, 0.9, 1.0, 1.5, 3.0]:
    base.W_hh.data = sigma * W0
    norms = hidden_gradient_norms(base, x_seq)
    distance = T_grad - 1 - np.arange(T_grad)
    ax.semilogy(distance, norms / norms[-1], label=f"σ_max(W_hh) = {sigma}")
    print(f"σ_max = {sigma}: gradient at distance 10 / 50 relative to distance 0: "
          f"{norms[-11] / norms[-1]:.1e} / {norms[-51] / norms[-1]:.1e}")
ax.semilogy(distance, 0.5**distance, "k:", label="bound for σ_max = 0.5: 0.5^distance")
ax.set(xlabel="distance T − t (steps back from the loss)", ylabel="‖∂L/∂h_t‖ / ‖∂L/∂h_T‖",
       title="Gradient norm against time-step distance", ylim=(1e-35, 10))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **What happened.** With $\sigma_{\max} \le 1$ the curve is a straight line on the log scale:
# geometric decay, at least as fast as the bound (tanh' < 1 makes it faster still). Fifty steps
# back the gradient is around $10^{-30}$ of its size at the loss for $\sigma_{\max}=0.5$ and
# still around $10^{-16}$ at $\sigma_{\max}=1$: nothing useful arrives. Larger weights slow the
# decay, but they also drive the tanh units into saturation, where $1 - h^2 \approx 0$ cuts
# the gradient off again, so even $\sigma_{\max}=3$ loses about 10× every 40 steps here. A
# tanh RNN sits between forgetting (small weights) and saturated, chaotic dynamics (large
# weights), where the gradient can spike at the few steps where units leave saturation. Gated cells (LSTM, GRU) widen the edge with an *additive* memory path,
# $c_t = f \odot c_{t-1} + i \odot g$, but do not remove it.
#
# ## 3. Exploding gradients and clipping
#
# Rare but huge gradients (a steep cliff in the loss surface) throw the weights far away in one
# step and undo hours of training. **Gradient clipping** rescales the whole gradient when its
# global norm exceeds a threshold, keeping its *direction*:
#
# $$\|g\| = \sqrt{\textstyle\sum_{\text{all params}} \sum g^2},\qquad
#   g \leftarrow g \cdot \frac{\tau}{\|g\|}\ \text{ if } \|g\| > \tau .$$
#
# Clipping each array on its own (or each value) changes the direction; don't.
#
# ### Exercise 11.75.4 — Clip by global norm
#
# `grads` is a list of arrays. Return `(new_grads, norm)` with `norm` the global norm
# *before* clipping. Do not modify the input arrays.

# %%
def clip_by_global_norm(grads, max_norm):
    ### BEGIN SOLUTION
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm
    ### END SOLUTION


check("p11_75.clip_by_global_norm", clip_by_global_norm)

# %% [markdown]
# ## 4. A character-level language model on Shakespeare
#
# The model reads characters and predicts the next one at every position:
# `Embedding → RNN → Linear`, trained with softmax cross-entropy on every step. The text is
# far longer than we can backpropagate through, so training uses **truncated BPTT**: 16
# parallel streams read the corpus in chunks of 32 characters; the hidden state is carried from
# one chunk to the next (the model keeps its memory) but gradients stop at chunk boundaries
# (we never backpropagate more than 32 steps). Gradients are clipped at global norm 1.
#
# To generate, feed the model its own samples: turn the last logits into probabilities with a
# **temperature** $T$, $p = \operatorname{softmax}(z / T)$, sample a character, repeat.
# $T < 1$ sharpens the distribution (safer, more repetitive), $T > 1$ flattens it (more
# surprising, more misspelt); $T \to 0$ is greedy decoding.
#
# ### Exercise 11.75.5 — Softmax with temperature
#
# Return `softmax(logits / temperature)` over the last axis, computed stably.

# %%
def softmax_temperature(logits, temperature=1.0):
    ### BEGIN SOLUTION
    z = np.asarray(logits, dtype=float) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


check("p11_75.softmax_temperature", softmax_temperature)

# %% [markdown]
# Now train, printing samples as it learns (quick mode: a 200 000-character slice of the
# corpus and a few hundred steps, so expect "Shakespeare-shaped" text, not Shakespeare).

# %%
corpus = load_corpus()
text = corpus[: 200_000 if QUICK else 2_000_000]
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
ids = np.array([stoi[c] for c in text])
decode = lambda seq: "".join(chars[i] for i in seq)
print(f"corpus: {len(corpus):,} characters; training on {len(text):,}; vocabulary {len(chars)}")

n_steps = 300 if QUICK else 6000
char_model = CharRNN(len(chars), hidden_size=128, embed_dim=32, random_state=0)
t0 = time.perf_counter()
char_hist = train_char_rnn(char_model, ids, Adam(char_model.parameters(), lr=3e-3), n_steps=n_steps,
                           seq_len=32, batch_size=16, clip=1.0, sample_every=n_steps // 3,
                           sample_len=160, decode=decode, temperature=0.8)
print(f"\n{n_steps} steps in {time.perf_counter() - t0:.1f} s; "
      f"loss {np.mean(char_hist['loss'][:10]):.2f} → {np.mean(char_hist['loss'][-20:]):.2f} nats/char "
      f"(uniform guessing: ln {len(chars)} = {np.log(len(chars)):.2f})")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
plot_loss_curves({"char-RNN": char_hist["loss"]}, ax=axes[0], log=False,
                 title="Char-RNN training loss (nats per character)", xlabel="step")
axes[0].axhline(np.log(len(chars)), color="gray", ls=":", label="uniform guess")
axes[0].legend()
axes[1].semilogy(char_hist["grad_norm"], lw=0.8, label="global gradient norm (before clipping)")
axes[1].axhline(1.0, color="r", ls="--", label="clip threshold 1")
axes[1].set(xlabel="step", title="Gradient norm during training")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()
clipped = np.mean(np.array(char_hist["grad_norm"]) > 1.0)
print(f"steps whose gradient was clipped: {clipped:.1%}; largest norm {np.max(char_hist['grad_norm']):.2f}")

# %% [markdown]
# The loss falls from $\ln V$ (uniform guessing) as the model learns character frequencies,
# then common pairs, then words and the layout of a play (speaker names in capitals, line
# breaks). Clipping fired on the fraction of steps printed above: with a small learning rate
# and short chunks it is rare — insurance against the occasional spike that would otherwise
# throw the weights away, not a constant correction. Now sample at three temperatures:

# %%
prime = [stoi[c] for c in "ROMEO.\n"]
for temperature in (0.5, 1.0, 1.5):
    sample = decode(sample_text(char_model, prime, 150, temperature=temperature, random_state=1))
    print(f"--- temperature {temperature} ---\nROMEO.\n{sample}\n")

# %% [markdown]
# ## Experiment 2 — How far back can an RNN remember?
#
# **Hypothesis.** If gradients fade geometrically with distance, an RNN should learn a
# dependency across a few steps easily and fail beyond some distance, however long we train.
#
# **Experiment.** The *recall task* (`ml2llm.data.sequence_tasks.make_recall_task`): each
# sequence holds a `MARK` token, then the answer token, then `distance − 1` random distractors,
# then a `QUERY` token; the target is the answer (8 possible tokens, chance = 1/8). Everything
# but the distance is fixed: 32 hidden units, Adam, clipping at 1, the same number of epochs.
# Project 12.1 runs the same task, with the same settings, through attention.

# %%
V = 8
mark, query = recall_special_tokens(V)
X_demo, y_demo = make_recall_task(1, 6, vocab_size=V, random_state=0)
print("example sequence:", " ".join({mark: "MARK", query: "QUERY"}.get(int(t), str(int(t))) for t in X_demo[0]),
      "→ target", int(y_demo[0]))

distances = [2, 5, 10, 20, 30, 40] if QUICK else [2, 5, 10, 15, 20, 25, 30, 40, 50, 70]
n_train, n_test, epochs = (1000, 500, 8) if QUICK else (5000, 1000, 20)
seeds = [0, 1] if QUICK else [0, 1, 2]  # near the cliff success depends on the seed
runs = np.zeros((len(seeds), len(distances)))
for j, d in enumerate(distances):
    X_te, y_te = make_recall_task(n_test, d, vocab_size=V, random_state=1000)
    for i, seed in enumerate(seeds):
        X_tr, y_tr = make_recall_task(n_train, d, vocab_size=V, random_state=seed)
        clf = RNNClassifier(recall_vocab(V), V, hidden_size=32, embed_dim=8, random_state=seed)
        fit_sequence_classifier(clf, X_tr, y_tr, Adam(clf.parameters(), lr=1e-2), epochs=epochs,
                                batch_size=32, clip=1.0, random_state=seed)
        runs[i, j] = np.mean(clf.forward(X_te).argmax(axis=1) == y_te)
    print(f"distance {d:3d}: test accuracy {runs[:, j].mean():.2f}  (seeds: {np.round(runs[:, j], 2)})")
recall_acc = runs.mean(axis=0)
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(distances, recall_acc, "o-", label=f"vanilla RNN (H = 32), mean of {len(seeds)} seeds")
for row in runs:
    ax.plot(distances, row, ".", color="C0", alpha=0.4)
ax.axhline(1 / V, color="gray", ls=":", label="chance (1/8)")
ax.set(xlabel="distance between answer and query (steps)", ylabel="test accuracy", ylim=(0, 1.05),
       title="Long-range recall: accuracy against distance")
ax.legend()
plt.show()
assert recall_acc[0] > 0.9 and recall_acc[-1] < 0.5

# %% [markdown]
# **What happened.** Short distances are solved by every run. Around 10–20 steps success
# becomes a matter of luck: some seeds find a way to hold the token, others stay near chance
# (the pale dots), because the learning signal that would teach the network to keep it is
# already tiny. Beyond a few tens of steps, no run succeeds at this budget. The information is
# *available* — every input reaches the last hidden state — but the gradient that would teach
# the network to preserve it arrives shrunk by orders of magnitude (Experiment 1). Training
# longer does not help: full mode uses 5× the data and 20 epochs (12× the updates) and still
# fails beyond 10–15 steps.
#
# ## Experiment 3 — The cost of computing one step after another
#
# **Hypothesis.** An RNN's step $t$ needs $h_{t-1}$, so the $T$ steps run one after another:
# $T$ sequential matrix products, however many cores or GPU lanes you have. A layer that
# relates all positions at once (attention: $\operatorname{softmax}(QK^\top)V$) does more
# arithmetic ($T^2$) but in a handful of large matrix products that parallelise.
#
# **Experiment.** Time the forward pass of our RNN against a single-head attention written in
# three NumPy lines, same batch and width, as $T$ grows.

# %%
def attention_all_positions(x, Wq, Wk, Wv):
    q, k, v = x @ Wq, x @ Wk, x @ Wv  # all positions at once
    s = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


H_time = 64
lengths = [16, 32, 64, 128, 256] if QUICK else [16, 32, 64, 128, 256, 512, 1024]
rnn_t = RNN(H_time, H_time, random_state=0)
Wq, Wk, Wv = (np.random.default_rng(i).normal(size=(H_time, H_time)) / 8 for i in range(3))
times = {"RNN (T sequential steps)": [], "attention (one parallel pass)": []}
for T in lengths:
    xb = np.random.default_rng(0).normal(size=(8, T, H_time))
    for name, fn in [("RNN (T sequential steps)", lambda xb=xb: rnn_t.forward(xb)),
                     ("attention (one parallel pass)",
                      lambda xb=xb: attention_all_positions(xb, Wq, Wk, Wv))]:
        reps = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            reps.append(time.perf_counter() - t0)
        times[name].append(min(reps))
    print(f"T = {T:5d}: RNN {times['RNN (T sequential steps)'][-1] * 1e3:7.2f} ms "
          f"({T} dependent steps), attention {times['attention (one parallel pass)'][-1] * 1e3:7.2f} ms "
          f"(1 step, {T * T:,} scores)")
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for name, ts in times.items():
    axes[0].loglog(lengths, np.array(ts) * 1e3, "o-", label=name)
axes[0].set(xlabel="sequence length T", ylabel="forward time (ms)",
            title="Wall time on one CPU thread (batch 8, width 64)")
axes[0].legend(fontsize=8)
axes[1].loglog(lengths, lengths, "o-", label="RNN: T dependent matrix products")
axes[1].loglog(lengths, [6] * len(lengths), "o-", label="attention: ~6, whatever T")
axes[1].set(xlabel="sequence length T", ylabel="operations that must run one after another",
            title="Length of the dependency chain")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** On one CPU thread, where nothing runs in parallel anyway, wall time just
# counts arithmetic: the RNN's grows linearly with $T$ and attention's quadratically, so for
# long sequences attention is *slower* here. That is not the RNN's problem. Its problem is the
# right-hand plot: its $T$ steps form a chain where each waits for the previous one, so on a GPU
# with thousands of lanes an RNN layer still takes $T$ serial steps, and training on long
# documents is slow whatever the hardware. Attention's $T^2$ scores come from a few large matrix
# products with a dependency chain that does not grow with $T$ — exactly what accelerators are
# built for. (Its quadratic memory and compute are the price, and the reason for the
# long-context tricks of later projects.)
#
# ## Why transformers
#
# Two measurements, two problems:
#
# 1. **Long-range failure.** Information from $d$ steps back reaches the loss through $d$
#    multiplications by $W_{hh}^\top \operatorname{diag}(1-h^2)$; the gradient vanishes
#    geometrically (Experiment 1) and recall collapses beyond a few tens of steps
#    (Experiment 2). Attention connects every pair of positions directly: the path from the
#    answer to the query has length 1 whatever the distance.
# 2. **Sequential compute.** $h_t$ needs $h_{t-1}$: $T$ dependent steps per layer
#    (Experiment 3). Attention computes all positions at once, so training parallelises across
#    the sequence, which is what made pretraining on billions of tokens feasible.
#
# The price of attention is $O(T^2)$ memory and compute in the sequence length, and no built-in
# notion of order (positional encodings bring it back). Project 12.1 builds it and reruns the
# recall task above.
#
# ## What you learned
#
# - An RNN is a deep network unrolled through time with **shared weights**; its gradient is a
#   sum over time steps, and the hidden-state gradient must be **accumulated** from the future
#   ($\bar h_t = \bar h_t^{\text{out}} + \bar a_{t+1} W_{hh}^\top$). Your BPTT passes a gradient
#   check and equals `torch.nn.RNN` to ~1e-15.
# - **Vanishing gradients**: $\|\partial h_T / \partial h_t\| \le \sigma_{\max}(W_{hh})^{T-t}$;
#   you saw the geometric decay and its consequence, recall failing with distance.
# - **Exploding gradients** are handled by **gradient clipping** by the global norm (direction
#   kept), and **truncated BPTT** bounds the cost of training on long text.
# - A char-RNN learns spelling, line breaks and speaker names from raw characters in minutes;
#   **temperature** trades safety for variety when sampling.
# - The sequential dependency costs $T$ serial steps per layer; attention trades it for
#   $O(T^2)$ parallel work — the case for transformers.
#
# Glossary: [recurrent neural network](../../../docs/GLOSSARY.md#recurrent-neural-network),
# [backpropagation through time](../../../docs/GLOSSARY.md#backpropagation-through-time),
# [vanishing gradients](../../../docs/GLOSSARY.md#vanishing-gradients),
# [exploding gradients](../../../docs/GLOSSARY.md#exploding-gradients),
# [gradient clipping](../../../docs/GLOSSARY.md#gradient-clipping),
# [temperature](../../../docs/GLOSSARY.md#temperature),
# [LSTM](../../../docs/GLOSSARY.md#lstm),
# [attention](../../../docs/GLOSSARY.md#attention).
