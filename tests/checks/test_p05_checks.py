"""Project 05 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def _shares(y):
    labels = list(np.asarray(y).tolist())
    return np.array([labels.count(v) for v in set(labels)], float) / len(labels)


def gini(y):
    p = _shares(y)
    return 1.0 - p @ p


def entropy(y):
    p = _shares(y)
    return float(-np.sum(p * np.log(p)) / np.log(2))


def best_split(x, y):
    order = np.argsort(x, kind="mergesort")
    xs, ys = np.asarray(x, float)[order], np.asarray(y)[order]
    classes = np.unique(ys)
    counts = np.cumsum(ys[:, None] == classes[None, :], axis=0).astype(float)
    n = len(xs)
    nl = np.arange(1, n + 1, dtype=float)
    total = counts[-1]
    left, right = counts[:-1], total - counts[:-1]
    nl, nr = nl[:-1], n - nl[:-1]
    child = (nl - (left**2).sum(1) / nl + nr - (right**2).sum(1) / nr) / n
    child[xs[1:] == xs[:-1]] = np.inf
    if np.all(np.isinf(child)):
        return None, np.inf
    i = int(np.argmin(child))
    return (xs[i] + xs[i + 1]) / 2, child[i]


def grow_tree(X, y, max_depth, depth=0):
    vals, cnt = np.unique(y, return_counts=True)
    majority = vals[cnt.argmax()].item()
    if depth == max_depth or vals.size == 1:
        return {"value": majority}
    scored = [(best_split(X[:, j], y), j) for j in range(X.shape[1])]
    scored = [(s, t, j) for (t, s), j in scored if t is not None]
    if not scored:
        return {"value": majority}
    s, t, j = min(scored, key=lambda item: (item[0], item[2]))
    m = X[:, j] <= t
    return {
        "feature": j,
        "threshold": t,
        "left": grow_tree(X[m], y[m], max_depth, depth + 1),
        "right": grow_tree(X[~m], y[~m], max_depth, depth + 1),
    }


def subtree_alphas(children_left, children_right, node_risk):
    def leaves(t):
        if children_left[t] == -1:
            return [t]
        return leaves(children_left[t]) + leaves(children_right[t])

    out = []
    for t in range(len(children_left)):
        below = leaves(t)
        if len(below) == 1:
            out.append(np.inf)
        else:
            out.append((node_risk[t] - sum(node_risk[i] for i in below)) / (len(below) - 1))
    return np.array(out)


REFERENCES = {
    "p05.gini": gini,
    "p05.entropy": entropy,
    "p05.best_split": best_split,
    "p05.grow_tree": grow_tree,
    "p05.subtree_alphas": subtree_alphas,
}


# --- typical mistakes ------------------------------------------------------------------
def gini_counts(y):
    _, c = np.unique(y, return_counts=True)
    return 1 - np.sum(c**2)


def gini_purity(y):
    p = _shares(y)
    return p @ p


def entropy_ln(y):
    p = _shares(y)
    return -np.sum(p * np.log(p))


def entropy_plus(y):
    p = _shares(y)
    return np.sum(p * np.log2(p))


def split_leaky(x, y):
    t, s = best_split(x, y)
    xs = np.sort(x)
    return xs[np.searchsorted(xs, t)], s  # the first value right of the cut


def split_unweighted(x, y):
    xs_order = np.argsort(x)
    xs, ys = np.asarray(x)[xs_order], np.asarray(y)[xs_order]
    best = (None, np.inf)
    for i in range(len(xs) - 1):
        if xs[i] == xs[i + 1]:
            continue
        s = (gini(ys[: i + 1]) + gini(ys[i + 1 :])) / 2
        if s < best[1]:
            best = ((xs[i] + xs[i + 1]) / 2, s)
    return best


def split_between_ties(x, y):
    xs_order = np.argsort(x, kind="stable")
    xs, ys = np.asarray(x)[xs_order], np.asarray(y)[xs_order]
    n, best = len(xs), (None, np.inf)
    for i in range(n - 1):
        s = ((i + 1) * gini(ys[: i + 1]) + (n - i - 1) * gini(ys[i + 1 :])) / n
        if s < best[1]:
            best = ((xs[i] + xs[i + 1]) / 2, s)
    return best


def grow_too_deep(X, y, max_depth, depth=0):
    return grow_tree(X, y, max_depth + 1, depth)


def grow_first_label(X, y, max_depth, depth=0):
    node = grow_tree(X, y, max_depth, depth)

    def fix(nd, Xn, yn):
        if "value" in nd:
            return {"value": yn[0].item()}
        m = Xn[:, nd["feature"]] <= nd["threshold"]
        return {
            **nd,
            "left": fix(nd["left"], Xn[m], yn[m]),
            "right": fix(nd["right"], Xn[~m], yn[~m]),
        }

    return fix(node, X, y)


def alphas_no_minus_one(children_left, children_right, node_risk):
    g = subtree_alphas(children_left, children_right, node_risk)
    out = g.copy()
    for t in range(len(g)):
        if np.isfinite(g[t]):
            k = 1 + _n_leaves(children_left, children_right, t) - 1
            out[t] = g[t] * (k - 1) / k
    return out


def _n_leaves(cl, cr, t):
    return 1 if cl[t] == -1 else _n_leaves(cl, cr, cl[t]) + _n_leaves(cl, cr, cr[t])


def alphas_leaf_zero(children_left, children_right, node_risk):
    g = subtree_alphas(children_left, children_right, node_risk)
    return np.where(np.isinf(g), 0.0, g)


MISTAKES = {
    "p05.gini": [
        (gini_counts, "proportions"),
        (gini_purity, "not σ p_k² (purity)"),
        (entropy, "that is the entropy"),
    ],
    "p05.entropy": [
        (entropy_ln, "log base 2"),
        (entropy_plus, "add the minus"),
        (gini, "that is the gini index"),
    ],
    "p05.best_split": [
        (split_leaky, "leaks that sample"),
        (split_unweighted, "weight each child's impurity"),
        (split_between_ties, "never cut between two equal x values"),
    ],
    "p05.grow_tree": [
        (grow_too_deep, "off by one"),
        (grow_first_label, "majority class"),
    ],
    "p05.subtree_alphas": [
        (alphas_no_minus_one, "|leaves| − 1"),
        (alphas_leaf_zero, "cannot be pruned"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
