# %% [markdown]
# # Project 07.8 — Probability calibration: reliability, ECE, Platt and isotonic
#
# A weather forecaster who says "70 % chance of rain" is **calibrated** if it rains on about
# 70 % of those days. Classifiers output numbers between 0 and 1, but nothing in training
# forces them to mean that. Naive Bayes is notoriously over-confident, heavily regularised
# models are under-confident, and large neural networks — LLMs included — are often
# over-confident after fine-tuning. When a probability feeds a decision (a threshold
# chosen from costs, an expected value, a "defer to a human when unsure" rule), it has to
# be calibrated.
#
# **You will:**
# 1. draw **reliability diagrams** and compute the **expected calibration error** (ECE);
# 2. fit **Platt scaling** (a logistic regression on the model's score) with Newton's method;
# 3. write **isotonic regression** by pool-adjacent-violators and calibrate with it;
# 4. calibrate an over-confident model and an under-confident one, and see how much
#    calibration data each method needs;
# 5. prove the library equals `sklearn.calibration` and `sklearn.isotonic`.
#
# **Prerequisites:** Projects 02 and 07 (log-loss, Brier score). **Time:** about 5 hours.
#
# **How the checks work.** Each exercise is a function with a `raise NotImplementedError`.
# Replace it with your code and run the cell: the `check(...)` line under it runs your
# function on several inputs and prints `✓` or the first input where yours differs, with a
# hint. `ml2llm check 07.8` runs this notebook and records your progress.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import matplotlib.pyplot as plt
import numpy as np

from ml2llm import check, is_quick
from ml2llm.quickmode import pick
from ml2llm.classical import calibration as calib
from ml2llm.metrics import classification as metrics
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Reliability diagrams
#
# Group the predictions into bins by their probability, e.g. ten bins of width 0.1. In bin
# $b$ compare the **confidence** $\bar p_b$ (mean predicted probability) with the
# **accuracy** $\bar y_b$ (fraction of positives). A calibrated model has
# $\bar y_b \approx \bar p_b$ in every bin: its reliability curve is the diagonal. A curve
# *below* the diagonal at high $p$ (and above at low $p$) is **over-confident**; the
# opposite S-shape is **under-confident**.
#
# Binning rule (scikit-learn's, so our curves coincide): edges
# $0, \frac1B, \dots, 1$; a probability exactly on an inner edge goes to the lower bin,
# i.e. `np.searchsorted(edges[1:-1], p)`; empty bins are dropped.
#
# ### Exercise 7.8.1 — Reliability bins
#
# Return `(fraction_positive, mean_predicted, count)` for the non-empty bins, in bin order.

# %%
def reliability_bins(y_true, y_prob, n_bins):
    ### BEGIN SOLUTION
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], y_prob)
    count = np.bincount(ids, minlength=n_bins)
    sum_y = np.bincount(ids, weights=y_true, minlength=n_bins)
    sum_p = np.bincount(ids, weights=y_prob, minlength=n_bins)
    keep = count > 0
    return sum_y[keep] / count[keep], sum_p[keep] / count[keep], count[keep]
    ### END SOLUTION


check("p07_8.reliability_bins", reliability_bins)

# %% [markdown]
# ## 2. Expected calibration error
#
# One number for the whole diagram: the gap in each bin, weighted by the share of samples
# that fall there,
#
# $$\mathrm{ECE} = \sum_{b} \frac{n_b}{n}\,\big|\bar y_b - \bar p_b\big| .$$
#
# ECE is easy to read ("the probabilities are off by 4 points on average") but it depends
# on the binning and is not a proper scoring rule: a model that always predicts the base
# rate has ECE ≈ 0 and is useless. Report it *next to* log-loss or the Brier score, never
# instead of them.
#
# ### Exercise 7.8.2 — ECE
#
# Use your `reliability_bins`.

# %%
def ece(y_true, y_prob, n_bins):
    ### BEGIN SOLUTION
    frac, mean, count = reliability_bins(y_true, y_prob, n_bins)
    return float(np.sum(count * np.abs(frac - mean)) / count.sum())
    ### END SOLUTION


check("p07_8.ece", ece)

# %% [markdown]
# ## 3. Platt scaling
#
# Platt (1999) proposed to map a model's score $s$ (an SVM margin, a logit, a probability)
# through a fitted sigmoid,
#
# $$\hat p = \sigma(a s + b),$$
#
# i.e. a one-feature logistic regression trained on a **held-out calibration set** (never on
# the training set, whose scores are too good). To avoid infinite $(a, b)$ on separable
# data, Platt replaces the 0/1 labels by slightly smoothed targets
#
# $$t_+ = \frac{N_+ + 1}{N_+ + 2}, \qquad t_- = \frac{1}{N_- + 2},$$
#
# and minimises the cross-entropy $-\sum_i t_i\log \hat p_i + (1-t_i)\log(1-\hat p_i)$.
# It is convex; Newton's method converges in a handful of steps. With $z = a s + b$ and
# $\hat p = \sigma(z)$:
#
# $$\nabla = \sum_i (\hat p_i - t_i)\begin{pmatrix}s_i\\1\end{pmatrix}, \qquad
#   H = \sum_i \hat p_i(1-\hat p_i)\begin{pmatrix}s_i^2 & s_i\\ s_i & 1\end{pmatrix}.$$
#
# Platt scaling can only apply a sigmoid-shaped correction; that is exactly right when the
# score is a logit that is too large or too small by a factor (the usual over/under-confidence).
#
# ### Exercise 7.8.3 — Platt scaling
#
# Return `(a, b)`. Start from $a = 0$, $b = \log\frac{N_+ + 1}{N_- + 1}$ and take Newton steps
# until the step is below $10^{-10}$ (at most 100).

# %%
def platt_fit(scores, y):
    ### BEGIN SOLUTION
    n_pos = y.sum()
    n_neg = len(y) - n_pos
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a, b = 0.0, np.log((n_pos + 1) / (n_neg + 1))
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a * scores + b)))
        w = p * (1 - p)
        grad = np.array([(p - t) @ scores, (p - t).sum()])
        H = np.array([[w @ scores**2, w @ scores], [w @ scores, w.sum()]])
        step = np.linalg.solve(H, grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return a, b
    ### END SOLUTION


check("p07_8.platt_fit", platt_fit)

# %% [markdown]
# ## 4. Isotonic regression by pool-adjacent-violators
#
# When the distortion is not sigmoid-shaped, fit *any* non-decreasing function instead:
# sort the calibration samples by score and find the non-decreasing sequence $f_1 \le \dots
# \le f_n$ closest to the labels,
#
# $$\min_{f_1 \le f_2 \le \dots \le f_n} \sum_i (y_i - f_i)^2 .$$
#
# The **pool-adjacent-violators** algorithm (PAV) solves it exactly in $O(n)$: scan left to
# right keeping blocks with their mean; whenever a block's mean is below the previous
# block's (a *violation*), merge the two into their size-weighted mean — and check again
# against the block before, because the merged mean may now violate it too. The result is
# a staircase of block means.
#
# ### Exercise 7.8.4 — PAV
#
# `y` is already in score order. Return the fitted non-decreasing array (same length).

# %%
def pav(y):
    ### BEGIN SOLUTION
    means, sizes = [], []
    for v in y:
        means.append(float(v))
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            m, n = means.pop(), sizes.pop()
            means[-1] = (means[-1] * sizes[-1] + m * n) / (sizes[-1] + n)
            sizes[-1] += n
    return np.repeat(means, sizes)
    ### END SOLUTION


check("p07_8.pav", pav)

# %% [markdown]
# ### Exercise 7.8.5 — Isotonic calibration
#
# Put it together: given calibration scores and labels, return calibrated probabilities for
# `scores_new`. Sort by score; **pool equal scores** first (their mean label, weighted by their
# count — a trick: replace each group by its mean repeated `count` times and run your `pav`,
# which then never splits the group); then interpolate linearly between the unique scores with
# `np.interp` (which also clips outside the calibration range).

# %%
def isotonic_calibrate(scores_cal, y_cal, scores_new):
    ### BEGIN SOLUTION
    unique, inverse = np.unique(scores_cal, return_inverse=True)
    counts = np.bincount(inverse)
    means = np.bincount(inverse, weights=y_cal) / counts
    fitted = pav(np.repeat(means, counts))[np.cumsum(counts) - 1]
    return np.interp(scores_new, unique, fitted)
    ### END SOLUTION


check("p07_8.isotonic_calibrate", isotonic_calibrate)

# %% [markdown]
# ## Experiment 1 — Calibrating an over-confident and an under-confident model
#
# **Hypothesis.** Gaussian naive Bayes, which multiplies evidence from correlated features as
# if independent, will be over-confident; a logistic regression with a very strong penalty
# ($C = 10^{-4}$) shrinks its weights and will be under-confident. Platt scaling and isotonic
# regression, fitted on a held-out calibration set, will both bring the reliability curves
# to the diagonal and lower log-loss, without changing ROC AUC much (Platt not at all: it is
# monotone).
#
# Data: a synthetic binary problem with 20 features, 8 of them redundant linear combinations
# of the 4 informative ones (so naive Bayes double-counts), split 30 % train / 28 % calibration /
# 42 % test.

# %%
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

X, y = make_classification(n_samples=pick(20000, 6000), n_features=20, n_informative=4, n_redundant=8,
                           class_sep=0.8, random_state=0)
X_tr, X_rest, y_tr, y_rest = train_test_split(X, y, train_size=0.3, random_state=0)
X_cal, X_te, y_cal, y_te = train_test_split(X_rest, y_rest, train_size=0.4, random_state=0)
models = {"naive Bayes (over-confident?)": GaussianNB().fit(X_tr, y_tr),
          "logistic regression, C=1e-4 (under-confident?)": LogisticRegression(C=1e-4).fit(X_tr, y_tr)}

fig, axes = plt.subplots(2, 3, figsize=(12, 7.5), sharex=True, sharey=True)
print(f"{'model':48s} {'method':12s} {'ECE':>6s} {'log-loss':>9s} {'Brier':>6s} {'ROC AUC':>8s}")
for row, (name, model) in zip(axes, models.items()):
    versions = {
        "uncalibrated": model.predict_proba(X_te)[:, 1],
        "Platt": calib.CalibratedClassifier(model, method="sigmoid", cv="prefit").fit(X_cal, y_cal).predict_proba(X_te)[:, 1],
        "isotonic": calib.CalibratedClassifier(model, method="isotonic", cv="prefit").fit(X_cal, y_cal).predict_proba(X_te)[:, 1],
    }
    for ax, (method, p) in zip(row, versions.items()):
        frac, mean, count = calib.reliability_bins(y_te, p, 10)
        e = calib.expected_calibration_error(y_te, p, 10)
        ax.plot([0, 1], [0, 1], "k:", lw=1)
        ax.plot(mean, frac, "o-", label="reliability curve")
        ax.bar(np.linspace(0.05, 0.95, 10), np.histogram(p, bins=10, range=(0, 1))[0] / len(p),
               width=0.1, alpha=0.25, color="gray", label="share of predictions")
        ax.set_title(f"{name.split(' (')[0]}\n{method}: ECE {e:.3f}", fontsize=9)
        print(f"{name:48s} {method:12s} {e:6.3f} {metrics.log_loss(y_te, p):9.4f} "
              f"{metrics.brier_score_loss(y_te, p):6.4f} {metrics.roc_auc_score(y_te, p):8.4f}")
for ax in axes[-1]:
    ax.set_xlabel("mean predicted probability")
for ax in axes[:, 0]:
    ax.set_ylabel("fraction of positives")
axes[0, 0].legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** Naive Bayes' curve is the over-confident Z (its predictions pile up
# near 0 and 1, and the extreme bins are less pure than claimed); the shrunk logistic
# regression shows the opposite S, with every prediction squeezed into a narrow band around
# 0.5. Both calibrators flatten the gaps: in our quick-mode run ECE fell from 0.11 to 0.05
# (Platt) and 0.02 (isotonic) for naive Bayes, and from 0.16 to 0.08 and 0.03 for the
# shrunk logistic regression, with log-loss falling too (printed above). Platt leaves ROC
# AUC unchanged (a monotone map), isotonic changes it only through ties created by its flat
# steps. Isotonic wins here because naive Bayes' distortion is not sigmoid-shaped and the
# calibration set holds thousands of samples. With less data that changes:
#
# ## Experiment 2 — How much calibration data does each method need?
#
# **Hypothesis.** Platt has 2 parameters, isotonic regression up to one per sample. With a
# small calibration set isotonic overfits (its staircase follows noise) and Platt is
# better; with enough data isotonic's flexibility wins.
#
# We calibrate naive Bayes on random calibration subsets of growing size (several draws
# each) and score on the fixed test set.

# %%
sizes = [30, 100, 300, 1000, len(y_cal)]
n_draws = pick(10, 4)
rng = np.random.default_rng(0)
nb = models["naive Bayes (over-confident?)"]
results = {"Platt": [], "isotonic": []}
for n in sizes:
    per = {"Platt": [], "isotonic": []}
    for _ in range(n_draws):
        idx = rng.choice(len(y_cal), n, replace=False)
        for label, method in [("Platt", "sigmoid"), ("isotonic", "isotonic")]:
            p = calib.CalibratedClassifier(nb, method=method, cv="prefit").fit(X_cal[idx], y_cal[idx]).predict_proba(X_te)[:, 1]
            per[label].append(metrics.log_loss(y_te, p))
    for label in results:
        results[label].append(np.mean(per[label]))
    print(f"n_cal = {n:5d}: log-loss Platt {results['Platt'][-1]:.4f}   isotonic {results['isotonic'][-1]:.4f}")
raw = metrics.log_loss(y_te, nb.predict_proba(X_te)[:, 1])
fig, ax = plt.subplots(figsize=(6, 3.8))
for label, vals in results.items():
    ax.semilogx(sizes, vals, "o-", label=label)
ax.axhline(raw, color="k", ls=":", label="uncalibrated")
ax.set(xlabel="calibration set size", ylabel="test log-loss (mean over draws)",
       title="Naive Bayes: Platt vs isotonic by calibration size")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **What happened.** With 30 calibration samples isotonic regression is by far the worst
# option (quick mode: log-loss 2.43 against 0.56 uncalibrated): its steps give some test
# samples a probability of exactly 0 or 1, which log-loss punishes with ~36 nats each. Platt
# improves on the raw model from the smallest set on (0.49). Isotonic needs about a thousand
# samples to come close to Platt and overtakes it only with the whole calibration set (1,680
# samples in quick mode: 0.465 against 0.477). A small calibration set calls for Platt, a
# large one for isotonic: scikit-learn gives the same advice, and `CalibratedClassifierCV`
# defaults to `"sigmoid"`.
#
# ## Comparison with scikit-learn
#
# The library's `calibration_curve`, `IsotonicRegression` and `CalibratedClassifier` must
# match `sklearn.calibration` / `sklearn.isotonic`:
# - reliability curves and isotonic fits are exact up to one weighted mean per block
#   (relative $10^{-12}$);
# - Platt scaling: scikit-learn stops L-BFGS at gradient norm $10^{-6}$, our Newton iteration
#   at machine precision, so probabilities agree to about $10^{-9}$; we allow $10^{-6}$.

# %%
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.frozen import FrozenEstimator
from sklearn.isotonic import IsotonicRegression

p_nb = nb.predict_proba(X_te)[:, 1]
for ours, ref in zip(calib.calibration_curve(y_te, p_nb, n_bins=10), calibration_curve(y_te, p_nb, n_bins=10)):
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
s_cal = nb.predict_proba(X_cal)[:, 1]
iso_ours = calib.IsotonicRegression().fit(s_cal, y_cal).predict(p_nb)
iso_ref = IsotonicRegression(out_of_bounds="clip").fit(s_cal, y_cal).predict(p_nb)
np.testing.assert_allclose(iso_ours, iso_ref, rtol=1e-12, atol=1e-15)
worst = {}
for method in ["sigmoid", "isotonic"]:
    for model in models.values():
        ours = calib.CalibratedClassifier(model, method=method, cv="prefit").fit(X_cal, y_cal).predict_proba(X_te)
        ref = CalibratedClassifierCV(FrozenEstimator(model), method=method).fit(X_cal, y_cal).predict_proba(X_te)
        worst[(method, "prefit")] = max(worst.get((method, "prefit"), 0), np.abs(ours - ref).max())
    ours = calib.CalibratedClassifier(GaussianNB(), method=method, cv=3).fit(X_tr, y_tr).predict_proba(X_te)
    ref = CalibratedClassifierCV(GaussianNB(), method=method, cv=3).fit(X_tr, y_tr).predict_proba(X_te)
    worst[(method, "cv=3")] = np.abs(ours - ref).max()
for key, value in worst.items():
    print(f"{key[0]:8s} {key[1]:6s}: max |ours − sklearn| = {value:.1e}")
    assert value < 1e-6

# %% [markdown]
# ## What you learned
#
# - **Calibration** asks whether "p" means p; **reliability diagrams** show it and the
#   **ECE** summarises it (always next to log-loss or Brier, since ECE alone can be gamed).
# - **Platt scaling** is a two-parameter logistic regression on the score with smoothed
#   targets; it fixes sigmoid-shaped over- and under-confidence and needs little data.
# - **Isotonic regression** (pool-adjacent-violators) fits any monotone correction; it is
#   more flexible, needs more calibration data, and overfits on little.
# - Calibrate on data the model was not trained on (a held-out set or cross-validation).
#
# **Next:** Project 07.5 uses calibrated scores to move decision thresholds on imbalanced
# data. Glossary: [calibration](../../../docs/GLOSSARY.md#calibration),
# [reliability diagram](../../../docs/GLOSSARY.md#reliability-diagram),
# [expected calibration error](../../../docs/GLOSSARY.md#expected-calibration-error),
# [Platt scaling](../../../docs/GLOSSARY.md#platt-scaling),
# [isotonic regression](../../../docs/GLOSSARY.md#isotonic-regression),
# [log-loss](../../../docs/GLOSSARY.md#log-loss).
