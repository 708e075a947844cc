# %% [markdown]
# # Project 01 — Linear regression from scratch
#
# Linear regression is the smallest model that has everything a large language model has:
# **parameters**, a **loss** that says how wrong they are, a **gradient** that says which way
# to move them, and an **optimiser** that moves them. Get these four right here, on a problem
# you can picture, and the rest of the curriculum is "the same loop, bigger".
#
# **You will:**
# 1. write predictions, the mean squared error and its gradient by hand;
# 2. turn them into gradient descent, then solve the same problem in closed form;
# 3. run experiments: find the learning rate at which training *diverges* and explain it,
#    see why feature scaling matters, and watch gradient descent walk the loss surface;
# 4. prove your estimator equals scikit-learn's on a real dataset (diabetes).
#
# **Prerequisites:** Python and NumPy basics, derivatives, matrix–vector products.
# **Time:** about 8 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line under it runs your
# function on several inputs, edge cases included, against the reference implementation and
# prints `✓` or the first input where yours differs, with a hint. From a terminal,
# `ml2llm check 01` runs this whole notebook and records your progress.
#
# Terms in **bold** link to the [glossary](../../../docs/GLOSSARY.md).

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
from ml2llm.classical.linear_regression import (
    DivergenceWarning,
    LinearRegressionGD,
    LinearRegressionNormalEq,
    max_stable_learning_rate,
)
from ml2llm.classical import linear_regression as reference
from ml2llm.viz import plot_loss_curves, plot_loss_surface
from utils.data_generators import make_linear
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. The model
#
# We observe pairs $(x_i, y_i)$ and believe $y$ is roughly a linear function of $x$ plus noise:
#
# $$y_i = x_i^\top w + b + \varepsilon_i, \qquad \varepsilon_i \sim \mathcal N(0, \sigma^2).$$
#
# With $n$ samples stacked as rows of $X \in \mathbb R^{n\times d}$, all predictions come from
# one matrix–vector product: $\hat y = Xw + b \in \mathbb R^n$ (the scalar $b$ is
# *broadcast* to every row). Here is data with a known truth, so we can later see how close
# our fit gets.

# %%
X1, y1, true_w = make_linear(n_samples=80, n_features=1, coef=[2.5], intercept=-1.0,
                             noise=1.0, random_state=0, return_coef=True)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.scatter(X1[:, 0], y1, s=12, alpha=0.7, label="data")
grid = np.linspace(X1.min(), X1.max(), 2)
ax.plot(grid, true_w[0] * grid - 1.0, "k--", label="truth: y = 2.5x − 1")
ax.set(xlabel="x", ylabel="y", title="A noisy line"); ax.legend(); plt.show()

# %% [markdown]
# ### Exercise 1.1 — Predictions
#
# Return $\hat y = Xw + b$ for `X` of shape `(n, d)`, `w` of shape `(d,)` and a scalar `b`.
# The result has shape `(n,)`. No loops: use the `@` operator.

# %%
def predict(X, w, b):
    ### BEGIN SOLUTION
    return X @ w + b
    ### END SOLUTION


check("p01.predict", predict)

# %% [markdown]
# ## 2. The loss: mean squared error
#
# How wrong is a given $(w, b)$? We average the squared residuals:
#
# $$L(w, b) = \mathrm{MSE} = \frac{1}{n}\sum_{i=1}^n (y_i - \hat y_i)^2 .$$
#
# *Why squares?* Three reasons. (1) If the noise is Gaussian, minimising the MSE is exactly
# **maximum likelihood**: $-\log p(y\mid X, w) = \frac{1}{2\sigma^2}\sum_i (y_i-\hat y_i)^2 + \text{const}$.
# (2) The MSE of a linear model is a convex quadratic bowl in $(w, b)$: one minimum, no traps.
# (3) It is differentiable everywhere, unlike the absolute error. The price: one outlier with
# residual 10 weighs as much as 100 points with residual 1.
#
# ### Exercise 1.2 — Mean squared error
#
# $\mathrm{MSE} = \frac{1}{n}\sum_i (y_i - \hat y_i)^2$; return a scalar.

# %%
def mse(y_true, y_pred):
    ### BEGIN SOLUTION
    return np.mean((y_true - y_pred) ** 2)
    ### END SOLUTION


check("p01.mse", mse)

# %% [markdown]
# ## 3. The gradient
#
# Write the residual $r = \hat y - y = Xw + b - y$. Then $L = \frac1n r^\top r$ and, by the
# chain rule ($\partial r/\partial w = X$, $\partial r / \partial b = \mathbf 1$):
#
# $$\nabla_w L = \frac{2}{n} X^\top (\hat y - y), \qquad
#   \frac{\partial L}{\partial b} = \frac{2}{n} \sum_i (\hat y_i - y_i).$$
#
# Read it aloud: *each feature's gradient is the average of (error × that feature)*. A
# feature that is large where the model over-predicts gets its weight pushed down.
#
# ### Exercise 1.3 — The gradient of the MSE
#
# Return the tuple `(grad_w, grad_b)`: `grad_w` has the shape of `w`, `grad_b` is a scalar.
#
# <details><summary>Hint</summary>
#
# Compute the residual once: `r = X @ w + b - y`. Then `grad_w = 2 / n * X.T @ r`.
# </details>

# %%
def mse_gradient(X, y, w, b):
    ### BEGIN SOLUTION
    n = X.shape[0]
    r = X @ w + b - y
    return 2.0 / n * (X.T @ r), 2.0 / n * r.sum()
    ### END SOLUTION


check("p01.gradient", mse_gradient)

# %% [markdown]
# **Never trust a hand-derived gradient you have not checked.** A centred finite difference
# $\frac{L(\theta + h e_j) - L(\theta - h e_j)}{2h}$ approximates each partial derivative with
# error $O(h^2)$. Every gradient in this curriculum, up to the transformer's, is verified this
# way. Here it is for the reference gradient (swap in yours once it passes):

# %%
def numerical_gradient(X, y, w, b, h=1e-6):
    loss = lambda w_, b_: reference.mse(y, reference.predict(X, w_, b_))
    grad_w = np.array([(loss(w + h * e, b) - loss(w - h * e, b)) / (2 * h) for e in np.eye(len(w))])
    grad_b = (loss(w, b + h) - loss(w, b - h)) / (2 * h)
    return grad_w, grad_b


rng = np.random.default_rng(1)
Xg, yg = rng.normal(size=(20, 3)), rng.normal(size=20)
wg, bg = rng.normal(size=3), 0.3
analytic = reference.mse_gradient(Xg, yg, wg, bg)
numeric = numerical_gradient(Xg, yg, wg, bg)
rel = np.abs(analytic[0] - numeric[0]).max() / np.abs(analytic[0]).max()
print(f"max relative difference, analytic vs finite differences: {rel:.2e}")

# %% [markdown]
# ## 4. Gradient descent
#
# The gradient points uphill, so we step the other way, scaled by the **learning rate** $\eta$:
#
# $$w \leftarrow w - \eta\, \nabla_w L, \qquad b \leftarrow b - \eta\, \frac{\partial L}{\partial b}.$$
#
# ### Exercise 1.4 — One gradient-descent step
#
# Return the new `(w, b)`. Do **not** modify the arrays you were given (`w -= ...` would):
# the caller may still need the old values, and bugs from shared mutable arrays are among the
# hardest to find in training code.

# %%
def gd_step(X, y, w, b, learning_rate):
    ### BEGIN SOLUTION
    grad_w, grad_b = mse_gradient(X, y, w, b)
    return w - learning_rate * grad_w, b - learning_rate * grad_b
    ### END SOLUTION


check("p01.gd_step", gd_step)

# %% [markdown]
# ### Exercise 1.5 — The training loop
#
# Start from $w = 0$, $b = 0$. For `n_iter` iterations: record the current MSE, then take one
# step. Return `(w, b, losses)` with `losses` an array of length `n_iter`, where `losses[0]` is
# the loss of the all-zero model. This record-then-step order is the one every training loop
# in the curriculum uses (the loss you log is the loss of the weights you stepped from).

# %%
def gradient_descent(X, y, learning_rate=0.1, n_iter=100):
    ### BEGIN SOLUTION
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(n_iter):
        losses.append(mse(y, predict(X, w, b)))
        w, b = gd_step(X, y, w, b, learning_rate)
    return w, b, np.array(losses)
    ### END SOLUTION


check("p01.gradient_descent", gradient_descent)

# %% [markdown]
# Run it on the line from section 1 (this cell uses the library's reference version, which is
# the same code, so it works before you finish the exercises):

# %%
w_gd, b_gd, losses = reference.gradient_descent(X1, y1, learning_rate=0.1, n_iter=100)
print(f"learned w = {w_gd[0]:.3f}, b = {b_gd:.3f}   (truth: w = 2.5, b = -1.0)")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
plot_loss_curves({"η = 0.1": losses}, ax=axes[0], title="MSE during gradient descent")
axes[1].scatter(X1[:, 0], y1, s=12, alpha=0.6)
axes[1].plot(grid, w_gd[0] * grid + b_gd, "r-", label="fitted")
axes[1].set(title="Fitted line", xlabel="x", ylabel="y"); axes[1].legend()
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 5. The normal equation: skipping the loop
#
# The MSE is a quadratic, so its minimum is where the gradient is zero. Append a column of
# ones to $X$ (so $\theta = (b, w)$ and $\tilde X\theta = Xw + b$) and set
# $\nabla_\theta L = \frac2n \tilde X^\top(\tilde X\theta - y) = 0$:
#
# $$\tilde X^\top \tilde X\, \theta = \tilde X^\top y \quad\Longrightarrow\quad
#   \theta^\star = (\tilde X^\top \tilde X)^{-1}\tilde X^\top y .$$
#
# In code, never form the inverse: `np.linalg.solve` is faster and more accurate.
# Two caveats a practitioner must know: solving costs $O(nd^2 + d^3)$, fine for thousands
# of features but not for millions; and $\tilde X^\top\tilde X$ squares the **condition number**
# of $\tilde X$, so nearly collinear features lose precision (SVD-based `lstsq`, which
# `LinearRegressionNormalEq` uses by default, avoids that and handles singular cases).
#
# ### Exercise 1.6 — The normal equation
#
# Return `(w, b)` for `X` of shape `(n, d)`.

# %%
def normal_equation(X, y):
    ### BEGIN SOLUTION
    Xb = np.column_stack([np.ones(X.shape[0]), X])
    theta = np.linalg.solve(Xb.T @ Xb, Xb.T @ y)
    return theta[1:], theta[0]
    ### END SOLUTION


check("p01.normal_equation", normal_equation)

# %%
w_ne, b_ne = reference.normal_equation(X1, y1)
print(f"normal equation:  w = {w_ne[0]:.4f}, b = {b_ne:.4f}")
print(f"gradient descent: w = {w_gd[0]:.4f}, b = {b_gd:.4f}  (after 100 steps)")

# %% [markdown]
# ## Experiment 1 — How large can the learning rate be?
#
# **Hypothesis.** Too small and training crawls; too large and it *diverges*. Where exactly is
# the cliff?
#
# **Theory.** The MSE's Hessian is constant: $H = \frac2n \tilde X^\top \tilde X$. Write the
# error $e = \theta - \theta^\star$; one GD step maps $e \mapsto (I - \eta H)e$. Along the
# eigenvector of $H$ with eigenvalue $\lambda$ the error is multiplied by $(1-\eta\lambda)$ per
# step, so it shrinks only if $|1 - \eta\lambda| < 1$. The largest eigenvalue is the binding
# one:
#
# $$\eta < \eta_{\max} = \frac{2}{\lambda_{\max}(H)} .$$
#
# Between $\eta_{\max}/2$ and $\eta_{\max}$ the error flips sign each step (the iterate
# oscillates across the valley but still converges); above $\eta_{\max}$ it grows
# geometrically. `LinearRegressionGD` detects that (non-finite loss or a million-fold growth),
# stops, and warns with the limit it computed.

# %%
eta_max = max_stable_learning_rate(X1)
print(f"η_max = 2/λ_max(H) = {eta_max:.4f}")
factors = [0.05, 0.3, 0.9, 0.99, 1.1]
histories, n_iter = {}, 100
for f in factors:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LinearRegressionGD(learning_rate=f * eta_max, n_iter=n_iter, tol=None).fit(X1, y1)
    diverged = [w for w in caught if issubclass(w.category, DivergenceWarning)]
    histories[f"η = {f:.2f}·η_max"] = model.loss_history_
    status = f"DIVERGED at epoch {model.n_iter_}" if model.diverged_ else f"final MSE {model.loss_history_[-1]:.4f}"
    print(f"η = {f:4.2f}·η_max → {status}")
    if diverged:
        print("   warning:", str(diverged[0].message)[:150], "…")

# %%
sweep = eta_max * np.linspace(0.02, 1.2, 25 if QUICK else 60)
final = []
for lr in sweep:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        m = LinearRegressionGD(learning_rate=lr, n_iter=30, tol=None).fit(X1, y1)
    final.append(m.loss_history_[-1] if not m.diverged_ else np.nan)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
plot_loss_curves(histories, ax=axes[0], title="Loss curves across learning rates")
axes[1].semilogy(sweep / eta_max, final, "o-", ms=3)
axes[1].axvline(1.0, color="r", ls="--", label="η_max = 2/λ_max")
axes[1].set(xlabel="η / η_max", ylabel="MSE after 30 epochs (gap = diverged)",
            title="The stability cliff")
axes[1].legend(); plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** Below $\eta_{\max}$ every run converges, faster as $\eta$ grows — until
# the oscillation regime near $\eta_{\max}$, where the *slowest* direction is fine but the
# steepest one barely contracts ($|1-\eta\lambda_{\max}| \approx 1$). Just above the line the
# loss explodes: the prediction of the theory, to the second decimal. In deep learning $H$ is
# not constant, but the same picture (the "edge of stability") explains why loss spikes follow
# a learning rate that is too high, and why warm-up exists.
#
# ## Experiment 2 — Why feature scaling matters
#
# **Hypothesis.** Two features on very different scales (say, a house's area in m² and its
# number of rooms) make gradient descent slow even though the problem is just as easy.
#
# **Theory.** The speed of GD is set by the **condition number** $\kappa = \lambda_{\max}/\lambda_{\min}$
# of $H$. With the step $\eta = 1/\lambda_{\max}$ (half the stability limit) the slowest direction
# contracts by $(1 - \lambda_{\min}/\lambda_{\max})$ per step: you need about $\kappa$ steps
# per factor $e$ of progress. A feature 30× larger than another multiplies its
# eigenvalue by ~900. Standardising each feature to mean 0 and variance 1 makes $\kappa$
# close to 1 for uncorrelated features.

# %%
X2, y2 = make_linear(n_samples=200, n_features=2, coef=[1.5, -2.0], intercept=3.0, noise=0.5,
                     scale=[1.0, 30.0], random_state=2)
mu, sd = X2.mean(axis=0), X2.std(axis=0)
X2s = (X2 - mu) / sd
max_epochs = 3000 if QUICK else 20000
curves = {}
for name, data in [("raw features", X2), ("standardised", X2s)]:
    Xb = np.column_stack([np.ones(len(data)), data])
    eig = np.linalg.eigvalsh(2 / len(data) * Xb.T @ Xb)
    lr = 0.5 * max_stable_learning_rate(data)  # η = 1/λ_max
    m = LinearRegressionGD(learning_rate=lr, n_iter=max_epochs, tol=1e-10).fit(data, y2)
    curves[f"{name} (κ = {eig[-1] / eig[0]:.0f})"] = m.loss_history_
    done = f"converged in {m.n_iter_} epochs" if m.n_iter_ < max_epochs else f"not converged after {max_epochs} epochs"
    print(f"{name:13s} κ(H) = {eig[-1] / eig[0]:8.1f}  η = {lr:.2e}  {done}")
plot_loss_curves(curves, title="Same problem, different conditioning", xlabel="epoch")
plt.show()

# %% [markdown]
# Now *see* it. Contours of the loss in the $(w_1, w_2)$ plane (bias fixed at its optimum)
# are long thin ellipses when features are badly scaled; GD zig-zags across the valley. After
# standardising they are nearly circles and GD walks straight to the minimum.

# %%
def weight_path(X, y, lr, steps):
    w, b, path = np.zeros(X.shape[1]), 0.0, []
    for _ in range(steps):
        path.append(w.copy())
        w, b = reference.gd_step(X, y, w, b, lr)
    return np.array(path)


fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, (name, data) in zip(axes, [("raw features", X2), ("standardised", X2s)]):
    w_star, b_star = reference.normal_equation(data, y2)
    lr = 0.5 * max_stable_learning_rate(data)  # η = 1/λ_max: no oscillation
    path = weight_path(data, y2, lr, 40)
    loss = lambda a, c, d=data, b_=b_star: reference.mse(y2, d @ np.array([a, c]) + b_)
    span = np.abs(path - w_star).max(axis=0) * 1.3 + 1e-3
    plot_loss_surface(loss, (w_star[0] - span[0], w_star[0] + span[0]),
                      (w_star[1] - span[1], w_star[1] + span[1]), path=path, ax=ax,
                      resolution=60 if QUICK else 120, labels=("w₁", "w₂"),
                      title=f"{name}: 40 GD steps")
plt.tight_layout(); plt.show()

# %% [markdown]
# ## Experiment 3 — Gradient descent on the loss surface
#
# For one feature the parameters are $(w, b)$: the whole loss is a 2-D bowl we can draw.
# Compare a small learning rate (smooth, slow path) with one in the oscillating regime
# ($0.9\,\eta_{\max}$): the path bounces across the valley's steep walls while creeping along
# its floor, exactly the $(1-\eta\lambda)$ picture from Experiment 1.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, f in zip(axes, [0.15, 0.9]):
    w, b, path = np.zeros(1), 0.0, []
    for _ in range(25):
        path.append((w[0], b))
        w, b = reference.gd_step(X1, y1, w, b, f * eta_max)
    loss = lambda a, c: reference.mse(y1, X1[:, 0] * a + c)
    plot_loss_surface(loss, (-0.5, 4.0), (-3.0, 1.5), path=path, ax=ax,
                      resolution=60 if QUICK else 120, title=f"η = {f}·η_max, 25 steps")
plt.tight_layout(); plt.show()

# %% [markdown]
# ## Comparison with scikit-learn on a real dataset
#
# The **diabetes** dataset (442 patients, 10 standardised clinical features, disease
# progression after one year) ships with scikit-learn. We fit:
#
# - `LinearRegressionNormalEq` against `sklearn.linear_model.LinearRegression` (both exact
#   least squares: coefficients must agree to floating-point precision, we allow $10^{-8}$
#   relative);
# - `LinearRegressionGD` against the same optimum and against `SGDRegressor` (iterative:
#   we ask for $R^2$ within $10^{-3}$ of the exact solution; the coefficients of correlated
#   features such as the serum measurements `s1`/`s2` converge slowly, which is itself a
#   lesson about conditioning).
#
# Both estimators follow scikit-learn's API (`fit` returns `self`, fitted attributes end in
# `_`), so they drop into `Pipeline` and `cross_val_score` unchanged.

# %%
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, SGDRegressor
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = load_diabetes()
Xd_train, Xd_test, yd_train, yd_test = train_test_split(data.data, data.target, test_size=0.25,
                                                        random_state=0)
scaler = StandardScaler().fit(Xd_train)
Xs_train, Xs_test = scaler.transform(Xd_train), scaler.transform(Xd_test)

sk = LinearRegression().fit(Xs_train, yd_train)
ours_ne = LinearRegressionNormalEq().fit(Xs_train, yd_train)
ours_gd = LinearRegressionGD(learning_rate=0.9 * max_stable_learning_rate(Xs_train),
                             n_iter=5000 if QUICK else 50000, tol=1e-12).fit(Xs_train, yd_train)
sgd = SGDRegressor(max_iter=2000, tol=1e-6, random_state=0).fit(Xs_train, yd_train)

rel_coef = np.abs(ours_ne.coef_ - sk.coef_).max() / np.abs(sk.coef_).max()
print(f"normal eq. vs sklearn: max relative coef difference {rel_coef:.1e}")
for name, m in [("sklearn LinearRegression", sk), ("ours, normal equation", ours_ne),
                ("ours, gradient descent", ours_gd), ("sklearn SGDRegressor", sgd)]:
    print(f"{name:26s} test R² = {m.score(Xs_test, yd_test):.4f}")
assert rel_coef < 1e-8
assert abs(ours_ne.score(Xs_test, yd_test) - sk.score(Xs_test, yd_test)) < 1e-10
assert abs(ours_gd.score(Xs_test, yd_test) - sk.score(Xs_test, yd_test)) < 1e-3

# %%
idx = np.arange(len(data.feature_names))
fig, ax = plt.subplots(figsize=(9, 3.5))
for k, (name, m) in enumerate([("sklearn", sk), ("ours (normal eq.)", ours_ne),
                               ("ours (GD)", ours_gd), ("SGDRegressor", sgd)]):
    ax.bar(idx + (k - 1.5) * 0.2, m.coef_, width=0.2, label=name)
ax.set_xticks(idx, data.feature_names); ax.axhline(0, color="k", lw=0.5)
ax.set(title="Diabetes: coefficients on standardised features", ylabel="coefficient")
ax.legend(fontsize=8); plt.show()

# %%
pipe = make_pipeline(StandardScaler(), LinearRegressionGD(learning_rate=0.1, n_iter=2000))
scores = cross_val_score(pipe, data.data, data.target, cv=5, scoring="r2")
print("5-fold CV R² of our GD estimator inside a sklearn Pipeline:", scores.round(3))

# %% [markdown]
# ## What you learned
#
# - A model is parameters + a **loss**; training is following the **gradient** of the loss.
#   You derived $\nabla L = \frac2n X^\top(\hat y - y)$ and verified it with finite differences.
# - **Gradient descent** has a hard speed limit, $\eta < 2/\lambda_{\max}(H)$. Above it the loss
#   diverges; near it, it oscillates. You predicted the cliff from an eigenvalue and saw it.
# - **Conditioning** sets how many steps GD needs ($\approx\kappa$); standardising features is
#   the cheapest preconditioner there is. (Adam, in Project 11.5, is a learned one.)
# - The **normal equation** solves least squares in one shot, but costs $O(d^3)$ and squares
#   the condition number; iterative methods scale to models where $d$ is in the billions.
# - Your estimators equal scikit-learn's on real data and work inside its pipelines.
#
# **Next:** Project 02 replaces the squared error with cross-entropy and the line with a
# sigmoid: logistic regression. Glossary: [gradient descent](../../../docs/GLOSSARY.md#gradient-descent),
# [learning rate](../../../docs/GLOSSARY.md#learning-rate),
# [condition number](../../../docs/GLOSSARY.md#condition-number),
# [normal equation](../../../docs/GLOSSARY.md#normal-equation),
# [mean squared error](../../../docs/GLOSSARY.md#mean-squared-error).
