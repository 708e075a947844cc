"""Project 07.5 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def balanced_class_weights(y):
    labels = sorted(set(y.tolist()))
    return {c: len(y) / (len(labels) * int(np.sum(y == c))) for c in labels}


def smote_neighbors(X_min, k):
    out = []
    for i, x in enumerate(X_min):
        d = [(np.sum((x - z) ** 2), j) for j, z in enumerate(X_min) if j != i]
        out.append([j for _, j in sorted(d)[:k]])
    return np.array(out)


def smote_interpolate(X_min, neighbors, rows, cols, gaps):
    return np.array(
        [(1 - g) * X_min[r] + g * X_min[neighbors[r][c]] for r, c, g in zip(rows, cols, gaps)]
    )


def best_threshold(y_true, scores, beta):
    best = (-1.0, None)
    for t in sorted(set(scores.tolist()), reverse=True):
        pred = scores >= t
        tp = np.sum(pred & (y_true == 1))
        p = tp / pred.sum()
        r = tp / y_true.sum()
        f = (1 + beta**2) * p * r / (beta**2 * p + r) if p + r > 0 else 0.0
        if f > best[0] + 1e-15:
            best = (f, t)
    return best[1], best[0]


def correct_prior_shift(proba, train_prior, true_prior):
    logit = np.log(proba) - np.log1p(-proba) if np.all((proba > 0) & (proba < 1)) else None
    shift = np.log(true_prior / (1 - true_prior)) - np.log(train_prior / (1 - train_prior))
    if logit is not None:
        return 1 / (1 + np.exp(-(logit + shift)))
    r = np.exp(shift)
    return proba * r / (proba * r + 1 - proba)


REFERENCES = {
    "p07_5.balanced_class_weights": balanced_class_weights,
    "p07_5.smote_neighbors": smote_neighbors,
    "p07_5.smote_interpolate": smote_interpolate,
    "p07_5.best_threshold": best_threshold,
    "p07_5.correct_prior_shift": correct_prior_shift,
}


# --- typical mistakes ------------------------------------------------------------------
def cw_frequency(y):
    return {c: float(np.mean(y == c)) for c in sorted(set(y.tolist()))}


def cw_inverse_count(y):
    return {c: 1 / int(np.sum(y == c)) for c in sorted(set(y.tolist()))}


def nn_keeps_self(X_min, k):
    d = ((X_min[:, None] - X_min[None]) ** 2).sum(-1)
    return np.argsort(d, axis=1, kind="stable")[:, :k]


def nn_descending(X_min, k):
    d = ((X_min[:, None] - X_min[None]) ** 2).sum(-1)
    return np.argsort(d, axis=1, kind="stable")[:, ::-1][:, :k]


def interp_from_neighbor(X_min, neighbors, rows, cols, gaps):
    nb = X_min[neighbors[rows, cols]]
    return nb + gaps[:, None] * (X_min[rows] - nb)


def interp_indexes_x_by_col(X_min, neighbors, rows, cols, gaps):
    return X_min[rows] + gaps[:, None] * (X_min[cols] - X_min[rows])


def thr_beta_not_squared(y_true, scores, beta):
    return best_threshold(y_true, scores, np.sqrt(beta))


def thr_max_accuracy(y_true, scores, beta):
    ts = np.unique(scores)
    accs = [np.mean((scores >= t).astype(int) == y_true) for t in ts]
    t = ts[int(np.argmax(accs))]
    pred = scores >= t
    tp = np.sum(pred & (y_true == 1))
    p, r = tp / pred.sum(), tp / y_true.sum()
    return t, (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0


def prior_wrong_direction(proba, train_prior, true_prior):
    return correct_prior_shift(proba, true_prior, train_prior)


def prior_scales_probability(proba, train_prior, true_prior):
    return np.minimum(1.0, proba * true_prior / train_prior)


MISTAKES = {
    "p07_5.balanced_class_weights": [
        (cw_frequency, "larger weights"),
        (cw_inverse_count, "total weight"),
    ],
    "p07_5.smote_neighbors": [
        (nn_keeps_self, "own nearest neighbour"),
        (nn_descending, "nearest"),
    ],
    "p07_5.smote_interpolate": [
        (interp_from_neighbor, "towards its neighbour"),
        (interp_indexes_x_by_col, "neighbors[r, c]"),
    ],
    "p07_5.best_threshold": [
        (thr_beta_not_squared, "β²"),
        (thr_max_accuracy, "not accuracy"),
    ],
    "p07_5.correct_prior_shift": [
        (prior_wrong_direction, "wrong way"),
        (prior_scales_probability, "odds"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
