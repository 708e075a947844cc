"""Gradient boosting from scratch: regression (squared loss) and binary classification
(log loss) with shrinkage, row subsampling and staged predictions.

Boosting builds an additive model :math:`F_M(x) = F_0 + \\nu \\sum_{m=1}^M h_m(x)` one small
regression tree at a time. Each tree :math:`h_m` is fitted to the *negative gradient* of
the loss at the current predictions (the pseudo-residuals),

.. math:: r_i = -\\frac{\\partial L(y_i, F(x_i))}{\\partial F(x_i)} =
   \\begin{cases} y_i - F(x_i) & \\text{squared loss} \\\\
                  y_i - \\sigma(F(x_i)) & \\text{log loss (F is the log-odds)} \\end{cases}

so boosting is gradient descent in function space with step ``learning_rate`` (ν).
For the log loss each leaf's value is then replaced by one Newton step,
:math:`\\gamma = \\sum r_i / \\sum p_i (1 - p_i)` over the leaf's samples, as in Friedman's
algorithm and scikit-learn. ``F_0`` is the mean of ``y`` (squared loss) or the prior
log-odds :math:`\\log(\\bar y / (1 - \\bar y))` (log loss).

- :class:`GradientBoostingRegressor` and :class:`GradientBoostingClassifier` (two classes);
- ``learning_rate``, ``n_estimators``, ``subsample`` (stochastic gradient boosting: each
  tree sees a random fraction of the rows, drawn without replacement), ``max_depth``,
  ``min_samples_split``, ``min_samples_leaf``, ``max_features``, ``random_state``;
- ``staged_predict`` / ``staged_predict_proba`` / ``staged_decision_function`` and
  :meth:`~GradientBoostingRegressor.staged_loss` for train/validation curves;
- ``train_score_`` (the training loss after each stage) and ``feature_importances_``.

Not here: multi-class classification (K trees per stage), other losses (absolute, Huber,
quantile, exponential), early stopping (``n_iter_no_change``), ``init`` estimators.
The exercise references of Project 06.5 are :func:`log_odds_prior`, :func:`negative_gradient`,
:func:`newton_leaf_value` and :func:`boost_regression`.

>>> import numpy as np
>>> X = np.linspace(0, 6, 80)[:, None]; y = np.sin(X[:, 0])
>>> model = GradientBoostingRegressor(n_estimators=50, max_depth=2).fit(X, y)
>>> bool(model.train_score_[-1] < 0.01 < model.train_score_[0])
True
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ml2llm.classical.tree import DecisionTreeRegressor


# ============================================================ exercise references
def log_odds_prior(y):
    """``F_0`` for the log loss: the log-odds ``log(p / (1 - p))`` of the share ``p`` of 1s."""
    p = np.mean(y)
    return float(np.log(p / (1.0 - p)))


def negative_gradient(y, raw):
    """Pseudo-residuals of the log loss at raw scores (log-odds) ``raw``: ``y - σ(raw)``."""
    return y - expit(raw)


def newton_leaf_value(residual, prob):
    """One Newton step for a leaf under the log loss: ``Σ r / Σ p(1 - p)`` (0 if the
    denominator vanishes)."""
    # subtle: sum in float64; a float32 sum compared with 1e-150 would round the threshold to 0.
    denom = float(
        np.sum(np.asarray(prob, dtype=np.float64) * (1.0 - np.asarray(prob, dtype=np.float64)))
    )
    return 0.0 if abs(denom) < 1e-150 else float(np.sum(residual, dtype=np.float64) / denom)


def boost_regression(X, y, n_estimators, learning_rate, max_depth):
    """Least-squares boosting on the training set, returning ``(F, losses)``.

    ``F`` are the final training predictions; ``losses[m]`` is the training MSE after ``m+1``
    trees. Start at ``F = mean(y)``; each stage fits a :class:`DecisionTreeRegressor`
    (``max_depth``) to the residuals ``y - F`` and adds ``learning_rate`` times its
    predictions.
    """
    F = np.full(len(y), np.mean(y))
    losses = []
    for _ in range(n_estimators):
        tree = DecisionTreeRegressor(max_depth=max_depth).fit(X, y - F)
        F = F + learning_rate * tree.predict(X)
        losses.append(np.mean((y - F) ** 2))
    return F, np.array(losses)


# ============================================================ estimators
class _BaseBoosting(BaseEstimator):
    def __init__(
        self,
        n_estimators=100,
        learning_rate=0.1,
        subsample=1.0,
        max_depth=3,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=None,
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.random_state = random_state

    def _check_params(self):
        if not (
            isinstance(self.n_estimators, numbers.Integral)
            and not isinstance(self.n_estimators, bool)
            and self.n_estimators >= 1
        ):
            raise ValueError(f"n_estimators must be an int >= 1, got {self.n_estimators!r}")
        if not (isinstance(self.learning_rate, numbers.Real) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number, got {self.learning_rate!r}")
        if not (isinstance(self.subsample, numbers.Real) and 0 < self.subsample <= 1):
            raise ValueError(f"subsample must be a float in (0, 1], got {self.subsample!r}")

    # ----------------------------------------------------------- loss-specific hooks
    def _init_raw(self, y):
        raise NotImplementedError

    def _loss(self, y, raw):
        raise NotImplementedError

    def _residual(self, y, raw):
        raise NotImplementedError

    def _update_leaves(self, tree, X, y, raw, residual, mask):
        """Replace the tree's leaf values after fitting (nothing for squared loss)."""

    # ----------------------------------------------------------- fitting
    def _fit(self, X, y):
        self._check_params()
        n = X.shape[0]
        rng = np.random.default_rng(self.random_state)
        n_in = max(1, int(self.subsample * n))
        presorted = np.argsort(X.T, axis=1, kind="stable")
        self.init_ = self._init_raw(y)
        raw = np.full(n, self.init_)
        self.estimators_, self.train_score_ = [], np.zeros(self.n_estimators)
        for m in range(self.n_estimators):
            residual = self._residual(y, raw)
            weight = np.ones(n)
            if n_in < n:
                weight = np.zeros(n)
                weight[rng.choice(n, size=n_in, replace=False)] = 1.0
            tree = DecisionTreeRegressor(
                max_depth=self.max_depth,
                min_samples_split=self.min_samples_split,
                min_samples_leaf=self.min_samples_leaf,
                max_features=self.max_features,
                random_state=int(rng.integers(2**31 - 1)),
            )
            tree._check_params()
            tree._fit_target(X, residual, weight, presorted)
            tree.n_features_in_ = X.shape[1]
            in_bag = weight > 0
            self._update_leaves(tree, X, y, raw, residual, in_bag)
            raw = raw + self.learning_rate * tree.tree_.value[tree.tree_.apply(X), 0]
            self.train_score_[m] = self._loss(y[in_bag], raw[in_bag])
            self.estimators_.append(tree)
        return self

    # ----------------------------------------------------------- inference
    def _X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float32)

    def _staged_raw(self, X):
        """Raw scores ``F_m(X)`` after each stage ``m = 1..M`` (a generator)."""
        X = self._X(X)
        raw = np.full(X.shape[0], self.init_)
        for tree in self.estimators_:
            raw = raw + self.learning_rate * tree.tree_.value[tree.tree_.apply(X), 0]
            yield raw.copy()

    def _raw(self, X):
        X = self._X(X)
        raw = np.full(X.shape[0], self.init_)
        for tree in self.estimators_:
            raw += self.learning_rate * tree.tree_.value[tree.tree_.apply(X), 0]
        return raw

    def staged_loss(self, X, y):
        """The loss on ``(X, y)`` after each stage: an array of length ``n_estimators``.

        Use it for validation curves; ``train_score_`` is the same on the training rows.
        """
        y = self._encode_y(y)
        return np.array([self._loss(y, raw) for raw in self._staged_raw(X)])

    @property
    def feature_importances_(self):
        """Mean over stages of each tree's normalised impurity decrease (sums to 1)."""
        check_is_fitted(self)
        imp = np.mean([t.feature_importances_ for t in self.estimators_], axis=0)
        total = imp.sum()
        return imp / total if total > 0 else imp


_PARAMS_DOC = """
    Parameters
    ----------
    n_estimators : int, default=100
        Number of boosting stages (trees).
    learning_rate : float, default=0.1
        Shrinkage ν applied to every tree; smaller needs more stages but generalises better.
    subsample : float in (0, 1], default=1.0
        Share of the rows each tree is fitted on (drawn without replacement).
    max_depth : int or None, default=3
    min_samples_split, min_samples_leaf, max_features
        Passed to every :class:`~ml2llm.classical.tree.DecisionTreeRegressor`.
    random_state : int or None, default=None
        Seeds the subsamples and feature draws.

    Attributes
    ----------
    estimators_ : list of DecisionTreeRegressor
    init_ : float
        ``F_0``.
    train_score_ : ndarray of shape (n_estimators,)
        Training loss after each stage (on the stage's in-bag rows when ``subsample < 1``).
    feature_importances_ : ndarray of shape (n_features,)
"""


class GradientBoostingRegressor(RegressorMixin, _BaseBoosting):
    __doc__ = "Gradient boosting for regression with the squared loss (MSE).\n" + _PARAMS_DOC

    def fit(self, X, y):
        """Fit ``n_estimators`` trees stage-wise; returns ``self``."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one target per sample), got shape {y.shape}")
        return self._fit(X, np.asarray(y, dtype=np.float64))

    def _encode_y(self, y):
        return np.asarray(y, dtype=np.float64)

    def _init_raw(self, y):
        return float(np.mean(y))

    def _loss(self, y, raw):
        return float(np.mean((y - raw) ** 2))

    def _residual(self, y, raw):
        return y - raw

    def staged_predict(self, X):
        """Predictions after each stage (a generator)."""
        yield from self._staged_raw(X)

    def predict(self, X):
        return self._raw(X)


class GradientBoostingClassifier(ClassifierMixin, _BaseBoosting):
    __doc__ = (
        "Gradient boosting for binary classification with the log loss (raw score = "
        "log-odds of ``classes_[1]``).\n" + _PARAMS_DOC
    )

    def fit(self, X, y):
        """Fit ``n_estimators`` trees stage-wise; returns ``self``."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float32)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}")
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size != 2:
            raise ValueError(
                "Only binary classification is supported (binary log loss): y must have "
                f"exactly 2 classes, got {self.classes_.size} class(es)"
            )
        return self._fit(X, codes.astype(np.float64))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # binary log loss only
        return tags

    def _encode_y(self, y):
        y = np.asarray(y)
        codes = np.searchsorted(self.classes_, y)
        codes = np.clip(codes, 0, 1)
        if not np.all(self.classes_[codes] == y):
            raise ValueError(
                f"y contains labels not seen in fit; expected {self.classes_.tolist()}"
            )
        return codes.astype(np.float64)

    def _init_raw(self, y):
        return log_odds_prior(y)

    def _loss(self, y, raw):
        # mean log loss, stable: log(1 + e^raw) - y * raw
        return float(np.mean(np.logaddexp(0.0, raw) - y * raw))

    def _residual(self, y, raw):
        return negative_gradient(y, raw)

    def _update_leaves(self, tree, X, y, raw, residual, mask):
        leaves = tree.tree_.apply(X[mask])
        prob = expit(raw[mask])
        num = np.bincount(leaves, weights=residual[mask], minlength=tree.tree_.node_count)
        den = np.bincount(leaves, weights=prob * (1 - prob), minlength=tree.tree_.node_count)
        is_leaf = tree.tree_.is_leaf
        safe = is_leaf & (np.abs(den) >= 1e-150)
        tree.tree_.value[safe, 0] = num[safe] / den[safe]
        tree.tree_.value[is_leaf & ~safe, 0] = 0.0

    def staged_decision_function(self, X):
        """Log-odds of ``classes_[1]`` after each stage ``m = 1..M`` (a generator)."""
        yield from self._staged_raw(X)

    def decision_function(self, X):
        """Log-odds of ``classes_[1]``: the raw score ``F_M(X)``."""
        return self._raw(X)

    def staged_predict_proba(self, X):
        """Class probabilities ``[1 - p, p]`` after each stage (a generator)."""
        for raw in self._staged_raw(X):
            p = expit(raw)
            yield np.column_stack([1 - p, p])

    def staged_predict(self, X):
        """Predicted labels after each stage (a generator)."""
        for raw in self._staged_raw(X):
            yield self.classes_[(raw > 0).astype(int)]

    def predict_proba(self, X):
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        raw = self.decision_function(X)  # validates X and that the model is fitted
        return self.classes_[(raw > 0).astype(int)]
