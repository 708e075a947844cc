"""Decision trees (CART) from scratch: classification and regression, with pruning.

A CART tree splits a node on the one (feature, threshold) pair that most reduces the
weighted impurity of its children,

.. math:: \\Delta = \\frac{n_t}{n} \\Big( I(t) - \\frac{n_L}{n_t} I(L) - \\frac{n_R}{n_t} I(R) \\Big),

with :math:`I` the Gini index :math:`1 - \\sum_k p_k^2`, the entropy
:math:`-\\sum_k p_k \\log_2 p_k` or the mean squared error around the node mean.

The split search is vectorized (see :mod:`ml2llm.classical._tree_growth`): the tree grows
level by level; features are sorted once at the root, children inherit the per-feature order
by a stable partition (no re-sort), and every candidate threshold of every feature of every
node of a level is scored at once from running class weights (or sums of ``y``) along the
sorted order. Thresholds are midpoints between consecutive distinct values, computed like
scikit-learn's (on float32 inputs), so on data without tied values and ties between splits
the fitted tree is the same as scikit-learn's, node for node. Among equally good splits this
tree takes the lowest feature index (scikit-learn takes the first in a random feature order).

- :class:`DecisionTreeClassifier` (``gini``, ``entropy``/``log_loss``) with ``predict_proba``;
- :class:`DecisionTreeRegressor` (``squared_error``);
- ``max_depth``, ``min_samples_split``, ``min_samples_leaf``, ``max_features``,
  ``random_state``, ``sample_weight`` (used by the random forest's bootstrap);
- ``feature_importances_`` (mean decrease in impurity) and minimal cost-complexity pruning
  (``ccp_alpha``, :meth:`~DecisionTreeClassifier.cost_complexity_pruning_path`);
- :func:`export_text` and :func:`plot_tree`.

Not here: missing values (NaN is rejected), multi-output ``y``, ``max_leaf_nodes``
(best-first growth), ``class_weight``, sparse inputs.

The exercise references of Project 05 (:func:`gini`, :func:`entropy`, :func:`best_split`,
:func:`grow_tree`, :func:`subtree_alphas`) are plain functions at the top.

>>> import numpy as np
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
>>> tree = DecisionTreeClassifier(max_depth=1).fit(X, y)
>>> float(tree.tree_.threshold[0]), tree.predict([[0.4], [2.6]]).tolist()
(1.5, [0, 1])
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ml2llm.classical._tree_growth import TREE_LEAF, LevelGrower


# ============================================================ exercise references
def gini(y):
    """Gini impurity ``1 - Σ_k p_k²`` of a label array (0.0 for an empty array)."""
    y = np.asarray(y)
    if y.size == 0:
        return 0.0
    _, counts = np.unique(y, return_counts=True)
    p = counts / y.size
    return float(1.0 - np.sum(p**2))


def entropy(y):
    """Entropy ``-Σ_k p_k log2 p_k`` of a label array, in bits (0.0 for an empty array)."""
    y = np.asarray(y)
    if y.size == 0:
        return 0.0
    _, counts = np.unique(y, return_counts=True)
    p = counts / y.size
    return float(-np.sum(p * np.log2(p)))


def best_split(x, y):
    """Best Gini split of one feature: ``(threshold, weighted_child_impurity)``.

    Vectorized: sort ``x`` once, take cumulative class counts, score every position between
    two distinct consecutive values, and return the midpoint threshold of the best one
    (samples with ``x <= threshold`` go left) together with
    ``(n_L G_L + n_R G_R) / n``. The first (smallest) threshold wins ties. Returns
    ``(None, inf)`` when ``x`` is constant.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y)
    n = x.size
    order = np.argsort(x, kind="stable")
    xs = x[order]
    _, codes = np.unique(y, return_inverse=True)
    onehot = np.eye(codes.max() + 1)[codes[order]]
    left = np.cumsum(onehot, axis=0)[:-1]  # counts left of the cut after position i
    right = left[-1] + onehot[-1] - left if n > 1 else left
    n_left = np.arange(1, n, dtype=float)
    n_right = n - n_left
    gini_left = 1.0 - np.sum((left / n_left[:, None]) ** 2, axis=1)
    gini_right = 1.0 - np.sum((right / n_right[:, None]) ** 2, axis=1)
    weighted = (n_left * gini_left + n_right * gini_right) / n
    valid = xs[1:] > xs[:-1]
    if not valid.any():
        return None, np.inf
    weighted = np.where(valid, weighted, np.inf)
    i = int(np.argmin(weighted))
    return float((xs[i] + xs[i + 1]) / 2.0), float(weighted[i])


def grow_tree(X, y, max_depth, depth=0):
    """Grow a Gini classification tree as nested dicts (Project 05, exercise 5.4).

    A leaf is ``{"value": majority_label}``; an internal node is ``{"feature": j,
    "threshold": t, "left": ..., "right": ...}``. A node becomes a leaf when ``depth ==
    max_depth``, when it is pure, or when no feature can be split. Among features the one
    with the lowest weighted child impurity wins (the first one on ties).
    """
    values, counts = np.unique(y, return_counts=True)
    leaf = {"value": values[np.argmax(counts)].item()}
    if depth >= max_depth or len(values) == 1:
        return leaf
    best = (None, None, np.inf)
    for j in range(X.shape[1]):
        threshold, score = best_split(X[:, j], y)
        if threshold is not None and score < best[2]:
            best = (j, threshold, score)
    j, threshold, _ = best
    if j is None:
        return leaf
    go_left = X[:, j] <= threshold
    return {
        "feature": j,
        "threshold": threshold,
        "left": grow_tree(X[go_left], y[go_left], max_depth, depth + 1),
        "right": grow_tree(X[~go_left], y[~go_left], max_depth, depth + 1),
    }


def subtree_alphas(children_left, children_right, node_risk):
    """Cost-complexity "weakest link" strength of every node: ``g(t)``.

    ``node_risk[t]`` is :math:`R(t)`, the risk of node ``t`` turned into a leaf (its weighted
    impurity times its share of the samples). For an internal node
    :math:`g(t) = (R(t) - R(T_t)) / (|\\tilde T_t| - 1)`, where :math:`R(T_t)` sums the risk
    of the leaves below ``t`` and :math:`|\\tilde T_t|` counts them; leaves get ``inf``.
    Pruning the node with the smallest ``g`` first is minimal cost-complexity pruning.
    """
    left = np.asarray(children_left)
    right = np.asarray(children_right)
    risk = np.asarray(node_risk, dtype=float)
    n = left.size
    leaves = np.zeros(n, dtype=int)
    branch = np.zeros(n)
    for t in range(n - 1, -1, -1):  # children have larger ids than their parent (preorder)
        if left[t] == TREE_LEAF:
            leaves[t], branch[t] = 1, risk[t]
        else:
            leaves[t] = leaves[left[t]] + leaves[right[t]]
            branch[t] = branch[left[t]] + branch[right[t]]
    out = np.full(n, np.inf)
    internal = left != TREE_LEAF
    out[internal] = (risk[internal] - branch[internal]) / (leaves[internal] - 1)
    return out


# ============================================================ the fitted tree structure
class Tree:
    """Arrays describing a fitted tree, indexed by node id (root = 0, preorder, left first).

    Attributes mirror scikit-learn's ``tree_``: ``children_left``, ``children_right``
    (``-1`` for leaves), ``feature`` (``-2`` for leaves), ``threshold`` (samples with
    ``x[feature] <= threshold`` go left), ``value`` (class fractions, or the mean of ``y``;
    shape ``(node_count, n_values)``), ``impurity``, ``n_node_samples``,
    ``weighted_n_node_samples``.
    """

    def __init__(self, nodes, n_values):
        self.node_count = len(nodes)
        self.children_left = np.array([nd[0] for nd in nodes], dtype=np.intp)
        self.children_right = np.array([nd[1] for nd in nodes], dtype=np.intp)
        self.feature = np.array([nd[2] for nd in nodes], dtype=np.intp)
        self.threshold = np.array([nd[3] for nd in nodes], dtype=np.float64)
        self.impurity = np.array([nd[4] for nd in nodes], dtype=np.float64)
        self.n_node_samples = np.array([nd[5] for nd in nodes], dtype=np.intp)
        self.weighted_n_node_samples = np.array([nd[6] for nd in nodes], dtype=np.float64)
        self.value = np.array([nd[7] for nd in nodes], dtype=np.float64).reshape(-1, n_values)

    @classmethod
    def from_arrays(cls, **arrays):
        """A tree from its arrays (the names of the attributes; ``value`` 2-D)."""
        tree = cls.__new__(cls)
        for name, arr in arrays.items():
            setattr(tree, name, arr)
        tree.node_count = arrays["feature"].size
        return tree

    @property
    def is_leaf(self):
        return self.children_left == TREE_LEAF

    @property
    def n_leaves(self):
        return int(self.is_leaf.sum())

    @property
    def max_depth(self):
        depth = np.zeros(self.node_count, dtype=int)
        for t in range(self.node_count):
            if self.children_left[t] != TREE_LEAF:
                depth[self.children_left[t]] = depth[self.children_right[t]] = depth[t] + 1
        return int(depth.max())

    def apply(self, X):
        """Leaf id of every row of ``X`` (float array, already validated)."""
        node = np.zeros(X.shape[0], dtype=np.intp)
        rows = np.arange(X.shape[0])
        active = rows[self.children_left[node] != TREE_LEAF]
        while active.size:
            nd = node[active]
            go_left = X[active, self.feature[nd]] <= self.threshold[nd]
            node[active] = np.where(go_left, self.children_left[nd], self.children_right[nd])
            active = active[self.children_left[node[active]] != TREE_LEAF]
        return node

    def risk(self):
        """``R(t)``: weighted impurity of each node times its share of the root's weight."""
        return self.impurity * self.weighted_n_node_samples / self.weighted_n_node_samples[0]

    def feature_importances(self, n_features):
        """Mean decrease in impurity per feature, normalised to sum to 1 (zeros if no split)."""
        imp = np.zeros(n_features)
        w, i = self.weighted_n_node_samples, self.impurity
        for t in np.flatnonzero(~self.is_leaf):
            left, right = self.children_left[t], self.children_right[t]
            imp[self.feature[t]] += w[t] * i[t] - w[left] * i[left] - w[right] * i[right]
        imp /= w[0]
        total = imp.sum()
        return imp / total if total > 0 else imp

    def subtree(self, keep):
        """A new :class:`Tree` with only the nodes in boolean mask ``keep`` (made leaves
        where their children were dropped), renumbered in preorder."""
        new_id = np.cumsum(keep) - 1
        nodes = []
        for t in np.flatnonzero(keep):
            left = self.children_left[t]
            if left != TREE_LEAF and keep[left]:
                children = (new_id[left], new_id[self.children_right[t]])
                feat, thr = self.feature[t], self.threshold[t]
            else:
                children, feat, thr = (TREE_LEAF, TREE_LEAF), -2, -2.0
            nodes.append(
                (*children, feat, thr, self.impurity[t], self.n_node_samples[t],
                 self.weighted_n_node_samples[t], self.value[t])
            )  # fmt: skip
        return Tree(nodes, self.value.shape[1])


def _prune_sequence(tree):
    """Minimal cost-complexity pruning, one weakest link at a time (as scikit-learn).

    Yields ``(alpha, keep_mask, total_leaf_risk)`` starting with ``(0.0, all, R(T))``.
    """
    left, right = tree.children_left, tree.children_right
    n = tree.node_count
    parent = np.full(n, -1)
    internal = np.flatnonzero(left != TREE_LEAF)
    parent[left[internal]] = internal
    parent[right[internal]] = internal
    r_node = tree.risk()
    is_leaf = left == TREE_LEAF
    keep = np.ones(n, dtype=bool)
    n_leaves = np.zeros(n, dtype=int)
    r_branch = np.zeros(n)
    for t in range(n - 1, -1, -1):
        if is_leaf[t]:
            n_leaves[t], r_branch[t] = 1, r_node[t]
        else:
            n_leaves[t] = n_leaves[left[t]] + n_leaves[right[t]]
            r_branch[t] = r_branch[left[t]] + r_branch[right[t]]
    yield 0.0, keep.copy(), r_branch[0]
    while not is_leaf[0]:
        cand = np.flatnonzero(keep & ~is_leaf)
        alphas = (r_node[cand] - r_branch[cand]) / (n_leaves[cand] - 1)
        k = int(np.argmin(alphas))
        t, alpha = cand[k], alphas[k]
        # drop the descendants of t
        stack = [left[t], right[t]]
        while stack:
            s = stack.pop()
            keep[s] = False
            if not is_leaf[s]:
                stack.extend((left[s], right[s]))
        removed_leaves, delta = n_leaves[t] - 1, r_node[t] - r_branch[t]
        a = t
        while a != -1:
            n_leaves[a] -= removed_leaves
            r_branch[a] += delta
            a = parent[a]
        is_leaf[t] = True
        yield float(alpha), keep.copy(), r_branch[0]


# ============================================================ the builder
def _check_int_or_frac(name, value, minimum):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < minimum:
            raise ValueError(
                f"{name} must be an int >= {minimum} or a float in (0, 1], got {value!r}"
            )
        return
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and 0.0 < value <= 1.0:
        return
    raise ValueError(f"{name} must be an int >= {minimum} or a float in (0, 1], got {value!r}")


def resolve_max_features(max_features, n_features):
    """Number of features tried at each split: None → all, "sqrt", "log2", int, float share."""
    if max_features is None:
        return n_features
    if max_features == "sqrt":
        return max(1, int(np.sqrt(n_features)))
    if max_features == "log2":
        return max(1, int(np.log2(n_features)))
    if isinstance(max_features, numbers.Integral) and not isinstance(max_features, bool):
        if 1 <= max_features <= n_features:
            return int(max_features)
    elif isinstance(max_features, numbers.Real) and 0.0 < max_features <= 1.0:
        return max(1, int(max_features * n_features))
    raise ValueError(
        "max_features must be None, 'sqrt', 'log2', an int in [1, n_features] or a float in "
        f"(0, 1], got {max_features!r} (n_features={n_features})"
    )


# ============================================================ estimators
class _BaseTree(BaseEstimator):
    _criteria: tuple = ()

    def __init__(
        self,
        criterion,
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=None,
        random_state=None,
        ccp_alpha=0.0,
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.ccp_alpha = ccp_alpha

    # ----------------------------------------------------------- validation
    def _check_params(self):
        if self.criterion not in self._criteria:
            raise ValueError(f"criterion must be one of {self._criteria}, got {self.criterion!r}")
        if self.max_depth is not None and not (
            isinstance(self.max_depth, numbers.Integral)
            and not isinstance(self.max_depth, bool)
            and self.max_depth >= 1
        ):
            raise ValueError(f"max_depth must be None or an int >= 1, got {self.max_depth!r}")
        _check_int_or_frac("min_samples_leaf", self.min_samples_leaf, 1)
        _check_int_or_frac("min_samples_split", self.min_samples_split, 2)
        if not (isinstance(self.ccp_alpha, numbers.Real) and self.ccp_alpha >= 0):
            raise ValueError(f"ccp_alpha must be a non-negative number, got {self.ccp_alpha!r}")

    def _validate_Xy(self, X, y, sample_weight):
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float32, ensure_min_samples=1)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one target per sample), got shape {y.shape}")
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if np.any(sample_weight < 0) or sample_weight.sum() <= 0:
            raise ValueError("sample_weight must be non-negative with a positive sum")
        return X, y, sample_weight

    # ----------------------------------------------------------- fitting
    def _grow(self, X, y, n_classes, sample_weight, presorted=None):
        """Grow the full tree (``X`` float32, validated) and return its :class:`Tree`."""
        n, d = X.shape
        rng = np.random.default_rng(self.random_state)
        min_leaf = self.min_samples_leaf
        if not isinstance(min_leaf, numbers.Integral):
            min_leaf = int(np.ceil(min_leaf * n))
        min_split = self.min_samples_split
        if not isinstance(min_split, numbers.Integral):
            min_split = max(2, int(np.ceil(min_split * n)))
        max_depth = np.iinfo(np.int32).max if self.max_depth is None else self.max_depth
        n_try = resolve_max_features(self.max_features, d)
        self.max_features_ = n_try
        S = np.argsort(X.T, axis=1, kind="stable") if presorted is None else presorted
        if np.any(sample_weight == 0):  # zero-weight rows (out of a bootstrap) are not samples
            S = np.compress((sample_weight[S] > 0).ravel(), S.ravel()).reshape(d, -1)
        grower = LevelGrower(
            X, y, sample_weight, n_classes, self._criterion, max_depth, min_split, min_leaf,
            n_try, rng,
        )  # fmt: skip
        return Tree.from_arrays(**grower.grow(S))

    def _finish(self, full_tree):
        if self.ccp_alpha > 0:
            keep = None
            for alpha, mask, _ in _prune_sequence(full_tree):
                if alpha > self.ccp_alpha:
                    break
                keep = mask
            full_tree = full_tree.subtree(keep)
        self.tree_ = full_tree
        return self

    def cost_complexity_pruning_path(self, X, y, sample_weight=None):
        """Effective alphas of minimal cost-complexity pruning and the leaf impurities.

        Returns a dict with ``ccp_alphas`` (increasing, starting at 0) and ``impurities``
        (total weighted leaf impurity of the tree pruned at each alpha), like scikit-learn.
        """
        est = self.__class__(**{**self.get_params(), "ccp_alpha": 0.0}).fit(X, y, sample_weight)
        alphas, impurities = [], []
        for alpha, _, r in _prune_sequence(est.tree_):
            alphas.append(alpha)
            impurities.append(r)
        return {"ccp_alphas": np.array(alphas), "impurities": np.array(impurities)}

    # ----------------------------------------------------------- inference
    def _X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float32)

    def apply(self, X):
        """Index of the leaf each sample ends up in."""
        X = self._X(X)
        return self.tree_.apply(X)

    def get_depth(self):
        check_is_fitted(self)
        return self.tree_.max_depth

    def get_n_leaves(self):
        check_is_fitted(self)
        return self.tree_.n_leaves

    @property
    def feature_importances_(self):
        """Mean decrease in impurity per feature (sums to 1)."""
        check_is_fitted(self)
        return self.tree_.feature_importances(self.n_features_in_)


class DecisionTreeClassifier(ClassifierMixin, _BaseTree):
    """CART classification tree.

    Parameters
    ----------
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
        Impurity measure; ``"log_loss"`` is a synonym of ``"entropy"``.
    max_depth : int or None, default=None
        Maximum depth; None grows until leaves are pure or too small to split.
    min_samples_split : int or float, default=2
        Minimum samples in a node to try a split (a float is a share of ``n``).
    min_samples_leaf : int or float, default=1
        Minimum samples in each child of a split.
    max_features : None, "sqrt", "log2", int or float, default=None
        Features tried at each split, drawn at random (with ``random_state``) when fewer
        than all. Constant features do not count towards it.
    random_state : int, Generator or None, default=None
        Seed for the feature draws; irrelevant when ``max_features`` is None.
    ccp_alpha : float, default=0.0
        Complexity parameter of minimal cost-complexity pruning; the subtree with the
        largest effective alpha not above ``ccp_alpha`` is kept.

    Attributes
    ----------
    classes_ : ndarray
    n_classes_ : int
    tree_ : Tree
        The fitted structure (``value`` holds class fractions).
    feature_importances_ : ndarray of shape (n_features,)
    max_features_ : int
    """

    _criteria = ("gini", "entropy", "log_loss")

    def __init__(
        self,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=None,
        random_state=None,
        ccp_alpha=0.0,
    ):
        super().__init__(
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            max_features=max_features,
            random_state=random_state,
            ccp_alpha=ccp_alpha,
        )

    def fit(self, X, y, sample_weight=None):
        """Grow (and prune) the tree; returns ``self``."""
        X, y, sample_weight = self._validate_Xy(X, y, sample_weight)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.n_classes_ = self.classes_.size
        return self._fit_encoded(X, codes, self.n_classes_, sample_weight)

    def _fit_encoded(self, X, codes, n_classes, sample_weight, presorted=None):
        self._criterion = "entropy" if self.criterion == "log_loss" else self.criterion
        return self._finish(self._grow(X, codes, n_classes, sample_weight, presorted))

    def predict_proba(self, X):
        """Class fractions of the training samples in each sample's leaf."""
        leaves = self.apply(X)  # validates X and that the tree is fitted
        return self.tree_.value[leaves]

    def predict(self, X):
        """Majority class of each sample's leaf (the first class on ties)."""
        proba = self.predict_proba(X)  # validates X and that the tree is fitted
        return self.classes_[np.argmax(proba, axis=1)]


class DecisionTreeRegressor(RegressorMixin, _BaseTree):
    """CART regression tree with the squared error criterion.

    Leaves predict the (weighted) mean of their training targets. Parameters and attributes
    are those of :class:`DecisionTreeClassifier` except ``criterion``, which is
    ``"squared_error"`` only, and there are no classes.
    """

    _criteria = ("squared_error",)

    def __init__(
        self,
        criterion="squared_error",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=None,
        random_state=None,
        ccp_alpha=0.0,
    ):
        super().__init__(
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            max_features=max_features,
            random_state=random_state,
            ccp_alpha=ccp_alpha,
        )

    def fit(self, X, y, sample_weight=None):
        """Grow (and prune) the tree; returns ``self``."""
        X, y, sample_weight = self._validate_Xy(X, y, sample_weight)
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError("y must contain only finite values")
        return self._fit_target(X, y, sample_weight)

    def _fit_target(self, X, y, sample_weight, presorted=None):
        self._criterion = self.criterion
        return self._finish(self._grow(X, y, 0, sample_weight, presorted))

    def predict(self, X):
        """Mean training target of each sample's leaf."""
        leaves = self.apply(X)  # validates X and that the tree is fitted
        return self.tree_.value[leaves, 0]


# ============================================================ display
def _node_label(tree, t, feature_names, class_names, decimals):
    value = tree.value[t]
    if class_names is not None:
        k = int(np.argmax(value))
        return f"class: {class_names[k]}"
    return f"value: {value[0]:.{decimals}f}"


def export_text(model, feature_names=None, decimals=2):
    """The fitted tree as indented text, one line per branch, e.g.::

    |--- petal width <= 0.80
    |   |--- class: setosa
    """
    check_is_fitted(model)
    tree = model.tree_
    if feature_names is None:
        feature_names = [f"feature_{j}" for j in range(model.n_features_in_)]
    elif len(feature_names) != model.n_features_in_:
        raise ValueError(
            f"feature_names must have {model.n_features_in_} entries, got {len(feature_names)}"
        )
    class_names = getattr(model, "classes_", None)
    lines = []

    def walk(t, depth):
        indent = "|   " * depth + "|--- "
        if tree.children_left[t] == TREE_LEAF:
            lines.append(indent + _node_label(tree, t, feature_names, class_names, decimals))
            return
        name, thr = feature_names[tree.feature[t]], tree.threshold[t]
        lines.append(f"{indent}{name} <= {thr:.{decimals}f}")
        walk(tree.children_left[t], depth + 1)
        lines.append(f"{indent}{name} >  {thr:.{decimals}f}")
        walk(tree.children_right[t], depth + 1)

    walk(0, 0)
    return "\n".join(lines) + "\n"


def plot_tree(model, feature_names=None, ax=None, max_depth=None, fontsize=7):
    """Draw the fitted tree with Matplotlib: one box per node (split or prediction, impurity,
    samples), leaves spread evenly along the bottom. Returns the Axes."""
    import matplotlib.pyplot as plt

    check_is_fitted(model)
    tree = model.tree_
    if feature_names is None:
        feature_names = [f"x[{j}]" for j in range(model.n_features_in_)]
    class_names = getattr(model, "classes_", None)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5))
    positions, next_leaf = {}, [0]

    def place(t, depth):
        cut = max_depth is not None and depth >= max_depth
        if tree.children_left[t] == TREE_LEAF or cut:
            positions[t] = (next_leaf[0], depth)
            next_leaf[0] += 1
            return positions[t][0]
        x_left = place(tree.children_left[t], depth + 1)
        x_right = place(tree.children_right[t], depth + 1)
        positions[t] = ((x_left + x_right) / 2.0, depth)
        return positions[t][0]

    place(0, 0)
    width = max(next_leaf[0] - 1, 1)
    for t, (x, depth) in positions.items():
        for child in (tree.children_left[t], tree.children_right[t]):
            if child in positions and child != TREE_LEAF:
                cx, cd = positions[child]
                ax.plot([x / width, cx / width], [-depth, -cd], "k-", lw=0.6, zorder=1)
        if tree.children_left[t] != TREE_LEAF and tree.children_left[t] in positions:
            text = f"{feature_names[tree.feature[t]]} <= {tree.threshold[t]:.3g}"
            colour = "#e8eef7"
        else:
            text = _node_label(tree, t, feature_names, class_names, 2)
            colour = "#f7efe0"
        text += f"\nimpurity {tree.impurity[t]:.3g}\nsamples {tree.n_node_samples[t]}"
        ax.text(x / width, -depth, text, ha="center", va="center", fontsize=fontsize,
                bbox=dict(boxstyle="round", fc=colour, ec="0.5"), zorder=2)  # fmt: skip
    ax.set_axis_off()
    ax.set_ylim(-max(d for _, d in positions.values()) - 0.6, 0.6)
    ax.set_xlim(-0.08, 1.08)
    return ax
