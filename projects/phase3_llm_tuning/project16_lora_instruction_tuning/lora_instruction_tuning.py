# %% [markdown]
# # Project 16 — LoRA instruction tuning: from scratch, with PEFT and with MLX
#
# A pretrained language model continues text; an **instruction-tuned** model answers.
# The step between them is supervised fine-tuning on (prompt, answer) pairs. Doing it by
# updating all 7 billion weights of Mistral-7B needs over 100 GB of GPU memory.
# [LoRA](../../../docs/GLOSSARY.md#lora) needs a fraction of that: it freezes the model and
# trains a tiny **low-rank** correction next to each chosen weight matrix.
#
# **You will:**
# 1. derive LoRA (the low-rank update, the $\alpha/r$ scaling, why $B$ starts at zero) and
#    write its initialisation, forward pass and merge;
# 2. count parameters and memory for Mistral-7B: full fine-tuning against LoRA and 4-bit LoRA;
# 3. format instructions with a chat template and **mask the prompt** in the loss;
# 4. instruction-tune *your own* Shakespeare model, measure task accuracy on held-out
#    prompts before and after, sweep the rank, and compare with full fine-tuning;
# 5. run the same data through Hugging Face **PEFT** and Apple's **MLX**, and prove that
#    the same adapter weights give the same logits in all three;
# 6. apply your LoRA to a **real LLM**, SmolLM2-135M-Instruct, and watch its held-out
#    accuracy on a task it fails move — then tune it with all three stacks.
#
# **Prerequisites:** Projects 12.5 (Mistral blocks, Hugging Face export), 13 (tokenizers),
# 14 (pretraining). **Time:** about 16 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`;
# the `check(...)` line below it compares yours with the reference on several inputs and
# prints `✓` or the first failing input with a hint. `ml2llm check 16` runs the notebook.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import copy
import os
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLX_DISABLE_COMPILE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import matplotlib.pyplot as plt
import numpy as np
import torch

from ml2llm import check, is_quick
from ml2llm.quickmode import pick
from ml2llm.data.shakespeare import load_corpus
from ml2llm.finetune import functional as reference
from ml2llm.finetune.backends import export_with_template, pretrain_char_model
from ml2llm.finetune.data import PLAYS, ChatTemplate, build_tasks, load_plays, write_splits
from ml2llm.finetune.lora import apply_lora, save_adapter, trainable_report
from ml2llm.finetune.sft import Codec, SFTConfig, SFTTrainer, sft_loss, task_accuracy

torch.manual_seed(0)
torch.set_num_threads(1 if is_quick() else max(1, min(4, os.cpu_count() or 1)))
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
WORK = Path(tempfile.mkdtemp(prefix="p16_"))
print("quick mode:", QUICK, "| scratch folder:", WORK)

# %% [markdown]
# ## 1. The low-rank update
#
# A linear layer computes $y = xW^\top + b$ with $W \in \mathbb{R}^{d_\text{out}\times d_\text{in}}$.
# Full fine-tuning learns a whole new $W' = W + \Delta W$. The LoRA bet (Hu et al., 2021) is
# that the *change* a task needs has low **rank**: $\Delta W = BA$ with
# $A \in \mathbb{R}^{r\times d_\text{in}}$, $B \in \mathbb{R}^{d_\text{out}\times r}$ and
# $r \ll d$. The layer becomes
#
# $$ y = xW^\top + b + \frac{\alpha}{r}\,(xA^\top)B^\top, \qquad W,\,b \text{ frozen.} $$
#
# - **Parameters:** $r(d_\text{in} + d_\text{out})$ instead of $d_\text{in} d_\text{out}$. For a
#   $4096\times4096$ projection and $r=16$ that is 131 k instead of 16.8 M (0.8 %).
# - **The scale $\alpha/r$.** With Adam each entry of $A$ and $B$ moves about $\eta$ per step
#   whatever $r$ is, so the update $BA$ (a sum of $r$ terms) grows with $r$. Dividing by $r$
#   keeps the effective step roughly independent of the rank: you tune the learning rate
#   once and then sweep $r$. $\alpha$ is a constant knob (16 is common). Many recipes set
#   $\alpha = 2r$ instead: the scale is then 2 at every rank, which undoes the division —
#   section 5 measures what that does.
# - **Why $B=0$ at the start.** Then $BA = 0$: the adapted model *is* the pretrained model
#   at step 0, and training starts from its abilities rather than from a random
#   perturbation of them. $A$ must be random: the gradients are
#   $\partial L/\partial B = G^\top (xA^\top)$ and $\partial L/\partial A = (GB)^\top x$ (with
#   $G = \partial L/\partial y$, scale omitted), so with $A = B = 0$ both are zero forever. With $A$ random and
#   $B=0$, step 1 moves $B$ and from then on both move.
#
# ### Exercise 16.1 — Initialise a LoRA pair
#
# Return `(A, B)`: `A` of shape `(r, in_features)` drawn with
# `rng.uniform(-1/sqrt(in_features), 1/sqrt(in_features), size=...)` (PEFT's Kaiming-uniform
# bound), and `B` zeros of shape `(out_features, r)`.

# %%
def init_lora(in_features, out_features, r, rng):
    ### BEGIN SOLUTION
    bound = 1.0 / np.sqrt(in_features)
    A = rng.uniform(-bound, bound, size=(r, in_features))
    B = np.zeros((out_features, r))
    return A, B
    ### END SOLUTION


check("p16.init_lora", init_lora)

# %% [markdown]
# ### Exercise 16.2 — The LoRA forward pass
#
# Return $xW^\top + b + \frac{\alpha}{r}(xA^\top)B^\top$ for `x` of shape `(n, in)`.
# Compute the low-rank branch as two thin products (never form the `[out, in]` matrix $BA$):
# that is what makes LoRA cheap in training.

# %%
def lora_forward(x, W, b, A, B, alpha, r):
    ### BEGIN SOLUTION
    return x @ W.T + b + (alpha / r) * ((x @ A.T) @ B.T)
    ### END SOLUTION


check("p16.lora_forward", lora_forward)

# %% [markdown]
# ### Exercise 16.3 — Merge the adapter into the weight
#
# After training, $W' = W + \frac{\alpha}{r}BA$ gives the same outputs as the two-branch layer
# with **no extra cost at inference**; subtracting the same term ("unmerge") restores $W$.
# Return the merged weight.

# %%
def merge_lora_weight(W, A, B, alpha, r):
    ### BEGIN SOLUTION
    return W + (alpha / r) * (B @ A)
    ### END SOLUTION


check("p16.merge_lora_weight", merge_lora_weight)

# %% [markdown]
# The library version, `ml2llm.finetune.lora.LoRALinear`, wraps an `nn.Linear` the same way
# (parameters `lora_A` `[r, in]` and `lora_B` `[out, r]`, PEFT's layout) and has
# `merge()`/`unmerge()`. Merged and unmerged outputs agree to float32 rounding:

# %%
layer = torch.nn.Linear(64, 32)
from ml2llm.finetune.lora import LoRALinear

lora = LoRALinear(copy.deepcopy(layer), r=4, alpha=8)
x = torch.randn(5, 64)
assert torch.equal(lora(x), layer(x)), "B = 0: the adapted layer starts as the base layer"
with torch.no_grad():
    lora.lora_B.normal_(std=0.1)
    unmerged = lora(x)
    lora.merge()
    merged = lora(x)
    lora.unmerge()
    w_err = float((lora.base.weight - layer.weight).abs().max())
print("max |merged - unmerged|:", float((merged - unmerged).abs().max()))
print("max |W after unmerge - W|:", w_err)
assert torch.allclose(merged, unmerged, atol=1e-5)  # float32 sums in a different order

# %% [markdown]
# ### Exercise 16.4 — A LoRA layer, applied to a whole model
#
# Put the pieces together the way PEFT does. Write a `LoRALinear(nn.Module)` that wraps a
# frozen `nn.Linear` `base` and holds `lora_A` (a parameter of shape `[r, in]`, random) and
# `lora_B` (`[out, r]`, zeros), with `forward(x) = base(x) + (alpha / r) · (x Aᵀ) Bᵀ`. Then
# write `add_lora(model, target_modules, r, alpha)`: freeze every parameter of `model`, and
# replace each `nn.Linear` whose attribute name is in `target_modules` (`"q_proj"`,
# `"v_proj"` …) by a `LoRALinear` around it. Return the model.
#
# The check applies your function and PEFT's `get_peft_model` to the same small Llama, gives
# both adapters the same random values, and compares the logits, the number of trainable
# parameters and the names of the adapted layers.

# %%
class MyLoRALinear(torch.nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        ### BEGIN SOLUTION
        self.base, self.scaling = base, alpha / r
        bound = 1.0 / base.in_features**0.5
        self.lora_A = torch.nn.Parameter(torch.empty(r, base.in_features).uniform_(-bound, bound))
        self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, r))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.base(x) + self.scaling * ((x @ self.lora_A.T) @ self.lora_B.T)
        ### END SOLUTION


def add_lora(model, target_modules, r, alpha):
    ### BEGIN SOLUTION
    model.requires_grad_(False)
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear) and name in target_modules:
                setattr(parent, name, MyLoRALinear(child, r, alpha))
    return model
    ### END SOLUTION


check("p16.apply_lora", add_lora)

# %% [markdown]
# ## 2. Parameters and memory for a 7B model
#
# Mistral-7B: 32 layers, hidden size 4096, 32 query heads and 8 key/value heads of size 128
# (so `k_proj`/`v_proj` are $1024\times4096$), SwiGLU width 14336, vocabulary 32000.
#
# ### Exercise 16.5 — Count the trainable LoRA parameters
#
# `shapes` is a list of `(out_features, in_features)` of the adapted layers. Return the
# number of LoRA parameters at rank `r` as an `int`.

# %%
def lora_param_count(shapes, r):
    ### BEGIN SOLUTION
    return int(sum(r * (i + o) for o, i in shapes))
    ### END SOLUTION


check("p16.lora_param_count", lora_param_count)

# %% [markdown]
# Memory per trainable parameter with mixed-precision AdamW: bf16 weight (2 B) + bf16
# gradient (2 B) + fp32 master copy (4 B) + two fp32 Adam moments (8 B) = **16 bytes**.
# A frozen bf16 weight costs 2 bytes; a 4-bit quantised one about 0.56 bytes (4 bits plus a
# scale and bias per group of 64). Activations come on top and depend on batch × length.

# %%
h, kv, ffn, L, V = 4096, 1024, 14336, 32, 32000
per_layer = [(h, h), (kv, h), (kv, h), (h, h), (ffn, h), (ffn, h), (h, ffn)]
n_total = L * sum(o * i for o, i in per_layer) + L * 2 * h + h + 2 * V * h  # + norms, embed, head
attn_only = [(h, h), (kv, h), (kv, h), (h, h)] * L
n_lora = lora_param_count(attn_only, 16)
GB = 1e9
rows = {
    "full fine-tuning\n(bf16 + AdamW)": n_total * 16 / GB,
    "LoRA r=16 q,k,v,o\n(bf16 base)": (n_total * 2 + n_lora * 16) / GB,
    "QLoRA r=16\n(4-bit base)": (n_total * 0.5625 + n_lora * 16) / GB,
}
print(f"Mistral-7B parameters: {n_total / 1e9:.2f} B; LoRA r=16 on q,k,v,o: {n_lora / 1e6:.1f} M "
      f"({100 * n_lora / n_total:.2f} %)")
fig, ax = plt.subplots(figsize=(7, 3.2))
bars = ax.barh(list(rows), list(rows.values()), color=["tab:red", "tab:blue", "tab:green"])
ax.bar_label(bars, fmt="%.1f GB")
ax.set(xlabel="GB for weights + gradients + optimizer state (activations not included)",
       title="Training memory for Mistral-7B")
ax.axvline(80, ls="--", c="gray"); ax.text(81, 2.3, "one 80 GB GPU", fontsize=8)
plt.tight_layout(); plt.show()

# %% [markdown]
# **What this says.** Full fine-tuning needs ~116 GB before a single activation: several
# GPUs. LoRA keeps 14.5 GB of frozen bf16 weights and trains 13.6 M parameters (0.19 %): one
# 24 GB GPU or a 32 GB Mac. With a 4-bit base (QLoRA, or `mlx_lm` on a quantised model) it
# fits in about 5 GB. The adapter file itself is 27 MB in bf16.
#
# ## 3. Instruction data, the chat template and prompt masking
#
# We need a task we can *score*. `ml2llm.finetune.data.build_tasks` derives them offline from
# the Shakespeare corpus: which play a line comes from, who says it, the next line, a
# yes/no format question (does the line end with "?") and format transforms (upper case,
# reversed word order). The lines are split into
# train/valid/test **before** examples are made, so a test line never appears in training.

# %%
play_stems = pick(full=list(PLAYS), quick=["hamlet", "macbeth", "othello"])
tasks = pick(full=("play", "speaker", "question", "upper", "reverse", "next_line"), quick=("play", "question"))
plays = load_plays({k: PLAYS[k] for k in play_stems})
splits = build_tasks(plays, tasks=tasks, n_per_task=pick(full=2000, quick=600), max_chars=40, seed=0)
print({k: len(v) for k, v in splits.items()})
for r in splits["train"][:3]:
    print(r)
template = ChatTemplate()
print(repr(template.prompt(splits["train"][0]["prompt"]) + splits["train"][0]["completion"] + "<eos>"))

# %% [markdown]
# The **chat template** turns a record into text: `"Q: {prompt}\nA: {completion}<eos>"`.
# Real chat models use their own (Mistral: `[INST] ... [/INST]`); ours is short because a
# character model pays one token per character. The `<eos>` matters: it is how the model
# learns to *stop*.
#
# **Prompt masking.** We train on the whole sequence as input but compute the loss only on
# the completion: the prompt is given, not something to imitate. The label of every prompt
# token is `-100`, the "ignore" index of PyTorch's cross-entropy.
#
# ### Exercise 16.6 — Build input ids and masked labels
#
# Given token-id lists `prompt_ids`, `completion_ids` and `eos_id`, return two NumPy arrays:
# `input_ids = prompt + completion + [eos]` and `labels` equal to `input_ids` except `-100` on
# every prompt position.

# %%
def mask_prompt(prompt_ids, completion_ids, eos_id):
    ### BEGIN SOLUTION
    ids = list(prompt_ids) + list(completion_ids) + [eos_id]
    labels = [-100] * len(prompt_ids) + list(completion_ids) + [eos_id]
    return np.array(ids), np.array(labels)
    ### END SOLUTION


check("p16.mask_prompt", mask_prompt)

# %% [markdown]
# ### Exercise 16.7 — The masked SFT loss
#
# The logits at position $t$ predict token $t+1$, so compare `logits[:, :-1]` with
# `labels[:, 1:]`:
#
# $$ L = -\frac{1}{|M|}\sum_{(b,t)\in M} \log \operatorname{softmax}(z_{b,t})_{y_{b,t+1}},
# \qquad M = \{(b,t) : y_{b,t+1} \ne -100\}. $$
#
# Return the mean as a float; use a numerically stable log-softmax.

# %%
def masked_sft_loss(logits, labels):
    ### BEGIN SOLUTION
    z = np.asarray(logits, dtype=float)[:, :-1]
    y = np.asarray(labels)[:, 1:]
    z = z - z.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    keep = y != -100
    picked = np.take_along_axis(logp, np.where(keep, y, 0)[..., None], -1)[..., 0]
    return float(-picked[keep].mean())
    ### END SOLUTION


check("p16.masked_sft_loss", masked_sft_loss)

# %% [markdown]
# The trainer uses `ml2llm.finetune.sft.sft_loss` (PyTorch); it agrees with the NumPy
# reference:

# %%
z = torch.randn(2, 7, 11, dtype=torch.float64)
y = torch.tensor([[-100, -100, 3, 4, 0, -100, -100], [-100, 1, 2, 9, 5, 0, -100]])
print(float(sft_loss(z, y)), reference.masked_sft_loss(z.numpy(), y.numpy()))
# sft_loss computes in float32 (as in training): agreement to 1e-6
assert abs(float(sft_loss(z, y)) - reference.masked_sft_loss(z.numpy(), y.numpy())) < 1e-6

# %% [markdown]
# ## 4. Instruction-tuning our own Shakespeare model
#
# "Our own model" is Project 12.5's Mistral architecture (RoPE, RMSNorm, SwiGLU, GQA),
# pretrained here for a short while on Shakespeare at character level (Project 14 trains
# a bigger one; any exported run can replace it). Its projections carry the Hugging Face
# names `q_proj ... down_proj`, so the same adapter names work in PEFT and MLX.

# %%
t0 = time.time()
extra = "".join(r["prompt"] + r["completion"] for s in splits.values() for r in s) + "QA:"
model, tok, pre_losses = pretrain_char_model(
    load_corpus()[: pick(full=1_000_000, quick=200_000)],
    extra_chars=extra,
    steps=pick(full=400, quick=150),
    n_layer=pick(full=4, quick=2),
    n_embd=pick(full=128, quick=64),
    block_size=128,
    batch_size=pick(full=32, quick=8),
)
codec = Codec(tok)
base_model = copy.deepcopy(model)
print(f"pretrained {model.num_params():,} parameters in {time.time() - t0:.0f} s, "
      f"loss {pre_losses[0]:.2f} -> {pre_losses[-1]:.2f}")
test = splits["test"][: pick(full=240, quick=60)]
base_acc = task_accuracy(base_model, codec, test, template, max_new_tokens=20, block_size=128)
print("base model test accuracy:", base_acc["accuracy"], "answers:", base_acc["answers"][:3])

# %% [markdown]
# **Hypothesis.** The base model has never seen a question; it will continue the text with
# Shakespeare-like characters and never produce the exact answer (accuracy ≈ 0). A few
# hundred LoRA steps on the attention and MLP projections should teach it the format and a
# good part of the task, while training under 15 % of the weights of this *tiny* model
# (for a 7B model the same recipe trains 0.2 %).

# %%
ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
SFT_STEPS = pick(full=300, quick=150)


def lora_run(r, steps=SFT_STEPS, targets=ALL, alpha=None, lr=1e-2, seed=0):
    torch.manual_seed(seed)
    m = copy.deepcopy(base_model)
    apply_lora(m, targets, r=r, alpha=alpha if alpha is not None else 2.0 * r)
    cfg = SFTConfig(steps=steps, batch_size=16, lr=lr, eval_every=max(1, steps // 6),
                    eval_batches=2, max_len=128, seed=seed)
    tr = SFTTrainer(m, codec, splits["train"], splits["valid"], cfg, template)
    start = time.time()
    tr.train()
    return m, tr, time.time() - start


tuned, trainer, secs = lora_run(r=8)
rep = trainable_report(tuned)
tuned_acc = task_accuracy(tuned, codec, test, template, max_new_tokens=20, block_size=128)
print(rep["summary"])
print(f"{SFT_STEPS} LoRA steps in {secs:.0f} s")
print(f"test accuracy: base {base_acc['accuracy']:.3f} -> LoRA {tuned_acc['accuracy']:.3f}",
      tuned_acc["per_task"])
for r_, a in list(zip(test, tuned_acc["answers"]))[:5]:
    print(f"  {r_['prompt'][:50]!r:55} -> {a!r} (want {r_['completion']!r})")
assert tuned_acc["accuracy"] > base_acc["accuracy"] + 0.1, "tuning should clearly beat the base model"

fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
ev = [h for h in trainer.history if "val_loss" in h]
axes[0].plot([h["step"] for h in trainer.history], [h["train_loss"] for h in trainer.history],
             alpha=0.5, label="train (completion tokens)")
axes[0].plot([h["step"] for h in ev], [h["val_loss"] for h in ev], "o-", label="validation")
axes[0].set(xlabel="step", ylabel="masked loss", title="LoRA r=8 on our model"); axes[0].legend()
names = ["base"] + [f"LoRA: {k}" for k in tuned_acc["per_task"]]
vals = [base_acc["accuracy"]] + list(tuned_acc["per_task"].values())
axes[1].bar(names, vals, color=["gray"] + ["tab:blue"] * len(tuned_acc["per_task"]))
axes[1].set(ylabel="exact-match accuracy", title="held-out test prompts", ylim=(0, 1))
axes[1].tick_params(axis="x", rotation=30)
plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** The base model scores 0: it babbles. After LoRA it answers in the
# right format and stops with `<eos>`. How much it gets *right* depends on the task, and the
# per-task bars tell the real story. "Is this a question?" only needs the model to look a
# fixed number of characters back (at the `?`): quick mode's two-task run learns it
# perfectly (70 % overall on 60 prompts, question 100 %), and full mode's six-task run gets
# 56 % of it in 300 steps. "Which play" and "who says it" need vocabulary knowledge that a
# model pretrained for a minute or two barely has, so they stay near guessing (9 % each in
# full mode, chance about 1/6 and lower); the copying transforms (upper case, reversed
# words) stay at 0 for a four-layer character model. Full mode, overall: 0 % → 12.9 % on
# 240 prompts. Accuracy is bounded by what pretraining put in the model: LoRA *steers*
# features, it adds few new ones. Section 8 shows the other side: a pretrained LLM that
# knows the plays.
#
# ## 5. A rank sweep
#
# **Hypothesis.** If the task needs a low-rank change, the validation loss should barely
# improve beyond a small rank, while the trainable parameters grow linearly with $r$. We
# keep $\alpha = 16$ fixed, so the scale $\alpha/r$ shrinks as $r$ grows (section 1), and
# run the sweep a second time with $\alpha = 2r$ — a constant scale of 2, i.e. *no*
# division by $r$ — at the ranks from 8 up (at $r = 8$ the two coincide), to see what the
# division buys.

# %%
ranks = pick(full=[1, 4, 8, 32], quick=[1, 8, 32])
sweep_steps = pick(full=SFT_STEPS, quick=40)
sweep, sweep_2r = {}, {}
for r in ranks:
    if r == 8 and sweep_steps == SFT_STEPS:  # section 4's run: the same rank, alpha, steps, seed
        m, tr, s = tuned, trainer, secs
    else:
        m, tr, s = lora_run(r=r, steps=sweep_steps, alpha=16.0)
    sweep[r] = (tr.history[-1]["val_loss"], trainable_report(m)["trainable"], s)
    if r == 8:
        sweep_2r[r] = sweep[r][0]  # alpha = 2r = 16: the same run
    elif r > 8:
        _, tr2, _ = lora_run(r=r, steps=sweep_steps, alpha=2.0 * r)
        sweep_2r[r] = tr2.history[-1]["val_loss"]
    also = f", {sweep_2r[r]:.3f} with alpha=2r" if r in sweep_2r else ""
    print(f"r={r:3d}: val loss {sweep[r][0]:.3f} with alpha=16{also}; "
          f"trainable {sweep[r][1]:,}, {s:.1f} s")

fig, ax = plt.subplots(figsize=(6, 3.3))
ax.plot(ranks, [sweep[r][0] for r in ranks], "o-", label="alpha = 16 (scale 16/r)")
ax.plot(list(sweep_2r), list(sweep_2r.values()), "s--", label="alpha = 2r (scale 2)")
ax.set(xscale="log", xlabel="rank r", ylabel=f"val loss after {sweep_steps} steps",
       title="LoRA rank sweep on our model")
for r in ranks:
    ax.annotate(f"{sweep[r][1]:,} params", (r, sweep[r][0]), fontsize=7)
ax.legend(fontsize=8)
plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** With $\alpha = 16$ a larger rank lowers the loss reached in a fixed
# number of steps, but the gain per added parameter shrinks fast: the parameters grow
# linearly with $r$, the loss does not. In full mode (300 steps) the validation loss is
# 1.81, 1.67, 1.63 and 1.59 for $r$ = 1, 4, 8 and 32: going from 8 to 32 quadruples the
# trainable weights for 0.04 nats. These tasks need a low-rank change, as hypothesised.
#
# The $\alpha = 2r$ runs show what dividing by $r$ buys. Their scale stays 2, so at $r = 32$
# each step moves $BA$ about four times further than with $\alpha = 16$ (scale 0.5). In a
# short run that can look *better* — a bigger step makes faster early progress (quick mode,
# 40 steps: 0.98 against 1.11). Over a longer run the same setting overshoots: at 300 steps
# $r = 32$ with $\alpha = 2r$ ends at 2.95, against 1.59 with $\alpha = 16$ (an earlier
# 1,500-step run: 3.12 against 1.27). The learning rate was tuned at $r = 8$, and without the
# $1/r$ it is too large at higher rank.
# Two lessons follow. Keep $\alpha$ fixed when you sweep $r$, or retune the learning rate for
# every rank. And compare settings at the end of training, not after the first steps.
#
# ## 6. Full fine-tuning against LoRA
#
# **Hypothesis.** On a model this small, full fine-tuning (every weight trainable, a smaller
# learning rate) reaches a lower loss in the same number of steps; LoRA should get close
# while training a fraction of the weights and storing an adapter a fraction of the size.

# %%
torch.manual_seed(0)
full = copy.deepcopy(base_model).requires_grad_(True)
cfg = SFTConfig(steps=sweep_steps, batch_size=16, lr=2e-3, eval_every=max(1, sweep_steps // 6),
                eval_batches=2, max_len=128)
full_tr = SFTTrainer(full, codec, splits["train"], splits["valid"], cfg, template)
start = time.time()
full_tr.train()
full_secs = time.time() - start
lora_r8 = sweep.get(8) or sweep[ranks[-1]]
print(f"full FT: val loss {full_tr.history[-1]['val_loss']:.3f}, trainable "
      f"{trainable_report(full)['trainable']:,}, {full_secs:.1f} s")
print(f"LoRA r=8: val loss {lora_r8[0]:.3f}, trainable {lora_r8[1]:,}, {lora_r8[2]:.1f} s")

# %% [markdown]
# **What happened.** Full fine-tuning reaches the lower validation loss at the same number
# of steps here (full mode: 1.45 against LoRA r = 8's 1.63, training 824 k weights instead of
# 79 k): on a model this small it can also move the embeddings and the output head, which
# LoRA leaves frozen. The trade-off
# reverses with scale: at 7B, full fine-tuning needs ~116 GB (section 2) and stores a new
# 14 GB model per task, while LoRA trains 0.2 % and stores a 27 MB adapter — and its quality
# on instruction tuning is usually within a point of full fine-tuning.
#
# ## 7. The same data through PEFT and MLX
#
# Our model exports to a Hugging Face folder with its EOS token and a chat template: this
# notebook's `"Q: {prompt}\nA: {completion}<eos>"` written in Jinja (`export_with_template`
# here; `ml2llm export` does the same for a Project 14 run, adding `<|endoftext|>` when the
# tokenizer has no EOS). The *same* JSONL files then train in three stacks on the *same token
# ids*: every backend formats a record with the folder's chat template when it has one, else
# with the same `Q:/A:` text, and `ml2llm evaluate` scores the adapters in that format too.
#
# ```bash
# ml2llm pretrain --config configs/shakespeare_char.yaml --model mistral --out_dir runs/own
# ml2llm export runs/own --out runs/own_hf       # EOS, BOS, PAD and the chat template
# ml2llm finetune --make-data data/p16
# ml2llm finetune --model runs/own_hf --data data/p16 --backend torch --out runs/lora_torch
# ml2llm finetune --model runs/own_hf --data data/p16 --backend peft --out runs/lora_peft
# ml2llm finetune --model runs/own_hf --data data/p16 --backend mlx --out runs/lora_mlx
# ml2llm compare runs/own_hf runs/lora_torch --data data/p16      # Project 17
# ```
#
# `torch` is our `LoRALinear` on our model, `peft` is Hugging Face PEFT, `mlx` is `mlx_lm`'s
# LoRA layers and training loop fed the same ids as `mlx_lm lora --mask-prompt` would build.
# Each prints the loss, validation loss and tokens/s as it trains, and writes
# `finetune_result.json` with the same keys. A folder whose tokenizer names no EOS token needs
# `--eos-token TOKEN`.
#
# First the comparison with the reference library: the adapter we trained, saved in PEFT's
# format, loads into `peft.PeftModel` on the exported model and gives the same logits.

# %%
from peft import PeftModel
from transformers import AutoModelForCausalLM

hf_dir = export_with_template(base_model, tok, WORK / "own_hf", template)
save_adapter(tuned, WORK / "lora_torch", base_model_name_or_path=str(hf_dir))
write_splits(splits, WORK / "data")
peft_model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(hf_dir),
                                       WORK / "lora_torch").eval()
ids = torch.tensor([codec.encode(template.prompt(test[0]["prompt"]))])
with torch.no_grad():
    ours_logits, peft_logits = tuned(ids)[0], peft_model(input_ids=ids).logits
diff = float((ours_logits - peft_logits).abs().max())
print("max |our LoRA - PEFT| logits:", diff)
assert diff < 1e-5  # float32, same weights, different op order

# %% [markdown]
# MLX saves `lora_a` as `[in, r]` and multiplies by `scale` $=\alpha/r$;
# `ml2llm.finetune.convert` translates both ways. Section 8 trains with all three stacks —
# on a real LLM.
#
# ## 8. Your LoRA on a real LLM: SmolLM2-135M-Instruct
#
# Everything so far ran on a model you pretrained for seconds. Now the same code tunes a real
# instruction model: **SmolLM2-135M-Instruct** (Llama architecture, 30 layers, 134.5 M
# parameters, a 49 k-token BPE tokenizer and a chat template; `ml2llm model get
# smollm2-135m-instruct` converts it offline, Project 12.5 loads it into *your* `Llama`).
#
# **The task.** *"Which Shakespeare play is this line from? Answer with the exact title
# only, one of: Hamlet, Julius Caesar, King Lear, Macbeth, Othello, Romeo and Juliet."*
# The lines are split into train / valid / test **before** any prompt is built, with the
# same number of lines of each play in every split (chance: 1/6), and no test line in any
# training prompt (`ml2llm.finetune.play_task`; a test checks it). Two scores keep format
# and knowledge apart: **exact** (the answer is the title, as asked) and **lenient** (the
# first title the answer mentions is the right one).
#
# **Hypothesis.** The base model knows the format of a chat answer, not ours: it will write a
# sentence around a title, so its exact accuracy is 0 even where it knows the play. LoRA
# should teach the format within a few dozen steps; any accuracy above 1/6 after that is
# knowledge of the plays that tuning made usable.

# %%
from ml2llm.finetune.data import prompt_format
from ml2llm.finetune.play_task import build_play_task, score_play
from ml2llm.finetune.play_task import greedy_exact as task_greedy_exact
from ml2llm.finetune.sft import greedy_completions
from ml2llm.models import ensure_model, load_scratch

SMOL = ensure_model("smollm2-135m-instruct", progress=False)
smol, smol_tok = load_scratch(SMOL, progress=False)
smol_codec, smol_template = Codec(smol_tok), prompt_format(smol_tok)
play = build_play_task(n_train=pick(full=600, quick=48), n_valid=pick(full=60, quick=12),
                       n_test=pick(full=240, quick=24), seed=0)
print({k: len(v) for k, v in play.items()}, "| chance 1/6")
print(play["test"][0]["prompt"], "->", play["test"][0]["completion"])
ids = [smol_codec.encode(smol_template.prompt(r["prompt"])) for r in play["test"][:3]]
t0 = time.time()
base_said = [smol_codec.decode(s).strip()
             for s in greedy_completions(smol, ids, pick(full=16, quick=10), smol_codec.eos_id)]
print(f"base model, greedy ({time.time() - t0:.0f} s):")
for r_, a in zip(play["test"], base_said):
    print(f"  want {r_['completion']!r:20} said {a!r}")
print("exact / lenient on these:", score_play(base_said, play["test"][:3])["exact"],
      score_play(base_said, play["test"][:3])["lenient"])

# %% [markdown]
# Generating every answer costs a forward pass per new token. For *exact* match there is a
# shortcut: greedy decoding returns exactly the answer's tokens and then end-of-turn **if and
# only if**, fed the right answer (teacher forcing, as in training), the model's argmax at
# every answer position is the next answer token. One forward pass per batch, with the LM
# head at the answer positions only.
#
# ### Exercise 16.8 — Greedy exact match without generating
#
# `pred_ids[b, t]` is the argmax of the logits at position `t` of row `b` (teacher-forced);
# `labels` are the masked labels of Exercise 16.6 (`-100` on the prompt and padding). Return
# one 0/1 per row: 1 when `pred_ids[b, t] == labels[b, t + 1]` at every `t` whose label is
# not `-100`.

# %%
def greedy_exact(pred_ids, labels):
    ### BEGIN SOLUTION
    pred, target = np.asarray(pred_ids)[:, :-1], np.asarray(labels)[:, 1:]
    return ((pred == target) | (target == -100)).all(axis=1).astype(int)
    ### END SOLUTION


check("p16.greedy_exact", greedy_exact)

# %% [markdown]
# Now **your** `add_lora` (Exercise 16.4) on the real model: r = 8 on q/k/v/o, the same
# `SFTTrainer` as before (it computes the LM head only where a label is supervised: the
# same loss, a fraction of the 49 k-way logits), and your `greedy_exact` to score the
# held-out test lines before and after.

# %%
t0 = time.time()
before = task_greedy_exact(smol, smol_codec, smol_template, play["test"], match=greedy_exact)
print(f"base: exact {np.mean(before):.3f} on {len(before)} test lines ({time.time() - t0:.0f} s)")
torch.manual_seed(0)
add_lora(smol, ["q_proj", "k_proj", "v_proj", "o_proj"], r=8, alpha=16)
smol_steps = pick(full=30, quick=3)
cfg = SFTConfig(steps=smol_steps, batch_size=pick(full=8, quick=4), lr=1e-3,
                eval_every=smol_steps, eval_batches=2, max_len=128)
smol_tr = SFTTrainer(smol, smol_codec, play["train"], play["valid"], cfg, smol_template)
t0 = time.time()
smol_tr.train()
smol_secs = time.time() - t0
after = task_greedy_exact(smol, smol_codec, smol_template, play["test"], match=greedy_exact)
print(f"your LoRA, {smol_steps} steps in {smol_secs:.0f} s ({smol_secs / smol_steps:.1f} s/step): "
      f"exact {np.mean(before):.3f} -> {np.mean(after):.3f}, "
      f"val loss {smol_tr.history[-1]['val_loss']:.3f}")
if QUICK:
    print("quick mode: a handful of steps on a handful of lines shows the pipeline, not the "
          "result; full mode (30 steps of 8, 240 test lines) is what the README reports")

# %% [markdown]
# **What happened.** The base model scores 0 exact: it answers in sentences. In full mode
# your LoRA learns the one-title format within the first few dozen steps, and the exact
# score rises above chance (1/6): knowledge of the plays that the base model had but could
# not express in our format, plus some learned from 600 lines. Project 17 puts confidence
# intervals on the difference and checks what tuning cost.
#
# ### The same run in three stacks
#
# The same data, token ids, prompt mask, rank, targets, steps, batch and learning-rate
# schedule through `ml2llm finetune`'s three backends: our `LoRALinear` in our `Llama`,
# PEFT on Hugging Face's `LlamaForCausalLM`, and `mlx_lm` (CPU here). Every adapter is then
# loaded into our model — the MLX one through `mlx_to_peft` — and scored the same way.

# %%
from ml2llm.finetune.real_llm import score_adapter, tune_three_ways

# "ours" is the run you just made (same settings as the torch backend); PEFT and MLX train now
mean_len = np.mean([len(ids) for ids, _ in smol_tr.train_examples])
three = {"ours": {"exact": float(np.mean(after)), "val_loss": smol_tr.history[-1]["val_loss"],
                  "tokens_per_second": mean_len * cfg.batch_size * smol_steps / smol_secs,
                  "seconds_per_step": smol_secs / smol_steps}}
three.update(tune_three_ways(SMOL, play, WORK / "smol", backends=("peft", "mlx"), steps=smol_steps,
                             batch_size=cfg.batch_size, lr=cfg.lr, max_len=cfg.max_len,
                             log=print if not QUICK else None))
print(f"{'backend':8} {'exact':>6} {'val loss':>9} {'tok/s':>7} {'s/step':>7}")
for name, res in three.items():
    if "exact" not in res:  # scored like yours: loaded into our Llama, greedy exact match
        res["exact"] = float(np.mean(score_adapter(SMOL, res["adapter"], play["test"], backend=name)))
    print(f"{name:8} {res['exact']:6.3f} {res['val_loss']:9.3f} "
          f"{res['tokens_per_second'] or float('nan'):7.0f} {res['seconds_per_step']:7.1f}")

# %% [markdown]
# The three backends train the same function on the same ids. In full mode ours and PEFT land
# within a line or two of each other (0.233 and 0.229 in the README's run, with CIs); `mlx_lm`
# ends a little lower (0.183, overlapping CIs) with a higher, noisier loss: it gets the same
# ids and mask, but draws its batches its own way (from length-sorted examples). Tokens/s
# differ more: `mlx_lm` computes the full 49 k-way logits at every position, our trainer
# and PEFT's (through the same `SFTTrainer`) only at the answer.
#
# **A lesson in where speed comes from.** On a Linux CPU the `mlx-cpu` wheel ships netlib's
# *reference* BLAS, whose matrix product is a plain triple loop: one LoRA step on SmolLM2
# (batch 8 × 128) took **282 s** in `mlx_lm`, against 9 s in PyTorch on the same busy machine.
# Same model, same arithmetic; only the matrix-multiply library differs. `import ml2llm` now
# binds MLX's products to the MKL that PyTorch already carries (`ml2llm.mlx_blas`, before
# `mlx` loads); on a quiet machine the step then takes **8.5 s** against PyTorch's 3.8 s
# (`benchmarks/bench_lora.py --smollm2`; `benchmarks/bench_mlx_blas.py` times the products
# alone). On a Mac, MLX uses Apple's Accelerate and the GPU, and none of this applies.

# %% [markdown]
# ## 9. The real thing: Mistral-7B
#
# The pipeline is model-agnostic: point `--model` at a Mistral checkpoint you have locally
# (or in your Hugging Face cache) and use a real chat template (Mistral's tokenizer has one).
#
# **Apple Silicon, MLX, 4-bit (QLoRA-style).** On a 16 GB+ M-series Mac:
#
# ```bash
# pip install mlx-lm
# python -m mlx_lm convert --hf-path mistralai/Mistral-7B-Instruct-v0.3 -q --q-bits 4 \
#        --mlx-path mistral-7b-4bit                      # ~4 GB of weights
# ml2llm finetune --model mistral-7b-4bit --data data/p16 --backend mlx \
#        --rank 16 --alpha 32 --targets q_proj,k_proj,v_proj,o_proj --steps 600 --batch-size 4
# python -m mlx_lm generate --model mistral-7b-4bit --adapter-path runs/finetune \
#        --prompt 'Which play is this from? "To be, or not to be"'
# ```
#
# Expect about 6–8 GB peak memory and roughly 250–400 tokens/s on an M2 Pro (about
# 15–25 minutes for 600 steps of 4 × 256 tokens); unquantised bf16 needs ~18 GB.
#
# **CUDA, PEFT.** On one 24 GB+ GPU in bf16:
#
# ```bash
# ml2llm finetune --model mistralai/Mistral-7B-v0.1 --data data/p16 --backend peft \
#        --rank 16 --alpha 32 --targets q_proj,k_proj,v_proj,o_proj --steps 600 --batch-size 4
# ```
#
# Expect ~16 GB for the bf16 weights plus activations: the project's reference for one
# step on an H100 (r = 16 on q/k/v/o, batch 4 × 512, bf16) is 0.205 s/step (~10 k
# tokens/s) at 25.1 GB peak, or 0.50 s/step at 15.1 GB with gradient checkpointing —
# about 2 minutes for 600 steps. `--backend torch` runs our `LoRALinear` on the same
# checkpoint (loaded into our Mistral class); `benchmarks/bench_lora.py` compares the two.
# (`ml2llm finetune --make-data data/p16` writes the Shakespeare tasks.)

# %% [markdown]
# ## What you learned
#
# - [LoRA](../../../docs/GLOSSARY.md#lora) replaces a full update $\Delta W$ with $\frac{\alpha}{r}BA$:
#   $r(d_\text{in}+d_\text{out})$ trainable numbers per matrix, $B=0$ so training starts at the
#   pretrained model, $\alpha/r$ so the learning rate does not depend on the rank.
# - After training the update **merges** into $W$ (no inference cost) and unmerges to float
#   rounding (the weight comes back within ~1e-7 in float32).
# - For Mistral-7B: ~116 GB to fine-tune everything, ~15 GB with LoRA, ~5 GB with a 4-bit
#   base (quantization).
# - [Instruction tuning](../../../docs/GLOSSARY.md#instruction-tuning) is next-token training on
#   formatted (prompt, answer) pairs with a chat template
#   and [prompt masking](../../../docs/GLOSSARY.md#prompt-masking) (labels −100): the loss is on the answer only.
# - Your own Shakespeare model went from 0 % to a clear share of held-out prompts right with
#   a few hundred LoRA steps (the format task almost perfectly, "which play" barely above
#   guessing: LoRA steers what pretraining learned); larger ranks bought little; full
#   fine-tuning learns faster on a tiny model and is
#   unaffordable on a big one.
# - The same adapter is the same function in our code, PEFT and MLX (logits equal to
#   1e-5): only the storage layout differs ($A$ as `[r, in]` vs `[in, r]`, $\alpha$ vs scale).
# - On a real LLM (SmolLM2-135M-Instruct) the same LoRA code teaches a strict answer format
#   the base model never uses (its exact match is 0; the README has the full-mode figures
#   per backend, with confidence intervals), and greedy
#   exact match is one teacher-forced forward pass, not a generation loop.
#
# **Next:** Project 17 measures what tuning changed: held-out instruction accuracy,
# forgetting on the original domain, and side-by-side samples of the base and tuned models.
