# %% [markdown]
# # Project 04.5 — Bias and variance, measured
#
# Project 04 showed a U-shaped test error: too simple a model underfits, too flexible a model
# overfits. The **bias–variance decomposition** explains that U exactly, and here you will
# not just state it: you will *measure* it, by training the same model on hundreds of
# freshly drawn training sets from a world whose truth and noise level you control.
#
# For $y = f(x) + \varepsilon$ with $\mathbb E\varepsilon = 0$, $\operatorname{Var}\varepsilon = \sigma^2$,
# and a model $\hat f_D$ trained on a random training set $D$, at any test input $x$:
#
# $$\mathbb E_{D,\varepsilon}\big[(y - \hat f_D(x))^2\big]
#   = \underbrace{\big(\mathbb E_D\hat f_D(x) - f(x)\big)^2}_{\text{bias}^2}
#   + \underbrace{\mathbb E_D\big[(\hat f_D(x) - \mathbb E_D \hat f_D(x))^2\big]}_{\text{variance}}
#   + \underbrace{\sigma^2}_{\text{noise}} .$$
#
# (Expand the square around $\mathbb E_D \hat f_D(x)$ and around $f(x)$; the cross terms vanish
# because the fresh noise is independent of $D$ and has mean 0.) **Bias** is how wrong the
# model is *on average* over training sets; **variance** is how much it changes from one
# training set to the next; **noise** is the floor no model can beat.
#
# **You will:**
# 1. simulate many training sets and collect each model's predictions;
# 2. compute bias² and variance from them, and check that bias² + variance + σ² matches the
#    measured test error and recovers the noise level you set;
# 3. plot the decomposition against model complexity (polynomial degree, ridge penalty);
# 4. draw learning curves and read off "more data" versus "a better model".
#
# **Prerequisites:** Project 04 (polynomial features, ridge). **Time:** about 5 hours.
#
# Each exercise is a function with a `raise NotImplementedError`; the `check(...)` line under
# it prints `✓` or the first failing input with a hint. `ml2llm check 04.5` runs the notebook
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
from ml2llm.classical import bias_variance as reference
from ml2llm.classical.bias_variance import decompose, polynomial_fit_predict
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. A world we control
#
# The truth is $f(x) = \sin(2.5x) + x/2$ on $[-1, 1]$ and the noise is Gaussian with
# $\sigma = 0.3$, so the noise term is $\sigma^2 = 0.09$. A *learner* is any function
# `fit_predict(x_train, y_train, x_test)` that fits a model and returns its predictions;
# `polynomial_fit_predict(degree)` is least squares on $1, x, \dots, x^{\text{degree}}$.

# %%
f = lambda x: np.sin(2.5 * x) + 0.5 * x
SIGMA, N_TRAIN = 0.3, 30
N_DATASETS = 100 if QUICK else 500
x_test = np.linspace(-0.9, 0.9, 60)

rng = np.random.default_rng(0)
fig, ax = plt.subplots(figsize=(6, 3.5))
for k in range(3):
    x = rng.uniform(-1, 1, N_TRAIN)
    ax.scatter(x, f(x) + SIGMA * rng.normal(size=N_TRAIN), s=10, alpha=0.7, label=f"training set {k + 1}")
ax.plot(x_test, f(x_test), "k--", label="f(x)")
ax.set(title="Three training sets from the same world", xlabel="x", ylabel="y"); ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ### Exercise 4.5.1 — Simulate many training sets
#
# Return an array of shape `(n_datasets, len(x_test))` whose row `d` holds the predictions of
# a model trained on the `d`-th fresh training set. Use one generator,
# `rng = np.random.default_rng(seed)`, and for each training set draw, **in this order**,
# `x = rng.uniform(-1, 1, n_train)` and then `noise_std * rng.normal(size=n_train)` for the
# noise (the order fixes which random numbers go where, so the check can compare).

# %%
def simulate_predictions(fit_predict, f, x_test, n_train, n_datasets, noise_std, seed=None):
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    preds = np.empty((n_datasets, len(x_test)))
    for d in range(n_datasets):
        x = rng.uniform(-1.0, 1.0, n_train)
        y = f(x) + noise_std * rng.normal(size=n_train)
        preds[d] = fit_predict(x, y, x_test)
    return preds
    ### END SOLUTION


check("p04_5.simulate", simulate_predictions)

# %% [markdown]
# ### Exercise 4.5.2 — Bias² and variance from the predictions
#
# With $\bar f(x) = \frac1D\sum_d \hat f_d(x)$ the average model, return the pair
#
# $$\text{bias}^2 = \operatorname{mean}_x\big(\bar f(x) - f(x)\big)^2, \qquad
#   \text{variance} = \operatorname{mean}_x \frac1D\sum_d\big(\hat f_d(x) - \bar f(x)\big)^2 .$$
#
# Use the population variance (`ddof=0`): then bias² + variance is *exactly* the mean squared
# distance between the models and $f$, with no $D/(D-1)$ fudge.

# %%
def bias_variance(predictions, f_true):
    ### BEGIN SOLUTION
    mean_pred = predictions.mean(axis=0)
    return float(np.mean((mean_pred - f_true) ** 2)), float(np.mean(predictions.var(axis=0)))
    ### END SOLUTION


check("p04_5.bias_variance", bias_variance)

# %% [markdown]
# ## Experiment 1 — Seeing bias and variance
#
# **Hypothesis.** A straight line (degree 1) should give models that agree with each other
# (low variance) but are all wrong in the same way (high bias); degree 10 should give models
# that are right on average (low bias) but disagree wildly (high variance).

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), sharey=True)
for ax, degree in zip(axes, (1, 3, 10)):
    preds = reference.simulate_predictions(polynomial_fit_predict(degree), f, x_test, N_TRAIN, 40, SIGMA, seed=1)
    b2, var = reference.bias_variance(preds, f(x_test))
    ax.plot(x_test, preds.T, color="tab:blue", alpha=0.15, lw=1)
    ax.plot(x_test, preds.mean(axis=0), color="tab:red", lw=2, label="average model")
    ax.plot(x_test, f(x_test), "k--", lw=1.5, label="truth f")
    ax.set(title=f"degree {degree}: bias² = {b2:.3f}, variance = {var:.3f}", xlabel="x", ylim=(-2.5, 2.5))
axes[0].legend(fontsize=8); axes[0].set_ylabel("prediction")
plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** The 40 lines of degree 1 form a tight bundle around an average that
# cannot bend like the sine: bias. The degree-10 curves fan out, especially near the edges
# where training points are sparse, yet their average sits on the truth: variance.
#
# ## Experiment 2 — The decomposition against model complexity
#
# **Hypothesis.** As the degree grows, bias² falls and variance rises; their sum plus the
# noise is the U-shaped test error of Project 04. And the decomposition is an *identity*: the
# test error measured directly on fresh noisy targets must equal bias² + variance + σ², so
# "measured error − bias² − variance" must recover the $\sigma^2 = 0.09$ we chose.

# %%
degrees = np.arange(0, 9)
results = [decompose(polynomial_fit_predict(int(p)), f, x_test, n_train=N_TRAIN, n_datasets=N_DATASETS,
                     noise_std=SIGMA, seed=int(p)) for p in degrees]
bias2 = np.array([r.bias2 for r in results])
var = np.array([r.variance for r in results])
measured = np.array([r.expected_mse for r in results])
noise_hat = measured - bias2 - var

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].semilogy(degrees, bias2, "o-", label="bias²")
axes[0].semilogy(degrees, var, "s-", label="variance")
axes[0].semilogy(degrees, bias2 + var + SIGMA**2, "k-", lw=2, label="bias² + variance + σ²")
axes[0].semilogy(degrees, measured, "r^", ms=8, mfc="none", label="measured test MSE")
axes[0].axhline(SIGMA**2, color="gray", ls=":", label="σ² (noise floor)")
axes[0].set(xlabel="polynomial degree", ylabel="error", title="Decomposition vs complexity")
axes[0].legend(fontsize=8)
axes[1].plot(degrees, noise_hat, "o-", label="measured − bias² − variance")
axes[1].axhline(SIGMA**2, color="gray", ls=":", label="true σ² = 0.09")
axes[1].set(ylim=(0, 0.2), xlabel="polynomial degree", ylabel="estimated noise",
            title="The identity recovers the noise level"); axes[1].legend(fontsize=8)
plt.tight_layout(); plt.show()
best = degrees[np.argmin(measured)]
print(f"best degree {best}: bias² {bias2[best]:.4f} + variance {var[best]:.4f} + σ² {SIGMA**2:.2f} "
      f"= {bias2[best] + var[best] + SIGMA**2:.4f}; measured {measured[best]:.4f}")
print("noise recovered per degree:", np.round(noise_hat, 3))
# Monte-Carlo error: the cross term 2σ·mean(ε·(ŷ − f)) has standard deviation
# ≈ 2σ·√((bias² + variance)/(n_datasets·60)) — under 0.01 up to degree 8 with 100 datasets
# (it grows with the variance, which is why we stop at degree 8). Allow 0.03.
assert np.all(np.abs(noise_hat - SIGMA**2) < 0.03)

# %% [markdown]
# **What happened.** bias² collapses between degrees 2 and 3 (a cubic can follow this
# stretch of the sine) and then stays near zero; variance is small and roughly flat up to
# degree 6, then climbs steeply as the polynomial starts swinging near the edges, where
# training points are sparse. (Degree 0 has more variance than degree 1: the mean of $y$
# moves with *where* the random inputs fell, not only with the noise.) The black sum passes through the
# red triangles (measured directly) and the right panel recovers $\sigma^2 = 0.09$ for every
# degree to within Monte-Carlo error: the decomposition is not a metaphor, it is arithmetic.
# The best model is where the falling bias meets the rising variance.
#
# ## Experiment 3 — Regularization moves along the same trade-off
#
# **Hypothesis.** For a fixed, very flexible model (degree 10), raising the ridge penalty
# $\alpha$ should trade variance for bias, tracing the same U as lowering the degree.

# %%
alphas = np.geomspace(1e-6, 1e2, 9 if QUICK else 17)
ridge_res = [decompose(polynomial_fit_predict(10, alpha=float(a)), f, x_test, n_train=N_TRAIN,
                       n_datasets=N_DATASETS, noise_std=SIGMA, seed=100 + k) for k, a in enumerate(alphas)]
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(alphas, [r.bias2 for r in ridge_res], "o-", label="bias²")
ax.loglog(alphas, [r.variance for r in ridge_res], "s-", label="variance")
ax.loglog(alphas, [r.expected_mse for r in ridge_res], "r^-", label="measured test MSE")
ax.axhline(SIGMA**2, color="gray", ls=":", label="σ²")
ax.set(xlabel="ridge α (degree 10)", ylabel="error", title="Ridge: variance ↔ bias"); ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **What happened.** Small $\alpha$: the degree-10 model's high variance; large $\alpha$:
# the coefficients are crushed, the model flattens and bias dominates. In between, the test
# error comes close to the noise floor. A penalty is a continuous version of choosing the
# degree.
#
# ## 2. Learning curves
#
# Bias and variance need a simulator. With one real dataset we use **learning curves**
# instead: training and validation error as the training set grows.
#
# - *High bias*: both curves converge quickly to the same, high plateau. More data will not
#   help; a more flexible model will.
# - *High variance*: a large gap, training error far below validation error, closing slowly.
#   More data (or more regularization) helps.
#
# For the correct linear model with $p$ parameters and Gaussian noise the expected training
# error on $m$ points is exactly $\sigma^2(1 - p/m)$ (the fit uses up $p$ degrees of freedom):
# below the noise floor, approaching it from below.
#
# ### Exercise 4.5.3 — A learning curve
#
# For each `m` in `sizes`, fit on the first `m` training samples and record the MSE on those
# same `m` samples and on the validation set. Return `(train_mse, val_mse)` as arrays.

# %%
def learning_curve(fit_predict, x_train, y_train, x_val, y_val, sizes):
    ### BEGIN SOLUTION
    train_mse, val_mse = [], []
    for m in sizes:
        xm, ym = x_train[:m], y_train[:m]
        train_mse.append(np.mean((fit_predict(xm, ym, xm) - ym) ** 2))
        val_mse.append(np.mean((fit_predict(xm, ym, x_val) - y_val) ** 2))
    return np.array(train_mse), np.array(val_mse)
    ### END SOLUTION


check("p04_5.learning_curve", learning_curve)

# %% [markdown]
# ## Experiment 4 — Learning curves diagnose bias and variance
#
# **Hypothesis.** Degree 1 (high bias) plateaus early well above $\sigma^2$; degree 10 (high
# variance) has a huge gap at small $m$ that closes as $m$ grows, ending near $\sigma^2$. We
# average each curve over 20 random orderings so the lines are smooth.

# %%
n_pool = 400 if QUICK else 1000
sizes = np.unique(np.geomspace(20, n_pool, 12).astype(int))
x_val = rng.uniform(-1, 1, 2000)
y_val = f(x_val) + SIGMA * rng.normal(size=2000)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for ax, degree in zip(axes, (1, 10)):
    curves = np.zeros((2, len(sizes)))
    for _ in range(20):
        x_pool = rng.uniform(-1, 1, n_pool)
        y_pool = f(x_pool) + SIGMA * rng.normal(size=n_pool)
        curves += np.array(reference.learning_curve(polynomial_fit_predict(degree), x_pool, y_pool,
                                                    x_val, y_val, sizes)) / 20
    ax.loglog(sizes, curves[0], "o-", label="train MSE")
    ax.loglog(sizes, curves[1], "s-", label="validation MSE")
    ax.axhline(SIGMA**2, color="gray", ls=":", label="σ²")
    ax.set(xlabel="training set size m", title=f"degree {degree}", ylim=(0.02, 20))
    ax.legend(fontsize=8)
axes[0].set_ylabel("MSE")
plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** The straight line's two curves meet at about 0.17 — the noise 0.09 plus
# the bias of a line — and stay there: collecting more data would be wasted money. The
# degree-10 model starts with validation error far above its training error (off the chart
# for the smallest sizes), but the gap shrinks roughly like $p/m$ and both curves converge on
# $\sigma^2$ from either side: this model is data-hungry, not wrong.
#
# ## Comparison with analytic expectations
#
# Two cases where theory gives the answer exactly (fixed design: the inputs are the same in
# every training set, only the noise changes):
#
# - least squares with the correct model class and $p$ parameters: bias² $= 0$ and the
#   average in-sample variance is $\sigma^2 p / n$ (the trace of the hat matrix is $p$);
# - the constant model $\hat f = \bar y$: variance $\sigma^2/n$ and bias² equal to the spread
#   of $f$ around its mean.

# %%
n_fix = 20
x_fix = np.linspace(-1, 1, n_fix)
quad = lambda x: 1.0 - x + 2 * x**2
D = 2000 if QUICK else 10000
r_ols = decompose(polynomial_fit_predict(2), quad, x_fix, n_train=n_fix, n_datasets=D,
                  noise_std=SIGMA, seed=7, x_train=x_fix)
r_mean = decompose(polynomial_fit_predict(0), f, x_fix, n_train=n_fix, n_datasets=D,
                   noise_std=SIGMA, seed=8, x_train=x_fix)
print(f"OLS, p = 3:      variance {r_ols.variance:.5f}  theory σ²p/n = {SIGMA**2 * 3 / n_fix:.5f};"
      f"  bias² {r_ols.bias2:.1e} (theory 0)")
print(f"constant model:  variance {r_mean.variance:.5f}  theory σ²/n = {SIGMA**2 / n_fix:.5f};"
      f"  bias² {r_mean.bias2:.4f} (theory {np.mean((f(x_fix) - f(x_fix).mean()) ** 2):.4f})")
# relative Monte-Carlo error of a variance from D draws ≈ √(2/D) ≤ 3.2%: allow 10%
assert abs(r_ols.variance / (SIGMA**2 * 3 / n_fix) - 1) < 0.1
assert abs(r_mean.variance / (SIGMA**2 / n_fix) - 1) < 0.1
assert r_ols.bias2 < 1e-3
assert abs(r_mean.bias2 / np.mean((f(x_fix) - f(x_fix).mean()) ** 2) - 1) < 0.02

# %% [markdown]
# ## What you learned
#
# - Expected test error = **bias²** + **variance** + **noise**, an identity you verified
#   numerically and used to recover the noise level you set.
# - Flexibility (degree) lowers bias and raises variance; **regularization** moves along the
#   same trade-off continuously.
# - The noise $\sigma^2$ is a floor: no model beats it, and training error below it is a
#   sign of memorisation.
# - **Learning curves** tell you, from one dataset, whether to get more data (variance) or a
#   better model (bias).
# - Theory matched simulation: $\sigma^2 p/n$ for least squares, $\sigma^2/n$ for the mean.
#
# Deep networks add a twist ("double descent": test error can fall again beyond the
# interpolation point), but the vocabulary you built here is the one used to discuss it.
# Glossary: [bias–variance trade-off](../../../docs/GLOSSARY.md#bias-variance-trade-off),
# [overfitting](../../../docs/GLOSSARY.md#overfitting),
# [underfitting](../../../docs/GLOSSARY.md#underfitting),
# [learning curve](../../../docs/GLOSSARY.md#learning-curve),
# [regularization](../../../docs/GLOSSARY.md#regularization).
