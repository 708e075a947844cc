"""Project P3 checks pass correct code and catch typical wrong code with the right hint."""

import itertools
import math

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def demographic_parity(y_pred, sensitive):
    rates = [
        np.sum(y_pred[sensitive == g]) / np.sum(sensitive == g) for g in set(sensitive.tolist())
    ]
    return max(rates) - min(rates)


def equalized_odds(y_true, y_pred, sensitive):
    tprs, fprs = [], []
    for g in set(sensitive.tolist()):
        m = sensitive == g
        tp = np.sum(y_pred[m] * y_true[m])
        fp = np.sum(y_pred[m] * (1 - y_true[m]))
        tprs.append(tp / np.sum(y_true[m]))
        fprs.append(fp / np.sum(1 - y_true[m]))
    return max(max(tprs) - min(tprs), max(fprs) - min(fprs))


def reweighing(y, sensitive):
    n = len(y)
    out = np.zeros(n)
    for i in range(n):
        same_group = sensitive == sensitive[i]
        same_label = y == y[i]
        out[i] = same_group.sum() * same_label.sum() / (n * (same_group & same_label).sum())
    return out


def permutation_importance(score_fn, X, y, permutations):
    base = score_fn(X, y)
    drops = []
    for j in range(X.shape[1]):
        vals = []
        for perm in permutations:
            cols = [X[perm, k] if k == j else X[:, k] for k in range(X.shape[1])]
            vals.append(base - score_fn(np.column_stack(cols), y))
        drops.append(np.mean(vals))
    return np.array(drops)


def kernel_shap(f, x, background):
    """Exact Shapley values by the permutation formula (independent of the regression)."""
    M = len(x)

    def v(S):
        Xs = background.copy()
        Xs[:, list(S)] = x[list(S)]
        return f(Xs).mean()

    phi = np.zeros(M)
    for j in range(M):
        others = [k for k in range(M) if k != j]
        for r in range(M):
            for S in itertools.combinations(others, r):
                w = math.factorial(r) * math.factorial(M - r - 1) / math.factorial(M)
                phi[j] += w * (v(S + (j,)) - v(S))
    return phi, v(())


def rr_estimate(noisy, p_truth):
    return (np.sum(noisy) / len(noisy) - 0.5 + 0.5 * p_truth) / p_truth


def dp_aggregate(per_example, clip_norm, noise_multiplier, noise):
    total = np.zeros(per_example.shape[1])
    for g in per_example:
        norm = np.sqrt(np.sum(g**2))
        total += g if norm <= clip_norm else g * (clip_norm / norm)
    return (total + noise_multiplier * clip_norm * noise) / len(per_example)


REFERENCES = {
    "pp3.demographic_parity": demographic_parity,
    "pp3.equalized_odds": equalized_odds,
    "pp3.reweighing": reweighing,
    "pp3.permutation_importance": permutation_importance,
    "pp3.kernel_shap": kernel_shap,
    "pp3.rr_estimate": rr_estimate,
    "pp3.dp_aggregate": dp_aggregate,
}


# --- typical mistakes ------------------------------------------------------------------
def dp_ratio(y_pred, sensitive):
    rates = [y_pred[sensitive == g].mean() for g in np.unique(sensitive)]
    return min(rates) / max(rates)


def dp_two_groups_only(y_pred, sensitive):
    a, b = np.unique(sensitive)[:2]
    return abs(y_pred[sensitive == a].mean() - y_pred[sensitive == b].mean())


def eo_average(y_true, y_pred, sensitive):
    tpr = [y_pred[(sensitive == g) & (y_true == 1)].mean() for g in np.unique(sensitive)]
    fpr = [y_pred[(sensitive == g) & (y_true == 0)].mean() for g in np.unique(sensitive)]
    return ((max(tpr) - min(tpr)) + (max(fpr) - min(fpr))) / 2


def eo_equal_opportunity(y_true, y_pred, sensitive):
    tpr = [y_pred[(sensitive == g) & (y_true == 1)].mean() for g in np.unique(sensitive)]
    return max(tpr) - min(tpr)


def eo_fp_over_group_size(y_true, y_pred, sensitive):
    tpr, fpr = [], []
    for g in np.unique(sensitive):
        m = sensitive == g
        tpr.append(y_pred[m & (y_true == 1)].mean())
        fpr.append(np.sum(y_pred[m] * (1 - y_true[m])) / m.sum())
    return max(max(tpr) - min(tpr), max(fpr) - min(fpr))


def rw_inverted(y, sensitive):
    return 1 / reweighing(y, sensitive)


def rw_group_frequency(y, sensitive):
    return np.array([len(y) / np.sum(sensitive == g) for g in sensitive])


def pi_negative(score_fn, X, y, permutations):
    return -permutation_importance(score_fn, X, y, permutations)


def pi_shuffle_in_place(score_fn, X, y, permutations):
    base = score_fn(X, y)
    out = []
    for j in range(X.shape[1]):
        drops = []
        for perm in permutations:
            X[:, j] = X[perm, j]
            drops.append(base - score_fn(X, y))
        out.append(np.mean(drops))
    return np.array(out)


def pi_rows(score_fn, X, y, permutations):
    base = score_fn(X, y)
    d = np.mean([base - score_fn(X[p], y) for p in permutations])
    return np.full(X.shape[1], d)


def shap_missing_is_zero(f, x, background):
    return kernel_shap(f, x, np.zeros_like(background))


def shap_phi0_of_mean(f, x, background):
    phi, _ = kernel_shap(f, x, background)
    return phi, f(background.mean(axis=0, keepdims=True))[0]


def shap_uniform_weights(f, x, background):
    M = len(x)
    Z = np.array([z for z in itertools.product([0, 1], repeat=M)][1:-1], float)
    v = np.array([f(np.where(z == 1, x, background)).mean() for z in Z])
    phi0, fx = f(background).mean(), f(x[None])[0]
    A = np.column_stack([Z, np.ones(len(Z))])
    # no kernel weights, efficiency imposed by a big-weight row instead of elimination
    A = np.vstack([A, 1e6 * np.r_[np.ones(M), 0]])
    t = np.r_[v - phi0, 1e6 * (fx - phi0)]
    sol = np.linalg.lstsq(A, t, rcond=None)[0]
    return sol[:M], phi0


def rr_plain_mean(noisy, p_truth):
    return float(np.mean(noisy))


def rr_no_rescale(noisy, p_truth):
    return float(np.mean(noisy) - (1 - p_truth) / 2)


def dp_clip_total(per_example, clip_norm, noise_multiplier, noise):
    s = per_example.sum(axis=0)
    s = s * min(1.0, clip_norm / np.linalg.norm(s))
    return (s + noise_multiplier * clip_norm * noise) / len(per_example)


def dp_noise_not_scaled(per_example, clip_norm, noise_multiplier, noise):
    clipped = dp_aggregate(per_example, clip_norm, 0.0, noise)
    return clipped + noise_multiplier * noise / len(per_example)


MISTAKES = {
    "pp3.demographic_parity": [
        (dp_ratio, "ratio"),
        (dp_two_groups_only, "all of them"),
    ],
    "pp3.equalized_odds": [
        (eo_average, "not their average"),
        (eo_equal_opportunity, "equal opportunity"),
        (eo_fp_over_group_size, "NEGATIVES"),
    ],
    "pp3.reweighing": [
        (rw_inverted, "upside down"),
        (rw_group_frequency, "depends on the label"),
    ],
    "pp3.permutation_importance": [
        (pi_negative, "DROP in score"),
        (pi_shuffle_in_place, "fresh copy"),
        (pi_rows, "ONE column"),
    ],
    "pp3.kernel_shap": [
        (shap_missing_is_zero, "BACKGROUND values"),
        (shap_phi0_of_mean, "not f(mean"),
        (shap_uniform_weights, "Shapley kernel"),
    ],
    "pp3.rr_estimate": [
        (rr_plain_mean, "undo the coin flips"),
        (rr_no_rescale, "divide by p"),
    ],
    "pp3.dp_aggregate": [
        (dp_clip_total, "EACH example"),
        (dp_noise_not_scaled, "σ·C"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
