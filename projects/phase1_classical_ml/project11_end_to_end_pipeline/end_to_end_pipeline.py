# %% [markdown]
# # Project 11 — An end-to-end ML pipeline on real data
#
# Ten projects built the parts. This one ships a model: from a CSV nobody has looked at to a
# saved, documented model behind a command-line tool that refuses bad input politely. The
# data are the **Palmer penguins**: 344 penguins of three species from three islands of the
# Palmer Archipelago, Antarctica, measured by Dr Kristen Gorman's team (2007–2009). The task:
# predict the species from bill, flipper, body mass, island and sex.
#
# **The workflow, and the mistake each step prevents:**
#
# | step | prevents |
# |---|---|
# | 1. explore the data (missing values, balance, plots) | modelling data you misunderstand |
# | 2. lock away a test set *first* | tuning on the test set (optimistic scores) |
# | 3. write down the input schema and validate rows | garbage in, confident garbage out |
# | 4. one pipeline: preprocessing + model | train/serve skew and leakage (Project 10) |
# | 5. cross-validated model selection on the training part | picking a model by luck |
# | 6. one evaluation on the test set, with a confidence interval and error analysis | trusting one number |
# | 7. a model card | misuse by the next person |
# | 8. a saved model with a trust note, `predict`, a CLI | "it works in my notebook" |
#
# **Prerequisites:** Projects 02–10 (the models and transformers used here), especially 08
# (cross-validation) and 10 (feature engineering). **Time:** about 10 hours.
#
# The four exercises are the glue that tutorials skip; each has a `check(...)`.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ml2llm import check, is_quick
from ml2llm.checks import p11 as reference
from ml2llm.classical import penguins as pg
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: fewer folds and bootstrap samples, same code path
print("quick mode:", QUICK)
ARTIFACTS = root / "reports" / "project11"  # git-ignored: models are made, not committed
ARTIFACTS.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## 1. Explore
#
# `pg.load_penguins()` reads the CSV that the `palmerpenguins` package ships, so nothing is
# downloaded. First questions of any dataset: how big, which types, what is missing, how
# balanced is the target?

# %%
penguins = pg.load_penguins()
print(penguins.shape)
print(penguins.head())
print(penguins["species"].value_counts())

# %% [markdown]
# ### Exercise 11.1 — How much is missing?
#
# Return a dict `{column: fraction of missing entries}` for every column of `df`. In pandas
# both `NaN` and `None` count as missing, and `Series.isna()` catches both.

# %%
def missing_fraction(df):
    ### BEGIN SOLUTION
    return {c: float(df[c].isna().mean()) for c in df.columns}
    ### END SOLUTION


check("p11.missing_fraction", missing_fraction)

# %%
missing = reference.missing_fraction(penguins)
print({k: f"{v:.1%}" for k, v in missing.items() if v > 0})

# %% [markdown]
# Two penguins have no measurements at all, and 11 have no recorded sex. Imputation will
# handle the sex; rows with no measurement are rejected by the schema below.
#
# Now look. The scatter of bill length against bill depth is the famous one: each species
# occupies its own region, Gentoo with long *thin* bills, Chinstrap with long *deep* ones,
# Adelie with short deep ones. Flipper length separates Gentoo from the other two; the island
# table shows Gentoo live only on Biscoe and Chinstrap only on Dream, which is a strong
# feature here and a warning for later (the model may learn *where* more than *what*).

# %%
colors = {"Adelie": "#ff7f0e", "Chinstrap": "#9467bd", "Gentoo": "#17becf"}
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for sp, part in penguins.groupby("species"):
    axes[0].scatter(part["bill_length_mm"], part["bill_depth_mm"], s=14, alpha=0.7, c=colors[sp], label=sp)
    axes[1].hist(part["flipper_length_mm"].dropna(), bins=20, alpha=0.6, color=colors[sp], label=sp)
axes[0].set(xlabel="bill length (mm)", ylabel="bill depth (mm)", title="Bills separate the species")
axes[1].set(xlabel="flipper length (mm)", ylabel="penguins", title="Flippers separate Gentoo")
axes[0].legend()
axes[1].legend()
table = pd.crosstab(penguins["island"], penguins["species"])
table.plot.bar(ax=axes[2], color=[colors[c] for c in table.columns], rot=0)
axes[2].set(title="Who lives where", ylabel="penguins")
plt.tight_layout()
plt.show()
print(penguins.groupby("species")[pg.NUMERIC].mean().round(1))

# %% [markdown]
# ## 2. Lock away the test set
#
# Before any modelling decision, split off a **held-out test set** (25 %, stratified so the
# rarer Chinstrap keeps its share) and do not look at it until the end. (We first drop the two
# penguins without any measurement: the schema of section 3 rejects such rows in production,
# so they must not count in training or in the test score either.) Every choice below
# (features, model, hyperparameters) is made by cross-validation on the training part only;
# otherwise the test score measures how well we tuned to the test set.

# %%
from sklearn.model_selection import StratifiedKFold, train_test_split

usable, rejected = pg.validate_rows(penguins)
print("dropped before splitting:", [str(e) for e in rejected])
X_all, y_all = usable[pg.FEATURES], penguins.loc[usable.index, pg.TARGET].to_numpy()
X_train, X_test, y_train, y_test = train_test_split(X_all, y_all, test_size=0.25, stratify=y_all,
                                                    random_state=0)
print(f"train {len(X_train)} penguins, test {len(X_test)} (locked away)")

# %% [markdown]
# ## 3. The input schema
#
# A deployed model will receive rows typed by people and produced by other programs. Write
# down what a valid row is, check it, and reject bad rows *with a reason* instead of letting a
# string turn into NaN somewhere inside NumPy:
#
# | column | valid values |
# |---|---|
# | bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g | a positive finite number (text like `"41.5"` is fine), or empty |
# | island | Biscoe, Dream, Torgersen, or empty |
# | sex | female, male, or empty |
#
# Empty values are allowed because the pipeline imputes them; a row with all four
# measurements empty is rejected; a table without one of these columns is rejected as a whole.
#
# ### Exercise 11.2 — Which values break the schema?
#
# `row` is a dict `{column: value}`. Return the list of feature names (in the order of
# `pg.FEATURES`) whose value is invalid. Hints: `float(value)` parses numbers and text and
# raises `ValueError` otherwise; `math.isfinite`; categories are case-sensitive; the allowed
# ones are in `pg.CATEGORICAL`.

# %%
def row_problems(row):
    ### BEGIN SOLUTION
    bad = []
    for col in pg.FEATURES:
        v = row.get(col)
        if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()):
            continue
        if col in pg.CATEGORICAL:
            if not (isinstance(v, str) and v.strip() in pg.CATEGORICAL[col]):
                bad.append(col)
            continue
        try:
            x = float(v)
        except (TypeError, ValueError):
            bad.append(col)
            continue
        if not math.isfinite(x) or x <= 0:
            bad.append(col)
    return bad
    ### END SOLUTION


check("p11.row_problems", row_problems)

# %% [markdown]
# The library's `pg.validate_rows(df)` applies the same rules to a whole table and returns
# the clean rows plus one message per rejected row; section 2 already used it to drop the two
# penguins without measurements. Here it is on a few hand-made rows:

# %%
probe = pd.DataFrame([
    {"bill_length_mm": "41.5", "bill_depth_mm": 18.0, "flipper_length_mm": 190, "body_mass_g": None,
     "island": "Dream", "sex": None},
    {"bill_length_mm": 41.5, "bill_depth_mm": "deep", "flipper_length_mm": 190, "body_mass_g": 3900,
     "island": "dream", "sex": "female"},
])
good, errors = pg.validate_rows(probe)
print(good)
print([str(e) for e in errors])

# %% [markdown]
# ## 4. One pipeline
#
# `pg.make_pipeline(model)` chains Project 10's transformers in a `ColumnTransformer` (median
# imputation and standardisation for the measurements; most-frequent imputation and one-hot
# encoding for island and sex) with any classifier. Fitting the pipeline fits every
# statistic on the training rows of each fold, so cross-validation is honest, and the saved
# pipeline applies exactly the same preprocessing in production.

# %%
from ml2llm.classical.softmax_regression import SoftmaxRegression

demo = pg.make_pipeline(SoftmaxRegression()).fit(X_train, y_train)
print(demo)
print("features the model sees:", list(demo[:-1].get_feature_names_out()))

# %% [markdown]
# ## 5. Cross-validated model selection
#
# The candidates are the classifiers of Projects 02–09, built from the curriculum's own
# library. `pg.candidate_models()` imports each, checks that it fits a 3-class problem through
# this pipeline, wraps binary-only ones (logistic regression, gradient boosting) in
# one-vs-rest, and falls back to scikit-learn's equivalent if a module is missing (the
# `source` column says which). Every candidate gets the same folds.

# %%
from sklearn.model_selection import cross_val_score

candidates = pg.candidate_models()
n_folds = 5
cv = StratifiedKFold(n_folds, shuffle=True, random_state=0)
cv_scores = {}
for name, (est, source) in candidates.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny folds make some solvers chatty
        cv_scores[name] = cross_val_score(pg.make_pipeline(est), X_train, y_train, cv=cv)
    print(f"{name:22s} {cv_scores[name].mean():.4f} ± {cv_scores[name].std(ddof=1):.4f}   [{source}]")

fig, ax = plt.subplots(figsize=(9, 3.6))
names = list(cv_scores)
jitter = np.random.default_rng(0).uniform(-0.15, 0.15, n_folds)
for k, n in enumerate(names):
    ax.scatter(cv_scores[n], k + jitter, s=14, alpha=0.6, color="gray")
    se = cv_scores[n].std(ddof=1) / math.sqrt(n_folds)
    ax.errorbar(cv_scores[n].mean(), k, xerr=se, fmt="o", color="C0", capsize=4)
ax.set_yticks(range(len(names)), names)
ax.set(xlabel=f"{n_folds}-fold CV accuracy (grey: folds; blue: mean ± 1 SE)",
       title="Model comparison on identical folds")
plt.tight_layout()
plt.show()

# %% [markdown]
# Several models are within a fold's noise of each other: with ~52 penguins per fold, one
# penguin is 2 points of accuracy. Picking the highest mean would pick noise. The
# **one-standard-error rule** (Breiman et al., 1984) prefers the *simplest* model whose mean
# is within one standard error of the best:
#
# $$\mathrm{SE} = \frac{s_{\text{best}}}{\sqrt{k}}, \qquad
#   \text{choose the first model (simplest first) with } \bar a_m \ge \bar a_{\text{best}} - \mathrm{SE},$$
#
# where $s_{\text{best}}$ is the sample standard deviation (`ddof=1`) of the best model's $k$
# fold scores. Simpler models are cheaper, easier to explain and usually degrade more
# gracefully on data that drifts.
#
# ### Exercise 11.3 — The one-standard-error rule
#
# `scores` has shape `(n_models, n_folds)`, rows ordered from simplest to most complex.
# Return the index of the chosen model.

# %%
def one_standard_error_rule(scores):
    ### BEGIN SOLUTION
    scores = np.asarray(scores, dtype=float)
    means = scores.mean(axis=1)
    best = int(np.argmax(means))
    se = scores[best].std(ddof=1) / math.sqrt(scores.shape[1])
    return int(np.flatnonzero(means >= means[best] - se)[0])
    ### END SOLUTION


check("p11.one_standard_error_rule", one_standard_error_rule)

# %%
# simplest first: linear models, then kernel and tree ensembles
complexity = ["logistic regression", "softmax regression", "linear SVM (Pegasos)", "decision tree",
              "RBF SVM (SMO)", "random forest", "gradient boosting"]
ordered = [n for n in complexity if n in cv_scores]
choice = ordered[reference.one_standard_error_rule(np.array([cv_scores[n] for n in ordered]))]
best_mean = max(ordered, key=lambda n: cv_scores[n].mean())
print(f"highest mean: {best_mean}; one-SE rule picks: {choice}")
final_estimator, final_source = candidates[choice]

# %% [markdown]
# ## 6. The one test evaluation
#
# Refit the chosen pipeline on the whole training part and score it, once, on the locked
# test set. A single accuracy on ~86 penguins is itself uncertain; a **bootstrap**
# confidence interval resamples the test rows with replacement and reads the spread of the
# resampled accuracies.
#
# ### Exercise 11.4 — A bootstrap confidence interval
#
# With `rng = np.random.default_rng(seed)`, draw `idx = rng.integers(0, n, size=(n_boot, n))`,
# compute the accuracy of each resample, and return the 2.5th and 97.5th percentiles as a
# tuple `(low, high)`.

# %%
def bootstrap_accuracy_ci(y_true, y_pred, n_boot=1000, seed=0):
    ### BEGIN SOLUTION
    correct = (np.asarray(y_true) == np.asarray(y_pred)).astype(float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(correct), size=(n_boot, len(correct)))
    low, high = np.percentile(correct[idx].mean(axis=1), [2.5, 97.5])
    return float(low), float(high)
    ### END SOLUTION


check("p11.bootstrap_accuracy_ci", bootstrap_accuracy_ci)

# %%
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix
from sklearn.model_selection import cross_val_predict

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    final = pg.make_pipeline(final_estimator).fit(X_train, y_train)
y_hat = final.predict(X_test)
test_acc = float(np.mean(y_hat == y_test))
n_wrong = int(np.sum(y_hat != y_test))
low, high = reference.bootstrap_accuracy_ci(y_test, y_hat, n_boot=1000 if QUICK else 10000, seed=0)
print(f"{choice}: held-out accuracy {test_acc:.3f} (95 % bootstrap CI {low:.3f}–{high:.3f}) "
      f"on {len(y_test)} penguins")
if n_wrong == 0:
    # the percentile bootstrap collapses to a point when nothing is wrong; the "rule of three"
    # gives the 95 % upper bound 3/n on the error rate instead
    print(f"no test mistakes: the bootstrap interval is degenerate; rule of three: accuracy ≥ "
          f"{1 - 3 / len(y_test):.3f} with 95 % confidence")
assert test_acc >= 0.97, "target: >= 97 % held-out accuracy on species"

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
cm = confusion_matrix(y_test, y_hat, labels=pg.SPECIES)
ConfusionMatrixDisplay(cm, display_labels=pg.SPECIES).plot(ax=axes[0], colorbar=False)
axes[0].set_title(f"Held-out confusion matrix ({choice})")
wrong = y_hat != y_test
# out-of-fold predictions on the training part: every training penguin predicted by a model
# that did not see it, so we can study errors without touching the test set again
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    oof = cross_val_predict(pg.make_pipeline(final_estimator), X_train, y_train, cv=cv)
oof_wrong = oof != y_train
for sp in pg.SPECIES:
    m = y_train == sp
    axes[1].scatter(X_train.loc[m, "bill_length_mm"], X_train.loc[m, "bill_depth_mm"], s=16, alpha=0.5,
                    c=colors[sp], label=sp)
axes[1].scatter(X_train.loc[oof_wrong, "bill_length_mm"], X_train.loc[oof_wrong, "bill_depth_mm"], s=120,
                facecolors="none", edgecolors="k", linewidths=1.5, label="wrong out-of-fold (train)")
axes[1].scatter(X_test.loc[wrong, "bill_length_mm"], X_test.loc[wrong, "bill_depth_mm"], s=160,
                facecolors="none", edgecolors="red", linewidths=2, label="wrong on test")
axes[1].set(xlabel="bill length (mm)", ylabel="bill depth (mm)", title="Where the errors are")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **Error analysis.** Look at every mistake, on the test set and out-of-fold on the
# training part, with the species means for comparison:

# %%
report = pd.concat([
    X_test[wrong].assign(split="test", true=y_test[wrong], predicted=y_hat[wrong]),
    X_train[oof_wrong].assign(split="train (out-of-fold)", true=y_train[oof_wrong], predicted=oof[oof_wrong]),
])
print(f"{int(wrong.sum())} test mistake(s), {int(oof_wrong.sum())} out-of-fold training mistake(s)")
print(report.to_string() if len(report) else "no mistakes at all")
print("species means (training part):")
print(pd.DataFrame(X_train[pg.NUMERIC]).assign(species=y_train).groupby("species").mean().round(1))

# %% [markdown]
# The mistakes sit where the species overlap in the scatter plots: typically an Adelie with
# an unusually long bill taken for a Chinstrap or the reverse, or a penguin with a missing
# measurement filled in by the median. Nothing in these six features can fix
# that; the honest fix is more information (e.g. genetic or colour-band data) or reporting
# low-confidence predictions for a human to check.
#
# ## 7. The model card
#
# A **model card** (Mitchell et al., 2019) tells the next person what the model is for,
# what data it saw, how well it works and where it fails. We write it from the numbers above.

# %%
cv_table = "\n".join(
    ["| model | source | CV accuracy (mean ± sd) |", "|---|---|---|"]
    + [f"| {n} | {candidates[n][1].split(' (')[0]} | {cv_scores[n].mean():.3f} ± {cv_scores[n].std(ddof=1):.3f} |"
       for n in ordered]
)
model_path = ARTIFACTS / "penguins_model.json"
card_info = {
    "name": f"Palmer penguins species classifier ({choice})",
    "details": [
        f"Pipeline: median imputation + standardisation of the 4 measurements; most-frequent imputation "
        f"+ one-hot encoding of island and sex; {choice} ({final_source}).",
        "Chosen by 5-fold stratified cross-validation on the training part with the one-standard-error rule.",
        "Built in Project 11 of learning-ml-to-llm.",
    ],
    "intended_use": [
        "Teaching: an end-to-end example of a validated, documented, saved classifier.",
        "Predicting the species (Adelie, Chinstrap, Gentoo) of adult penguins measured like the Palmer LTER data.",
        "Not for other species, juveniles, other regions, or any decision that matters without a human check.",
    ],
    "data": [
        f"Palmer penguins (Gorman, Williams & Fraser, 2014; palmerpenguins package): {len(penguins)} penguins, "
        f"3 islands, 2007–2009; the 2 without measurements dropped. Train {len(X_train)} / test "
        f"{len(X_test)}, stratified, seed 0.",
        "Missing values: 2 penguins without measurements (rejected by the schema), 11 without sex (imputed).",
        f"Class balance: { {k: int(v) for k, v in penguins['species'].value_counts().items()} }.",
    ],
    "evaluation": [
        f"Held-out accuracy {test_acc:.3f} (95 % bootstrap CI {low:.3f}–{high:.3f}) on {len(y_test)} penguins; "
        f"{int(wrong.sum())} mistake(s)"
        + (f" (rule of three: accuracy ≥ {1 - 3 / len(y_test):.3f} at 95 % confidence)." if n_wrong == 0 else "."),
        f"Out-of-fold on the training part: {int(oof_wrong.sum())} mistake(s) of {len(y_train)}.",
        f"Confusion matrix (rows true, columns predicted, order {pg.SPECIES}): {cm.tolist()}.",
    ],
    "limitations": [
        "Island is a strong shortcut here (Gentoo only on Biscoe, Chinstrap only on Dream in this sample); "
        "penguins from other colonies would break it.",
        "The test set is small: one mistake moves accuracy by about 1.2 points.",
        "Measurement conventions (mm, g) must match; the schema rejects non-positive or non-numeric values "
        "but cannot detect plausible-looking unit errors.",
    ],
    "loading": [
        f"File: {model_path.name} (JSON: parameters and fitted arrays only). "
        "Load with `ml2llm.classical.penguins.load_model(path, expected_sha256=...)`.",
        "Trust note: loading never unpickles and only rebuilds classes from ml2llm and sklearn, so the file cannot "
        "run code; it can still contain wrong numbers. Only load model files you made and check the SHA-256 below.",
        "CLI: `ml2llm penguins predict --model MODEL.json --input rows.csv [--sha256 HEX]`.",
    ],
    "table": cv_table,
}

# %% [markdown]
# ## 8. Save, reload, predict
#
# **Why not pickle?** `pickle`/`joblib` files are programs: unpickling can execute arbitrary
# code, so loading a model file someone sent you is like running their script. Our
# `pg.save_model` writes JSON instead (class names, parameters and fitted arrays), and
# `pg.load_model` rebuilds only the estimator classes listed in `pg.ALLOWED_CLASSES` (a
# module prefix such as `sklearn.*` would not do: every class reachable from those modules,
# `subprocess.Popen` included, could then be built) by setting their attributes. It returns the file's SHA-256, which goes into the model card, and
# `load_model(..., expected_sha256=...)` refuses a file that has changed since.

# %%
digest = pg.save_model(final, model_path, metadata={"model": choice, "test_accuracy": test_acc})
card_info["loading"].append(f"SHA-256 of {model_path.name}: `{digest}`.")
card = pg.model_card(card_info)
(ARTIFACTS / "MODEL_CARD.md").write_text(card, encoding="utf-8")
print(card)
reloaded, meta = pg.load_model(model_path, expected_sha256=digest)
assert (reloaded.predict(X_test) == y_hat).all()
print(f"saved to {model_path.relative_to(root)} ({model_path.stat().st_size / 1024:.1f} KiB); "
      f"reloaded model gives identical test predictions; metadata {meta}")

# %% [markdown]
# `pg.predict(model, rows)` validates, predicts the good rows and explains the bad ones;
# the CLI does the same on a CSV file, prints the predictions as CSV, lists the rejected rows
# on stderr and exits with 1 when some rows were rejected (2 when the input cannot be used
# at all):
#
# ```
# ml2llm penguins predict --model reports/project11/penguins_model.json --input rows.csv
# ```

# %%
incoming = pd.DataFrame([
    {"bill_length_mm": 39.1, "bill_depth_mm": 18.7, "flipper_length_mm": 181, "body_mass_g": 3750,
     "island": "Torgersen", "sex": "male"},
    {"bill_length_mm": "49.9", "bill_depth_mm": 16.1, "flipper_length_mm": 213, "body_mass_g": 5400,
     "island": "Biscoe", "sex": None},
    {"bill_length_mm": 50.2, "bill_depth_mm": 18.7, "flipper_length_mm": 198, "body_mass_g": 3775,
     "island": "Dream", "sex": "female"},
    {"bill_length_mm": "n/a", "bill_depth_mm": 17.0, "flipper_length_mm": 190, "body_mass_g": -1,
     "island": "Dream", "sex": "female"},
    {"bill_length_mm": 44.0, "bill_depth_mm": 16.0, "flipper_length_mm": 200, "body_mass_g": 4000,
     "island": "Atlantis", "sex": "male"},
])
print(pg.predict(reloaded, incoming).to_string())

rows_csv = ARTIFACTS / "incoming_rows.csv"
incoming.to_csv(rows_csv, index=False)
from ml2llm.cli import main as ml2llm_cli

exit_code = ml2llm_cli(["penguins", "predict", "--model", str(model_path), "--input", str(rows_csv),
                        "--sha256", digest])
print("exit code:", exit_code)

# %% [markdown]
# ## Comparison with scikit-learn
#
# The same pipeline built entirely from scikit-learn (its imputers, scaler, one-hot encoder
# and `LogisticRegression`) on the same split: our preprocessing must produce the same
# feature matrix (to $10^{-12}$, exact transformers) and the two pipelines comparable
# held-out accuracy.

# %%
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sk_pre = ColumnTransformer([
    ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), pg.NUMERIC),
    ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                      ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]),
     list(pg.CATEGORICAL)),
])
gap = np.abs(pg.make_preprocessor().fit(X_train).transform(X_test) - sk_pre.fit(X_train).transform(X_test)).max()
sk_pipe = Pipeline([("pre", sk_pre), ("model", LogisticRegression(max_iter=1000))]).fit(X_train, y_train)
sk_acc = sk_pipe.score(X_test, y_test)
print(f"preprocessing, ours vs sklearn: max |difference| = {gap:.1e}")
print(f"held-out accuracy: ours ({choice}) {test_acc:.3f}, all-sklearn logistic regression {sk_acc:.3f}")
assert gap < 1e-12 and abs(test_acc - sk_acc) <= 0.03

# %% [markdown]
# ## What you learned
#
# - The workflow is the product: explore, lock the test set, validate inputs, one
#   [pipeline](../../../docs/GLOSSARY.md#pipeline), cross-validate, test once, document, ship.
# - A written input schema turns silent garbage into clear, per-row rejections, while the
#   good rows still get predictions.
# - [Cross-validation](../../../docs/GLOSSARY.md#cross-validation) scores are noisy; the
#   one-standard-error rule picks the simplest model that is not measurably worse.
# - A [held-out test set](../../../docs/GLOSSARY.md#test-set) is used once; a
#   [bootstrap](../../../docs/GLOSSARY.md#bootstrap) interval says how much that one number
#   can be trusted.
# - A [model card](../../../docs/GLOSSARY.md#model-card) records intended use, data,
#   evaluation and limitations (here: the island shortcut).
# - Pickle files execute code when loaded; a JSON format with an allow-list and a checksum
#   does not.
#
# **Next:** Phase 1 is done. Project 11.5 builds neural networks from scratch.
