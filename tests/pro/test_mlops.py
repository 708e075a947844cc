"""ml2llm.pro.mlops against statsmodels and scipy, and an MLflow run in a temporary store."""

import numpy as np
import pytest
from scipy import stats

from ml2llm.pro import mlops


@pytest.fixture
def sm_prop():
    return pytest.importorskip("statsmodels.stats.proportion")


@pytest.fixture
def sm_power():
    return pytest.importorskip("statsmodels.stats.power")


@pytest.mark.parametrize(
    "counts", [(100, 1000, 130, 1000), (48, 520, 31, 480), (7, 60, 19, 75), (300, 300 * 4, 80, 400)]
)
@pytest.mark.parametrize("alternative", ["two-sided", "larger", "smaller"])
def test_ztest_equals_statsmodels(counts, alternative, sm_prop):
    xa, na, xb, nb = counts
    z, p = mlops.two_proportion_ztest(xa, na, xb, nb, alternative=alternative)
    z_ref, p_ref = sm_prop.proportions_ztest([xb, xa], [nb, na], alternative=alternative)
    # same closed form, different order of floating-point operations: 1e-12 relative
    assert z == pytest.approx(z_ref, rel=1e-12)
    assert p == pytest.approx(p_ref, rel=1e-10)


@pytest.mark.parametrize("p1,p2,n,alpha", [(0.1, 0.12, 2000, 0.05), (0.3, 0.25, 400, 0.01)])
def test_power_and_sample_size_equal_statsmodels(p1, p2, n, alpha, sm_prop, sm_power):
    h = mlops.cohens_h(p1, p2)
    assert h == pytest.approx(sm_prop.proportion_effectsize(p2, p1), rel=1e-12)
    ref = sm_power.NormalIndPower()
    # identical normal-approximation formula: agreement to rounding (1e-10)
    assert mlops.power_two_proportions(p1, p2, n, alpha) == pytest.approx(
        ref.power(h, nobs1=n, alpha=alpha), rel=1e-10
    )
    n_ref = ref.solve_power(abs(h), alpha=alpha, power=0.8)
    n_ours = mlops.sample_size_two_proportions(p1, p2, alpha=alpha, power=0.8)
    # statsmodels solves numerically including the far tail; we round the closed form up
    assert n_ours == int(np.ceil(n_ref))
    assert mlops.power_two_proportions(p1, p2, n_ours, alpha) >= 0.8
    assert mlops.power_two_proportions(p1, p2, n_ours - 1, alpha) < 0.8


def test_peeking_inflates_false_positives():
    res = mlops.simulate_peeking(p=0.1, n_per_look=100, n_looks=10, n_experiments=3000)
    # 3000 A/A experiments: the binomial standard error of a 5% rate is 0.4%, so 0.035..0.065
    assert 0.035 < res["fpr_final"] < 0.065
    # ten looks: the literature's value is about 0.19; well above alpha in any case
    assert res["fpr_peeking"] > 0.12
    assert np.all(np.diff(res["fpr_by_looks"]) >= 0)


def test_ks_equals_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=700), rng.normal(0.2, 1.1, size=500)
    d, p = mlops.ks_2sample(a, b)
    ref = stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(ref.statistic, abs=1e-15)
    en = 700 * 500 / 1200
    assert p == pytest.approx(stats.kstwobign.sf(d * np.sqrt(en)), rel=1e-9)
    # scipy's asymp applies a finite-n correction (kstwo with rounded n): same order of size
    assert p == pytest.approx(ref.pvalue, rel=0.3)
    ints = rng.integers(0, 4, 50).astype(float), rng.integers(0, 5, 70).astype(float)
    assert mlops.ks_2sample(*ints)[0] == pytest.approx(stats.ks_2samp(*ints).statistic)


def test_psi_hand_computed_and_properties():
    expected = np.arange(100.0)  # quartile edges 24.75, 49.5, 74.25 → 25 per bin
    actual = np.r_[np.full(50, 10.0), np.full(50, 90.0)]  # 50% bin 0, 50% bin 3
    e = np.array([0.25, 0.25, 0.25, 0.25])
    a = np.array([0.5, 1e-4, 1e-4, 0.5])
    assert mlops.psi(expected, actual, n_bins=4) == pytest.approx(np.sum((a - e) * np.log(a / e)))
    assert mlops.psi(expected, expected) == 0.0
    rng = np.random.default_rng(1)
    base = rng.normal(size=5000)
    shifts = [mlops.psi(base, rng.normal(s, 1, 5000)) for s in (0.0, 0.25, 0.5, 1.0)]
    assert shifts[0] < 0.01 and np.all(np.diff(shifts) > 0)


def test_drift_report_statuses():
    rng = np.random.default_rng(2)
    reference = rng.normal(size=2000)
    batches = [rng.normal(s, 1, 1000) for s in (0.0, 0.25, 1.0)]
    rep = mlops.drift_report(reference, batches)
    assert list(rep["status"]) == ["ok", "warn", "alert"]


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: mlops.two_proportion_ztest(5, 4, 1, 10), "successes cannot exceed"),
        (lambda: mlops.two_proportion_ztest(1, 0, 1, 10), "n_a must be an integer >= 1"),
        (lambda: mlops.two_proportion_ztest(1, 10, 1, 10, alternative="up"), "alternative"),
        (lambda: mlops.power_two_proportions(0.1, 0.2, -5), "n_per_group"),
        (lambda: mlops.sample_size_two_proportions(0.1, 0.1), "p1 and p2 are equal"),
        (lambda: mlops.sample_size_two_proportions(0.1, 1.2), "p2 must be"),
        (lambda: mlops.psi(np.ones(3), [np.nan]), "actual must not contain NaN"),
        (lambda: mlops.psi(np.ones(3), np.ones(3), n_bins=1), "n_bins"),
        (lambda: mlops.peeking_rates(np.ones(3)), "p_values must be a 2-D"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.slow
def test_mlflow_run_compare_and_register_in_a_temporary_store(tmp_path):
    from mlflow.tracking import MlflowClient

    from ml2llm.classical.logistic_regression import LogisticRegression
    from ml2llm.classical.penguins import FEATURES, TARGET, load_penguins, make_pipeline

    df = load_penguins()
    adelie = (df[TARGET] == "Adelie").astype(int)
    model = make_pipeline(LogisticRegression()).fit(df[FEATURES], adelie)
    uri = mlops.local_tracking_uri(tmp_path / "store")
    assert uri.startswith("sqlite:///") and str(tmp_path) in uri
    good = mlops.track_run(
        uri, "penguins", {"C": 1.0}, {"acc": 0.97}, history={"loss": [0.7, 0.3, 0.1]}, model=model
    )
    mlops.track_run(uri, "penguins", {"C": 0.01}, {"acc": 0.80})
    rows = mlops.compare_runs(uri, "penguins", "acc")
    assert [r["metrics"]["acc"] for r in rows] == [0.97, 0.80]
    assert rows[0]["run_id"] == good and rows[0]["params"] == {"C": "1.0"}
    client = MlflowClient(uri)
    assert [m.value for m in client.get_metric_history(good, "loss")] == [0.7, 0.3, 0.1]
    assert mlops.register_model(uri, good, "penguin-adelie") == 1
    mv = client.get_model_version_by_alias("penguin-adelie", "champion")
    assert mv.run_id == good
    files = list((tmp_path / "store" / "artifacts").rglob("model.json"))
    assert len(files) == 1  # the artifact lives inside the temporary store, not in ./mlruns
    with pytest.raises(ValueError, match="experiment 'nope' does not exist"):
        mlops.compare_runs(uri, "nope", "acc")
