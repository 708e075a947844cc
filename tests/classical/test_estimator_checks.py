"""Every public estimator in ``ml2llm`` passes scikit-learn's full ``check_estimator``.

The list is built from the package, not written by hand: every module of ``ml2llm`` is
imported and every public class defined there that derives from
``sklearn.base.BaseEstimator`` is checked, so an estimator added later is checked without
anyone editing this file. Nothing is skipped and nothing is an expected failure: no
``expected_failed_checks`` are given, and a check that raises ``SkipTest`` (sklearn does when
an optional dependency or setting is missing) fails here with sklearn's reason.

Two adaptations, both explicit:

- scikit-learn's checks feed 2-D ``X``; an estimator whose tags say it takes only 1-D input
  (``two_d_array=False``: :class:`~ml2llm.classical.calibration.IsotonicRegression`, like
  scikit-learn's own) makes ``check_estimator`` skip it entirely. Such an estimator is checked
  through :class:`FirstColumn`, which hands it the first column of ``X`` as a 1-D array, so
  fitting, prediction, weights, pickling, idempotence and invariance checks still run on it.
- ``check_array_api_input`` with NumPy arrays is skipped unless ``SCIPY_ARRAY_API=1``; the
  test sets it (sklearn reads it when the check runs), so that check runs too.

Meta-estimators cannot be built without an inner estimator. :data:`META_ARGS` gives each one
simple constructor arguments; a meta-estimator missing from it fails
:func:`test_every_estimator_can_be_built` with a message saying what to add. Costly
ensembles and iterative solvers get a smaller budget from :data:`BUDGET` (only parameters they
have), which changes how long they train, not which checks run.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import unittest

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted, validate_data

import ml2llm


def _meta_args():
    from ml2llm.classical.logistic_regression import LogisticRegression
    from ml2llm.classical.regularization import Ridge

    return {
        "CalibratedClassifier": {"estimator": LogisticRegression(), "cv": 3},
        "GridSearchCV": {"estimator": Ridge(), "param_grid": {"alpha": [0.1, 1.0]}, "cv": 3},
    }


#: constructor arguments of meta-estimators (class name -> kwargs)
META_ARGS = _meta_args()

#: cheaper settings for slow estimators; applied only where the parameter exists
BUDGET = {"n_estimators": 10}


def _walk():
    """``(classes, import_errors)`` over every module of ``ml2llm``."""
    classes, errors = {}, []
    for info in sorted(pkgutil.walk_packages(ml2llm.__path__, "ml2llm."), key=lambda i: i.name):
        try:
            module = importlib.import_module(info.name)
        except Exception as exc:  # reported by a failing test, never skipped
            errors.append(f"{info.name}: {type(exc).__name__}: {exc}")
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or name.startswith("_"):
                continue
            if issubclass(cls, BaseEstimator) and not inspect.isabstract(cls):
                classes[f"{module.__name__}.{name}"] = cls
    return classes, errors


CLASSES, IMPORT_ERRORS = _walk()


class FirstColumn(RegressorMixin, TransformerMixin, BaseEstimator):
    """Check a 1-D regressor with scikit-learn's 2-D checks: it sees ``X[:, 0]``."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, y_numeric=True)
        self.estimator_ = clone(self.estimator).fit(X[:, 0], y, sample_weight=sample_weight)
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.predict(X[:, 0])

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.estimator_.transform(X[:, 0])).reshape(-1, 1)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return self.estimator_.get_feature_names_out()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True  # it sees one of the checks' several features
        return tags


def _build(cls):
    """An instance with defaults, or with META_ARGS; ``(instance, error message)``."""
    kwargs = dict(META_ARGS.get(cls.__name__, {}))
    try:
        est = cls(**kwargs)
    except TypeError as exc:
        return None, (
            f"{cls.__module__}.{cls.__name__} cannot be built with its defaults ({exc}); add its "
            f"constructor arguments (e.g. a simple inner estimator) to META_ARGS in {__name__}"
        )
    params = est.get_params(deep=False)
    budget = {k: v for k, v in BUDGET.items() if k in params and params[k] != v}
    est = est.set_params(**budget)
    tags = get_tags(est)
    if not tags.input_tags.two_d_array:
        if not (tags.input_tags.one_d_array and tags.estimator_type == "regressor"):
            return (
                None,
                f"{cls.__name__} takes neither 2-D nor 1-D regression input: adapt the test",
            )
        return FirstColumn(est), None
    return est, None


ESTIMATORS = [est for est, err in map(_build, CLASSES.values()) if est is not None]


def test_every_module_imports():
    assert not IMPORT_ERRORS, "modules that fail to import: " + "; ".join(IMPORT_ERRORS)


def test_every_estimator_can_be_built():
    errors = [err for _, err in map(_build, CLASSES.values()) if err]
    assert not errors, "\n".join(errors)


def test_discovery_finds_the_estimators_and_meta_estimators():
    names = {cls.__name__ for cls in CLASSES.values()}
    for expected in ["KernelSVM", "OneHotEncoder", "IsotonicRegression", *META_ARGS]:
        assert expected in names, f"{expected} not discovered; found {sorted(names)}"
    assert len(ESTIMATORS) == len(CLASSES)


def test_a_meta_estimator_without_arguments_is_reported():
    class NeedsInner(BaseEstimator):
        def __init__(self, estimator):
            self.estimator = estimator

    est, err = _build(NeedsInner)
    assert est is None and "META_ARGS" in err and "NeedsInner" in err


def test_one_d_estimators_are_checked_through_first_column():
    wrapped = {type(e.estimator).__name__: e for e in ESTIMATORS if isinstance(e, FirstColumn)}
    assert "IsotonicRegression" in wrapped
    X = np.array([[3.0, 9.0], [1.0, 8.0], [2.0, 7.0]])
    y = np.array([2.0, 0.0, 1.0])
    fitted = clone(wrapped["IsotonicRegression"]).fit(X, y)
    assert fitted.predict(X).tolist() == fitted.estimator_.predict(X[:, 0]).tolist() == [2, 0, 1]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_check_estimator(estimator, check, monkeypatch):
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")  # read when the array-API check runs
    try:
        check(estimator)
    except unittest.SkipTest as exc:  # a skipped check is a failure here, not a skip
        pytest.fail(f"sklearn skipped this check: {exc}")
