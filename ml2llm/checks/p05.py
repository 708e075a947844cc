"""Checks for Project 05 — decision trees (Gini, entropy, the vectorized best split, growing
a tree, cost-complexity alphas). References are in :mod:`ml2llm.classical.tree`."""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.classical import tree as ref


def _proportions(y):
    _, counts = np.unique(np.asarray(y), return_counts=True)
    return counts, counts / counts.sum()


def _label_cases():
    rng = np.random.default_rng(5)
    return [
        Case((np.array([0, 0, 1, 1]),)),
        Case((np.array([1, 1, 1]),), hint="a pure node has impurity 0."),
        Case((np.array([0, 1, 2, 2, 2, 1]),)),
        Case(
            (np.array([7, 3, 3]),),
            hint="labels are any values, not 0..K-1: count them with np.unique.",
        ),
        Case((np.array([3]),), hint="a single sample is pure."),
        Case((rng.integers(0, 4, size=60),), label="y: 60 labels from 4 classes"),
    ]


register(
    Check(
        "p05.gini",
        reference=ref.gini,
        cases=_label_cases,
        hint="G = 1 − Σ_k p_k² with p_k the share of class k in the node.",
        mistakes=[
            Mistake(
                "counts",
                lambda y: 1.0 - np.sum(_proportions(y)[0] ** 2),
                "use proportions p_k = count_k / n, not raw counts.",
            ),
            Mistake(
                "no 1 minus",
                lambda y: np.sum(_proportions(y)[1] ** 2),
                "Gini is 1 − Σ p_k² (impurity), not Σ p_k² (purity).",
            ),
            Mistake(
                "no square",
                lambda y: 1.0 - np.sum(_proportions(y)[1]),
                "square the proportions: 1 − Σ p_k is always 0.",
            ),
            Mistake("entropy", ref.entropy, "that is the entropy; Gini is 1 − Σ p_k²."),
        ],
    )
)


def _ent_variant(log=np.log2, sign=-1.0, counts=False):
    def wrong(y):
        c, p = _proportions(y)
        q = c.astype(float) if counts else p
        return float(sign * np.sum(p * log(q)))

    return wrong


register(
    Check(
        "p05.entropy",
        reference=ref.entropy,
        cases=_label_cases,
        hint="H = −Σ_k p_k log₂ p_k over the classes present (in bits).",
        mistakes=[
            Mistake(
                "natural log",
                _ent_variant(log=np.log),
                "use log base 2 (np.log2): entropy in bits.",
            ),
            Mistake(
                "no minus",
                _ent_variant(sign=1.0),
                "entropy is −Σ p log p: log p ≤ 0, so add the minus.",
            ),
            Mistake(
                "log of counts",
                _ent_variant(counts=True),
                "take the log of the proportion p_k, not of the count.",
            ),
            Mistake("gini", ref.gini, "that is the Gini index; entropy is −Σ p_k log₂ p_k."),
        ],
    )
)


def _split_cases():
    rng = np.random.default_rng(7)
    x = rng.normal(size=30)
    y = (x + 0.6 * rng.normal(size=30) > 0).astype(int)
    xd = np.array([1.0, 2.0, 2.0, 2.0, 3.0, 4.0])
    return [
        Case((np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1]))),
        Case(
            (np.array([4.0, 1.0, 3.0, 2.0]), np.array([1, 0, 1, 0])),
            hint="sort x (and y with it) first.",
        ),
        Case((np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0, 1, 0, 0, 1, 1]))),
        Case(
            (xd, np.array([0, 0, 1, 1, 1, 1])),
            hint="never cut between two equal x values: both must go to the same side.",
        ),
        Case((x, y), label="x: 30 random values, y: noisy threshold labels"),
        Case((np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), np.array([0, 1, 2, 2, 0, 1, 2]))),
    ]


def _split_variant(threshold="mid", weighted=True, skip_ties=True):
    def wrong(x, y):
        x = np.asarray(x, float)
        order = np.argsort(x, kind="stable")
        xs, ys = x[order], np.asarray(y)[order]
        n = xs.size
        best = (None, np.inf)
        for i in range(n - 1):
            if skip_ties and xs[i + 1] == xs[i]:
                continue
            gl, gr = ref.gini(ys[: i + 1]), ref.gini(ys[i + 1 :])
            score = ((i + 1) * gl + (n - i - 1) * gr) / n if weighted else (gl + gr) / 2
            if score < best[1]:
                t = {"mid": (xs[i] + xs[i + 1]) / 2, "next": xs[i + 1], "left": xs[i]}[threshold]
                best = (float(t), float(score))
        return best

    return wrong


register(
    Check(
        "p05.best_split",
        reference=ref.best_split,
        cases=_split_cases,
        hint="sort x, cumulative class counts give every left/right split at once; score "
        "(n_L G_L + n_R G_R)/n and return the midpoint threshold of the best cut.",
        mistakes=[
            Mistake(
                "next value",
                _split_variant(threshold="next"),
                "the threshold must lie between the last left value and the first right value: "
                "with t = the next value, x <= t leaks that sample to the left. Use the midpoint.",
            ),
            Mistake(
                "left value",
                _split_variant(threshold="left"),
                "use the midpoint (x_i + x_{i+1})/2 between the two values, as scikit-learn does.",
            ),
            Mistake(
                "unweighted",
                _split_variant(weighted=False),
                "weight each child's impurity by its share of samples: (n_L G_L + n_R G_R)/n.",
            ),
            Mistake(
                "ties",
                _split_variant(skip_ties=False),
                "never cut between two equal x values: both must go to the same side.",
            ),
        ],
    )
)


def _tree_cases():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(40, 3))
    y = ((X[:, 0] > 0.2) ^ (X[:, 1] > -0.3)).astype(int)
    X3 = rng.normal(size=(30, 2))
    y3 = np.digitize(X3[:, 0] + 0.3 * X3[:, 1], [-0.5, 0.5])
    Xn, yn = rng.normal(size=(60, 2)), rng.integers(0, 2, 60)
    return [
        Case((np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([0, 0, 1, 1]), 2)),
        Case((X, y, 1), label="X (40, 3), XOR-like y, max_depth=1"),
        Case((X, y, 3), label="X (40, 3), XOR-like y, max_depth=3"),
        Case((X3, y3, 4), label="X (30, 2), 3 classes, max_depth=4"),
        Case((X[:5], np.ones(5, dtype=int), 3), label="pure y, max_depth=3 (must be one leaf)"),
        Case(
            (np.column_stack([X[:, 2], X[:, 0], X[:, 0], X[:, 1]]), y, 2),
            label="X (40, 4) whose columns 1 and 2 are equal, max_depth=2",
            hint="on a tie between features keep the first one (compare with <, not <=).",
        ),
        Case(
            (Xn, yn, 3),
            label="X (60, 2), random labels, max_depth=3 (both sides reach the depth limit)",
            hint="each child is grown with depth + 1; stop when depth reaches max_depth.",
        ),
    ]


def _grow_variant(depth_off=0, stop_pure=True, leaf="majority"):
    def grow(X, y, max_depth, depth=0):
        values, counts = np.unique(y, return_counts=True)
        label = values[np.argmax(counts)] if leaf == "majority" else y[0]
        node = {"value": label.item()}
        if depth > max_depth + depth_off - 1 or (stop_pure and len(values) == 1):
            return node
        best = (None, None, np.inf)
        for j in range(X.shape[1]):
            t, s = ref.best_split(X[:, j], y)
            if t is not None and s < best[2]:
                best = (j, t, s)
        if best[0] is None:
            return node
        j, t, _ = best
        go = X[:, j] <= t
        if go.all() or not go.any():
            return node
        return {
            "feature": j,
            "threshold": t,
            "left": grow(X[go], y[go], max_depth, depth + 1),
            "right": grow(X[~go], y[~go], max_depth, depth + 1),
        }

    return grow


register(
    Check(
        "p05.grow_tree",
        reference=ref.grow_tree,
        cases=_tree_cases,
        hint="a leaf when depth == max_depth, the node is pure, or no split exists; else split on "
        "the feature with the lowest weighted Gini and recurse on x <= t (left) and x > t.",
        mistakes=[
            Mistake(
                "one level too deep",
                _grow_variant(depth_off=1),
                "off by one: the root has depth 0, and a node at depth == max_depth is a leaf.",
            ),
            Mistake(
                "no purity stop",
                _grow_variant(stop_pure=False),
                "stop at a pure node (one class): splitting it gains nothing.",
            ),
            Mistake(
                "first label",
                _grow_variant(leaf="first"),
                "a leaf predicts the majority class of its samples, not the first one.",
            ),
        ],
    )
)


def _alpha_cases():
    #        0
    #      1    4
    #     2 3  5 6
    left = np.array([1, 2, -1, -1, 5, -1, -1])
    right = np.array([4, 3, -1, -1, 6, -1, -1])
    risk = np.array([0.5, 0.3, 0.1, 0.12, 0.15, 0.05, 0.02])
    # a chain: 0 -> (1, 2), 2 -> (3, 4)
    left2, right2 = np.array([1, -1, 3, -1, -1]), np.array([2, -1, 4, -1, -1])
    risk2 = np.array([0.4, 0.1, 0.25, 0.05, 0.1])
    return [
        Case((left, right, risk), label="a balanced tree of 7 nodes"),
        Case((left2, right2, risk2), label="an unbalanced tree of 5 nodes"),
        Case(
            (np.array([1, -1, -1]), np.array([2, -1, -1]), np.array([0.3, 0.1, 0.05])),
            label="one split",
        ),
    ]


def _alpha_variant(minus_one=True, all_leaves=True, leaf_value=np.inf):
    def wrong(children_left, children_right, node_risk):
        left, right, risk = map(np.asarray, (children_left, children_right, node_risk))
        n = left.size
        leaves, branch = np.zeros(n, int), np.zeros(n)
        for t in range(n - 1, -1, -1):
            if left[t] == -1:
                leaves[t], branch[t] = 1, risk[t]
            elif all_leaves:
                leaves[t] = leaves[left[t]] + leaves[right[t]]
                branch[t] = branch[left[t]] + branch[right[t]]
            else:
                leaves[t], branch[t] = 2, risk[left[t]] + risk[right[t]]
        out = np.full(n, leaf_value, dtype=float)
        inner = left != -1
        out[inner] = (risk[inner] - branch[inner]) / (leaves[inner] - (1 if minus_one else 0))
        return out

    return wrong


register(
    Check(
        "p05.subtree_alphas",
        reference=ref.subtree_alphas,
        cases=_alpha_cases,
        hint="g(t) = (R(t) − R(T_t)) / (|leaves(T_t)| − 1): R(T_t) sums the risk of all leaves "
        "below t; leaves get inf. Visit nodes from the last id to the first.",
        mistakes=[
            Mistake(
                "no minus one",
                _alpha_variant(minus_one=False),
                "divide by |leaves| − 1: pruning t removes that many leaves.",
            ),
            Mistake(
                "children only",
                _alpha_variant(all_leaves=False),
                "R(T_t) and |leaves| cover every leaf below t, not only its two children.",
            ),
            Mistake(
                "leaf zero",
                _alpha_variant(leaf_value=0.0),
                "a leaf cannot be pruned: give it g = inf (np.inf), not 0.",
            ),
        ],
    )
)
