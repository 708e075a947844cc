"""Checks for Project P1 — ML testing (data validation, invariance, directional
expectations, model regression tests). References are in :mod:`ml2llm.pro.testing`."""

from __future__ import annotations

import math

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.pro import testing as ref

NAN = float("nan")


# ----------------------------------------------------------------- data validation
def _schema():
    return {
        "mass": {"type": "number", "min": 2000, "max": 7000, "max_missing": 0.25},
        "island": {"type": "category", "allowed": ["Biscoe", "Dream"], "max_missing": 0.0},
        "bill": {"type": "number", "min": 20, "max": 70},
    }


def _val_cases():
    return [
        Case(
            (
                {
                    "mass": [3000, 4000, NAN, 5000],
                    "island": ["Biscoe", "Dream", "Dream", "Biscoe"],
                    "bill": [40, 41, 42, 43],
                },
                _schema(),
            ),
            label="a clean table (one allowed missing mass)",
        ),
        Case(
            (
                {
                    "mass": [3000, 9000, 1500, 5000],
                    "island": ["Biscoe", "Mars", "Dream", None],
                    "bill": [40, 41, 42, 43],
                },
                _schema(),
            ),
            label="mass out of range both ways, an unknown island and a missing one",
        ),
        Case(
            ({"mass": [2000, 7000, 4000, 4000], "island": ["Biscoe"] * 4}, _schema()),
            label="column `bill` absent; mass exactly at its limits",
            hint="limits are inclusive: 2000 and 7000 are allowed.",
        ),
        Case(
            (
                {
                    "mass": [3000, "heavy", 4000, NAN],
                    "island": ["Dream"] * 4,
                    "bill": [NAN, NAN, 40, 41],
                },
                _schema(),
            ),
            label="a string in `mass`; half of `bill` missing",
            hint="after a wrong type, skip the range checks for that column (comparing str with int raises).",
        ),
        Case(
            (
                {
                    "mass": [NAN, NAN, 3000, 3000, 3000, 3000, 3000, 3000],
                    "island": ["Dream"] * 8,
                    "bill": [30] * 8,
                },
                _schema(),
            ),
            label="2 of 8 masses missing (exactly the allowed 25%)",
        ),
    ]


def _val_variant(kind):
    def wrong(data, schema):
        out = []
        for name, spec in schema.items():
            if name not in data:
                out.append((name, "missing_column"))
                continue
            vals = list(data[name])
            present = [
                v for v in vals if not (v is None or (isinstance(v, float) and math.isnan(v)))
            ]
            miss = len(vals) - len(present)
            limit = spec.get("max_missing", 0.0)
            if kind == "count":
                if miss > limit:
                    out.append((name, "too_many_missing"))
            elif kind != "no missing check" and miss / len(vals) > limit:
                out.append((name, "too_many_missing"))
            if spec["type"] == "number":
                if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in present):
                    out.append((name, "wrong_type"))
                    continue
                if "min" in spec and any(
                    (v <= spec["min"]) if kind == "exclusive" else (v < spec["min"])
                    for v in present
                ):
                    out.append((name, "below_min"))
                if "max" in spec and any(
                    (v >= spec["max"]) if kind == "exclusive" else (v > spec["max"])
                    for v in present
                ):
                    out.append((name, "above_max"))
            else:
                if any(not isinstance(v, str) for v in present):
                    out.append((name, "wrong_type"))
                    continue
                if any(v not in spec.get("allowed", [v]) for v in present):
                    out.append((name, "unknown_category"))
        return out if kind == "unsorted" else sorted(out)

    return wrong


def _list_compare(expected, got):
    from ml2llm.checks import Mismatch

    if not isinstance(got, list):
        raise Mismatch(f"expected a list of (column, problem) tuples, got {type(got).__name__}")
    got_t = [tuple(x) for x in got]
    if got_t != list(expected):
        raise Mismatch(f"expected {list(expected)}, got {got_t}")


register(
    Check(
        "pp1.validate_columns",
        reference=ref.validate_columns,
        cases=_val_cases,
        compare=_list_compare,
        hint="per column: missing_column; too_many_missing (FRACTION > max_missing); type; then range or allowed values on present values; return sorted(list).",
        mistakes=[
            Mistake(
                "count",
                _val_variant("count"),
                "max_missing is a FRACTION of rows: compare n_missing / n_rows with it.",
            ),
            Mistake(
                "exclusive",
                _val_variant("exclusive"),
                "limits are inclusive: 2000 and 7000 are allowed.",
            ),
            Mistake(
                "no missing check",
                _val_variant("no missing check"),
                "count missing values (None/NaN) and compare their fraction with max_missing.",
            ),
            Mistake(
                "unsorted",
                _val_variant("unsorted"),
                "return sorted(problems) so the result does not depend on the schema's order.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- invariance
def _round_predict(X):
    return (X[:, 0] + 0.5 * X[:, 1] > 0.25).astype(int)


def _jitter_in_place(X):
    X[:, 1] += 0.3
    return X


def _swap_irrelevant(X):
    X = X.copy()
    X[:, 2] = X[::-1, 2]
    return X


def _inv_cases():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    return [
        Case(
            (_round_predict, X, _swap_irrelevant),
            label="shuffle the unused column 2 (rate must be 1)",
        ),
        Case(
            (_round_predict, X, _jitter_in_place),
            label="perturb adds 0.3 to column 1 IN PLACE",
            hint="call perturb on a copy: perturb(X.copy()).",
        ),
        Case(
            (_round_predict, rng.normal(size=(50, 3)), lambda X: X * 1.5),
            label="scale all features by 1.5",
        ),
    ]


def _inv_variant(kind):
    def wrong(predict, X, perturb):
        if kind == "changed":
            return float(np.mean(predict(X) != predict(perturb(X.copy()))))
        if kind == "order":
            after = predict(perturb(X))
            return float(np.mean(predict(X) == after))
        before = predict(X)
        return float(np.mean(before == predict(perturb(X))))

    return wrong


register(
    Check(
        "pp1.invariance",
        reference=ref.invariance_rate,
        cases=_inv_cases,
        hint="before = predict(X); after = predict(perturb(X.copy())); return mean(before == after).",
        mistakes=[
            Mistake(
                "changed",
                _inv_variant("changed"),
                "return the share of UNCHANGED predictions (==), not of changed ones.",
            ),
            Mistake("order", _inv_variant("order"), "call perturb on a copy: perturb(X.copy())."),
            Mistake(
                "no copy", _inv_variant("no copy"), "call perturb on a copy: perturb(X.copy())."
            ),
        ],
    )
)


# ----------------------------------------------------------------- directional expectations
def _score_lin(X):
    return 1 / (1 + np.exp(-(2 * X[:, 0] - X[:, 1] + 0.5 * X[:, 0] * X[:, 2])))


def _score_step(X):
    return np.floor(X[:, 0]) - 0.1 * X[:, 1]


def _dir_cases():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    return [
        Case(
            (_score_lin, X, 0, 0.5, 1),
            label="score rises with feature 0 except where x2 < −4 (none here)",
        ),
        Case((_score_lin, X, 2, 1.0, 1), label="feature 2 helps only where x0 > 0"),
        Case((_score_lin, X, 1, 0.5, -1), label="score should fall with feature 1 (direction −1)"),
        Case(
            (_score_step, X, 0, 0.1, 1),
            label="a step function: most changes are exactly 0",
            hint="a change of exactly 0 is not a violation.",
        ),
    ]


def _dir_variant(kind):
    def wrong(score, X, feature, delta, direction):
        if kind == "in place":
            s0 = score(X)
            X[:, feature] += delta
            change = (score(X) - s0) * direction
        else:
            X2 = X.copy()
            X2[:, feature] += delta
            change = score(X2) - score(X)
            if kind != "no direction":
                change = change * direction
        if kind == "strict":
            return float(np.mean(change <= 0))
        return float(np.mean(change < -1e-12))

    return wrong


register(
    Check(
        "pp1.directional",
        reference=lambda score, X, feature, delta, direction: ref.directional_violation_rate(
            score, X, feature, delta, direction
        ),
        cases=_dir_cases,
        hint="X2 = X.copy(); X2[:, feature] += delta; change = (score(X2) − score(X)) · direction; return mean(change < −1e-12).",
        mistakes=[
            Mistake("strict", _dir_variant("strict"), "a change of exactly 0 is not a violation."),
            Mistake(
                "no direction",
                _dir_variant("no direction"),
                "multiply the change by `direction` (−1 means the score should fall).",
            ),
            Mistake(
                "in place",
                _dir_variant("in place"),
                "work on X.copy(): never modify the caller's data.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- model regression tests
def _reg_cases():
    hib = {"accuracy": True, "log_loss": False, "f1": True}
    tol = {"accuracy": 0.01, "log_loss": 0.02, "f1": 0.01}
    base = {"accuracy": 0.95, "log_loss": 0.20, "f1": 0.90}
    return [
        Case(
            ({"accuracy": 0.955, "log_loss": 0.19, "f1": 0.91}, base, tol, hib),
            label="everything improved: no regression",
        ),
        Case(
            ({"accuracy": 0.93, "log_loss": 0.25, "f1": 0.895}, base, tol, hib),
            label="accuracy and log-loss worse beyond tolerance",
        ),
        Case(
            ({"accuracy": 0.941, "log_loss": 0.215, "f1": 0.85}, base, tol, hib),
            label="within tolerance except f1",
        ),
        Case(
            ({"accuracy": 0.96, "log_loss": 0.10}, base, tol, hib),
            label="f1 missing from the new run",
            hint="a metric missing from `current` is a regression.",
        ),
        Case(
            ({"accuracy": 0.96, "log_loss": 0.15, "f1": 0.95}, base, tol, hib),
            label="log-loss fell (better) by more than its tolerance",
        ),
        Case(
            ({"accuracy": 0.95, "log_loss": 0.30, "f1": 0.80}, base, tol, hib),
            label="log-loss and f1 worse (found in that order; return them sorted)",
            hint="return the names sorted: sorted(bad).",
        ),
    ]


def _reg_variant(kind):
    def wrong(current, baseline, tolerance, higher_is_better):
        bad = []
        for name, b in baseline.items():
            if name not in current:
                if kind != "skip missing":
                    bad.append(name)
                continue
            if kind == "abs":
                worse = abs(current[name] - b) > tolerance[name]
            elif kind == "no direction":
                worse = current[name] - b < -tolerance[name]
            else:
                d = current[name] - b if higher_is_better[name] else b - current[name]
                worse = d < -tolerance[name]
            if worse:
                bad.append(name)
        return sorted(bad)

    return wrong


register(
    Check(
        "pp1.regressions",
        reference=ref.regressions,
        cases=_reg_cases,
        compare=lambda e, g: _names_compare(e, g),
        hint="worse = (current − baseline) for higher-is-better, (baseline − current) otherwise; flag worse < −tolerance, and metrics missing from current; return sorted names.",
        mistakes=[
            Mistake(
                "abs",
                _reg_variant("abs"),
                "only getting WORSE is a regression: an improvement beyond the tolerance is fine.",
            ),
            Mistake(
                "no direction",
                _reg_variant("no direction"),
                "for metrics where lower is better (log_loss), worse means HIGHER.",
            ),
            Mistake(
                "skip missing",
                _reg_variant("skip missing"),
                "a metric missing from `current` is a regression.",
            ),
        ],
    )
)


def _names_compare(expected, got):
    from ml2llm.checks import Mismatch

    if not isinstance(got, (list, tuple)):
        raise Mismatch(f"expected a list of metric names, got {type(got).__name__}")
    if list(got) != list(expected):
        raise Mismatch(f"expected {list(expected)}, got {list(got)}")
