# %% [markdown]
# # Project 07 — Classification metrics, from the confusion matrix to ROC-AUC
#
# "The model is 95 % accurate" says almost nothing. On a dataset where 95 % of the samples
# are negative, a model that always answers "negative" is 95 % accurate and useless. Every
# evaluation of a classifier — a spam filter, a medical test, a reward model that ranks two
# LLM answers — needs metrics that say *which* mistakes it makes and *how well its scores
# rank*. This project builds all of them from four counts.
#
# **You will:**
# 1. build the **confusion matrix** and derive precision, recall and F1 from it, with the
#    three ways to average them over classes (macro, micro, weighted);
# 2. trace the **ROC curve** and compute its area as a ranking probability, handling ties;
# 3. trace the **precision–recall curve** and compute average precision;
# 4. score probabilities with **log-loss** and the **Brier score**;
# 5. compare several models on one dataset with ROC and PR curves, and prove every metric
#    equals `sklearn.metrics`.
#
# **Prerequisites:** Project 02 (logistic regression gives scores and probabilities).
# **Time:** about 6 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line under it runs your
# function on several inputs, edge cases included, and prints `✓` or the first input where
# yours differs, with a hint. `ml2llm check 07` runs this notebook and records your progress.

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
from ml2llm.metrics import classification as metrics
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. The confusion matrix
#
# For $k$ classes, the confusion matrix $C \in \mathbb N^{k\times k}$ counts
# $C_{ij} = \#\{\text{samples with true class } i \text{ predicted as } j\}$. Rows are the
# truth, columns the prediction (scikit-learn's layout; some textbooks transpose it, so
# always check). The diagonal holds the correct answers, so **accuracy** is
# $\operatorname{tr}(C) / \sum_{ij} C_{ij}$.
#
# In the binary case the four cells have names: true negatives, false positives (top row),
# false negatives, true positives (bottom row):
#
# $$C = \begin{pmatrix} TN & FP \\ FN & TP \end{pmatrix}.$$
#
# ### Exercise 7.1 — Confusion matrix
#
# Return the `(k, k)` integer matrix for the given `labels` (in that order). Every label in
# `labels` gets a row and a column even if it never occurs.

# %%
def confusion_matrix(y_true, y_pred, labels):
    ### BEGIN SOLUTION
    index = {label: i for i, label in enumerate(labels)}
    C = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(y_true, y_pred):
        C[index[t], index[p]] += 1
    return C
    ### END SOLUTION


check("p07.confusion_matrix", confusion_matrix)

# %% [markdown]
# ## 2. Precision, recall, F1 — and three ways to average them
#
# For one class $c$ treated as "positive":
#
# $$P_c = \frac{TP_c}{TP_c + FP_c}\ \text{(of what I flagged, how much was right?)},\qquad
#   R_c = \frac{TP_c}{TP_c + FN_c}\ \text{(of what was there, how much did I find?)},$$
#
# $$F_1 = \frac{2 P R}{P + R} = \frac{2\,TP}{2\,TP + FP + FN}.$$
#
# The harmonic mean punishes imbalance: $P = 1, R = 0.01$ gives $F_1 \approx 0.02$, not 0.5.
#
# With several classes there are three standard summaries:
#
# - **macro**: compute $P_c, R_c, F_c$ per class, then take the plain mean. Every class
#   counts the same, so rare classes weigh as much as common ones.
# - **micro**: add up $TP, FP, FN$ over all classes first, then divide. Each *sample*
#   counts the same; for single-label multi-class data micro-$P$ = micro-$R$ = accuracy.
# - **weighted**: per-class scores averaged with weights equal to the class's **support**
#   (its number of true samples).
#
# When a class is never predicted, $P_c = 0/0$. scikit-learn's convention (and ours) is to
# warn and use `zero_division` (0 by default).
#
# ### Exercise 7.2 — Precision, recall and F1 with averaging
#
# Return `(precision, recall, f1)` as floats for `average` in `"macro"`, `"micro"`,
# `"weighted"`. The classes are the sorted union of labels in `y_true` and `y_pred`; treat
# $0/0$ as 0.

# %%
def precision_recall_f1(y_true, y_pred, average):
    ### BEGIN SOLUTION
    labels = np.unique(np.concatenate([y_true, y_pred]))
    C = confusion_matrix(y_true, y_pred, labels)
    tp = np.diag(C).astype(float)
    n_pred, n_true = C.sum(axis=0).astype(float), C.sum(axis=1).astype(float)
    if average == "micro":
        tp, n_pred, n_true = tp.sum(keepdims=True), n_pred.sum(keepdims=True), n_true.sum(keepdims=True)

    def safe(a, b):
        return np.divide(a, b, out=np.zeros_like(a), where=b > 0)

    p, r, f = safe(tp, n_pred), safe(tp, n_true), safe(2 * tp, n_pred + n_true)
    weights = n_true if average == "weighted" else np.ones_like(p)
    return tuple(float(np.average(v, weights=weights)) for v in (p, r, f))
    ### END SOLUTION


check("p07.precision_recall_f1", precision_recall_f1)

# %% [markdown]
# A quick look at why the averages differ. Three classes, where class 0 is common and easy
# and class 2 is rare and hard:

# %%
y_true_demo = np.array([0] * 80 + [1] * 15 + [2] * 5)
y_pred_demo = np.array([0] * 78 + [1] * 2 + [1] * 12 + [0] * 3 + [0] * 4 + [2] * 1)
for avg in ["micro", "macro", "weighted"]:
    p, r, f, _ = metrics.precision_recall_fscore_support(y_true_demo, y_pred_demo, average=avg)
    print(f"{avg:8s}  precision={p:.3f}  recall={r:.3f}  F1={f:.3f}")
print("accuracy", metrics.accuracy_score(y_true_demo, y_pred_demo))
print(metrics.confusion_matrix(y_true_demo, y_pred_demo))

# %% [markdown]
# Micro-F1 equals accuracy (0.91) and hides that class 2 is found only once in five; macro-F1
# (0.70) exposes it. Report macro when every class matters, micro (accuracy) when every
# sample does.
#
# ## 3. Scores, thresholds and the ROC curve
#
# Most classifiers output a **score** $s(x)$ (a probability, a margin, a logit) and we
# predict positive when $s(x) \ge t$. Each threshold $t$ gives one confusion matrix. The
# **ROC curve** draws, for every $t$, the
#
# $$\text{true positive rate } TPR(t) = \frac{TP(t)}{P}\quad\text{against the}\quad
#   \text{false positive rate } FPR(t) = \frac{FP(t)}{N}.$$
#
# Sort the samples by score, highest first; lowering the threshold past each *distinct* score
# adds all samples with that score at once. **Tied scores must enter together**: if a
# positive and a negative share a score, no threshold separates them, and the curve goes
# *diagonally* through that step. The curve starts at $(0, 0)$ ($t = +\infty$: nothing
# predicted positive) and ends at $(1, 1)$.
#
# ### Exercise 7.3 — ROC points
#
# Return `(fpr, tpr)`: one point per distinct score (highest first) plus the origin. `y_true`
# holds 0/1.

# %%
def roc_points(y_true, y_score):
    ### BEGIN SOLUTION
    order = np.argsort(-y_score, kind="mergesort")
    s, y = y_score[order], y_true[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each distinct score
    tps = np.cumsum(y)[last]
    fps = (last + 1) - tps
    return np.r_[0.0, fps] / fps[-1], np.r_[0.0, tps] / tps[-1]
    ### END SOLUTION


check("p07.roc_points", roc_points)

# %% [markdown]
# ## 4. The area under the ROC curve is a probability
#
# The **ROC AUC** has a meaning that needs no curve at all: it is the probability that a
# randomly drawn positive gets a higher score than a randomly drawn negative, counting ties
# as one half,
#
# $$\mathrm{AUC} = \frac{1}{PN}\sum_{i:\,y_i=1}\ \sum_{j:\,y_j=0}
#   \Big(\mathbb 1[s_i > s_j] + \tfrac12\,\mathbb 1[s_i = s_j]\Big).$$
#
# (This is the Mann–Whitney $U$ statistic divided by $PN$.) The trapezoid rule on the
# tie-aware ROC curve gives exactly the same number: a diagonal segment through tied
# points contributes half a rectangle. 0.5 is a coin flip; 1.0 ranks every positive first.
# AUC only sees the *order* of the scores: any increasing transform (a sigmoid, a log)
# leaves it unchanged.
#
# The double sum costs $O(PN)$; sorting gives $O(n\log n)$: with average ranks $r_i$ (ties
# share the mean of their ranks), $\mathrm{AUC} = \big(\sum_{y_i=1} r_i - P(P+1)/2\big)/(PN)$.
#
# ### Exercise 7.4 — ROC AUC with ties
#
# Return the AUC as a float. Either formula is fine.

# %%
def roc_auc(y_true, y_score):
    ### BEGIN SOLUTION
    pos = y_score[y_true == 1][:, None]
    neg = y_score[y_true == 0][None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))
    ### END SOLUTION


check("p07.roc_auc", roc_auc)

# %% [markdown]
# ## 5. Precision–recall curve and average precision
#
# ROC curves are drawn in rates *within* each class, so they do not change when negatives
# become 100× more common. Precision does: the same FPR means 100× more false positives.
# When positives are rare (fraud, disease, the one relevant document) the **precision–recall
# curve** shows what the user of the model sees. Its summary is **average precision**, a
# step-wise sum over the distinct thresholds $t_1 > t_2 > \dots$:
#
# $$\mathrm{AP} = \sum_k (R_k - R_{k-1})\,P_k,\qquad R_0 = 0 .$$
#
# Do not use trapezoids here: between two PR points precision does *not* vary linearly, and
# linear interpolation overestimates the area.
#
# ### Exercise 7.5 — Average precision
#
# Return AP as a float (`y_true` holds 0/1 with at least one positive).

# %%
def average_precision(y_true, y_score):
    ### BEGIN SOLUTION
    order = np.argsort(-y_score, kind="mergesort")
    s, y = y_score[order], y_true[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tps = np.cumsum(y)[last]
    precision = tps / (last + 1)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    ### END SOLUTION


check("p07.average_precision", average_precision)

# %% [markdown]
# ## 6. Scoring probabilities: log-loss and the Brier score
#
# Ranking metrics ignore whether "0.9" really means 90 %. Two **proper scoring rules** do
# not: they are minimised, in expectation, only by the true probabilities.
#
# $$\text{log-loss} = -\frac1n\sum_i \log p_{i,y_i},\qquad
#   \text{Brier} = \frac1n\sum_i (p_i - y_i)^2\ \text{(binary)}.$$
#
# Log-loss is the cross-entropy you minimise when training logistic regression (and every
# LLM): it punishes a confident mistake without bound, so implementations clip $p$ to
# $[\varepsilon, 1-\varepsilon]$ (scikit-learn uses the float64 machine epsilon,
# $\varepsilon \approx 2.2\cdot10^{-16}$, capping one sample's loss at about 36 nats). The
# Brier score is bounded by 1 and forgives more.
#
# ### Exercise 7.6 — Multi-class log-loss
#
# `proba` has shape `(n, k)`, column $c$ = probability of class $c$; `y_true` holds
# integers in $0..k-1$. Clip to $[\varepsilon, 1-\varepsilon]$ with
# `eps = np.finfo(float).eps`, then average.

# %%
def log_loss(y_true, proba):
    ### BEGIN SOLUTION
    eps = np.finfo(float).eps
    p = np.clip(proba[np.arange(len(y_true)), y_true], eps, 1 - eps)
    return float(-np.mean(np.log(p)))
    ### END SOLUTION


check("p07.log_loss", log_loss)

# %% [markdown]
# ## Experiment 1 — ROC and PR curves of four models on one dataset
#
# **Hypothesis.** On the breast-cancer dataset (569 tumours, 30 features, 37 % malignant)
# four models of very different kinds will have ROC AUCs that look almost equal, while their
# precision–recall curves and log-losses separate them more.
#
# We treat *malignant* as the positive class (the one we must not miss) and fit logistic
# regression, a depth-3 decision tree, Gaussian naive Bayes and 15-nearest-neighbours on
# 70 % of the data; every metric below is computed by our `ml2llm.metrics.classification`.

# %%
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

data = load_breast_cancer()
X, y = data.data, 1 - data.target  # 1 = malignant
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
models = {
    "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(C=0.1)),
    "decision tree (depth 3)": DecisionTreeClassifier(max_depth=3, random_state=0),
    "Gaussian naive Bayes": GaussianNB(),
    "15-NN": make_pipeline(StandardScaler(), KNeighborsClassifier(15)),
}
scores = {name: m.fit(X_tr, y_tr).predict_proba(X_te)[:, 1] for name, m in models.items()}

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
print(f"{'model':24s} {'ROC AUC':>8s} {'AP':>6s} {'log-loss':>9s} {'Brier':>6s} {'F1':>5s}")
for name, s in scores.items():
    fpr, tpr, _ = metrics.roc_curve(y_te, s)
    prec, rec, _ = metrics.precision_recall_curve(y_te, s)
    auc_, ap = metrics.roc_auc_score(y_te, s), metrics.average_precision_score(y_te, s)
    axes[0].plot(fpr, tpr, label=f"{name} (AUC {auc_:.3f})")
    axes[1].step(rec, prec, where="post", label=f"{name} (AP {ap:.3f})")
    print(f"{name:24s} {auc_:8.3f} {ap:6.3f} {metrics.log_loss(y_te, s):9.3f} "
          f"{metrics.brier_score_loss(y_te, s):6.3f} {metrics.f1_score(y_te, (s >= 0.5).astype(int)):5.3f}")
axes[0].plot([0, 1], [0, 1], "k:", lw=1, label="chance")
axes[0].set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curves")
axes[1].axhline(y_te.mean(), color="k", ls=":", lw=1, label=f"chance (prevalence {y_te.mean():.2f})")
axes[1].set(xlabel="recall", ylabel="precision", title="Precision–recall curves")
for ax in axes:
    ax.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** The hypothesis was only half right. ROC AUC ranks the models
# logistic regression (0.99) > 15-NN (0.98) > naive Bayes (0.97) > tree (0.92): a spread of
# 0.07. Log-loss spreads them far more (0.12 to 0.86) and even *reorders* them: naive Bayes
# ranks much better than the tree, yet its log-loss is worse, because it is famously
# over-confident and a few confident mistakes dominate the average. The tree's leaves output
# a handful of coarse probabilities (many ties: its ROC curve has few corners). Ranking
# quality (AUC, AP) and probability quality (log-loss, Brier) are different questions;
# Project 07.8 fixes the second without touching the first.
#
# ## Experiment 2 — What rarity does to ROC and to PR
#
# **Hypothesis.** If we keep the *same* model and the same positives but make negatives
# rarer or more common, ROC AUC stays put (it is computed within each class) while AP falls
# as positives become rare.
#
# We simulate it exactly: score distributions fixed ($s \sim \mathcal N(1.5, 1)$ for
# positives, $\mathcal N(0, 1)$ for negatives), prevalence varied from 50 % to 1 %.

# %%
rng = np.random.default_rng(0)
n_pos = 200 if QUICK else 1000
prevalences = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01]
aucs, aps = [], []
for prev in prevalences:
    n_neg = int(n_pos * (1 - prev) / prev)
    s = np.r_[rng.normal(1.5, 1, n_pos), rng.normal(0, 1, n_neg)]
    yy = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    aucs.append(metrics.roc_auc_score(yy, s))
    aps.append(metrics.average_precision_score(yy, s))
fig, ax = plt.subplots(figsize=(6, 3.8))
ax.semilogx(prevalences, aucs, "o-", label="ROC AUC")
ax.semilogx(prevalences, aps, "s-", label="average precision")
ax.semilogx(prevalences, prevalences, "k:", label="AP of random scores (= prevalence)")
ax.set(xlabel="prevalence of the positive class", ylabel="score", title="Same model, rarer positives")
ax.legend(fontsize=8)
plt.show()
for prev, a, p in zip(prevalences, aucs, aps):
    print(f"prevalence {prev:5.2f}: ROC AUC {a:.3f}   AP {p:.3f}")

# %% [markdown]
# **What happened.** ROC AUC stays at about 0.86 at every prevalence (the theoretical value
# is $\Phi(1.5/\sqrt2) \approx 0.856$); AP collapses from about 0.85 to about 0.1. Neither is
# wrong: ROC answers "how well does the score rank?", PR answers "if I act on the top of the
# list, how often am I right?". With rare positives, report the PR curve.
#
# ## Experiment 3 — AUC only sees the order
#
# **Hypothesis.** Squashing the logistic regression's probabilities through $p^{10}$ (a
# monotone map) leaves ROC AUC and AP unchanged and ruins log-loss.

# %%
s = scores["logistic regression"]
for name, t in [("p", s), ("p ** 10", s ** 10), ("sqrt(p)", np.sqrt(s))]:
    print(f"{name:8s} ROC AUC {metrics.roc_auc_score(y_te, t):.4f}  AP {metrics.average_precision_score(y_te, t):.4f}  "
          f"log-loss {metrics.log_loss(y_te, t):.3f}  Brier {metrics.brier_score_loss(y_te, t):.3f}")

# %% [markdown]
# ## Comparison with scikit-learn
#
# Every metric must equal `sklearn.metrics` on the same inputs. They are all built from
# integer counts and one division (or one sum of logs), so we demand a relative difference
# below $10^{-12}$. The library's tests check the same on hundreds of random inputs with
# ties, single classes and zero divisions (hypothesis property tests).

# %%
import sklearn.metrics as skm

worst = 0.0
for s in scores.values():
    pred = (s >= 0.5).astype(int)
    pairs = [
        (metrics.roc_auc_score(y_te, s), skm.roc_auc_score(y_te, s)),
        (metrics.average_precision_score(y_te, s), skm.average_precision_score(y_te, s)),
        (metrics.log_loss(y_te, s), skm.log_loss(y_te, s)),
        (metrics.brier_score_loss(y_te, s), skm.brier_score_loss(y_te, s)),
        (metrics.f1_score(y_te, pred), skm.f1_score(y_te, pred)),
        (metrics.precision_score(y_te, pred, average="macro"), skm.precision_score(y_te, pred, average="macro")),
    ]
    for ours, ref in pairs:
        worst = max(worst, abs(ours - ref) / max(abs(ref), 1e-300))
    for ours, ref in zip(metrics.roc_curve(y_te, s), skm.roc_curve(y_te, s)):
        np.testing.assert_allclose(ours, ref, rtol=1e-12)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_te, pred), skm.confusion_matrix(y_te, pred))
print(f"largest relative difference to sklearn.metrics: {worst:.1e}")
assert worst < 1e-12

# the edge cases behave the same way too
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("precision with nothing predicted positive:", metrics.precision_score([0, 1], [0, 0]),
          "| sklearn:", skm.precision_score([0, 1], [0, 0]))
    print("ROC AUC with one class present:", metrics.roc_auc_score([1, 1], [0.2, 0.9]),
          "| sklearn:", skm.roc_auc_score([1, 1], [0.2, 0.9]))
print("warnings raised:", sorted({w.category.__name__ for w in caught}))

# %% [markdown]
# ## What you learned
#
# - Every threshold metric comes from the **confusion matrix**; accuracy hides *which*
#   mistakes a model makes, precision and recall name them, F1 balances them.
# - **Macro** averaging gives every class a vote, **micro** every sample (it equals accuracy
#   for single-label data), **weighted** every class in proportion to its support.
# - The **ROC AUC** is the probability that a positive outranks a negative, with ties worth
#   one half; it ignores prevalence and any monotone change of the scores.
# - **Average precision** summarises the PR curve without interpolation and falls with
#   prevalence; it is the honest number when positives are rare.
# - **Log-loss** and the **Brier score** judge the probabilities themselves; they separate
#   models whose rankings look alike.
#
# **Next:** Project 07.5 uses these metrics on heavily imbalanced data; Project 07.8 makes
# probabilities trustworthy. Glossary: [confusion matrix](../../../docs/GLOSSARY.md#confusion-matrix),
# [precision](../../../docs/GLOSSARY.md#precision), [recall](../../../docs/GLOSSARY.md#recall),
# [F1 score](../../../docs/GLOSSARY.md#f1-score), [ROC curve](../../../docs/GLOSSARY.md#roc-curve),
# [AUC](../../../docs/GLOSSARY.md#auc), [average precision](../../../docs/GLOSSARY.md#average-precision),
# [log-loss](../../../docs/GLOSSARY.md#log-loss), [Brier score](../../../docs/GLOSSARY.md#brier-score).
