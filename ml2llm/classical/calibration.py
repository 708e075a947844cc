"""Probability calibration from scratch: reliability curves, ECE, Platt scaling, isotonic
regression (pool-adjacent-violators) and a calibrated-classifier wrapper.

A classifier is **calibrated** when, among the samples it gives probability :math:`p`, a
fraction :math:`p` is positive. Here:

- :func:`calibration_curve` (scikit-learn's binning: ``uniform`` or ``quantile`` edges, a
  probability on an inner edge goes to the lower bin, empty bins dropped) and
  :func:`reliability_bins` (the same plus the bin counts);
- :func:`expected_calibration_error`: :math:`\\sum_b \\frac{n_b}{n}|\\bar y_b - \\bar p_b|`;
- :func:`platt_fit`: Platt scaling :math:`p = \\sigma(a s + b)` fitted by Newton's method to
  Platt's smoothed targets :math:`t_+ = \\frac{N_+ + 1}{N_+ + 2}`,
  :math:`t_- = \\frac{1}{N_- + 2}` (the same objective scikit-learn minimises);
- :func:`pav` and :class:`IsotonicRegression` (non-decreasing least-squares fit, ties in
  ``x`` pooled first, linear interpolation between fitted points, clipped outside);
- :class:`CalibratedClassifier`: binary calibration with ``method="sigmoid"`` or
  ``"isotonic"``, either on a held-out set (``cv="prefit"``) or by k-fold ensembles like
  ``sklearn.calibration.CalibratedClassifierCV`` (``ensemble=True``).

Not here: multi-class calibration, temperature scaling, decreasing isotonic fits with
automatic direction, sample weights in ``CalibratedClassifier``.

>>> pav(np.array([1.0, 3.0, 2.0, 4.0])).tolist()
[1.0, 2.5, 2.5, 4.0]
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ml2llm.classical.model_selection import StratifiedKFold
from ml2llm.metrics.classification import _check_pair, _check_proba


# ----------------------------------------------------------------- reliability and ECE
def _binary_pair(y_true, y_prob):
    y_true, y_prob = _check_pair(y_true, y_prob, "y_prob")
    y_prob = _check_proba(y_prob)
    labels = np.unique(y_true)
    if len(labels) > 2:
        raise ValueError(f"y_true must be binary, found classes {labels.tolist()}")
    if not set(labels.tolist()) <= {0, 1}:
        raise ValueError(f"y_true must hold 0/1 labels, found {labels.tolist()}")
    return y_true.astype(float), y_prob


def _bin_ids(y_prob, n_bins, strategy):
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.percentile(y_prob, np.linspace(0, 100, n_bins + 1))
    else:
        raise ValueError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")
    return np.searchsorted(edges[1:-1], y_prob)  # on an inner edge -> the lower bin


def reliability_bins(y_true, y_prob, n_bins=10, strategy="uniform"):
    """``(fraction_positive, mean_predicted, count)`` per non-empty bin."""
    y, p = _binary_pair(y_true, y_prob)
    ids = _bin_ids(p, n_bins, strategy)
    count = np.bincount(ids, minlength=n_bins)
    sum_p = np.bincount(ids, weights=p, minlength=n_bins)
    sum_y = np.bincount(ids, weights=y, minlength=n_bins)
    keep = count > 0
    return sum_y[keep] / count[keep], sum_p[keep] / count[keep], count[keep]


def calibration_curve(y_true, y_prob, *, n_bins=5, strategy="uniform"):
    """``(prob_true, prob_pred)`` per non-empty bin, as ``sklearn.calibration.calibration_curve``."""
    prob_true, prob_pred, _ = reliability_bins(y_true, y_prob, n_bins, strategy)
    return prob_true, prob_pred


def expected_calibration_error(y_true, y_prob, n_bins=10, strategy="uniform"):
    """ECE: the count-weighted mean gap between accuracy and confidence over the bins."""
    prob_true, prob_pred, count = reliability_bins(y_true, y_prob, n_bins, strategy)
    return float(np.sum(count * np.abs(prob_true - prob_pred)) / count.sum())


# ----------------------------------------------------------------- Platt scaling
def _sigmoid(z):
    out = np.empty_like(z, dtype=float)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def platt_fit(scores, y, max_iter=100, tol=1e-12):
    """Fit ``p = sigmoid(a * score + b)`` to Platt's smoothed targets; returns ``(a, b)``.

    Newton's method on the cross-entropy with targets :math:`t_i`; the Hessian
    :math:`\\sum_i p_i(1-p_i)[s_i, 1][s_i, 1]^\\top` is positive definite unless all scores
    are equal, and the smoothed targets keep the optimum finite even for separable data.
    """
    s, y = _check_pair(y, scores, "scores")[::-1]
    s = np.asarray(s, dtype=float)
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite")
    y = np.asarray(y)
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise ValueError(f"y must hold 0/1 labels, found {np.unique(y).tolist()}")
    n_pos = float(np.sum(y == 1))
    n_neg = float(len(y) - n_pos)
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1.0 / (n_neg + 2))
    scale = max(1.0, float(np.max(np.abs(s))))  # Newton on a well-scaled problem
    x = s / scale
    a, b = 0.0, float(np.log((n_pos + 1) / (n_neg + 1)))
    for _ in range(max_iter):
        p = _sigmoid(a * x + b)
        r = p - t
        g = np.array([r @ x, r.sum()])
        w = p * (1 - p)
        H = np.array([[w @ (x * x), w @ x], [w @ x, w.sum()]]) + 1e-12 * np.eye(2)
        step = np.linalg.solve(H, g)
        a, b = a - step[0], b - step[1]
        if np.max(np.abs(step)) < tol:
            break
    return a / scale, b


def platt_predict(scores, a, b):
    """Calibrated probabilities ``sigmoid(a * scores + b)``."""
    return _sigmoid(a * np.asarray(scores, dtype=float) + b)


# ----------------------------------------------------------------- isotonic regression
def pav(y, weights=None):
    """Pool-adjacent-violators: the non-decreasing sequence closest to ``y`` in weighted
    least squares. ``y`` is assumed ordered by its ``x``; runs in O(n)."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array, got shape {y.shape}")
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != y.shape or np.any(w <= 0):
        raise ValueError("weights must be positive and have the shape of y")
    means, wsum, size = [], [], []
    for yi, wi in zip(y, w):
        means.append(yi)
        wsum.append(wi)
        size.append(1)
        while len(means) > 1 and means[-2] > means[-1]:  # violator: pool the two blocks
            m2, w2, n2 = means.pop(), wsum.pop(), size.pop()
            means[-1] = (means[-1] * wsum[-1] + m2 * w2) / (wsum[-1] + w2)
            wsum[-1] += w2
            size[-1] += n2
    return np.repeat(means, size)


_RESOLUTION = float(np.finfo(np.float64).resolution)


def _pool_ties(x, resolution=_RESOLUTION):
    """Group sorted ``x`` values closer than ``resolution`` (1e-15) to their group's first
    value, as scikit-learn does; returns ``(group_x, group_of_each_sample)``."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    group = np.empty(len(x), dtype=int)
    starts, g, current = [xs[0]], 0, xs[0]
    for i, v in enumerate(xs):
        if v - current >= resolution:
            g += 1
            current = v
            starts.append(v)
        group[order[i]] = g
    return np.array(starts), group


class IsotonicRegression(RegressorMixin, TransformerMixin, BaseEstimator):
    """Non-decreasing piecewise-linear fit of ``y`` on a 1-D ``x`` by PAV.

    Samples with equal ``x`` (within 1e-15) are pooled first (weighted mean); predictions
    interpolate linearly between the fitted points and are clipped to the end values outside
    the training range (scikit-learn's ``out_of_bounds="clip"``). Samples of weight 0 are
    dropped, as scikit-learn does. ``X`` is 1-D or one column, so the estimator tags say
    ``one_d_array`` and not ``two_d_array``, exactly like ``sklearn.isotonic.IsotonicRegression``.

    Parameters
    ----------
    increasing : bool, default=True
        Fit a non-decreasing (True) or non-increasing (False) function.

    Attributes
    ----------
    X_thresholds_, y_thresholds_ : ndarray
        The fitted points (pooled ``x`` and their isotonic values).
    X_min_, X_max_ : float
        The training range (predictions are clipped to it).
    """

    def __init__(self, increasing=True):
        self.increasing = increasing

    @staticmethod
    def _one_column(X, name="X"):
        x = check_array(X, dtype=np.float64, ensure_2d=False, input_name=name)
        if x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 1:
            raise ValueError(f"{name} must be 1-D (or one column), got shape {np.shape(X)}")
        return x

    def fit(self, X, y, sample_weight=None):
        """Pool ties in ``X``, then fit the isotonic sequence of the pooled means of ``y``."""
        x = self._one_column(X)
        y = check_array(y, dtype=np.float64, ensure_2d=False, input_name="y")
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        check_consistent_length(x, y, sample_weight)
        w = _check_sample_weight(sample_weight, x, dtype=np.float64, ensure_non_negative=True)
        keep = w > 0
        if not keep.any():
            raise ValueError("sample_weight is zero for every sample: nothing to fit")
        x, y, w = x[keep], y[keep], w[keep]
        ux, inverse = _pool_ties(x)
        wsum = np.bincount(inverse, weights=w)
        ymean = np.bincount(inverse, weights=w * y) / wsum
        sign = 1.0 if self.increasing else -1.0
        self.X_thresholds_ = ux
        self.y_thresholds_ = sign * pav(sign * ymean, wsum)
        self.X_min_, self.X_max_ = float(ux[0]), float(ux[-1])
        return self

    def predict(self, X):
        """Interpolate the fitted points at ``X`` (clipped to the training range)."""
        check_is_fitted(self)
        x = self._one_column(X)
        if len(self.X_thresholds_) == 1:
            return np.full(x.shape, self.y_thresholds_[0])
        return np.interp(x, self.X_thresholds_, self.y_thresholds_)

    def transform(self, X):
        """The same as :meth:`predict` (an isotonic calibrator maps scores to probabilities)."""
        return self.predict(X)

    def get_feature_names_out(self, input_features=None):
        """One output column, named like scikit-learn's: ``isotonicregression0``."""
        check_is_fitted(self)
        return np.asarray([f"{type(self).__name__.lower()}0"], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        return tags


# ----------------------------------------------------------------- calibrated classifier
def _scores(estimator, X):
    if hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X), dtype=float)
    return np.asarray(estimator.predict_proba(X), dtype=float)[:, 1]


class _Calibrator:
    def __init__(self, method, scores, y):
        self.method = method
        if method == "sigmoid":
            self.ab = platt_fit(scores, y)
        else:
            self.iso = IsotonicRegression().fit(scores, y)

    def __call__(self, scores):
        if self.method == "sigmoid":
            return platt_predict(scores, *self.ab)
        return self.iso.predict(scores)


class CalibratedClassifier(ClassifierMixin, BaseEstimator):
    """Binary probability calibration of ``estimator`` (see the module docstring).

    ``cv="prefit"``: ``estimator`` is already fitted; ``fit(X, y)`` only fits the calibrator
    on this (held-out) data. ``cv=k``: for each of k stratified folds, fit a clone on the
    training part and the calibrator on the test part; ``predict_proba`` averages the k
    calibrated pairs (scikit-learn's ``CalibratedClassifierCV(ensemble=True)``).
    """

    def __init__(self, estimator, *, method="sigmoid", cv=5):
        self.estimator = estimator
        self.method = method
        self.cv = cv

    def fit(self, X, y):
        """Fit the calibrator(s); see the class docstring for ``cv``."""
        if self.method not in ("sigmoid", "isotonic"):
            raise ValueError(f"method must be 'sigmoid' or 'isotonic', got {self.method!r}")
        X, y = validate_data(self, X, y, dtype=None, ensure_all_finite=False)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            n = len(self.classes_)
            raise ValueError(
                f"Only binary classification is supported. CalibratedClassifier needs y "
                f"with 2 classes, got {n} class{'es' if n != 1 else ''} {self.classes_.tolist()}"
            )
        y01 = (y == self.classes_[1]).astype(int)
        if self.cv == "prefit":
            check_is_fitted(self.estimator)
            self.pairs_ = [
                (self.estimator, _Calibrator(self.method, _scores(self.estimator, X), y01))
            ]
            return self
        if np.min(np.bincount(y01)) < self.cv:
            raise ValueError(f"cv={self.cv} folds need at least {self.cv} samples of each class")
        self.pairs_ = []
        for train, test in StratifiedKFold(self.cv).split(X, y):
            model = clone(self.estimator).fit(X[train], y[train])
            self.pairs_.append(
                (model, _Calibrator(self.method, _scores(model, X[test]), y01[test]))
            )
        return self

    def predict_proba(self, X):
        """Calibrated ``[P(classes_[0]), P(classes_[1])]`` per row (averaged over folds)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        p1 = np.mean([cal(_scores(model, X)) for model, cal in self.pairs_], axis=0)
        return np.column_stack([1 - p1, p1])

    def predict(self, X):
        """The class whose calibrated probability exceeds 0.5."""
        proba = self.predict_proba(X)
        return self.classes_[(proba[:, 1] > 0.5).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # binary calibration only
        inner = get_tags(self.estimator)
        tags.input_tags.allow_nan = inner.input_tags.allow_nan  # the inner model validates X
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags


__all__ = [
    "CalibratedClassifier",
    "IsotonicRegression",
    "calibration_curve",
    "expected_calibration_error",
    "pav",
    "platt_fit",
    "platt_predict",
    "reliability_bins",
]
