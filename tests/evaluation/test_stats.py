"""Statistics of the evaluation harness against SciPy and statsmodels, on real and synthetic data."""

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_breast_cancer, load_diabetes

from ml2llm.evaluation.stats import bootstrap_ci, mcnemar, paired_bootstrap


def test_bootstrap_ci_equals_scipy_percentile_on_diabetes():
    # Real data: the diabetes target. Same seed -> scipy draws the same resample indices
    # (rng.integers(0, n, (n_resamples, n))), so the intervals must agree to rounding.
    y = load_diabetes().target[:200]
    ours = bootstrap_ci(y, n_resamples=3000, confidence=0.9, seed=np.random.default_rng(7))
    ref = stats.bootstrap(
        (y,), np.mean, n_resamples=3000, confidence_level=0.9, method="percentile",
        rng=np.random.default_rng(7), vectorized=True,
    )  # fmt: skip
    ci = ref.confidence_interval
    np.testing.assert_allclose([ours.low, ours.high], [ci.low, ci.high], rtol=1e-12)
    assert ours.estimate == pytest.approx(y.mean())
    assert ours.low < ours.estimate < ours.high


def test_bootstrap_ci_median_close_to_scipy_with_other_seed():
    # Different resamples: the endpoints differ only by Monte Carlo error. For 4000 resamples
    # the percentile endpoints of the median move by a few units; 5% of the CI width is ample.
    x = load_breast_cancer().data[:, 0]
    ours = bootstrap_ci(x, statistic=np.median, n_resamples=4000, seed=1)
    ref = stats.bootstrap(
        (x,), np.median, n_resamples=4000, method="percentile", rng=np.random.default_rng(2)
    )
    width = ours.high - ours.low
    assert abs(ours.low - ref.confidence_interval.low) < 0.05 * width + 1e-9
    assert abs(ours.high - ref.confidence_interval.high) < 0.05 * width + 1e-9


def test_bootstrap_ci_coverage_on_synthetic_accuracy():
    # Known answer: per-example correctness ~ Bernoulli(0.7), n = 80 (a small eval set).
    # Over 300 repetitions the 95% CI should contain 0.7 about 95% of the time; the
    # percentile bootstrap under-covers slightly for small n. The Monte Carlo SE of the
    # coverage is sqrt(.95*.05/300) = 0.013, so [0.89, 0.99] is a > 4-SE band.
    rng = np.random.default_rng(0)
    hits = 0
    for rep in range(300):
        x = (rng.random(80) < 0.7).astype(float)
        ci = bootstrap_ci(x, n_resamples=1000, seed=rep)
        hits += ci.low <= 0.7 <= ci.high
    coverage = hits / 300
    assert 0.89 <= coverage <= 0.99, coverage


def test_paired_bootstrap_is_bootstrap_of_differences():
    # Paired bootstrap of mean(b) - mean(a) == percentile bootstrap of the differences.
    X = load_breast_cancer().data
    a, b = X[:150, 0], X[:150, 0] + 0.3 * X[:150, 1] / X[:150, 1].std()
    ours = paired_bootstrap(a, b, n_resamples=2000, seed=np.random.default_rng(3))
    ref = stats.bootstrap(
        (b - a,), np.mean, n_resamples=2000, method="percentile", rng=np.random.default_rng(3)
    )
    np.testing.assert_allclose([ours.low, ours.high], ref.confidence_interval, rtol=1e-12)
    assert ours.estimate == pytest.approx(np.mean(b - a))
    assert ours.pvalue < 0.01  # a shift of ~1 SD per example is unmistakable
    # the p-value from the same resamples: 2 (k + 1) / (B + 1), k = resampled diffs on the far side
    d = (b - a)[np.random.default_rng(3).integers(0, 150, (2000, 150))].mean(axis=1)
    k = min(np.sum(d <= 0), np.sum(d >= 0))
    assert ours.pvalue == pytest.approx(min(1.0, 2 * (k + 1) / 2001))


def test_paired_bootstrap_identical_models_no_difference():
    x = (np.random.default_rng(0).random(50) < 0.5).astype(float)
    res = paired_bootstrap(x, x.copy())
    assert (res.estimate, res.low, res.high, res.pvalue) == (0.0, 0.0, 0.0, 1.0)


def test_paired_bootstrap_pvalue_calibrated_under_null():
    # Under H0 (exchangeable pairs) p-values should be roughly uniform: P(p < 0.05) ~ 0.05.
    # 200 repetitions: SE of the rejection rate is 0.015; accept <= 0.12.
    rng = np.random.default_rng(5)
    rejections = 0
    for rep in range(200):
        a = (rng.random(60) < 0.6).astype(float)
        b = (rng.random(60) < 0.6).astype(float)
        rejections += paired_bootstrap(a, b, n_resamples=500, seed=rep).pvalue < 0.05
    assert rejections / 200 <= 0.12


def _tables():
    rng = np.random.default_rng(11)
    for _ in range(40):
        n = int(rng.integers(5, 120))
        a = rng.random(n) < rng.uniform(0.1, 0.9)
        flip = rng.random(n) < rng.uniform(0.0, 0.5)
        yield a, np.where(flip, ~a, a)
    yield np.array([1, 1, 0, 0]), np.array([1, 1, 0, 0])  # no discordant pair


def test_mcnemar_exact_matches_scipy_binomtest():
    for a, b in _tables():
        res = mcnemar(a, b, exact=True)
        n01, n10 = int(np.sum(a & ~b)), int(np.sum(~a & b))
        assert (res.b, res.c) == (n01, n10)
        ref = stats.binomtest(n01, n01 + n10, 0.5).pvalue if n01 + n10 else 1.0
        assert res.pvalue == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("exact,correction", [(True, True), (False, True), (False, False)])
def test_mcnemar_matches_statsmodels(exact, correction):
    sm = pytest.importorskip("statsmodels.stats.contingency_tables")
    for a, b in _tables():
        table = np.array([[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]])
        if table[0, 1] + table[1, 0] == 0:
            continue  # statsmodels returns nan for the chi-square here; ours defines p = 1
        if not exact and correction and table[0, 1] == table[1, 0]:
            # statsmodels squares |b - c| - 1 = -1 (statistic 1/(b+c)); we clip at 0 (p = 1),
            # the usual form of the continuity correction. Checked separately below.
            assert mcnemar(a, b, exact=False).pvalue == 1.0
            continue
        ref = sm.mcnemar(table, exact=exact, correction=correction)
        res = mcnemar(a, b, exact=exact, correction=correction)
        assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-10)


def test_mcnemar_chi2_matches_scipy_chi2():
    a = np.array([1] * 30 + [0] * 10 + [1] * 25 + [0] * 35, bool)
    b = np.array([0] * 30 + [1] * 10 + [1] * 25 + [0] * 35, bool)
    res = mcnemar(a, b, exact=False)
    assert res.statistic == pytest.approx((abs(30 - 10) - 1) ** 2 / 40)
    assert res.pvalue == pytest.approx(stats.chi2.sf((19**2) / 40, df=1))


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: bootstrap_ci([]), "values"),
        (lambda: bootstrap_ci([1.0, np.nan]), "finite"),
        (lambda: bootstrap_ci([1.0, 2.0], confidence=95), "confidence"),
        (lambda: bootstrap_ci([1.0, 2.0], n_resamples=0), "n_resamples"),
        (lambda: paired_bootstrap([1.0, 2.0], [1.0]), "same length"),
        (lambda: mcnemar([0, 1, 2], [0, 1, 1]), "0/1"),
        (lambda: mcnemar([0, 1], [0, 1, 1]), "same length"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
