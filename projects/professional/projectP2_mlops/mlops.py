# %% [markdown]
# # Project P2 — MLOps: tracking, a model registry, A/B tests and drift
#
# A model that scored 0.97 in a notebook last Tuesday is not yet a product. Three questions
# come next, and each has a precise, statistical answer:
#
# 1. **Which run produced the model we ship, with which settings?** → [experiment
#    tracking](../../../docs/GLOSSARY.md#experiment-tracking) and a [model
#    registry](../../../docs/GLOSSARY.md#model-registry). We use MLflow with a local SQLite
#    file: no server, nothing leaves your laptop.
# 2. **Is the new model actually better for users?** → an [A/B
#    test](../../../docs/GLOSSARY.md#ab-test): a two-proportion z-test, a
#    [power](../../../docs/GLOSSARY.md#statistical-power) calculation that says how many
#    users you need *before* you start, and the **peeking problem** that quietly turns a 5 %
#    false-positive rate into 20 %.
# 3. **Is the world still the one we trained on?** → [drift](../../../docs/GLOSSARY.md#data-drift)
#    monitoring with the [population stability index](../../../docs/GLOSSARY.md#population-stability-index)
#    and the Kolmogorov–Smirnov test, with alert thresholds, over simulated days.
#
# The subjects are your own Phase 1 estimators on Project 11's penguins pipeline.
#
# **You will** implement the z-test, power, sample size, the peeking rates, PSI and the KS
# statistic (six checked exercises), then use the library versions in
# `ml2llm/pro/mlops.py` to track, compare and register runs and to monitor drift.
#
# **Prerequisites:** Project 11 (pipeline), Project 07 (metrics), a first course in
# statistics (p-values, the normal distribution). **Time:** about 10 hours. The guide
# [MLOPS_PROFESSIONAL_GUIDE.md](../../../docs/MLOPS_PROFESSIONAL_GUIDE.md) goes further.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import math
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from ml2llm import check, is_quick
from ml2llm.quickmode import pick
from ml2llm.pro import mlops
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Experiment tracking with MLflow, locally
#
# Every training run answers "what did I run, on what, and what came out?": its
# **parameters** (hyperparameters, data version), **metrics** (final scores and curves), and
# **artifacts** (the model file). Writing them to a store instead of to your memory is what
# makes a result reproducible and comparable.
#
# MLflow keeps runs in a *backend store*. Its plain-files store is frozen in MLflow 3, so we
# use a single SQLite file: `sqlite:///<folder>/mlflow.db`. Artifacts (our model, saved as
# JSON by Project 11's `save_model`) go in a folder next to it. To browse the same store in a
# browser later:
#
# ```
# mlflow ui --backend-store-uri sqlite:///path/to/mlflow.db
# ```
#
# Below, we train your softmax regression (Project 03) in Project 11's pipeline for a few
# regularisation strengths $C$, log each run, compare them, and register the best in the
# **model registry** under the alias `champion` (the name the serving code asks for).

# %%
from ml2llm.classical.penguins import FEATURES, TARGET, load_penguins, make_pipeline
from ml2llm.classical.softmax_regression import SoftmaxRegression
from sklearn.model_selection import train_test_split

df = load_penguins()
train_df, test_df = train_test_split(df, test_size=0.3, random_state=0, stratify=df[TARGET])
store = tempfile.TemporaryDirectory()  # a throwaway store; point it at a real folder to keep runs
uri = mlops.local_tracking_uri(store.name)
print("tracking URI:", uri)

Cs = pick([0.001, 0.01, 0.1, 1.0, 10.0], [0.001, 0.1, 10.0])
runs = {}
for C in Cs:
    pipe = make_pipeline(SoftmaxRegression(C=C)).fit(train_df[FEATURES], train_df[TARGET])
    acc = float(np.mean(pipe.predict(test_df[FEATURES]) == test_df[TARGET]))
    runs[C] = mlops.track_run(
        uri, "penguins-softmax", params={"C": C, "model": "SoftmaxRegression"},
        metrics={"test_accuracy": acc},
        history={"train_loss": pipe.named_steps["model"].loss_history_[:50]},
        model=pipe, tags={"project": "P2"}, run_name=f"softmax-C{C}",
    )
    print(f"C={C:<6} test accuracy {acc:.3f}  run {runs[C][:8]}")

# %%
table = mlops.compare_runs(uri, "penguins-softmax", "test_accuracy")
for row in table:
    print(f"{row['run_name']:<16} C={row['params']['C']:<6} acc={row['metrics']['test_accuracy']:.3f}")
best = table[0]
version = mlops.register_model(uri, best["run_id"], "penguin-species", alias="champion")
print(f"registered {best['run_name']} as penguin-species v{version} (alias 'champion')")

from mlflow.tracking import MlflowClient

client = MlflowClient(uri)
champion = client.get_model_version_by_alias("penguin-species", "champion")
print("the serving code would load:", champion.source)

fig, ax = plt.subplots(figsize=(5, 3))
ax.bar([r["params"]["C"] for r in table], [r["metrics"]["test_accuracy"] for r in table])
ax.set(xlabel="C (inverse regularisation)", ylabel="test accuracy", title="Runs, read back from MLflow",
       ylim=(0, 1.05))
plt.show()

# %% [markdown]
# **What happened.** Strong regularisation ($C=0.001$) squeezes the weights towards zero and
# the model barely beats the majority class; from $C\approx 0.1$ up the penguins are almost
# perfectly separated. Every number on that plot was read back from the store, not from a
# Python variable: that is the point. The registry entry points at the exact artifact of the
# exact run, so "which model is in production?" has a one-line answer.

# %% [markdown]
# ## 2. A/B tests: is B better than A?
#
# Users are split at random into A (current model) and B (new model); we count conversions
# (clicks, purchases, correct answers accepted). With $x_A$ of $n_A$ and $x_B$ of $n_B$
# converting, the null hypothesis $H_0: p_A = p_B$ says both arms share one rate, best
# estimated by pooling:
#
# $$\hat p = \frac{x_A + x_B}{n_A + n_B}, \qquad
#   z = \frac{\hat p_B - \hat p_A}{\sqrt{\hat p (1-\hat p)\left(\frac1{n_A} + \frac1{n_B}\right)}}.$$
#
# Under $H_0$, $z$ is approximately standard normal (central limit theorem), so the two-sided
# [p-value](../../../docs/GLOSSARY.md#p-value) is $2\,P(Z > |z|) = 2\,(1-\Phi(|z|))$.
#
# ### Exercise P2.1 — Two-proportion z-test
#
# Return `(z, p_value)` for B against A (positive $z$ means B converts more), two-sided.
# `scipy.stats.norm.sf(x)` is $P(Z > x)$.

# %%
def two_proportion_ztest(successes_a, n_a, successes_b, n_b):
    ### BEGIN SOLUTION
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (successes_b / n_b - successes_a / n_a) / se
    return z, 2 * stats.norm.sf(abs(z))
    ### END SOLUTION


check("pp2.two_proportion_z", two_proportion_ztest)

# %% [markdown]
# **Compare with statsmodels.** `proportions_ztest` takes the counts in the order (first,
# second) and tests first minus second, so B goes first.

# %%
from statsmodels.stats.proportion import proportions_ztest

z_ours, p_ours = mlops.two_proportion_ztest(100, 1000, 130, 1000)
z_sm, p_sm = proportions_ztest([130, 100], [1000, 1000])
print(f"ours z={z_ours:.6f} p={p_ours:.6f} | statsmodels z={z_sm:.6f} p={p_sm:.6f}")
assert abs(z_ours - z_sm) < 1e-12 and abs(p_ours - p_sm) < 1e-12  # same formula: rounding only

# %% [markdown]
# ## 3. Power and sample size: decide $n$ before you look
#
# The **power** is the probability of detecting an effect that is really there. For
# proportions, the arcsine transform stabilises the variance: $2\arcsin\sqrt{\hat p}$ has
# variance $\approx 1/n$ whatever $p$ is. The effect size is **Cohen's h**
#
# $$h = 2\arcsin\sqrt{p_2} - 2\arcsin\sqrt{p_1},$$
#
# the difference of two arms has variance $2/n$, and a two-sided test at level $\alpha$
# rejects when $|z| > z_{1-\alpha/2}$. So with $n$ users per arm
#
# $$\text{power} = \Phi\!\left(|h|\sqrt{n/2} - z_{1-\alpha/2}\right) + \Phi\!\left(-|h|\sqrt{n/2} - z_{1-\alpha/2}\right).$$
#
# ### Exercise P2.2 — Power of the test
#
# Return the power for rates `p1`, `p2`, `n_per_group` users per arm and level `alpha`.
# `stats.norm.isf(alpha / 2)` is $z_{1-\alpha/2}$; `stats.norm.cdf` is $\Phi$.

# %%
def power_two_proportions(p1, p2, n_per_group, alpha):
    ### BEGIN SOLUTION
    h = abs(2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1)))
    crit = stats.norm.isf(alpha / 2)
    shift = h * math.sqrt(n_per_group / 2)
    return stats.norm.cdf(shift - crit) + stats.norm.cdf(-shift - crit)
    ### END SOLUTION


check("pp2.power", power_two_proportions)

# %% [markdown]
# ### Exercise P2.3 — Sample size per arm
#
# Solve the power equation for $n$, ignoring the far tail (it is below $10^{-3}$ once the
# power exceeds one half): $n = 2\left(\frac{z_{1-\alpha/2} + z_{\text{power}}}{h}\right)^2$,
# with $z_{\text{power}} = \Phi^{-1}(\text{power})$. Return a whole number of users, rounded
# **up** (an `int`).

# %%
def sample_size_two_proportions(p1, p2, alpha, power):
    ### BEGIN SOLUTION
    h = abs(2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1)))
    n = 2 * ((stats.norm.isf(alpha / 2) + stats.norm.ppf(power)) / h) ** 2
    return int(math.ceil(n))
    ### END SOLUTION


check("pp2.sample_size", sample_size_two_proportions)

# %% [markdown]
# **Experiment — how many users does a small lift need?** *Hypothesis:* since the standard
# error shrinks like $1/\sqrt n$, halving the lift we want to detect should need about
# **four times** as many users. We plot power against $n$ for a 10 % baseline and lifts of
# 1, 2 and 4 points, and check our curve against statsmodels' `NormalIndPower`.

# %%
from statsmodels.stats.power import NormalIndPower

ns = np.unique(np.geomspace(100, 60_000, pick(60, 25)).astype(int))
fig, ax = plt.subplots(figsize=(6, 3.5))
needed = {}
for lift in (0.01, 0.02, 0.04):
    curve = [mlops.power_two_proportions(0.10, 0.10 + lift, int(n)) for n in ns]
    ax.semilogx(ns, curve, label=f"+{lift * 100:.0f} points")
    needed[lift] = mlops.sample_size_two_proportions(0.10, 0.10 + lift)
    h = mlops.cohens_h(0.10, 0.10 + lift)
    sm_curve = NormalIndPower().power(h, nobs1=ns, alpha=0.05)
    assert np.allclose(curve, sm_curve, rtol=1e-10)  # identical formula: rounding only
ax.axhline(0.8, color="k", ls="--", lw=0.8)
ax.set(xlabel="users per arm", ylabel="power", title="Power of a two-sided z-test (α = 0.05), baseline 10%")
ax.legend(); plt.show()
for lift, n in needed.items():
    print(f"+{lift * 100:.0f} points: {n:>6} users per arm for 80% power")
print(f"ratio for halving the lift 2→1 point: {needed[0.01] / needed[0.02]:.2f}")

# %% [markdown]
# **What happened.** Halving the lift multiplied the sample size by about 3.8, close to the
# predicted 4 (not exactly, because the arcsine scale is slightly curved). Detecting a one-point
# lift on a 10 % baseline takes about 14 700 users *per arm*: small effects are expensive, and
# that is decided before the test starts.

# %% [markdown]
# ## 4. The peeking problem
#
# A test at $\alpha = 0.05$ promises: if there is no effect, you wrongly declare a winner 5 %
# of the time. That promise holds for **one** analysis at the planned sample size. Looking at
# the dashboard every day and stopping at the first $p < 0.05$ gives the noise many chances
# to cross the line; the false-positive rate grows with the number of looks.
#
# We simulate **A/A tests** (both arms identical, so every "win" is a false positive), and
# record the p-value at each of several looks. The result is a matrix of shape
# `(n_experiments, n_looks)`.
#
# ### Exercise P2.4 — False-positive rates with and without peeking
#
# Return `(fpr_final, fpr_peeking)`: the share of experiments with $p < \alpha$ at the **last**
# look, and the share with $p < \alpha$ at **any** look (an analyst who stops at the first win).

# %%
def peeking_rates(p_values, alpha):
    ### BEGIN SOLUTION
    significant = p_values < alpha
    return float(significant[:, -1].mean()), float(significant.any(axis=1).mean())
    ### END SOLUTION


check("pp2.peeking", peeking_rates)

# %% [markdown]
# **Experiment.** *Hypothesis:* the planned analysis stays near 5 %, while peeking at every
# one of 20 looks pushes the false-positive rate far above it (well over 15 %).

# %%
sim = mlops.simulate_peeking(p=0.10, n_per_look=200, n_looks=20,
                             n_experiments=pick(5000, 1500), random_state=0)
looks = np.arange(1, 21)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(looks, sim["fpr_by_looks"], "o-", label="stop at first p < 0.05")
ax.axhline(0.05, color="k", ls="--", lw=0.8, label="nominal α = 0.05")
ax.set(xlabel="number of looks", ylabel="false-positive rate", title="A/A tests: peeking inflates false positives")
ax.legend(); plt.show()
print(f"one planned analysis: {sim['fpr_final']:.3f}   peeking at 20 looks: {sim['fpr_peeking']:.3f}")

# %% [markdown]
# **What happened.** The planned analysis stays at about 5 %; peeking at 20 looks declares a
# winner in roughly a quarter of experiments where nothing changed. The fixes: fix $n$ in
# advance with a power calculation and look once, or use a sequential method designed for
# repeated looks (alpha spending, always-valid p-values), covered in the guide.

# %% [markdown]
# ## 5. Drift monitoring
#
# A model assumes tomorrow's inputs look like its training data. When the input distribution
# moves (a new sensor, a new market, a bug upstream) accuracy can fall silently, because the
# labels arrive late or never. We watch the inputs themselves.
#
# **Population stability index.** Cut the reference data into $K$ bins at its quantiles (each
# holds $1/K$ of it), count the fraction $e_k$ of reference and $a_k$ of new data per bin:
#
# $$\mathrm{PSI} = \sum_{k=1}^{K} (a_k - e_k)\,\ln\frac{a_k}{e_k}.$$
#
# It is the symmetrised KL divergence between the two histograms. Industry rule of thumb:
# below 0.1 stable, 0.1–0.2 watch, above 0.2 act. Empty bins would give $\ln 0$, so fractions
# are clipped at a small $\varepsilon = 10^{-4}$.
#
# ### Exercise P2.5 — PSI
#
# Edges: `np.quantile(expected, np.linspace(0, 1, n_bins + 1)[1:-1])` (the inner edges; the
# outer bins are open). Bin index of each value: `np.searchsorted(edges, x, side="right")`,
# then `np.bincount(..., minlength=n_bins)`.

# %%
def psi(expected, actual, n_bins=10):
    ### BEGIN SOLUTION
    edges = np.quantile(expected, np.linspace(0, 1, n_bins + 1)[1:-1])
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=n_bins) / len(expected)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=n_bins) / len(actual)
    e, a = np.clip(e, 1e-4, None), np.clip(a, 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))
    ### END SOLUTION


check("pp2.psi", psi)

# %% [markdown]
# **Kolmogorov–Smirnov.** PSI depends on the binning; the two-sample KS statistic does not:
# it is the largest vertical gap between the two empirical CDFs,
#
# $$D = \max_x \left|F_a(x) - F_b(x)\right|, \qquad F_a(x) = \frac{\#\{a_i \le x\}}{n_a}.$$
#
# Both CDFs are step functions that only jump at observed values, so it is enough to evaluate
# them at every point of both samples. Under "same distribution",
# $D\sqrt{n_a n_b/(n_a+n_b)}$ follows the Kolmogorov distribution, which gives a p-value.
#
# ### Exercise P2.6 — KS statistic
#
# Return $D$. Sort both samples, then `np.searchsorted(sorted_a, points, side="right") / len(a)`
# is $F_a$ at those points.

# %%
def ks_statistic(a, b):
    ### BEGIN SOLUTION
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    fa = np.searchsorted(a, points, side="right") / len(a)
    fb = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))
    ### END SOLUTION


check("pp2.ks_statistic", ks_statistic)

# %% [markdown]
# **Compare with scipy.** `ks_2samp` gives the same statistic; our asymptotic p-value equals
# the Kolmogorov tail `kstwobign.sf`, and scipy's `method="asymp"` adds a finite-sample
# correction, so we only ask for the same order of magnitude there.

# %%
rng = np.random.default_rng(0)
a_, b_ = rng.normal(size=800), rng.normal(0.15, 1.0, size=600)
d_ours, p_ours = mlops.ks_2sample(a_, b_)
ref = stats.ks_2samp(a_, b_, method="asymp")
print(f"D ours={d_ours:.6f} scipy={ref.statistic:.6f}; p ours={p_ours:.4g} scipy(asymp)={ref.pvalue:.4g}")
assert abs(d_ours - ref.statistic) < 1e-12
assert abs(p_ours - stats.kstwobign.sf(d_ours * math.sqrt(800 * 600 / 1400))) < 1e-12

# %% [markdown]
# **Experiment — a drift monitor over 30 simulated days.** The reference is the training
# distribution of flipper length in the penguins data. Each day brings a fresh batch of the
# same size; from day 12 the mean creeps up by 0.6 mm per day (a recalibrated instrument, say),
# and on day 25 a unit bug rescales everything by 10 %.
#
# *Hypothesis:* the KS p-value will react first (with hundreds of points a day it sees
# tiny shifts), PSI will cross 0.1 ("watch") a few days later and 0.2 ("act") when the shift is
# about a third of a standard deviation, and the unit bug will be unmissable.

# %%
flipper = df["flipper_length_mm"].dropna().to_numpy()
days = 30
batch = pick(1000, 400)
rng = np.random.default_rng(1)
batches = []
for day in range(days):
    x = rng.choice(flipper, size=batch) + rng.normal(0, 1.0, size=batch)  # resample + jitter
    x = x + 0.6 * max(0, day - 11)
    if day >= 25:
        x = x * 1.10
    batches.append(x)
report = mlops.drift_report(flipper, batches, psi_warn=0.1, psi_alert=0.2, ks_alpha=0.01)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot(report["psi"], "o-")
for level, color in ((0.1, "orange"), (0.2, "red")):
    axes[0].axhline(level, color=color, ls="--", lw=0.8)
axes[0].set(xlabel="day", ylabel="PSI (log scale)", yscale="log", title="PSI against training data")
axes[1].semilogy(np.maximum(report["ks_p"], 1e-300), "o-")
axes[1].axhline(0.01, color="red", ls="--", lw=0.8)
axes[1].set(xlabel="day", ylabel="KS p-value", title="KS test p-value (alert below 0.01)")
plt.tight_layout(); plt.show()
first = {s: next((d for d, v in enumerate(report["status"]) if v == s), None) for s in ("warn", "alert")}
print("first warn on day", first["warn"], "| first alert on day", first["alert"])
print("statuses:", " ".join(s[0] for s in report["status"]))
for d in range(11, 21):
    print(f"day {d}: PSI {report['psi'][d]:.3f}  KS D {report['ks_stat'][d]:.3f}  p {report['ks_p'][d]:.2g}  {report['status'][d]}")

# %% [markdown]
# **What happened.** Before day 12 every day is `ok` (PSI a few hundredths, KS p-values
# spread over $[0, 1]$ as they should be when nothing changed; an occasional false alarm from
# the KS test is expected at 1 %). Once the drift starts, the KS p-value is the first signal to
# move (it falls towards 0.01 within two or three days, while PSI is still well under 0.1).
# The `warn` line is crossed about four days in, and PSI crosses the `alert` line when the mean
# has moved by roughly a third of a standard deviation (about 5 mm). With bigger batches (full
# mode) the KS test fires even earlier, on shifts too small to matter. That is why monitors
# report both: KS answers "has anything changed?", PSI answers "has it changed enough to
# matter?". With big batches, always look at the effect size, not only the p-value.

# %%
store.cleanup()

# %% [markdown]
# ## What you learned
#
# - **Tracking:** every run's parameters, metrics (with curves) and model artifact go to an
#   MLflow store you can query; a local SQLite file is enough, and `mlflow ui
#   --backend-store-uri sqlite:///…/mlflow.db` browses it. The registry's `champion` alias
#   names the model to serve.
# - **A/B tests:** the pooled two-proportion z-test equals statsmodels' to 1e-12; power and
#   sample size come from Cohen's $h$ and match `NormalIndPower`. Sample size grows like
#   $1/h^2$: halving the detectable lift costs four times the users.
# - **Peeking:** stopping at the first significant look turned a 5 % false-positive rate into
#   roughly 25 % with 20 looks. Decide $n$ up front or use a sequential test.
# - **Drift:** PSI (effect size, thresholds 0.1/0.2) and KS (significance, very sensitive with
#   big batches) together, over time, with alerts.
#
# Next: [Project P3](../projectP3_responsible_ai/) asks whether the model is fair, explainable
# and private; [P4](../projectP4_capstone/) ties everything into one shipped model.
