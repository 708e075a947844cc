"""Project 11 checks pass correct code and catch typical wrong code with the right hint."""

import math

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)

CATS = {"island": {"Biscoe", "Dream", "Torgersen"}, "sex": {"female", "male"}}
NUMS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
ORDER = NUMS + ["island", "sex"]


# --- correct implementations, written independently of ml2llm ---------------------------
def missing_fraction(df):
    n = len(df)
    return {c: sum(1 for v in df[c] if v is None or v != v) / n for c in df.columns}


def row_problems(row):
    bad = []
    for col in ORDER:
        v = row.get(col)
        if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
            continue
        if col in CATS:
            if v not in CATS[col]:
                bad.append(col)
            continue
        try:
            x = float(v)
        except ValueError:
            bad.append(col)
            continue
        if not (0 < x < math.inf):
            bad.append(col)
    return bad


def one_standard_error_rule(scores):
    means = [float(np.mean(s)) for s in scores]
    b = max(range(len(means)), key=means.__getitem__)
    k = len(scores[b])
    se = float(np.std(scores[b], ddof=1)) / k**0.5
    return next(i for i, m in enumerate(means) if m >= means[b] - se)


def bootstrap_accuracy_ci(y_true, y_pred, n_boot=1000, seed=0):
    hits = np.asarray(y_true) == np.asarray(y_pred)
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, len(hits), size=(n_boot, len(hits)))
    accs = hits[samples].mean(axis=1)
    return tuple(float(q) for q in np.quantile(accs, [0.025, 0.975]))


REFERENCES = {
    "p11.missing_fraction": missing_fraction,
    "p11.row_problems": row_problems,
    "p11.one_standard_error_rule": one_standard_error_rule,
    "p11.bootstrap_accuracy_ci": bootstrap_accuracy_ci,
}


# --- typical mistakes ------------------------------------------------------------------
def mf_counts(df):
    return {c: int(df[c].isna().sum()) for c in df.columns}


def mf_present(df):
    return {c: 1 - df[c].isna().mean() for c in df.columns}


def mf_series(df):
    return df.isna().mean()


def rp_missing_bad(row):
    return [
        c for c in ORDER if c in row_problems(row) or row.get(c) is None or row.get(c) != row.get(c)
    ]


def rp_isinstance(row):
    bad = []
    for col in ORDER:
        v = row.get(col)
        if col in CATS:
            if v is not None and v not in CATS[col]:
                bad.append(col)
        elif not isinstance(v, (int, float)) or v <= 0:
            bad.append(col)
    return bad


def rp_case_insensitive(row):
    bad = row_problems(row)
    ok = [
        c
        for c in CATS
        if isinstance(row.get(c), str) and row[c].lower() in {x.lower() for x in CATS[c]}
    ]
    return [c for c in bad if c not in ok]


def ose_best_mean(scores):
    return int(np.argmax(np.mean(scores, axis=1)))


def ose_std(scores):
    scores = np.asarray(scores)
    m = scores.mean(axis=1)
    b = m.argmax()
    return int(np.argmax(m >= m[b] - scores[b].std(ddof=1)))


def boot_permutation(y_true, y_pred, n_boot=1000, seed=0):
    hits = np.asarray(y_true) == np.asarray(y_pred)
    rng = np.random.default_rng(seed)
    accs = [hits[rng.permutation(len(hits))].mean() for _ in range(n_boot)]
    return tuple(np.percentile(accs, [2.5, 97.5]))


def boot_90(y_true, y_pred, n_boot=1000, seed=0):
    hits = np.asarray(y_true) == np.asarray(y_pred)
    rng = np.random.default_rng(seed)
    accs = hits[rng.integers(0, len(hits), size=(n_boot, len(hits)))].mean(axis=1)
    return tuple(np.percentile(accs, [5, 95]))


def boot_normal(y_true, y_pred, n_boot=1000, seed=0):
    a = np.mean(np.asarray(y_true) == np.asarray(y_pred))
    h = 1.96 * math.sqrt(a * (1 - a) / len(y_true))
    return a - h, a + h


MISTAKES = {
    "p11.missing_fraction": [
        (mf_counts, "a fraction, not a count"),
        (mf_present, "fraction present"),
        (mf_series, "expected a dict"),
    ],
    "p11.row_problems": [
        (rp_missing_bad, "missing values are allowed"),
        (rp_isinstance, "try float(value)"),
        (rp_case_insensitive, "case-sensitive"),
    ],
    "p11.one_standard_error_rule": [
        (ose_best_mean, "simplest model within one standard error"),
        (ose_std, "std/√k"),
    ],
    "p11.bootstrap_accuracy_ci": [
        (boot_permutation, "with replacement"),
        (boot_90, "2.5th and 97.5th"),
        (boot_normal, "not the normal approximation"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
