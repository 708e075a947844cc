# %% [markdown]
# # Project 12.25 — Word embeddings: skip-gram with negative sampling
#
# The first layer of every language model is an **embedding** table: one learned vector per
# token. Before transformers, word2vec (Mikolov et al., 2013) showed how much structure such
# vectors pick up from raw text alone: words used in similar contexts end up close together,
# and some relations even become directions ("king" − "man" + "woman" ≈ "queen"). You build
# word2vec's skip-gram with negative sampling in vectorised NumPy, train it on Shakespeare, and
# compare it with gensim's C implementation.
#
# **You will:**
# 1. implement the pieces: the unigram$^{0.75}$ noise distribution, sub-sampling of frequent
#    words, dynamic-window context pairs, the SGNS loss and its gradients, sparse updates;
# 2. train the library's `SkipGramNS` on the Shakespeare corpus;
# 3. probe it: nearest neighbours, analogies, a 2-D PCA map;
# 4. compare with gensim `Word2Vec` trained on the same tokens with the same dimension, window
#    and epochs: neighbour overlap and time.
#
# **Prerequisites:** Project 11.5 (gradients, SGD). **Time:** about 8 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line runs your function on
# several inputs against the reference and prints `✓` or the first input where yours differs,
# with a hint. `ml2llm check 12.25` runs the whole notebook from a terminal.
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

from ml2llm import check, is_quick
from ml2llm.quickmode import pick
from ml2llm.data.shakespeare import load_corpus
from ml2llm.nlp.word2vec import SkipGramNS, keep_probability, negative_distribution, tokenize_lines
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: a corpus slice, fewer dimensions and epochs
print("quick mode:", QUICK)

text = load_corpus()
text = text[: pick(len(text), 600_000)]
sentences = tokenize_lines(text)
print(f"{sum(map(len, sentences)):,} word tokens in {len(sentences):,} lines; e.g. {sentences[100]}")

# %% [markdown]
# ## 1. From one-hot to dense vectors
#
# A one-hot vector says *which* word it is and nothing else: every pair of words is equally far
# apart. The **distributional hypothesis** ("you shall know a word by the company it keeps")
# suggests learning a dense vector $v_w \in \mathbb R^d$ per word such that words appearing in
# similar contexts get similar vectors.
#
# **Skip-gram** turns this into a prediction task: from a centre word $c$, predict each word $o$
# within a window around it. With a second "output" vector $u_w$ per word, the natural model is
# a softmax over the whole vocabulary,
#
# $$p(o \mid c) = \frac{\exp(u_o^\top v_c)}{\sum_{w=1}^{V} \exp(u_w^\top v_c)},$$
#
# but its normaliser costs $O(V)$ per pair. **Negative sampling** replaces it by $K+1$ binary
# questions: is $(c, o)$ a real pair (yes), and are $(c, n_k)$ for $K$ random "noise" words real
# pairs (no)?
#
# $$\ell(c, o) = -\log\sigma(u_o^\top v_c) - \sum_{k=1}^{K}\log\sigma(-u_{n_k}^\top v_c),\qquad n_k \sim P_n .$$
#
# ## 2. The noise distribution
#
# Draw negatives in proportion to frequency and almost all of them are "the", "and", "of";
# draw them uniformly and they are mostly rare words the model never needs to push away.
# word2vec's compromise: $P_n(w) \propto \mathrm{count}(w)^{0.75}$, which flattens the
# distribution (rare words gain, frequent ones lose).
#
# ### Exercise 12.25.1 — The unigram$^{0.75}$ distribution
#
# Return $P_n$ as an array of probabilities (same order as `counts`).

# %%
def negative_distribution_ex(counts):
    ### BEGIN SOLUTION
    w = np.asarray(counts, dtype=float) ** 0.75
    return w / w.sum()
    ### END SOLUTION


check("p12_25.negative_distribution", negative_distribution_ex)

# %% [markdown]
# ## 3. Sub-sampling frequent words
#
# "the" co-occurs with everything, so the pair ("king", "the") teaches little, and it occurs
# millions of times. word2vec randomly drops each occurrence of a word with frequency
# $f = \mathrm{count}/\text{total}$, keeping it with probability
#
# $$p_\text{keep}(w) = \min\Big(1,\ \Big(\sqrt{f/t} + 1\Big)\frac{t}{f}\Big),$$
#
# with a threshold $t$ around $10^{-3}$ (the formula in word2vec's C code and gensim). Words
# rarer than about $t$ are always kept; very frequent words are kept with probability
# $\approx\sqrt{t/f}$. Training gets faster *and* the vectors of rare words get better.
#
# ### Exercise 12.25.2 — Keep probabilities
#
# `counts` holds one count per vocabulary word, `sample` is $t$.

# %%
def keep_probability_ex(counts, sample):
    ### BEGIN SOLUTION
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)
    ### END SOLUTION


check("p12_25.keep_probability", keep_probability_ex)

# %% [markdown]
# ## Experiment 1 — How skewed is the vocabulary, and what do the two tricks do to it?
#
# **Hypothesis.** Word frequencies follow Zipf's law (frequency ∝ 1/rank, a straight line on
# log–log axes). Sub-sampling should flatten the head of that curve, and the 0.75 power should
# lift the tail of the noise distribution relative to raw frequencies.

# %%
vocab_model = SkipGramNS(min_count=5).build_vocab(sentences)
counts = vocab_model.counts_.astype(float)
rank = np.arange(1, len(counts) + 1)
kept = counts * keep_probability(counts, 1e-3)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].loglog(rank, counts, label="raw counts")
axes[0].loglog(rank, kept, label="expected count after sub-sampling (t = 1e-3)")
axes[0].loglog(rank, counts[0] / rank, "k:", label="Zipf: count ∝ 1/rank")
axes[0].set(xlabel="rank", ylabel="count", title="Word frequencies")
axes[0].legend(fontsize=8)
axes[1].loglog(rank, counts / counts.sum(), label="unigram (power 1)")
axes[1].loglog(rank, negative_distribution(counts, 0.75), label="noise distribution (power 0.75)")
axes[1].set(xlabel="rank", ylabel="probability", title="Negative-sampling distribution")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()
print("most frequent:", vocab_model.vocab_[:12])
print(f"'{vocab_model.vocab_[0]}' kept with probability {keep_probability(counts, 1e-3)[0]:.2f}; "
      f"tokens kept overall: {kept.sum() / counts.sum():.0%}")

# %% [markdown]
# **What happened.** The counts are close to a Zipf line: the top dozen words are a large share
# of all tokens. Sub-sampling caps the head (the most frequent word keeps only a fraction of its
# occurrences) and leaves the long tail alone, so an epoch has far fewer, more informative
# pairs. The 0.75 power lowers the head and raises the tail of the noise distribution.

# %% [markdown]
# ## 4. Dynamic windows
#
# word2vec does not use a fixed window: for each centre position it draws a window size
# $b \sim U\{1, \dots, \text{window}\}$ and pairs the centre with the words at distance
# $\le b$. A word at distance $k$ is therefore used with probability $(\text{window}-k+1)/\text{window}$:
# near words count more, without any explicit weights.
#
# ### Exercise 12.25.3 — Context pairs with a per-position window
#
# Given `ids` (a 1-D array) and `window_sizes[i]` for each position, return two arrays
# `(centres, contexts)` with one entry per pair: position `i` pairs with every `j ≠ i` inside the
# sequence with `|i − j| ≤ window_sizes[i]` (order does not matter for the check).

# %%
def context_pairs_ex(ids, window_sizes):
    ### BEGIN SOLUTION
    centres, contexts = [], []
    n = len(ids)
    for i in range(n):
        b = window_sizes[i]
        for j in range(max(0, i - b), min(n, i + b + 1)):
            if j != i:
                centres.append(ids[i])
                contexts.append(ids[j])
    return np.array(centres, dtype=int), np.array(contexts, dtype=int)
    ### END SOLUTION


check("p12_25.context_pairs", context_pairs_ex)

# %% [markdown]
# ## 5. Loss and gradients for a minibatch
#
# Write $s^+ = u_o^\top v$ and $s^-_k = u_{n_k}^\top v$. With $\frac{d}{ds}\big(-\log\sigma(s)\big)
# = \sigma(s) - 1$ and $\frac{d}{ds}\big(-\log\sigma(-s)\big) = \sigma(s)$:
#
# $$\frac{\partial\ell}{\partial v} = (\sigma(s^+) - 1)\,u_o + \sum_k \sigma(s^-_k)\,u_{n_k},\qquad
#   \frac{\partial\ell}{\partial u_o} = (\sigma(s^+) - 1)\,v,\qquad
#   \frac{\partial\ell}{\partial u_{n_k}} = \sigma(s^-_k)\,v .$$
#
# Processing $P$ pairs at once turns the dot products into `einsum`s: this vectorisation is what
# makes NumPy competitive with a C loop.
#
# ### Exercise 12.25.4 — SGNS loss and gradients
#
# `v (P, d)`, `u_pos (P, d)`, `u_neg (P, K, d)`. Return `(loss, (dv, du_pos, du_neg))` where the
# loss is **summed** over the $P$ pairs. Tip: $-\log\sigma(s) = \log(1 + e^{-s})$ =
# `np.logaddexp(0, -s)`, which never overflows.

# %%
def sgns_loss_and_grads_ex(v, u_pos, u_neg):
    ### BEGIN SOLUTION
    s_pos = np.einsum("pd,pd->p", u_pos, v)
    s_neg = np.einsum("pkd,pd->pk", u_neg, v)
    loss = np.logaddexp(0, -s_pos).sum() + np.logaddexp(0, s_neg).sum()
    g_pos = 1 / (1 + np.exp(-s_pos)) - 1
    g_neg = 1 / (1 + np.exp(-s_neg))
    dv = g_pos[:, None] * u_pos + np.einsum("pk,pkd->pd", g_neg, u_neg)
    return loss, (dv, g_pos[:, None] * v, g_neg[:, :, None] * v[:, None, :])
    ### END SOLUTION


check("p12_25.sgns_loss_and_grads", sgns_loss_and_grads_ex)

# %% [markdown]
# ## 6. Sparse updates
#
# A minibatch touches only a few rows of the $V\times d$ tables, and the same row many times
# ("king" can be the centre of ten pairs). The update must *add* every contribution.
# `W[idx] += G` looks right and is wrong: with repeated indices NumPy writes each row once, so
# all but one contribution are lost. `np.add.at` accumulates.
#
# ### Exercise 12.25.5 — Scatter-add
#
# Return a **copy** of `W` with `G[i]` added to row `idx[i]` for every `i` (repeats accumulate).

# %%
def scatter_add_ex(W, idx, G):
    ### BEGIN SOLUTION
    out = W.copy()
    np.add.at(out, idx, G)
    return out
    ### END SOLUTION


check("p12_25.scatter_add", scatter_add_ex)

# %% [markdown]
# ## 7. Training on Shakespeare
#
# The library's `SkipGramNS` assembles these pieces: per epoch it sub-samples the token stream,
# draws a window per position, builds the pairs of ~2000 consecutive pairs at a time (windows do
# not cross line boundaries), draws $K=5$ negatives per pair from a unigram$^{0.75}$ table, and
# takes one SGD step with a learning rate decaying linearly from 0.025 to $10^{-4}$ (gensim's
# schedule). Its update applies the output-vector gradients as a sparse matrix product, which
# avoids materialising the $(P, K, d)$ gradient.

# %%
# quick mode: a 600 kB slice needs more passes (8) to train; the full corpus needs 5
SETTINGS = dict(vector_size=pick(100, 32), window=5, negative=5, sample=1e-3, min_count=5,
                epochs=pick(5, 8))
t0 = time.perf_counter()
model = SkipGramNS(**SETTINGS, random_state=0).fit(sentences)
t_ours = time.perf_counter() - t0
print(f"trained on {len(model.vocab_):,} words in {t_ours:.1f} s")
fig, ax = plt.subplots(figsize=(6, 3.2))
hist = np.array(model.loss_history_)
ax.plot(np.arange(len(hist)) * 10, hist, alpha=0.4)
ax.plot(np.arange(len(hist) - 19) * 10 + 95, np.convolve(hist, np.ones(20) / 20, "valid"))
ax.axhline(6 * np.log(2), color="gray", ls="--", label="6 ln 2: untrained (all scores 0)")
ax.set(xlabel="update", ylabel="loss per pair", title="SGNS training loss")
ax.legend()
plt.show()

# %% [markdown]
# ## Experiment 2 — Neighbours, analogies and a map
#
# **Hypothesis.** Words that play the same role in sentences (titles, kin, body parts, times
# of day) should be each other's nearest neighbours by cosine similarity; a few relations may
# work as vector offsets; and a 2-D projection should show the groups as clusters.

# %%
probe = [w for w in ["king", "love", "night", "sword", "father", "eyes", "heaven", "gold"] if w in model.index_]
for w in probe:
    print(f"{w:>8}: " + ", ".join(f"{x} ({s:.2f})" for x, s in model.most_similar(w, 6)))
for a, b, c in [("man", "woman", "king"), ("son", "daughter", "father"), ("day", "night", "morning"),
                ("eye", "eyes", "hand")]:
    if all(x in model.index_ for x in (a, b, c)):
        print(f"{a} : {b} :: {c} : {[x for x, _ in model.analogy(a, b, c, topn=3)]}")

# %%
groups = {
    "kin": ["father", "mother", "brother", "sister", "son", "daughter", "wife", "husband", "uncle"],
    "titles": ["king", "queen", "duke", "lord", "lady", "prince", "princess", "earl", "emperor"],
    "body": ["eyes", "hand", "heart", "head", "tongue", "lips", "face", "arm", "blood"],
    "time": ["night", "day", "morning", "hour", "year", "month", "week", "evening", "tomorrow"],
}
words = [(g, w) for g, ws in groups.items() for w in ws if w in model.index_]
E = np.array([model.vector(w) for _, w in words], dtype=float)
E /= np.linalg.norm(E, axis=1, keepdims=True)
E -= E.mean(0)
_, _, Vt = np.linalg.svd(E, full_matrices=False)  # PCA: project on the top-2 right singular vectors
xy = E @ Vt[:2].T
fig, ax = plt.subplots(figsize=(7, 5))
for k, g in enumerate(groups):
    pts = np.array([xy[i] for i, (gg, _) in enumerate(words) if gg == g])
    ax.scatter(pts[:, 0], pts[:, 1], color=f"C{k}", label=g)
for (_, w), (x, y) in zip(words, xy):
    ax.annotate(w, (x, y), fontsize=8, xytext=(2, 2), textcoords="offset points")
ax.set(title="Word vectors, first two principal components", xlabel="PC 1", ylabel="PC 2")
ax.legend()
plt.show()

# %% [markdown]
# **What happened.** On the full corpus, neighbours are mostly words of the same kind — kin with kin, titles and
# characters' names with titles, body parts with body parts — learned from nothing but
# co-occurrence in 5 MB of plays. Analogies partly work (the right answer is often in the top
# three; the corpus is tiny for this). The PCA map separates the groups roughly, though two
# dimensions keep only a small part of the structure. (In quick mode the model sees a 600 kB
# slice with 32 dimensions: neighbours are noisier, and gensim's are too — see below.)

# %% [markdown]
# ## Comparison with gensim
#
# gensim's `Word2Vec(sg=1)` implements the same algorithm in optimised C. We train it on the
# same tokens with the same dimension, window, negatives, sub-sampling and epochs. Embeddings
# are only defined up to rotation, so we compare what they *say*: the overlap of the top-10
# neighbours on a fixed word list. Two gensim runs with different seeds do not agree perfectly
# either; that agreement is the yardstick.

# %%
from gensim.models import Word2Vec

t0 = time.perf_counter()
g0 = Word2Vec(sentences, sg=1, hs=0, workers=1, seed=0, **SETTINGS)
t_gensim = time.perf_counter() - t0
g1 = Word2Vec(sentences, sg=1, hs=0, workers=1, seed=1, **SETTINGS)
fixed = [w for w in ["king", "queen", "love", "death", "night", "sword", "father", "god", "heaven",
                     "lord", "blood", "eyes", "heart", "war", "sea", "gold", "fair", "sleep"] if w in model.index_]


def top10(m, w):
    if isinstance(m, SkipGramNS):
        return {x for x, _ in m.most_similar(w, 10)}
    return {x for x, _ in m.wv.most_similar(w, topn=10)}


ours_vs_gensim = np.mean([len(top10(model, w) & top10(g0, w)) / 10 for w in fixed])
gensim_vs_gensim = np.mean([len(top10(g0, w) & top10(g1, w)) / 10 for w in fixed])
print(f"top-10 overlap on {len(fixed)} words: ours vs gensim {ours_vs_gensim:.2f}, "
      f"gensim vs gensim (another seed) {gensim_vs_gensim:.2f}")
print(f"time: ours {t_ours:.1f} s, gensim (1 worker) {t_gensim:.1f} s → ratio {t_ours / t_gensim:.1f}x "
      "(benchmarks/bench_word2vec.py measures it properly)")
# our model must agree with gensim at least 70% as well as gensim agrees with itself
assert ours_vs_gensim >= 0.7 * gensim_vs_gensim

# %% [markdown]
# ## What you learned
#
# - An **embedding** is a learned vector per word; skip-gram learns it by predicting context
#   words, and **negative sampling** replaces the $O(V)$ softmax by $K+1$ logistic questions.
# - The noise distribution $\propto \mathrm{count}^{0.75}$ and the **sub-sampling** of frequent
#   words are not details: they decide which pairs the model sees and how fast it trains.
# - Dynamic windows weight near words more without explicit weights.
# - Vectorised minibatches (einsum, sparse scatter-adds) make NumPy within a small factor of C.
# - Nearest neighbours by **cosine similarity** group words by role; some relations are
#   directions; our vectors agree with gensim's about as well as gensim's agree with themselves.
#
# **Next:** Project 13 decides what a "word" is for an LLM (subword tokens), and Project 12's
# GPT learns its token embeddings jointly with everything else.
# Glossary: [embedding](../../../docs/GLOSSARY.md#embedding),
# [negative sampling](../../../docs/GLOSSARY.md#negative-sampling),
# [skip-gram](../../../docs/GLOSSARY.md#skip-gram),
# [sub-sampling](../../../docs/GLOSSARY.md#sub-sampling),
# [cosine similarity](../../../docs/GLOSSARY.md#cosine-similarity),
# [distributional hypothesis](../../../docs/GLOSSARY.md#distributional-hypothesis).
