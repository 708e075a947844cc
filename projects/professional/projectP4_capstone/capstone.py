# %% [markdown]
# # Project P4 — Capstone: ship one model
#
# You can now build a model (Phase 1), test it (P1), track and monitor it (P2), and audit it
# for fairness, explanations and privacy (P3). Shipping means doing all of them **for one
# model, in one place, in an order that someone else can repeat**. This capstone gives you
# the template and the checklist, three small pieces of release machinery to write yourself,
# and a worked example on Project 11's penguins pipeline that runs the whole checklist in one
# call: `ml2llm.pro.capstone.ship_penguins`.
#
# Then do it again on a model of your own choice (the template at the end): that is the
# real capstone.
#
# **Prerequisites:** P1, P2, P3 and Project 11. **Time:** about 15 hours (most of it on your
# own model). Read [PROFESSIONAL_TOPICS_OVERVIEW.md](../../../docs/PROFESSIONAL_TOPICS_OVERVIEW.md)
# for how the pieces fit and a suggested timeline.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import json
import tempfile

import matplotlib.pyplot as plt
import numpy as np

from ml2llm import check, is_quick
from ml2llm.quickmode import pick
from ml2llm.pro import capstone
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. The checklist
#
# Each line is something a reviewer can verify by opening a file, not a good intention. The
# last column says where in this curriculum you learned it.

# %%
for stage, item, where in capstone.CHECKLIST:
    print(f"[{stage:>10}] {item}  (Project {where})")

# %% [markdown]
# ## 2. The release gate
#
# A release is a decision, so write its rule down *before* you see the numbers: each metric
# gets a threshold, `("min", v)` for "at least v" (accuracy, worst-group accuracy, invariance
# rate) or `("max", v)` for "at most v" (log-loss, latency). A metric that is missing or NaN
# fails: an evaluation that silently did not run must never look like a pass.
#
# ### Exercise P4.1 — Release decision
#
# Return `(ship, failures)`: `failures` is the sorted list of metric names that fail their
# threshold; `ship` is `True` only when it is empty. Thresholds are inclusive.

# %%
def release_decision(metrics, thresholds):
    ### BEGIN SOLUTION
    failures = []
    for name, (kind, limit) in thresholds.items():
        value = metrics.get(name)
        if value is None or value != value:  # missing or NaN
            failures.append(name)
        elif (kind == "min" and value < limit) or (kind == "max" and value > limit):
            failures.append(name)
    return not failures, sorted(failures)
    ### END SOLUTION


check("pp4.release_decision", release_decision)

# %% [markdown]
# ## 3. The monitoring profile
#
# Drift monitoring (P2) compares production inputs with the training distribution. You do
# not want to ship the training data with the model just for that, and you do not need to:
# PSI only needs, per feature, the bin edges and the fraction of training data in each bin.
# That **profile** is a few numbers per feature, it goes into `monitoring.json` next to the
# model, and it gives exactly the same PSI as the raw data would.
#
# ### Exercise P4.2 — Profile one feature
#
# Drop missing values; inner edges `np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1])`;
# fractions from `np.bincount(np.searchsorted(edges, x, side="right"), minlength=n_bins)`
# divided by the number of present values. Return `(edges, fractions)`.

# %%
def feature_profile(values, n_bins=10):
    ### BEGIN SOLUTION
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    edges = np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1])
    counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=n_bins)
    return edges, counts / len(x)
    ### END SOLUTION


check("pp4.feature_profile", feature_profile)

# %% [markdown]
# ### Exercise P4.3 — PSI against a stored profile
#
# $\mathrm{PSI} = \sum_k (a_k - e_k)\ln(a_k/e_k)$ with $e$ the stored fractions and $a$ the
# fractions of the new (non-missing) values in the same bins; clip both at $10^{-4}$.

# %%
def psi_from_profile(edges, fractions, values):
    ### BEGIN SOLUTION
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    a = np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(fractions)) / len(x)
    a, e = np.clip(a, 1e-4, None), np.clip(np.asarray(fractions, dtype=float), 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))
    ### END SOLUTION


check("pp4.psi_from_profile", psi_from_profile)

# %% [markdown]
# ## 4. The worked example: shipping the penguin classifier
#
# `ship_penguins(folder)` runs the checklist on Project 11's pipeline:
#
# 1. **validate** the raw table with P1's column schema (refuses to train on a broken table);
# 2. split off a **test set** (25 %, stratified) and never look at it until the end;
# 3. **select** among your Phase 1 classifiers by stratified k-fold CV accuracy on the
#    training part, logging every candidate as an MLflow run (P2);
# 4. refit the winner, evaluate on the test set: accuracy, log-loss, **per-group accuracy** by
#    island and sex (P3), and an **invariance test** (0.1 mm of noise) (P1);
# 5. apply the **release gate** (your `release_decision`, from the library);
# 6. save the model as JSON with its **SHA-256**, log and **register** it (alias `champion`
#    when the gate passes);
# 7. write the **model card** and the **monitoring plan** with per-feature profiles.
#
# *Hypothesis:* on penguins, the gate passes with room to spare (test accuracy ≈ 0.99), and
# the weakest group is still above 0.9.

# %%
out = tempfile.TemporaryDirectory()
folder = Path(out.name)
candidates = pick(["logistic regression", "softmax regression", "decision tree"],
                  ["logistic regression", "decision tree"])
summary = capstone.ship_penguins(folder, n_splits=pick(5, 3), candidates=candidates)
print("selected:", summary["best"], "| ship:", summary["ship"], "| failures:", summary["failures"])
print("metrics:", {k: round(v, 4) for k, v in summary["metrics"].items()})
print("files:", sorted(p.name for p in folder.iterdir()))

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
labels = list(summary["cv"])
axes[0].barh(labels, [summary["cv"][k][0] for k in labels], xerr=[summary["cv"][k][1] for k in labels])
axes[0].set(xlim=(0.8, 1.0), xlabel="CV accuracy (mean ± std over folds)", title="Model selection (training data only)")
groups = summary["groups"]
axes[1].barh(list(groups), [a for a, _ in groups.values()])
axes[1].axvline(0.90, color="red", ls="--", lw=0.8, label="gate: worst group ≥ 0.90")
axes[1].set(xlim=(0.8, 1.01), xlabel="test accuracy", title="Per-group accuracy (held-out test set)")
axes[1].legend(fontsize=8); plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** The gate passed: test accuracy and every group's accuracy are well above
# their thresholds, and 0.1 mm of noise changes no prediction. But read the model card's
# limitation line: with about 86 test penguins one mistake moves accuracy by more than a
# point, and the smallest group (Torgersen) has about a dozen birds, so its perfect score is
# weak evidence. A gate on a tiny group needs a confidence interval, not just a point estimate.
#
# Here is the model card the release wrote (its SHA-256 lets the loader refuse a modified file):

# %%
print((folder / "model_card.md").read_text())

# %% [markdown]
# ## 5. The monitoring plan in action
#
# The release stored a profile of every measurement. A monitor needs only that file and the
# new data. We simulate eight weeks of production: weeks 1–4 look like the training data,
# in week 5 a new field team starts measuring flippers with a slightly different method
# (+6 mm), and in week 7 a software update sends body mass in **kilograms** for a third of
# the rows.
#
# *Hypothesis:* PSI stays below the 0.1 "watch" line for four weeks, flipper length crosses
# the alert line from week 5, and body mass explodes in week 7, while the untouched bill
# measurements stay quiet. (P1's column validation would *also* block the kilograms: two
# independent guards.)

# %%
from ml2llm.classical.penguins import NUMERIC, load_penguins

monitoring = json.loads((folder / "monitoring.json").read_text())
df = load_penguins()
rng = np.random.default_rng(0)
weeks = 8
history = {c: [] for c in NUMERIC}
for week in range(1, weeks + 1):
    # new birds from the same population (resampled; measurements keep their 1 mm / 0.1 mm
    # resolution: jittering them would itself move mass across tied bin edges)
    batch = df.sample(pick(500, 400), replace=True, random_state=week).reset_index(drop=True)
    if week >= 5:
        batch["flipper_length_mm"] += 6.0
    if week >= 7:
        rows = rng.uniform(size=len(batch)) < 1 / 3
        batch.loc[rows, "body_mass_g"] = batch.loc[rows, "body_mass_g"] / 1000
    for c in NUMERIC:
        prof = monitoring["features"][c]
        history[c].append(capstone.psi_from_profile(prof["edges"], prof["fractions"], batch[c].to_numpy(dtype=float)))

fig, ax = plt.subplots(figsize=(7, 3.5))
for c in NUMERIC:
    ax.plot(range(1, weeks + 1), np.maximum(history[c], 1e-4), "o-", label=c)
ax.axhline(monitoring["psi_warn"], color="orange", ls="--", lw=0.8, label="warn 0.1")
ax.axhline(monitoring["psi_alert"], color="red", ls="--", lw=0.8, label="alert 0.2")
ax.set(yscale="log", xlabel="week", ylabel="PSI vs training profile", title="Monitoring from monitoring.json alone")
ax.legend(fontsize=7); plt.show()
for c in NUMERIC:
    print(f"{c:<18}", " ".join(f"{v:6.3f}" for v in history[c]))
print("actions:", monitoring["actions"])
out.cleanup()

# %% [markdown]
# **What happened.** For four weeks every feature sits near PSI 0.01–0.06 (sampling noise).
# From week 5 flipper length jumps above the alert line: a 6 mm shift is under half of the
# feature's spread (about 14 mm), the size PSI was designed to flag. In week 7 body mass goes off the scale,
# since a third of the rows land in the bottom bin. Bill measurements never move. The plan
# in `monitoring.json` says what to do next (look, then freeze retraining and collect labels),
# and that decision was written down at release time, not improvised during the incident.

# %% [markdown]
# ## 6. Your turn: the capstone template
#
# Pick one model from the curriculum (or your own data) and produce, in one folder:
#
# | deliverable | done when | tools |
# |---|---|---|
# | `pipeline` | raw rows → prediction in one object; saved without pickle | Project 11, `save_model` |
# | `tests/` | schema validation, ≥ 1 property test, invariance + directional tests, a regression test against the stored baseline, an overfit-one-batch test if it trains by gradient descent | P1, `ml2llm.pro.testing` |
# | tracking | every run in a local MLflow store; the shipped model registered with an alias | P2, `ml2llm.pro.mlops` |
# | release gate | thresholds written *before* evaluation, including a worst-group metric | P4 `release_decision` |
# | `model_card.md` | intended use, data, metrics with uncertainty, per-group results, SHAP or permutation importances, limits, SHA-256 | Project 11, P3 |
# | `monitoring.json` | per-feature profiles, thresholds, schedule, actions, ground-truth plan | P2, P4 |
#
# Review it with the checklist at the top. If a line is not verifiable from a file, it is not done.
#
# ## What you learned
#
# - A release is a checklist of verifiable artifacts: pipeline, tests, tracking, model card,
#   monitoring plan.
# - A release gate is written before the evaluation; missing metrics fail.
# - A stored quantile profile is all a drift monitor needs, and it gives the same PSI as the
#   raw training data.
# - The worked example ships the penguin classifier end to end in one call, and its monitor
#   catches a measurement-method change and a unit bug from `monitoring.json` alone.
