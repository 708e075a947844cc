"""Project P1 checks pass correct code and catch typical wrong code with the right hint."""

import math

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def _missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def validate_columns(data, schema):
    problems = set()
    for col, spec in schema.items():
        if col not in data:
            problems.add((col, "missing_column"))
            continue
        values = list(data[col])
        ok = [v for v in values if not _missing(v)]
        if (len(values) - len(ok)) > spec.get("max_missing", 0) * len(values):
            problems.add((col, "too_many_missing"))
        want = (int, float) if spec["type"] == "number" else (str,)
        if not all(isinstance(v, want) and not isinstance(v, bool) for v in ok):
            problems.add((col, "wrong_type"))
            continue
        if spec["type"] == "number":
            if ok and min(ok) < spec.get("min", -math.inf):
                problems.add((col, "below_min"))
            if ok and max(ok) > spec.get("max", math.inf):
                problems.add((col, "above_max"))
        elif "allowed" in spec and not set(ok) <= set(spec["allowed"]):
            problems.add((col, "unknown_category"))
    return sorted(problems)


def invariance(predict, X, perturb):
    original = np.array(predict(X))
    return float(np.count_nonzero(original == predict(perturb(np.array(X)))) / len(original))


def directional(score, X, feature, delta, direction):
    shifted = np.array(X, dtype=float)
    shifted[:, feature] = shifted[:, feature] + delta
    moved = direction * (score(shifted) - score(X))
    return float(np.count_nonzero(moved < -1e-12) / len(X))


def regressions(current, baseline, tolerance, higher_is_better):
    out = []
    for name in sorted(baseline):
        if name not in current:
            out.append(name)
            continue
        sign = 1 if higher_is_better[name] else -1
        if sign * (current[name] - baseline[name]) < -tolerance[name]:
            out.append(name)
    return out


REFERENCES = {
    "pp1.validate_columns": validate_columns,
    "pp1.invariance": invariance,
    "pp1.directional": directional,
    "pp1.regressions": regressions,
}


# --- typical mistakes ------------------------------------------------------------------
def validate_missing_as_count(data, schema):
    out = [p for p in validate_columns(data, schema) if p[1] != "too_many_missing"]
    for col, spec in schema.items():
        if col in data and sum(_missing(v) for v in data[col]) > spec.get("max_missing", 0):
            out.append((col, "too_many_missing"))
    return sorted(out)


def validate_exclusive_limits(data, schema):
    out = set(validate_columns(data, schema))
    for col, spec in schema.items():
        if col in data and spec["type"] == "number":
            ok = [v for v in data[col] if not _missing(v)]
            if all(isinstance(v, (int, float)) for v in ok):
                if any(v <= spec["min"] for v in ok):
                    out.add((col, "below_min"))
                if any(v >= spec["max"] for v in ok):
                    out.add((col, "above_max"))
    return sorted(out)


def validate_range_on_everything(data, schema):
    out = set(validate_columns(data, schema))
    for col, spec in schema.items():  # range checks even after a wrong type was found
        if col in data and spec["type"] == "number":
            ok = [v for v in data[col] if not _missing(v)]
            if any(v < spec["min"] for v in ok):  # TypeError on the string "heavy"
                out.add((col, "below_min"))
    return sorted(out)


def invariance_changed_share(predict, X, perturb):
    return 1.0 - invariance(predict, X, perturb)


def invariance_without_copy(predict, X, perturb):
    before = predict(X)
    return float(np.mean(before == predict(perturb(X))))


def directional_ignores_direction(score, X, feature, delta, direction):
    return directional(score, X, feature, delta, 1)


def directional_counts_ties(score, X, feature, delta, direction):
    X2 = X.copy()
    X2[:, feature] += delta
    return float(np.mean(direction * (score(X2) - score(X)) <= 0))


def directional_in_place(score, X, feature, delta, direction):
    s0 = score(X)
    X[:, feature] += delta
    return float(np.mean(direction * (score(X) - s0) < -1e-12))


def regressions_two_sided(current, baseline, tolerance, higher_is_better):
    return sorted(
        n for n in baseline if n not in current or abs(current[n] - baseline[n]) > tolerance[n]
    )


def regressions_higher_always_better(current, baseline, tolerance, higher_is_better):
    return sorted(
        n for n in baseline if n not in current or current[n] < baseline[n] - tolerance[n]
    )


def regressions_skip_missing(current, baseline, tolerance, higher_is_better):
    return [n for n in regressions(current, baseline, tolerance, higher_is_better) if n in current]


MISTAKES = {
    "pp1.validate_columns": [
        (validate_missing_as_count, "FRACTION"),
        (validate_exclusive_limits, "inclusive"),
        (validate_range_on_everything, "skip the range checks"),
    ],
    "pp1.invariance": [
        (invariance_changed_share, "UNCHANGED"),
        (invariance_without_copy, "in place"),
    ],
    "pp1.directional": [
        (directional_ignores_direction, "multiply the change by `direction`"),
        (directional_counts_ties, "exactly 0 is not a violation"),
        (directional_in_place, "in place"),
    ],
    "pp1.regressions": [
        (regressions_two_sided, "only getting WORSE"),
        (regressions_higher_always_better, "lower is better"),
        (regressions_skip_missing, "missing from `current`"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
