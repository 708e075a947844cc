"""Checks for Project P3 — responsible AI (fairness metrics, reweighing, permutation
importance, Kernel SHAP, randomized response, DP aggregation). References are in
:mod:`ml2llm.pro.responsible`."""

from __future__ import annotations

import math
from itertools import product

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.pro import responsible as ref


def _fair_data(n, n_groups, seed):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, n_groups, n)
    y = (rng.uniform(size=n) < 0.3 + 0.15 * s).astype(int)
    p = (rng.uniform(size=n) < 0.25 + 0.2 * s).astype(int)
    return y, p, s


# ----------------------------------------------------------------- demographic parity
def _dp_cases():
    _, p2, s2 = _fair_data(200, 2, 0)
    _, p3, s3 = _fair_data(300, 3, 1)
    return [
        Case((np.array([1, 0, 1, 1, 0, 0]), np.array([0, 0, 0, 1, 1, 1]))),
        Case((p2, s2), label="200 predictions, 2 groups"),
        Case(
            (p3, s3),
            label="300 predictions, 3 groups",
            hint="with 3 groups, take max − min over all of them.",
        ),
        Case(
            (np.array([1, 1, 0, 0, 1, 0]), np.array(["a", "b", "c", "a", "b", "c"])),
            label="string group names, 3 groups",
        ),
    ]


def _dp_first_two(y_pred, s):
    g = np.unique(s)[:2]
    return abs(y_pred[s == g[0]].mean() - y_pred[s == g[1]].mean())


def _dp_ratio(y_pred, s):
    r = [y_pred[s == g].mean() for g in np.unique(s)]
    return min(r) / max(r)


def _dp_vs_overall(y_pred, s):
    return max(abs(y_pred[s == g].mean() - y_pred.mean()) for g in np.unique(s))


register(
    Check(
        "pp3.demographic_parity",
        reference=ref.demographic_parity_difference,
        cases=_dp_cases,
        hint="selection rate per group = mean of y_pred in that group; return max − min.",
        mistakes=[
            Mistake("first two", _dp_first_two, "with 3 groups, take max − min over all of them."),
            Mistake(
                "ratio",
                _dp_ratio,
                "that is the disparate-impact RATIO; the difference is max − min.",
            ),
            Mistake(
                "vs overall",
                _dp_vs_overall,
                "compare groups with each other (max − min), not each group with the overall rate.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- equalized odds
def _eo_cases():
    y2, p2, s2 = _fair_data(300, 2, 2)
    y3, p3, s3 = _fair_data(400, 3, 3)
    return [
        Case(
            (
                np.array([0, 0, 0, 1, 0, 0, 0, 1]),
                np.array([1, 1, 0, 1, 0, 0, 0, 1]),
                np.array([0, 0, 0, 0, 1, 1, 1, 1]),
            ),
            hint="here the TPRs are equal and the FPRs differ by 2/3.",
        ),
        Case(
            (
                np.array([1, 1, 0, 0, 1, 1, 0, 0]),
                np.array([1, 0, 0, 1, 1, 1, 0, 0]),
                np.array([0, 0, 0, 0, 1, 1, 1, 1]),
            )
        ),
        Case((y2, p2, s2), label="300 samples, 2 groups"),
        Case((y3, p3, s3), label="400 samples, 3 groups"),
        Case(
            (
                np.array([1, 1, 0, 0, 0, 1, 1, 0, 0, 0]),
                np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0]),
                np.array([0] * 5 + [1] * 5),
            ),
            label="TPR gap 0.5, FPR gap 1/3",
        ),
    ]


def _rates(y, p, s):
    return np.array(
        [[p[(s == g) & (y == 1)].mean(), p[(s == g) & (y == 0)].mean()] for g in np.unique(s)]
    )


def _eo_mean(y, p, s):
    r = _rates(y, p, s)
    return float(np.mean(r.max(0) - r.min(0)))


def _eo_tpr_only(y, p, s):
    r = _rates(y, p, s)
    return float(r[:, 0].max() - r[:, 0].min())


def _eo_fpr_over_group(y, p, s):
    r = np.array(
        [
            [p[(s == g) & (y == 1)].mean(), (p[s == g] & (1 - y[s == g])).mean()]
            for g in np.unique(s)
        ]
    )
    return float(np.max(r.max(0) - r.min(0)))


register(
    Check(
        "pp3.equalized_odds",
        reference=ref.equalized_odds_difference,
        cases=_eo_cases,
        hint="per group: TPR = mean of y_pred where y_true = 1, FPR = mean of y_pred where y_true = 0; return max(TPR gap, FPR gap).",
        mistakes=[
            Mistake(
                "mean of gaps", _eo_mean, "take the WORSE of the two gaps (max), not their average."
            ),
            Mistake(
                "tpr only",
                _eo_tpr_only,
                "that is equal opportunity (TPR only); equalized odds also compares FPRs.",
            ),
            Mistake(
                "fpr over group",
                _eo_fpr_over_group,
                "FPR divides false positives by the group's NEGATIVES (y_true = 0), not by the whole group.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- reweighing
def _rw_cases():
    y2, _, s2 = _fair_data(100, 2, 4)
    y3, _, s3 = _fair_data(150, 3, 5)
    return [
        Case((np.array([1, 1, 0, 0, 1, 0]), np.array([0, 0, 0, 1, 1, 1]))),
        Case((np.array([1, 0, 0, 0, 1, 1, 1, 0]), np.array([0, 0, 0, 0, 1, 1, 1, 1]))),
        Case((y2, s2), label="100 samples, 2 groups"),
        Case((y3, s3), label="150 samples, 3 groups"),
    ]


def _rw(y, s, kind):
    w = np.empty(len(y))
    for g, c in product(np.unique(s), (0, 1)):
        m = (s == g) & (y == c)
        if m.any():
            pa, py, pay = (s == g).mean(), (y == c).mean(), m.mean()
            w[m] = {"inverse": pay / (pa * py), "cell": 1 / pay, "group": 1 / pa}[kind]
    return w


register(
    Check(
        "pp3.reweighing",
        reference=ref.reweighing_weights,
        cases=_rw_cases,
        hint="w = P(A=a)·P(Y=y) / P(A=a, Y=y): expected over observed frequency of the (group, label) cell.",
        mistakes=[
            Mistake(
                "inverted",
                lambda y, s: _rw(y, s, "inverse"),
                "upside down: expected frequency P(A)P(Y) goes on top, observed P(A, Y) below.",
            ),
            Mistake(
                "cell only",
                lambda y, s: _rw(y, s, "cell"),
                "multiply by P(A=a)·P(Y=y): 1/P(A, Y) alone balances every cell, destroying the label rates.",
            ),
            Mistake(
                "group only",
                lambda y, s: _rw(y, s, "group"),
                "the weight depends on the label too: use P(A, Y), not just P(A).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- permutation importance
def _neg_mse_score(w):
    def score(X, y):
        return -float(np.mean((X @ w - y) ** 2))

    return score


def _pi_cases():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(40, 3))
    w = np.array([2.0, 0.5, 0.0])
    y = X @ w + 0.1 * rng.normal(size=40)
    perms = np.array([rng.permutation(40) for _ in range(4)])
    X2 = rng.normal(size=(25, 4))
    w2 = np.array([0.0, -1.0, 1.0, 3.0])
    perms2 = np.array([rng.permutation(25) for _ in range(3)])
    return [
        Case(
            (_neg_mse_score(w), X, X @ w + 0.1, perms),
            label="3 features, weights [2, 0.5, 0], 4 shuffles",
        ),
        Case((_neg_mse_score(w), X, y, perms), label="same with noise"),
        Case(
            (_neg_mse_score(w2), X2, X2 @ w2, perms2),
            label="4 features, weights [0, −1, 1, 3], 3 shuffles",
        ),
    ]


def _pi_variant(kind):
    def wrong(score_fn, X, y, permutations):
        base = score_fn(X, y)
        out = np.zeros(X.shape[1])
        Xw = X if kind == "in place" else X.copy()
        for j in range(X.shape[1]):
            for perm in permutations:
                if kind == "rows":
                    Xp = X[perm]
                elif kind == "in place":
                    Xp = Xw
                    Xp[:, j] = Xp[perm, j]
                else:
                    Xp = X.copy()
                    Xp[:, j] = X[perm, j]
                drop = score_fn(Xp, y) - base if kind == "sign" else base - score_fn(Xp, y)
                out[j] += drop / len(permutations)
        return out

    return wrong


register(
    Check(
        "pp3.permutation_importance",
        reference=lambda score_fn, X, y, permutations: ref.permutation_importance(
            score_fn, X, y, permutations=permutations
        )["importances_mean"],
        cases=_pi_cases,
        hint="for each column j and each permutation: copy X, shuffle column j only, importance = base score − shuffled score; average over permutations.",
        mistakes=[
            Mistake(
                "whole rows",
                _pi_variant("rows"),
                "shuffle ONE column at a time (X_p[:, j] = X[perm, j]); shuffling whole rows changes nothing.",
            ),
            Mistake(
                "sign",
                _pi_variant("sign"),
                "importance is the DROP in score: base − shuffled (positive for useful features).",
            ),
            Mistake(
                "in place",
                _pi_variant("in place"),
                "work on a fresh copy of X for every shuffle; shuffling X itself corrupts later columns.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- Kernel SHAP
def _interacting_model(X):
    return X[:, 0] * X[:, 1] + np.sin(X[:, 2]) + 0.5 * X[:, 0]


def _logistic_model(X):
    return 1 / (1 + np.exp(-(X @ np.array([1.0, -2.0, 0.5, 1.5]) + 0.3 * X[:, 0] * X[:, 3])))


def _shap_cases():
    rng = np.random.default_rng(7)
    B3, B4 = rng.normal(size=(12, 3)), rng.normal(size=(10, 4))
    return [
        Case(
            (_interacting_model, np.array([1.0, 2.0, -1.0]), B3),
            label="f = x0·x1 + sin(x2) + 0.5·x0, 12 background rows",
        ),
        Case(
            (_logistic_model, np.array([0.5, -1.0, 2.0, 1.0]), B4),
            label="a logistic model with an interaction, 4 features",
        ),
        Case(
            (lambda X: 3.0 * X[:, 0] - X[:, 1], np.array([2.0, 1.0]), rng.normal(size=(6, 2))),
            label="linear f, 2 features",
        ),
    ]


def _shap_variant(kind):
    def wrong(f, x, background):
        M = x.size
        Z = np.array(list(product((0, 1), repeat=M)), dtype=float)
        if kind == "zeros":
            v = np.array([f(np.where(z == 1, x, 0.0)[None])[0] for z in Z])
        else:
            v = np.array([f(np.where(z == 1, x, background)).mean() for z in Z])
        phi0 = f(background.mean(axis=0)[None])[0] if kind == "mean input" else v[0]
        fx = v[-1]
        Zi, vi = Z[1:-1], v[1:-1]
        k = Zi.sum(1)
        w = (
            np.ones(len(Zi))
            if kind == "uniform"
            else (M - 1) / (np.array([math.comb(M, int(s)) for s in k]) * k * (M - k))
        )
        A = Zi[:, :-1] - Zi[:, -1:]
        t = vi - phi0 - Zi[:, -1] * (fx - phi0)
        sw = np.sqrt(w)
        head = np.linalg.lstsq(A * sw[:, None], t * sw, rcond=None)[0]
        return np.append(head, fx - phi0 - head.sum()), float(phi0)

    return wrong


register(
    Check(
        "pp3.kernel_shap",
        reference=ref.kernel_shap,
        cases=_shap_cases,
        hint="v(z) = mean over background rows of f(x where z=1, background where z=0); Shapley-kernel weighted least squares with Σφ = f(x) − v(∅).",
        mistakes=[
            Mistake(
                "uniform weights",
                _shap_variant("uniform"),
                "weight each coalition by the Shapley kernel (M−1)/(C(M,|z|)·|z|·(M−|z|)), not uniformly.",
            ),
            Mistake(
                "zeros",
                _shap_variant("zeros"),
                "a missing feature takes the BACKGROUND values (average over rows), not 0.",
            ),
            Mistake(
                "mean input (phi0 only)",
                lambda f, x, B: (ref.kernel_shap(f, x, B)[0], float(f(B.mean(axis=0)[None])[0])),
                "φ0 = E[f(background)], the mean of the outputs, not f(mean of the background).",
            ),
            Mistake(
                "mean input",
                _shap_variant("mean input"),
                "φ0 = E[f(background)], the mean of the outputs, not f(mean of the background).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- randomized response
def _rr_cases():
    rng = np.random.default_rng(8)
    return [
        Case((np.array([1, 1, 0, 1, 0, 0, 1, 1]), 0.5)),
        Case((np.array([0, 0, 0, 1]), 0.75)),
        Case(
            ((rng.uniform(size=500) < 0.4).astype(int), 0.3), label="500 noisy answers, p_truth=0.3"
        ),
        Case(
            (np.array([1, 0, 1, 0]), 1.0),
            hint="p_truth = 1 means no noise: the estimate is the plain mean.",
        ),
    ]


register(
    Check(
        "pp3.rr_estimate",
        reference=ref.rr_estimate,
        cases=_rr_cases,
        hint="P(yes) = p·π + (1 − p)/2, so π̂ = (mean − (1 − p)/2) / p.",
        mistakes=[
            Mistake(
                "raw mean",
                lambda a, p: float(np.mean(a)),
                "the raw mean is biased towards 1/2: undo the coin flips.",
            ),
            Mistake(
                "no half",
                lambda a, p: float((np.mean(a) - (1 - p)) / p),
                "the coin says yes only half the time: subtract (1 − p)/2.",
            ),
            Mistake(
                "no divide",
                lambda a, p: float(np.mean(a) - (1 - p) / 2),
                "divide by p: only a fraction p of answers carries the truth.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- DP aggregation
def _dp_agg_cases():
    rng = np.random.default_rng(9)
    G = rng.normal(size=(8, 5)) * np.array(
        [[0.1], [3.0], [0.5], [10.0], [1.0], [0.2], [4.0], [0.05]]
    )
    return [
        Case(
            (np.array([[3.0, 4.0], [0.3, 0.4]]), 1.0, 0.0, np.zeros(2)),
            hint="norms 5 and 0.5: only the first is clipped to 1.",
        ),
        Case((G, 1.0, 0.0, np.zeros(5)), label="8 gradients of very different norms, no noise"),
        Case((G, 2.0, 1.5, rng.normal(size=5)), label="same, clip 2, noise multiplier 1.5"),
        Case(
            (np.array([[0.0, 0.0], [1.0, 0.0]]), 1.0, 0.5, np.array([1.0, -1.0])),
            hint="a zero gradient stays zero (no division by 0).",
        ),
        Case(
            (np.array([[0.2, 0.1], [0.0, 0.3], [3.0, 4.0]]), 0.5, 0.0, np.zeros(2)),
            hint="C=0.5: gradients with norm below C are kept as they are; only the third is scaled.",
        ),
    ]


def _dp_agg_variant(kind):
    def wrong(G, C, sigma, noise):
        n = len(G)
        norms = np.linalg.norm(G, axis=1, keepdims=True)
        if kind == "clip sum":
            s = G.sum(0)
            s = s * min(1.0, C / max(np.linalg.norm(s), 1e-12))
            return (s + sigma * C * noise) / n
        if kind == "normalise":
            Gc = G * C / np.maximum(norms, 1e-12)
        else:
            Gc = G * np.minimum(1.0, C / np.maximum(norms, 1e-12))
        std = sigma if kind == "noise no C" else sigma * C
        return (Gc.sum(0) + std * noise) / n

    return wrong


register(
    Check(
        "pp3.dp_aggregate",
        reference=ref.dp_aggregate,
        cases=_dp_agg_cases,
        hint="g_i ← g_i · min(1, C/‖g_i‖) per row; then (Σ g_i + σ·C·noise) / n.",
        mistakes=[
            Mistake(
                "clip the sum",
                _dp_agg_variant("clip sum"),
                "clip EACH example's gradient before summing: that bounds one person's influence.",
            ),
            Mistake(
                "normalise all",
                _dp_agg_variant("normalise"),
                "min(1, C/‖g‖): gradients already shorter than C are left as they are, not scaled up.",
            ),
            Mistake(
                "noise without C",
                _dp_agg_variant("noise no C"),
                "the noise std is σ·C: it must scale with the clipping norm.",
            ),
        ],
    )
)
