"""Project P2 checks pass correct code and catch typical wrong code with the right hint."""

import math

import numpy as np
from scipy.stats import norm

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def ztest(xa, na, xb, nb):
    p = (xa + xb) / (na + nb)
    z = (xb / nb - xa / na) / math.sqrt(p * (1 - p) * (na + nb) / (na * nb))
    return z, 2 * norm.cdf(-abs(z))


def h(p1, p2):
    return 2 * (math.asin(p2**0.5) - math.asin(p1**0.5))


def power(p1, p2, n, alpha):
    s, c = abs(h(p1, p2)) * math.sqrt(n / 2), norm.ppf(1 - alpha / 2)
    return norm.cdf(s - c) + norm.cdf(-s - c)


def sample_size(p1, p2, alpha, pw):
    return math.ceil(2 * (norm.ppf(1 - alpha / 2) + norm.ppf(pw)) ** 2 / h(p1, p2) ** 2)


def peeking(p_values, alpha):
    sig = p_values < alpha
    return sig[:, -1].sum() / len(sig), np.max(sig, axis=1).sum() / len(sig)


def psi(expected, actual, n_bins=10):
    qs = np.quantile(expected, [k / n_bins for k in range(1, n_bins)])
    frac = []
    for x in (expected, actual):
        idx = np.digitize(x, qs)  # right-open bins, same as searchsorted(side="right")
        frac.append(np.maximum(np.array([np.mean(idx == k) for k in range(n_bins)]), 1e-4))
    e, a = frac
    return float(np.sum(a * np.log(a / e)) + np.sum(e * np.log(e / a)))


def ks_statistic(a, b):
    grid = np.unique(np.concatenate([a, b]))
    fa = np.array([np.mean(a <= g) for g in grid])
    fb = np.array([np.mean(b <= g) for g in grid])
    return float(np.abs(fa - fb).max())


REFERENCES = {
    "pp2.two_proportion_z": ztest,
    "pp2.power": power,
    "pp2.sample_size": sample_size,
    "pp2.peeking": peeking,
    "pp2.psi": psi,
    "pp2.ks_statistic": ks_statistic,
}


# --- typical mistakes ------------------------------------------------------------------
def z_unpooled(xa, na, xb, nb):
    pa, pb = xa / na, xb / nb
    z = (pb - pa) / math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return z, 2 * norm.sf(abs(z))


def z_one_tail(xa, na, xb, nb):
    z, p = ztest(xa, na, xb, nb)
    return z, p / 2


def z_a_minus_b(xa, na, xb, nb):
    z, p = ztest(xa, na, xb, nb)
    return -z, p


def power_full_n(p1, p2, n, alpha):
    return power(p1, p2, 2 * n, alpha)


def power_one_sided_crit(p1, p2, n, alpha):
    return power(p1, p2, n, 2 * alpha)


def power_raw_diff(p1, p2, n, alpha):
    s, c = abs(p2 - p1) * math.sqrt(n / 2), norm.ppf(1 - alpha / 2)
    return norm.cdf(s - c) + norm.cdf(-s - c)


def n_int_truncated(p1, p2, alpha, pw):
    return int(round(2 * (norm.ppf(1 - alpha / 2) + norm.ppf(pw)) ** 2 / h(p1, p2) ** 2))


def n_no_two(p1, p2, alpha, pw):
    return math.ceil((norm.ppf(1 - alpha / 2) + norm.ppf(pw)) ** 2 / h(p1, p2) ** 2)


def n_minus_power(p1, p2, alpha, pw):
    return math.ceil(2 * (norm.ppf(1 - alpha / 2) - norm.ppf(pw)) ** 2 / h(p1, p2) ** 2)


def peek_share_of_looks(p_values, alpha):
    return float(np.mean(p_values[:, -1] < alpha)), float(np.mean(p_values < alpha))


def peek_first_column(p_values, alpha):
    return float(np.mean(p_values[:, 0] < alpha)), float(np.mean((p_values < alpha).any(1)))


def psi_actual_edges(expected, actual, n_bins=10):
    return psi(actual, expected, n_bins)  # edges from the new data (and PSI is symmetric)


def psi_kl(expected, actual, n_bins=10):
    qs = np.quantile(expected, np.linspace(0, 1, n_bins + 1)[1:-1])
    e = np.maximum(np.bincount(np.digitize(expected, qs), minlength=n_bins) / len(expected), 1e-4)
    a = np.maximum(np.bincount(np.digitize(actual, qs), minlength=n_bins) / len(actual), 1e-4)
    return float(np.sum(a * np.log(a / e)))


def psi_no_eps(expected, actual, n_bins=10):
    qs = np.quantile(expected, np.linspace(0, 1, n_bins + 1)[1:-1])
    e = np.bincount(np.digitize(expected, qs), minlength=n_bins) / len(expected)
    a = np.bincount(np.digitize(actual, qs), minlength=n_bins) / len(actual)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum((a - e) * np.log(a / e)))


def ks_points_of_a(a, b):
    return float(max(abs(np.mean(a <= x) - np.mean(b <= x)) for x in a))


def ks_unsorted(a, b):
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def ks_divides_by_len_a(a, b):
    grid = np.concatenate([a, b])
    return float(max(abs(np.sum(a <= x) - np.sum(b <= x)) / len(a) for x in grid))


def ks_signed(a, b):
    grid = np.concatenate([a, b])
    return float(max(np.mean(a <= x) - np.mean(b <= x) for x in grid))


MISTAKES = {
    "pp2.two_proportion_z": [
        (z_unpooled, "pooled"),
        (z_one_tail, "two-sided"),
        (z_a_minus_b, "B minus A"),
    ],
    "pp2.power": [
        (power_full_n, "sqrt(n/2)"),
        (power_one_sided_crit, "z_{1−α/2}"),
        (power_raw_diff, "Cohen's h"),
    ],
    "pp2.sample_size": [
        (n_int_truncated, "round up"),
        (n_no_two, "two arms"),
        (n_minus_power, "add it"),
    ],
    "pp2.peeking": [
        (peek_share_of_looks, "ANY p < alpha"),
        (peek_first_column, "LAST look"),
    ],
    "pp2.psi": [
        (psi_actual_edges, "from the reference"),
        (psi_kl, "symmetric KL"),
        (psi_no_eps, "empty bins give inf"),
    ],
    "pp2.ks_statistic": [
        (ks_points_of_a, "BOTH samples"),
        (ks_unsorted, "sort a and b"),
        (ks_divides_by_len_a, "its own sample size"),
        (ks_signed, "absolute difference"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
