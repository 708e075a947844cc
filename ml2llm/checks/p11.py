"""Checks for Project 11 — the end-to-end pipeline (missing-value report, row validation, the
one-standard-error rule, a bootstrap confidence interval). References are in
:mod:`ml2llm.classical.penguins` (row validation) and here (the small statistics helpers)."""

from __future__ import annotations

import math

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import penguins as pg


# ----------------------------------------------------------------- references
def missing_fraction(df):
    """``{column: fraction of missing entries}`` for every column of ``df``."""
    return {c: float(df[c].isna().mean()) for c in df.columns}


def row_problems(row):
    """Names of the features whose value in ``row`` (a dict) breaks the schema, in ``FEATURES``
    order (see :func:`ml2llm.classical.penguins.value_problem`; missing values are allowed)."""
    return [c for c in pg.FEATURES if pg.value_problem(c, row.get(c)) is not None]


def one_standard_error_rule(scores):
    """Index of the simplest model whose mean CV score is within one standard error of the best.

    ``scores`` has shape (n_models, n_folds) with models ordered from simplest to most complex;
    the standard error of the best model's mean is ``std(ddof=1) / sqrt(n_folds)``.
    """
    scores = np.asarray(scores, dtype=float)
    means = scores.mean(axis=1)
    best = int(np.argmax(means))
    se = scores[best].std(ddof=1) / math.sqrt(scores.shape[1])
    return int(np.flatnonzero(means >= means[best] - se)[0])


def bootstrap_accuracy_ci(y_true, y_pred, n_boot=1000, seed=0):
    """95 % percentile bootstrap interval of the accuracy: ``(low, high)``.

    ``rng = np.random.default_rng(seed)``; ``idx = rng.integers(0, n, size=(n_boot, n))``
    resamples the test rows with replacement; the bounds are the 2.5th and 97.5th
    percentiles of the resampled accuracies.
    """
    correct = (np.asarray(y_true) == np.asarray(y_pred)).astype(float)
    n = len(correct)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    accs = correct[idx].mean(axis=1)
    low, high = np.percentile(accs, [2.5, 97.5])
    return float(low), float(high)


# ----------------------------------------------------------------- 11.1 missing fraction
def _missing_cases():
    import pandas as pd

    small = pd.DataFrame(
        {"a": [1.0, np.nan, 3.0, np.nan], "b": ["x", None, "y", "z"], "c": [1, 2, 3, 4]}
    )
    pen = pg.load_penguins().head(40)
    return [
        Case((small,), label="a: 2 NaN of 4, b: 1 None of 4, c: complete"),
        Case((pen,), label="the first 40 penguins"),
    ]


register(
    Check(
        "p11.missing_fraction",
        reference=missing_fraction,
        cases=_missing_cases,
        hint="return a dict {column: df[column].isna().mean()} for every column.",
        mistakes=[
            Mistake(
                "counts",
                lambda df: {c: float(df[c].isna().sum()) for c in df.columns},
                "divide by the number of rows: a fraction, not a count.",
            ),
            Mistake(
                "present",
                lambda df: {c: float(df[c].notna().mean()) for c in df.columns},
                "that is the fraction present; count the missing ones (isna).",
            ),
            Mistake(
                "numeric only",
                lambda df: {
                    c: float(df[c].apply(lambda v: isinstance(v, float) and v != v).mean())
                    for c in df.columns
                },
                "None in a text column is missing too: use isna(), which catches NaN and None.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 11.2 row problems
def _row_cases():
    ok = {
        "bill_length_mm": 39.1,
        "bill_depth_mm": 18.7,
        "flipper_length_mm": 181.0,
        "body_mass_g": 3750.0,
        "island": "Torgersen",
        "sex": "male",
    }
    return [
        Case((ok,), label="a valid Adelie row"),
        Case(
            ({**ok, "sex": None, "body_mass_g": np.nan},),
            label="missing sex and body mass (allowed)",
            hint="missing values are allowed: the pipeline imputes them.",
        ),
        Case(
            ({**ok, "bill_depth_mm": "18.7"},),
            label="bill_depth_mm='18.7' (a number written as text)",
            hint="a string that parses as a number is fine: try float(value).",
        ),
        Case(({**ok, "flipper_length_mm": "long"},), label="flipper_length_mm='long'"),
        Case(
            ({**ok, "island": "Atlantis", "body_mass_g": -5.0},),
            label="island='Atlantis' and body_mass_g=-5.0",
            hint="categories must be known ones; measurements must be positive.",
        ),
        Case(
            ({**ok, "sex": "MALE", "bill_length_mm": float("inf")},),
            label="sex='MALE', bill_length_mm=inf",
            hint="categories are case-sensitive; inf is not a valid measurement.",
        ),
    ]


def _rp_missing_is_bad(row):
    bad = row_problems(row)
    miss = [
        c
        for c in pg.FEATURES
        if row.get(c) is None or (isinstance(row.get(c), float) and np.isnan(row[c]))
    ]
    return [c for c in pg.FEATURES if c in bad or c in miss]


def _rp_type_strict(row):
    bad = row_problems(row)
    strs = [c for c in pg.NUMERIC if isinstance(row.get(c), str)]
    return [c for c in pg.FEATURES if c in bad or c in strs]


def _rp_no_range(row):
    fixed = {k: (abs(v) if isinstance(v, float) and np.isfinite(v) else v) for k, v in row.items()}
    fixed = {k: (1.0 if isinstance(v, float) and np.isinf(v) else v) for k, v in fixed.items()}
    return row_problems(fixed)


def _rp_no_categories(row):
    return [c for c in row_problems(row) if c in pg.NUMERIC]


register(
    Check(
        "p11.row_problems",
        reference=row_problems,
        cases=_row_cases,
        hint="for each feature: empty is fine; numbers must parse with float() and be positive and finite; "
        "island and sex must be one of the known values. Return the bad column names in FEATURES order.",
        mistakes=[
            Mistake(
                "missing is bad",
                _rp_missing_is_bad,
                "missing values are allowed: the pipeline imputes them; only wrong values are problems.",
            ),
            Mistake(
                "strings rejected",
                _rp_type_strict,
                "a string that parses as a number is fine: try float(value).",
            ),
            Mistake(
                "no range check",
                _rp_no_range,
                "measurements must be positive and finite (reject ≤ 0, inf).",
            ),
            Mistake(
                "no category check",
                _rp_no_categories,
                "check island and sex against the known categories (CATEGORICAL), exactly: they are case-sensitive.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 11.3 one-standard-error rule
def _ose_cases():
    return [
        Case(
            (np.array([[0.90, 0.92, 0.91], [0.95, 0.97, 0.93], [0.96, 0.98, 0.93]]),),
            label="3 models × 3 folds: model 1 is within one SE of model 2",
        ),
        Case(
            (
                np.array(
                    [[0.70, 0.72, 0.71, 0.69], [0.90, 0.91, 0.92, 0.90], [0.91, 0.92, 0.93, 0.92]]
                ),
            ),
            label="4 folds: the best is clearly better than model 0, within one SE of model 1?",
        ),
        Case((np.array([[0.8, 0.8], [0.9, 0.9]]),), label="zero spread: only the best qualifies"),
        Case(
            (np.array([[0.862] * 4, [0.9, 1.0, 0.8, 0.9]]),),
            label="model 0 is 0.038 below the best, whose SE is 0.0408 (std with ddof=1, / √4)",
            hint="SE = std(ddof=1) / √n_folds of the best model's fold scores.",
        ),
        Case(
            (np.array([[0.97, 0.99, 0.95, 0.99, 0.96], [0.98, 0.99, 0.96, 0.99, 0.98]]),),
            label="5 folds, two close models",
        ),
    ]


def _ose_argmax(scores):
    return int(np.argmax(np.asarray(scores).mean(axis=1)))


def _ose_std(scores):
    scores = np.asarray(scores)
    means = scores.mean(axis=1)
    best = int(np.argmax(means))
    return int(np.flatnonzero(means >= means[best] - scores[best].std(ddof=1))[0])


def _ose_last(scores):
    scores = np.asarray(scores)
    means = scores.mean(axis=1)
    best = int(np.argmax(means))
    se = scores[best].std(ddof=1) / math.sqrt(scores.shape[1])
    return int(np.flatnonzero(means >= means[best] - se)[-1])


register(
    Check(
        "p11.one_standard_error_rule",
        reference=one_standard_error_rule,
        cases=_ose_cases,
        hint="SE = std(best model's fold scores, ddof=1)/√k; pick the first (simplest) model with mean ≥ best mean − SE.",
        mistakes=[
            Mistake(
                "argmax",
                _ose_argmax,
                "don't just take the best mean: take the simplest model within one standard error of it.",
            ),
            Mistake(
                "std not SE",
                _ose_std,
                "the standard error of a mean over k folds is std/√k, not the std itself.",
            ),
            Mistake(
                "most complex",
                _ose_last,
                "among the models within one SE, take the simplest (the first).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 11.4 bootstrap CI
def _boot_cases():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 80)
    pred = np.where(rng.random(80) < 0.9, y, (y + 1) % 3)
    return [
        Case(
            (y, pred),
            {"n_boot": 500, "seed": 0},
            label="80 test labels, ~90 % correct, n_boot=500, seed=0",
        ),
        Case(
            (y[:20], pred[:20]),
            {"n_boot": 200, "seed": 3},
            label="20 test labels, n_boot=200, seed=3",
        ),
        Case(
            (np.r_[y, y, y, y, y], np.r_[pred, pred, pred, pred, y]),
            {"n_boot": 1000, "seed": 7},
            label="400 test labels (many distinct resampled accuracies), n_boot=1000, seed=7",
            hint="the bounds are the 2.5th and 97.5th percentiles: np.percentile(accs, [2.5, 97.5]).",
        ),
        Case(
            (["a", "b", "a", "b"], ["a", "b", "b", "b"]),
            {"n_boot": 100, "seed": 1},
            label="string labels, 3 of 4 correct",
        ),
    ]


def _boot_no_replacement(y_true, y_pred, n_boot=1000, seed=0):
    correct = (np.asarray(y_true) == np.asarray(y_pred)).astype(float)
    rng = np.random.default_rng(seed)
    accs = [correct[rng.permutation(len(correct))].mean() for _ in range(n_boot)]
    low, high = np.percentile(accs, [2.5, 97.5])
    return float(low), float(high)


def _boot_90(y_true, y_pred, n_boot=1000, seed=0):
    correct = (np.asarray(y_true) == np.asarray(y_pred)).astype(float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(correct), size=(n_boot, len(correct)))
    low, high = np.percentile(correct[idx].mean(axis=1), [5, 95])
    return float(low), float(high)


def _boot_normal(y_true, y_pred, n_boot=1000, seed=0):
    acc = float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
    se = math.sqrt(acc * (1 - acc) / len(y_true))
    return acc - 1.96 * se, acc + 1.96 * se


register(
    Check(
        "p11.bootstrap_accuracy_ci",
        reference=bootstrap_accuracy_ci,
        cases=_boot_cases,
        hint="correct = (y_true == y_pred); idx = rng.integers(0, n, size=(n_boot, n)); "
        "percentiles 2.5 and 97.5 of correct[idx].mean(axis=1).",
        mistakes=[
            Mistake(
                "no replacement",
                _boot_no_replacement,
                "resample WITH replacement (rng.integers): a permutation has the same accuracy every time.",
            ),
            Mistake("90 %", _boot_90, "a 95 % interval uses the 2.5th and 97.5th percentiles."),
            Mistake(
                "normal approximation",
                _boot_normal,
                "use the bootstrap percentiles, not the normal approximation acc ± 1.96·SE.",
            ),
        ],
    )
)
