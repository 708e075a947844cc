# %% [markdown]
# # Project 02 — Logistic regression from scratch
#
# Project 01 predicted a number. Most questions we ask models are instead *which one?*:
# spam or not, malignant or benign, next token "the" or "a". Logistic regression is the
# simplest model that answers with a **probability**, and its loss, the
# [cross-entropy](../../../docs/GLOSSARY.md#cross-entropy), is exactly the loss every language
# model in this curriculum is trained with. Its one non-linearity, the sigmoid, also hides
# the first numerical trap you will meet again and again: `log(0)` and `exp` overflow.
#
# **You will:**
# 1. write a sigmoid and a cross-entropy that survive logits of ±1000;
# 2. derive the gradient (it looks just like linear regression's) and Newton's method (IRLS);
# 3. draw decision boundaries, and race gradient descent against Newton;
# 4. prove your estimator equals scikit-learn's `LogisticRegression` on breast-cancer data.
#
# **Prerequisites:** Project 01 (gradient descent, the MSE gradient).
# **Time:** about 8 hours.
#
# Each exercise is a function with a `raise NotImplementedError`; the `check(...)` line under
# it tests your code on several inputs and prints `✓` or the first failing input with a hint.
# `ml2llm check 02` runs the whole notebook from a terminal and records your progress.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

from ml2llm import check, is_quick
from ml2llm.classical import logistic_regression as reference
from ml2llm.classical.logistic_regression import LogisticRegression
from ml2llm.viz import plot_decision_boundary
from utils.data_generators import make_blobs, make_moons
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. From a score to a probability
#
# A linear model gives a score, the **logit** $z = x^\top w + b \in (-\infty, \infty)$. We need
# $p(y = 1 \mid x) \in (0, 1)$. The sigmoid squashes one into the other:
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}}, \qquad 1 - \sigma(z) = \sigma(-z), \qquad
#   \sigma'(z) = \sigma(z)\,(1-\sigma(z)).$$
#
# Why this function and not another? Because it makes the logit the **log-odds**:
# $z = \log\frac{p}{1-p}$. "Each unit of feature $j$ multiplies the odds by $e^{w_j}$" is the
# sentence doctors read off a logistic regression.
#
# **The trap.** `1 / (1 + np.exp(-z))` is fine for $z = 1000$ but for $z = -1000$ computes
# `np.exp(1000)`, which overflows to `inf` (with a warning); the rewritten form
# `np.exp(z) / (1 + np.exp(z))` returns `inf/inf = nan` for large positive $z$. The cure: only
# ever exponentiate a non-positive number, $e^{-|z|} \in (0, 1]$:
#
# $$\sigma(z) = \begin{cases} \dfrac{1}{1 + e^{-|z|}} & z \ge 0 \\[2mm]
#   \dfrac{e^{-|z|}}{1 + e^{-|z|}} & z < 0 \end{cases}$$

# %%
z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
with np.errstate(over="ignore", invalid="ignore"):
    print("exp(z)/(1+exp(z)):", np.exp(z) / (1 + np.exp(z)))  # nan at z = 1000

# %% [markdown]
# ### Exercise 2.1 — A numerically stable sigmoid
#
# Return $\sigma(z)$ element-wise for an array `z` of any shape, with no overflow for $|z|$
# up to 1000: the check runs your function under `np.errstate(over="raise")`, so an overflow
# warning becomes an error. Use `np.where` with the two branches above, computing
# `e = np.exp(-np.abs(z))` once (`np.where` evaluates *both* branches, so a branch with
# `np.exp(z)` would still overflow even where it is not selected).

# %%
def sigmoid(z):
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


check("p02.sigmoid", sigmoid)

# %% [markdown]
# ## 2. The loss: binary cross-entropy
#
# Each label is a coin flip with probability $p_i = \sigma(z_i)$, so the likelihood of the
# data is $\prod_i p_i^{y_i}(1-p_i)^{1-y_i}$. Maximising it is minimising the mean negative
# log-likelihood, the **binary cross-entropy**:
#
# $$L = -\frac1n\sum_i \big[y_i\log p_i + (1-y_i)\log(1-p_i)\big]
#     = \frac1n\sum_i \big[\log(1+e^{z_i}) - y_i z_i\big].$$
#
# The second form (use $\log\sigma(z) = z - \log(1+e^{z})$ and $\log(1-\sigma(z)) = -\log(1+e^{z})$)
# is the one to code. Why not squared error on probabilities? The cross-entropy is convex in
# $(w, b)$ and punishes a confident wrong answer without bound; $(\sigma(z)-y)^2$ is neither
# (its gradient vanishes exactly when the model is confidently wrong).
#
# **The log(0) trap.** With $z = 1000$ and $y = 0$, $p$ rounds to exactly 1.0 and
# $\log(1-p) = \log 0 = -\infty$. The true loss is $\approx 1000$: large, but finite, and its
# gradient is perfectly well defined. Clipping $p$ to $[10^{-15}, 1-10^{-15}]$ hides the `inf`
# but silently caps the loss at 34.5. Work with logits and `np.logaddexp(0, z)`, which
# evaluates $\log(e^0 + e^z)$ without overflow.

# %%
y_demo, z_demo = np.array([0.0, 1.0]), np.array([1000.0, -1000.0])
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    p_demo = 1 / (1 + np.exp(-z_demo))
    naive = -np.mean(y_demo * np.log(p_demo) + (1 - y_demo) * np.log(1 - p_demo))
p_clip = np.clip(p_demo, 1e-15, 1 - 1e-15)
clipped = -np.mean(y_demo * np.log(p_clip) + (1 - y_demo) * np.log(1 - p_clip))
print(f"naive: {naive}, clipped: {clipped:.2f}, from logits: "
      f"{np.mean(np.logaddexp(0, z_demo) - y_demo * z_demo):.1f}")

# %% [markdown]
# ### Exercise 2.2 — Cross-entropy from logits
#
# Return the mean binary cross-entropy (a float) from labels `y` (0/1) and **logits** `z`.

# %%
def binary_cross_entropy(y, logits):
    ### BEGIN SOLUTION
    return float(np.mean(np.logaddexp(0.0, logits) - y * logits))
    ### END SOLUTION


check("p02.bce", binary_cross_entropy)

# %% [markdown]
# ## 3. The gradient (and an L2 penalty)
#
# With $p = \sigma(Xw + b)$ the chain rule and $\sigma' = \sigma(1-\sigma)$ give a result
# worth pausing on:
#
# $$\nabla_w L = \frac1n X^\top(p - y), \qquad \frac{\partial L}{\partial b} = \frac1n\sum_i (p_i - y_i).$$
#
# It is Project 01's gradient with $\hat y$ replaced by $p$ (and no factor 2). This is no
# accident: both are *generalised linear models* with their canonical link, and the same
# "prediction minus target" shape returns for softmax regression and for a transformer's
# output layer.
#
# Without a penalty, on **linearly separable** data the loss keeps decreasing as $\|w\|\to\infty$
# (probabilities pushed to exactly 0 and 1): there is no minimum. An L2 penalty fixes that:
# minimise $J = L + \frac\alpha2\|w\|^2$ (the intercept is not penalised), which adds
# $\alpha w$ to $\nabla_w$. scikit-learn writes the same objective as
# $C\sum_i \ell_i + \frac12\|w\|^2$, so $\alpha = 1/(Cn)$; our `LogisticRegression` takes `C`
# for that reason.
#
# ### Exercise 2.3 — The gradient
#
# Return `(grad_w, grad_b)` of $J = \text{mean BCE} + \frac\alpha2\|w\|^2$.

# %%
def logistic_gradient(X, y, w, b, alpha=0.0):
    ### BEGIN SOLUTION
    r = sigmoid(X @ w + b) - y
    n = X.shape[0]
    return X.T @ r / n + alpha * w, float(r.sum() / n)
    ### END SOLUTION


check("p02.gradient", logistic_gradient)

# %% [markdown]
# As in Project 01, verify the hand-derived gradient with centred finite differences
# (here on the reference; swap in yours):

# %%
rng = np.random.default_rng(1)
Xg, yg, wg = rng.normal(size=(25, 3)), rng.integers(0, 2, 25).astype(float), rng.normal(size=3)
J = lambda w_, b_: reference.binary_cross_entropy(yg, Xg @ w_ + b_) + 0.05 * w_ @ w_
gw, gb = reference.logistic_gradient(Xg, yg, wg, 0.2, alpha=0.1)
num = np.array([(J(wg + 1e-6 * e, 0.2) - J(wg - 1e-6 * e, 0.2)) / 2e-6 for e in np.eye(3)])
print(f"max |analytic − numeric| = {np.abs(gw - num).max():.1e}")

# %% [markdown]
# ## 4. Newton's method (IRLS)
#
# Gradient descent uses the slope only. Newton's method also uses the curvature, the
# Hessian, and jumps to the minimum of the local quadratic model. With
# $\tilde X = [X, \mathbf 1]$, $\theta = (w, b)$ and $S = \mathrm{diag}(p_i(1-p_i))$:
#
# $$H = \frac1n \tilde X^\top S \tilde X + \alpha\,\mathrm{diag}(1,\dots,1,0), \qquad
#   \theta \leftarrow \theta - H^{-1}\nabla J.$$
#
# $H$ is positive definite, so $J$ is convex and Newton converges **quadratically** near the
# optimum: the number of correct digits doubles each step. Each step is a weighted
# least-squares solve with weights $p_i(1-p_i)$, hence the name *iteratively reweighted least
# squares*. The price: $O(nd^2 + d^3)$ per step, fine for $d$ in the thousands, hopeless for
# a neural network's millions (Project 11.5 will approximate curvature instead).
#
# ### Exercise 2.4 — One Newton step
#
# Return the new `(w, b)` after one Newton step on $J$. Use `np.linalg.solve`, not an inverse.

# %%
def newton_step(X, y, w, b, alpha=0.0):
    ### BEGIN SOLUTION
    n, d = X.shape
    Xb = np.column_stack([X, np.ones(n)])
    p = sigmoid(X @ w + b)
    grad_w, grad_b = logistic_gradient(X, y, w, b, alpha)
    reg = np.r_[np.full(d, alpha), 0.0]
    H = (Xb * (p * (1 - p))[:, None]).T @ Xb / n + np.diag(reg)
    theta = np.r_[w, b] - np.linalg.solve(H, np.r_[grad_w, grad_b])
    return theta[:-1], float(theta[-1])
    ### END SOLUTION


check("p02.newton_step", newton_step)

# %% [markdown]
# ### Exercise 2.5 — Predictions with a threshold
#
# Return integer labels 0/1: 1 where $\sigma(Xw + b) >$ `threshold`. A threshold of 0.5 is
# the same as $z > 0$; other thresholds trade false positives for false negatives (Project
# 07.5 moves it on purpose).

# %%
def predict_labels(X, w, b, threshold=0.5):
    ### BEGIN SOLUTION
    return (sigmoid(X @ w + b) > threshold).astype(int)
    ### END SOLUTION


check("p02.predict_labels", predict_labels)

# %% [markdown]
# ## Experiment 1 — Decision boundaries on 2-D data
#
# **Hypothesis.** Logistic regression's boundary $\{x : w^\top x + b = 0\}$ is a straight
# line, whatever the data. It should nail two Gaussian blobs, fail on two interleaved moons,
# and succeed on the moons once we add polynomial features (the model stays linear in its
# parameters; the features carry the curvature). A smaller `C` (stronger penalty) should give
# softer probabilities.

# %%
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

n2 = 200 if QUICK else 400
Xb_, yb_ = make_blobs(n_samples=n2, centers=[[-1.5, -1.0], [1.5, 1.0]], cluster_std=1.0, random_state=0)
Xm, ym = make_moons(n_samples=n2, noise=0.15, random_state=0)
models = [
    ("blobs, linear, C=1", Xb_, yb_, LogisticRegression(C=1.0)),
    ("blobs, linear, C=0.005", Xb_, yb_, LogisticRegression(C=0.005)),
    ("moons, linear", Xm, ym, LogisticRegression(C=1.0)),
    ("moons, degree-3 features", Xm, ym,
     make_pipeline(PolynomialFeatures(3), StandardScaler(), LogisticRegression(C=10.0))),
]
fig, axes = plt.subplots(1, 4, figsize=(17, 3.8))
for ax, (name, X_, y_, m) in zip(axes, models):
    m.fit(X_, y_)
    plot_decision_boundary(lambda G, m=m: m.predict_proba(G)[:, 1], X_, y_, ax=ax, proba=True,
                           resolution=80 if QUICK else 200,
                           title=f"{name}\ntrain acc {m.score(X_, y_):.2f}")
plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** On blobs the 0.5 contour (black) is a straight line between the
# clusters; with `C=0.005` the line barely moves but the colours fade: a strong penalty keeps
# $\|w\|$ small, so probabilities stay near 0.5. On moons the straight line misclassifies the
# tips (about 85–88 % accuracy); cubic features bend the boundary around them. Flexibility
# came from the features, not the optimiser: the theme of Project 04.
#
# ## Experiment 2 — Gradient descent vs Newton
#
# **Hypothesis.** On breast-cancer data (30 correlated features) gradient descent, even with
# the safe step $1/L$, will need thousands of epochs, because its speed is set by the
# condition number of the Hessian. Newton should reach machine precision in about ten steps,
# each costing one $31\times 31$ solve.
#
# We plot the suboptimality $J(\theta_k) - J^\star$ against iterations and wall time
# (`loss_history_` records $J$ before each step).

# %%
from sklearn.datasets import load_breast_cancer

Xc, yc = load_breast_cancer(return_X_y=True)
Xcs = StandardScaler().fit_transform(Xc)
newton = LogisticRegression(C=1.0, solver="newton", tol=1e-12).fit(Xcs, yc)
J_star = newton.loss_history_[-1]
runs = {}
for name, kw in [("Newton", dict(solver="newton", tol=1e-12)),
                 ("GD, η = 1/L", dict(solver="gd", max_iter=2000 if QUICK else 20000, tol=1e-10))]:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GD does not reach tol: that is the point
        m = LogisticRegression(C=1.0, **kw).fit(Xcs, yc)
    secs = time.perf_counter() - t0
    runs[name] = (np.maximum(m.loss_history_ - J_star, 1e-16), secs)
    print(f"{name:12s} {m.n_iter_:6d} iterations, {secs * 1e3:7.1f} ms, "
          f"final J − J* = {m.loss_history_[-1] - J_star:.1e}")

Xt = np.column_stack([Xcs, np.ones(len(Xcs))])
p = reference.sigmoid(Xt @ np.r_[newton.coef_[0], newton.intercept_])
eig = np.linalg.eigvalsh((Xt * (p * (1 - p))[:, None]).T @ Xt / len(Xt) + np.diag(np.r_[np.full(30, 1 / len(Xt)), 0]))
L = np.linalg.eigvalsh(Xt.T @ Xt / len(Xt))[-1] / 4 + 1 / len(Xt)  # the bound behind η = 1/L
print(f"GD's step bound L = {L:.2f}; smallest curvature at the optimum λ_min(H*) = {eig[0]:.4f}")
print(f"effective condition number L / λ_min(H*) = {L / eig[0]:.0f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for name, (gap, _) in runs.items():
    axes[0].loglog(np.arange(1, len(gap) + 1), gap, label=name)
axes[0].set(xlabel="iteration + 1", ylabel="J − J*", title="J − J* per iteration"); axes[0].legend()
for name, (gap, secs) in runs.items():
    axes[1].semilogy(np.linspace(0, secs * 1e3, len(gap)), gap, label=name)
axes[1].set(xlabel="wall time (ms)", ylabel="J − J*", title="J − J* against time"); axes[1].legend()
plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** Newton's curve falls off a cliff: the gap goes from $10^{-2}$ to
# $10^{-16}$ in a few steps (quadratic convergence). Gradient descent crawls: after 2000
# epochs the gap is still around $10^{-4}$. Its rate is set by the ratio printed above: the safe step $1/L$ is sized for
# the worst-case curvature ($p(1-p) \le 1/4$ everywhere), but near the optimum most tumours are
# classified confidently, $p_i(1-p_i) \approx 0$, and the flattest direction of the valley is
# hundreds of times flatter than $L$. Each epoch removes only about $\lambda_{\min}/L$ of the
# remaining gap: thousands of epochs to gain a few digits. Per unit of wall time Newton still wins here because $d = 30$; with
# $d = 10^6$ one Hessian solve would not fit in memory, which is why deep learning lives with
# first-order methods and fights conditioning with normalisation and adaptive optimisers.
#
# ## Experiment 3 — No penalty, separable data: the weights run away
#
# **Hypothesis.** Without a penalty ($C = \infty$) on separable data the loss has no minimum,
# so gradient descent should push $\|w\|$ up forever, roughly like $\log k$, while with any
# finite $C$ it settles.

# %%
Xsep, ysep = make_blobs(n_samples=100, centers=[[-2.0, 0.0], [2.0, 0.0]], cluster_std=0.6, random_state=1)
budgets = [10, 30, 100, 300, 1000] + ([] if QUICK else [3000, 10000])
norms = {"C = ∞": [], "C = 1": []}
for C in (np.inf, 1.0):
    for k in budgets:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = LogisticRegression(C=C, solver="gd", max_iter=k, tol=0).fit(Xsep, ysep)
        norms["C = ∞" if np.isinf(C) else "C = 1"].append(np.linalg.norm(m.coef_))
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for name, v in norms.items():
    ax.semilogx(budgets, v, "o-", label=name)
ax.set(xlabel="gradient-descent epochs", ylabel="‖w‖", title="Separable data: ‖w‖ during training")
ax.legend(); plt.show()

# %% [markdown]
# **What happened.** With $C=\infty$, $\|w\|$ grows steadily with $\log k$; with $C=1$ it
# flattens. Our estimator warns with a `ConvergenceWarning` in the first case (the gradient
# never reaches `tol`). Regularisation is not only about overfitting: sometimes it is what
# makes the optimum exist.
#
# ## Comparison with scikit-learn on breast cancer
#
# The **breast-cancer** set (569 tumours, 30 features, 212 malignant) ships with
# scikit-learn. Both models minimise the same strictly convex objective with the same `C`,
# so the solutions must coincide up to the solvers' tolerances:
#
# - Newton vs `sklearn.linear_model.LogisticRegression` (lbfgs, `tol=1e-10`): test
#   probabilities within $10^{-5}$ (measured around $10^{-7}$), identical predictions;
# - gradient descent (a first-order method on a badly conditioned problem): test accuracy
#   within **1 point**, probabilities within 0.05.

# %%
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split

X_tr, X_te, y_tr, y_te = train_test_split(Xc, yc, test_size=0.3, random_state=0, stratify=yc)
sc = StandardScaler().fit(X_tr)
X_tr_s, X_te_s = sc.transform(X_tr), sc.transform(X_te)
sk = SkLogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X_tr_s, y_tr)
ours_nt = LogisticRegression(C=1.0, solver="newton").fit(X_tr_s, y_tr)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ours_gd = LogisticRegression(C=1.0, solver="gd", max_iter=2000 if QUICK else 20000).fit(X_tr_s, y_tr)
for name, m in [("sklearn (lbfgs)", sk), ("ours, Newton", ours_nt), ("ours, GD", ours_gd)]:
    print(f"{name:16s} test accuracy {m.score(X_te_s, y_te):.4f}   "
          f"max |Δp| vs sklearn {np.abs(m.predict_proba(X_te_s) - sk.predict_proba(X_te_s)).max():.1e}")
assert np.abs(ours_nt.predict_proba(X_te_s) - sk.predict_proba(X_te_s)).max() < 1e-5
assert (ours_nt.predict(X_te_s) == sk.predict(X_te_s)).all()
assert abs(ours_gd.score(X_te_s, y_te) - sk.score(X_te_s, y_te)) <= 0.01
assert np.abs(ours_gd.predict_proba(X_te_s) - sk.predict_proba(X_te_s)).max() < 0.05

# %% [markdown]
# It is a scikit-learn estimator, so it works in a `Pipeline` and in `GridSearchCV`
# (scaling is fitted inside each fold, so no information leaks from the validation folds):

# %%
grid = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()),
                    {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]}, cv=5).fit(X_tr, y_tr)
print("best C:", grid.best_params_["logisticregression__C"],
      f" CV accuracy {grid.best_score_:.3f}, test accuracy {grid.score(X_te, y_te):.3f}")

# %% [markdown]
# ## What you learned
#
# - The **sigmoid** turns a logit into a probability and makes the logit the log-odds.
#   Stable code only exponentiates non-positive numbers.
# - The **binary cross-entropy** is the negative log-likelihood of coin flips. Compute it from
#   logits (`logaddexp`): `log(0)` and clipping are both bugs.
# - Its gradient is "prediction minus target", $\frac1n X^\top(p - y)$: the same shape as
#   linear regression's, and the one you will see again at the top of every classifier and LLM.
# - **Newton / IRLS** converges in a handful of steps by using curvature; gradient descent
#   pays for the condition number. Second-order methods do not scale to millions of weights.
# - On separable data the unpenalised optimum does not exist; the **L2 penalty** makes it
#   exist, and scikit-learn's `C` is $1/(\alpha n)$.
# - Your estimator equals scikit-learn's on breast-cancer data and runs in its pipelines.
#
# **Next:** Project 03 extends the sigmoid to $K$ classes (softmax) — the exact output layer
# of a language model. Glossary: [logistic regression](../../../docs/GLOSSARY.md#logistic-regression),
# [sigmoid](../../../docs/GLOSSARY.md#sigmoid), [logit](../../../docs/GLOSSARY.md#logit),
# [cross-entropy](../../../docs/GLOSSARY.md#cross-entropy),
# [Newton's method](../../../docs/GLOSSARY.md#newtons-method),
# [regularization](../../../docs/GLOSSARY.md#regularization),
# [decision boundary](../../../docs/GLOSSARY.md#decision-boundary).
