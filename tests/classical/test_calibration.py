"""Calibration from scratch equals sklearn.calibration / sklearn.isotonic on real data.

Tolerances: binning, PAV and isotonic interpolation are exact up to one weighted mean per
block (rtol 1e-12). Platt scaling: scikit-learn stops L-BFGS at a gradient norm of 1e-6 while
our Newton iteration converges to machine precision, so probabilities agree to ~1e-9; we
allow atol 1e-6.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import CalibratedClassifierCV
from sklearn.calibration import calibration_curve as sk_calibration_curve
from sklearn.datasets import load_breast_cancer
from sklearn.frozen import FrozenEstimator
from sklearn.isotonic import IsotonicRegression as SkIsotonic
from sklearn.isotonic import isotonic_regression as sk_pav
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from ml2llm.classical import calibration as cal

SETTINGS = settings(max_examples=50, deadline=None)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)


@SETTINGS
@given(st.integers(0, 10**6), st.integers(1, 12), st.sampled_from(["uniform", "quantile"]))
def test_calibration_curve_equals_sklearn(seed, n_bins, strategy):
    rng = np.random.default_rng(seed)
    p = np.round(rng.random(80), 1)  # many values exactly on bin edges
    y = (rng.random(80) < p).astype(int)
    ours = cal.calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    ref = sk_calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_ece_equals_independent_formula():
    rng = np.random.default_rng(0)
    p = rng.random(500)
    y = (rng.random(500) < p**2).astype(int)  # over-confident: true rate p² < p
    prob_true, prob_pred = sk_calibration_curve(y, p, n_bins=10)
    counts = np.histogram(p, bins=np.linspace(0, 1, 11))[0]
    counts = counts[counts > 0]
    expected = np.sum(counts * np.abs(prob_true - prob_pred)) / len(p)
    assert cal.expected_calibration_error(y, p, n_bins=10) == pytest.approx(expected, rel=1e-12)
    # and the analytic value of E|p - p²| = 1/6 for uniform p, up to sampling/binning noise
    assert abs(cal.expected_calibration_error(y, p, n_bins=10) - 1 / 6) < 0.05


@SETTINGS
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=40), st.integers(0, 10**6))
def test_pav_equals_sklearn_isotonic_regression(values, seed):
    y = np.array(values)
    w = np.random.default_rng(seed).uniform(0.1, 3.0, size=len(y))
    np.testing.assert_allclose(cal.pav(y), sk_pav(y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cal.pav(y, w), sk_pav(y, sample_weight=w), rtol=1e-12, atol=1e-12)
    fit = cal.pav(y)
    assert np.all(np.diff(fit) >= -1e-12)


def test_isotonic_regression_equals_sklearn_on_real_scores(cancer):
    X_tr, X_te, y_tr, y_te = cancer
    s = GaussianNB().fit(X_tr, y_tr).predict_proba(X_te)[:, 1]  # many near-ties around 0 and 1
    grid = np.r_[np.linspace(-0.5, 1.5, 200), s]
    ours = cal.IsotonicRegression().fit(s, y_te).predict(grid)
    ref = SkIsotonic(out_of_bounds="clip").fit(s, y_te).predict(grid)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)
    dec = cal.IsotonicRegression(increasing=False).fit(-s, y_te).predict(-grid)
    np.testing.assert_allclose(dec, ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_prefit_calibration_equals_sklearn_frozen(cancer, method):
    X_tr, X_te, y_tr, y_te = cancer
    X_cal, X_eval, y_cal, y_eval = train_test_split(X_te, y_te, test_size=0.5, random_state=1)
    for model in [
        GaussianNB().fit(X_tr, y_tr),
        make_pipeline(StandardScaler(), LinearSVC(C=0.1)).fit(X_tr, y_tr),
    ]:
        ours = cal.CalibratedClassifier(model, method=method, cv="prefit").fit(X_cal, y_cal)
        ref = CalibratedClassifierCV(FrozenEstimator(model), method=method).fit(X_cal, y_cal)
        np.testing.assert_allclose(ours.predict_proba(X_eval), ref.predict_proba(X_eval), atol=1e-6)
        np.testing.assert_array_equal(ours.predict(X_eval), ref.predict(X_eval))


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_cv_ensemble_calibration_equals_sklearn(cancer, method):
    X_tr, X_te, y_tr, _ = cancer
    ours = cal.CalibratedClassifier(GaussianNB(), method=method, cv=3).fit(X_tr, y_tr)
    ref = CalibratedClassifierCV(GaussianNB(), method=method, cv=3).fit(X_tr, y_tr)
    np.testing.assert_allclose(ours.predict_proba(X_te), ref.predict_proba(X_te), atol=1e-6)


def test_platt_recovers_a_known_sigmoid_and_calibration_lowers_ece(cancer):
    rng = np.random.default_rng(0)
    s = rng.normal(size=20000)
    y = (rng.random(20000) < 1 / (1 + np.exp(-(2.0 * s - 0.5)))).astype(int)
    a, b = cal.platt_fit(s, y)
    assert a == pytest.approx(2.0, abs=0.1) and b == pytest.approx(-0.5, abs=0.1)  # ~5 s.e.
    X_tr, X_te, y_tr, y_te = cancer
    nb = GaussianNB().fit(X_tr, y_tr)
    before = cal.expected_calibration_error(y_te, nb.predict_proba(X_te)[:, 1])
    after = cal.expected_calibration_error(
        y_te,
        cal.CalibratedClassifier(GaussianNB(), method="isotonic", cv=3)
        .fit(X_tr, y_tr)
        .predict_proba(X_te)[:, 1],
    )
    assert after < before  # naive Bayes is over-confident; measured 0.073 -> 0.048


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: cal.expected_calibration_error([0, 1], [0.2, 1.2]), r"\[0, 1\]"),
        (lambda: cal.calibration_curve([0, 1, 1], [0.2, 0.4]), "same length"),
        (lambda: cal.expected_calibration_error([0, 1], [0.2, 0.4], n_bins=0), "n_bins"),
        (lambda: cal.calibration_curve([0, 1], [0.2, 0.4], strategy="equal"), "strategy"),
        (lambda: cal.platt_fit([0.1, 0.2], [0, 2]), "0/1"),
        (
            lambda: cal.CalibratedClassifier(GaussianNB(), method="beta").fit(
                np.zeros((6, 1)), [0, 1] * 3
            ),
            "method",
        ),
        (lambda: cal.pav([]), "non-empty"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=match):
            call()
