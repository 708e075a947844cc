"""Random forests from scratch: bagged CART trees with random feature subsets.

Each tree is grown on a bootstrap sample (``n`` draws with replacement, implemented as
integer sample weights, so about :math:`1 - (1 - 1/n)^n \\approx 63.2\\%` of the rows are
used) and tries only ``max_features`` randomly drawn features at every split. Averaging
many such de-correlated trees keeps their low bias and divides the variance: for ``T``
trees with variance :math:`\\sigma^2` and pairwise correlation :math:`\\rho`, the average
has variance :math:`\\rho\\sigma^2 + (1-\\rho)\\sigma^2/T`.

- :class:`RandomForestClassifier` (soft voting: the mean of the trees' class fractions)
  and :class:`RandomForestRegressor` (the mean of the trees' predictions);
- the out-of-bag (OOB) estimate: every sample is predicted only by the trees that did not
  see it (``oob_score_``, ``oob_decision_function_`` / ``oob_prediction_``);
- ``feature_importances_`` (mean over trees of the normalised impurity decrease);
- ``n_jobs`` through joblib (threads: NumPy releases the GIL in the heavy array work).

Not here: ``max_samples``, ``warm_start``, ``class_weight``, extremely randomised trees.
The exercise references of Project 06 are :func:`bootstrap_sample`, :func:`n_split_features`,
:func:`soft_vote` and :func:`oob_accuracy`.

>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> forest = RandomForestClassifier(n_estimators=20, oob_score=True, random_state=0).fit(X, y)
>>> forest.oob_score_ > 0.9
True
"""

from __future__ import annotations

import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ml2llm.classical.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    resolve_max_features,
)


# ============================================================ exercise references
def bootstrap_sample(n_samples, seed):
    """Bootstrap row indices and the out-of-bag mask.

    Draws ``n_samples`` indices with replacement with ``np.random.default_rng(seed).integers``
    and returns ``(indices, oob_mask)`` where ``oob_mask[i]`` is True when row ``i`` was
    never drawn.
    """
    indices = np.random.default_rng(seed).integers(0, n_samples, size=n_samples)
    oob = np.ones(n_samples, dtype=bool)
    oob[indices] = False
    return indices, oob


def n_split_features(max_features, n_features):
    """How many features each split tries (see :func:`ml2llm.classical.tree.resolve_max_features`)."""
    return resolve_max_features(max_features, n_features)


def soft_vote(probas):
    """Forest prediction from per-tree class probabilities of shape ``(T, n, K)``:
    average the probabilities, then take the most likely class index per sample."""
    return np.argmax(np.mean(probas, axis=0), axis=1)


def oob_accuracy(probas, in_bag, y):
    """Out-of-bag accuracy.

    ``probas`` ``(T, n, K)`` are every tree's class probabilities for every training row,
    ``in_bag`` ``(T, n)`` says which rows each tree was trained on and ``y`` holds class
    indices. Each row is predicted by averaging only the trees for which it was out of bag;
    rows that no tree left out are skipped.
    """
    oob = ~np.asarray(in_bag, dtype=bool)
    summed = np.einsum("tn,tnk->nk", oob.astype(float), probas)
    has_vote = oob.any(axis=0)
    pred = np.argmax(summed[has_vote], axis=1)
    return float(np.mean(pred == np.asarray(y)[has_vote]))


# ============================================================ estimators
def _fit_tree(tree, X, target, n_classes, presorted, seed, bootstrap):
    n = X.shape[0]
    if bootstrap:
        counts = np.bincount(np.random.default_rng(seed).integers(0, n, size=n), minlength=n)
        weight = counts.astype(np.float64)
    else:
        weight = np.ones(n)
    if n_classes:
        tree._fit_encoded(X, target, n_classes, weight, presorted)
    else:
        tree._fit_target(X, target, weight, presorted)
    return tree, weight > 0


class _BaseForest(BaseEstimator):
    _tree_class = None

    def _check_params(self):
        if not (
            isinstance(self.n_estimators, numbers.Integral)
            and not isinstance(self.n_estimators, bool)
            and self.n_estimators >= 1
        ):
            raise ValueError(f"n_estimators must be an int >= 1, got {self.n_estimators!r}")
        if self.oob_score and not self.bootstrap:
            raise ValueError("oob_score=True needs bootstrap=True (otherwise no row is out of bag)")
        if self.n_jobs is not None and not isinstance(self.n_jobs, numbers.Integral):
            raise ValueError(f"n_jobs must be None or an int, got {self.n_jobs!r}")

    def _fit_trees(self, X, target, n_classes):
        rng = np.random.default_rng(self.random_state)
        seeds = rng.integers(0, 2**31 - 1, size=(self.n_estimators, 2))
        params = dict(
            criterion=self.criterion,
            max_depth=self.max_depth,
            min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            ccp_alpha=self.ccp_alpha,
        )
        trees = [self._tree_class(**params, random_state=int(s[0])) for s in seeds]
        trees[0]._check_params()  # invalid hyperparameters fail once, before any work
        resolve_max_features(self.max_features, X.shape[1])
        presorted = np.argsort(X.T, axis=1, kind="stable")  # shared by every tree
        out = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_fit_tree)(t, X, target, n_classes, presorted, int(s[1]), self.bootstrap)
            for t, s in zip(trees, seeds)
        )
        self.estimators_ = [t for t, _ in out]
        for t in self.estimators_:
            t.n_features_in_ = X.shape[1]
        self.in_bag_ = np.array([m for _, m in out])  # (T, n): row i was in tree t's sample
        return self.in_bag_

    def _tree_outputs(self, X):
        """Per-tree outputs on validated float32 ``X``: (T, n, K) or (T, n)."""
        return np.stack([self._one_tree_output(t, X) for t in self.estimators_])

    @property
    def feature_importances_(self):
        """Mean over trees of each tree's normalised impurity decrease (sums to 1)."""
        check_is_fitted(self)
        imp = np.mean([t.feature_importances_ for t in self.estimators_], axis=0)
        total = imp.sum()
        return imp / total if total > 0 else imp

    def _X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float32)


_FOREST_DOC_PARAMS = """
    n_estimators : int, default=100
        Number of trees.
    max_depth, min_samples_split, min_samples_leaf, ccp_alpha
        Passed to every tree (see :class:`~ml2llm.classical.tree.DecisionTreeClassifier`).
    bootstrap : bool, default=True
        Grow each tree on a bootstrap sample; False uses every row for every tree.
    oob_score : bool, default=False
        Compute the out-of-bag score (accuracy or R²) after fitting.
    n_jobs : int or None, default=None
        Trees fitted in parallel with joblib threads (None = 1, -1 = all cores).
    random_state : int or None, default=None
        Seeds the bootstraps and the per-tree feature draws.
"""


class RandomForestClassifier(ClassifierMixin, _BaseForest):
    __doc__ = (
        """Random forest of CART classification trees with soft voting.

    Parameters
    ----------
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
    max_features : "sqrt", "log2", None, int or float, default="sqrt"
        Features tried at each split."""
        + _FOREST_DOC_PARAMS
        + """
    Attributes
    ----------
    estimators_ : list of DecisionTreeClassifier
    in_bag_ : ndarray of bool, shape (n_estimators, n_samples)
        Which training rows each tree's bootstrap drew.
    classes_ : ndarray
    oob_score_ : float
        Out-of-bag accuracy (when ``oob_score=True``).
    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
        Out-of-bag class probabilities (NaN for rows never left out).
    feature_importances_ : ndarray of shape (n_features,)
    """
    )

    _tree_class = DecisionTreeClassifier

    def __init__(
        self,
        n_estimators=100,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features="sqrt",
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        ccp_alpha=0.0,
    ):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.ccp_alpha = ccp_alpha

    def fit(self, X, y):
        """Grow the trees (and the OOB estimate); returns ``self``."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float32)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}")
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.n_classes_ = self.classes_.size
        in_bag = self._fit_trees(X, codes, self.n_classes_)
        for t in self.estimators_:
            t.classes_, t.n_classes_ = np.arange(self.n_classes_), self.n_classes_
        if self.oob_score:
            probas = self._tree_outputs(X)
            oob = ~in_bag
            summed = np.einsum("tn,tnk->nk", oob.astype(float), probas)
            votes = oob.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                self.oob_decision_function_ = summed / votes[:, None]
            has = votes > 0
            pred = np.argmax(summed[has], axis=1)
            self.oob_score_ = float(np.mean(pred == codes[has]))
        return self

    @staticmethod
    def _one_tree_output(tree, X):
        return tree.tree_.value[tree.tree_.apply(X)]

    def predict_proba(self, X):
        """Mean of the trees' class fractions."""
        return self._tree_outputs(self._X(X)).mean(axis=0)

    def predict(self, X):
        proba = self.predict_proba(X)  # validates X and that the forest is fitted
        return self.classes_[np.argmax(proba, axis=1)]


class RandomForestRegressor(RegressorMixin, _BaseForest):
    __doc__ = (
        """Random forest of CART regression trees (prediction = mean of the trees).

    Parameters
    ----------
    criterion : {"squared_error"}, default="squared_error"
    max_features : None, "sqrt", "log2", int or float, default=1.0
        Features tried at each split (1.0 = all, scikit-learn's default for regression)."""
        + _FOREST_DOC_PARAMS
        + """
    Attributes
    ----------
    estimators_ : list of DecisionTreeRegressor
    in_bag_ : ndarray of bool, shape (n_estimators, n_samples)
        Which training rows each tree's bootstrap drew.
    oob_score_ : float
        Out-of-bag R² (when ``oob_score=True``).
    oob_prediction_ : ndarray of shape (n_samples,)
    feature_importances_ : ndarray of shape (n_features,)
    """
    )

    _tree_class = DecisionTreeRegressor

    def __init__(
        self,
        n_estimators=100,
        criterion="squared_error",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=1.0,
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        ccp_alpha=0.0,
    ):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.ccp_alpha = ccp_alpha

    def fit(self, X, y):
        """Grow the trees (and the OOB estimate); returns ``self``."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one target per sample), got shape {y.shape}")
        y = np.asarray(y, dtype=np.float64)
        in_bag = self._fit_trees(X, y, 0)
        if self.oob_score:
            preds = self._tree_outputs(X)
            oob = ~in_bag
            votes = oob.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                self.oob_prediction_ = (oob * preds).sum(axis=0) / votes
            has = votes > 0
            self.oob_score_ = float(r2_score(y[has], self.oob_prediction_[has]))
        return self

    @staticmethod
    def _one_tree_output(tree, X):
        return tree.tree_.value[tree.tree_.apply(X), 0]

    def predict(self, X):
        return self._tree_outputs(self._X(X)).mean(axis=0)
