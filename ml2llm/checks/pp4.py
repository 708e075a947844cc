"""Checks for Project P4 — capstone (release gate, reference profile, PSI from a stored
profile). References are in :mod:`ml2llm.pro.capstone`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mismatch, Mistake, register
from ml2llm.pro import capstone as ref

NAN = float("nan")


# ----------------------------------------------------------------- release gate
def _gate_cases():
    gate = {"accuracy": ("min", 0.95), "log_loss": ("max", 0.2), "worst_group": ("min", 0.9)}
    return [
        Case(
            ({"accuracy": 0.97, "log_loss": 0.1, "worst_group": 0.93}, gate),
            label="every metric clears its threshold",
        ),
        Case(
            ({"accuracy": 0.94, "log_loss": 0.25, "worst_group": 0.93}, gate),
            label="accuracy too low and log-loss too high",
        ),
        Case(
            ({"accuracy": 0.95, "log_loss": 0.2, "worst_group": 0.9}, gate),
            label="every metric exactly at its threshold",
            hint="thresholds are inclusive: 0.95 passes a ('min', 0.95) gate.",
        ),
        Case(
            ({"accuracy": 0.99, "log_loss": 0.05}, gate),
            label="worst_group missing",
            hint="a metric that is missing (or NaN) fails its gate.",
        ),
        Case(
            ({"accuracy": 0.99, "log_loss": 0.05, "worst_group": NAN}, gate),
            label="worst_group is NaN",
            hint="a metric that is missing (or NaN) fails its gate.",
        ),
    ]


def _gate_variant(kind):
    def wrong(metrics, thresholds):
        fails = []
        for name, (k, limit) in thresholds.items():
            v = metrics.get(name)
            if v is None:
                if kind != "skip missing":
                    fails.append(name)
                continue
            if kind == "nan passes" and v != v:
                continue
            if kind == "strict":
                bad = v <= limit if k == "min" else v >= limit
            elif kind == "all min":
                bad = v < limit
            else:
                bad = not (v >= limit) if k == "min" else not (v <= limit)
            if bad:
                fails.append(name)
        return not fails, sorted(fails)

    return wrong


def _gate_compare(expected, got):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f"expected a tuple (ship, failures), got {type(got).__name__}")
    if bool(got[0]) != expected[0] or list(got[1]) != list(expected[1]):
        raise Mismatch(f"expected {expected}, got ({got[0]}, {list(got[1])})")


register(
    Check(
        "pp4.release_decision",
        reference=ref.release_decision,
        cases=_gate_cases,
        compare=_gate_compare,
        hint="for each (name, (kind, limit)): fail if missing/NaN, or value < limit for 'min', value > limit for 'max'; return (not failures, sorted(failures)).",
        mistakes=[
            Mistake(
                "strict",
                _gate_variant("strict"),
                "thresholds are inclusive: 0.95 passes a ('min', 0.95) gate.",
            ),
            Mistake(
                "all min",
                _gate_variant("all min"),
                "a ('max', v) gate fails when the metric is ABOVE v (log-loss: lower is better).",
            ),
            Mistake(
                "skip missing",
                _gate_variant("skip missing"),
                "a metric that is missing (or NaN) fails its gate.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- reference profile
def _profile_cases():
    rng = np.random.default_rng(0)
    with_nan = rng.normal(200, 14, 120)
    with_nan[::10] = np.nan
    return [
        Case((np.arange(1.0, 11.0), 5)),
        Case((rng.normal(200, 14, 300), 10), label="300 flipper lengths, 10 bins"),
        Case(
            (with_nan, 4),
            label="120 values, every 10th missing (NaN), 4 bins",
            hint="drop NaNs first: np.quantile of an array with NaN is NaN.",
        ),
        Case(
            (np.array([1.0, 1.0, 1.0, 2.0, 3.0, 3.0]), 3),
            label="ties at the edges",
            hint="bin with np.searchsorted(edges, x, side='right').",
        ),
    ]


def _profile_variant(kind):
    def wrong(values, n_bins=10):
        x = np.asarray(values, dtype=float)
        if kind != "keep nan":
            x = x[~np.isnan(x)]
        if kind == "all edges":
            edges = np.quantile(x, np.linspace(0, 1, n_bins + 1))
            counts = np.histogram(x, bins=edges)[0]
            return edges, counts / x.size
        edges = (
            np.nanquantile(x, np.linspace(0, 1, n_bins + 1)[1:-1])
            if kind == "keep nan"
            else np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1])
        )
        side = "left" if kind == "left" else "right"
        counts = np.bincount(np.searchsorted(edges, x[~np.isnan(x)], side=side), minlength=n_bins)
        denom = x.size if kind == "keep nan" else x.size
        return edges, (counts if kind == "counts" else counts / denom)

    return wrong


register(
    Check(
        "pp4.feature_profile",
        reference=ref.feature_profile,
        cases=_profile_cases,
        hint="drop NaNs; edges = np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1]); fractions = bincount(searchsorted(edges, x, side='right'), minlength=n_bins) / len(x).",
        mistakes=[
            Mistake(
                "all edges",
                _profile_variant("all edges"),
                "store only the n_bins − 1 INNER edges (drop the min and max): new data can fall outside the old range.",
            ),
            Mistake(
                "counts",
                _profile_variant("counts"),
                "store fractions (counts / number of values), so the profile does not depend on the sample size.",
            ),
            Mistake(
                "keep nan",
                _profile_variant("keep nan"),
                "fractions are over PRESENT values: divide by the number of non-NaN values.",
            ),
            Mistake(
                "left",
                _profile_variant("left"),
                "bin with np.searchsorted(edges, x, side='right').",
            ),
        ],
    )
)


# ----------------------------------------------------------------- PSI from a profile
def _psi_cases():
    rng = np.random.default_rng(1)
    edges, fr = ref.feature_profile(rng.normal(200, 14, 1000), 10)
    e4, f4 = ref.feature_profile(rng.normal(0, 1, 500), 4)
    shifted = rng.normal(206, 14, 400)
    shifted[:40] = np.nan
    return [
        Case(
            (edges, fr, rng.normal(200, 14, 500)),
            label="profile of 1000 flipper lengths; new data from the same distribution",
        ),
        Case((edges, fr, rng.normal(210, 14, 500)), label="new data shifted by +10 mm"),
        Case(
            (e4, f4, shifted / 14 - 206 / 14 + 0.5),
            label="4-bin profile; shifted new data with 10% NaN",
            hint="ignore NaNs in the new values.",
        ),
        Case(
            (e4, f4, np.full(50, 10.0)),
            label="all new values far above the last edge",
            hint="clip both fraction vectors at eps=1e-4 before the log.",
        ),
    ]


def _psi_variant(kind):
    def wrong(edges, fractions, values):
        x = np.asarray(values, dtype=float)
        n = x.size
        x = x[~np.isnan(x)]
        a = np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(fractions))
        a = a / (n if kind == "nan in denominator" else x.size)
        e = np.asarray(fractions)
        if kind != "no clip":
            a, e = np.clip(a, 1e-4, None), np.clip(e, 1e-4, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "swapped":
                return float(np.sum((e - a) * np.log(a / e)))
            return float(np.sum((a - e) * np.log(a / e)))

    return wrong


register(
    Check(
        "pp4.psi_from_profile",
        reference=ref.psi_from_profile,
        cases=_psi_cases,
        hint="a = bincount(searchsorted(edges, x, side='right')) / len(x) over non-NaN x; clip a and e at 1e-4; PSI = Σ (a − e)·ln(a/e).",
        mistakes=[
            Mistake(
                "swapped",
                _psi_variant("swapped"),
                "PSI = Σ (a − e)·ln(a/e): both factors with the same orientation, so every term is ≥ 0.",
            ),
            Mistake(
                "no clip",
                _psi_variant("no clip"),
                "clip both fraction vectors at eps=1e-4 before the log.",
            ),
            Mistake(
                "nan in denominator",
                _psi_variant("nan in denominator"),
                "ignore NaNs in the new values.",
            ),
        ],
    )
)
