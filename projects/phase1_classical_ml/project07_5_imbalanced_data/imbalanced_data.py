# %% [markdown]
# # Project 07.5 — Imbalanced data: class weights, resampling, SMOTE, threshold moving
#
# Fraud is one transaction in a thousand, a rare disease one patient in a hundred, a
# jailbreak one prompt in ten thousand. On such data a model can reach 99 % accuracy by
# never predicting the rare class — and many do, because the loss they minimise is an
# average over samples dominated by the majority. This project shows why accuracy misleads
# and compares the four standard remedies on a real dataset: **class weights**, **random
# over/under-sampling**, **SMOTE**, and **moving the decision threshold**.
#
# **You will:**
# 1. compute balanced class weights and train the project's own logistic regression with them;
# 2. write SMOTE's two steps (nearest minority neighbours, interpolation) and compare it with
#    imbalanced-learn;
# 3. choose a threshold on the precision–recall curve that maximises $F_\beta$;
# 4. undo the probability distortion that resampling causes (prior-shift correction);
# 5. measure every remedy on an imbalanced version of the digits dataset.
#
# **Prerequisites:** Project 02 (logistic regression), Project 07 (precision, recall, PR
# curves). **Time:** about 5 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line under it runs your
# function on several inputs and prints `✓` or the first input where yours differs, with a
# hint. `ml2llm check 07.5` runs this notebook and records your progress.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import warnings

import matplotlib.pyplot as plt
import numpy as np

from ml2llm import check, is_quick
from ml2llm.classical import imbalance as imb
from ml2llm.classical.logistic_regression import LogisticRegression
from ml2llm.metrics import classification as metrics
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)
warnings.filterwarnings("ignore", category=metrics.UndefinedMetricWarning)  # P = 0/0 is part of the story

# %% [markdown]
# ## 1. The data: an imbalanced version of a real dataset
#
# The digits dataset (1,797 8×8 images) ships with scikit-learn. We ask a binary question —
# *is this an 8?* — and keep only 60 of the 174 eights, so positives are 3.6 % of the data.
# Eights are the hardest digit to separate from 3s, 5s and 9s, which keeps the problem
# honest. Splits are **stratified** (Project 08) so each holds the same 3.6 %: 40 % test,
# and of the rest a third for validation (used to choose thresholds, never for scoring).

# %%
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
X_all, y_all = digits.data / 16.0, (digits.target == 8).astype(int)
rng = np.random.default_rng(0)
keep = np.r_[np.flatnonzero(y_all == 0), rng.choice(np.flatnonzero(y_all == 1), 60, replace=False)]
X, y = X_all[keep], y_all[keep]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=1 / 3, stratify=y_train,
                                                  random_state=0)
for name, labels in [("train", y_train), ("validation", y_val), ("test", y_test)]:
    print(f"{name:10s} {len(labels):5d} samples, {labels.sum():3d} eights ({labels.mean():.1%})")

# %% [markdown]
# ## 2. Why accuracy misleads
#
# The constant classifier "never an 8" is right on 96.4 % of the test set. A logistic
# regression trained the usual way minimises the *average* log-loss, where the 24 training
# eights weigh as much as 24 of the 648 other digits; the cheapest way to lower it is to push
# every probability down. Look at what the default threshold of 0.5 gives:

# %%
C = 0.1
plain = LogisticRegression(C=C).fit(X_train, y_train)
p_plain = plain.predict_proba(X_test)[:, 1]
always_no = np.zeros_like(y_test)
for name, pred in [("always 'not an 8'", always_no), ("logistic regression @ 0.5", (p_plain >= 0.5).astype(int))]:
    print(f"{name:28s} accuracy {metrics.accuracy_score(y_test, pred):.3f}  recall {metrics.recall_score(y_test, pred):.3f}  "
          f"F1 {metrics.f1_score(y_test, pred):.3f}")
print(f"largest predicted P(8) on the test set: {p_plain.max():.3f}; ROC AUC {metrics.roc_auc_score(y_test, p_plain):.3f}")

# %% [markdown]
# The model *ranks* well (ROC AUC ≈ 0.97: a random 8 gets a higher score than a random
# non-8 97 % of the time), yet at 0.5 it finds no 8 at all and its accuracy is the constant
# baseline's. The information is there; the decision rule throws it away. Report precision,
# recall, F1 and average precision on imbalanced data, never accuracy alone.
#
# ## 3. Class weights
#
# Weighting the loss of each sample by its class's weight $w_{y_i}$,
#
# $$J(w, b) = \sum_i w_{y_i}\,\ell(y_i, \sigma(x_i^\top w + b)) + \frac{1}{2C}\lVert w\rVert^2,
#   \qquad w_c = \frac{n}{k\, n_c}\ \text{("balanced")},$$
#
# makes every class carry the same total weight $n/k$: the 24 training eights now count as
# much as the 648 other digits. The project's own `LogisticRegression` (Project 02) accepts
# `class_weight="balanced"` or a dict, like scikit-learn's.
#
# ### Exercise 7.5.1 — Balanced class weights
#
# Return a dict `{class: n_samples / (n_classes * n_c)}` over the sorted classes of `y`.

# %%
def balanced_class_weights(y):
    ### BEGIN SOLUTION
    classes, counts = np.unique(y, return_counts=True)
    return {int(c): len(y) / (len(classes) * n) for c, n in zip(classes, counts)}
    ### END SOLUTION


check("p07_5.balanced_class_weights", balanced_class_weights)

# %% [markdown]
# ## 4. Resampling and SMOTE
#
# Instead of weighting the loss, change the data: **random over-sampling** duplicates
# minority samples until the classes balance (equivalent in expectation to integer class
# weights, but the duplicates invite overfitting); **random under-sampling** throws majority
# samples away (fast, but loses information).
#
# **SMOTE** (Chawla et al., 2002) creates *new* minority samples instead of copies: pick a
# minority sample $x_r$, one of its $k$ nearest **minority** neighbours $x_{nn}$, and a
# random gap $g \in [0, 1)$, and add
#
# $$x_{\text{new}} = x_r + g\,(x_{nn} - x_r),$$
#
# a point on the segment between them. It fills the minority region instead of stacking
# copies; it also happily interpolates across regions where the majority lives, which is
# why it helps less than its popularity suggests on some data.
#
# ### Exercise 7.5.2 — The k nearest minority neighbours
#
# For each row of `X_min` return the indices of its `k` nearest *other* rows (Euclidean),
# nearest first: an integer array of shape `(n_min, k)`.

# %%
def smote_neighbors(X_min, k):
    ### BEGIN SOLUTION
    d2 = ((X_min[:, None, :] - X_min[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d2, np.inf)
    return np.argsort(d2, axis=1, kind="stable")[:, :k]
    ### END SOLUTION


check("p07_5.smote_neighbors", smote_neighbors)

# %% [markdown]
# ### Exercise 7.5.3 — SMOTE interpolation
#
# The random choices are given to you (so the check is deterministic): for each
# `(r, c, g)` in `zip(rows, cols, gaps)` return the synthetic sample
# $x_r + g\,(x_{\text{neighbors}[r, c]} - x_r)$, as an array of shape `(len(rows), d)`.

# %%
def smote_interpolate(X_min, neighbors, rows, cols, gaps):
    ### BEGIN SOLUTION
    base = X_min[rows]
    return base + gaps[:, None] * (X_min[neighbors[rows, cols]] - base)
    ### END SOLUTION


check("p07_5.smote_interpolate", smote_interpolate)

# %% [markdown]
# What the three resamplers do to a small 2-D problem (library versions, which draw the
# random choices exactly as imbalanced-learn does):

# %%
from ml2llm.data.generators import make_moons

Xm, ym = make_moons(n_samples=300, noise=0.25, random_state=0)
keep2 = np.r_[np.flatnonzero(ym == 0), np.flatnonzero(ym == 1)[:20]]
Xm, ym = Xm[keep2], ym[keep2]
fig, axes = plt.subplots(1, 4, figsize=(14, 3.3), sharex=True, sharey=True)
for ax, (name, (Xr, yr)) in zip(axes, [
    ("original (20 minority)", (Xm, ym)),
    ("random over-sampling", imb.random_oversample(Xm, ym, random_state=0)),
    ("random under-sampling", imb.random_undersample(Xm, ym, random_state=0)),
    ("SMOTE (k=5)", imb.smote(Xm, ym, k_neighbors=5, random_state=0)),
]):
    new = np.arange(len(yr)) >= len(ym) if len(yr) > len(ym) else np.zeros(len(yr), bool)
    ax.scatter(*Xr[yr == 0].T, s=6, c="tab:blue", alpha=0.4, label="majority")
    ax.scatter(*Xr[(yr == 1) & ~new].T, s=18, c="tab:red", label="minority")
    if new.any():
        jitter = 0.02 * np.random.default_rng(1).normal(size=(new.sum(), 2))  # show stacked duplicates
        ax.scatter(*(Xr[new] + jitter).T, s=10, marker="x", c="tab:orange", label="added")
    ax.set_title(f"{name}\n{np.bincount(yr).tolist()}", fontsize=9)
axes[0].legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# Random over-sampling piles duplicates on the 20 originals (jittered here so you can see
# them); SMOTE spreads new points along the segments between neighbours — including some
# that cross into the majority's territory.
#
# ## 5. Threshold moving
#
# A probabilistic classifier does not force the threshold 0.5. The **decision** should
# depend on the costs: if missing an 8 costs five times more than a false alarm, predict 8
# when $p > 1/6$. Without explicit costs, a common choice is the threshold that maximises
# $F_\beta$ on a *validation* set,
#
# $$F_\beta = \frac{(1+\beta^2)\,P R}{\beta^2 P + R},$$
#
# where $\beta > 1$ favours recall and $\beta < 1$ precision. The PR curve (Project 07)
# lists $P$ and $R$ at every distinct score, so the search is one pass over it.
#
# ### Exercise 7.5.4 — The best threshold on the PR curve
#
# Return `(threshold, f_beta)` maximising $F_\beta$ over the distinct scores (predict
# positive when `score >= threshold`). On ties keep the highest threshold. You may use
# `metrics.precision_recall_curve` (its last point, $P = 1, R = 0$, has no threshold).

# %%
def best_threshold(y_true, scores, beta=1.0):
    ### BEGIN SOLUTION
    precision, recall, thresholds = metrics.precision_recall_curve(y_true, scores)
    p, r = precision[:-1], recall[:-1]
    b2 = beta**2
    denom = b2 * p + r
    f = np.divide((1 + b2) * p * r, denom, out=np.zeros_like(p), where=denom > 0)
    best = len(f) - 1 - int(np.argmax(f[::-1]))  # thresholds increase: the last maximum is the highest
    return float(thresholds[best]), float(f[best])
    ### END SOLUTION


check("p07_5.best_threshold", best_threshold)

# %% [markdown]
# ## 6. Resampling distorts probabilities — and how to undo it
#
# A model trained on balanced data (by resampling or by balanced weights) has learned a
# world where positives are 50 %. Its probabilities are too high by a predictable amount:
# by Bayes' rule, changing the prior from $\pi_s$ (training) to $\pi$ (reality) multiplies
# the **odds** by a constant,
#
# $$\frac{p'}{1-p'} = \frac{p}{1-p}\cdot\frac{\pi/(1-\pi)}{\pi_s/(1-\pi_s)} .$$
#
# In logit space it is a shift of the intercept; ranking (AUC, AP) is unchanged.
#
# ### Exercise 7.5.5 — Prior-shift correction
#
# Return the corrected probabilities (same shape as `proba`).

# %%
def correct_prior_shift(proba, train_prior, true_prior):
    ### BEGIN SOLUTION
    ratio = (true_prior / (1 - true_prior)) / (train_prior / (1 - train_prior))
    return proba * ratio / (proba * ratio + (1 - proba))
    ### END SOLUTION


check("p07_5.correct_prior_shift", correct_prior_shift)

# %% [markdown]
# ## Experiment 1 — Every remedy on the imbalanced digits
#
# **Hypothesis.** All remedies raise recall and F1 far above the plain model at 0.5; none
# changes the ranking quality (ROC AUC, AP) much, because they mostly move the decision
# boundary rather than teach the model something new. Under-sampling, which discards 97 % of
# the negatives, will rank worse.
#
# Every model is the project's `LogisticRegression(C=0.1)`; thresholds are 0.5 unless
# stated, and the threshold-moved model picks its threshold on the validation set.

# %%
def evaluate(name, proba, threshold=0.5):
    pred = (proba >= threshold).astype(int)
    return {
        "model": name,
        "accuracy": metrics.accuracy_score(y_test, pred),
        "precision": metrics.precision_score(y_test, pred),
        "recall": metrics.recall_score(y_test, pred),
        "F1": metrics.f1_score(y_test, pred),
        "AP": metrics.average_precision_score(y_test, proba),
        "ROC AUC": metrics.roc_auc_score(y_test, proba),
    }


fits = {
    "plain @ 0.5": LogisticRegression(C=C).fit(X_train, y_train),
    "class_weight='balanced'": LogisticRegression(C=C, class_weight="balanced").fit(X_train, y_train),
    "random over-sampling": LogisticRegression(C=C).fit(*imb.random_oversample(X_train, y_train, random_state=0)),
    "random under-sampling": LogisticRegression(C=C).fit(*imb.random_undersample(X_train, y_train, random_state=0)),
    "SMOTE (k=5)": LogisticRegression(C=C).fit(*imb.smote(X_train, y_train, k_neighbors=5, random_state=0)),
}
rows = [evaluate("always 'not an 8'", np.zeros(len(y_test)))]
rows += [evaluate(name, m.predict_proba(X_test)[:, 1]) for name, m in fits.items()]
t_best, f_val = imb.best_threshold(y_val, plain.predict_proba(X_val)[:, 1])
rows.append(evaluate(f"plain, threshold {t_best:.3f}", p_plain, t_best))
cols = ["accuracy", "precision", "recall", "F1", "AP", "ROC AUC"]
print(f"{'model':28s}" + "".join(f"{c:>10s}" for c in cols))
for r in rows:
    print(f"{r['model']:28s}" + "".join(f"{r[c]:10.3f}" for c in cols))

fig, ax = plt.subplots(figsize=(11, 3.8))
width = 0.13
for j, c in enumerate(["accuracy", "recall", "F1", "AP"]):
    ax.bar(np.arange(len(rows)) + (j - 1.5) * width * 1.1, [r[c] for r in rows], width, label=c)
ax.set_xticks(np.arange(len(rows)), [r["model"] for r in rows], rotation=20, ha="right", fontsize=8)
ax.set(ylim=(0, 1.05), title="Imbalanced digits (3.6 % eights): accuracy is the least informative bar")
ax.legend(fontsize=8, ncol=4)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** Accuracy barely moves (0.87–0.975) and ranks the useless constant
# classifier (0.964) above every remedy but one. Recall jumps from 0 to 0.83–0.92 with class
# weights, over-sampling, under-sampling or SMOTE, at the price of precision (many false
# alarms: F1 0.32–0.55). ROC AUC and AP stay within about 0.05 of the plain model, except
# under-sampling, which threw away most of the negatives and ranks worst (AP 0.56 against
# 0.69) — the hypothesis held. Moving the threshold of the *plain* model to the
# validation-optimal one (≈ 0.1) gives the best F1 (0.64) and the best accuracy in the table
# without retraining anything: the plain model already ranked well, only the 0.5 was wrong.
#
# ## Experiment 2 — Class weights are (almost) a threshold shift
#
# **Hypothesis.** For logistic regression, balanced class weights mostly shift the
# intercept by about $\log\frac{n_-}{n_+}$ (what re-weighting does to an unregularised model
# of a well-specified problem); the PR curves of the plain and weighted models should then
# nearly coincide, and the weighted model's probabilities, corrected for the prior shift,
# should look like the plain model's.

# %%
weighted = fits["class_weight='balanced'"]
p_weighted = weighted.predict_proba(X_test)[:, 1]
prior_train = y_train.mean()
p_corrected = imb.correct_prior_shift(p_weighted, train_prior=0.5, true_prior=prior_train)
print(f"intercept plain {plain.intercept_[0]:+.3f}, weighted {weighted.intercept_[0]:+.3f}, "
      f"difference {weighted.intercept_[0] - plain.intercept_[0]:+.3f} vs log(n-/n+) = {np.log((1 - prior_train) / prior_train):+.3f}")
cos = float(plain.coef_[0] @ weighted.coef_[0] / np.linalg.norm(plain.coef_) / np.linalg.norm(weighted.coef_))
print(f"cosine between the two weight vectors: {cos:.3f}; norm ratio weighted/plain "
      f"{np.linalg.norm(weighted.coef_) / np.linalg.norm(plain.coef_):.2f}")
for name, p in [("plain", p_plain), ("weighted", p_weighted), ("weighted, prior-corrected", p_corrected)]:
    print(f"{name:26s} mean P(8) {p.mean():.3f} (true rate {y_test.mean():.3f})   log-loss {metrics.log_loss(y_test, p):.3f}   "
          f"AP {metrics.average_precision_score(y_test, p):.3f}")

thresholds = np.linspace(0.01, 0.99, 99)
pr = np.array([[metrics.precision_score(y_val, (plain.predict_proba(X_val)[:, 1] >= t).astype(int)),
                metrics.recall_score(y_val, (plain.predict_proba(X_val)[:, 1] >= t).astype(int))] for t in thresholds])
f1 = np.divide(2 * pr[:, 0] * pr[:, 1], pr.sum(axis=1), out=np.zeros(len(thresholds)), where=pr.sum(axis=1) > 0)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].plot(thresholds, pr[:, 0], label="precision")
axes[0].plot(thresholds, pr[:, 1], label="recall")
axes[0].plot(thresholds, f1, label="F1")
axes[0].axvline(0.5, color="gray", ls=":", label="default 0.5")
axes[0].axvline(t_best, color="k", ls="--", label=f"best F1 on validation ({t_best:.3f})")
axes[0].set(xlabel="threshold", title="Plain model on the validation set", xscale="log")
axes[0].legend(fontsize=7)
for name, p in [("plain", p_plain), ("class_weight='balanced'", p_weighted), ("SMOTE", fits["SMOTE (k=5)"].predict_proba(X_test)[:, 1])]:
    prec, rec, _ = metrics.precision_recall_curve(y_test, p)
    axes[1].step(rec, prec, where="post", label=f"{name} (AP {metrics.average_precision_score(y_test, p):.3f})")
axes[1].axhline(y_test.mean(), color="k", ls=":", lw=1, label="chance")
axes[1].set(xlabel="recall", ylabel="precision", title="Test PR curves: nearly the same ranking")
axes[1].legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** The hypothesis was right about the curves and wrong about the
# mechanism. The PR curves of the plain, weighted and SMOTE models lie almost on top of each
# other: the remedies mostly move the operating point along the same curve. But the
# intercept moved by only about 1.1, not $\log(n_-/n_+) \approx 3.3$: with the L2 penalty
# the weighted model also *lengthened* its weight vector (norm ratio printed above) while
# keeping its direction (cosine 0.97), so the shift is spread over the logits. The weighted
# model's probabilities are inflated (mean P(8) 0.22 for a true rate of 0.036; log-loss 0.26
# against 0.11). The prior-shift correction overshoots a little (mean 0.017) because the
# weighted model was not calibrated at 50 % either, yet it lowers the log-loss to 0.095 —
# better than the plain model — without changing AP. Practical rule: fix the *decision*
# with a threshold chosen on validation data (or from costs); keep the probabilities honest
# with a prior correction or calibration (Project 07.8) if you resampled or reweighted.
#
# ## Comparison with the reference libraries
#
# - Balanced class weights equal `sklearn.utils.class_weight.compute_class_weight` exactly.
# - The project's weighted `LogisticRegression` equals scikit-learn's
#   `LogisticRegression(class_weight="balanced")` (coefficients to a relative $10^{-4}$:
#   scikit-learn's lbfgs stops on a gradient tolerance, Newton converges further).
# - Random over/under-sampling and SMOTE return *identical arrays* to imbalanced-learn for the
#   same `random_state` (checked here when imbalanced-learn is installed; the library's tests
#   also check SMOTE's documented properties without it). The one exception is SMOTE on data
#   with exactly tied neighbour distances, where the order of tied neighbours is an
#   implementation detail: we measure how often that happens on the digits.

# %%
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.utils.class_weight import compute_class_weight

ours_w = imb.balanced_class_weights(y_train)
np.testing.assert_allclose([ours_w[0], ours_w[1]], compute_class_weight("balanced", classes=np.array([0, 1]), y=y_train),
                           rtol=1e-15)
sk_weighted = SkLogisticRegression(C=C, class_weight="balanced", tol=1e-10, max_iter=5000).fit(X_train, y_train)
rel = np.abs(weighted.coef_ - sk_weighted.coef_).max() / np.abs(sk_weighted.coef_).max()
print(f"weighted logistic regression vs sklearn: max relative coefficient difference {rel:.1e}")
assert rel < 1e-4
try:
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler
except ImportError:
    print("imbalanced-learn is not installed: skipping the sampler comparison (pip install imbalanced-learn)")
else:
    for name, ours, ref in [
        ("RandomOverSampler", imb.random_oversample(X_train, y_train, random_state=3),
         RandomOverSampler(random_state=3).fit_resample(X_train, y_train)),
        ("RandomUnderSampler", imb.random_undersample(X_train, y_train, random_state=3),
         RandomUnderSampler(random_state=3).fit_resample(X_train, y_train)),
        ("SMOTE on the moons", imb.smote(Xm, ym, k_neighbors=5, random_state=3),
         SMOTE(k_neighbors=5, random_state=3).fit_resample(Xm, ym)),
    ]:
        np.testing.assert_array_equal(ours[1], ref[1])
        np.testing.assert_allclose(ours[0], ref[0], rtol=1e-12, atol=1e-12)
        print(f"{name:18s}: identical output ({len(ref[1])} rows)")
    ours = imb.smote(X_train, y_train, k_neighbors=5, random_state=3)
    ref = SMOTE(k_neighbors=5, random_state=3).fit_resample(X_train, y_train)
    differ = np.any(np.abs(ours[0] - ref[0]) > 1e-12, axis=1)
    print(f"SMOTE on the digits: {differ.sum()} of {differ.size} rows differ — pixels live on a 1/16 grid, so "
          "several neighbours are often exactly equally far and the two libraries order such ties differently")
    assert np.array_equal(ours[1], ref[1]) and differ.mean() < 0.02

# %% [markdown]
# ## What you learned
#
# - On imbalanced data **accuracy** rewards ignoring the minority; report precision, recall,
#   F1 and average precision, and compare with the constant baseline.
# - **Class weights** and **resampling** (random or **SMOTE**) shift the model toward the
#   minority; they change the operating point far more than the ranking.
# - **Threshold moving** on a validation PR curve is often the simplest and best fix, and it
#   needs no retraining.
# - Rebalancing distorts probabilities by a known factor on the odds; **prior-shift
#   correction** (or calibration) undoes it.
#
# **Next:** Project 07.8 calibrates probabilities; Project 08 shows how to keep all these
# choices (weights, thresholds, resampling) inside cross-validation folds. Glossary:
# [class imbalance](../../../docs/GLOSSARY.md#class-imbalance),
# [class weights](../../../docs/GLOSSARY.md#class-weights),
# [SMOTE](../../../docs/GLOSSARY.md#smote),
# [decision threshold](../../../docs/GLOSSARY.md#decision-threshold),
# [precision](../../../docs/GLOSSARY.md#precision), [recall](../../../docs/GLOSSARY.md#recall),
# [average precision](../../../docs/GLOSSARY.md#average-precision).
