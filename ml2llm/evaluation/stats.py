"""Uncertainty and significance for model comparisons: bootstrap CIs, paired tests, McNemar.

- :func:`bootstrap_ci`: percentile bootstrap confidence interval of a statistic (default the
  mean) of one sample. Resamples are ``rng.integers(0, n, (n_resamples, n))`` — the same
  draws as :func:`scipy.stats.bootstrap` with ``method="percentile"`` and the same seed, so
  both give identical intervals.
- :func:`paired_bootstrap`: CI and two-sided p-value of ``mean(b) - mean(a)`` when ``a[i]``
  and ``b[i]`` are two models' scores on the *same* example ``i``; the examples are
  resampled together, which keeps the pairing (and its usually large correlation).
- :func:`mcnemar`: McNemar's test for two paired binary outcomes (right/wrong per example).
  Only discordant pairs carry information: ``b`` = first right and second wrong, ``c`` = the
  reverse. ``exact=True`` (default, use it when ``b + c < 25``) is the two-sided binomial
  test of ``min(b, c)`` under ``Binomial(b + c, 1/2)``; otherwise the chi-square statistic
  ``(|b - c| - 1)^2 / (b + c)`` (continuity-corrected) on 1 degree of freedom.
  Agrees with ``statsmodels.stats.contingency_tables.mcnemar``, except that the corrected
  ``|b - c| - 1`` is clipped at 0 when ``b == c`` (statsmodels squares the -1).

What it does not do: BCa or studentised intervals, multiple-comparison corrections (divide
alpha by the number of tasks yourself, Bonferroni), stratified or cluster bootstrap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["BootstrapResult", "McNemarResult", "bootstrap_ci", "mcnemar", "paired_bootstrap"]


@dataclass(frozen=True)
class BootstrapResult:
    """A point estimate with a ``confidence`` interval ``[low, high]`` (and a p-value if paired)."""

    estimate: float
    low: float
    high: float
    confidence: float
    n: int
    pvalue: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test: ``b`` = only the first model right, ``c`` = only the second right."""

    statistic: float
    pvalue: float
    b: int
    c: int
    exact: bool

    def to_dict(self) -> dict:
        return asdict(self)


def _sample(values, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of numbers, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must hold finite numbers only")
    return x


def _check_common(confidence, n_resamples):
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive int, got {n_resamples!r}")


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def bootstrap_ci(
    values, statistic=np.mean, n_resamples: int = 2000, confidence: float = 0.95, seed=0
) -> BootstrapResult:
    """Percentile bootstrap CI of ``statistic(values)``.

    Parameters
    ----------
    values : 1-D array-like of float
        Per-example scores (0/1 for exact match, in [0, 1] for F1, NLLs...).
    statistic : callable
        ``statistic(x, axis=-1)`` vectorised over rows (``np.mean``, ``np.median``...).
    n_resamples : int
    confidence : float in (0, 1)
    seed : int, None or numpy Generator

    Returns
    -------
    BootstrapResult
        ``estimate = statistic(values)``; ``low``/``high`` are the ``(1 ± confidence)/2``
        percentiles of the resampled statistics (linear interpolation, as NumPy and SciPy).
    """
    x = _sample(values, "values")
    _check_common(confidence, n_resamples)
    idx = _rng(seed).integers(0, x.size, (n_resamples, x.size))
    stats = np.asarray(statistic(x[idx], axis=-1), dtype=float)
    alpha = (1 - confidence) / 2
    low, high = np.percentile(stats, [100 * alpha, 100 * (1 - alpha)])
    return BootstrapResult(float(statistic(x)), float(low), float(high), confidence, int(x.size))


def paired_bootstrap(
    a, b, n_resamples: int = 2000, confidence: float = 0.95, seed=0
) -> BootstrapResult:
    """Paired bootstrap of ``mean(b) - mean(a)`` (same examples, two models).

    The p-value is two-sided: ``2 * (k + 1) / (B + 1)`` where ``k`` is the smaller of the
    numbers of resampled differences ``<= 0`` and ``>= 0`` (the percentile-interval test of
    "no difference", with the usual +1 so that B resamples never claim p = 0), capped at 1.
    Two identical score vectors give a difference of exactly 0 and ``pvalue = 1``.
    """
    x, y = _sample(a, "a"), _sample(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same length (paired), got {x.size} and {y.size}")
    _check_common(confidence, n_resamples)
    d = y - x
    idx = _rng(seed).integers(0, d.size, (n_resamples, d.size))
    diffs = d[idx].mean(axis=-1)
    alpha = (1 - confidence) / 2
    low, high = np.percentile(diffs, [100 * alpha, 100 * (1 - alpha)])
    tail = min(int(np.sum(diffs <= 0)), int(np.sum(diffs >= 0)))
    p = min(1.0, 2 * (tail + 1) / (n_resamples + 1))  # never exactly 0 from B resamples
    return BootstrapResult(
        float(d.mean()), float(low), float(high), confidence, int(d.size), float(p)
    )


def _binary(values, name: str) -> np.ndarray:
    x = np.asarray(values)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of 0/1 outcomes")
    if not np.all(np.isin(x, [0, 1])):
        raise ValueError(f"{name} must hold only 0/1 (or False/True) outcomes")
    return x.astype(bool)


def mcnemar(a_correct, b_correct, exact: bool = True, correction: bool = True) -> McNemarResult:
    """McNemar's test of "both models have the same accuracy" on paired 0/1 outcomes.

    Parameters
    ----------
    a_correct, b_correct : 1-D array-like of 0/1 or bool, same length
    exact : bool
        Binomial test (statistic ``min(b, c)``) or chi-square (statistic as above).
    correction : bool
        Continuity correction of the chi-square version.

    Returns
    -------
    McNemarResult
        With no discordant pair (``b + c == 0``) there is no evidence of a difference:
        ``pvalue = 1`` and ``statistic = 0``.
    """
    from scipy import stats

    x, y = _binary(a_correct, "a_correct"), _binary(b_correct, "b_correct")
    if x.shape != y.shape:
        raise ValueError(
            f"a_correct and b_correct must have the same length, got {x.size} and {y.size}"
        )
    b, c = int(np.sum(x & ~y)), int(np.sum(~x & y))
    n = b + c
    if exact:
        if n == 0:
            return McNemarResult(0.0, 1.0, b, c, True)
        p = min(1.0, 2 * stats.binom.cdf(min(b, c), n, 0.5))
        return McNemarResult(float(min(b, c)), float(p), b, c, True)
    if n == 0:
        return McNemarResult(0.0, 1.0, b, c, False)
    num = abs(b - c) - (1 if correction else 0)
    stat = max(num, 0) ** 2 / n
    return McNemarResult(float(stat), float(stats.chi2.sf(stat, 1)), b, c, False)
