# %% [markdown]
# # Project 09 — Support vector machines: hinge loss, Pegasos and SMO
#
# Logistic regression (Project 02) finds *a* separating line. A **support vector machine**
# finds the one with the widest margin: the line that stays as far as possible from both
# classes. That one idea gives a convex problem whose solution depends only on a few training
# points, the **support vectors**, and whose dual form only ever needs dot products between
# points, which we can swap for a **kernel** and get nonlinear boundaries for free.
#
# **You will:**
# 1. write the soft-margin objective and its sub-gradient, and train a linear SVM in the
#    primal with Pegasos;
# 2. write the RBF kernel, the SMO update of two dual variables, and the kernel decision
#    function;
# 3. see margins and support vectors, and sweep `C` and the RBF width `γ`;
# 4. prove the library's `LinearSVM` and `KernelSVM` match scikit-learn's `LinearSVC` and
#    `SVC`: accuracy, support-vector counts and decision values.
#
# **Prerequisites:** Project 02 (logistic regression, gradients); Lagrange multipliers help
# but the notebook explains what it needs. **Time:** about 10 hours.
#
# Every exercise is followed by a `check(...)` that runs your function on several inputs
# against the reference and prints `✓` or the first input where yours differs, with a hint.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import matplotlib.pyplot as plt
import numpy as np

from ml2llm import check, is_quick
from ml2llm.classical.svm import KernelSVM, LinearSVM
from utils.data_generators import make_blobs, make_moons
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)


def plot_svm(model, X, y, ax, title):
    """Decision regions, the boundary f = 0, the margins f = ±1, support vectors circled."""
    pad = 0.6
    g0, g1 = np.meshgrid(np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 150),
                         np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 150))
    F = model.decision_function(np.column_stack([g0.ravel(), g1.ravel()])).reshape(g0.shape)
    ax.contourf(g0, g1, F, levels=[-1e9, 0, 1e9], colors=["#9ecae1", "#fdae6b"], alpha=0.5)
    ax.contour(g0, g1, F, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"], linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=14, edgecolors="k", linewidths=0.3)
    if hasattr(model, "support_vectors_"):
        sv = model.support_vectors_
        ax.scatter(sv[:, 0], sv[:, 1], s=60, facecolors="none", edgecolors="k", linewidths=1)
    ax.set_title(title, fontsize=9)


# %% [markdown]
# ## 1. The widest margin
#
# Labels are $y_i \in \{-1, +1\}$ and the classifier is $\mathrm{sign}(w^\top x + b)$. The
# distance from $x_i$ to the hyperplane $w^\top x + b = 0$ is $|w^\top x_i + b| / \|w\|$.
# Rescaling $(w, b)$ does not move the hyperplane, so fix the scale by asking the closest
# points to have $y_i(w^\top x_i + b) = 1$: the **margin** (the empty band between the
# classes) is then $2/\|w\|$ wide, and maximising it means minimising $\|w\|^2$:
#
# $$\min_{w,b}\; \tfrac12\|w\|^2 \quad\text{s.t.}\quad y_i(w^\top x_i + b) \ge 1 \;\;\forall i.$$
#
# Real data overlaps, so let points violate the margin at a price. The violation of point
# $i$ is the **hinge loss** $\max(0, 1 - y_i f(x_i))$: zero beyond the margin, linear inside
# it. The **soft-margin SVM** is
#
# $$\min_{w,b}\; \tfrac12\|w\|^2 + C\sum_{i=1}^n \max\bigl(0,\; 1 - y_i(w^\top x_i + b)\bigr).$$
#
# $C$ trades width for violations: large $C$ = few violations, narrow margin (risk of
# overfitting); small $C$ = wide margin, more points inside it. Compare with logistic
# regression: its loss $\log(1 + e^{-y f})$ is a smooth hinge that never reaches zero, so
# *every* point pulls on the solution; the hinge ignores points that are safely classified.
#
# ### Exercise 9.1 — The primal objective
#
# Return $\tfrac12\|w\|^2 + C\sum_i \max(0, 1 - y_i(w^\top x_i + b))$ for labels in $\{-1, +1\}$.

# %%
def primal_objective(w, b, X, y, C):
    ### BEGIN SOLUTION
    margins = y * (X @ w + b)
    return 0.5 * w @ w + C * np.maximum(0.0, 1.0 - margins).sum()
    ### END SOLUTION


check("p09.primal_objective", primal_objective)

# %% [markdown]
# ## 2. Pegasos: sub-gradient descent on the primal
#
# The hinge has a kink at margin 1, so there is no gradient there, only **sub-gradients**;
# any of them works for descent with a decreasing step. Divide the objective by $Cn$ and
# write $\lambda = 1/(Cn)$:
#
# $$J(w, b) = \frac{\lambda}{2}\|w\|^2 + \frac1n \sum_i \max(0, 1 - y_i(w^\top x_i + b)).$$
#
# A point with margin $< 1$ contributes $-y_i x_i / n$; a point beyond the margin
# contributes nothing (and at exactly 1 we may pick 0):
#
# $$g_w = \lambda w - \frac1n\sum_{i:\, y_i f(x_i) < 1} y_i x_i, \qquad
#   g_b = -\frac1n\sum_{i:\, y_i f(x_i) < 1} y_i .$$
#
# **Pegasos** (Shalev-Shwartz et al., 2007) takes these steps on mini-batches with step size
# $\eta_t = 1/(\lambda t)$, which is the right schedule for a $\lambda$-strongly convex
# objective, and converges like $O(1/(\lambda t))$ regardless of $n$.
#
# ### Exercise 9.2 — The hinge sub-gradient
#
# Return `(g_w, g_b)` as above (active points: margin strictly below 1).

# %%
def hinge_subgradient(w, b, X, y, lam):
    ### BEGIN SOLUTION
    n = X.shape[0]
    active = y * (X @ w + b) < 1.0
    g_w = lam * w - (y[active] @ X[active]) / n
    g_b = -y[active].sum() / n
    return g_w, g_b
    ### END SOLUTION


check("p09.hinge_subgradient", hinge_subgradient)

# %% [markdown]
# The library's `LinearSVM` runs Pegasos with mini-batches of 16, treats the intercept as the
# weight of a constant feature (regularised, as scikit-learn's `LinearSVC` does) and returns
# the average of the iterates of the second half of training, which cancels most of the
# sub-gradient noise. Here is its objective per epoch, against the exact optimum from the
# dual solver below:

# %%
Xb, yb = make_blobs(n_samples=200, centers=np.array([[-1.5, -1.0], [1.5, 1.0]]), cluster_std=1.2,
                    random_state=0)
ys = np.where(yb == 1, 1.0, -1.0)
C_demo = 1.0
lam = 1.0 / (C_demo * len(Xb))
histories = {}
for avg in (False, True):
    m = LinearSVM(C=C_demo, n_epochs=40 if QUICK else 200, average=avg, random_state=0).fit(Xb, yb)
    histories["averaged iterates" if avg else "last iterate"] = np.array(m.objective_history_)
# the exact optimum of the same objective (bias regularised) from SMO on the augmented data
Xaug = np.column_stack([Xb, np.ones(len(Xb))])
exact = KernelSVM(kernel="linear", C=C_demo, tol=1e-8).fit(Xaug, yb)
w_aug = exact.dual_coef_[0] @ exact.support_vectors_
w_aug[-1] += exact.intercept_[0]  # the dual's own bias is ~0 here; fold it in
opt = 0.5 * lam * w_aug @ w_aug + np.maximum(0, 1 - ys * (Xaug @ w_aug)).mean()
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for name, h in histories.items():
    ax.semilogy(np.arange(1, len(h) + 1), h - opt + 1e-6, label=name)
ax.set(xlabel="epoch", ylabel="J(w) − J(w*)", title="Pegasos: sub-optimality per epoch")
ax.legend()
plt.tight_layout()
plt.show()
print(f"optimum J* = {opt:.5f}; averaged Pegasos after training: {histories['averaged iterates'][-1]:.5f}")

# %% [markdown]
# ## 3. The dual and kernels
#
# Put a Lagrange multiplier $\alpha_i \ge 0$ on each margin constraint and eliminate $w$ and
# $b$ (setting the Lagrangian's gradient to zero gives $w = \sum_i \alpha_i y_i x_i$ and
# $\sum_i \alpha_i y_i = 0$). What remains is the **dual** problem:
#
# $$\max_{\alpha}\; \sum_i \alpha_i - \frac12\sum_{i,j}\alpha_i\alpha_j y_i y_j\, x_i^\top x_j
#   \quad\text{s.t.}\quad 0 \le \alpha_i \le C,\;\; \sum_i \alpha_i y_i = 0 .$$
#
# Three facts make it worth it:
# - **Sparsity.** At the optimum $\alpha_i = 0$ for every point strictly beyond its margin.
#   Only points on or inside the margin, the **support vectors**, have $\alpha_i > 0$
#   ($\alpha_i = C$ for those inside it). Delete every other point and the solution is unchanged.
# - **Predictions** need only dot products with support vectors:
#   $f(x) = \sum_i \alpha_i y_i\, x_i^\top x + b$.
# - **The kernel trick.** Replace $x_i^\top x_j$ by a **kernel** $K(x_i, x_j) = \phi(x_i)^\top\phi(x_j)$,
#   a dot product in a feature space we never compute. The polynomial kernel
#   $(\gamma x^\top x' + c)^d$ is the space of all monomials up to degree $d$ (Project 10's
#   polynomial features, implicitly); the **RBF kernel**
#
# $$K(x, x') = \exp\bigl(-\gamma \|x - x'\|^2\bigr)$$
#
#   corresponds to an *infinite*-dimensional feature space. $\gamma$ sets its reach: large
#   $\gamma$ means each support vector only influences its immediate neighbourhood.
#
# ### Exercise 9.3 — The RBF kernel
#
# Return the matrix $K_{ij} = \exp(-\gamma\|A_i - B_j\|^2)$ of shape `(len(A), len(B))`
# without Python loops. Hint: $\|a - b\|^2 = \|a\|^2 + \|b\|^2 - 2a^\top b$ (clip tiny negative
# round-off to 0), or broadcast `A[:, None, :] - B[None, :, :]`.

# %%
def rbf_kernel(A, B, gamma=1.0):
    ### BEGIN SOLUTION
    sq = (A * A).sum(axis=1)[:, None] + (B * B).sum(axis=1)[None, :] - 2.0 * (A @ B.T)
    return np.exp(-gamma * np.maximum(sq, 0.0))
    ### END SOLUTION


check("p09.rbf_kernel", rbf_kernel)

# %% [markdown]
# ## 4. SMO: two multipliers at a time
#
# The dual is a quadratic program with $n$ variables, a box and one equality constraint.
# **Sequential minimal optimisation** (Platt, 1998) notices that the equality
# $\sum_k \alpha_k y_k = 0$ means you cannot change one $\alpha$ alone, but you *can* change
# two: moving $\alpha_i$ and $\alpha_j$ along $y_i\alpha_i + y_j\alpha_j = \text{const}$ keeps
# it, and along that line the dual is a 1-D quadratic with a closed-form maximum.
#
# With the errors $E_k = f(x_k) - y_k$ and the curvature $\eta = K_{ii} + K_{jj} - 2K_{ij}$
# (the squared distance between $i$ and $j$ in feature space):
#
# $$\alpha_j^{\text{new}} = \mathrm{clip}\Bigl(\alpha_j + \frac{y_j (E_i - E_j)}{\eta},\; L,\; H\Bigr),
#   \qquad \alpha_i^{\text{new}} = \alpha_i + y_i y_j\,(\alpha_j - \alpha_j^{\text{new}}),$$
#
# where $[L, H]$ is the part of the line where both stay in $[0, C]$:
# if $y_i \ne y_j$: $L = \max(0, \alpha_j - \alpha_i)$, $H = \min(C, C + \alpha_j - \alpha_i)$;
# if $y_i = y_j$: $L = \max(0, \alpha_i + \alpha_j - C)$, $H = \min(C, \alpha_i + \alpha_j)$.
#
# Which pair? The library does what libsvm does: $i$ is the multiplier that most violates
# the optimality (KKT) conditions, $j$ the partner giving the largest guaranteed decrease;
# stop when the largest violation is below `tol = 1e-3`.
#
# ### Exercise 9.4 — One SMO step
#
# Return a **new** array `alpha` with $\alpha_i$ and $\alpha_j$ updated as above (use
# `max(eta, 1e-12)` to guard against two identical points).

# %%
def smo_step(alpha, y, K, C, i, j, errors):
    ### BEGIN SOLUTION
    alpha = alpha.astype(float).copy()
    ai, aj = alpha[i], alpha[j]
    if y[i] != y[j]:
        L, H = max(0.0, aj - ai), min(C, C + aj - ai)
    else:
        L, H = max(0.0, ai + aj - C), min(C, ai + aj)
    eta = max(K[i, i] + K[j, j] - 2.0 * K[i, j], 1e-12)
    aj_new = float(np.clip(aj + y[j] * (errors[i] - errors[j]) / eta, L, H))
    alpha[j] = aj_new
    alpha[i] = ai + y[i] * y[j] * (aj - aj_new)
    return alpha
    ### END SOLUTION


check("p09.smo_step", smo_step)

# %% [markdown]
# ### Exercise 9.5 — The kernel decision function
#
# Given the multipliers, labels, bias and the kernel matrix between test points (rows) and
# training points (columns), return $f = K(\alpha \odot y) + b$.

# %%
def decision_function(alpha, y, b, K):
    ### BEGIN SOLUTION
    return K @ (alpha * y) + b
    ### END SOLUTION


check("p09.decision_function", decision_function)

# %% [markdown]
# ## Experiment 1 — Margins, support vectors and `C`
#
# **Hypothesis.** With a small $C$ violations are cheap: the margin is wide and many points
# become support vectors. As $C$ grows the margin narrows until only the few points that
# define it remain; on overlapping data a huge $C$ contorts itself around individual points
# (with a linear kernel it cannot contort much, so it only narrows).

# %%
Cs = [0.01, 0.1, 1.0, 100.0]
fig, axes = plt.subplots(1, len(Cs), figsize=(14, 3.4))
for ax, C in zip(axes, Cs):
    m = KernelSVM(kernel="linear", C=C).fit(Xb, yb)
    w = m.dual_coef_[0] @ m.support_vectors_
    plot_svm(m, Xb, yb, ax, f"C = {C}: margin 2/‖w‖ = {2 / np.linalg.norm(w):.2f}, "
                            f"{len(m.support_)} SVs")
    at_bound = np.isclose(np.abs(m.dual_coef_[0]), C).sum()
    print(f"C = {C:6}: {len(m.support_):3d} support vectors ({at_bound} at α = C, inside the margin), "
          f"train accuracy {m.score(Xb, yb):.3f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** At $C = 0.01$ the margin (dashed lines) is several units wide and a
# large share of the points lie inside it, every one a support vector with $\alpha_i = C$. As
# $C$ grows the margin narrows and the count of support vectors falls to the points on its
# edges plus those on the wrong side of it (these two clouds overlap, so some always are).
# The boundary itself (solid) barely moves: here $C$ mostly decides how much of the data gets
# a say. Every point *not* circled could be deleted without changing the model.
#
# ## Experiment 2 — The RBF width `γ`: from smooth to memorising
#
# **Hypothesis.** Small $\gamma$ makes each support vector's influence reach far, giving an
# almost linear boundary (underfitting the moons); large $\gamma$ makes each one an island, so
# the boundary wraps individual points (overfitting: training accuracy 100 %, validation
# drops, nearly every point a support vector).

# %%
from sklearn.model_selection import train_test_split

Xm, ym = make_moons(n_samples=300 if QUICK else 600, noise=0.3, random_state=1)
Xm_tr, Xm_va, ym_tr, ym_va = train_test_split(Xm, ym, test_size=0.4, random_state=0)
gammas_show = [0.1, 1.0, 10.0, 100.0]
fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
for ax, g in zip(axes, gammas_show):
    m = KernelSVM(C=1.0, gamma=g).fit(Xm_tr, ym_tr)
    plot_svm(m, Xm_tr, ym_tr, ax, f"γ = {g}: {len(m.support_)} SVs, val acc {m.score(Xm_va, ym_va):.2f}")
plt.tight_layout()
plt.show()

gammas = np.logspace(-2, 2.5, 10 if QUICK else 25)
curves = {}
for C in [0.1, 1.0, 10.0]:
    tr, va, nsv = [], [], []
    for g in gammas:
        m = KernelSVM(C=C, gamma=g).fit(Xm_tr, ym_tr)
        tr.append(m.score(Xm_tr, ym_tr))
        va.append(m.score(Xm_va, ym_va))
        nsv.append(len(m.support_) / len(Xm_tr))
    curves[C] = (tr, va, nsv)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for C, (tr, va, nsv) in curves.items():
    line, = axes[0].semilogx(gammas, va, "o-", ms=3, label=f"validation, C={C}")
    axes[0].semilogx(gammas, tr, "--", color=line.get_color(), lw=1, label=f"train, C={C}")
    axes[1].semilogx(gammas, nsv, "o-", ms=3, color=line.get_color(), label=f"C={C}")
axes[0].set(xlabel="γ", ylabel="accuracy", title="Validation curve over γ (moons)")
axes[1].set(xlabel="γ", ylabel="fraction of training points that are SVs",
            title="Support vectors vs γ")
axes[0].legend(fontsize=7)
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()
best = max(((C, g, va[k]) for C, (_, va, _) in curves.items() for k, g in enumerate(gammas)),
           key=lambda t: t[2])
print(f"best validation accuracy {best[2]:.3f} at C = {best[0]}, γ = {best[1]:.3g}")

# %% [markdown]
# **What happened.** For the smallest $\gamma$ the boundary is nearly a straight line and
# both accuracies stay well below their best; at intermediate $\gamma$ (about 1–10 here) the
# boundary follows the moons and validation accuracy peaks; for the largest $\gamma$ training
# accuracy heads to 100 % while validation falls and almost every point becomes a support
# vector: the model memorises.
# $C$ and $\gamma$ interact (larger $C$ overfits sooner), which is why they are tuned
# together with a grid search, always on scaled features (the kernel uses distances:
# Project 10).
#
# ## Comparison with scikit-learn
#
# Same data, same hyperparameters. The bar against scikit-learn's `SVC`: accuracy within 1 point, close
# support-vector counts and decision-function correlation $\ge 0.99$. SMO with libsvm's
# selection rule and stopping tolerance converges to the same optimum as libsvm (up to the
# tolerance), so we expect far better than the bar for `KernelSVM`; Pegasos is a stochastic
# method, so `LinearSVM` only has to meet it.

# %%
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

Xc, yc = load_breast_cancer(return_X_y=True)
Xc_tr, Xc_te, yc_tr, yc_te = train_test_split(Xc, yc, test_size=0.3, random_state=0, stratify=yc)
scaler = StandardScaler().fit(Xc_tr)
Xc_tr, Xc_te = scaler.transform(Xc_tr), scaler.transform(Xc_te)
problems = {"breast cancer": (Xc_tr, Xc_te, yc_tr, yc_te), "moons": (Xm_tr, Xm_va, ym_tr, ym_va)}
settings = [{"kernel": "linear", "C": 1.0}, {"kernel": "rbf", "C": 1.0},
            {"kernel": "poly", "degree": 3, "coef0": 1.0, "C": 1.0}]
print(f"{'data':14s} {'model':36s} {'acc ours':>8s} {'acc sk':>7s} {'SVs ours':>8s} {'SVs sk':>7s} {'corr(f)':>8s}")
for data, (A, B, ya, yb_) in problems.items():
    for params in settings:
        ours, sk = KernelSVM(**params).fit(A, ya), SVC(**params).fit(A, ya)
        r = np.corrcoef(ours.decision_function(B), sk.decision_function(B))[0, 1]
        acc_o, acc_s = ours.score(B, yb_), sk.score(B, yb_)
        name = "KernelSVM " + ", ".join(f"{k}={v}" for k, v in params.items() if k != "C")
        print(f"{data:14s} {name:36s} {acc_o:8.3f} {acc_s:7.3f} {len(ours.support_):8d} {len(sk.support_):7d} {r:8.5f}")
        assert abs(acc_o - acc_s) <= 0.01 and r >= 0.99
        assert abs(len(ours.support_) - len(sk.support_)) <= max(2, 0.05 * len(sk.support_))
    lin = LinearSVM(C=1.0, random_state=0).fit(A, ya)
    lsk = LinearSVC(C=1.0, loss="hinge", max_iter=200_000).fit(A, ya)
    r = np.corrcoef(lin.decision_function(B), lsk.decision_function(B))[0, 1]
    print(f"{data:14s} {'LinearSVM (Pegasos)':36s} {lin.score(B, yb_):8.3f} {lsk.score(B, yb_):7.3f} "
          f"{'—':>8s} {'—':>7s} {r:8.5f}")
    assert abs(lin.score(B, yb_) - lsk.score(B, yb_)) <= 0.01 and r >= 0.99

# %%
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

pipe = make_pipeline(StandardScaler(), KernelSVM())
grid = GridSearchCV(pipe, {"kernelsvm__C": [0.1, 1, 10], "kernelsvm__gamma": ["scale", 0.01, 0.1]}, cv=3)
grid.fit(Xc_tr, yc_tr)
print("best params:", grid.best_params_, f"CV accuracy {grid.best_score_:.3f}, "
      f"test accuracy {grid.score(Xc_te, yc_te):.3f}")

# %% [markdown]
# ## What you learned
#
# - The [support vector machine](../../../docs/GLOSSARY.md#support-vector-machine) maximises
#   the margin $2/\|w\|$; the [hinge loss](../../../docs/GLOSSARY.md#hinge-loss) prices
#   violations, and $C$ trades margin width against them.
# - Pegasos minimises the primal with sub-gradients and a $1/(\lambda t)$ step; averaging the
#   iterates removes most of the noise.
# - The dual depends on the data only through dot products: swap them for a
#   [kernel](../../../docs/GLOSSARY.md#kernel-trick) and the same solver learns nonlinear
#   boundaries. Only the [support vectors](../../../docs/GLOSSARY.md#support-vectors) matter.
# - SMO solves the dual two multipliers at a time in closed form; with libsvm's pair choice
#   it reproduces `SVC` to three decimals.
# - $\gamma$ and $C$ move an RBF SVM from underfitting to memorising; tune them together, on
#   scaled features.
#
# **Next:** Project 10 is about the features themselves: scaling, encoding, imputation and leakage.
