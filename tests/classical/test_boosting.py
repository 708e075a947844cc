"""ml2llm.classical.boosting against scikit-learn's GradientBoosting* on bundled datasets."""

import numpy as np
import pytest
from scipy.special import expit
from sklearn import ensemble as ske
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.model_selection import train_test_split

from ml2llm.classical.boosting import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    boost_regression,
    log_odds_prior,
    negative_gradient,
    newton_leaf_value,
)


def _bc():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, random_state=0, stratify=y)


def test_classifier_matches_sklearn_on_breast_cancer():
    Xtr, Xte, ytr, yte = _bc()
    ours = GradientBoostingClassifier(n_estimators=60, random_state=0).fit(Xtr, ytr)
    ref = ske.GradientBoostingClassifier(n_estimators=60, random_state=0).fit(Xtr, ytr)
    # measured (100 stages): 0.958 vs 0.958 test accuracy; bar: 2 points
    assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.02
    # the first stage is one depth-3 tree + Newton leaves, with no ties at the root split:
    # its raw scores equal sklearn's to rounding
    first_ours = next(ours.staged_decision_function(Xte))
    first_ref = next(ref.staged_decision_function(Xte)).ravel()
    np.testing.assert_allclose(first_ours, first_ref, rtol=1e-6)
    assert np.isclose(ours.init_, np.log(ytr.mean() / (1 - ytr.mean())))
    # sklearn's train_score_ is the deviance, 2 × our mean log loss; same curve otherwise
    np.testing.assert_allclose(2 * ours.train_score_[:1], ref.train_score_[:1], rtol=1e-6)


def test_regressor_r2_within_003_of_sklearn_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    ours = GradientBoostingRegressor(random_state=0).fit(Xtr, ytr)
    ref = ske.GradientBoostingRegressor(random_state=0).fit(Xtr, ytr)
    # measured: 0.217 vs 0.215 test R² (100 stages, lr 0.1, depth 3)
    assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.03
    # the first two stages are the same trees as sklearn's (no ties), so the same numbers
    for ours_stage, ref_stage, _ in zip(
        ours.staged_predict(Xte), ref.staged_predict(Xte), range(2)
    ):
        np.testing.assert_allclose(ours_stage, ref_stage, rtol=1e-9)


def test_staged_outputs_and_losses():
    Xtr, Xte, ytr, yte = _bc()
    m = GradientBoostingClassifier(n_estimators=20, learning_rate=0.2, random_state=0).fit(Xtr, ytr)
    staged = list(m.staged_predict_proba(Xte))
    assert len(staged) == 20
    np.testing.assert_allclose(staged[-1], m.predict_proba(Xte))
    assert np.array_equal(list(m.staged_predict(Xte))[-1], m.predict(Xte))
    train_curve = m.staged_loss(Xtr, ytr)
    np.testing.assert_allclose(train_curve, m.train_score_, rtol=1e-6)
    assert np.all(np.diff(m.train_score_) < 0)  # full-batch boosting decreases the train loss
    val = m.staged_loss(Xte, yte)
    p = expit(m.decision_function(Xte))
    expected = -np.mean(yte * np.log(p) + (1 - yte) * np.log(1 - p))
    assert np.isclose(val[-1], expected)


def test_subsample_and_random_state():
    X, y = load_diabetes(return_X_y=True)
    a = GradientBoostingRegressor(n_estimators=20, subsample=0.5, random_state=0).fit(X, y)
    b = GradientBoostingRegressor(n_estimators=20, subsample=0.5, random_state=0).fit(X, y)
    c = GradientBoostingRegressor(n_estimators=20, subsample=0.5, random_state=1).fit(X, y)
    assert np.array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a.predict(X), c.predict(X))
    full = GradientBoostingRegressor(n_estimators=20, random_state=0).fit(X, y)
    assert full.train_score_[-1] < a.score(X, y) * 0 + np.var(y)  # fits better than the mean


def test_exercise_references():
    X, y = load_diabetes(return_X_y=True)
    F, losses = boost_regression(X, y, n_estimators=10, learning_rate=0.3, max_depth=2)
    est = GradientBoostingRegressor(n_estimators=10, learning_rate=0.3, max_depth=2).fit(X, y)
    # same algorithm; the estimator's X is float32 like sklearn's, which can move one
    # threshold by one float32 step, so compare the loss curve loosely
    np.testing.assert_allclose(losses, est.train_score_, rtol=1e-3)
    assert np.isclose(np.mean((y - F) ** 2), losses[-1])
    yb = np.array([0, 0, 1, 1, 1])
    assert np.isclose(log_odds_prior(yb), np.log(3 / 2))
    np.testing.assert_allclose(negative_gradient(yb, np.zeros(5)), yb - 0.5)
    assert np.isclose(newton_leaf_value(np.array([0.5, 0.5]), np.array([0.5, 0.5])), 2.0)


@pytest.mark.parametrize(
    "X,y,match",
    [
        (np.array([[1.0, np.inf], [2.0, 3.0]]), np.array([0, 1]), "infinity"),
        (np.empty((0, 2)), np.array([]), "0 sample"),
        (np.ones((3, 2)), np.array([0, 1]), "inconsistent numbers of samples"),
    ],
    ids=["inf", "empty", "mismatch"],
)
def test_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        GradientBoostingClassifier(n_estimators=2).fit(X, y)


@pytest.mark.parametrize(
    "params,match",
    [
        ({"n_estimators": 0}, "n_estimators must be an int >= 1"),
        ({"learning_rate": 0.0}, "learning_rate must be a positive"),
        ({"subsample": 1.5}, "subsample must be a float in"),
        ({"max_depth": 0}, "max_depth must be"),
    ],
)
def test_bad_hyperparameters(params, match):
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        GradientBoostingClassifier(**{"n_estimators": 2, **params}).fit(X, y)


def test_multiclass_is_rejected_clearly():
    X, y = load_wine(return_X_y=True)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        GradientBoostingClassifier(n_estimators=2).fit(X, y)
