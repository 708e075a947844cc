"""Checks for Project P2 — MLOps statistics (two-proportion z-test, power, sample size,
peeking, PSI, KS statistic). References are in :mod:`ml2llm.pro.mlops`."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.pro import mlops as ref


# ----------------------------------------------------------------- z-test
def _z_cases():
    return [
        Case((100, 1000, 130, 1000)),
        Case((50, 400, 40, 500)),
        Case((30, 200, 30, 200), hint="equal rates give z = 0 and p = 1."),
        Case((12, 90, 25, 110)),
    ]


def _z_unpooled(xa, na, xb, nb):
    pa, pb = xa / na, xb / nb
    z = (pb - pa) / math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return z, 2 * stats.norm.sf(abs(z))


def _z_one_sided(xa, na, xb, nb):
    z, _ = ref.two_proportion_ztest(xa, na, xb, nb)
    return z, stats.norm.sf(abs(z))


def _z_swapped(xa, na, xb, nb):
    z, p = ref.two_proportion_ztest(xa, na, xb, nb)
    return -z, p


register(
    Check(
        "pp2.two_proportion_z",
        reference=lambda xa, na, xb, nb: ref.two_proportion_ztest(xa, na, xb, nb),
        cases=_z_cases,
        hint="z = (p̂_B − p̂_A) / sqrt(p̂(1−p̂)(1/n_A + 1/n_B)) with the pooled p̂; p = 2·P(Z > |z|).",
        mistakes=[
            Mistake(
                "unpooled",
                _z_unpooled,
                "under H0 both arms share one rate: use the pooled p̂ = (x_A + x_B)/(n_A + n_B) in the standard error.",
            ),
            Mistake(
                "one-sided",
                _z_one_sided,
                "the test is two-sided: double the tail probability, p = 2·P(Z > |z|).",
            ),
            Mistake("swapped", _z_swapped, "sign: z is B minus A (treatment minus control)."),
        ],
    )
)


# ----------------------------------------------------------------- power
def _power_cases():
    return [
        Case((0.10, 0.12, 2000, 0.05)),
        Case((0.30, 0.25, 500, 0.05)),
        Case((0.05, 0.06, 10000, 0.01)),
        Case((0.5, 0.6, 50, 0.10)),
    ]


def _h(p1, p2):
    return abs(2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1)))


def _power_variant(n_scale=0.5, one_sided_crit=False, raw_diff=False):
    def wrong(p1, p2, n, alpha):
        h = abs(p2 - p1) if raw_diff else _h(p1, p2)
        crit = stats.norm.isf(alpha if one_sided_crit else alpha / 2)
        s = h * math.sqrt(n * n_scale)
        return stats.norm.sf(crit - s) + stats.norm.cdf(-crit - s)

    return wrong


register(
    Check(
        "pp2.power",
        reference=ref.power_two_proportions,
        cases=_power_cases,
        hint="power = Φ(|h|·sqrt(n/2) − z_{1−α/2}) + Φ(−|h|·sqrt(n/2) − z_{1−α/2}).",
        mistakes=[
            Mistake(
                "n not halved",
                _power_variant(n_scale=1.0),
                "the difference of two arms has variance 1/n + 1/n = 2/n: use sqrt(n/2), not sqrt(n).",
            ),
            Mistake(
                "one-sided crit",
                _power_variant(one_sided_crit=True),
                "a two-sided test at level α uses z_{1−α/2} as its critical value.",
            ),
            Mistake(
                "raw difference",
                _power_variant(raw_diff=True),
                "use Cohen's h = 2·asin(sqrt(p2)) − 2·asin(sqrt(p1)), not p2 − p1.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- sample size
def _n_cases():
    return [
        Case((0.10, 0.12, 0.05, 0.8)),
        Case((0.30, 0.25, 0.05, 0.9)),
        Case((0.05, 0.06, 0.01, 0.8)),
        Case((0.5, 0.6, 0.10, 0.8)),
    ]


def _n_raw(p1, p2, alpha, power, scale=2.0, rounding=math.ceil, power_sign=1.0):
    z = stats.norm.isf(alpha / 2) + power_sign * stats.norm.ppf(power)
    return int(rounding(scale * (z / _h(p1, p2)) ** 2))


def _n_compare(expected, got):
    from ml2llm.checks import Mismatch

    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        raise Mismatch(f"expected a whole number of users (int), got {type(got).__name__}")
    if int(got) != int(expected):
        raise Mismatch(f"expected {expected}, got {got}")


register(
    Check(
        "pp2.sample_size",
        reference=ref.sample_size_two_proportions,
        cases=_n_cases,
        hint="n = 2·((z_{1−α/2} + z_{power}) / h)², rounded UP to a whole user.",
        compare=_n_compare,
        mistakes=[
            Mistake(
                "rounded",
                lambda p1, p2, a, pw: _n_raw(p1, p2, a, pw, rounding=round),
                "round up (math.ceil): rounding down leaves the test short of the power you asked for.",
            ),
            Mistake(
                "no factor 2",
                lambda p1, p2, a, pw: _n_raw(p1, p2, a, pw, scale=1.0),
                "two arms: the variance of the difference is 2/n, so n = 2·((z_α + z_β)/h)².",
            ),
            Mistake(
                "power sign",
                lambda p1, p2, a, pw: _n_raw(p1, p2, a, pw, power_sign=-1.0),
                "z_{power} = Φ⁻¹(power) is positive for power > 0.5: add it, don't subtract it.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- peeking
def _peek_cases():
    rng = np.random.default_rng(3)
    return [
        Case((np.array([[0.01, 0.2], [0.3, 0.04], [0.5, 0.6]]), 0.05)),
        Case(
            (
                np.array([[0.2, 0.01, 0.3], [0.04, 0.5, 0.02], [0.7, 0.8, 0.9], [0.3, 0.2, 0.1]]),
                0.05,
            )
        ),
        Case((rng.uniform(size=(200, 5)), 0.05), label="p_values: 200 A/A experiments × 5 looks"),
        Case(
            (np.array([[0.05, 0.05], [0.049, 0.5]]), 0.05),
            hint="significant means p < alpha, strictly.",
        ),
    ]


register(
    Check(
        "pp2.peeking",
        reference=ref.peeking_rates,
        cases=_peek_cases,
        hint="fpr_final: share of rows with p < alpha in the LAST column; fpr_peeking: share of rows with p < alpha in ANY column.",
        mistakes=[
            Mistake(
                "mean over looks",
                lambda p, a: (float((p[:, -1] < a).mean()), float((p < a).mean())),
                "a peeking experiment stops at its first significant look: count rows with ANY p < alpha, not the share of all looks.",
            ),
            Mistake(
                "first look",
                lambda p, a: (float((p[:, 0] < a).mean()), float((p < a).any(axis=1).mean())),
                "the planned analysis happens once, at the LAST look (column -1).",
            ),
            Mistake(
                "<=",
                lambda p, a: (float((p[:, -1] <= a).mean()), float((p <= a).any(axis=1).mean())),
                "significant means p < alpha, strictly.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- PSI
def _psi_cases():
    rng = np.random.default_rng(4)
    ref_sample = rng.normal(size=1000)
    return [
        Case((ref_sample, rng.normal(size=800), 10), label="same distribution (PSI near 0)"),
        Case((ref_sample, rng.normal(0.5, 1.0, size=800), 10), label="mean shifted by 0.5"),
        Case((ref_sample, rng.normal(0, 2.0, size=600), 5), label="variance x4, 5 bins"),
        Case(
            (ref_sample, rng.normal(4.0, 0.2, size=300), 10),
            label="far shift: most bins of `actual` are empty",
            hint="clip bin fractions at eps=1e-4 before the log, or empty bins give inf.",
        ),
        Case(
            (rng.exponential(size=500), rng.exponential(1.3, size=500), 4), label="skewed, 4 bins"
        ),
        Case((ref_sample, rng.normal(0.3, 1.2, size=500), 3), label="3 bins (terciles)"),
        Case((ref_sample, rng.normal(-0.3, 1.0, size=500), 2), label="2 bins (the median)"),
    ]


def _psi_variant(edges_from="expected", kl_only=False, eps=1e-4, equal_width=False):
    def wrong(expected, actual, n_bins=10):
        src = {"expected": expected, "actual": actual}[edges_from]
        if equal_width:
            edges = np.linspace(expected.min(), expected.max(), n_bins + 1)[1:-1]
        else:
            edges = np.quantile(src, np.linspace(0, 1, n_bins + 1)[1:-1])
        e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=n_bins)
        a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=n_bins)
        e, a = e / e.sum(), a / a.sum()
        if eps:
            e, a = np.clip(e, eps, None), np.clip(a, eps, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            if kl_only:
                return float(np.sum(a * np.log(a / e)))
            return float(np.sum((a - e) * np.log(a / e)))

    return wrong


register(
    Check(
        "pp2.psi",
        reference=ref.psi,
        cases=_psi_cases,
        hint="edges = quantiles of `expected`; fractions per bin for both samples, clipped at 1e-4; PSI = Σ (a − e)·ln(a/e).",
        mistakes=[
            Mistake(
                "edges from actual",
                _psi_variant(edges_from="actual"),
                "take the bin edges from the reference (`expected`): they must stay fixed while new data arrives.",
            ),
            Mistake(
                "KL only",
                _psi_variant(kl_only=True),
                "PSI is Σ (a − e)·ln(a/e) (a symmetric KL), not Σ a·ln(a/e).",
            ),
            Mistake(
                "no clipping",
                _psi_variant(eps=0.0),
                "clip bin fractions at eps=1e-4 before the log, or empty bins give inf.",
            ),
            Mistake(
                "equal width",
                _psi_variant(equal_width=True),
                "use quantile bins of `expected` (np.quantile), not equal-width bins.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- KS statistic
def _ks_cases():
    rng = np.random.default_rng(5)
    return [
        Case((np.array([1.0, 2.0, 3.0]), np.array([2.5, 3.5]))),
        Case(
            (np.array([0.0, 1.0, 1.0, 2.0]), np.array([1.0, 1.0, 3.0])),
            hint="ties: F(x) counts values <= x.",
        ),
        Case(
            (rng.normal(size=300), rng.normal(0.4, 1.0, size=200)), label="normal vs shifted normal"
        ),
        Case(
            (np.array([5.0, 6.0, 7.0]), np.array([1.0, 2.0, 3.0, 4.0])),
            hint="b lies entirely below a: D = 1.",
        ),
        Case(
            (rng.integers(0, 5, 60).astype(float), rng.integers(0, 6, 40).astype(float)),
            label="integer data with many ties",
        ),
    ]


def _ks_variant(points="both", sort=True, signed=False, same_n=False):
    def wrong(a, b):
        if sort:
            a, b = np.sort(a), np.sort(b)
        pts = {"both": np.concatenate([a, b]), "a": a}[points]
        nb = a.size if same_n else b.size
        diff = (
            np.searchsorted(a, pts, side="right") / a.size
            - np.searchsorted(b, pts, side="right") / nb
        )
        return float(np.max(diff if signed else np.abs(diff)))

    return wrong


register(
    Check(
        "pp2.ks_statistic",
        reference=lambda a, b: ref.ks_2sample(a, b)[0],
        cases=_ks_cases,
        hint="D = max |F_a(x) − F_b(x)| over every observed x of both samples, with F(x) = share of values <= x.",
        mistakes=[
            Mistake(
                "only a's points",
                _ks_variant(points="a"),
                "evaluate both CDFs at the points of BOTH samples: the largest gap can sit at a point of b.",
            ),
            Mistake(
                "unsorted",
                _ks_variant(sort=False),
                "np.searchsorted needs a sorted array: sort a and b first.",
            ),
            Mistake(
                "same n",
                _ks_variant(same_n=True),
                "each CDF is divided by its own sample size (len(a) for F_a, len(b) for F_b).",
            ),
            Mistake(
                "signed",
                _ks_variant(signed=True),
                "take the absolute difference |F_a − F_b|: the gap can go either way.",
            ),
        ],
    )
)
