# %% [markdown]
# # Project 12 — GPT from parts
#
# Project 12.1 built attention on its own. Here it goes inside a full language model. We
# build GPT-2 from small PyTorch modules: token and position **embeddings**, causal
# self-attention, an MLP, **LayerNorm**, **residual connections** and a tied output layer.
# Then we load the weights of a Hugging Face `GPT2LMHeadModel` into it. The logits match to
# $10^{-5}$ and greedy generations are identical, which shows that every part does exactly
# what GPT-2 does.
#
# **You will:**
# 1. follow every tensor shape from token ids to logits;
# 2. write the parts that go wrong most often: splitting into heads, the causal mask, the
#    pre-norm residual block, the next-token loss, top-k sampling, and the parameter-count
#    formula;
# 3. train a small GPT on Shakespeare and look at what its attention heads learned;
# 4. prove the model equals `transformers.GPT2LMHeadModel` when both have the same weights.
#
# **Prerequisites:** Project 12.1 (attention), PyTorch basics (`nn.Module`, autograd).
# **Time:** about 10 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace that line with your code and run the cell. The `check(...)` call under it runs
# your function on several inputs and compares the result with the reference. It prints
# `✓`, or the first input where your output differs, together with a hint.
# `ml2llm check 12` runs the whole notebook from a terminal.
#
# Terms in **bold** link to the [glossary](../../../docs/GLOSSARY.md).

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import math
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything below is built from configs, offline

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from ml2llm import check, is_quick
from ml2llm.quickmode import pick
from ml2llm.data.shakespeare import load_corpus
from ml2llm.transformers import GPT, GPTConfig
from ml2llm.transformers import functional as ref  # reference parts: experiments run even before you solve the exercises
from ml2llm.transformers.hf import gpt_from_hf, gpt_to_hf
from utils.device import ensure_seed

ensure_seed(0)
torch.set_num_threads(1)  # small models: one thread is fastest and reproducible
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. From text to tensors
#
# A language model reads integer **token** ids. We use the simplest tokenizer: one id per
# character. Project 13 replaces it with byte-level BPE. A training batch `idx` has shape
# `(B, T)`: `B` sequences of `T` consecutive characters. The target for position $t$ is the
# character at position $t+1$.

# %%
text = load_corpus()
text = text[: pick(2_000_000, 300_000)]
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}
encode = lambda s: [stoi[c] for c in s]
decode = lambda ids: "".join(itos[int(i)] for i in ids)
data = torch.tensor(encode(text), dtype=torch.long)
n_val = len(data) // 10
train_data, val_data = data[:-n_val], data[-n_val:]
V = len(chars)
print(f"{len(text):,} characters, vocabulary of {V}: {''.join(chars[:40])!r}…")


def get_batch(split, B, T, generator=None):
    src = train_data if split == "train" else val_data
    start = torch.randint(0, len(src) - T - 1, (B,), generator=generator)
    x = torch.stack([src[s : s + T] for s in start])
    y = torch.stack([src[s + 1 : s + T + 1] for s in start])
    return x, y


xb, yb = get_batch("train", B=2, T=8, generator=torch.Generator().manual_seed(0))
print("idx    :", tuple(xb.shape), repr(decode(xb[0])))
print("targets:", tuple(yb.shape), repr(decode(yb[0])), "(shifted by one)")

# %% [markdown]
# ### Embeddings: who and where
#
# The **token embedding** $W_{te} \in \mathbb R^{V\times C}$ is a lookup table: row $i$ is the
# learned vector of token $i$. Attention by itself does not know the order of its inputs, so
# GPT-2 adds a second table $W_{pe} \in \mathbb R^{T_{\max}\times C}$ with one learned vector
# per position:
#
# $$x_t = W_{te}[\text{idx}_t] + W_{pe}[t] \in \mathbb R^{C}, \qquad x \in \mathbb R^{B\times T\times C}.$$
#
# $T_{\max}$ is the **context length** (`block_size`). The model has no vector for position
# `block_size`, so a longer input is an error, not a silent truncation.

# %%
cfg = GPTConfig(vocab_size=V, block_size=64, n_layer=2, n_head=4, n_embd=64)
model = GPT(cfg)
wte, wpe = model.transformer.wte, model.transformer.wpe
print("wte.weight:", tuple(wte.weight.shape), " wpe.weight:", tuple(wpe.weight.shape))
x = wte(xb) + wpe(torch.arange(xb.shape[1]))
print("x = wte(idx) + wpe(pos):", tuple(x.shape), "= (B, T, C)")
try:
    model(torch.zeros(1, cfg.block_size + 1, dtype=torch.long))
except ValueError as err:
    print("too long →", err)

# %% [markdown]
# ## 2. Causal self-attention, shape by shape
#
# One Linear layer `c_attn` maps each position's vector to a query, a key and a value at the
# same time: `(B, T, C) → (B, T, 3C)`, then split into three `(B, T, C)` tensors. With
# $H$ heads, each head works in its own $d = C/H$-dimensional subspace. Head $h$ owns features
# $hd \dots hd + d - 1$. We rearrange the tensor so the heads form a batch dimension:
#
# $$(B, T, C) \xrightarrow{\text{view}} (B, T, H, d) \xrightarrow{\text{transpose}(1,2)} (B, H, T, d).$$
#
# ### Exercise 12.1 — Split into heads
#
# Return `x` of shape `(B, T, C)` rearranged to `(B, n_head, T, C // n_head)`.
#
# <details><summary>Hint</summary>
#
# `x.view(B, T, n_head, C // n_head).transpose(1, 2)`. Why not `x.view(B, n_head, T, d)`
# directly? Try it on `torch.arange(12.).view(1, 2, 6)` and see which numbers end up in head 0.
# </details>

# %%
def split_heads(x, n_head):
    ### BEGIN SOLUTION
    B, T, C = x.shape
    return x.view(B, T, n_head, C // n_head).transpose(1, 2)
    ### END SOLUTION


check("p12.split_heads", split_heads)

# %% [markdown]
# Each head then does scaled dot-product **attention** under a **causal mask**. Position $t$
# may look at positions $0 \dots t$ and never at later ones, because at generation time those
# tokens do not exist yet:
#
# $$\mathrm{Attn}(Q,K,V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt d} + M\right)V,
#   \qquad M_{ts} = \begin{cases}0 & s \le t\\ -\infty & s > t\end{cases}$$
#
# Dividing by $\sqrt d$ keeps the score variance near 1 whatever the head size. Without it the
# softmax saturates and the gradients vanish.
#
# ### Exercise 12.2 — Causal attention
#
# `q`, `k`, `v` have shape `(B, H, T, d)`. Return the attention output, shape `(B, H, T, d)`.
# Write it out by hand, without `F.scaled_dot_product_attention`.

# %%
def causal_attention(q, k, v):
    ### BEGIN SOLUTION
    T, d = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
    ### END SOLUTION


check("p12.causal_attention", causal_attention)

# %% [markdown]
# Here is the library's attention layer followed step by step. The outputs of the heads are
# placed side by side again, `(B, H, T, d) → (B, T, C)`, and the projection `c_proj` mixes
# them. The fused kernel (`F.scaled_dot_product_attention`, the "sdpa" path, which uses flash
# attention where it is available) and the manual formula give the same result.

# %%
attn = model.transformer.h[0].attn
with torch.no_grad():
    h = model.transformer.h[0].ln_1(x)
    qkv = attn.c_attn(h)
    q, k, v = qkv.split(cfg.n_embd, dim=2)
    qh, kh, vh = (ref.split_heads(t, cfg.n_head) for t in (q, k, v))
    y_manual = ref.causal_attention(qh, kh, vh)
    y_sdpa = F.scaled_dot_product_attention(qh, kh, vh, is_causal=True)
    merged = y_manual.transpose(1, 2).reshape(x.shape)
    out = attn.c_proj(merged)
for name, t in [("ln_1(x)", h), ("c_attn(·)", qkv), ("q, k, v", q), ("heads", qh),
                ("attention out", y_manual), ("merged", merged), ("c_proj(·)", out)]:
    print(f"{name:14s} {tuple(t.shape)}")
print("library layer equals the step-by-step version:",
      torch.allclose(attn(h), out, atol=1e-6), "| sdpa vs manual max diff:",
      f"{(y_sdpa - y_manual).abs().max():.1e}")

# %% [markdown]
# ## 3. The block: pre-norm and residuals
#
# A transformer block has two sub-layers, attention and an MLP
# ($C \to 4C \to C$ with a GELU in between). Each one is wrapped the same way:
#
# $$x \leftarrow x + \mathrm{Attn}(\mathrm{LN}_1(x)), \qquad x \leftarrow x + \mathrm{MLP}(\mathrm{LN}_2(x)).$$
#
# The **residual connection** $x + f(x)$ keeps a direct path for the gradient through every
# layer, so a stack of 12 or 96 blocks still trains. **LayerNorm** normalises each position's
# vector to zero mean and unit variance, then applies a learned scale and shift. GPT-2
# normalises *before* each sub-layer (**pre-norm**). The original transformer normalised after
# the addition (post-norm). Pre-norm leaves the residual path untouched, which is why deep
# pre-norm stacks train without a learning-rate warm-up hack. GPT-2 also adds one final
# LayerNorm `ln_f` before the output layer.
#
# ### Exercise 12.3 — A pre-norm block
#
# Given the four sub-modules (any callables), return the block's output.

# %%
def block_forward(x, ln_1, attn, ln_2, mlp):
    ### BEGIN SOLUTION
    x = x + attn(ln_1(x))
    x = x + mlp(ln_2(x))
    return x
    ### END SOLUTION


check("p12.block_forward", block_forward)

# %%
blk = model.transformer.h[0]
with torch.no_grad():
    ours = ref.block_forward(x, blk.ln_1, blk.attn, blk.ln_2, blk.mlp)
    print("block_forward == library Block:", torch.allclose(ours, blk(x), atol=1e-6))
print(blk)

# %% [markdown]
# ## 4. The whole model and its parameter count
#
# The model is: embeddings → $L$ blocks → `ln_f` → `lm_head`, a Linear layer $C \to V$ whose
# output is one **logit** per vocabulary entry. With **weight tying**, `lm_head` reuses the
# token-embedding matrix. The same $V\times C$ table maps ids to vectors on the way in and
# vectors to scores on the way out, which saves $VC$ parameters.
#
# Counting parameters by hand is the best test that you know the architecture. Per block:
# two LayerNorms ($2C$ each: a weight and a bias), attention ($C\cdot 3C + 3C$ for `c_attn`
# and $C^2 + C$ for `c_proj`), MLP ($C\cdot 4C + 4C$ and $4C\cdot C + C$). That is
# $12C^2 + 13C$ per block. In total:
#
# $$N = VC + T_{\max}C + L\,(12C^2 + 13C) + 2C.$$
#
# ### Exercise 12.4 — The parameter-count formula
#
# Return the number of parameters of a GPT-2 model (with biases, tied output layer).

# %%
def num_params(vocab_size, block_size, n_layer, n_embd):
    ### BEGIN SOLUTION
    V, T, L, C = vocab_size, block_size, n_layer, n_embd
    return V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
    ### END SOLUTION


check("p12.num_params", num_params)

# %%
for c in [cfg, GPTConfig(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768)]:
    m = model if c is cfg else None
    formula = ref.gpt_num_params(c.vocab_size, c.block_size, c.n_layer, c.n_embd)
    if m is None:  # GPT-2 small: build it on the meta device, no memory needed
        with torch.device("meta"):
            m = GPT(c)
    print(f"V={c.vocab_size:>5}, L={c.n_layer:>2}, C={c.n_embd:>3}: formula {formula:>11,}"
          f"  model.num_params() {m.num_params():>11,}")
    assert formula == m.num_params()

# %% [markdown]
# GPT-2 small comes out at 124,439,808 parameters, the "124M" of the model card. Where are
# they? Embeddings dominate tiny models, and the $12C^2$ block weights dominate large ones:

# %%
widths = np.array([32, 64, 128, 256, 512, 768, 1024, 1600])
emb = (50257 + 1024) * widths
blocks = 12 * (12 * widths**2 + 13 * widths)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.stackplot(widths, emb / 1e6, blocks / 1e6, labels=["embeddings (V·C + T·C)", "12 blocks (12C² + 13C each)"])
ax.set(xlabel="n_embd (C)", ylabel="parameters (millions)", title="Where GPT-2's parameters live (V=50257, L=12)")
ax.legend(loc="upper left"); plt.tight_layout(); plt.show()

# %% [markdown]
# ## 5. The training objective: next-token prediction
#
# The logits have shape `(B, T, V)`. Position $t$ has seen tokens $0\dots t$ and predicts
# token $t+1$. The loss is the mean **cross-entropy** over all positions that have a next
# token:
#
# $$\mathcal L = -\frac{1}{B(T-1)} \sum_{b}\sum_{t=0}^{T-2} \log \mathrm{softmax}(\text{logits}_{b,t})[\text{idx}_{b,t+1}].$$
#
# In training we pass `targets` (the batch shifted by one) to `model(idx, targets)`. Here you
# write the shift yourself, given one sequence and its logits.
#
# ### Exercise 12.5 — Next-token loss
#
# `logits` has shape `(B, T, V)` and `idx` has shape `(B, T)`. Return the scalar loss.

# %%
def next_token_loss(logits, idx):
    ### BEGIN SOLUTION
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), idx[:, 1:].reshape(-1))
    ### END SOLUTION


check("p12.next_token_loss", next_token_loss)

# %% [markdown]
# A freshly initialised model should be maximally unsure. Its loss should then be close to
# $\ln V$, the cross-entropy of the uniform distribution. If it is much larger, the
# initialisation is broken.

# %%
with torch.no_grad():
    logits, loss = model(xb, yb)
    mine = ref.next_token_loss(logits, xb)  # shifts inside: scores positions 0 … T-2
    lib = model(xb[:, :-1], targets=xb[:, 1:])[1]  # the library takes the shifted targets
print(f"initial loss {loss.item():.3f} vs ln V = {math.log(V):.3f}")
print(f"next_token_loss {mine.item():.4f} == model(idx[:, :-1], idx[:, 1:]) {lib.item():.4f}")
assert abs(mine.item() - lib.item()) < 1e-5

# %% [markdown]
# ## 6. Sampling
#
# Generation repeats three steps: run the model, take the logits of the last position, and
# draw the next token from $\mathrm{softmax}(\text{logits}/\tau)$. The **temperature** $\tau$
# sharpens ($\tau<1$) or flattens ($\tau>1$) the distribution, and $\tau \to 0$ becomes greedy
# argmax. **Top-k** sampling removes everything except the $k$ most likely tokens before the
# softmax, so that a rare token from the long tail cannot derail the text.
#
# ### Exercise 12.6 — Top-k filtering
#
# Return a copy of `logits` (shape `(…, V)`) in which everything except the `k` largest values
# of each row is set to `-inf`.

# %%
def top_k_logits(logits, k):
    ### BEGIN SOLUTION
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))
    ### END SOLUTION


check("p12.top_k_logits", top_k_logits)

# %% [markdown]
# ## Experiment 1 — Training a small GPT on Shakespeare
#
# **Hypothesis.** The loss starts at $\ln V \approx 4.2$. A model that only learns character
# frequencies (a unigram model) reaches the unigram entropy, about 3.3 nats. Our model sees up
# to 64 characters of context, so it should go well below that. Train and validation loss
# should stay close together, because the model is small compared with the data.
#
# The training loop is the one from Project 11.5: AdamW, a batch, a loss, `backward`, a step.

# %%
ensure_seed(0)
cfg = GPTConfig(vocab_size=V, block_size=64, n_layer=2, n_head=4, n_embd=pick(128, 64))
model = GPT(cfg)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
n_steps, B = pick(2000, 150), pick(32, 16)
g = torch.Generator().manual_seed(0)
hist = {"train": [], "val": []}
eval_every = max(n_steps // 10, 1)
t0 = time.perf_counter()
for step in range(n_steps + 1):
    if step % eval_every == 0:
        model.eval()
        with torch.no_grad():
            for split in ("train", "val"):
                xs, ys = get_batch(split, 64, cfg.block_size, torch.Generator().manual_seed(step))
                hist[split].append((step, model(xs, ys)[1].item()))
        model.train()
    if step == n_steps:
        break
    xs, ys = get_batch("train", B, cfg.block_size, g)
    _, loss = model(xs, ys)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
print(f"{n_steps} steps in {time.perf_counter() - t0:.1f}s; {model.num_params():,} parameters")

counts = torch.bincount(train_data, minlength=V).float()
p = counts / counts.sum()
unigram = -(p[p > 0] * p[p > 0].log()).sum().item()
fig, ax = plt.subplots(figsize=(6, 3.5))
for split, pts in hist.items():
    ax.plot(*zip(*pts), "o-", ms=3, label=split)
ax.axhline(math.log(V), color="gray", ls=":", label="ln V (uniform)")
ax.axhline(unigram, color="k", ls="--", label="unigram entropy")
ax.set(xlabel="step", ylabel="cross-entropy (nats)", title="A 2-layer GPT learns Shakespeare")
ax.legend(); plt.tight_layout(); plt.show()
final_val = hist["val"][-1][1]
print(f"final val loss {final_val:.3f} (unigram entropy {unigram:.3f})")
assert final_val < unigram, "the model should beat a context-free unigram model"

# %%
prompt = torch.tensor([encode("ROMEO:\n")])
sample = model.generate(prompt, pick(300, 120), temperature=0.8, top_k=10,
                        generator=torch.Generator().manual_seed(0))
print(decode(sample[0]))

# %% [markdown]
# **What happened.** The loss started at $\ln V$, as the initialisation check predicted, and
# fell below the unigram entropy well before the end of training (the assert checks it). From
# that point on the model is using context. Train and validation curves stay together: no overfitting at this scale. In
# quick mode the sample is mostly letter soup with plausible spacing. After the full run,
# words, line breaks and speaker names appear. Project 14 trains a bigger model properly.
#
# ## Experiment 2 — What do the attention heads look at?
#
# **Hypothesis.** Because of the causal mask, every map is lower-triangular. After training,
# some heads should specialise. A "previous-token" head puts its weight on position $t-1$,
# which is useful for spelling. Other heads spread their weight over the whole line.
# `forward(..., return_attn=True)` returns the probabilities of every layer and head (it
# always uses the manual path, because the fused kernel never materialises them).

# %%
line = "ROMEO:\nBut soft, what light through yonder window breaks?"
ids = torch.tensor([encode(line)])
model.eval()
with torch.no_grad():
    _, _, maps = model(ids, return_attn=True)
fig, axes = plt.subplots(cfg.n_layer, cfg.n_head, figsize=(3 * cfg.n_head, 3 * cfg.n_layer))
for layer in range(cfg.n_layer):
    for head in range(cfg.n_head):
        a = maps[layer][0, head]
        ax = axes[layer, head]
        ax.imshow(a, cmap="viridis")
        prev = a.diagonal(offset=-1).mean().item()
        ax.set_title(f"L{layer} H{head}  mean p(t−1)={prev:.2f}", fontsize=8)
        ax.set_xticks([]); ax.set_yticks([])
fig.suptitle("Attention maps (rows: query position, columns: key position)")
plt.tight_layout(); plt.show()
for a in maps:
    assert torch.all(a[0].triu(1) == 0), "causal: no weight above the diagonal"
    torch.testing.assert_close(a[0].sum(-1), torch.ones_like(a[0].sum(-1)))

# %% [markdown]
# **What happened.** All maps are lower-triangular, and every row sums to one (both are
# asserted). The titles show how much weight each head puts on the previous character. A head
# whose value is far above the uniform share $1/t$ (a few percent on this line) is a
# previous-token head: look for a bright band just below the diagonal. Quick mode trains only
# 150 steps, so specialisation is faint. Rerun with `ML2LLM_QUICK=0` and compare. Project 15
# compares these maps between a random model and a pretrained one.
#
# ## Comparison with Hugging Face GPT-2
#
# `transformers.GPT2LMHeadModel` is the reference. We build a randomly initialised one from a
# config (offline: nothing is downloaded), copy its weights into our model with `gpt_from_hf`,
# and compare. HF stores the four projection matrices as `Conv1D` with shape `(in, out)`, so
# the converter transposes them. We also perturb HF's LayerNorm weights, which start as
# ones/zeros, so a swapped or missing LayerNorm would show up.

# %%
from transformers import GPT2Config, GPT2LMHeadModel

torch.manual_seed(0)
hf = GPT2LMHeadModel(GPT2Config(vocab_size=V, n_positions=64, n_embd=64, n_layer=3, n_head=4,
                                resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                                bos_token_id=None, eos_token_id=None, attn_implementation="eager")).eval()
with torch.no_grad():
    for name, prm in hf.named_parameters():
        if ".ln_" in name:
            prm.add_(0.1 * torch.randn_like(prm))
ours = gpt_from_hf(hf).eval()
ids = torch.tensor([encode(line[:40]), encode(line[10:50])])
with torch.no_grad():
    diff = (ours(ids)[0] - hf(ids).logits).abs().max().item()
prompt = ids[:, :8]
greedy_ours = ours.generate(prompt, 30, temperature=0)
greedy_hf = hf.generate(prompt, max_new_tokens=30, do_sample=False, attention_mask=torch.ones_like(prompt))
print(f"max |logits ours − logits HF| = {diff:.1e}")
print("greedy generations identical:", torch.equal(greedy_ours, greedy_hf))
# float32 with the same operations in the same order: ~1e-7; we allow 1e-5 (float32 rounding)
assert diff <= 1e-5
assert torch.equal(greedy_ours, greedy_hf)

# %% [markdown]
# ### Exercise 12.7 — Assemble the whole forward pass
#
# Now build `GPT.forward` yourself from your own parts, as one function. Given one of the
# library's `GPT` models (only for its weights: `model.transformer.wte`, `.wpe`, each block's
# `ln_1`, `attn.c_attn`, `attn.c_proj`, `ln_2`, `mlp`, then `ln_f` and `model.lm_head`) and
# ids `idx` of shape `(B, T)`, return the logits `(B, T, V)`:
#
# 1. token embeddings plus position embeddings of `0 … T−1`;
# 2. for each block: attention as in Section 2 (`c_attn`, your `split_heads`, your
#    `causal_attention`, merge the heads, `c_proj`), composed with your `block_forward`;
# 3. the final LayerNorm `ln_f`, then `lm_head`.
#
# Do not call the block's or the model's own `forward`. The check copies random weights into
# Hugging Face's `GPT2LMHeadModel` and compares your logits with its logits.

# %%
def gpt_forward(model, idx):
    ### BEGIN SOLUTION
    tr = model.transformer
    T = idx.shape[1]
    x = tr.wte(idx) + tr.wpe(torch.arange(T, device=idx.device))
    for blk in tr.h:

        def attn(h, a=blk.attn):
            q, k, v = a.c_attn(h).split(h.shape[-1], dim=2)
            q, k, v = (split_heads(t, a.n_head) for t in (q, k, v))
            y = causal_attention(q, k, v)
            return a.c_proj(y.transpose(1, 2).reshape(h.shape))

        x = block_forward(x, blk.ln_1, attn, blk.ln_2, blk.mlp)
    return model.lm_head(tr.ln_f(x))
    ### END SOLUTION


check("p12.gpt_forward", gpt_forward)

# %%
with torch.no_grad():
    mine = gpt_forward(ours, ids)
print(f"your forward vs GPT2LMHeadModel: max |Δ logits| = {(mine - hf(ids).logits).abs().max():.1e}")

# %% [markdown]
# The other direction works too. `gpt_to_hf` turns the Shakespeare model we trained into a
# `GPT2LMHeadModel`, so all of the Hugging Face ecosystem (generation utilities, PEFT,
# exporters) can use it. Project 12.5 writes such models to disk with `export_hf`.

# %%
hf_trained = gpt_to_hf(model)
with torch.no_grad():
    d2 = (hf_trained(ids).logits - model(ids)[0]).abs().max().item()
print(f"our trained model → GPT2LMHeadModel: max logit difference {d2:.1e}")
assert d2 <= 1e-5

# %% [markdown]
# ## What you learned
#
# - A GPT is **embeddings** (token + position) → $L$ × [pre-norm attention + pre-norm MLP,
#   each with a **residual connection**] → final LayerNorm → a tied output layer. You followed
#   every shape from `(B, T)` ids to `(B, T, V)` logits.
# - **Multi-head attention** is a reshape: `(B, T, C) → (B, H, T, C/H)`. The **causal mask**
#   is a lower-triangular matrix, and getting its diagonal wrong either leaks the future or
#   hides the present.
# - The parameter count $VC + T_{\max}C + L(12C^2+13C) + 2C$ gives GPT-2 small's 124M
#   exactly. **Weight tying** saves $VC$.
# - Training minimises the next-token **cross-entropy**. It starts at $\ln V$ and must fall
#   below the unigram entropy for the model to be using its context.
# - Your model equals `GPT2LMHeadModel` to $10^{-7}$ with the same weights, and converts both
#   ways.
#
# **Next:** Project 12.5 replaces GPT-2's parts with the ones Llama and Mistral use (RoPE,
# RMSNorm, SwiGLU, grouped-query attention) and adds a KV cache. Glossary:
# [embedding](../../../docs/GLOSSARY.md#embedding),
# [attention](../../../docs/GLOSSARY.md#attention),
# [causal mask](../../../docs/GLOSSARY.md#causal-mask),
# [layer normalization](../../../docs/GLOSSARY.md#layer-normalization),
# [residual connection](../../../docs/GLOSSARY.md#residual-connection),
# [weight tying](../../../docs/GLOSSARY.md#weight-tying),
# [logits](../../../docs/GLOSSARY.md#logits),
# [cross-entropy](../../../docs/GLOSSARY.md#cross-entropy),
# [temperature](../../../docs/GLOSSARY.md#temperature),
# [top-k sampling](../../../docs/GLOSSARY.md#top-k-sampling),
# [context length](../../../docs/GLOSSARY.md#context-length),
# [token](../../../docs/GLOSSARY.md#token).
