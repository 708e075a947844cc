"""Checks for Project 06.5 — gradient boosting (log-odds prior, log-loss pseudo-residuals,
Newton leaf value, the least-squares boosting loop). References are in
:mod:`ml2llm.classical.boosting`."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import boosting as ref
from ml2llm.classical.tree import DecisionTreeRegressor


def _prior_cases():
    rng = np.random.default_rng(2)
    return [
        Case((np.array([0, 0, 1, 1, 1]),)),
        Case((np.array([1, 0, 0, 0]),)),
        Case((np.array([0, 1]),), hint="balanced classes: the log-odds is 0."),
        Case(((rng.random(50) < 0.8).astype(int),), label="y: 50 labels, about 80 % ones"),
    ]


register(
    Check(
        "p06_5.log_odds_prior",
        reference=ref.log_odds_prior,
        cases=_prior_cases,
        hint="F₀ = log(p / (1 − p)) with p = mean(y): the raw score is a log-odds, not a probability.",
        mistakes=[
            Mistake(
                "probability",
                lambda y: float(np.mean(y)),
                "the raw score is a log-odds: return log(p / (1 − p)), not p.",
            ),
            Mistake(
                "log p", lambda y: float(np.log(np.mean(y))), "use log(p / (1 − p)), not log(p)."
            ),
            Mistake(
                "inverted",
                lambda y: float(np.log((1 - np.mean(y)) / np.mean(y))),
                "odds of class 1: p / (1 − p), not (1 − p) / p.",
            ),
        ],
    )
)


def _grad_cases():
    rng = np.random.default_rng(4)
    return [
        Case((np.array([0.0, 1.0]), np.array([0.0, 0.0]))),
        Case((np.array([1.0, 0.0, 1.0]), np.array([2.0, -1.0, -3.0]))),
        Case(
            (rng.integers(0, 2, 20).astype(float), rng.normal(size=20) * 3),
            label="y: 20 labels, raw: 20 log-odds",
        ),
    ]


register(
    Check(
        "p06_5.negative_gradient",
        reference=ref.negative_gradient,
        cases=_grad_cases,
        hint="for the log loss the negative gradient is y − σ(raw): the label minus the probability.",
        mistakes=[
            Mistake(
                "no sigmoid",
                lambda y, raw: y - raw,
                "raw is a log-odds: turn it into a probability with σ(raw) = 1/(1 + e^−raw) first.",
            ),
            Mistake(
                "gradient",
                lambda y, raw: expit(raw) - y,
                "that is the gradient; the trees fit the NEGATIVE gradient y − σ(raw).",
            ),
        ],
    )
)


def _leaf_cases():
    rng = np.random.default_rng(6)
    p = rng.uniform(0.05, 0.95, 15)
    y = (rng.random(15) < p).astype(float)
    return [
        Case((np.array([0.5, 0.5]), np.array([0.5, 0.5]))),
        Case((np.array([0.9, -0.2, 0.7]), np.array([0.1, 0.2, 0.3]))),
        Case((y - p, p), label="15 residuals y − p with their probabilities p"),
        Case(
            (np.array([0.0]), np.array([1.0])),
            hint="Σ p(1 − p) = 0: return 0.0 instead of dividing.",
        ),
    ]


def _leaf_mean(residual, prob):
    return float(np.mean(residual))


def _leaf_no_guard(residual, prob):
    with np.errstate(all="ignore"):
        return float(np.sum(residual) / np.sum(prob * (1 - prob)))


register(
    Check(
        "p06_5.newton_leaf_value",
        reference=ref.newton_leaf_value,
        cases=_leaf_cases,
        hint="γ = Σ r_i / Σ p_i (1 − p_i): gradient over Hessian, one Newton step.",
        mistakes=[
            Mistake(
                "mean",
                _leaf_mean,
                "for the log loss the leaf value is a Newton step Σ r / Σ p(1 − p), not the mean residual.",
            ),
            Mistake(
                "sum p",
                lambda r, p: float(np.sum(r) / np.sum(p)),
                "the Hessian of the log loss is p(1 − p), not p.",
            ),
            Mistake(
                "no guard",
                _leaf_no_guard,
                "when Σ p(1 − p) is 0 (all p are 0 or 1), return 0.0 instead of dividing.",
            ),
        ],
    )
)


def _boost_cases():
    rng = np.random.default_rng(9)
    X = rng.uniform(-3, 3, size=(60, 2))
    y = np.sin(X[:, 0]) + 0.3 * X[:, 1] + 0.1 * rng.normal(size=60)
    x1 = np.linspace(0, 1, 12)[:, None]
    return [
        Case(
            (x1, x1[:, 0] ** 2, 3, 0.5, 1), label="X (12, 1), y = x², 3 stumps, learning_rate 0.5"
        ),
        Case((X, y, 10, 0.1, 2), label="X (60, 2), 10 trees of depth 2, learning_rate 0.1"),
        Case((X, y, 1, 1.0, 3), label="one tree of depth 3, learning_rate 1"),
    ]


def _boost_variant(shrink=True, residual=True, start="mean", record="after"):
    def wrong(X, y, n_estimators, learning_rate, max_depth):
        F = np.full(len(y), np.mean(y) if start == "mean" else 0.0)
        losses = []
        for _ in range(n_estimators):
            if record == "before":
                losses.append(np.mean((y - F) ** 2))
            target = y - F if residual else y
            tree = DecisionTreeRegressor(max_depth=max_depth).fit(X, target)
            F = F + (learning_rate if shrink else 1.0) * tree.predict(X)
            if record == "after":
                losses.append(np.mean((y - F) ** 2))
        return F, np.array(losses)

    return wrong


register(
    Check(
        "p06_5.boost_regression",
        reference=ref.boost_regression,
        cases=_boost_cases,
        hint="F = mean(y); for each stage fit DecisionTreeRegressor(max_depth) to y − F, then "
        "F = F + learning_rate · tree.predict(X) and record mean((y − F)²).",
        mistakes=[
            Mistake(
                "no shrinkage",
                _boost_variant(shrink=False),
                "multiply each tree's prediction by learning_rate before adding it.",
            ),
            Mistake(
                "fits y",
                _boost_variant(residual=False),
                "each tree fits the residuals y − F (the negative gradient), not y itself.",
            ),
            Mistake(
                "starts at zero",
                _boost_variant(start="zero"),
                "start from F₀ = mean(y), the best constant, not from 0.",
            ),
            Mistake(
                "loss before",
                _boost_variant(record="before"),
                "record the loss after adding each tree: losses[m] belongs to m + 1 trees.",
            ),
        ],
    )
)
