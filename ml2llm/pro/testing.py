"""Testing ML code, models and data (Project P1).

Small, dependency-free helpers that turn the usual ML test ideas into functions a pytest
test can assert on:

- **Data validation:** :func:`validate_columns` checks a table (pandas DataFrame or dict of
  columns) against a column-level schema (presence, type, range, allowed categories, share of
  missing values) and returns ``(column, problem)`` pairs; :func:`penguins_schema` is the
  schema for Project 11's data.
- **Behavioural tests** (Ribeiro et al., "CheckList"): :func:`invariance_rate` (share of
  predictions unchanged by a perturbation that should not matter) and
  :func:`directional_violation_rate` (share of samples whose score moves the wrong way when a
  feature is increased).
- **Model regression tests:** :func:`regressions` compares metrics with a stored baseline and
  per-metric tolerances; :func:`save_baseline` / :func:`load_baseline` keep it as JSON.
- **Training-code tests:** :func:`loss_decreases`, :func:`overfit_one_batch` (a model that
  cannot drive the loss on one small batch to near zero has a bug) and :func:`same_seed_same_result`
  (training twice with one seed gives identical parameters).

Property-based tests themselves use ``hypothesis`` directly (see the notebook and
``tests/pro/test_testing.py``); nothing here wraps it.

Not here: statistical tests of data drift (see :mod:`ml2llm.pro.mlops`), fuzzing, and
test generation.

>>> validate_columns({"mass": [3000, 9000, None]}, {"mass": {"type": "number", "max": 7000}})
[('mass', 'above_max'), ('mass', 'too_many_missing')]
>>> regressions({"acc": 0.90}, {"acc": 0.95}, {"acc": 0.01}, {"acc": True})
['acc']
"""

from __future__ import annotations

import json
import math
from numbers import Real
from pathlib import Path

import numpy as np

__all__ = [
    "PROBLEMS",
    "directional_violation_rate",
    "invariance_rate",
    "load_baseline",
    "loss_decreases",
    "overfit_one_batch",
    "penguins_schema",
    "regressions",
    "same_seed_same_result",
    "save_baseline",
    "validate_columns",
]

PROBLEMS = (
    "missing_column",
    "wrong_type",
    "below_min",
    "above_max",
    "unknown_category",
    "too_many_missing",
)


def _is_missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def _column(data, name):
    values = data[name]
    return list(values.tolist() if hasattr(values, "tolist") else values)


def validate_columns(data, schema):
    """Column-level problems of ``data`` against ``schema``, as sorted ``(column, problem)``.

    ``schema`` maps a column name to a spec dict with ``"type"`` (``"number"`` or
    ``"category"``) and optionally ``"min"``, ``"max"`` (numbers, inclusive), ``"allowed"``
    (categories) and ``"max_missing"`` (the largest allowed *fraction* of missing values,
    default 0). Missing values (None/NaN) are only counted against ``max_missing``; the other
    rules look at present values. A column that is absent gives only ``missing_column``; one
    with a value of the wrong type gives ``wrong_type`` and no range checks. Problems are
    listed once per column (see :data:`PROBLEMS`).
    """
    if not isinstance(schema, dict) or not schema:
        raise ValueError("schema must be a non-empty dict of column name -> spec")
    found = []
    for name, spec in schema.items():
        kind = spec.get("type")
        if kind not in ("number", "category"):
            raise ValueError(
                f"schema[{name!r}]['type'] must be 'number' or 'category', got {kind!r}"
            )
        if name not in data:
            found.append((name, "missing_column"))
            continue
        values = _column(data, name)
        present = [v for v in values if not _is_missing(v)]
        n_missing = len(values) - len(present)
        if values and n_missing / len(values) > spec.get("max_missing", 0.0):
            found.append((name, "too_many_missing"))
        if kind == "number":
            if any(isinstance(v, bool) or not isinstance(v, Real) for v in present):
                found.append((name, "wrong_type"))
                continue
            if "min" in spec and any(v < spec["min"] for v in present):
                found.append((name, "below_min"))
            if "max" in spec and any(v > spec["max"] for v in present):
                found.append((name, "above_max"))
        else:
            if any(not isinstance(v, str) for v in present):
                found.append((name, "wrong_type"))
                continue
            if "allowed" in spec and any(v not in spec["allowed"] for v in present):
                found.append((name, "unknown_category"))
    return sorted(found)


def penguins_schema():
    """Column-level schema for Project 11's penguins table (ranges wide but physical)."""
    return {
        "species": {"type": "category", "allowed": ["Adelie", "Chinstrap", "Gentoo"]},
        "island": {"type": "category", "allowed": ["Biscoe", "Dream", "Torgersen"]},
        "bill_length_mm": {"type": "number", "min": 20, "max": 70, "max_missing": 0.02},
        "bill_depth_mm": {"type": "number", "min": 10, "max": 25, "max_missing": 0.02},
        "flipper_length_mm": {"type": "number", "min": 150, "max": 250, "max_missing": 0.02},
        "body_mass_g": {"type": "number", "min": 2000, "max": 7000, "max_missing": 0.02},
        "sex": {"type": "category", "allowed": ["female", "male"], "max_missing": 0.05},
    }


# ----------------------------------------------------------------- behavioural tests
def invariance_rate(predict, X, perturb):
    """Share of samples whose prediction is unchanged by ``perturb`` (applied to a copy)."""
    before = np.asarray(predict(X))
    after = np.asarray(predict(perturb(X.copy())))
    if before.shape != after.shape or before.ndim != 1:
        raise ValueError(
            f"predict must return one value per sample before and after perturb, got {before.shape} and {after.shape}"
        )
    return float(np.mean(before == after))


def directional_violation_rate(score, X, feature, delta, direction=1, tol=1e-12):
    """Share of samples whose score moves against ``direction`` when ``X[:, feature] += delta``.

    ``direction=+1`` expects the score not to decrease, ``-1`` not to increase; changes within
    ``tol`` are not violations (a flat response is allowed).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or not 0 <= feature < X.shape[1]:
        raise ValueError(
            f"feature must index a column of a 2-D X, got {feature!r} for shape {X.shape}"
        )
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    X2 = X.copy()
    X2[:, feature] += delta
    change = (np.asarray(score(X2), dtype=float) - np.asarray(score(X), dtype=float)) * direction
    return float(np.mean(change < -tol))


# ----------------------------------------------------------------- regression tests
def regressions(current, baseline, tolerance, higher_is_better):
    """Sorted names of metrics worse than ``baseline`` by more than their ``tolerance``.

    A metric missing from ``current`` counts as a regression. Improvements never do.
    """
    bad = []
    for name, ref in baseline.items():
        if name not in current:
            bad.append(name)
            continue
        if name not in tolerance or name not in higher_is_better:
            raise ValueError(f"tolerance and higher_is_better need an entry for metric {name!r}")
        diff = current[name] - ref if higher_is_better[name] else ref - current[name]
        if diff < -tolerance[name]:
            bad.append(name)
    return sorted(bad)


def save_baseline(path, metrics, tolerance, higher_is_better):
    """Write a baseline (metrics, tolerances, directions) as JSON."""
    record = {"metrics": metrics, "tolerance": tolerance, "higher_is_better": higher_is_better}
    Path(path).write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")


def load_baseline(path):
    """Read what :func:`save_baseline` wrote: ``(metrics, tolerance, higher_is_better)``."""
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    return record["metrics"], record["tolerance"], record["higher_is_better"]


# ----------------------------------------------------------------- training-code tests
def loss_decreases(losses, window=5, min_drop=0.0):
    """True when the mean of the last ``window`` losses is below the first ``window``'s by > ``min_drop``."""
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 1 or len(losses) < 2 * window or window < 1:
        raise ValueError(
            f"losses must be 1-D with at least 2*window={2 * window} values, got {losses.shape}"
        )
    if not np.all(np.isfinite(losses)):
        return False
    return bool(losses[:window].mean() - losses[-window:].mean() > min_drop)


def overfit_one_batch(sizes, X, y, steps=300, lr=0.01, random_state=0):
    """Train a fresh ``make_mlp(sizes)`` on one batch with Adam; return the per-step losses."""
    from ml2llm.neural.losses import SoftmaxCrossEntropy
    from ml2llm.neural.model import make_mlp
    from ml2llm.neural.optim import Adam

    net = make_mlp(sizes, random_state=random_state)
    opt = Adam(net.parameters(), lr=lr)
    loss_fn = SoftmaxCrossEntropy()
    losses = []
    for _ in range(int(steps)):
        losses.append(loss_fn.forward(net.forward(np.asarray(X, dtype=float)), np.asarray(y)))
        net.backward(loss_fn.backward())
        opt.step()
    return np.array(losses)


def same_seed_same_result(train, seed=0):
    """Run ``train(seed)`` twice; True when every returned array is bit-for-bit identical."""
    a, b = train(seed), train(seed)
    a = a if isinstance(a, (list, tuple)) else [a]
    b = b if isinstance(b, (list, tuple)) else [b]
    return len(a) == len(b) and all(
        np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b)
    )
