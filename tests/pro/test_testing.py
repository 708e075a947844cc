"""ml2llm.pro.testing, and the P1 techniques applied to the curriculum's own estimators."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ml2llm.classical.linear_regression import LinearRegressionNormalEq
from ml2llm.classical.preprocessing import StandardScaler
from ml2llm.classical.softmax_regression import softmax
from ml2llm.classical.tree import DecisionTreeClassifier
from ml2llm.pro import testing as t

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


# --- property-based tests of the project's estimators ----------------------------------
@FAST
@given(arrays(float, st.tuples(st.integers(3, 30), st.integers(1, 4)), elements=finite))
def test_standard_scaler_output_has_zero_mean_unit_std(X):
    Z = StandardScaler().fit_transform(X)
    assert np.allclose(Z.mean(axis=0), 0, atol=1e-9)
    std = Z.std(axis=0)
    # a constant column stays constant (sigma := 1), others get unit variance
    const = np.ptp(X, axis=0) < 1e-9 * (1 + np.abs(X).max(axis=0))
    assert np.allclose(std[~const], 1, atol=1e-6)


@FAST
@given(arrays(float, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=finite), finite)
def test_softmax_is_a_distribution_and_shift_invariant(Z, c):
    P = softmax(Z)
    assert np.all(P >= 0) and np.allclose(P.sum(axis=1), 1)
    assert np.allclose(softmax(Z + c), P, atol=1e-12)


@FAST
@given(st.integers(0, 10_000), st.integers(1, 4))
def test_normal_equation_recovers_noiseless_coefficients(seed, d):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, d))
    w = rng.uniform(-5, 5, d)
    model = LinearRegressionNormalEq().fit(X, X @ w + 1.5)
    # well-conditioned 20 x d Gaussian design: exact up to rounding (1e-8)
    assert np.allclose(model.coef_, w, atol=1e-8) and abs(model.intercept_ - 1.5) < 1e-8


@FAST
@given(st.integers(0, 10_000))
def test_tree_is_invariant_to_monotone_feature_transforms(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    tree2 = DecisionTreeClassifier(max_depth=3, random_state=0).fit(np.exp(X), y)
    # splits sit between sorted values, so a strictly increasing map keeps every partition
    assert np.array_equal(tree.predict(X), tree2.predict(np.exp(X)))


# --- data validation -------------------------------------------------------------------
def test_real_penguins_pass_and_corruptions_are_caught():
    from ml2llm.classical.penguins import load_penguins

    df = load_penguins()
    assert t.validate_columns(df, t.penguins_schema()) == []
    bad = df.copy()
    bad.loc[0, "body_mass_g"] = 65_000  # grams typed as decagrams
    bad.loc[1, "island"] = "Atlantis"
    bad = bad.drop(columns=["sex"])
    assert t.validate_columns(bad, t.penguins_schema()) == [
        ("body_mass_g", "above_max"),
        ("island", "unknown_category"),
        ("sex", "missing_column"),
    ]
    many_missing = df.copy()
    many_missing.loc[:20, "bill_length_mm"] = np.nan  # 21 of 344 = 6% > 2%
    assert t.validate_columns(many_missing, t.penguins_schema()) == [
        ("bill_length_mm", "too_many_missing")
    ]


# --- behavioural tests on a trained pipeline --------------------------------------------
@pytest.fixture(scope="module")
def penguin_model():
    from ml2llm.classical.logistic_regression import LogisticRegression
    from ml2llm.classical.penguins import FEATURES, NUMERIC, TARGET, load_penguins, make_pipeline

    df = load_penguins().dropna(subset=NUMERIC)
    y = (df[TARGET] == "Gentoo").astype(int).to_numpy()
    return make_pipeline(LogisticRegression()).fit(df[FEATURES], y), df, y


def test_invariance_and_direction_on_penguins(penguin_model):
    from ml2llm.classical.penguins import FEATURES, NUMERIC

    model, df, y = penguin_model
    Xdf = df[FEATURES].reset_index(drop=True)
    cols = list(Xdf.columns)

    def predict(arr):
        import pandas as pd

        return model.predict(pd.DataFrame(arr, columns=cols))

    arr = Xdf.to_numpy(dtype=object)
    # a 0.01 mm change in bill length is far below measurement precision
    j = cols.index("bill_length_mm")

    def jitter(a):
        a[:, j] = a[:, j] + 0.01
        return a

    assert t.invariance_rate(predict, arr, jitter) >= 0.99
    # Gentoo have shallow bills: a deeper bill must never raise P(Gentoo)
    num = Xdf[NUMERIC].to_numpy(dtype=float)

    def score(a):
        frame = Xdf.copy()
        frame[NUMERIC] = a
        return model.predict_proba(frame)[:, 1]

    k = NUMERIC.index("bill_depth_mm")
    assert t.directional_violation_rate(score, num, k, 1.0, direction=-1) == 0.0
    # the same test must fail when the expectation is wrong
    assert t.directional_violation_rate(score, num, k, 1.0, direction=+1) > 0.2


def test_regression_test_against_a_saved_baseline(penguin_model, tmp_path):
    model, df, y = penguin_model
    from ml2llm.classical.penguins import FEATURES

    acc = float(np.mean(model.predict(df[FEATURES]) == y))
    assert acc > 0.98  # Gentoo vs rest is linearly separable on these measurements
    t.save_baseline(tmp_path / "b.json", {"accuracy": 0.99}, {"accuracy": 0.01}, {"accuracy": True})
    base, tol, hib = t.load_baseline(tmp_path / "b.json")
    assert t.regressions({"accuracy": acc}, base, tol, hib) == []
    assert t.regressions({"accuracy": 0.90}, base, tol, hib) == ["accuracy"]


# --- training-code tests ---------------------------------------------------------------
def test_mlp_overfits_one_batch_and_loss_decreases():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 5)), rng.integers(0, 3, 16)  # random labels: only memory helps
    losses = t.overfit_one_batch([5, 32, 3], X, y, steps=300, lr=0.02)
    assert losses[-1] < 0.05 and t.loss_decreases(losses, window=10, min_drop=0.5)
    assert not t.loss_decreases(np.r_[np.ones(10), np.full(10, np.nan)], window=5)


def test_training_is_deterministic_with_a_seed():
    from ml2llm.neural.model import make_mlp
    from ml2llm.neural.optim import Adam
    from ml2llm.neural.train import fit_classifier

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(64, 3)), rng.integers(0, 2, 64)

    def train(seed):
        net = make_mlp([3, 8, 2], random_state=seed)
        fit_classifier(
            net, X, y, Adam(net.parameters(), lr=0.01), epochs=3, batch_size=16, random_state=seed
        )
        return [p.data for p in net.parameters()]

    assert t.same_seed_same_result(train, seed=3)
    assert not t.same_seed_same_result(lambda s: np.random.default_rng().normal(size=3))


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: t.validate_columns({"a": [1]}, {}), "schema must be a non-empty dict"),
        (
            lambda: t.validate_columns({"a": [1]}, {"a": {"type": "int"}}),
            r"schema\['a'\]\['type'\]",
        ),
        (
            lambda: t.directional_violation_rate(lambda X: X[:, 0], np.ones((3, 2)), 5, 1.0),
            "feature must index",
        ),
        (
            lambda: t.directional_violation_rate(lambda X: X[:, 0], np.ones((3, 2)), 0, 1.0, 2),
            "direction must be",
        ),
        (lambda: t.loss_decreases([1.0, 0.5], window=5), "at least 2\\*window"),
        (lambda: t.regressions({"a": 1}, {"a": 1}, {}, {}), "tolerance and higher_is_better need"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
