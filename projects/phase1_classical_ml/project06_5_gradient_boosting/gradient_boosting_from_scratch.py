# %% [markdown]
# # Project 06.5 — Gradient boosting from scratch
#
# A random forest grows deep trees *independently* and averages them to cut variance.
# **Gradient boosting** does the opposite: it grows *small* trees *one after another*, each
# one fitted to the mistakes of everything before it, and adds them up. Each tree is a weak
# learner with high bias; the sum is strong. It is gradient descent — not on parameters, but
# on the predictions themselves — and its descendants (XGBoost, LightGBM, scikit-learn's
# `HistGradientBoosting*`) win most tabular competitions.
#
# **You will:**
# 1. write the pieces of binary boosting with the log loss: the starting log-odds, the
#    pseudo-residuals (negative gradient) and the Newton step for a leaf;
# 2. write the whole least-squares boosting loop;
# 3. run experiments: train and validation loss against the number of stages, learning
#    rate against number of trees, and the boundaries of a tree, a forest and boosting side
#    by side;
# 4. match scikit-learn's `GradientBoosting*` on breast cancer and diabetes.
#
# **Prerequisites:** Project 05 (trees), Project 02's sigmoid and log loss help.
# **Time:** about 8 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line prints `✓` or the first
# input where yours differs, with a hint. `ml2llm check 06.5` runs the whole notebook.
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
from scipy.special import expit

from ml2llm import check, is_quick
from ml2llm.classical.boosting import GradientBoostingClassifier, GradientBoostingRegressor
from ml2llm.classical.forest import RandomForestClassifier
from ml2llm.classical.tree import DecisionTreeClassifier, DecisionTreeRegressor
from ml2llm.viz import plot_decision_boundary, plot_loss_curves
from utils.data_generators import make_moons
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Boosting is gradient descent on the predictions
#
# We want a function $F$ that minimises $\sum_i L(y_i, F(x_i))$. Treat the $n$ training
# predictions $F(x_1), \dots, F(x_n)$ as the parameters. Gradient descent would move each by
# $-\nu\, \partial L / \partial F(x_i)$. Those negative gradients are the **pseudo-residuals**
#
# $$r_i = -\frac{\partial L(y_i, F)}{\partial F}\Big|_{F = F_{m-1}(x_i)} .$$
#
# But moving predictions at training points only does not generalise. So we fit a small
# regression tree $h_m$ to the $r_i$ — a function defined everywhere that moves similar $x$
# in similar directions — and take the step with it:
#
# $$F_m(x) = F_{m-1}(x) + \nu\, h_m(x), \qquad F_0 = \arg\min_c \sum_i L(y_i, c).$$
#
# The **learning rate** (shrinkage) $\nu \in (0, 1]$ is the step size. For the squared loss
# $L = \tfrac12 (y - F)^2$ the pseudo-residual is the plain residual $y - F$: each tree
# fits what is left to explain.
#
# ## 2. Binary classification with the log loss
#
# For labels $y \in \{0, 1\}$ the model's raw score $F$ is a **log-odds**: $p = \sigma(F) =
# 1/(1 + e^{-F})$. The log loss and its derivatives in $F$ are
#
# $$L = -y \log p - (1 - y)\log(1-p) = \log(1 + e^{F}) - yF, \qquad
#   \frac{\partial L}{\partial F} = p - y, \qquad \frac{\partial^2 L}{\partial F^2} = p(1 - p).$$
#
# The best constant is the log-odds of the class shares.
#
# ### Exercise 6.5.1 — The starting score
#
# Return $F_0 = \log\frac{\bar y}{1 - \bar y}$ for 0/1 labels `y`.

# %%
def log_odds_prior(y):
    ### BEGIN SOLUTION
    p = np.mean(y)
    return np.log(p / (1 - p))
    ### END SOLUTION


check("p06_5.log_odds_prior", log_odds_prior)

# %% [markdown]
# ### Exercise 6.5.2 — The pseudo-residuals
#
# Return the negative gradient of the log loss at raw scores `raw`: $y - \sigma(F)$
# (`scipy.special.expit` is a stable sigmoid).

# %%
def negative_gradient(y, raw):
    ### BEGIN SOLUTION
    return y - expit(raw)
    ### END SOLUTION


check("p06_5.negative_gradient", negative_gradient)

# %% [markdown]
# ## 3. A Newton step in every leaf
#
# A regression tree fitted to the residuals $r_i = y_i - p_i$ predicts their *mean* in each
# leaf. For the squared loss that is exactly the optimal step. For the log loss it is not:
# a residual of 0.4 means something different when $p = 0.5$ than when $p = 0.01$. Friedman's
# algorithm keeps the tree's *partition* but replaces each leaf's value by one Newton step on
# the leaf's samples $R_j$:
#
# $$\gamma_j = \frac{\sum_{i \in R_j} r_i}{\sum_{i\in R_j} p_i (1 - p_i)}
#   \qquad \Big(= -\frac{\text{gradient}}{\text{Hessian}}\Big).$$
#
# ### Exercise 6.5.3 — The Newton leaf value
#
# Return $\sum r / \sum p(1-p)$; return `0.0` when the denominator is 0 (every $p$ is 0
# or 1), to avoid a division by zero.

# %%
def newton_leaf_value(residual, prob):
    ### BEGIN SOLUTION
    denom = np.sum(prob * (1 - prob))
    if denom == 0:
        return 0.0
    return np.sum(residual) / denom
    ### END SOLUTION


check("p06_5.newton_leaf_value", newton_leaf_value)

# %% [markdown]
# ## 4. The boosting loop
#
# ### Exercise 6.5.4 — Least-squares boosting
#
# Start at $F = \bar y$ for every training row. For each of `n_estimators` stages fit a
# `DecisionTreeRegressor(max_depth=max_depth)` (the library tree from Project 05) to the
# residuals $y - F$, update $F \leftarrow F + \nu\,h(X)$, and record the training MSE. Return
# `(F, losses)` with `losses[m]` the MSE after $m + 1$ trees.

# %%
def boost_regression(X, y, n_estimators, learning_rate, max_depth):
    ### BEGIN SOLUTION
    F = np.full(len(y), np.mean(y))
    losses = []
    for _ in range(n_estimators):
        tree = DecisionTreeRegressor(max_depth=max_depth).fit(X, y - F)
        F = F + learning_rate * tree.predict(X)
        losses.append(np.mean((y - F) ** 2))
    return F, np.array(losses)
    ### END SOLUTION


check("p06_5.boost_regression", boost_regression)

# %% [markdown]
# Watch it work on a 1-D curve: each stage adds a small staircase that fixes part of what
# is left.

# %%
rng = np.random.default_rng(0)
x = np.sort(rng.uniform(0, 6, 120))
X1 = x[:, None]
y1 = np.sin(x) + 0.3 * np.sin(4 * x) + 0.15 * rng.normal(size=x.size)
model = GradientBoostingRegressor(n_estimators=100, learning_rate=0.1, max_depth=2).fit(X1, y1)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
axes[0].scatter(x, y1, s=8, color="0.5", label="data")
for m, pred in enumerate(model.staged_predict(X1), start=1):
    if m in (1, 5, 20, 100):
        axes[0].plot(x, pred, label=f"{m} trees")
axes[0].set(xlabel="x", ylabel="y", title="Staged predictions (depth-2 trees, ν = 0.1)")
axes[0].legend(fontsize=8)
plot_loss_curves({"train MSE": model.train_score_}, ax=axes[1], title="Training loss per stage", xlabel="number of trees")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Experiment 1 — Train and validation loss against the number of stages
#
# **Hypothesis.** The training loss falls forever (every tree can only help on the data it
# was fitted to). The validation loss falls, reaches a minimum, and rises again: boosting
# *can* over-fit by adding trees, unlike a random forest. The minimum tells you how many
# stages to keep (early stopping).
#
# **Experiment.** Breast cancer, a 60/40 split, 300 stages with $\nu = 0.3$ and depth 3;
# the log loss on both sets after every stage (`staged_loss`).

# %%
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import train_test_split

bc = load_breast_cancer()
Xtr, Xva, ytr, yva = train_test_split(bc.data, bc.target, test_size=0.4, random_state=0, stratify=bc.target)
n_stages = 150 if QUICK else 400
gb = GradientBoostingClassifier(n_estimators=n_stages, learning_rate=0.3, max_depth=3, random_state=0).fit(Xtr, ytr)
train_curve, val_curve = gb.staged_loss(Xtr, ytr), gb.staged_loss(Xva, yva)
best = int(np.argmin(val_curve))
fig, ax = plt.subplots(figsize=(6.5, 3.8))
plot_loss_curves({"train log loss": train_curve, "validation log loss": val_curve}, ax=ax,
                 title="Breast cancer: boosting with ν = 0.3", xlabel="number of trees")
ax.axvline(best, color="k", ls=":", label=f"best validation: {best + 1} trees")
ax.legend(fontsize=8)
plt.show()
acc = [np.mean(p == yva) for p in gb.staged_predict(Xva)]
print(f"validation log loss: best {val_curve[best]:.3f} after {best + 1} trees, {val_curve[-1]:.3f} after {n_stages}")
print(f"validation accuracy: {acc[best]:.3f} at the best stage, {acc[-1]:.3f} at the end")

# %% [markdown]
# **What happened.** The training loss keeps dropping towards zero — the trees end up
# memorising the training set. The validation loss reaches its minimum within the first
# few dozen trees and then creeps up: the model grows ever more confident, including on its
# mistakes, which the log loss punishes. Accuracy does not follow (in our run it even rose a
# little): it only asks which side of 0.5 each probability falls, while the log loss also
# charges for over-confidence. Which stage is "best" depends on the metric you stop on —
# a theme of Project 07 (metrics) and 07.8 (calibration).
#
# ## Experiment 2 — Learning rate against number of trees
#
# **Hypothesis.** Shrinkage trades stages for quality: with a smaller $\nu$ each tree
# corrects less, so more trees are needed, but the path is smoother and the best validation
# loss is lower (Friedman's empirical finding). With $\nu = 1$ boosting over-fits fast.
#
# **Experiment.** Diabetes (regression, 442 patients), several learning rates, validation
# MSE against the number of trees; and stochastic boosting (`subsample=0.5`) at $\nu = 0.1$.

# %%
diab = load_diabetes()
Xd_tr, Xd_va, yd_tr, yd_va = train_test_split(diab.data, diab.target, test_size=0.3, random_state=1)
M = 200 if QUICK else 600
curves, summary = {}, []
for lr, sub in [(1.0, 1.0), (0.3, 1.0), (0.1, 1.0), (0.03, 1.0), (0.1, 0.5)]:
    m = GradientBoostingRegressor(n_estimators=M, learning_rate=lr, max_depth=2, subsample=sub, random_state=0).fit(Xd_tr, yd_tr)
    curve = m.staged_loss(Xd_va, yd_va)
    name = f"ν = {lr}" + (", subsample 0.5" if sub < 1 else "")
    curves[name] = curve
    summary.append((name, int(np.argmin(curve)) + 1, curve.min(), curve[-1]))
fig, ax = plt.subplots(figsize=(7, 4))
plot_loss_curves(curves, ax=ax, log=False, title="Diabetes: validation MSE against number of trees", xlabel="number of trees")
ax.set_ylim(min(c.min() for c in curves.values()) * 0.95, np.var(yd_va) * 1.1)
plt.show()
for name, k, best_mse, last in summary:
    print(f"{name:22s} best validation MSE {best_mse:7.1f} at {k:4d} trees (after {M}: {last:7.1f})")

# %% [markdown]
# **What happened.** With $\nu = 1$ the minimum comes after a handful of trees and the curve
# then climbs steeply. Each tenfold reduction of $\nu$ moves the minimum roughly tenfold to
# the right, and the curve around it gets flatter, so the exact number of trees matters less.
# The smallest rates may not reach their minimum within the budget — the price of shrinkage
# is compute. Row subsampling adds randomness that acts as a further regulariser (and makes
# each stage cheaper). Practical recipe: pick the smallest $\nu$ you can afford and choose the
# number of trees on a validation set.
#
# ## Experiment 3 — A tree, a forest and boosting, side by side
#
# **Hypothesis.** On the two moons, one deep tree over-fits (islands), a forest smooths by
# averaging deep trees, and boosting builds a smooth boundary additively from shallow trees.

# %%
Xm, ym = make_moons(n_samples=300, noise=0.3, random_state=0)
Xm_te, ym_te = make_moons(n_samples=1000, noise=0.3, random_state=1)
models = {
    "one deep tree": DecisionTreeClassifier(random_state=0).fit(Xm, ym),
    "random forest (100 trees)": RandomForestClassifier(n_estimators=100, random_state=0).fit(Xm, ym),
    "boosting (100 depth-2 trees, ν=0.1)": GradientBoostingClassifier(n_estimators=100, max_depth=2, random_state=0).fit(Xm, ym),
}
fig, axes = plt.subplots(1, 3, figsize=(14, 3.9))
for ax, (name, m) in zip(axes, models.items()):
    plot_decision_boundary(lambda Z, m=m: m.predict_proba(Z)[:, 1], Xm, ym, ax=ax, proba=True,
                           resolution=100 if QUICK else 250, title=f"{name}\ntest accuracy {m.score(Xm_te, ym_te):.3f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** The single tree has the lowest test accuracy: its 0/1 islands are
# fitted noise. The forest and boosting both generalise better with graded probabilities;
# boosting's map is built from depth-2 pieces, so its boundary is made of larger, simpler
# steps, while the forest's comes from averaging very jagged ones.
#
# ## Comparison with scikit-learn
#
# Same hyperparameters on both sides (100 stages, $\nu = 0.1$, depth 3, no subsampling).
# The algorithms are the same (scikit-learn's default split criterion `friedman_mse` ranks
# splits exactly like the squared error for unweighted data), so the first stages are the
# same trees; later stages can differ where two splits are equally good (scikit-learn breaks
# such ties at random). We ask for test accuracy within 2 points on breast cancer and test R²
# within 0.03 on diabetes, and equal raw scores after the first stage. Note: scikit-learn's
# `train_score_` for the log loss is the deviance, twice our mean log loss.

# %%
from sklearn import ensemble as ske

Xb_tr, Xb_te, yb_tr, yb_te = train_test_split(bc.data, bc.target, random_state=0, stratify=bc.target)
ours_c = GradientBoostingClassifier(random_state=0).fit(Xb_tr, yb_tr)
ref_c = ske.GradientBoostingClassifier(random_state=0).fit(Xb_tr, yb_tr)
first_ours = next(ours_c.staged_decision_function(Xb_te))
first_ref = next(ref_c.staged_decision_function(Xb_te)).ravel()
print(f"breast cancer accuracy: ours {ours_c.score(Xb_te, yb_te):.3f}, sklearn {ref_c.score(Xb_te, yb_te):.3f}; "
      f"stage-1 raw scores max |Δ| = {np.abs(first_ours - first_ref).max():.1e}")
assert abs(ours_c.score(Xb_te, yb_te) - ref_c.score(Xb_te, yb_te)) <= 0.02
assert np.allclose(first_ours, first_ref, rtol=1e-6)
assert np.allclose(2 * ours_c.train_score_[0], ref_c.train_score_[0], rtol=1e-6)

Xd_tr2, Xd_te2, yd_tr2, yd_te2 = train_test_split(diab.data, diab.target, random_state=0)
ours_r = GradientBoostingRegressor(random_state=0).fit(Xd_tr2, yd_tr2)
ref_r = ske.GradientBoostingRegressor(random_state=0).fit(Xd_tr2, yd_tr2)
print(f"diabetes R²: ours {ours_r.score(Xd_te2, yd_te2):.3f}, sklearn {ref_r.score(Xd_te2, yd_te2):.3f}")
assert abs(ours_r.score(Xd_te2, yd_te2) - ref_r.score(Xd_te2, yd_te2)) <= 0.03

# %% [markdown]
# ## What you learned
#
# - [Gradient boosting](../../../docs/GLOSSARY.md#gradient-boosting) is gradient descent in
#   function space: each tree fits the pseudo-residuals (the negative gradient of the loss)
#   and is added with a step $\nu$.
# - For the log loss the raw score is a [log-odds](../../../docs/GLOSSARY.md#log-odds),
#   $F_0$ is the prior log-odds, the residuals are $y - p$, and each leaf takes one Newton
#   step $\sum r / \sum p(1-p)$.
# - Unlike a forest, boosting over-fits when you add trees: watch the validation loss and
#   stop early.
# - The [learning rate](../../../docs/GLOSSARY.md#learning-rate) (shrinkage) trades trees
#   for accuracy; `subsample` adds stochastic regularisation.
# - Your boosting matches scikit-learn's: same first trees, same accuracy and R² within the
#   stated tolerances.
#
# **Next:** Project 07 measures classifiers properly: confusion matrices, precision, recall,
# ROC and the [log loss](../../../docs/GLOSSARY.md#log-loss) you just minimised. Glossary:
# [weak learner](../../../docs/GLOSSARY.md#weak-learner),
# [early stopping](../../../docs/GLOSSARY.md#early-stopping).
