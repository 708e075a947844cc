# %% [markdown]
# # Project 08 — Cross-validation strategies and leakage
#
# A model's score on the data it was fitted on says nothing about new data. A single
# train/test split says something, but with a few hundred samples the number moves by
# several points depending on which samples land in the test set. **Cross-validation**
# reuses every sample for testing exactly once and averages, and its variants encode what
# "new data" means: new samples in the same proportions (stratified), new patients or users
# (grouped), or the future (time series). Get the split wrong and every number downstream,
# up to an LLM's benchmark score, is optimistic.
#
# **You will:**
# 1. write k-fold, stratified k-fold and time-series splits that match scikit-learn exactly;
# 2. write the cross-validation loop and a hyperparameter search on top of it;
# 3. see why the best inner-CV score of a search is optimistic and how **nested CV** fixes it;
# 4. measure the optimistic bias of **data leakage** (feature selection before the split).
#
# **Prerequisites:** Project 04 (hyperparameters such as the regularisation strength),
# Project 07 (metrics). **Time:** about 6 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line under it runs your
# function on several inputs and prints `✓` or the first input where yours differs, with a
# hint. `ml2llm check 08` runs this notebook and records your progress.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from ml2llm import check, is_quick
from ml2llm.classical import model_selection as ms
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. k-fold cross-validation
#
# Split the $n$ samples into $k$ disjoint **folds** $F_1, \dots, F_k$. For each $j$, fit on
# everything except $F_j$ and score on $F_j$:
#
# $$\widehat{\mathrm{err}}_{\mathrm{CV}} = \frac1k \sum_{j=1}^k
#   \mathrm{score}\big(\hat f^{(-j)}, F_j\big).$$
#
# Every sample is tested exactly once, by a model that never saw it. Larger $k$ means
# training sets closer to the full data (less pessimistic) but more fits and more correlated
# estimates; $k = 5$ or $10$ is the usual compromise. scikit-learn's convention, which we
# match exactly: contiguous blocks, sizes $\lfloor n/k \rfloor$, the first $n \bmod k$ blocks
# one larger. (Shuffle first when the file's order means something.)
#
# ### Exercise 8.1 — k-fold test indices
#
# Return a list of `n_splits` integer arrays: the test indices of each fold, in order.

# %%
def kfold_test_indices(n_samples, n_splits):
    ### BEGIN SOLUTION
    sizes = np.full(n_splits, n_samples // n_splits)
    sizes[: n_samples % n_splits] += 1
    bounds = np.r_[0, np.cumsum(sizes)]
    return [np.arange(bounds[j], bounds[j + 1]) for j in range(n_splits)]
    ### END SOLUTION


check("p08.kfold", kfold_test_indices)

# %% [markdown]
# ## 2. Stratified k-fold
#
# With 5 % positives and 5 plain folds of sorted data, some folds may hold no positive at
# all: their recall is undefined and the average is noise. **Stratification** makes each
# fold's class proportions match the whole data set's.
#
# scikit-learn's recipe (which we reproduce, so our folds are *identical*):
# 1. number the classes (here: in sorted order) and sort the labels, $y_{(1)} \le \dots \le y_{(n)}$;
# 2. deal the sorted labels round-robin to the folds — fold $j$ receives
#    $y_{(j)}, y_{(j+k)}, y_{(j+2k)}, \dots$ — and count how many of each class each fold got;
# 3. within each class, give the first of its samples (in data order) to fold 0, up to its
#    count, the next ones to fold 1, and so on.
#
# Step 2 spreads the leftovers of *every* class over different folds, so fold sizes stay
# within one of each other and a class with fewer members than folds still lands in
# several of them.
#
# ### Exercise 8.2 — Stratified fold ids
#
# Return an integer array of length `len(y)`: the test fold of each sample. (scikit-learn
# numbers classes by first appearance; in the checks the classes first appear in sorted
# order, so `np.unique` is fine.)

# %%
def stratified_fold_ids(y, n_splits):
    ### BEGIN SOLUTION
    classes = np.unique(y)
    code = np.searchsorted(classes, y)
    dealt = np.sort(code)
    counts = np.array([np.bincount(dealt[j::n_splits], minlength=len(classes)) for j in range(n_splits)])
    folds = np.empty(len(y), dtype=int)
    for c in range(len(classes)):
        folds[code == c] = np.repeat(np.arange(n_splits), counts[:, c])
    return folds
    ### END SOLUTION


check("p08.stratified_fold_ids", stratified_fold_ids)

# %% [markdown]
# ## 3. Groups and time
#
# **Grouped data.** Several samples from one patient, one user, one document: if some are in
# training and some in test, the model can recognise the *patient* rather than the disease,
# and the score says nothing about new patients. `GroupKFold` keeps every group on one side;
# the library version assigns groups, largest first, to the fold with the fewest samples so
# far (scikit-learn's balancing rule).
#
# **Time series.** Shuffled folds let the model train on the future and predict the past.
# `TimeSeriesSplit` cuts the series into $k+1$ blocks of size $\lfloor n/(k+1)\rfloor$ (the
# first absorbs the remainder) and for $j = 1..k$ trains on everything before block $j$
# and tests on block $j$: an expanding window. A **gap** of $g$ samples between train and
# test mimics a forecast made $g$ steps ahead (and stops autocorrelated neighbours leaking).
#
# ### Exercise 8.3 — Time-series splits
#
# Return a list of `n_splits` pairs `(train, test)` of index arrays, test blocks of size
# `n_samples // (n_splits + 1)` ending at the last sample, training on
# `0 .. test_start - gap - 1`.

# %%
def time_series_splits(n_samples, n_splits, gap=0):
    ### BEGIN SOLUTION
    size = n_samples // (n_splits + 1)
    splits = []
    for start in range(n_samples - n_splits * size, n_samples, size):
        splits.append((np.arange(0, start - gap), np.arange(start, start + size)))
    return splits
    ### END SOLUTION


check("p08.time_series_splits", time_series_splits)

# %% [markdown]
# ## Experiment 1 — What each splitter does, in one picture
#
# **Question.** How do the four strategies differ on the same 60 samples with an imbalanced
# label (20 % positives, sorted by time) and 12 groups of varied sizes?
#
# Each row is one split; blue = training, orange = test, white = unused (the gap and the
# future in the time-series rows). The bottom strips show the class and the group of each sample.

# %%
n = 60
rng = np.random.default_rng(0)
y_demo = (rng.random(n) < 0.2).astype(int)
groups_demo = np.sort(rng.integers(0, 12, n))
splitters = {
    "KFold(5)": ms.KFold(5),
    "StratifiedKFold(5)": ms.StratifiedKFold(5),
    "GroupKFold(5)": ms.GroupKFold(5),
    "TimeSeriesSplit(5, gap=2)": ms.TimeSeriesSplit(5, gap=2),
}
fig, axes = plt.subplots(2, 2, figsize=(12, 5.5))
for ax, (name, sp) in zip(axes.ravel(), splitters.items()):
    grid = np.full((sp.get_n_splits() + 2, n), np.nan)
    for row, (train, test) in enumerate(sp.split(np.zeros((n, 1)), y_demo, groups_demo)):
        grid[row, train], grid[row, test] = 0, 1
    grid[-2], grid[-1] = 2 + y_demo, 4 + groups_demo % 2
    ax.imshow(grid, aspect="auto", interpolation="nearest", cmap="tab10", vmin=0, vmax=9)
    positives = [int(y_demo[test].sum()) for _, test in sp.split(np.zeros((n, 1)), y_demo, groups_demo)]
    ax.set_yticks(range(len(grid)), [f"split {i}" for i in range(len(grid) - 2)] + ["class", "group"])
    ax.set(title=f"{name}: positives per test fold {positives}", xlabel="sample index")
fig.legend(handles=[Patch(color=plt.cm.tab10(0), label="train"), Patch(color=plt.cm.tab10(1), label="test")],
           loc="upper right")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** Plain k-fold's test folds hold very different numbers of positives;
# stratified k-fold's differ by at most one. Group k-fold's test folds are unions of whole
# groups, so fold boundaries follow the group strip. The time-series rows never use a sample
# after the test block, and leave the gap white.
#
# ## 4. The cross-validation loop
#
# ### Exercise 8.4 — Cross-validated scores
#
# `make_model()` returns a fresh, unfitted scikit-learn-style classifier; `folds` is a list
# of test index arrays. For each fold, fit a new model on all the *other* samples and record
# its accuracy (`model.score`) on the fold. Return the array of scores.

# %%
def cross_val_scores(make_model, X, y, folds):
    ### BEGIN SOLUTION
    scores = []
    for test in folds:
        train = np.setdiff1d(np.arange(len(X)), test)
        model = make_model().fit(X[train], y[train])
        scores.append(model.score(X[test], y[test]))
    return np.array(scores)
    ### END SOLUTION


check("p08.cross_val_scores", cross_val_scores)

# %% [markdown]
# ## 5. Choosing a hyperparameter — and the trap in reporting its score
#
# A **grid search** runs the CV loop once per candidate value and keeps the best mean score.
# That maximum is *biased upwards*: with many candidates, one of them is lucky on these
# particular folds. The fix is **nested cross-validation**: an outer CV loop holds out a test
# fold, and the whole search (inner CV included) runs on the outer training part only. The
# outer scores estimate the performance of *the procedure* "search, then refit", which is
# what you will deploy.
#
# ### Exercise 8.5 — Select a hyperparameter by CV
#
# `make_model(value)` returns a fresh model for one candidate value. Return
# `(best_value, mean_scores)`: the value with the highest mean CV score (the first one on
# ties) and the array of means, in the order of `values`. Use your `cross_val_scores`.

# %%
def select_hyperparameter(make_model, values, X, y, folds):
    ### BEGIN SOLUTION
    means = np.array([cross_val_scores(lambda v=v: make_model(v), X, y, folds).mean() for v in values])
    return values[int(np.argmax(means))], means
    ### END SOLUTION


check("p08.select_hyperparameter", select_hyperparameter)

# %% [markdown]
# ## Experiment 2 — Nested CV versus the optimistic inner score
#
# **Hypothesis.** Reporting the best inner-CV score of a grid search overestimates the
# accuracy on unseen data; nested CV does not. The effect grows with the number of candidates
# and shrinks with more data.
#
# We draw small samples (150 tumours) from the breast-cancer data, search 18 decision-tree
# settings (`max_depth` × `min_samples_leaf`) and repeat over several draws. Within a trial
# both estimates come from the same folds; only *what is reported* differs.

# %%
from sklearn.datasets import load_breast_cancer
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

Xb, yb = load_breast_cancer(return_X_y=True)
tree = DecisionTreeClassifier(random_state=0)
grid = {"max_depth": [1, 2, 3, 4, 6, None], "min_samples_leaf": [1, 3, 10]}
n_trials = 6 if QUICK else 30
rng = np.random.default_rng(0)
inner_best, outer = [], []
for trial in range(n_trials):
    idx = rng.choice(len(yb), 150, replace=False)
    res = ms.nested_cross_val_score(tree, grid, Xb[idx], yb[idx],
                                    outer_cv=ms.StratifiedKFold(3, shuffle=True, random_state=trial),
                                    inner_cv=ms.StratifiedKFold(3, shuffle=True, random_state=100 + trial))
    inner_best.append(res.inner_best_scores.mean())
    outer.append(res.outer_scores.mean())
inner_best, outer = np.array(inner_best), np.array(outer)
gap = inner_best - outer
print(f"mean best inner-CV accuracy: {inner_best.mean():.4f}")
print(f"mean nested (outer) accuracy: {outer.mean():.4f}")
print(f"optimistic bias of the inner score: {gap.mean():+.4f} ± {gap.std(ddof=1) / np.sqrt(n_trials):.4f} (s.e.)")
print("(max_depth, min_samples_leaf) chosen by the outer folds of the last trial:",
      [tuple(p.values()) for p in res.chosen_params])

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
axes[0].plot(inner_best, "o-", label="best inner CV (non-nested)")
axes[0].plot(outer, "s-", label="nested CV (outer folds)")
axes[0].set(xlabel="trial (sample of 150)", ylabel="accuracy", title="Two ways to report a grid search")
axes[0].legend(fontsize=8)
axes[1].bar(range(n_trials), gap, color=["tab:red" if g > 0 else "tab:blue" for g in gap])
axes[1].axhline(0, color="k", lw=0.8)
axes[1].set(xlabel="trial", ylabel="inner − nested", title="Optimism of the inner score")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** The best inner score is above the nested score in most trials (red
# bars). We measured an optimistic bias of +1.1 ± 0.4 points of accuracy (mean ± standard
# error over 30 trials, full mode; quick mode's 6 trials give +1.3 ± 1.0, the same
# effect with more noise). The outer folds even disagree on the best setting, a sign that
# the "winner" is partly luck. The bias grows with the number of candidates (a search over
# thousands of configurations, as in architecture or prompt search, can report several
# points of pure luck) and shrinks with more data. Report the nested (or a held-out test)
# score; use the inner score only to *choose*.
#
# ## Experiment 3 — Leakage: selecting features before splitting
#
# **Hypothesis.** If we pick the features most correlated with the label using *all* the
# data and cross-validate afterwards, CV will report a good score even when the features are
# pure noise — because the test folds took part in the selection.
#
# The data: 60 samples, 2000 features of Gaussian noise, labels independent of everything.
# The true accuracy of any model is 50 %. Leaky: select the 20 best features on all 60
# samples, then 5-fold CV. Honest: select them inside each training fold.

# %%
from sklearn.linear_model import LogisticRegression

n_feat = 500 if QUICK else 2000
ks = [5, 20, 50] if QUICK else [2, 5, 10, 20, 50, 100]
rng = np.random.default_rng(1)
Xn = rng.normal(size=(60, n_feat))
yn = np.r_[np.zeros(30, int), np.ones(30, int)]
rng.shuffle(yn)
leaky, honest = [], []
for k in ks:
    lk, hn = ms.feature_selection_leakage(LogisticRegression(), Xn, yn, k=k, cv=ms.StratifiedKFold(5))
    leaky.append(lk)
    honest.append(hn)
    print(f"k = {k:3d} features: leaky CV accuracy {lk:.3f}   honest {hn:.3f}   optimistic bias {lk - hn:+.3f}")
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.plot(ks, leaky, "o-", label="selection on all data, then CV (leaky)")
ax.plot(ks, honest, "s-", label="selection inside each training fold (honest)")
ax.axhline(0.5, color="k", ls=":", label="true accuracy (labels are noise)")
ax.set(xscale="log", xlabel="number of selected features", ylabel="CV accuracy", ylim=(0.2, 1.05),
       title=f"Pure noise, {n_feat} features, 60 samples")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **What happened.** The leaky pipeline reports 70–98 % accuracy on labels that are coin
# flips (full mode, 2000 features: +20 points of optimistic bias with 2 selected features,
# +43 with 50; quick mode, 500 features: +15 to +35), and more selected features means more
# bias. The honest pipeline stays near the true 50 % (its spread is the noise of 60
# samples). Among thousands of noise features, some correlate with the label *on these 60
# samples*, test folds included; selecting them on all data bakes the test labels into the
# features. (This exact mistake appeared in published gene-expression studies.) The rule:
# every step that looks at data — scaling, imputation, selection, vocabulary building,
# tokenizer training — is part of the model and is fitted on the training fold only. A
# scikit-learn `Pipeline` does that for you.
#
# Scaling before the split leaks too, but much less: a mean and a variance are only two
# numbers per feature. On the breast-cancer data the difference is nil (to four decimals):

# %%
knn = KNeighborsClassifier(5)
leaky_scaled = ms.cross_val_score(knn, StandardScaler().fit_transform(Xb), yb, cv=ms.StratifiedKFold(5)).mean()
honest_scaled = ms.cross_val_score(make_pipeline(StandardScaler(), knn), Xb, yb, cv=ms.StratifiedKFold(5)).mean()
print(f"scaling on all data: {leaky_scaled:.4f}   scaling inside the folds: {honest_scaled:.4f}   "
      f"difference {leaky_scaled - honest_scaled:+.4f}")

# %% [markdown]
# ## Comparison with scikit-learn
#
# Our splitters must yield *identical* index arrays to `sklearn.model_selection` for the same
# parameters, shuffled or not, and our `cross_val_score` and `GridSearchCV` must give the
# same numbers (relative $10^{-12}$: same models on the same folds, only the order of a mean
# can differ). Our splitters also work as `cv=` inside scikit-learn's own functions.

# %%
import sklearn.model_selection as skms

X60 = np.zeros((60, 1))
pairs = [
    (ms.KFold(5, shuffle=True, random_state=3).split(X60), skms.KFold(5, shuffle=True, random_state=3).split(X60)),
    (ms.StratifiedKFold(4, shuffle=True, random_state=1).split(X60, y_demo),
     skms.StratifiedKFold(4, shuffle=True, random_state=1).split(X60, y_demo)),
    (ms.GroupKFold(5).split(X60, groups=groups_demo), skms.GroupKFold(5).split(X60, groups=groups_demo)),
    (ms.TimeSeriesSplit(4, gap=3).split(X60), skms.TimeSeriesSplit(4, gap=3).split(X60)),
]
n_folds = 0
for ours, theirs in pairs:
    for (a, b), (c, d) in zip(ours, theirs, strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)
        n_folds += 1
print(f"{n_folds} folds from 4 splitters: identical indices")

pipe = make_pipeline(StandardScaler(), KNeighborsClassifier(5))
ours = ms.cross_val_score(pipe, Xb, yb, cv=5, scoring="roc_auc")
theirs = skms.cross_val_score(pipe, Xb, yb, cv=5, scoring="roc_auc")
np.testing.assert_allclose(ours, theirs, rtol=1e-12)
gs = ms.GridSearchCV(tree, grid, cv=4).fit(Xb, yb)
gs_ref = skms.GridSearchCV(tree, grid, cv=4).fit(Xb, yb)
assert gs.best_params_ == gs_ref.best_params_ and abs(gs.best_score_ - gs_ref.best_score_) < 1e-12
print("cross_val_score (ROC AUC):", ours.round(4), "= sklearn")
print("GridSearchCV best:", gs.best_params_, f"{gs.best_score_:.4f}", "= sklearn")

# %% [markdown]
# ## What you learned
#
# - **k-fold CV** tests every sample once with a model that never saw it; the folds are a
#   convention you can reproduce exactly.
# - **Stratified** folds keep class proportions (rare classes included), **group** folds keep
#   related samples together, **time-series** splits never train on the future.
# - Choosing hyperparameters by CV and reporting the winner's CV score is optimistic;
#   **nested CV** estimates the whole procedure honestly.
# - **Data leakage** — any data-dependent step fitted before the split — can turn coin-flip
#   labels into an apparent 90 % accuracy. Fit every step inside the training fold.
#
# **Next:** Project 10 (feature engineering) builds the preprocessing steps that must live
# inside the folds; Project 11 puts everything into one pipeline. Glossary:
# [cross-validation](../../../docs/GLOSSARY.md#cross-validation),
# [stratification](../../../docs/GLOSSARY.md#stratification),
# [nested cross-validation](../../../docs/GLOSSARY.md#nested-cross-validation),
# [data leakage](../../../docs/GLOSSARY.md#data-leakage),
# [hyperparameter](../../../docs/GLOSSARY.md#hyperparameter).
