# %% [markdown]
# # Project 05 — Decision trees (CART) from scratch
#
# Linear models draw one straight boundary. A **decision tree** asks a sequence of yes/no
# questions ("is petal width ≤ 0.8 cm?") and carves the feature space into boxes, each with
# its own prediction. Trees need no feature scaling, handle any mix of features, capture
# interactions, and can be read by a human. Alone they over-fit easily; as the building block
# of random forests (Project 06) and gradient boosting (Project 06.5) they are still the
# strongest models on tabular data.
#
# **You will:**
# 1. write the two classic impurity measures, Gini and entropy;
# 2. find the best threshold of a feature with one sort and a cumulative sum (no loop over
#    thresholds), then grow a whole tree recursively;
# 3. compute the "weakest link" strengths of cost-complexity pruning;
# 4. run experiments: depth against over-fitting, pruning against over-fitting, and what the
#    boxes look like on 2-D data;
# 5. prove that the library tree is *the same tree* as scikit-learn's, node for node.
#
# **Prerequisites:** Project 01, NumPy indexing and `np.cumsum`, recursion.
# **Time:** about 10 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line runs your function on
# several inputs against the reference and prints `✓` or the first input where yours
# differs, with a hint. `ml2llm check 05` runs the whole notebook from a terminal.
#
# Terms in **bold** link to the [glossary](../../../docs/GLOSSARY.md).

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import matplotlib.pyplot as plt
import numpy as np

from ml2llm import check, is_quick
from ml2llm.classical import tree as reference
from ml2llm.classical.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    export_text,
    plot_tree,
)
from ml2llm.viz import plot_decision_boundary
from utils.data_generators import make_moons
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. What makes a good question? Impurity
#
# A node holds some training samples. If they all share one class, the node is *pure* and
# can predict that class with confidence. A split is good when its two children are purer
# than the parent. We need a number for "how mixed" a node is. With $p_k$ the share of class
# $k$ among the node's samples:
#
# $$G = 1 - \sum_k p_k^2 \qquad \text{(Gini impurity)} \qquad\qquad
#   H = -\sum_k p_k \log_2 p_k \qquad \text{(entropy, in bits)}$$
#
# Both are 0 for a pure node and largest when classes are evenly mixed (two balanced classes:
# $G = 0.5$, $H = 1$ bit). **Gini** is the probability that two samples drawn at random from
# the node have different labels; **entropy** is the average number of yes/no questions
# needed to guess a label. They almost always pick the same splits; Gini is cheaper (no log).
#
# ### Exercise 5.1 — Gini impurity
#
# Return $1 - \sum_k p_k^2$ for a 1-D array of labels (any values: use `np.unique` with
# `return_counts=True`).

# %%
def gini(y):
    ### BEGIN SOLUTION
    _, counts = np.unique(y, return_counts=True)
    p = counts / len(y)
    return 1.0 - np.sum(p**2)
    ### END SOLUTION


check("p05.gini", gini)

# %% [markdown]
# ### Exercise 5.2 — Entropy
#
# Return $-\sum_k p_k \log_2 p_k$ over the classes present (so no $\log 0$ appears).

# %%
def entropy(y):
    ### BEGIN SOLUTION
    _, counts = np.unique(y, return_counts=True)
    p = counts / len(y)
    return -np.sum(p * np.log2(p))
    ### END SOLUTION


check("p05.entropy", entropy)

# %% [markdown]
# Both measures for two classes, as a function of the share $p$ of class 1 (entropy is
# scaled by ½ to share the axis). Note the shapes: both are concave, which is what
# guarantees that a split never *increases* the weighted impurity.

# %%
p = np.linspace(0.001, 0.999, 200)
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(p, 1 - p**2 - (1 - p) ** 2, label="Gini  1 − Σ p²")
ax.plot(p, 0.5 * -(p * np.log2(p) + (1 - p) * np.log2(1 - p)), label="½ · entropy")
ax.plot(p, np.minimum(p, 1 - p), "--", label="misclassification rate")
ax.set(xlabel="share of class 1 in the node", ylabel="impurity", title="Impurity of a two-class node")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 2. The best split of one feature, vectorized
#
# Take one feature $x$ and a threshold $t$: samples with $x \le t$ go left, the others right.
# The split's quality is the **weighted** impurity of the children (a tiny pure child must not
# count as much as a big mixed one):
#
# $$\mathrm{score}(t) = \frac{n_L}{n} G(L) + \frac{n_R}{n} G(R), \qquad
#   \text{information gain} = G(\text{parent}) - \mathrm{score}(t).$$
#
# Only thresholds *between* consecutive distinct sorted values matter, so there are at most
# $n-1$ candidates. The naive way recomputes $G(L)$ and $G(R)$ for each: $O(n^2)$. The CART
# way: **sort once**, then the left child of the cut after position $i$ holds exactly the
# first $i+1$ sorted samples, so the class counts of *every* left child come from one
# cumulative sum of the one-hot labels:
#
# $$C^L_{ik} = \sum_{j \le i} [y_{(j)} = k], \qquad C^R_{ik} = C_k - C^L_{ik},
#   \qquad G(L_i) = 1 - \sum_k \big(C^L_{ik} / (i+1)\big)^2 .$$
#
# That is $O(n \log n)$ for the sort and $O(nK)$ for everything else, with no Python loop.
# The library does this for all features of a node at once, sorts only at the root, and
# hands each child its samples already sorted.
#
# Two details decide whether you get *the same* tree as scikit-learn: the threshold is the
# **midpoint** $(x_{(i)} + x_{(i+1)})/2$ (any value in between gives the same training split,
# but not the same predictions on new data), and you may never cut between two *equal*
# values (they would have to go to different sides).
#
# ### Exercise 5.3 — Best Gini split of one feature
#
# Return `(threshold, score)` for the best cut, with `score` the weighted child Gini above.
# On ties, keep the smallest threshold (`np.argmin` does). Return `(None, np.inf)` if `x` is
# constant. No Python loop over thresholds.
#
# <details><summary>Hint</summary>
#
# `order = np.argsort(x)`; `onehot = (y[order][:, None] == np.unique(y)).astype(float)`;
# `left = np.cumsum(onehot, axis=0)[:-1]`; `right = onehot.sum(0) - left`;
# `n_left = np.arange(1, n)`. Mask positions where `xs[i] == xs[i + 1]` with `np.inf`.
# </details>

# %%
def best_split(x, y):
    ### BEGIN SOLUTION
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    onehot = (ys[:, None] == np.unique(ys)[None, :]).astype(float)
    left = np.cumsum(onehot, axis=0)[:-1]
    right = onehot.sum(axis=0) - left
    n = len(xs)
    n_left = np.arange(1, n)
    n_right = n - n_left
    g_left = 1.0 - np.sum((left / n_left[:, None]) ** 2, axis=1)
    g_right = 1.0 - np.sum((right / n_right[:, None]) ** 2, axis=1)
    score = (n_left * g_left + n_right * g_right) / n
    score[xs[1:] == xs[:-1]] = np.inf
    if np.all(np.isinf(score)):
        return None, np.inf
    i = np.argmin(score)
    return (xs[i] + xs[i + 1]) / 2, score[i]
    ### END SOLUTION


check("p05.best_split", best_split)

# %% [markdown]
# The score along every candidate threshold of one feature of real data (the wine dataset's
# `proline`), with the chosen cut:

# %%
from sklearn.datasets import load_wine

wine = load_wine()
xw, yw = wine.data[:, list(wine.feature_names).index("proline")], wine.target
order = np.argsort(xw)
xs = xw[order]
cands = (xs[1:] + xs[:-1]) / 2
scores = [(np.sum(xw <= t) * reference.gini(yw[xw <= t]) + np.sum(xw > t) * reference.gini(yw[xw > t])) / len(xw)
          for t in cands]  # the slow way, one threshold at a time, only to draw the curve
thr, best = reference.best_split(xw, yw)
fig, ax = plt.subplots(figsize=(6.5, 3.2))
ax.plot(cands, scores, ".-", ms=3)
ax.axvline(thr, color="r", ls="--", label=f"best: proline ≤ {thr:.0f} (score {best:.3f})")
ax.axhline(reference.gini(yw), color="k", lw=0.7, label=f"parent Gini {reference.gini(yw):.3f}")
ax.set(xlabel="threshold on proline", ylabel="weighted child Gini", title="Every candidate split of one feature")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3. Growing the tree
#
# CART is greedy: at each node try every feature, take the split with the lowest weighted
# impurity, and recurse on both children. Stop when the node is pure, when a limit is hit
# (`max_depth`, `min_samples_split`, `min_samples_leaf`), or when no feature can be cut.
# A leaf predicts the majority class of its samples (or, for probabilities, the class
# shares; for regression, the mean of $y$ — the split criterion becomes the MSE, which is
# the "impurity" of a real-valued node).
#
# Greedy is not optimal (finding the best tree is NP-hard), but it is fast and works well.
#
# ### Exercise 5.4 — Grow a tree
#
# Return nested dicts: a leaf is `{"value": majority_label}`, an internal node is
# `{"feature": j, "threshold": t, "left": ..., "right": ...}`. The root has `depth = 0`; a
# node at `depth == max_depth` is a leaf, and so is a pure node. Use your `best_split` on
# every feature and keep the first feature with the lowest score. For the majority, use
# `np.unique(y, return_counts=True)` and `argmax` (first label on ties); return it as a
# Python value with `.item()`.

# %%
def grow_tree(X, y, max_depth, depth=0):
    ### BEGIN SOLUTION
    values, counts = np.unique(y, return_counts=True)
    leaf = {"value": values[np.argmax(counts)].item()}
    if depth >= max_depth or len(values) == 1:
        return leaf
    best_j, best_t, best_score = None, None, np.inf
    for j in range(X.shape[1]):
        t, score = best_split(X[:, j], y)
        if t is not None and score < best_score:
            best_j, best_t, best_score = j, t, score
    if best_j is None:
        return leaf
    go_left = X[:, best_j] <= best_t
    return {
        "feature": best_j,
        "threshold": best_t,
        "left": grow_tree(X[go_left], y[go_left], max_depth, depth + 1),
        "right": grow_tree(X[~go_left], y[~go_left], max_depth, depth + 1),
    }
    ### END SOLUTION


check("p05.grow_tree", grow_tree)

# %% [markdown]
# The library's `DecisionTreeClassifier` grows the same tree (with arrays instead of dicts,
# and all features scored in one vectorized pass). It can print itself and draw itself:

# %%
small = DecisionTreeClassifier(max_depth=2).fit(wine.data, wine.target)
print(export_text(small, feature_names=list(wine.feature_names)))
fig, ax = plt.subplots(figsize=(9, 3.8))
plot_tree(small, feature_names=list(wine.feature_names), ax=ax)
ax.set_title("Depth-2 tree on wine (value = predicted class)")
plt.show()

# %% [markdown]
# ## Experiment 1 — Depth against over-fitting
#
# **Hypothesis.** A tree grown until every leaf is pure memorises the training set (100 %
# training accuracy) including its noise, so beyond some depth the test accuracy stops
# improving and may fall: the classic **over-fitting** curve.
#
# **Experiment.** Breast-cancer data (569 tumours, 30 features), 5 train/test splits, trees
# of depth 1 to 12 and unlimited.

# %%
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

bc = load_breast_cancer()
depths = list(range(1, 13)) + [None]
n_splits = 3 if QUICK else 10
train_acc = np.zeros((n_splits, len(depths)))
test_acc = np.zeros_like(train_acc)
leaves = np.zeros_like(train_acc)
for s in range(n_splits):
    Xtr, Xte, ytr, yte = train_test_split(bc.data, bc.target, test_size=0.3, random_state=s, stratify=bc.target)
    for k, d in enumerate(depths):
        m = DecisionTreeClassifier(max_depth=d).fit(Xtr, ytr)
        train_acc[s, k], test_acc[s, k], leaves[s, k] = m.score(Xtr, ytr), m.score(Xte, yte), m.get_n_leaves()
xs_d = np.arange(len(depths))
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
axes[0].plot(xs_d, train_acc.mean(0), "o-", label="train")
axes[0].plot(xs_d, test_acc.mean(0), "o-", label="test")
axes[0].fill_between(xs_d, test_acc.min(0), test_acc.max(0), alpha=0.2, color="C1")
axes[0].set_xticks(xs_d, [str(d) if d else "∞" for d in depths])
axes[0].set(xlabel="max_depth", ylabel="accuracy", title="Depth against over-fitting")
axes[0].legend()
axes[1].plot(xs_d, leaves.mean(0), "o-")
axes[1].set_xticks(xs_d, [str(d) if d else "∞" for d in depths])
axes[1].set(xlabel="max_depth", ylabel="leaves", title="Model size")
plt.tight_layout()
plt.show()
best_k = int(np.argmax(test_acc.mean(0)))
print(f"best mean test accuracy {test_acc.mean(0)[best_k]:.3f} at depth {depths[best_k]}; "
      f"unlimited depth: train {train_acc.mean(0)[-1]:.3f}, test {test_acc.mean(0)[-1]:.3f}")

# %% [markdown]
# **What happened.** Training accuracy climbs to 1.0 within a few more levels: the tree can
# always isolate every sample. Test accuracy peaks at a small depth (printed above; 2 to 5
# depending on the split) and then drifts down a little and varies more between splits (the
# shaded band): the extra leaves fit noise. A single
# deep tree has low **bias** and high **variance** — the problem random forests solve by
# averaging (Project 06).
#
# ## 4. Cost-complexity pruning
#
# Depth is a crude knob: it cuts every branch at the same level. **Minimal cost-complexity
# pruning** grows the full tree $T$ and then removes the branches that buy the least
# impurity per leaf. With $R(t)$ the risk of node $t$ made a leaf (its impurity times its
# share of the samples), it minimises
#
# $$R_\alpha(T) = \sum_{\text{leaves } \ell} R(\ell) + \alpha\, |\text{leaves}(T)| .$$
#
# For an internal node $t$ with subtree $T_t$, collapsing $t$ into a leaf pays off as soon as
# $\alpha \ge g(t)$ where
#
# $$g(t) = \frac{R(t) - R(T_t)}{|\text{leaves}(T_t)| - 1}$$
#
# (the impurity the branch removes, per leaf it costs). Pruning repeatedly removes the
# "weakest link" — the node with the smallest $g$ — and records each $g$ as the next
# effective alpha: that is `cost_complexity_pruning_path`. Setting `ccp_alpha` keeps the
# pruned tree whose alpha is the largest one not above it.
#
# ### Exercise 5.5 — The weakest-link strengths
#
# Given the tree arrays `children_left`, `children_right` (`-1` for a leaf; children always
# have larger ids than their parent) and `node_risk` ($R(t)$ per node), return $g(t)$ for
# every node, with `np.inf` for leaves. Walk the ids from last to first so each node's
# children are done before it.

# %%
def subtree_alphas(children_left, children_right, node_risk):
    ### BEGIN SOLUTION
    n = len(children_left)
    n_leaves = np.zeros(n)
    leaf_risk = np.zeros(n)
    for t in range(n - 1, -1, -1):
        left, right = children_left[t], children_right[t]
        if left == -1:
            n_leaves[t], leaf_risk[t] = 1, node_risk[t]
        else:
            n_leaves[t] = n_leaves[left] + n_leaves[right]
            leaf_risk[t] = leaf_risk[left] + leaf_risk[right]
    g = np.full(n, np.inf)
    internal = np.asarray(children_left) != -1
    g[internal] = (np.asarray(node_risk)[internal] - leaf_risk[internal]) / (n_leaves[internal] - 1)
    return g
    ### END SOLUTION


check("p05.subtree_alphas", subtree_alphas)

# %% [markdown]
# ## Experiment 2 — Pruning against over-fitting
#
# **Hypothesis.** Along the pruning path the training accuracy can only fall, while the test
# accuracy should first rise (noise branches go first, they have the smallest $g$) and then
# fall once real structure is pruned away. The best alpha should give a much smaller tree
# than the full one at equal or better test accuracy.

# %%
Xtr, Xte, ytr, yte = train_test_split(bc.data, bc.target, test_size=0.3, random_state=0, stratify=bc.target)
path = DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(Xtr, ytr)
alphas = path["ccp_alphas"][:-1]  # the last alpha leaves only the root
if QUICK:
    alphas = alphas[:: max(1, len(alphas) // 12)]
models = [DecisionTreeClassifier(ccp_alpha=a).fit(Xtr, ytr) for a in alphas]
tr = [m.score(Xtr, ytr) for m in models]
te = [m.score(Xte, yte) for m in models]
nl = [m.get_n_leaves() for m in models]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
axes[0].plot(alphas, tr, "o-", drawstyle="steps-post", label="train")
axes[0].plot(alphas, te, "o-", drawstyle="steps-post", label="test")
axes[0].set(xlabel="ccp_alpha", ylabel="accuracy", title="Accuracy along the pruning path")
axes[0].legend()
axes[1].plot(path["ccp_alphas"], path["impurities"], "o-", drawstyle="steps-post")
axes[1].set(xlabel="effective alpha", ylabel="total leaf impurity R(T)", title="Impurity bought back by each pruning step")
plt.tight_layout()
plt.show()
k = int(np.argmax(te))
print(f"full tree: {nl[0]} leaves, test {te[0]:.3f};  best alpha {alphas[k]:.4f}: {nl[k]} leaves, test {te[k]:.3f}")

# %% [markdown]
# **What happened.** The first pruning steps remove leaves that held one or two samples:
# training accuracy drops a little, test accuracy does not (or rises). The best alpha keeps
# a tree a fraction of the full size. In practice choose `ccp_alpha` by cross-validation
# (Project 08), never on the test set as we just did for the picture.
#
# ## Experiment 3 — What the boxes look like
#
# **Hypothesis.** Every split is perpendicular to an axis, so the decision boundary is a
# staircase. A shallow tree under-fits the two moons; a full tree wraps islands around single
# noisy points.

# %%
Xm, ym = make_moons(n_samples=300, noise=0.3, random_state=0)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
for ax, d in zip(axes, [2, 5, None]):
    m = DecisionTreeClassifier(max_depth=d).fit(Xm, ym)
    plot_decision_boundary(lambda Z, m=m: m.predict_proba(Z)[:, 1], Xm, ym, ax=ax, proba=True,
                           resolution=120 if QUICK else 250,
                           title=f"max_depth={d or '∞'}: {m.get_n_leaves()} leaves")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** Depth 2 gives four boxes — too simple. Depth 5 follows the moons with a
# staircase. The unlimited tree is pure everywhere: small rectangles around individual noisy
# points (and the probability map is only 0 or 1 — a full tree's `predict_proba` is badly
# calibrated). Axis-aligned boxes also explain why a rotated diagonal boundary needs many
# splits.
#
# ## Regression trees and feature importances
#
# For regression, a node's impurity is the MSE around its mean and a leaf predicts the mean.
# The same vectorized search works with cumulative sums of $y$ and $y^2$:
# $\sum_{i \in L}(y_i - \bar y_L)^2 = \sum y_i^2 - (\sum y_i)^2/n_L$. A tree's
# **feature importance** is the total weighted impurity decrease of the splits on each
# feature, normalised to sum to 1.

# %%
from sklearn.datasets import load_diabetes

diab = load_diabetes()
reg = DecisionTreeRegressor(max_depth=3).fit(diab.data, diab.target)
print(export_text(reg, feature_names=list(diab.feature_names), decimals=3))
order_imp = np.argsort(reg.feature_importances_)[::-1]
print("importances:", {diab.feature_names[j]: round(float(reg.feature_importances_[j]), 3) for j in order_imp[:4]})

# %% [markdown]
# ## Comparison with scikit-learn
#
# 1. **Same tree.** For depth ≤ 3 on data where no two splits tie, our tree must equal
#    scikit-learn's node for node: same feature, same threshold (both compute midpoints on
#    float32 copies of the data), same children. Where two features give *exactly* equally
#    good splits, scikit-learn picks one at random (it visits features in a random order)
#    and ours takes the lowest index; that is why the comparison first checks that
#    scikit-learn's tree does not change with its `random_state`.
# 2. **Same accuracy** on held-out data (within 2 points; a full tree on tied data depends on
#    tie-breaking, so the reference is scikit-learn's mean over five seeds).
# 3. **Same pruning path** (alphas equal to rounding).

# %%
from sklearn import tree as sk
from sklearn.datasets import load_digits

for name, (X, y), depth in [("wine", (wine.data, wine.target), 2), ("digits", load_digits(return_X_y=True), 3),
                            ("diabetes", (diab.data, diab.target), 3)]:
    Ref, Ours = (sk.DecisionTreeRegressor, DecisionTreeRegressor) if name == "diabetes" else (sk.DecisionTreeClassifier, DecisionTreeClassifier)
    refs = [Ref(max_depth=depth, random_state=r).fit(X, y).tree_ for r in range(4)]
    assert all(np.array_equal(r.feature, refs[0].feature) for r in refs), "sklearn's own tree varies: ties"
    ours = Ours(max_depth=depth).fit(X, y).tree_
    same = (np.array_equal(ours.feature, refs[0].feature) and np.array_equal(ours.threshold, refs[0].threshold)
            and np.array_equal(ours.children_left, refs[0].children_left))
    print(f"{name:8s} depth {depth}: {ours.node_count} nodes, identical structure: {same}")
    assert same

for name, loader in [("breast_cancer", load_breast_cancer), ("digits", load_digits), ("wine", load_wine)]:
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0, stratify=y)
    ours = DecisionTreeClassifier().fit(Xtr, ytr).score(Xte, yte)
    ref = np.mean([sk.DecisionTreeClassifier(random_state=r).fit(Xtr, ytr).score(Xte, yte) for r in range(5)])
    print(f"{name:14s} test accuracy: ours {ours:.3f}, scikit-learn (mean of 5 seeds) {ref:.3f}")
    assert abs(ours - ref) <= 0.02

ours_path = DecisionTreeRegressor(max_depth=6).cost_complexity_pruning_path(diab.data, diab.target)
ref_path = sk.DecisionTreeRegressor(max_depth=6, random_state=0).cost_complexity_pruning_path(diab.data, diab.target)
print("pruning path (diabetes, depth 6): max |Δα| =", np.abs(ours_path["ccp_alphas"] - ref_path.ccp_alphas).max())
assert np.allclose(ours_path["ccp_alphas"], ref_path.ccp_alphas, rtol=1e-9, atol=1e-9)

# %% [markdown]
# ## What you learned
#
# - A tree is greedy recursive partitioning: at each node, the axis-aligned split with the
#   lowest weighted child impurity — [Gini](../../../docs/GLOSSARY.md#gini-impurity) or
#   [entropy](../../../docs/GLOSSARY.md#entropy) for classes, MSE for numbers.
# - The split search is a sort plus cumulative sums: $O(n\log n)$ per feature instead of
#   $O(n^2)$; thresholds are midpoints, never between equal values.
# - Deep trees [over-fit](../../../docs/GLOSSARY.md#overfitting): training accuracy 1.0,
#   high variance. Limit depth and leaf sizes, or prune with
#   [cost-complexity pruning](../../../docs/GLOSSARY.md#cost-complexity-pruning), whose
#   weakest-link alphas you computed.
# - [Feature importances](../../../docs/GLOSSARY.md#feature-importance) from impurity
#   decrease come for free (but favour features with many distinct values; Project P3 shows
#   permutation importance).
# - Your tree is scikit-learn's tree, node for node, where the comparison is well defined.
#
# **Next:** Project 06 averages hundreds of de-correlated deep trees — a
# [random forest](../../../docs/GLOSSARY.md#random-forest) — to keep their low bias and kill
# their variance. Glossary: [decision tree](../../../docs/GLOSSARY.md#decision-tree),
# [information gain](../../../docs/GLOSSARY.md#information-gain).
