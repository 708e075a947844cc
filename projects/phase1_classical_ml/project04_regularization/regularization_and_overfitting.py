# %% [markdown]
# # Project 04 — Regularization and overfitting
#
# Give a model enough parameters and it will fit anything, noise included. A degree-15
# polynomial through 20 noisy points passes through every one of them and is useless
# between them. **Regularization** is the family of tricks that stop this: here, penalties on
# the size of the weights. The same ideas reappear, lightly disguised, in every neural network
# you will train: weight decay is ridge, dropout and early stopping are regularisers too.
#
# **You will:**
# 1. build polynomial features and watch a flexible model overfit;
# 2. write ridge regression in closed form and by its gradient;
# 3. write the lasso's soft-thresholding and coordinate descent (and get the elastic net for
#    free);
# 4. pick the penalty with a validation curve, trace a lasso coefficient path, and prove
#    every estimator equals scikit-learn's `Ridge`, `Lasso`, `ElasticNet` and `lasso_path`.
#
# **Prerequisites:** Project 01 (least squares, gradient descent).
# **Time:** about 8 hours.
#
# Each exercise is a function with a `raise NotImplementedError`; the `check(...)` line under
# it prints `✓` or the first failing input with a hint. `ml2llm check 04` runs the notebook
# from a terminal and records your progress.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import matplotlib.pyplot as plt
import numpy as np

from ml2llm import check, is_quick
from ml2llm.classical import regularization as reference
from ml2llm.classical.regularization import ElasticNet, Lasso, Ridge, lasso_path
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Polynomial features: a linear model that draws curves
#
# A model linear in its *parameters* can still be non-linear in its *input*: map $x$ to
# $\phi(x) = (x, x^2, \dots, x^p)$ and fit $\hat y = \phi(x)^\top w + b$ by least squares.
# Nothing in Project 01 changes; only the design matrix grows a column per degree.
#
# ### Exercise 4.1 — Polynomial features
#
# Return the `(n, degree)` matrix with columns $x, x^2, \dots, x^{\text{degree}}$ for a 1-D
# input `x` (shape `(n,)` or `(n, 1)`). No column of ones: the models fit their own intercept.

# %%
def polynomial_features(x, degree):
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float).reshape(-1)
    return x[:, None] ** np.arange(1, degree + 1)[None, :]
    ### END SOLUTION


check("p04.polynomial_features", polynomial_features)

# %% [markdown]
# ## Experiment 1 — Overfitting with high-degree polynomials
#
# **Hypothesis.** On 20 noisy samples of a smooth curve, training error falls monotonically
# with the degree (more parameters can only fit better), but test error is U-shaped: it
# falls while the model learns the curve, then rises once it starts fitting the noise.
# At degree 19 (20 parameters for 20 points) the fit interpolates the data.

# %%
rng = np.random.default_rng(2)
truth = lambda x: np.sin(2.5 * x) + 0.5 * x
sigma, n_train = 0.3, 20
x_train = rng.uniform(-1, 1, n_train)
y_train = truth(x_train) + sigma * rng.normal(size=n_train)
x_test = rng.uniform(-1, 1, 1000)
y_test = truth(x_test) + sigma * rng.normal(size=1000)
grid = np.linspace(-1, 1, 400)


def poly_fit(degree, alpha=0.0):
    # Ridge with alpha = 0 is ordinary least squares; the library's closed form.
    return Ridge(alpha=alpha).fit(reference.polynomial_features(x_train, degree), y_train)


def mse_of(model, degree, x, y):
    return np.mean((model.predict(reference.polynomial_features(x, degree)) - y) ** 2)


degrees = np.arange(1, 16)
train_err = [mse_of(poly_fit(p, 1e-10), p, x_train, y_train) for p in degrees]
test_err = [mse_of(poly_fit(p, 1e-10), p, x_test, y_test) for p in degrees]
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].scatter(x_train, y_train, c="k", s=15, zorder=3, label="training data")
axes[0].plot(grid, truth(grid), "k--", lw=1, label="truth")
for p in (1, 4, 15):
    axes[0].plot(grid, poly_fit(p, 1e-10).predict(reference.polynomial_features(grid, p)), label=f"degree {p}")
axes[0].set(ylim=(-2.5, 2.5), title="Least-squares polynomial fits", xlabel="x", ylabel="y"); axes[0].legend(fontsize=8)
axes[1].semilogy(degrees, train_err, "o-", label="train MSE")
axes[1].semilogy(degrees, test_err, "s-", label="test MSE")
axes[1].axhline(sigma**2, color="gray", ls=":", label="noise σ² (best possible)")
axes[1].set(xlabel="degree", ylabel="MSE", title="Train vs test error"); axes[1].legend(fontsize=8)
plt.tight_layout(); plt.show()
print(f"degree 15: train MSE {train_err[-1]:.4f}, test MSE {test_err[-1]:.2f} (noise level {sigma**2:.2f})")

# %% [markdown]
# **What happened.** Training error keeps falling, below the noise level $\sigma^2 = 0.09$
# from degree 4 on (the model is memorising noise), while test error is lowest at degree 3–4,
# right at the noise level, and then explodes by orders of magnitude. The
# degree-15 curve swings wildly between the points, and its coefficients are huge — which is
# the handle regularization grabs.
#
# ## 2. Ridge regression
#
# Penalise the squared size of the weights (never the intercept, which only shifts the
# curve):
#
# $$\min_{w, b}\ \|y - Xw - b\|^2 + \alpha\|w\|^2 .$$
#
# Centre the data ($X_c = X - \bar x$, $y_c = y - \bar y$) and the intercept drops out; setting
# the gradient to zero gives the closed form
#
# $$w = (X_c^\top X_c + \alpha I)^{-1} X_c^\top y_c, \qquad b = \bar y - \bar x^\top w .$$
#
# Adding $\alpha I$ makes the matrix invertible even with more features than samples, and in
# the eigenbasis of $X_c^\top X_c$ it shrinks each component by $\lambda_j/(\lambda_j + \alpha)$:
# directions the data barely determines (small $\lambda_j$) are shrunk the most. Bayesian
# reading: ridge is the most probable $w$ under a Gaussian prior $w \sim \mathcal N(0, \tfrac{\sigma^2}{\alpha} I)$.
#
# ### Exercise 4.2 — Ridge in closed form
#
# Return `(w, b)`. The scaling is scikit-learn's: sums of squares, not means.

# %%
def ridge_closed_form(X, y, alpha):
    ### BEGIN SOLUTION
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y_mean - x_mean @ w)
    ### END SOLUTION


check("p04.ridge_closed_form", ridge_closed_form)

# %% [markdown]
# For gradient descent divide the objective by $2n$ (same minimiser, gradients of order 1):
#
# $$J = \frac{1}{2n}\big(\|Xw + b - y\|^2 + \alpha\|w\|^2\big), \qquad
#   \nabla_w J = \frac1n\big(X^\top r + \alpha w\big), \quad \frac{\partial J}{\partial b} = \frac1n\sum_i r_i,$$
#
# with $r = Xw + b - y$. The extra term $\frac\alpha n w$ pulls every weight towards zero at each
# step, hence the deep-learning name **weight decay**.
#
# ### Exercise 4.3 — The ridge gradient
#
# Return `(grad_w, grad_b)` of $J$ above.

# %%
def ridge_gradient(X, y, w, b, alpha):
    ### BEGIN SOLUTION
    r = X @ w + b - y
    n = X.shape[0]
    return (X.T @ r + alpha * w) / n, float(r.mean())
    ### END SOLUTION


check("p04.ridge_gradient", ridge_gradient)

# %% [markdown]
# ## Experiment 2 — A validation curve picks the penalty
#
# **Hypothesis.** For the degree-15 model, a small $\alpha$ overfits (low train error, high
# validation error) and a huge $\alpha$ underfits (both high, the curve flattens towards a
# constant); in between, validation error has a minimum near the noise level. We estimate
# it with 5-fold cross-validation using scikit-learn's `validation_curve` on *our* estimator
# inside a `Pipeline` (standardising the polynomial columns so one $\alpha$ suits them all).

# %%
from sklearn.model_selection import validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

P = 15
poly15 = make_pipeline(FunctionTransformer(lambda X: reference.polynomial_features(X, P)),
                       StandardScaler(), Ridge())
alphas = np.geomspace(1e-8, 1e3, 12 if QUICK else 30)
tr, va = validation_curve(poly15, x_train[:, None], y_train, param_name="ridge__alpha",
                          param_range=alphas, cv=5, scoring="neg_mean_squared_error")
tr, va = -tr.mean(axis=1), -va.mean(axis=1)
best_alpha = alphas[np.argmin(va)]

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].loglog(alphas, tr, "o-", label="train (CV folds)")
axes[0].loglog(alphas, va, "s-", label="validation (CV folds)")
axes[0].axhline(sigma**2, color="gray", ls=":", label="noise σ²")
axes[0].axvline(best_alpha, color="r", ls="--", label=f"best α = {best_alpha:.1e}")
axes[0].set(xlabel="α", ylabel="MSE", title="Validation curve, degree-15 ridge"); axes[0].legend(fontsize=8)
axes[1].scatter(x_train, y_train, c="k", s=15, zorder=3)
axes[1].plot(grid, truth(grid), "k--", lw=1, label="truth")
for a in (1e-8, best_alpha, 1e2):
    axes[1].plot(grid, poly15.set_params(ridge__alpha=a).fit(x_train[:, None], y_train).predict(grid[:, None]),
                 label=f"α = {a:.0e}")
axes[1].set(ylim=(-2.5, 2.5), title="Degree 15 with a penalty", xlabel="x"); axes[1].legend(fontsize=8)
plt.tight_layout(); plt.show()
test_mse = np.mean((poly15.set_params(ridge__alpha=best_alpha).fit(x_train[:, None], y_train)
                    .predict(x_test[:, None]) - y_test) ** 2)
print(f"degree 15 with α = {best_alpha:.1e}: test MSE {test_mse:.3f} (unpenalised: {test_err[-1]:.2f})")

# %% [markdown]
# **What happened.** The validation curve is U-shaped in $\alpha$, the mirror image of the
# degree curve in Experiment 1: a penalty is a continuous knob on model complexity. At the
# chosen $\alpha$ the degree-15 model is smooth inside the data range and its test error
# falls by orders of magnitude (printed above), without us choosing the degree at all. (Its
# right end still bends away beyond the last training point: no penalty makes
# extrapolation safe.)
#
# ## 3. The lasso: coordinate descent and soft-thresholding
#
# Replace the squared norm by the absolute values (scikit-learn's scaling):
#
# $$\min_w\ \frac{1}{2n}\|y - Xw\|^2 + \alpha\|w\|_1 .$$
#
# The $\ell_1$ norm has a corner at 0, so the optimum sits *exactly* at $w_j = 0$ for many
# $j$: the lasso selects features. There is no closed form, but one coordinate at a time
# the problem is a 1-D parabola plus $\alpha|w_j|$, solved exactly by **soft-thresholding**.
# Holding the others fixed, with the partial residual's correlation
# $\rho_j = x_j^\top(y - Xw + x_j w_j)$:
#
# $$w_j \leftarrow \frac{S(\rho_j,\ n\alpha)}{\|x_j\|^2}, \qquad S(z, t) = \operatorname{sign}(z)\max(|z| - t, 0).$$
#
# $S$ moves $z$ towards 0 by $t$ and stops at 0: a subgradient of $|w_j|$ is any number in
# $[-1, 1]$ at 0, which absorbs every $|\rho_j| \le n\alpha$. Compare ridge, whose 1-D solution
# $\rho_j/(\|x_j\|^2 + n\alpha')$ only ever *scales* towards 0.
#
# ### Exercise 4.4 — Soft-thresholding
#
# Return $S(z, t)$ element-wise.

# %%
def soft_threshold(z, threshold):
    ### BEGIN SOLUTION
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)
    ### END SOLUTION


check("p04.soft_threshold", soft_threshold)

# %% [markdown]
# The **elastic net** mixes both penalties, $\alpha\rho\|w\|_1 + \frac{\alpha(1-\rho)}{2}\|w\|^2$
# ($\rho$ = `l1_ratio`): sparse like the lasso, but stable with correlated features like
# ridge. Its coordinate update only changes the denominator:
#
# $$w_j \leftarrow \frac{S(\rho_j,\ n\alpha\rho)}{\|x_j\|^2 + n\alpha(1-\rho)} .$$
#
# ### Exercise 4.5 — One sweep of coordinate descent
#
# For centred `X`, `y` (no intercept), update $w_0, w_1, \dots, w_{d-1}$ in order, each using
# the *already updated* values of the others (keep the residual $r = y - Xw$ up to date as you
# go). Return a new array; do not modify `w`.

# %%
def coordinate_descent_epoch(X, y, w, alpha, l1_ratio=1.0):
    ### BEGIN SOLUTION
    n = X.shape[0]
    w = np.array(w, dtype=float)
    r = y - X @ w
    for j in range(X.shape[1]):
        xj = X[:, j]
        rho = xj @ r + (xj @ xj) * w[j]
        new = soft_threshold(rho, n * alpha * l1_ratio) / (xj @ xj + n * alpha * (1 - l1_ratio))
        r = r - xj * (new - w[j])
        w[j] = new
    return w
    ### END SOLUTION


check("p04.cd_epoch", coordinate_descent_epoch)

# %% [markdown]
# ## Experiment 3 — The lasso path on diabetes
#
# **Hypothesis.** Above $\alpha_{\max} = \max_j |x_j^\top y_c|/n$ every coefficient is zero
# (no $|\rho_j|$ beats the threshold). Lowering $\alpha$, features enter one at a time, in
# order of importance, and at tiny $\alpha$ the path ends at least squares. Our warm-started
# path must coincide with scikit-learn's `lasso_path`.
#
# The **diabetes** set (442 patients, 10 standardised clinical features) ships with
# scikit-learn.

# %%
from sklearn.datasets import load_diabetes
from sklearn import linear_model as sklm

diab = load_diabetes()
Xd, yd = diab.data, diab.target
Xdc, ydc = Xd - Xd.mean(axis=0), yd - yd.mean()
alphas_path, coefs = lasso_path(Xdc, ydc, n_alphas=40 if QUICK else 100, tol=1e-10)
_, sk_coefs, _ = sklm.lasso_path(Xdc, ydc, alphas=alphas_path, tol=1e-12, max_iter=100_000)
print(f"α_max = {alphas_path[0]:.3f}; max |ours − sklearn| along the path: {np.abs(coefs - sk_coefs).max():.1e}")
# both solved to tight duality gaps (coefficients up to ~800): measured ~4e-8
assert np.abs(coefs - sk_coefs).max() < 1e-5

fig, ax = plt.subplots(figsize=(8, 4.5))
for j, name in enumerate(diab.feature_names):
    line, = ax.semilogx(alphas_path, coefs[j], label=name)
    ax.semilogx(alphas_path[::4], sk_coefs[j, ::4], "o", color=line.get_color(), ms=4, mfc="none")
ax.invert_xaxis(); ax.axhline(0, color="k", lw=0.5)
ax.set(xlabel="α (decreasing →)", ylabel="coefficient",
       title="Lasso path: lines = ours, circles = sklearn.lasso_path")
ax.legend(fontsize=7, ncol=2); plt.show()
order = [diab.feature_names[j] for j in np.argsort([np.argmax(c != 0) if np.any(c) else 10**6 for c in coefs])]
print("order in which features enter:", order)

# %% [markdown]
# **What happened.** All ten coefficients start at exactly 0 and enter one by one — `bmi`
# and `s5` (a blood serum measure) first, as the two strongest predictors of disease
# progression — and the circles (scikit-learn) sit on our lines. Some paths even cross zero
# (`s1`/`s2` are strongly correlated, so they trade weight). Picking $\alpha$ on this path
# by cross-validation is automatic feature selection.
#
# ## Experiment 4 — Correlated features: lasso picks, elastic net shares
#
# **Hypothesis.** With two nearly identical copies of a feature, the lasso puts all the
# weight on one of them (arbitrarily), while the elastic net's L2 part splits it evenly.

# %%
rng = np.random.default_rng(3)
z = rng.normal(size=200)
X_corr = np.column_stack([z + 0.01 * rng.normal(size=200), z + 0.01 * rng.normal(size=200),
                          rng.normal(size=200)])
y_corr = 2 * z + 0.5 * X_corr[:, 2] + 0.3 * rng.normal(size=200)
for model in (Lasso(alpha=0.05), ElasticNet(alpha=0.05, l1_ratio=0.3), Ridge(alpha=1.0)):
    print(f"{type(model).__name__:10s} coefficients: {np.round(model.fit(X_corr, y_corr).coef_, 3)}")

# %% [markdown]
# The lasso's choice between twins is unstable (it flips with the data); the elastic net
# gives each twin about half: prefer it when features come in correlated groups.
#
# ## Comparison with scikit-learn
#
# Same objectives with the same scaling, so the same `alpha` must give the same model:
#
# - `Ridge` (closed form) vs `sklearn.linear_model.Ridge`: relative coefficient difference
#   below $10^{-9}$ (both are one linear solve);
# - `Ridge(solver="gd")`: below $10^{-5}$ relative (an iterative solver stopped on a tolerance);
# - `Lasso` and `ElasticNet` vs scikit-learn's: both are coordinate descent with the same
#   duality-gap stopping rule. Ours finishes with one linear solve on the support once the
#   sweeps stop changing it (accepted only if the duality gap certifies it), which lands on
#   the exact optimum; scikit-learn at its default `tol=1e-4` can stop a few units away on
#   diabetes at small $\alpha$. So we compare with scikit-learn run to `tol=1e-12`:
#   coefficients within $10^{-6}$ of the largest, and identical zero patterns.

# %%
rows = []
for alpha in (0.01, 0.1, 1.0):
    pairs = [
        ("Ridge", Ridge(alpha=alpha), sklm.Ridge(alpha=alpha), 1e-9),
        ("Ridge (GD)", Ridge(alpha=alpha, solver="gd", max_iter=50_000, tol=1e-12), sklm.Ridge(alpha=alpha), 1e-5),
        ("Lasso", Lasso(alpha=alpha), sklm.Lasso(alpha=alpha, tol=1e-12, max_iter=10**6), 1e-6),
        ("ElasticNet", ElasticNet(alpha=alpha / 10, l1_ratio=0.5),
         sklm.ElasticNet(alpha=alpha / 10, l1_ratio=0.5, tol=1e-12, max_iter=10**6), 1e-6),
    ]
    for name, ours, sk, tol in pairs:
        ours.fit(Xd, yd); sk.fit(Xd, yd)
        rel = np.abs(ours.coef_ - sk.coef_).max() / np.abs(sk.coef_).max()
        rows.append((name, alpha, rel, np.count_nonzero(ours.coef_), np.count_nonzero(sk.coef_)))
        assert rel < tol, (name, alpha, rel)
        assert np.array_equal(ours.coef_ == 0, sk.coef_ == 0)
print(f"{'model':12s} {'alpha':>6s} {'rel. diff':>10s}  non-zero (ours / sklearn)")
for name, alpha, rel, nz, nzs in rows:
    print(f"{name:12s} {alpha:6.2f} {rel:10.1e}  {nz:2d} / {nzs:2d}")

# %% [markdown]
# And they are scikit-learn estimators, so model selection works as usual:

# %%
from sklearn.model_selection import GridSearchCV

search = GridSearchCV(make_pipeline(StandardScaler(), Lasso()), {"lasso__alpha": np.geomspace(0.01, 10, 7)},
                      cv=5, scoring="r2").fit(Xd, yd)
print(f"best α = {search.best_params_['lasso__alpha']:.3g}, CV R² = {search.best_score_:.3f}, "
      f"non-zero coefficients: {np.count_nonzero(search.best_estimator_[-1].coef_)}/10")

# %% [markdown]
# ## What you learned
#
# - **Polynomial features** make a linear model flexible; too flexible and it
#   **overfits**: training error below the noise level, test error exploding.
# - **Ridge** adds $\alpha\|w\|^2$: a closed form $(X_c^\top X_c + \alpha I)^{-1}X_c^\top y_c$ that
#   shrinks poorly determined directions most; its gradient term is **weight decay**.
# - The **lasso**'s $\ell_1$ penalty gives exact zeros (feature selection), solved by
#   coordinate descent with **soft-thresholding**; the **elastic net** only changes the
#   denominator and shares weight among correlated features.
# - A **validation curve** picks the penalty; a **lasso path** shows features entering one
#   by one.
# - Your estimators equal scikit-learn's `Ridge`, `Lasso`, `ElasticNet` and `lasso_path`.
#
# **Next:** Project 04.5 measures what regularization trades: bias against variance.
# Glossary: [overfitting](../../../docs/GLOSSARY.md#overfitting),
# [regularization](../../../docs/GLOSSARY.md#regularization),
# [ridge regression](../../../docs/GLOSSARY.md#ridge-regression),
# [lasso](../../../docs/GLOSSARY.md#lasso), [elastic net](../../../docs/GLOSSARY.md#elastic-net),
# [weight decay](../../../docs/GLOSSARY.md#weight-decay),
# [validation curve](../../../docs/GLOSSARY.md#validation-curve),
# [coordinate descent](../../../docs/GLOSSARY.md#coordinate-descent).
