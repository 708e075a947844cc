# %% [markdown]
# # Project 10 — Feature engineering: scaling, encoding, imputation, binning
#
# Models see numbers, not data. Between a spreadsheet (strings, blanks, kilograms next to
# millimetres) and a matrix a model can learn from sits **feature engineering**: scaling,
# encoding categories, filling holes, building new features. Done right it is invisible;
# done wrong it silently ruins a model, most often through **leakage**, where information
# the model will not have at prediction time sneaks into training.
#
# **You will:**
# 1. write the six classic transformations by hand: standardisation, min–max scaling,
#    one-hot encoding, imputation, polynomial features and uniform binning;
# 2. see *when* scaling matters (distance- and gradient-based models) and when it does not (trees);
# 3. build features that let a linear model fit a curve;
# 4. watch leakage turn pure noise into "80 % accuracy", then fix it with a pipeline;
# 5. prove the library versions (`ml2llm.classical.preprocessing`) equal scikit-learn's and
#    run inside `Pipeline` and `ColumnTransformer`.
#
# **Prerequisites:** Project 01 (gradient descent, conditioning); Project 08 helps for the
# leakage part. **Time:** about 6 hours.
#
# Every exercise is followed by a `check(...)` that runs your function on several inputs
# against the reference and prints `✓` or the first input where yours differs, with a hint.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ml2llm import check, is_quick
from ml2llm.classical.preprocessing import (
    KBinsDiscretizer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    SimpleImputer,
    StandardScaler,
)
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. The one rule: fit on training data, apply everywhere
#
# Every transformation in this notebook has two halves. **Fit** learns numbers from data (a
# mean, a list of categories, bin edges). **Transform** applies them. The fit half must see
# the *training* data only; the same learned numbers are then applied to validation, test and
# production rows. That is why each exercise takes two arrays: `X_fit`, which you learn from,
# and `X`, which you transform. Mixing them up is **target leakage**'s quieter cousin,
# *train–test contamination*, and section 7 shows what it costs.
#
# ## 2. Scaling
#
# **Standardisation** gives every feature mean 0 and standard deviation 1:
#
# $$z_{ij} = \frac{x_{ij} - \mu_j}{\sigma_j}, \qquad
#   \mu_j = \frac1n\sum_i x_{ij},\quad \sigma_j = \sqrt{\frac1n\sum_i (x_{ij}-\mu_j)^2}.$$
#
# (The population $\sigma$, $\frac1n$ not $\frac1{n-1}$, as scikit-learn uses.) A feature that
# is constant in the training data has $\sigma_j = 0$: divide by 1 instead, so it becomes 0
# rather than NaN.
#
# ### Exercise 10.1 — Standardise
#
# Return `X` standardised with the mean and std of `X_fit` (per column). Don't modify `X`.

# %%
def standardize(X_fit, X):
    ### BEGIN SOLUTION
    mean = X_fit.mean(axis=0)
    std = X_fit.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X - mean) / std
    ### END SOLUTION


check("p10.standardize", standardize)

# %% [markdown]
# **Min–max scaling** maps the training range of each feature onto an interval $[a, b]$
# (default $[0, 1]$):
#
# $$x'_{ij} = a + \frac{(x_{ij} - \min_j)(b - a)}{\max_j - \min_j}.$$
#
# It keeps zeros sparse-friendly and bounded features bounded, but one outlier squashes every
# other value into a corner; standardisation is less fragile. New data can fall outside
# $[a, b]$, and that is fine.
#
# ### Exercise 10.2 — Min–max scaling
#
# Return `X` scaled with `X_fit`'s per-column min and max onto `feature_range = (a, b)`.
# A constant column (max = min) divides by 1.

# %%
def min_max_scale(X_fit, X, feature_range=(0.0, 1.0)):
    ### BEGIN SOLUTION
    lo, hi = feature_range
    data_min, data_max = X_fit.min(axis=0), X_fit.max(axis=0)
    span = np.where(data_max == data_min, 1.0, data_max - data_min)
    return lo + (X - data_min) * (hi - lo) / span
    ### END SOLUTION


check("p10.min_max_scale", min_max_scale)

# %% [markdown]
# ## 3. Categories
#
# A colour is not a number. Coding red/green/blue as 0/1/2 (**ordinal encoding**) tells a
# linear model that green is "between" red and blue and that blue is twice green: fine for a
# tree, which only asks "is the code ≤ 1.5?", and right when the categories *are* ordered
# (S < M < L), wrong otherwise. **One-hot encoding** gives each category its own 0/1 column:
#
# $$\text{colour} = \text{green} \;\mapsto\; (0, 1, 0) \quad\text{for categories (blue, green, red)}.$$
#
# The categories are learned in `fit`. In production a category never seen in training will
# arrive one day; the choice is to fail loudly (`handle_unknown="error"`) or encode it as all
# zeros (`"ignore"`), i.e. "none of the categories I know".
#
# ### Exercise 10.3 — One-hot encoding
#
# Return a float array of shape `(len(values), len(categories))` whose column $k$ is 1 where
# the value equals `categories[k]`. Unknown values give a row of zeros.

# %%
def one_hot(values, categories):
    ### BEGIN SOLUTION
    values = np.asarray(values)
    return (values[:, None] == np.asarray(categories)[None, :]).astype(float)
    ### END SOLUTION


check("p10.one_hot", one_hot)

# %% [markdown]
# ## 4. Missing values
#
# Real tables have holes. Dropping every row with a blank throws away data (and biases it if
# blanks are not random); most models cannot take NaN at all. **Imputation** fills each hole
# with a statistic learned on the training data: the mean, the median (robust to outliers) or
# the most frequent value (works for categories too). When the fact that a value is missing
# carries information, add a 0/1 "was missing" indicator column as well.
#
# ### Exercise 10.4 — Impute
#
# For each column, compute the statistic (`"mean"`, `"median"` or `"most_frequent"`) of the
# *non-missing* values of `X_fit`, and write it into the NaNs of a copy of `X`. On a tie,
# `most_frequent` takes the smallest value (scikit-learn's rule).

# %%
def impute(X_fit, X, strategy="mean"):
    ### BEGIN SOLUTION
    X = np.array(X, dtype=float, copy=True)
    for j in range(X.shape[1]):
        col = X_fit[~np.isnan(X_fit[:, j]), j]
        if strategy == "mean":
            value = col.mean()
        elif strategy == "median":
            value = np.median(col)
        else:
            vals, counts = np.unique(col, return_counts=True)
            value = vals[np.argmax(counts)]
        X[np.isnan(X[:, j]), j] = value
    return X
    ### END SOLUTION


check("p10.impute", impute)

# %% [markdown]
# ## 5. New features: polynomials and bins
#
# A linear model $\hat y = w^\top \phi(x)$ is linear in its *features* $\phi(x)$, not
# necessarily in $x$. **Polynomial features** of degree 2 for $x = (x_0, x_1)$ are
#
# $$\phi(x) = (1,\; x_0,\; x_1,\; x_0^2,\; x_0x_1,\; x_1^2),$$
#
# every monomial of total degree $\le 2$; the *interaction* $x_0 x_1$ lets the effect of one
# feature depend on the other. With $d$ features there are $\binom{d + k}{k}$ monomials of
# degree $\le k$, so this explodes quickly: regularise (Project 04).
#
# ### Exercise 10.5 — Polynomial features
#
# Return the columns: the bias (ones), then for $k = 1, \dots,$ `degree` every monomial of
# degree $k$ in the order of `itertools.combinations_with_replacement(range(d), k)` (that is
# scikit-learn's order).

# %%
from itertools import combinations_with_replacement


def polynomial_features(X, degree=2):
    ### BEGIN SOLUTION
    cols = [np.ones(X.shape[0])]
    for k in range(1, degree + 1):
        for combo in combinations_with_replacement(range(X.shape[1]), k):
            cols.append(np.prod(X[:, combo], axis=1))
    return np.column_stack(cols)
    ### END SOLUTION


check("p10.polynomial_features", polynomial_features)

# %% [markdown]
# **Binning** (discretisation) replaces a number by the interval it falls in. One-hot encoded
# bins let a linear model fit a *step function*: any shape, at the price of a jump at every
# edge. With `n_bins` equal-width bins over the training range $[m, M]$ the edges are
# `linspace(m, M, n_bins + 1)`; a value's bin is the number of *inner* edges at or below it,
# clipped so values outside the training range land in the first or last bin.
#
# ### Exercise 10.6 — Uniform binning
#
# Return a float array of bin indices in $\{0, \dots, \text{n\_bins} - 1\}$, per column, with
# edges from `X_fit`. `np.searchsorted(inner_edges, x, side="right")` counts the inner edges
# $\le x$.

# %%
def bin_uniform(X_fit, X, n_bins=5):
    ### BEGIN SOLUTION
    out = np.empty(X.shape, dtype=float)
    for j in range(X.shape[1]):
        edges = np.linspace(X_fit[:, j].min(), X_fit[:, j].max(), n_bins + 1)
        out[:, j] = np.clip(np.searchsorted(edges[1:-1], X[:, j], side="right"), 0, n_bins - 1)
    return out
    ### END SOLUTION


check("p10.bin_uniform", bin_uniform)

# %% [markdown]
# ## Experiment 1 — When does scaling matter?
#
# **Hypothesis.** Models that measure *distances* (k-nearest neighbours, RBF SVMs) or are
# trained by *gradient descent* care about feature scales; trees, which only compare one
# feature with a threshold, do not.
#
# **Why.** The wine data has 13 chemical measurements from about 0.1 (hue) to 1680
# (proline). In a Euclidean distance $\|x - x'\|^2 = \sum_j (x_j - x'_j)^2$, proline's
# differences are $10^6$ times bigger than hue's, so k-NN effectively looks at proline
# alone. For gradient descent (Project 01) the condition number of $X^\top X$ explodes and the
# step size that is stable for proline is useless for hue. A tree's split "proline ≤ 755"
# becomes "z ≤ 0.1" after scaling: same partition, same tree.
#
# We compare 5-fold cross-validated accuracy of four models on raw, standardised and min–max
# scaled features, with our scalers inside a scikit-learn `Pipeline` (so each fold fits the
# scaler on its own training part).

# %%
from sklearn.datasets import load_wine
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

wine = load_wine()
Xw, yw = wine.data, wine.target
print("feature ranges:", dict(zip(wine.feature_names[:3] + ["…", "proline"],
                                  [f"{Xw[:, j].min():.2f}–{Xw[:, j].max():.2f}" for j in (0, 1, 2)]
                                  + ["…", f"{Xw[:, 12].min():.0f}–{Xw[:, 12].max():.0f}"])))
models = {
    "k-NN (k=5)": lambda: KNeighborsClassifier(5),
    "RBF SVM": lambda: SVC(),
    "logistic (SGD)": lambda: SGDClassifier(loss="log_loss", max_iter=50, tol=None, random_state=0),
    "decision tree": lambda: DecisionTreeClassifier(random_state=0),
}
scalings = {"raw": None, "standardised": StandardScaler, "min–max": MinMaxScaler}
cv = StratifiedKFold(5, shuffle=True, random_state=0)
acc = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # SGD on raw features warns that it did not converge
    for m, make in models.items():
        for s, scaler in scalings.items():
            pipe = make_pipeline(scaler(), make()) if scaler else make()
            acc[m, s] = cross_val_score(pipe, Xw, yw, cv=cv).mean()
table = pd.DataFrame({s: [acc[m, s] for m in models] for s in scalings}, index=list(models))
print(table.round(3))

fig, ax = plt.subplots(figsize=(8, 3.5))
width = 0.25
for k, s in enumerate(scalings):
    ax.bar(np.arange(len(models)) + (k - 1) * width, table[s], width, label=s)
ax.set_xticks(np.arange(len(models)), list(models))
ax.set_ylim(0, 1.05)
ax.axhline(max(np.bincount(yw)) / len(yw), color="k", ls=":", lw=1, label="majority class")
ax.set(ylabel="5-fold CV accuracy", title="Wine: which models care about feature scales?")
ax.legend(fontsize=8, loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** k-NN, the RBF SVM and the SGD-trained logistic regression jump from
# poor or middling accuracy to about 95–98 % once the features are scaled (either way); the
# decision tree's score does not move at all, because scaling is monotone per feature and a
# tree only uses the *order* of values. Rule of thumb: scale for anything with distances,
# dot products or gradient descent; do not bother for trees and forests.
#
# ## Experiment 2 — Features that let a line bend
#
# **Hypothesis.** A linear regression on the raw $x$ cannot fit $y = \sin(2x)$; with
# polynomial features it fits a smooth curve, with one-hot bins a staircase, and both are
# still *linear* models.

# %%
from sklearn.linear_model import LinearRegression, Ridge

rng = np.random.default_rng(0)
x = np.sort(rng.uniform(-3, 3, 120))[:, None]
y = np.sin(2 * x[:, 0]) + 0.15 * rng.normal(size=len(x))
grid = np.linspace(-3.3, 3.3, 300)[:, None]
feature_maps = {
    "raw x": make_pipeline(LinearRegression()),
    "polynomial, degree 7": make_pipeline(PolynomialFeatures(7), StandardScaler(), Ridge(1e-3)),
    "10 uniform bins (one-hot)": make_pipeline(
        KBinsDiscretizer(10, encode="onehot-dense", strategy="uniform"), LinearRegression()),
}
fig, ax = plt.subplots(figsize=(8, 3.8))
ax.scatter(x[:, 0], y, s=10, c="gray", alpha=0.6, label="data")
for name, pipe in feature_maps.items():
    pipe.fit(x, y)
    r2 = pipe.score(x, y)
    ax.plot(grid[:, 0], pipe.predict(grid), lw=2, label=f"{name} (train R² = {r2:.2f})")
    print(f"{name:28s} train R² = {r2:.3f}")
ax.set(xlabel="x", ylabel="y", title="One linear model, three feature maps")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** The raw line explains little (R² about 0.2: only the overall trend); the degree-7
# polynomial tracks the sine smoothly (but would swing wildly past the data's ends if we
# extrapolated further); the bins give a staircase whose steps are the mean of each bin.
# Feature engineering is where you put prior knowledge about shape into a simple model.
#
# ## Experiment 3 — Leakage: 80 % accuracy on pure noise
#
# **Hypothesis.** Choosing features by looking at *all* the labels, then cross-validating,
# reports skill that does not exist.
#
# **Setup.** $X$ is Gaussian noise with many columns, $y$ is a fair coin: nothing can be
# predicted, the true accuracy is 50 %. The *leaky* workflow selects the 20 columns most
# correlated with $y$ on the full data and then cross-validates a logistic regression on
# them. The *honest* workflow puts the selection inside the pipeline, so every fold selects
# from its own training part only.

# %%
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression

n_noise = [50, 200, 1000] if QUICK else [50, 200, 1000, 3000, 10000]
leaky, honest = [], []
for d in n_noise:
    rng = np.random.default_rng(d)
    Xn, yn = rng.normal(size=(100, d)), rng.integers(0, 2, 100)
    X_sel = SelectKBest(f_classif, k=20).fit_transform(Xn, yn)  # peeks at every label
    leaky.append(cross_val_score(LogisticRegression(), X_sel, yn, cv=cv).mean())
    pipe = make_pipeline(SelectKBest(f_classif, k=20), LogisticRegression())
    honest.append(cross_val_score(pipe, Xn, yn, cv=cv).mean())
    print(f"{d:6d} noise features: leaky CV accuracy {leaky[-1]:.2f}, honest {honest[-1]:.2f}")

fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.semilogx(n_noise, leaky, "o-", label="select on all data, then CV (leaky)")
ax.semilogx(n_noise, honest, "s-", label="select inside the CV pipeline (honest)")
ax.axhline(0.5, color="k", ls=":", label="truth: coin flip")
ax.set(xlabel="number of pure-noise features", ylabel="CV accuracy", ylim=(0.3, 1.02),
       title="Leakage manufactures skill from noise")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** With 1000 noise columns, 20 of them correlate with the coin flips *by
# chance* on these 100 rows; selecting them with all labels and then cross-validating reports
# far above 50 %, and the more columns to choose from, the more convincing the lie. Inside
# the pipeline the selection has to succeed on held-out rows, and the score falls back to a
# coin flip. Scalers and imputers leak much less (a mean is one number), but the rule is the
# same: **everything that learns from data goes inside the pipeline**.
#
# The other classic, **target leakage**, is a feature that is only known *after* the outcome
# ("days since the customer cancelled" in a churn model, "treatment given" in a diagnosis
# model). No pipeline catches it; ask, for every column, *would I have this value at the
# moment I make the prediction?*
#
# ## 6. Everything together: a `ColumnTransformer`
#
# Real tables mix types. A `ColumnTransformer` sends each group of columns through its own
# transformer and concatenates the results; wrapped in a `Pipeline` with a model, one `fit`
# learns every statistic from the training rows only. Our transformers plug straight in.

# %%
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split


def make_shop_data(n, seed):
    """A toy customer table: numbers with holes, categories, and a nonlinear target."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "age": rng.normal(40, 12, n).round(),
        "income_k": rng.lognormal(3.6, 0.5, n).round(1),
        "city": rng.choice(["Leeds", "Lyon", "Lund", "Lagos"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "plan": rng.choice(["basic", "plus", "pro"], n),
    })
    logit = 0.06 * (df["age"] - 40) + 0.03 * (df["income_k"] - 40) + (df["plan"] == "pro") * 1.5 - 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df.loc[rng.random(n) < 0.1, "age"] = np.nan
    df.loc[rng.random(n) < 0.1, "income_k"] = np.nan
    return df, y.to_numpy()


shop, y_shop = make_shop_data(600 if QUICK else 3000, seed=1)
tr_df, te_df, y_tr, y_te = train_test_split(shop, y_shop, test_size=0.3, random_state=0)
te_df = te_df.copy()
te_df.iloc[0, te_df.columns.get_loc("city")] = "Leipzig"  # a city never seen in training
pre = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["age", "income_k"]),
    ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
    ("plan", OrdinalEncoder(categories=[["basic", "plus", "pro"]]), ["plan"]),
])
model = make_pipeline(pre, LogisticRegression()).fit(tr_df, y_tr)
print("output features:", list(model[:-1].get_feature_names_out()))
print(f"held-out accuracy: {model.score(te_df, y_te):.3f}  (an unseen city is encoded as all zeros)")

# %% [markdown]
# ## Comparison with scikit-learn
#
# Each library transformer against its scikit-learn counterpart on the wine data (fit on the
# first 120 rows, transform the rest, with 15 % of the values knocked out for the imputer).
# These are exact algorithms, so we require agreement to $10^{-9}$ (floating-point round-off
# from a different summation order), identical output column names, and identical
# predictions from the `ColumnTransformer` pipeline above when built from scikit-learn's
# classes.

# %%
from sklearn import impute as sk_impute
from sklearn import preprocessing as skp

Xtr, Xte = Xw[:120], Xw[120:]
holes = Xw.copy()
holes[np.random.default_rng(0).random(holes.shape) < 0.15] = np.nan
pairs = {
    "StandardScaler": (StandardScaler(), skp.StandardScaler(), Xtr, Xte),
    "MinMaxScaler": (MinMaxScaler(), skp.MinMaxScaler(), Xtr, Xte),
    "SimpleImputer(median)": (SimpleImputer(strategy="median"), sk_impute.SimpleImputer(strategy="median"),
                              holes[:120], holes[120:]),
    "PolynomialFeatures(2)": (PolynomialFeatures(2), skp.PolynomialFeatures(2), Xtr[:, :5], Xte[:, :5]),
    "KBinsDiscretizer(quantile)": (KBinsDiscretizer(5), skp.KBinsDiscretizer(5, encode="ordinal"), Xtr, Xte),
    "KBinsDiscretizer(uniform)": (KBinsDiscretizer(5, strategy="uniform"),
                                  skp.KBinsDiscretizer(5, encode="ordinal", strategy="uniform"), Xtr, Xte),
    "OneHotEncoder": (OneHotEncoder(handle_unknown="ignore"),
                      skp.OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                      tr_df[["city", "plan"]], te_df[["city", "plan"]]),
    "OrdinalEncoder": (OrdinalEncoder(), skp.OrdinalEncoder(), tr_df[["plan"]], te_df[["plan"]]),
}
for name, (ours, theirs, A, B) in pairs.items():
    a, b = ours.fit(A).transform(B), theirs.fit(A).transform(B)
    diff = np.abs(a - b).max()
    same_names = list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    print(f"{name:28s} max |ours − sklearn| = {diff:.1e}   same column names: {same_names}")
    assert a.shape == b.shape and diff < 1e-9 and same_names

sk_pre = ColumnTransformer([
    ("num", make_pipeline(sk_impute.SimpleImputer(strategy="median"), skp.StandardScaler()), ["age", "income_k"]),
    ("city", skp.OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["city"]),
    ("plan", skp.OrdinalEncoder(categories=[["basic", "plus", "pro"]]), ["plan"]),
])
sk_model = make_pipeline(sk_pre, LogisticRegression()).fit(tr_df, y_tr)
gap = np.abs(model.predict_proba(te_df) - sk_model.predict_proba(te_df)).max()
print(f"ColumnTransformer pipeline, ours vs sklearn: max probability difference {gap:.1e}")
assert gap < 1e-8

# %% [markdown]
# ## What you learned
#
# - Every transformer has a **fit** half that learns from training data and a **transform**
#   half that applies it; keeping them apart is what a `Pipeline` is for.
# - [Standardisation](../../../docs/GLOSSARY.md#standardization) and min–max scaling matter for
#   distances and gradient descent (k-NN, SVMs, logistic regression), not for trees.
# - [One-hot encoding](../../../docs/GLOSSARY.md#one-hot-encoding) for unordered categories,
#   ordinal codes for ordered ones (or for trees); decide what an unseen category means.
# - [Imputation](../../../docs/GLOSSARY.md#imputation) fills holes with training statistics
#   computed while ignoring the holes.
# - Polynomial features and bins let a linear model fit curves and steps.
# - [Data leakage](../../../docs/GLOSSARY.md#data-leakage): anything fitted on all the data
#   before cross-validation inflates the score; with enough noise features it invents skill
#   from nothing. Put every fitted step inside the [pipeline](../../../docs/GLOSSARY.md#pipeline).
#
# **Next:** Project 11 puts it all together on a real dataset: exploration, a pipeline built
# from these transformers, model selection, a held-out test, a model card and a saved model.
