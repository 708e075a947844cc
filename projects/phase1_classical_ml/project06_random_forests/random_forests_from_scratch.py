# %% [markdown]
# # Project 06 — Random forests from scratch
#
# Project 05 ended with a problem: a deep tree has low **bias** (it can fit anything) but
# high **variance** (change a few training rows and you get a different tree). A **random
# forest** keeps the low bias and averages the variance away: grow many deep trees, each on
# a different bootstrap sample of the rows and trying only a random subset of the features
# at every split, and average their votes. It is one of the most reliable models ever built
# for tabular data, and it comes with a free validation estimate, the **out-of-bag** error.
#
# **You will:**
# 1. draw a bootstrap sample and its out-of-bag rows;
# 2. decide how many features each split may try;
# 3. combine trees by soft voting, and compute the out-of-bag accuracy;
# 4. run experiments: number of trees against OOB error, features per split against tree
#    correlation and error, and a forest's boundary against a single tree's;
# 5. match scikit-learn's `RandomForestClassifier` on three datasets.
#
# **Prerequisites:** Project 05 (decision trees). **Time:** about 6 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line prints `✓` or the first
# input where yours differs, with a hint. `ml2llm check 06` runs the whole notebook.
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
from ml2llm.classical import forest as reference
from ml2llm.classical.forest import RandomForestClassifier, RandomForestRegressor
from ml2llm.classical.tree import DecisionTreeClassifier
from ml2llm.viz import plot_decision_boundary
from utils.data_generators import make_moons
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Why averaging works, and why it needs randomness
#
# Average $T$ predictors, each with variance $\sigma^2$. If they were independent, the
# average would have variance $\sigma^2/T$. Trees grown on the same data are far from
# independent; with pairwise correlation $\rho$,
#
# $$\operatorname{Var}\Big(\frac1T\sum_{t=1}^T h_t(x)\Big) = \rho\,\sigma^2 + \frac{1-\rho}{T}\,\sigma^2 .$$
#
# More trees only shrink the second term. The first, $\rho\sigma^2$, is a floor that only
# *de-correlating* the trees can lower. A forest uses two sources of randomness for that:
#
# - **bagging** (bootstrap aggregating): each tree sees $n$ rows drawn *with replacement*;
# - **feature subsampling**: each split considers only `max_features` random features, so
#   one dominant feature cannot sit at the root of every tree.
#
# Averaging does not change the bias: the forest is as flexible as one deep tree.
#
# ## 2. The bootstrap and the out-of-bag rows
#
# Drawing $n$ times with replacement from $n$ rows, a given row is missed with probability
# $(1 - 1/n)^n \to e^{-1} \approx 0.368$. So each tree never sees about 37 % of the data:
# its **out-of-bag** (OOB) rows. Predicting every row with only the trees that did not train
# on it gives a validation estimate for free, without a held-out set.
#
# ### Exercise 6.1 — A bootstrap sample
#
# Return `(indices, oob_mask)`: `indices` are `n_samples` draws from
# `np.random.default_rng(seed).integers(0, n_samples, size=n_samples)`, and `oob_mask[i]` is
# True when row `i` was never drawn.

# %%
def bootstrap_sample(n_samples, seed):
    ### BEGIN SOLUTION
    indices = np.random.default_rng(seed).integers(0, n_samples, size=n_samples)
    oob_mask = np.ones(n_samples, dtype=bool)
    oob_mask[indices] = False
    return indices, oob_mask
    ### END SOLUTION


check("p06.bootstrap", bootstrap_sample)

# %%
sizes = [5, 10, 30, 100, 300, 1000, 3000]
shares = [np.mean([reference.bootstrap_sample(n, s)[1].mean() for s in range(50 if QUICK else 200)]) for n in sizes]
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.semilogx(sizes, shares, "o-", label="measured (mean of many draws)")
ax.semilogx(sizes, [(1 - 1 / n) ** n for n in sizes], "k--", label="(1 − 1/n)ⁿ")
ax.axhline(np.exp(-1), color="r", lw=0.8, label="e⁻¹ ≈ 0.368")
ax.set(xlabel="n (rows)", ylabel="share of rows out of bag", title="A bootstrap leaves out ~37 %")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3. How many features per split?
#
# `max_features` is the forest's main knob. Fewer features per split → less correlated
# trees (lower $\rho$) but each tree is weaker (higher $\sigma^2$ and bias). The standard
# defaults are $\lfloor\sqrt d\rfloor$ for classification and all $d$ features for
# regression (scikit-learn's choice; Breiman suggested $d/3$).
#
# ### Exercise 6.2 — Features tried at each split
#
# `None` → all `n_features`; `"sqrt"` → $\lfloor\sqrt d\rfloor$; `"log2"` →
# $\lfloor\log_2 d\rfloor$; a float $f$ → $\lfloor f d\rfloor$; an int → itself. Never fewer
# than 1.

# %%
def n_split_features(max_features, n_features):
    ### BEGIN SOLUTION
    if max_features is None:
        return n_features
    if max_features == "sqrt":
        k = int(np.sqrt(n_features))
    elif max_features == "log2":
        k = int(np.log2(n_features))
    elif isinstance(max_features, float):
        k = int(max_features * n_features)
    else:
        k = max_features
    return max(1, k)
    ### END SOLUTION


check("p06.n_features", n_split_features)

# %% [markdown]
# ## 4. Combining the trees
#
# For classification each tree outputs class probabilities (the class shares in the leaf);
# the forest averages them and takes the most likely class — **soft voting**. (A *hard*
# vote counts each tree's top class instead; it throws away how sure each tree was.) For
# regression the forest averages the trees' predictions.
#
# ### Exercise 6.3 — Soft voting
#
# `probas` has shape `(n_trees, n_samples, n_classes)`. Return the index of the predicted
# class for every sample.

# %%
def soft_vote(probas):
    ### BEGIN SOLUTION
    return np.argmax(probas.mean(axis=0), axis=1)
    ### END SOLUTION


check("p06.soft_vote", soft_vote)

# %% [markdown]
# ### Exercise 6.4 — Out-of-bag accuracy
#
# `probas` `(T, n, K)` are every tree's probabilities for every training row, `in_bag`
# `(T, n)` marks the rows each tree trained on, and `y` holds class indices. For each row,
# average only the trees for which it was out of bag, predict the argmax, and return the
# accuracy over the rows that have at least one such tree.

# %%
def oob_accuracy(probas, in_bag, y):
    ### BEGIN SOLUTION
    oob = ~in_bag
    summed = np.einsum("tn,tnk->nk", oob.astype(float), probas)
    has_vote = oob.any(axis=0)
    pred = np.argmax(summed[has_vote], axis=1)
    return np.mean(pred == y[has_vote])
    ### END SOLUTION


check("p06.oob_accuracy", oob_accuracy)

# %% [markdown]
# ## Experiment 1 — Number of trees against OOB error
#
# **Hypothesis.** From the variance formula, the error should fall quickly for the first
# tens of trees and then flatten at the $\rho\sigma^2$ floor: more trees never hurt
# accuracy (a forest does not over-fit by adding trees), they only cost time. The OOB error
# should track the error on a truly held-out test set.
#
# **Experiment.** One forest on the digits dataset (8×8 images of handwritten digits, 10
# classes); the OOB and test errors of its first $k$ trees for growing $k$.

# %%
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split

digits = load_digits()
Xtr, Xte, ytr, yte = train_test_split(digits.data, digits.target, test_size=0.3, random_state=0, stratify=digits.target)
n_trees = 25 if QUICK else 300
forest = RandomForestClassifier(n_estimators=n_trees, oob_score=True, random_state=0).fit(Xtr, ytr)
train_probas = np.stack([t.predict_proba(Xtr.astype(np.float32)) for t in forest.estimators_])
test_probas = np.stack([t.predict_proba(Xte.astype(np.float32)) for t in forest.estimators_])
ks = np.unique(np.geomspace(1, n_trees, 20).astype(int))
oob_err, test_err = [], []
for k in ks:
    oob_err.append(1 - reference.oob_accuracy(train_probas[:k], forest.in_bag_[:k], ytr))
    test_err.append(1 - np.mean(reference.soft_vote(test_probas[:k]) == yte))
single = [1 - np.mean(test_probas[t].argmax(1) == yte) for t in range(min(n_trees, 30))]
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(ks, oob_err, "o-", label="OOB error")
ax.plot(ks, test_err, "s-", label="test error")
ax.axhline(np.mean(single), color="k", ls="--", label=f"one tree (mean test error {np.mean(single):.3f})")
ax.set_xscale("log")
ax.set(xlabel="number of trees", ylabel="error", title="Digits: error against forest size")
ax.legend()
plt.show()
print(f"{n_trees} trees: OOB error {oob_err[-1]:.3f}, test error {test_err[-1]:.3f}; one tree: {np.mean(single):.3f}")

# %% [markdown]
# **What happened.** One tree errs on roughly a fifth of the test digits; averaging cuts
# that to a few percent (numbers printed above). Most of the gain comes in the first 20–50 trees; afterwards the curve is flat, as the
# $\rho\sigma^2 + (1-\rho)\sigma^2/T$ formula predicts. The OOB error is a slightly
# pessimistic but close estimate of the test error (each row is predicted by only ~37 % of
# the trees), so you can tune a forest without touching a validation set.
#
# ## Experiment 2 — Features per split: correlation against strength
#
# **Hypothesis.** With `max_features = d` (plain bagging) the trees are highly correlated;
# with 1 feature they are nearly independent but individually weak. The best OOB error lies
# in between, near $\sqrt d$.
#
# **Experiment.** On breast cancer ($d = 30$): for several `max_features`, the OOB error, the
# mean error of a single tree, and the mean pairwise correlation of the trees' predicted
# probabilities on the test set.

# %%
bc = load_breast_cancer()
Xtr_b, Xte_b, ytr_b, yte_b = train_test_split(bc.data, bc.target, test_size=0.3, random_state=0, stratify=bc.target)
choices = [1, 2, 5, 10, 20, 30]
rows = []
for mf in choices:
    f = RandomForestClassifier(n_estimators=25 if QUICK else 150, max_features=mf, oob_score=True, random_state=0).fit(Xtr_b, ytr_b)
    P = np.stack([t.predict_proba(Xte_b.astype(np.float32))[:, 1] for t in f.estimators_])
    corr = np.corrcoef(P)
    rho = corr[np.triu_indices_from(corr, 1)]
    tree_err = np.mean([np.mean((p > 0.5) != yte_b) for p in P])
    rows.append((1 - f.oob_score_, tree_err, np.nanmean(rho)))
rows = np.array(rows)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
axes[0].plot(choices, rows[:, 0], "o-", label="forest OOB error")
axes[0].plot(choices, rows[:, 1], "s-", label="single tree test error")
axes[0].axvline(np.sqrt(30), color="k", ls=":", label="√d")
axes[0].set(xlabel="max_features", ylabel="error", title="Strength of trees vs. forest")
axes[0].legend(fontsize=8)
axes[1].plot(choices, rows[:, 2], "o-", color="C2")
axes[1].set(xlabel="max_features", ylabel="mean correlation ρ", title="Correlation between trees")
plt.tight_layout()
plt.show()
for mf, (oe, te_, r) in zip(choices, rows):
    print(f"max_features={mf:2d}: forest OOB error {oe:.3f}, one tree {te_:.3f}, ρ = {r:.2f}")

# %% [markdown]
# **What happened.** The correlation rises steadily with `max_features` while single trees
# get better: the two terms of the variance formula pull in opposite directions. In our runs
# the forest's error was lowest with a few features per split and highest for plain bagging
# (`max_features = 30`). The differences are a point or two — within the noise of one
# split, so read the trend, not single points — forests are robust to this knob; on data
# with one dominant feature the gap is larger.
#
# ## Experiment 3 — A forest's boundary against a tree's
#
# **Hypothesis.** A single deep tree draws a jagged boundary with islands around noisy
# points; the forest's averaged probability is smooth, and its 0.5 contour is a cleaner
# staircase.

# %%
Xm, ym = make_moons(n_samples=300, noise=0.3, random_state=0)
tree = DecisionTreeClassifier(random_state=0).fit(Xm, ym)
rf = RandomForestClassifier(n_estimators=30 if QUICK else 200, random_state=0).fit(Xm, ym)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
res = 120 if QUICK else 250
plot_decision_boundary(lambda Z: tree.predict_proba(Z)[:, 1], Xm, ym, ax=axes[0], proba=True, resolution=res, title="one deep tree")
plot_decision_boundary(lambda Z: rf.predict_proba(Z)[:, 1], Xm, ym, ax=axes[1], proba=True, resolution=res, title=f"forest of {rf.n_estimators} trees")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** The tree's probabilities are only 0 or 1, with small boxes around
# individual points. The forest's are graded: regions where trees disagree get
# probabilities near 0.5, which is exactly where the classes overlap.
#
# ## Feature importances and parallel fitting
#
# A forest's **feature importance** is the mean over trees of each tree's impurity decrease
# per feature. Trees are independent, so they fit in parallel: `n_jobs` hands them to joblib
# threads. NumPy releases the GIL only inside its array operations, and our trees spend a good
# part of their time in Python between them, so the gain is modest (and nil on a busy
# machine); scikit-learn's compiled trees scale better.

# %%
from sklearn import ensemble as ske

ours = RandomForestClassifier(n_estimators=40 if QUICK else 200, random_state=0).fit(Xtr_b, ytr_b)
ref = ske.RandomForestClassifier(n_estimators=40 if QUICK else 200, random_state=0).fit(Xtr_b, ytr_b)
top = np.argsort(ref.feature_importances_)[::-1][:10]
fig, ax = plt.subplots(figsize=(9, 3.5))
ax.bar(np.arange(10) - 0.2, ours.feature_importances_[top], width=0.4, label="ours")
ax.bar(np.arange(10) + 0.2, ref.feature_importances_[top], width=0.4, label="scikit-learn")
ax.set_xticks(np.arange(10), [bc.feature_names[j] for j in top], rotation=40, ha="right", fontsize=7)
ax.set(ylabel="importance", title="Breast cancer: the ten most important features")
ax.legend()
plt.tight_layout()
plt.show()
for jobs in [1, 2]:
    t0 = time.perf_counter()
    RandomForestClassifier(n_estimators=20 if QUICK else 100, random_state=0, n_jobs=jobs).fit(Xtr_b, ytr_b)
    print(f"n_jobs={jobs}: forest on breast cancer fitted in {time.perf_counter() - t0:.2f} s")

# %% [markdown]
# ## Comparison with scikit-learn
#
# Two forests with different random draws never grow the same trees, so we compare what
# matters: held-out and OOB accuracy within 2 points, each averaged over 3 seeds per library
# (a single forest's test accuracy moves by about a point with its seed on ~150 test rows),
# and the OOB R² of regression forests on diabetes within 0.03.

# %%
from sklearn.datasets import load_diabetes

import warnings

# with few trees a row or two is in every bootstrap; sklearn warns, both skip such rows
warnings.filterwarnings("ignore", message="Some inputs do not have OOB scores")
for name, loader in [("breast_cancer", load_breast_cancer), ("digits", load_digits), ("wine", load_wine)]:
    X, y = loader(return_X_y=True)
    n_est = 15 if QUICK and name == "digits" else 40 if QUICK else 200  # digits is the slow one
    a_tr, a_te, b_tr, b_te = train_test_split(X, y, random_state=0, stratify=y)
    # 3 seeds each: one forest's test accuracy moves by ~1 point with its seed on ~150 rows
    acc, oob = {}, {}
    for lib, Forest in [("ours", RandomForestClassifier), ("sklearn", ske.RandomForestClassifier)]:
        fits = [Forest(n_estimators=n_est, oob_score=True, random_state=r).fit(a_tr, b_tr) for r in range(3)]
        acc[lib] = np.mean([f.score(a_te, b_te) for f in fits])
        oob[lib] = np.mean([f.oob_score_ for f in fits])
    print(f"{name:14s} test accuracy ours {acc['ours']:.3f} vs sklearn {acc['sklearn']:.3f};"
          f"  OOB {oob['ours']:.3f} vs {oob['sklearn']:.3f}  (means of 3 seeds)")
    assert abs(acc["ours"] - acc["sklearn"]) <= 0.02
    assert abs(oob["ours"] - oob["sklearn"]) <= 0.02

n_est = 60 if QUICK else 200
Xd, yd = load_diabetes(return_X_y=True)
kw = dict(n_estimators=n_est, max_features=0.5, oob_score=True, random_state=0)
ours_r, ref_r = RandomForestRegressor(**kw).fit(Xd, yd), ske.RandomForestRegressor(**kw).fit(Xd, yd)
print(f"diabetes OOB R²: ours {ours_r.oob_score_:.3f} vs sklearn {ref_r.oob_score_:.3f}")
assert abs(ours_r.oob_score_ - ref_r.oob_score_) <= 0.03

# %% [markdown]
# ## What you learned
#
# - [Bagging](../../../docs/GLOSSARY.md#bagging) trains each tree on a
#   [bootstrap](../../../docs/GLOSSARY.md#bootstrap) sample; ~37 % of the rows are left out
#   of each, which gives the [out-of-bag](../../../docs/GLOSSARY.md#out-of-bag-error) error
#   for free.
# - Averaging $T$ trees with correlation $\rho$ leaves variance $\rho\sigma^2 + (1-\rho)\sigma^2/T$:
#   more trees shrink only the second term; feature subsampling (`max_features`) attacks the first.
# - Adding trees does not over-fit; it flattens. `max_features` trades tree strength
#   against correlation, with a broad optimum near $\sqrt d$.
# - Soft voting keeps each tree's confidence, and gives smooth probability maps.
# - Your forest matches scikit-learn's accuracy, OOB estimate and
#   [feature importances](../../../docs/GLOSSARY.md#feature-importance) within their noise.
#
# **Next:** Project 06.5 builds trees *sequentially*, each correcting the last —
# [gradient boosting](../../../docs/GLOSSARY.md#gradient-boosting). Glossary:
# [random forest](../../../docs/GLOSSARY.md#random-forest),
# [bias–variance trade-off](../../../docs/GLOSSARY.md#bias-variance-trade-off).
