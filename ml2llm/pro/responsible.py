"""Responsible AI from scratch (Project P3): fairness, explainability, privacy.

**Fairness** (binary predictions, any number of groups):
:func:`selection_rates`, :func:`demographic_parity_difference` and
:func:`equalized_odds_difference` (the largest between-group gap, as fairlearn's
``demographic_parity_difference`` / ``equalized_odds_difference`` with their defaults);
mitigation by :func:`reweighing_weights` (Kamiran & Calders: weight ``P(A)P(Y)/P(A, Y)``, a
pre-processing fix passed as ``sample_weight``) and by per-group decision thresholds
(:func:`group_thresholds`, :func:`apply_group_thresholds`, a post-processing fix).
:func:`make_loans` generates a lending dataset with a known historical bias to study them.

**Explainability:** :func:`permutation_importance` (drop in score when one column is shuffled,
like ``sklearn.inspection.permutation_importance``) and :func:`kernel_shap` (Kernel SHAP with
every coalition enumerated, so it equals the exact Shapley values of the interventional value
function ``v(S) = E_b f(x_S, b_{-S})`` over a background sample; like
``shap.KernelExplainer`` when it enumerates all coalitions). Exact enumeration is
``O(2^M)``: fine to about 12 features; there is no sampling of coalitions here.

**Privacy:** randomized response (:func:`randomized_response`, :func:`rr_estimate`,
:func:`rr_epsilon`); DP gradient descent on the NumPy MLP of :mod:`ml2llm.neural`
(:func:`per_example_gradients` for ``Linear``/``ReLU`` stacks, :func:`dp_aggregate` clips each
example's gradient to ``clip_norm`` and adds Gaussian noise, :func:`train_dp_gd`), its privacy
budget :func:`dp_epsilon` (full-batch Gaussian mechanism composed over steps via zero-
concentrated DP; no subsampling amplification, so it is an upper bound for the full-batch
algorithm we run, not a DP-SGD accountant for Poisson-sampled mini-batches), and a loss-
threshold membership-inference attack (:func:`membership_inference`).

Not here: intersectional or continuous sensitive attributes, in-processing fairness
constraints (exponentiated gradient), sampled Kernel SHAP, TreeSHAP, and a Rényi-DP
accountant for subsampled mechanisms (use Opacus for that).

>>> import numpy as np
>>> round(demographic_parity_difference(np.array([1, 1, 0, 1, 0, 0]), np.array([0, 0, 0, 1, 1, 1])), 4)
0.3333
>>> phi, phi0 = kernel_shap(lambda Z: 2 * Z[:, 0] + Z[:, 1], np.array([1.0, 1.0]), np.zeros((1, 2)))
>>> phi.round(12).tolist(), phi0
([2.0, 1.0], 0.0)
"""

from __future__ import annotations

import math
from itertools import product
from numbers import Integral, Real

import numpy as np

__all__ = [
    "apply_group_thresholds",
    "auc_score",
    "demographic_parity_difference",
    "dp_aggregate",
    "dp_epsilon",
    "equalized_odds_difference",
    "group_thresholds",
    "kernel_shap",
    "make_loans",
    "membership_inference",
    "per_example_gradients",
    "per_example_loss",
    "permutation_importance",
    "reweighing_weights",
    "rr_epsilon",
    "rr_estimate",
    "randomized_response",
    "selection_rates",
    "train_dp_gd",
]


# ----------------------------------------------------------------- validation
def _binary(y, name):
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {y.shape}")
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError(f"{name} must hold only 0 and 1, got values {np.unique(y)[:5]}")
    return y.astype(int)


def _groups(sensitive, n):
    s = np.asarray(sensitive)
    if s.shape != (n,):
        raise ValueError(f"sensitive must have shape ({n},) like the labels, got {s.shape}")
    return s


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


# ----------------------------------------------------------------- fairness
def selection_rates(y_pred, sensitive):
    """``{group: P(ŷ = 1 | A = group)}`` for every group present."""
    y_pred = _binary(y_pred, "y_pred")
    s = _groups(sensitive, y_pred.size)
    return {g: float(y_pred[s == g].mean()) for g in np.unique(s)}


def demographic_parity_difference(y_pred, sensitive):
    """Largest minus smallest selection rate across groups (0 = parity)."""
    rates = list(selection_rates(y_pred, sensitive).values())
    return float(max(rates) - min(rates))


def _group_tpr_fpr(y_true, y_pred, s):
    out = {}
    for g in np.unique(s):
        m = s == g
        pos, neg = y_true[m] == 1, y_true[m] == 0
        tpr = y_pred[m][pos].mean() if pos.any() else np.nan
        fpr = y_pred[m][neg].mean() if neg.any() else np.nan
        out[g] = (float(tpr), float(fpr))
    return out


def equalized_odds_difference(y_true, y_pred, sensitive):
    """``max(TPR gap, FPR gap)`` across groups (0 = equalized odds)."""
    y_true, y_pred = _binary(y_true, "y_true"), _binary(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}"
        )
    rates = np.array(list(_group_tpr_fpr(y_true, y_pred, _groups(sensitive, y_true.size)).values()))
    gaps = np.nanmax(rates, axis=0) - np.nanmin(rates, axis=0)
    return float(np.max(gaps))


def reweighing_weights(y, sensitive):
    """Kamiran–Calders weights ``P(A=a) P(Y=y) / P(A=a, Y=y)`` per sample.

    After weighting, the label is independent of the group in the training data; the weights
    of each group still sum to that group's size.
    """
    y = _binary(y, "y")
    s = _groups(sensitive, y.size)
    w = np.empty(y.size)
    for g, label in product(np.unique(s), (0, 1)):
        cell = (s == g) & (y == label)
        if cell.any():
            w[cell] = (s == g).mean() * (y == label).mean() / cell.mean()
    return w


def group_thresholds(scores, sensitive, rate, y_true=None):
    """Per-group thresholds so that every group gets the same rate.

    Without ``y_true``: each group's **selection rate** is ``rate`` (demographic parity). With
    ``y_true``: each group's **true-positive rate** is ``rate`` (equal opportunity). The
    threshold is the ``1 − rate`` quantile of the group's (positive) scores; predict with
    ``score >= threshold`` (:func:`apply_group_thresholds`).
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1:
        raise ValueError(f"scores must be a 1-D array, got shape {scores.shape}")
    s = _groups(sensitive, scores.size)
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 < rate < 1:
        raise ValueError(f"rate must be in (0, 1), got {rate!r}")
    y = None if y_true is None else _binary(y_true, "y_true")
    out = {}
    for g in np.unique(s):
        m = s == g if y is None else (s == g) & (y == 1)
        if not m.any():
            raise ValueError(f"group {g!r} has no {'samples' if y is None else 'positive samples'}")
        out[g] = float(np.quantile(scores[m], 1 - rate, method="inverted_cdf"))
    return out


def apply_group_thresholds(scores, sensitive, thresholds):
    """``1`` where the score reaches its group's threshold, else ``0``."""
    scores = np.asarray(scores, dtype=float)
    s = _groups(sensitive, scores.size)
    missing = set(np.unique(s).tolist()) - set(thresholds)
    if missing:
        raise ValueError(f"thresholds has no entry for group(s) {sorted(missing)}")
    t = np.array([thresholds[g] for g in s])
    return (scores >= t).astype(int)


def make_loans(n_samples=2000, bias=1.0, random_state=0):
    """A synthetic lending dataset with a historical bias against group 1.

    Features: income and savings (group 1 has slightly lower income), debt ratio, years
    employed, a neighbourhood score that is a strong *proxy* for the group (``group + N(0,
    0.5²)``, no effect on repayment), and the group itself as the last column. The true
    repayment ability depends only on the financial features; the *recorded* label (past
    approval decisions) subtracts ``bias`` from the score of group-1 applicants, so a model
    trained on it learns the bias. Returns ``X`` (n, 6), ``y`` (recorded labels), ``group``
    (0/1) and ``y_fair`` (labels without the bias, for evaluation).
    """
    n = int(n_samples)
    if n < 10:
        raise ValueError(f"n_samples must be >= 10, got {n_samples!r}")
    rng = np.random.default_rng(random_state)
    group = (rng.uniform(size=n) < 0.4).astype(int)
    income = rng.normal(0.0 - 0.3 * group, 1.0)
    savings = 0.5 * income + rng.normal(0, 1, n)
    debt = rng.normal(0, 1, n)
    years = rng.normal(0, 1, n)
    ability = 1.2 * income + 0.6 * savings - 1.0 * debt + 0.4 * years + rng.normal(0, 0.7, n)
    y_fair = (ability > 0).astype(int)
    y = (ability - bias * group > 0).astype(int)
    neighbourhood = group + rng.normal(0, 0.5, n)
    X = np.column_stack([income, savings, debt, years, neighbourhood, group.astype(float)])
    return X, y, group, y_fair


# ----------------------------------------------------------------- explainability
def permutation_importance(score_fn, X, y, n_repeats=5, random_state=0, permutations=None):
    """Mean drop in ``score_fn(X, y)`` (higher is better) when one column is shuffled.

    ``permutations`` (shape ``(n_repeats, n_samples)``) fixes the shuffles; otherwise they are
    drawn from ``random_state``. Returns ``{"importances_mean", "importances_std",
    "importances"}`` with ``importances`` of shape ``(n_features, n_repeats)``.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array, got shape {X.shape}")
    n, d = X.shape
    if permutations is None:
        if isinstance(n_repeats, bool) or not isinstance(n_repeats, Integral) or n_repeats < 1:
            raise ValueError(f"n_repeats must be a positive integer, got {n_repeats!r}")
        rng = np.random.default_rng(random_state)
        permutations = np.array([rng.permutation(n) for _ in range(n_repeats)])
    permutations = np.asarray(permutations)
    if permutations.ndim != 2 or permutations.shape[1] != n:
        raise ValueError(f"permutations must have shape (n_repeats, {n}), got {permutations.shape}")
    base = score_fn(X, y)
    imp = np.empty((d, len(permutations)))
    for j in range(d):
        for r, perm in enumerate(permutations):
            Xp = X.copy()
            Xp[:, j] = X[perm, j]
            imp[j, r] = base - score_fn(Xp, y)
    return {
        "importances_mean": imp.mean(axis=1),
        "importances_std": imp.std(axis=1),
        "importances": imp,
    }


def kernel_shap(f, x, background):
    """SHAP values of ``f`` at ``x`` by Kernel SHAP over all ``2^M`` coalitions.

    ``f`` maps an ``(n, M)`` array to ``(n,)`` outputs; the value of a coalition ``S`` is
    ``mean_b f(x_S, b_{-S})`` over the background rows. Solves the weighted least squares

    .. math:: \\min_\\phi \\sum_{z} \\pi(z)\\,(v(z) - \\phi_0 - z^\\top\\phi)^2, \\quad
              \\pi(z) = \\frac{M-1}{\\binom{M}{|z|}\\,|z|\\,(M-|z|)}

    with ``φ_0 = v(∅)`` and the efficiency constraint ``Σφ = f(x) − φ_0`` (the infinite
    weights of the empty and full coalitions). Returns ``(phi, phi_0)``.
    """
    x = np.asarray(x, dtype=float)
    B = np.asarray(background, dtype=float)
    if x.ndim != 1 or B.ndim != 2 or B.shape[1] != x.size:
        raise ValueError(
            f"x must be 1-D (M,) and background 2-D (k, M) with the same M, got {x.shape} and {B.shape}"
        )
    M = x.size
    if M > 16:
        raise ValueError(f"exact Kernel SHAP enumerates 2^M coalitions; M={M} is too many (max 16)")
    Z = np.array(list(product((0, 1), repeat=M)), dtype=float)  # all coalitions
    rows = np.where(Z[:, None, :] == 1, x[None, None, :], B[None, :, :])  # (2^M, k, M)
    v = np.asarray(f(rows.reshape(-1, M)), dtype=float).reshape(len(Z), len(B)).mean(axis=1)
    phi0, fx = v[0], v[-1]
    if M == 1:
        return np.array([fx - phi0]), float(phi0)
    Zi, vi = Z[1:-1], v[1:-1]
    size = Zi.sum(axis=1)
    w = (M - 1) / (np.array([math.comb(M, int(k)) for k in size]) * size * (M - size))
    # eliminate the last feature with the constraint phi_M = (fx - phi0) - sum_{j<M} phi_j
    A = Zi[:, :-1] - Zi[:, -1:]
    t = vi - phi0 - Zi[:, -1] * (fx - phi0)
    sw = np.sqrt(w)
    head, *_ = np.linalg.lstsq(A * sw[:, None], t * sw, rcond=None)
    return np.append(head, (fx - phi0) - head.sum()), float(phi0)


# ----------------------------------------------------------------- privacy
def randomized_response(answers, p_truth, random_state=0):
    """Each respondent tells the truth with probability ``p_truth``, else answers a fair coin."""
    answers = _binary(answers, "answers")
    p = float(p_truth)
    if not 0 < p <= 1:
        raise ValueError(f"p_truth must be in (0, 1], got {p_truth!r}")
    rng = np.random.default_rng(random_state)
    truthful = rng.uniform(size=answers.size) < p
    return np.where(truthful, answers, (rng.uniform(size=answers.size) < 0.5).astype(int))


def rr_estimate(noisy, p_truth):
    """Unbiased estimate of the true "yes" rate: ``(mean − (1 − p)/2) / p``."""
    noisy = _binary(noisy, "noisy")
    p = float(p_truth)
    if not 0 < p <= 1:
        raise ValueError(f"p_truth must be in (0, 1], got {p_truth!r}")
    return float((noisy.mean() - (1 - p) / 2) / p)


def rr_epsilon(p_truth):
    """Local differential privacy of randomized response: ``ln((1 + p)/(1 − p))``."""
    p = float(p_truth)
    if not 0 < p < 1:
        raise ValueError(f"p_truth must be in (0, 1), got {p_truth!r}")
    return math.log((1 + p) / (1 - p))


def per_example_gradients(model, X, y):
    """Per-example gradients of softmax cross-entropy for a ``Sequential`` of Linear/ReLU.

    Returns a list (one entry per parameter, in ``model.parameters()`` order) of arrays of
    shape ``(n, *param.shape)``; their mean over examples is the usual mini-batch gradient.
    """
    from ml2llm.neural.layers import Linear, ReLU
    from ml2llm.neural.losses import softmax

    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    for layer in model.layers:
        if not isinstance(layer, (Linear, ReLU)):
            raise ValueError(
                f"per_example_gradients supports Linear and ReLU layers, got {type(layer).__name__}"
            )
    logits = model.forward(X)
    g = softmax(logits)
    g[np.arange(len(y)), y] -= 1.0  # d loss_i / d logits_i (not divided by n)
    grads = {}
    for layer in reversed(model.layers):
        if isinstance(layer, Linear):
            grads[id(layer.W)] = np.einsum("bi,bo->bio", layer._x, g)
            if layer.b is not None:
                grads[id(layer.b)] = g.copy()
            g = g @ layer.W.data.T
        else:
            g = g * layer._mask
    return [grads[id(p)] for p in model.parameters()]


def dp_aggregate(per_example, clip_norm, noise_multiplier, noise):
    """Clip each row of ``per_example`` (n, d) to L2 norm ``clip_norm``, sum, add noise, average.

    .. math:: \\tilde g = \\frac1n\\Big(\\sum_i g_i \\min\\big(1, \\tfrac{C}{\\|g_i\\|}\\big)
              + \\sigma C\\,\\xi\\Big), \\qquad \\xi \\sim \\mathcal N(0, I)

    ``noise`` is the standard normal draw ``ξ`` (shape ``(d,)``), passed in so results are
    reproducible.
    """
    G = np.asarray(per_example, dtype=float)
    if G.ndim != 2:
        raise ValueError(f"per_example must be a 2-D array (n, d), got shape {G.shape}")
    C = _positive(clip_norm, "clip_norm")
    if (
        isinstance(noise_multiplier, bool)
        or not isinstance(noise_multiplier, Real)
        or noise_multiplier < 0
    ):
        raise ValueError(f"noise_multiplier must be >= 0, got {noise_multiplier!r}")
    noise = np.asarray(noise, dtype=float)
    if noise.shape != (G.shape[1],):
        raise ValueError(f"noise must have shape ({G.shape[1]},), got {noise.shape}")
    norms = np.linalg.norm(G, axis=1)
    scale = np.minimum(1.0, C / np.maximum(norms, 1e-12))
    return ((G * scale[:, None]).sum(axis=0) + noise_multiplier * C * noise) / G.shape[0]


def dp_epsilon(noise_multiplier, steps, delta):
    """ε of ``steps`` full-batch Gaussian-mechanism updates with noise ``σ = noise_multiplier``.

    Each step is ``1/(2σ²)``-zCDP (sensitivity ``C`` under adding/removing one example, noise
    std ``σC``); composition adds, ``ρ = steps/(2σ²)``; conversion gives
    ``ε = ρ + 2 sqrt(ρ ln(1/δ))`` at the given ``δ``.
    """
    sigma = _positive(noise_multiplier, "noise_multiplier")
    if isinstance(steps, bool) or not isinstance(steps, Integral) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")
    rho = steps / (2 * sigma**2)
    return float(rho + 2 * math.sqrt(rho * math.log(1 / delta)))


def train_dp_gd(
    X, y, sizes, clip_norm=1.0, noise_multiplier=1.0, steps=100, lr=0.5, random_state=0
):
    """Full-batch DP gradient descent on a fresh MLP ``make_mlp(sizes)``.

    ``noise_multiplier=0`` gives clipped, noiseless GD (a useful baseline). Returns the trained
    model and the per-step training loss (of the non-private objective, for plotting only).
    """
    from ml2llm.neural.losses import SoftmaxCrossEntropy
    from ml2llm.neural.model import make_mlp

    X, y = np.asarray(X, dtype=float), np.asarray(y)
    model = make_mlp(sizes, random_state=random_state)
    params = model.parameters()
    rng = np.random.default_rng(random_state + 1)
    losses = []
    loss_fn = SoftmaxCrossEntropy()
    for _ in range(int(steps)):
        per = per_example_gradients(model, X, y)
        losses.append(float(loss_fn.forward(model.forward(X), y)))
        flat = np.concatenate([g.reshape(len(X), -1) for g in per], axis=1)
        noisy = dp_aggregate(flat, clip_norm, noise_multiplier, rng.normal(size=flat.shape[1]))
        start = 0
        for p in params:
            p.data -= lr * noisy[start : start + p.size].reshape(p.shape)
            start += p.size
    model.eval()
    return model, np.array(losses)


def per_example_loss(model, X, y):
    """Cross-entropy of each example under a :mod:`ml2llm.neural` classifier."""
    from ml2llm.neural.train import predict_proba

    proba = predict_proba(model, np.asarray(X, dtype=float))
    return -np.log(np.clip(proba[np.arange(len(y)), np.asarray(y)], 1e-12, None))


def auc_score(y_true, scores):
    """ROC AUC by the rank-sum (Mann–Whitney) formula; ties count one half."""
    from scipy.stats import rankdata

    y_true = _binary(y_true, "y_true")
    scores = np.asarray(scores, dtype=float)
    n1, n0 = y_true.sum(), (1 - y_true).sum()
    if n1 == 0 or n0 == 0:
        raise ValueError("y_true must contain both classes")
    ranks = rankdata(scores)
    return float((ranks[y_true == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def membership_inference(loss_members, loss_nonmembers):
    """Loss-threshold attack: guess "member" when the loss is low.

    Returns ``{"auc", "advantage"}``: the attack's ROC AUC (0.5 = no better than chance) and
    its best advantage ``max_t (TPR − FPR)`` over thresholds ``t``.
    """
    a = np.asarray(loss_members, dtype=float)
    b = np.asarray(loss_nonmembers, dtype=float)
    if a.ndim != 1 or b.ndim != 1 or a.size == 0 or b.size == 0:
        raise ValueError("loss_members and loss_nonmembers must be non-empty 1-D arrays")
    labels = np.r_[np.ones(a.size, int), np.zeros(b.size, int)]
    scores = -np.r_[a, b]
    thresholds = np.unique(scores)
    tpr = np.array([(-a >= t).mean() for t in thresholds])
    fpr = np.array([(-b >= t).mean() for t in thresholds])
    return {"auc": auc_score(labels, scores), "advantage": float(np.max(tpr - fpr))}
