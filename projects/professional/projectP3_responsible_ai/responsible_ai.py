# %% [markdown]
# # Project P3 — Responsible AI: fairness, explainability, privacy
#
# A model can be accurate and still harmful: it can deny loans to one group for reasons that
# came from biased history, nobody can say *why* it decided, and it can leak whether a
# person was in its training data. Each of these has a measurable definition, and each
# definition fits in a few lines of NumPy. You will write them, prove them equal to the
# reference libraries (fairlearn, shap, scikit-learn), and then run experiments that show
# what the fixes buy and what they cost.
#
# 1. **Fairness:** [demographic parity](../../../docs/GLOSSARY.md#demographic-parity) and
#    [equalized odds](../../../docs/GLOSSARY.md#equalized-odds); mitigation by reweighing
#    the training data and by per-group [decision thresholds](../../../docs/GLOSSARY.md#decision-threshold).
# 2. **Explainability:** permutation [feature importance](../../../docs/GLOSSARY.md#feature-importance)
#    and [SHAP values](../../../docs/GLOSSARY.md#shap-value) by Kernel SHAP.
# 3. **Privacy:** randomized response, [differential privacy](../../../docs/GLOSSARY.md#differential-privacy)
#    by clipping and noising per-example gradients on your NumPy MLP (Project 11.5), and a
#    [membership-inference](../../../docs/GLOSSARY.md#membership-inference) attack.
#
# **Prerequisites:** Projects 02 (logistic regression), 07 (metrics), 11.5 (the NumPy MLP).
# **Time:** about 10 hours. The [RESPONSIBLE_AI_GUIDE.md](../../../docs/RESPONSIBLE_AI_GUIDE.md)
# discusses what the numbers cannot tell you.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import math
from itertools import product

import matplotlib.pyplot as plt
import numpy as np

from ml2llm import check, is_quick
from ml2llm.classical.logistic_regression import LogisticRegression
from ml2llm.quickmode import pick
from ml2llm.pro import responsible as rai
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. A lending model that learned a biased history
#
# `make_loans` generates applicants with four financial features and a group $A \in \{0, 1\}$.
# Repayment ability depends only on the finances, but the **recorded labels** are past
# approval decisions that penalised group 1. Group 1 also has slightly lower income on
# average, a realistic complication: part of the gap in approval rates is legitimate, part
# is the recorded bias. We keep the unbiased labels `y_fair` to evaluate against (in real
# life you never have them; here they let us see the truth).

# %%
X, y, group, y_fair = rai.make_loans(pick(4000, 2000), bias=1.0, random_state=0)
names = ["income", "savings", "debt", "years_employed", "neighbourhood", "group"]
half = len(y) // 2
Xtr, ytr, gtr = X[:half], y[:half], group[:half]
Xte, yte, gte, yfte = X[half:], y[half:], group[half:], y_fair[half:]
model = LogisticRegression().fit(Xtr, ytr)
pred = model.predict(Xte)
print("recorded approval rate by group:", {int(k): round(v, 3) for k, v in rai.selection_rates(yte, gte).items()})
print("fair approval rate by group:    ", {int(k): round(v, 3) for k, v in rai.selection_rates(yfte, gte).items()})
print("model's coefficient on `group`:", round(float(model.coef_[0, -1]), 2))

# %% [markdown]
# ### Demographic parity
#
# A classifier satisfies **demographic parity** when every group is selected at the same rate,
# $P(\hat Y = 1 \mid A = a) = P(\hat Y = 1)$ for all $a$. The usual summary is the largest gap:
#
# $$\Delta_{\mathrm{DP}} = \max_a P(\hat Y=1 \mid A=a) - \min_a P(\hat Y=1 \mid A=a).$$
#
# It ignores the true labels entirely: that is its strength (no trust in biased labels needed)
# and its weakness (if base rates really differ, parity forces errors).
#
# ### Exercise P3.1 — Demographic parity difference
#
# `y_pred` holds 0/1 predictions, `sensitive` the group of each sample (any labels, any number
# of groups). Return $\Delta_{\mathrm{DP}}$ as a float.

# %%
def demographic_parity_difference(y_pred, sensitive):
    ### BEGIN SOLUTION
    rates = [y_pred[sensitive == g].mean() for g in np.unique(sensitive)]
    return float(max(rates) - min(rates))
    ### END SOLUTION


check("pp3.demographic_parity", demographic_parity_difference)

# %% [markdown]
# ### Equalized odds
#
# **Equalized odds** asks for equal error rates instead: the same true-positive rate and the
# same false-positive rate in every group, $P(\hat Y=1 \mid Y=y, A=a)$ equal across $a$ for
# $y \in \{0, 1\}$. Summary: the worse of the two gaps,
#
# $$\Delta_{\mathrm{EO}} = \max\big(\max_a \mathrm{TPR}_a - \min_a \mathrm{TPR}_a,\;
#   \max_a \mathrm{FPR}_a - \min_a \mathrm{FPR}_a\big).$$
#
# (Equal opportunity is the TPR half alone.)
#
# ### Exercise P3.2 — Equalized odds difference
#
# TPR of a group: mean of `y_pred` over its samples with `y_true == 1`; FPR: over its samples
# with `y_true == 0`.

# %%
def equalized_odds_difference(y_true, y_pred, sensitive):
    ### BEGIN SOLUTION
    tpr, fpr = [], []
    for g in np.unique(sensitive):
        m = sensitive == g
        tpr.append(y_pred[m & (y_true == 1)].mean())
        fpr.append(y_pred[m & (y_true == 0)].mean())
    return float(max(max(tpr) - min(tpr), max(fpr) - min(fpr)))
    ### END SOLUTION


check("pp3.equalized_odds", equalized_odds_difference)

# %% [markdown]
# **Compare with fairlearn** on the model's predictions (evaluated against the *fair* labels).

# %%
from fairlearn.metrics import demographic_parity_difference as fl_dp
from fairlearn.metrics import equalized_odds_difference as fl_eo

ours = rai.demographic_parity_difference(pred, gte), rai.equalized_odds_difference(yfte, pred, gte)
ref = fl_dp(yfte, pred, sensitive_features=gte), fl_eo(yfte, pred, sensitive_features=gte)
print(f"demographic parity: ours {ours[0]:.6f}  fairlearn {ref[0]:.6f}")
print(f"equalized odds:     ours {ours[1]:.6f}  fairlearn {ref[1]:.6f}")
assert np.allclose(ours, ref, atol=1e-12)  # same counts, same divisions

# %% [markdown]
# ## 2. Mitigation
#
# **Reweighing (pre-processing).** Kamiran and Calders make the label statistically independent
# of the group *in the training data* by weighting each (group, label) cell by expected over
# observed frequency:
#
# $$w(a, y) = \frac{P(A=a)\,P(Y=y)}{P(A=a,\,Y=y)}.$$
#
# Under-represented cells (group 1 approved) weigh more, over-represented ones less; your
# logistic regression takes them as `sample_weight`.
#
# ### Exercise P3.3 — Reweighing weights
#
# Return one weight per sample.

# %%
def reweighing_weights(y, sensitive):
    ### BEGIN SOLUTION
    w = np.empty(len(y))
    for g in np.unique(sensitive):
        for label in (0, 1):
            cell = (sensitive == g) & (y == label)
            if cell.any():
                w[cell] = (sensitive == g).mean() * (y == label).mean() / cell.mean()
    return w
    ### END SOLUTION


check("pp3.reweighing", reweighing_weights)

# %% [markdown]
# **Per-group thresholds (post-processing).** Keep the model, change the decision: pick a
# threshold per group so each group gets the same selection rate (demographic parity), or the
# same true-positive rate (equal opportunity). It is simple and effective, and it uses the
# group at decision time, which some laws forbid: a reminder that fairness is not only maths.
#
# **Experiment — which fix works?** *Hypothesis:* (a) simply dropping the `group` column
# ("fairness through unawareness") will leave a gap, because income is a proxy for the group;
# (b) reweighing will shrink the gap but not close it; (c) per-group thresholds will close the
# gap they target, at some cost in accuracy against the recorded labels (but not necessarily
# against the fair ones).

# %%
def evaluate(name, y_hat):
    return {
        "name": name,
        "DP gap": rai.demographic_parity_difference(y_hat, gte),
        "EO gap (fair labels)": rai.equalized_odds_difference(yfte, y_hat, gte),
        "accuracy (recorded)": float(np.mean(y_hat == yte)),
        "accuracy (fair)": float(np.mean(y_hat == yfte)),
    }


scores = model.predict_proba(Xte)[:, 1]
unaware = LogisticRegression().fit(Xtr[:, :-1], ytr)
reweighed = LogisticRegression().fit(Xtr, ytr, sample_weight=rai.reweighing_weights(ytr, gtr))
rate = float(pred.mean())
t_dp = rai.group_thresholds(scores, gte, rate=rate)
# equal opportunity needs labels: thresholds are set on the training half, applied to the test half
t_eo = rai.group_thresholds(model.predict_proba(Xtr)[:, 1], gtr, rate=0.85, y_true=ytr)
rows = [
    evaluate("baseline", pred),
    evaluate("drop `group`", unaware.predict(Xte[:, :-1])),
    evaluate("reweighing", reweighed.predict(Xte)),
    evaluate("thresholds: parity", rai.apply_group_thresholds(scores, gte, t_dp)),
    evaluate("thresholds: equal TPR", rai.apply_group_thresholds(scores, gte, t_eo)),
    evaluate("trained on fair labels", LogisticRegression().fit(Xtr, y_fair[:half]).predict(Xte)),
]
for row in rows:
    print(f"{row['name']:<24} " + "  ".join(f"{k} {v:.3f}" for k, v in row.items() if k != "name"))

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
ypos = np.arange(len(rows))
for ax, keys in zip(axes, (["DP gap", "EO gap (fair labels)"], ["accuracy (recorded)", "accuracy (fair)"])):
    for k, key in enumerate(keys):
        ax.barh(ypos + 0.4 * k, [row[key] for row in rows], height=0.4, label=key)
    ax.set_yticks(ypos + 0.2, [row["name"] for row in rows]); ax.invert_yaxis(); ax.legend(fontsize=8)
axes[0].set(title="Fairness gaps (lower is fairer)"); axes[1].set(title="Accuracy", xlim=(0.5, 1.0))
plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** (Numbers from the quick run; the full run is similar.) The baseline's
# approval gap is about 0.25 against a "fair" gap of about 0.09 (the model trained on the
# unbiased labels: group 1 really has lower income on average). Dropping the `group` column
# removes only part of the excess, to about 0.15: the neighbourhood score is a proxy and the
# model rebuilds the bias from it. Reweighing lands in the same place (about 0.17). Parity
# thresholds close the DP gap exactly and, here, also *raise* accuracy against the fair
# labels while lowering it against the recorded ones: the "cost" of fairness is partly
# disagreement with a biased history. Equal-TPR thresholds fitted on the **recorded** labels
# barely help (EO gap about 0.29 against fair labels): equalising error rates measured on
# biased labels reproduces the bias. No single fix dominates, and demographic parity and
# equalized odds cannot both be zero when base rates differ; you must choose, and write the
# choice and its reason in the model card.

# %% [markdown]
# ## 3. Explainability
#
# ### Permutation importance
#
# How much does the model rely on feature $j$? Shuffle column $j$ (breaking its link with
# the label while keeping its distribution), and measure how much the score drops:
#
# $$I_j = s(X, y) - \frac1R \sum_{r=1}^{R} s\big(X^{(j,\pi_r)}, y\big),$$
#
# where $X^{(j,\pi)}$ is $X$ with column $j$ permuted by $\pi$. It works for any model and any
# score, and measures reliance *of this model*, not truth about the world; correlated features
# share (and hide) importance.
#
# ### Exercise P3.4 — Permutation importance
#
# `score_fn(X, y)` returns a score (higher is better); `permutations` has shape
# `(R, n_samples)`: use the same $R$ shuffles for every column. Return the mean drop per
# feature, shape `(n_features,)`. Never modify `X`.

# %%
def permutation_importance(score_fn, X, y, permutations):
    ### BEGIN SOLUTION
    base = score_fn(X, y)
    out = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        for perm in permutations:
            Xp = X.copy()
            Xp[:, j] = X[perm, j]
            out[j] += (base - score_fn(Xp, y)) / len(permutations)
    return out
    ### END SOLUTION


check("pp3.permutation_importance", permutation_importance)

# %% [markdown]
# **Compare with scikit-learn.** Different random shuffles, so we compare means within a few
# standard errors, not digit by digit.

# %%
from sklearn.inspection import permutation_importance as sk_permutation_importance

R = pick(20, 8)
ours = rai.permutation_importance(lambda A, b: model.score(A, b), Xte, yte, n_repeats=R, random_state=0)
sk = sk_permutation_importance(model, Xte, yte, n_repeats=R, random_state=0)
se = np.sqrt((ours["importances_std"] ** 2 + sk.importances_std**2) / R)
for name, a, b, e in zip(names, ours["importances_mean"], sk.importances_mean, se):
    print(f"{name:<15} ours {a:.4f}  sklearn {b:.4f}  (|diff| / s.e. = {abs(a - b) / max(e, 1e-12):.1f})")
assert np.all(np.abs(ours["importances_mean"] - sk.importances_mean) <= 4 * se + 2e-3)

# %% [markdown]
# ### Kernel SHAP
#
# Permutation importance is global. **SHAP values** explain one prediction: they split
# $f(x) - \mathbb E[f]$ into one share per feature, the Shapley values of a cooperative game
# whose "players" are the features. A coalition $S$ of features is worth
#
# $$v(S) = \mathbb E_{b \sim \text{background}}\; f(x_S, b_{\bar S}),$$
#
# the average prediction when the features in $S$ take $x$'s values and the rest come from
# background rows. Lundberg and Lee showed that the Shapley values are the solution of a
# **weighted linear regression** over coalitions $z \in \{0,1\}^M$:
#
# $$\min_{\phi}\sum_{z} \pi(z)\,\big(v(z) - \phi_0 - z^\top\phi\big)^2, \qquad
#   \pi(z) = \frac{M-1}{\binom{M}{|z|}\,|z|\,(M-|z|)},$$
#
# with $\phi_0 = v(\varnothing)$ and the constraint $\sum_j\phi_j = f(x) - \phi_0$ (the empty
# and full coalitions have infinite weight). With $M$ small we enumerate all $2^M$ coalitions,
# and the result is exact.
#
# ### Exercise P3.5 — Kernel SHAP by enumeration
#
# `f` maps an `(n, M)` array to `(n,)`. Steps: build all coalitions
# (`itertools.product((0, 1), repeat=M)`), their values $v$ (for each coalition:
# `np.where(z == 1, x, background)` then the mean of `f`), then eliminate the constraint by
# substituting $\phi_M = f(x) - \phi_0 - \sum_{j<M}\phi_j$ and solve the weighted least squares
# for $\phi_1..\phi_{M-1}$ with `np.linalg.lstsq` on rows scaled by $\sqrt{\pi}$. Return
# `(phi, phi0)`.
#
# <details><summary>Hint: the substitution</summary>
#
# $v - \phi_0 - z^\top\phi = \big(v - \phi_0 - z_M (f(x) - \phi_0)\big) - (z_{1..M-1} - z_M)^\top \phi_{1..M-1}$.
# </details>

# %%
def kernel_shap(f, x, background):
    ### BEGIN SOLUTION
    M = len(x)
    Z = np.array(list(product((0, 1), repeat=M)), dtype=float)
    v = np.array([f(np.where(z == 1, x, background)).mean() for z in Z])
    phi0, fx = v[0], v[-1]
    Zi, vi = Z[1:-1], v[1:-1]
    k = Zi.sum(axis=1)
    w = (M - 1) / (np.array([math.comb(M, int(s)) for s in k]) * k * (M - k))
    A = Zi[:, :-1] - Zi[:, -1:]
    t = vi - phi0 - Zi[:, -1] * (fx - phi0)
    head = np.linalg.lstsq(A * np.sqrt(w)[:, None], t * np.sqrt(w), rcond=None)[0]
    return np.append(head, fx - phi0 - head.sum()), float(phi0)
    ### END SOLUTION


check("pp3.kernel_shap", kernel_shap)

# %% [markdown]
# **Compare with shap.** `shap.KernelExplainer` enumerates every coalition when its sample
# budget allows, so the two must agree to rounding. Then: *hypothesis* — for a group-1
# applicant who was refused, the biased model's SHAP values will show a large negative share
# for `group` itself, while the reweighed model's share will be smaller.

# %%
import shap

background = Xtr[: pick(50, 25)]
f_base = lambda Z: model.predict_proba(Z)[:, 1]
f_rw = lambda Z: reweighed.predict_proba(Z)[:, 1]
i = int(np.flatnonzero((gte == 1) & (pred == 0) & (yfte == 1))[0])  # refused, fairly deserving
phi_b, phi0_b = rai.kernel_shap(f_base, Xte[i], background)
phi_r, phi0_r = rai.kernel_shap(f_rw, Xte[i], background)
explainer = shap.KernelExplainer(f_base, background)
phi_shap = explainer.shap_values(Xte[i : i + 1], nsamples=2**6 + 50, silent=True)[0]
print("ours :", np.round(phi_b, 4), " phi0", round(phi0_b, 4))
print("reweighed model:", np.round(phi_r, 4))
print("shap :", np.round(phi_shap, 4), " phi0", round(float(explainer.expected_value), 4))
assert np.allclose(phi_b, phi_shap, atol=1e-8)  # same coalitions, same least squares

fig, ax = plt.subplots(figsize=(6, 3))
yy = np.arange(len(names))
ax.barh(yy - 0.2, phi_b, height=0.4, label=f"baseline (f(x) = {phi0_b + phi_b.sum():.2f})")
ax.barh(yy + 0.2, phi_r, height=0.4, label=f"reweighed (f(x) = {phi0_r + phi_r.sum():.2f})")
ax.set_yticks(yy, names); ax.axvline(0, color="k", lw=0.8); ax.invert_yaxis()
ax.set(xlabel="SHAP value (change in approval probability)", title="Why was this applicant refused?")
ax.legend(fontsize=8); plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** Our values equal shap's to $10^{-8}$. For this applicant the `group`
# feature alone takes a large bite out of the approval probability under the baseline model;
# under the reweighed model that bite is smaller. SHAP makes the bias *visible per decision*,
# which is what an affected person (or a regulator) asks for. Caveat: with correlated
# features, "set the others to background values" creates unrealistic applicants, so read
# SHAP values as statements about the model, not about causes in the world.

# %% [markdown]
# ## 4. Privacy
#
# ### Randomized response
#
# The oldest privacy mechanism (Warner, 1965): to ask a sensitive yes/no question, each person
# answers truthfully with probability $p$ and otherwise reports a fair coin. No single answer
# reveals much, yet the population rate $\pi$ is recoverable, because
# $P(\text{yes}) = p\,\pi + (1-p)/2$. It is $\varepsilon$-**locally** differentially private with
# $\varepsilon = \ln\frac{1+p}{1-p}$.
#
# ### Exercise P3.6 — Debias randomized response
#
# Return the unbiased estimate $\hat\pi = \big(\overline{\text{answers}} - (1-p)/2\big)/p$.

# %%
def rr_estimate(noisy, p_truth):
    ### BEGIN SOLUTION
    return float((np.mean(noisy) - (1 - p_truth) / 2) / p_truth)
    ### END SOLUTION


check("pp3.rr_estimate", rr_estimate)

# %% [markdown]
# ### DP gradient descent
#
# To train a model with differential privacy, bound each person's influence on every update
# and hide it in noise. Per step, with per-example gradients $g_i$:
#
# $$\tilde g = \frac1n\Big(\sum_i g_i\,\min\big(1, \tfrac{C}{\|g_i\|}\big) + \sigma C\,\xi\Big),
#   \qquad \xi\sim\mathcal N(0, I).$$
#
# Clipping makes the sum's sensitivity $C$ (adding or removing one person moves it by at most
# $C$), and Gaussian noise of std $\sigma C$ makes each step $\tfrac{1}{2\sigma^2}$-zCDP. Over
# $T$ steps privacy losses add: $\rho = T/(2\sigma^2)$, and
# $\varepsilon = \rho + 2\sqrt{\rho\ln(1/\delta)}$ at failure probability $\delta$. (Mini-batch
# DP-SGD gets much smaller $\varepsilon$ from subsampling, with a more involved accountant; we
# use the full batch so the bound stays simple and exact.)
#
# ### Exercise P3.7 — Clip, sum, noise, average
#
# `per_example` has shape `(n, d)` (one flattened gradient per row); `noise` is the standard
# normal draw $\xi$ of shape `(d,)`. Return $\tilde g$. Guard the division for zero gradients.

# %%
def dp_aggregate(per_example, clip_norm, noise_multiplier, noise):
    ### BEGIN SOLUTION
    norms = np.linalg.norm(per_example, axis=1, keepdims=True)
    clipped = per_example * np.minimum(1.0, clip_norm / np.maximum(norms, 1e-12))
    return (clipped.sum(axis=0) + noise_multiplier * clip_norm * noise) / len(per_example)
    ### END SOLUTION


check("pp3.dp_aggregate", dp_aggregate)

# %% [markdown]
# **Experiment — the price of privacy, and what it buys.** Data: the breast-cancer dataset
# with 20 % of labels flipped (noise a model can only fit by memorising individuals), 100
# training patients. First a normal MLP trained to zero training error, then DP gradient
# descent with growing noise. For each model we run a **membership-inference attack**: guess
# "was in the training set" when the model's loss on a record is low, and report the attack's
# AUC (0.5 = guessing).
#
# *Hypothesis:* the non-private model leaks membership clearly (AUC well above 0.5); more noise
# (smaller $\varepsilon$) pushes the attack towards 0.5 and, eventually, costs test accuracy.

# %%
from sklearn.datasets import load_breast_cancer

from ml2llm.neural.model import make_mlp
from ml2llm.neural.optim import Adam
from ml2llm.neural.train import accuracy, fit_classifier

Xb, yb = load_breast_cancer(return_X_y=True)
Xb = (Xb - Xb.mean(axis=0)) / Xb.std(axis=0)
rng = np.random.default_rng(0)
order = rng.permutation(len(Xb))
Xb, yb = Xb[order], yb[order]
yb = np.where(rng.uniform(size=len(yb)) < 0.2, 1 - yb, yb)
Xm, ym, Xo, yo = Xb[:100], yb[:100], Xb[100:300], yb[100:300]  # members / non-members

net = make_mlp([30, 64, 2], random_state=0)
fit_classifier(net, Xm, ym, Adam(net.parameters(), lr=0.01), epochs=300, batch_size=100)
attack = rai.membership_inference(rai.per_example_loss(net, Xm, ym), rai.per_example_loss(net, Xo, yo))
print(f"non-private: train acc {accuracy(net, Xm, ym):.2f}, test acc {accuracy(net, Xo, yo):.2f}, "
      f"attack AUC {attack['auc']:.3f}, advantage {attack['advantage']:.2f}")

steps, delta = pick(300, 150), 1e-5
sigmas = pick([0.5, 1, 2, 4, 8, 16, 32], [1, 4, 16, 32])
results = []
for sigma in sigmas:
    m, _ = rai.train_dp_gd(Xm, ym, [30, 64, 2], clip_norm=1.0, noise_multiplier=sigma,
                           steps=steps, lr=1.0, random_state=0)
    atk = rai.membership_inference(rai.per_example_loss(m, Xm, ym), rai.per_example_loss(m, Xo, yo))
    results.append((rai.dp_epsilon(sigma, steps, delta), accuracy(m, Xo, yo), atk["auc"]))
    print(f"sigma={sigma:<4} epsilon={results[-1][0]:8.2f}  test acc {results[-1][1]:.3f}  attack AUC {atk['auc']:.3f}")

eps_, acc_, auc_ = map(np.array, zip(*results))
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogx(eps_, acc_, "o-", label="test accuracy (DP)")
ax.semilogx(eps_, auc_, "s-", label="membership attack AUC (DP)")
ax.axhline(accuracy(net, Xo, yo), color="C0", ls=":", label="test accuracy (non-private)")
ax.axhline(attack["auc"], color="C1", ls=":", label="attack AUC (non-private)")
ax.axhline(0.5, color="k", lw=0.6)
ax.set(xlabel=f"ε (δ = {delta:g}, {steps} full-batch steps)", ylabel="value", title="Privacy–utility trade-off")
ax.legend(fontsize=8); plt.show()

# %% [markdown]
# **What happened.** The memorising model is easy to attack: members have visibly lower loss
# (AUC about 0.66, and an advantage near 0.5 at the best threshold). Clipping limits how much
# any one record can pull the weights, so the DP models memorise less: their test accuracy is
# even *higher* than the memorising model's at large $\varepsilon$, and the attack AUC falls
# towards 0.5 as $\varepsilon$ falls. At the smallest $\varepsilon$ accuracy starts to drop:
# that is the price. Note the honest caveat: with only 100
# people and full-batch training our $\varepsilon$ values are large (tens); real deployments
# use mini-batch DP-SGD with subsampling amplification and far more data to reach
# $\varepsilon \approx 1$–$8$. The attack AUC is an *empirical lower bound* on leakage; $\varepsilon$
# is a *proven upper bound*. Both belong in the model card.

# %% [markdown]
# ## What you learned
#
# - Demographic parity and equalized odds in a few lines, equal to fairlearn to $10^{-12}$; they
#   measure different things and cannot both be zero when base rates differ.
# - Dropping the sensitive column does not remove bias carried by proxies; reweighing helps
#   partly; per-group thresholds close the gap they target.
# - Permutation importance agrees with scikit-learn's (within sampling error); Kernel SHAP by
#   enumeration equals `shap.KernelExplainer` to $10^{-8}$ and shows the bias per decision.
# - Randomized response and DP gradient descent (clip per example, add $\sigma C$ noise) trade
#   accuracy for a provable $\varepsilon$; a loss-threshold membership attack measures the leak.
#
# Next: [P4](../projectP4_capstone/) puts these checks into the model card of a shipped model.
