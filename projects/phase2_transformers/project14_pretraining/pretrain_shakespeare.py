# %% [markdown]
# # Project 14 — Pretrain a tiny transformer on Shakespeare
#
# Everything so far was parts: attention (12.1), a GPT (12), modern blocks (12.5), tokenizers
# (13), optimisers and schedules (13.5). Here the parts become a **language model**: a GPT
# that starts knowing nothing, reads Shakespeare one window at a time, and learns to predict
# the next character. After a few minutes on a laptop CPU it writes plausible (if nonsensical)
# verse. This is **pretraining**, the same recipe as GPT-2 and Llama, shrunk 100 000 times.
#
# **You will:**
# 1. cut the corpus into a training and a validation split and draw training batches;
# 2. see why the loss of an untrained model is $\ln V$, and estimate how well a run uses the
#    hardware (**MFU**);
# 3. pretrain a model in this notebook with the project's trainer and its modern CPU recipe and read samples taken at
#    several points during training;
# 4. write the two sampling filters every LLM API exposes (top-k and top-p) and measure what
#    temperature does;
# 5. learn to run the full configuration from the command line (`ml2llm pretrain`), resume it,
#    sample from it and export it for fine-tuning in Phase 3.
#
# **Prerequisites:** Projects 12, 12.5, 13 and 13.5. **Time:** about 12 hours (most of it
# waiting for, and reading, training runs).
#
# Each exercise is a function with a `raise NotImplementedError`; the `check(...)` line under it
# compares yours with the reference on several inputs and prints ✓ or the first difference with
# a hint. Terms link to the [glossary](../../../docs/GLOSSARY.md).

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import math
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from ml2llm import check, is_quick
from ml2llm.quickmode import pick
from ml2llm.data.shakespeare import load_corpus
from ml2llm.nlp import CharTokenizer
from ml2llm.training import sampling
from ml2llm.training.config import load_config
from ml2llm.training.data import make_batch
from ml2llm.training.data import train_val_split as library_split
from ml2llm.training.models import build_model, count_params, model_flops_utilization
from ml2llm.training.trainer import Trainer
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: a smaller model and fewer steps, same code path
RUNS = Path(tempfile.mkdtemp(prefix="ml2llm_p14_"))  # run folders of this notebook
print("quick mode:", QUICK, "| runs in", RUNS)

# %% [markdown]
# ## 1. The data: one long string
#
# A language model assigns a probability to a text by the chain rule,
#
# $$p(x_1, \dots, x_n) = \prod_{t=1}^{n} p(x_t \mid x_{<t}),$$
#
# so learning $p$ means learning to predict each next **token** from the ones before it. The
# training set is not a set of (input, label) pairs: it is one long sequence of token ids, and
# every position of it is a training example. We use characters as tokens (Project 13's
# `CharTokenizer`), so the vocabulary is small ($V \approx 65$–$90$) and samples are easy to read.

# %%
corpus = load_corpus()  # the offline Shakespeare corpus (42 plays and poems)
text = corpus[: pick(3_000_000, 400_000)]
tok = CharTokenizer.train(text)
ids = np.array(tok.encode(text), dtype=np.int64)
print(f"{len(text):,} characters, vocabulary of {tok.vocab_size}: {''.join(tok.chars)[:70]!r}")
print(text[10_000:10_300])

# %% [markdown]
# ### Exercise 14.1 — A train/validation split
#
# Return `(train, val)`: the first $n_{\text{train}} = \lfloor n\,(1 - \text{val\_fraction})\rfloor$
# ids and the rest. **Do not shuffle.** Training windows overlap, so with a random split almost
# every validation character would also sit inside some training window, and the validation
# loss would measure memorisation instead of generalisation.

# %%
def train_val_split(ids, val_fraction):
    ### BEGIN SOLUTION
    n_train = int(len(ids) * (1 - val_fraction))
    return ids[:n_train], ids[n_train:]
    ### END SOLUTION


check("p14.train_val_split", train_val_split)

# %% [markdown]
# ### Exercise 14.2 — A batch of windows
#
# A batch is `B` windows of `block_size` tokens starting at random offsets. For each offset
# $o$ the input is $x = (d_o, \dots, d_{o+T-1})$ and the target is the same window shifted by
# one, $y = (d_{o+1}, \dots, d_{o+T})$: position $t$ of $x$ must predict position $t$ of $y$.
# One window therefore holds $T$ training examples (contexts of length $1, 2, \dots, T$), which
# is why a causal mask (Project 12) matters: position $t$ must not see $y_t = x_{t+1}$.
#
# Return `(x, y)`, two int64 arrays of shape `(len(offsets), block_size)`.

# %%
def get_batch(data, offsets, block_size):
    ### BEGIN SOLUTION
    idx = np.asarray(offsets)[:, None] + np.arange(block_size + 1)
    chunk = np.asarray(data)[idx].astype(np.int64)
    return chunk[:, :-1], chunk[:, 1:]
    ### END SOLUTION


check("p14.get_batch", get_batch)

# %%
train_ids, val_ids = library_split(ids, 0.1)  # the library's version (yours passed its check)
x, y = make_batch(train_ids, np.array([1000, 52_000]), 24)
for row_x, row_y in zip(x, y):
    print(repr(tok.decode(row_x)), "→", repr(tok.decode(row_y)))

# %% [markdown]
# ## 2. Where the loss starts, and what "fast" means
#
# The model outputs logits $z \in \mathbb R^V$ at every position and is trained with the
# [cross-entropy](../../../docs/GLOSSARY.md#cross-entropy) $-\log \operatorname{softmax}(z)_{y}$,
# averaged over positions. A freshly initialised GPT has tiny weights (std 0.02), so its logits
# are almost equal and its prediction is almost uniform: the loss at step 0 should be
#
# $$L_0 \approx -\log \tfrac1V = \ln V .$$
#
# A loss far above $\ln V$ at initialisation means a bug (or a bad init, see Project 13.5).
# The *perplexity* $e^{L}$ reads as "the model hesitates between this many tokens":
# $e^{\ln V} = V$ at the start.

# %%
torch.manual_seed(0)
cfg0 = load_config(root / "configs" / "shakespeare_char_baby.yaml", overrides={"device": "cpu"})
model0 = build_model(cfg0, tok.vocab_size)
xb, yb = make_batch(train_ids, np.random.default_rng(0).integers(0, len(train_ids) - 65, 32), 64)
with torch.no_grad():
    _, loss0 = model0(torch.from_numpy(xb), torch.from_numpy(yb))
print(f"loss of the untrained model: {loss0.item():.4f}; ln V = {math.log(tok.vocab_size):.4f}")
assert abs(loss0.item() - math.log(tok.vocab_size)) < 0.1  # near-uniform predictions at init

# %% [markdown]
# **Model FLOPs utilisation.** A dense transformer with $N$ (non-embedding) parameters spends
# about $2N$ FLOPs per token in the forward pass (one multiply-add per weight) and $4N$ in the
# backward pass (gradients for activations *and* weights). Attention adds
# $12\, L\, d\, T$ per token for training ($QK^\top$ and $AV$ over a context of $T$, forward and
# backward). So
#
# $$\text{FLOPs/token} \approx 6N + 12\,L\,d\,T, \qquad
# \text{MFU} = \frac{\text{tokens/s} \times \text{FLOPs/token}}{\text{peak FLOP/s}}.$$
#
# MFU says how much of the hardware the run uses: well-tuned GPU training reaches 40–60 %;
# a tiny model on a CPU much less, because small matrices leave the arithmetic units idle.
#
# ### Exercise 14.5 — MFU
#
# Return the MFU as a fraction (not a percentage).

# %%
def mfu(n_params, n_layer, n_embd, block_size, tokens_per_s, peak_flops):
    ### BEGIN SOLUTION
    flops_per_token = 6 * n_params + 12 * n_layer * n_embd * block_size
    return tokens_per_s * flops_per_token / peak_flops
    ### END SOLUTION


check("p14.mfu", mfu)

# %% [markdown]
# ## 3. The trainer
#
# `ml2llm.training.trainer.Trainer` is the loop you would write after Project 13.5, plus what
# a real run needs. One optimisation step:
#
# 1. set the learning rate from the schedule (linear **warmup**, then cosine decay to `min_lr`);
# 2. for each of `grad_accum` micro-batches: forward under autocast (bf16 on CUDA), loss
#    divided by `grad_accum`, backward. Gradients add up, so $k$ micro-batches of size $B$
#    give exactly the gradient of one batch of size $kB$:
#    $\nabla \frac{1}{kB}\sum_{i=1}^{kB} \ell_i = \sum_{j=1}^{k} \frac1k \nabla \frac1B \sum_{i \in j} \ell_i$;
# 3. clip the global gradient norm to `grad_clip` ([gradient clipping](../../../docs/GLOSSARY.md#gradient-clipping));
# 4. one [AdamW](../../../docs/GLOSSARY.md#adamw) step (weight decay on matrices only).
#
# Every `eval_interval` steps it estimates train and validation loss on fixed batches, writes a
# checkpoint (safetensors weights and optimizer moments, plus RNG states and the data position
# in JSON, swapped in atomically) and redraws `loss_curve.png`. Its tests prove that a run
# stopped at step $k$ and resumed gives *bit-identical* losses, and that two data-parallel
# processes compute the same gradients as one process over the same global batch.
#
# ## Experiment 1 — Pretraining, with samples along the way
#
# **Hypothesis.** The loss starts at $\ln V \approx 4.2$. First the model learns character
# frequencies (a unigram model scores about 3.3), then which characters follow which (bigram,
# about 2.5), then spelling and the format of a play: speaker names in capitals followed by a
# colon, line breaks, short words. Samples should move through the same stages.
#
# **Experiment.** The default CPU configuration of this project is
# `configs/shakespeare_cpu_recipe.yaml`. It keeps the size of nanoGPT's CPU "baby" run
# (4 layers, 128 wide, 4 heads, context 64, batch 12) and changes what Project 13.5's
# speedrun section measured to help on a CPU:
#
# | | nanoGPT baby (`shakespeare_char_baby.yaml`) | this project's recipe | why |
# |---|---|---|---|
# | block | GPT-2: learned positions, LayerNorm, GELU MLP | RoPE, RMSNorm, SwiGLU, 2 key/value heads (Project 12.5) | relative positions and a gated MLP learn more per step |
# | attention | plain | QK-norm (RMSNorm on queries and keys) | bounded attention logits, so the higher learning rate below is safe |
# | output head | tied to the embedding | untied | a character's role as input and as prediction differ |
# | optimiser | AdamW $10^{-3}$ | Muon $0.02$ for hidden matrices, AdamW $2\times10^{-3}$ for the rest | orthogonalised updates move every direction of a matrix, not only the dominant ones |
# | schedule | warmup + cosine | warmup + stable + linear decay (last 30 %) | full learning rate for longer; the decay still anneals |
#
# A step costs about 1.5× more, so in the baby run's wall time it does about 1,300 steps
# instead of 2,000 — and reaches a lower loss (section "Running the full configuration"
# below has the measured figures). Full mode runs those 1,300 steps; quick mode a 2-layer,
# 64-wide model for 200 steps. We stop the run at several milestones and sample 200
# characters each time (temperature 0.8).

# %%
overrides = dict(out_dir=str(RUNS / "recipe"), device="cpu", progress=False, sample_tokens=0,
                 max_steps=pick(1300, 200), eval_interval=pick(260, 50), eval_iters=pick(20, 8),
                 log_interval=pick(10, 5))
if QUICK:
    overrides.update(n_layer=2, n_embd=64, n_head=4, n_kv_head=2, warmup_steps=20)
cfg = load_config(root / "configs" / "shakespeare_cpu_recipe.yaml", overrides=overrides)
trainer = Trainer(cfg, text=text)
print(f"{count_params(trainer.raw_model) / 1e6:.2f}M non-embedding parameters, "
      f"{cfg.tokens_per_step} tokens per step")
milestones = sorted({0, cfg.max_steps // 8, cfg.max_steps // 4, cfg.max_steps // 2, cfg.max_steps})
samples, t0 = {}, time.perf_counter()
for m in milestones:
    result = trainer.train(stop_at=m)
    samples[m] = trainer.sample(200, prompt="\n", seed=1)
elapsed = time.perf_counter() - t0
print(f"{cfg.max_steps} steps in {elapsed:.0f} s: {result.ms_per_step:.1f} ms/step, "
      f"{result.tokens_per_s:,.0f} tokens/s (timing includes other processes on this machine)")

# %% [markdown]
# How much of the CPU did that use? A core with AVX2 does at most 2 fused multiply-adds of
# 8 floats per cycle, 32 FLOPs; two cores at 2.5 GHz peak at about 160 GFLOP/s in float32.

# %%
cpu_peak = 2 * 2.5e9 * 32  # an assumption for a 2-core AVX2 machine, not a measurement
n_params = count_params(trainer.raw_model)
used = model_flops_utilization(n_params, cfg.n_layer, cfg.n_embd, cfg.block_size, result.tokens_per_s, cpu_peak)
print(f"{result.tokens_per_s:,.0f} tokens/s x {6 * n_params + 12 * cfg.n_layer * cfg.n_embd * cfg.block_size:,} "
      f"FLOPs/token → MFU ≈ {100 * used:.1f}% of an assumed {cpu_peak / 1e9:.0f} GFLOP/s")

# %%
for m, s in samples.items():
    print(f"──── step {m} ────\n{s.strip()}\n")

# %%
steps, losses = zip(*result.losses)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].plot(steps, losses, alpha=0.35, label="train (one batch)")
axes[0].plot([e["step"] for e in result.evals], [e["train"] for e in result.evals], "o-", label="train (eval)")
axes[0].plot([e["step"] for e in result.evals], [e["val"] for e in result.evals], "o-", label="validation")
for level, name in [(math.log(tok.vocab_size), "ln V (uniform)")]:
    axes[0].axhline(level, color="gray", ls=":", lw=1)
    axes[0].text(steps[-1], level, name, ha="right", va="bottom", fontsize=8)
axes[0].set(xlabel="step", ylabel="cross-entropy (nats/char)", title="Pretraining loss")
axes[0].legend()
from ml2llm.training.optim import lr_at

axes[1].plot(range(cfg.max_steps + 1), [lr_at(s, cfg) for s in range(cfg.max_steps + 1)])
axes[1].set(xlabel="step", ylabel="learning rate", title="Warmup + cosine schedule")
plt.tight_layout(); plt.show()
first, last = result.evals[0], result.evals[-1]
print(f"val loss {first['val']:.3f} → {last['val']:.3f} (perplexity {math.exp(last['val']):.1f})")
assert last["val"] < first["val"] - pick(2.0, 1.0)  # it learned far more than character frequencies

# %% [markdown]
# **What happened.** The loss leaves $\ln V$ at once and falls through the unigram and bigram
# levels within the first few hundred steps; the samples go from random characters to
# character soup with spaces and line breaks, then to capitalised speaker names, a colon and
# short English-looking words. Train and validation losses stay together: a sub-million-parameter
# model cannot memorise megabytes of text, so at this scale more steps help and
# [overfitting](../../../docs/GLOSSARY.md#overfitting) is not yet the enemy (it is with the 10M
# GPU configuration, which is why that one uses dropout 0.2). For reference, nanoGPT's figure
# for its baby configuration on tiny-shakespeare is a validation loss of 1.88 after 2,000
# steps, and this recipe reaches about 1.62 in the same wall time
# (`benchmarks/bench_pretrain_cpu.py --time-to-loss` measures both on the same data; the
# corpus here is a different, larger selection of Shakespeare, so its numbers are close but
# not identical).
#
# ## 4. Sampling: temperature, top-k, top-p
#
# The model gives logits $z$ for the next token; we sample from
# $p_i \propto \exp(z_i / \tau)$. The **temperature** $\tau$ sharpens ($\tau < 1$) or flattens
# ($\tau > 1$) the distribution; $\tau \to 0$ is greedy decoding. Two filters cut off the
# unreliable tail before sampling:
#
# - **top-k** keeps the $k$ largest logits;
# - **top-p** (nucleus sampling) keeps the smallest set of most likely tokens whose total
#   probability reaches $p$: few tokens when the model is sure, many when it is not.
#
# Removed tokens get logit $-\infty$, so their probability after the softmax is exactly 0.
#
# ### Exercise 14.3 — Top-k filtering
#
# `logits` has shape `(..., V)`; filter the last axis. Keep every logit $\ge$ the $k$-th
# largest (ties are kept), set the rest to `-np.inf`, and do not modify the input.

# %%
def top_k_filter(logits, k):
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=float)
    if k >= logits.shape[-1]:
        return logits.copy()
    kth = np.sort(logits, axis=-1)[..., -k][..., None]
    return np.where(logits < kth, -np.inf, logits)
    ### END SOLUTION


check("p14.top_k_filter", top_k_filter)

# %% [markdown]
# ### Exercise 14.4 — Top-p (nucleus) filtering
#
# Softmax the logits of each row, sort the probabilities in decreasing order, and keep a token
# while the probability mass *before* it is still $< p$ (so the token that makes the mass
# reach $p$ is kept, and the most likely token always is). Map the decision back to the
# original order; removed logits become `-np.inf`.

# %%
def top_p_filter(logits, p):
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=float)
    order = np.argsort(-logits, axis=-1)
    s = np.take_along_axis(logits, order, axis=-1)
    e = np.exp(s - s[..., :1])
    probs = e / e.sum(axis=-1, keepdims=True)
    drop_sorted = np.cumsum(probs, axis=-1) - probs >= p
    drop = np.zeros_like(drop_sorted)
    np.put_along_axis(drop, order, drop_sorted, axis=-1)
    return np.where(drop, -np.inf, logits)
    ### END SOLUTION


check("p14.top_p_filter", top_p_filter)

# %% [markdown]
# ## Experiment 2 — What temperature does to the samples
#
# **Hypothesis.** Low temperature gives safe, repetitive text (the same few words and
# phrases); high temperature gives varied text full of non-words. There should be a sweet
# spot around 0.7–1.0, which is why APIs default there.
#
# **Experiment.** For several temperatures we sample text from the trained model and measure
# (a) the fraction of its words that occur in the training text (spelling), and (b) the
# fraction of distinct word pairs among all word pairs (variety).

# %%
known_words = set(text.split())
temps = [0.2, 0.5, 0.8, 1.0, 1.3, 1.8]
n_chars = pick(1500, 400)
valid, variety = [], []
for tau in temps:
    s = trainer.sample(n_chars, prompt="\n", seed=7, temperature=tau, top_k=None)
    words = s.split()
    valid.append(np.mean([w in known_words for w in words]) if words else 0.0)
    pairs = list(zip(words, words[1:]))
    variety.append(len(set(pairs)) / max(1, len(pairs)))
    print(f"τ = {tau}: {s.strip()[:90]!r}")
fig, ax = plt.subplots(figsize=(6, 3.8))
ax.plot(temps, valid, "o-", label="words found in the corpus")
ax.plot(temps, variety, "s-", label="distinct word pairs / all pairs")
ax.set(xlabel="temperature τ", ylabel="fraction", title="Temperature: spelling vs variety", ylim=(0, 1.05))
ax.legend(); plt.show()

# %% [markdown]
# **What happened.** As $\tau$ grows the share of real words drops (the tail of the
# distribution, mostly misspellings, gets sampled) while the variety rises; at low $\tau$ the
# text loops on the most likely phrases. Top-k and top-p fix the tail without flattening
# the head: try `trainer.sample(400, temperature=1.0, top_p=0.9)`.
#
# ## Comparison with Hugging Face's samplers and the KV cache
#
# Our filters must keep exactly the tokens that Hugging Face's `TopKLogitsWarper` and
# `TopPLogitsWarper` keep, on the real logits of the trained model; and sampling with the KV
# cache must give the same tokens as recomputing the whole context each step, only faster.

# %%
from transformers.generation.logits_process import TopKLogitsWarper, TopPLogitsWarper

model = trainer.raw_model.eval()
context = torch.from_numpy(make_batch(val_ids, np.arange(0, 4000, 500), 32)[0])
with torch.no_grad():
    logits = model(context)[0][:, -1, :]
for k in (1, 5, 20):
    ours = top_k_filter(logits.numpy(), k)
    theirs = TopKLogitsWarper(k)(None, logits.clone()).numpy()
    assert np.array_equal(np.isinf(ours), np.isinf(theirs)), k  # same tokens kept
for p in (0.5, 0.9, 0.99):
    ours = top_p_filter(logits.numpy(), p)
    theirs = TopPLogitsWarper(p)(None, logits.clone()).numpy()
    assert np.array_equal(np.isinf(ours), np.isinf(theirs)), p
print("top-k and top-p keep exactly the tokens Hugging Face keeps ✓")

prompt = torch.tensor([tok.encode("ROMEO:\n")])
timings = {}
for use_cache in (True, False):
    t = time.perf_counter()
    out = sampling.generate(model, prompt, pick(300, 120), temperature=0.8, top_k=50, top_p=0.95,
                            use_cache=use_cache, generator=torch.Generator().manual_seed(3))
    timings[use_cache] = (time.perf_counter() - t, out)
assert torch.equal(timings[True][1], timings[False][1])  # identical tokens
print(f"KV cache: {timings[True][0]:.2f} s, recomputing: {timings[False][0]:.2f} s — same text:")
print(tok.decode(timings[True][1][0].tolist()))

# %% [markdown]
# ## Running the full configuration from the command line
#
# The notebook used the library; the same trainer is a command. From the repository root:
#
# ```bash
# # this project's CPU default: the recipe of Experiment 1, 1,300 steps (the wall time of
# # nanoGPT's 2,000-step baby run on a CPU)
# ml2llm pretrain --config configs/shakespeare_cpu_recipe.yaml
# # use another text, any setting from the command line (dashes or underscores)
# ml2llm pretrain --config configs/shakespeare_cpu_recipe.yaml --data my_text.txt --max-steps 500
# # Ctrl-C saves a checkpoint; continue exactly where it stopped
# ml2llm pretrain --config configs/shakespeare_cpu_recipe.yaml --resume
# # nanoGPT's own CPU "baby" run (GPT-2 block, AdamW, cosine), for comparison
# ml2llm pretrain --config configs/shakespeare_char_baby.yaml
# # the GPU configuration: 6x384, context 256, dropout 0.2, bf16, compiled
# ml2llm pretrain --config configs/shakespeare_char.yaml --compile
# # several GPUs: data parallel, one process per GPU
# torchrun --nproc_per_node=4 -m ml2llm.cli pretrain --config configs/shakespeare_char.yaml
# # sample (temperature, top-k, top-p; KV cache) and export for Phase 3
# ml2llm sample runs/shakespeare_cpu_recipe --prompt "ROMEO:" --temperature 0.8 --top-p 0.95
# ml2llm export runs/shakespeare_cpu_recipe --out runs/shakespeare_cpu_recipe/hf
# ```
#
# Every run folder holds `checkpoint/`, `loss_curve.png`, `history.json` and the tokenizer;
# `--mlflow` also logs to a local MLflow store. Other configs: `shakespeare_mistral_small.yaml`
# (the Mistral block alone, AdamW and cosine) and `shakespeare_bpe.yaml` (byte-level BPE).
#
# **What to expect on a 2-core CPU**, measured by `benchmarks/bench_pretrain_cpu.py
# --time-to-loss` on tiny-shakespeare (3 seeds, the same 200 validation batches, interleaved so
# both runs share the machine alike): nanoGPT's baby run ends at val **1.91** after 2,000
# steps; the recipe, given the same wall time (about 1,300 steps, each ~1.5× dearer), reaches
# **1.62**, and passes 1.88 in 45 % of that time. Project 13.5's section 6 has the ablation
# table: what each switch is worth on its own.
#
# | machine | CPU recipe / baby config | GPU config (5000 steps) |
# |---|---|---|
# | 2-core laptop/cloud CPU | ~50–100 ms/step → 2–4 min (measured, see `benchmarks/bench_pretrain_cpu.py`) | impractical (hours) |
# | Apple Silicon (M1–M3, `device: mps` or CPU) | about 1–2 min (not measured here) | tens of minutes (not measured here) |
# | one CUDA GPU (A100/H100, bf16, `--compile`) | a few seconds | nanoGPT reports ~1.46 val loss in about 1.5 min on an H100 with compile (not measured here) |
#
# ## What you learned
#
# - Pretraining is next-token prediction on one long token sequence: each window of $T$ tokens
#   is $T$ examples, the split must be contiguous, and an untrained model scores $\ln V$.
# - A real trainer adds, around the five-line loop: a warmup + cosine schedule, gradient
#   accumulation (exactly a bigger batch), clipping, mixed precision, periodic evaluation,
#   atomic checkpoints that resume bit-for-bit, and data parallelism that equals a bigger batch.
# - **MFU** turns tokens/s into "how much of the machine am I using" via $6N + 12LdT$ FLOPs/token.
# - Samples follow the loss: frequencies, then bigrams, then spelling and the format of a play.
# - Temperature trades spelling for variety; top-k and top-p cut the unreliable tail instead,
#   and your filters keep exactly the tokens Hugging Face's do. The KV cache makes sampling
#   faster without changing a single token.
#
# **Next:** Project 15 compares this pretrained model with an untrained one, layer by layer;
# Phase 3 fine-tunes it (`ml2llm export`). Glossary:
# [cross-entropy](../../../docs/GLOSSARY.md#cross-entropy),
# [perplexity](../../../docs/GLOSSARY.md#perplexity),
# [pretraining](../../../docs/GLOSSARY.md#pretraining),
# [AdamW](../../../docs/GLOSSARY.md#adamw),
# [gradient clipping](../../../docs/GLOSSARY.md#gradient-clipping),
# [gradient accumulation](../../../docs/GLOSSARY.md#gradient-accumulation),
# [mixed precision](../../../docs/GLOSSARY.md#mixed-precision),
# [MFU](../../../docs/GLOSSARY.md#mfu),
# [temperature](../../../docs/GLOSSARY.md#temperature),
# [top-p sampling](../../../docs/GLOSSARY.md#top-p-sampling),
# [KV cache](../../../docs/GLOSSARY.md#kv-cache),
# [overfitting](../../../docs/GLOSSARY.md#overfitting).
