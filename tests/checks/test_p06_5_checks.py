"""Project 06.5 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from ml2llm.classical.tree import DecisionTreeRegressor
from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def log_odds_prior(y):
    ones = np.count_nonzero(y)
    return float(np.log(ones) - np.log(len(y) - ones))


def negative_gradient(y, raw):
    return y - 1.0 / (1.0 + np.exp(-raw))


def newton_leaf_value(residual, prob):
    hess = float(np.dot(prob, 1.0 - prob))
    return float(residual.sum() / hess) if hess > 0 else 0.0


def boost_regression(X, y, n_estimators, learning_rate, max_depth):
    pred = np.ones(len(y)) * y.mean()
    curve = np.empty(n_estimators)
    for m in range(n_estimators):
        h = DecisionTreeRegressor(max_depth=max_depth).fit(X, y - pred)
        pred = pred + learning_rate * h.predict(X)
        curve[m] = ((y - pred) ** 2).mean()
    return pred, curve


REFERENCES = {
    "p06_5.log_odds_prior": log_odds_prior,
    "p06_5.negative_gradient": negative_gradient,
    "p06_5.newton_leaf_value": newton_leaf_value,
    "p06_5.boost_regression": boost_regression,
}


# --- typical mistakes ------------------------------------------------------------------
def prior_probability(y):
    return float(np.mean(y))


def prior_inverted(y):
    p = np.mean(y)
    return float(np.log((1 - p) / p))


def grad_raw(y, raw):
    return y - raw


def grad_sign(y, raw):
    return 1.0 / (1.0 + np.exp(-raw)) - y


def leaf_mean(residual, prob):
    return float(np.mean(residual))


def leaf_unguarded(residual, prob):
    with np.errstate(all="ignore"):
        return float(residual.sum() / (prob * (1 - prob)).sum())


def boost_no_lr(X, y, n_estimators, learning_rate, max_depth):
    return boost_regression(X, y, n_estimators, 1.0, max_depth)


def boost_fits_y(X, y, n_estimators, learning_rate, max_depth):
    pred, curve = np.full(len(y), y.mean()), []
    for _ in range(n_estimators):
        pred = pred + learning_rate * DecisionTreeRegressor(max_depth=max_depth).fit(X, y).predict(
            X
        )
        curve.append(np.mean((y - pred) ** 2))
    return pred, np.array(curve)


def boost_from_zero(X, y, n_estimators, learning_rate, max_depth):
    pred, curve = np.zeros(len(y)), []
    for _ in range(n_estimators):
        h = DecisionTreeRegressor(max_depth=max_depth).fit(X, y - pred)
        pred = pred + learning_rate * h.predict(X)
        curve.append(np.mean((y - pred) ** 2))
    return pred, np.array(curve)


MISTAKES = {
    "p06_5.log_odds_prior": [
        (prior_probability, "not p"),
        (prior_inverted, "p / (1 − p), not (1 − p) / p"),
    ],
    "p06_5.negative_gradient": [
        (grad_raw, "into a probability"),
        (grad_sign, "negative gradient"),
    ],
    "p06_5.newton_leaf_value": [
        (leaf_mean, "newton step"),
        (leaf_unguarded, "return 0.0"),
    ],
    "p06_5.boost_regression": [
        (boost_no_lr, "learning_rate"),
        (boost_fits_y, "residuals"),
        (boost_from_zero, "mean(y)"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
