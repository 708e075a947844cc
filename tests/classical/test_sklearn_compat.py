"""Every Phase 1 estimator and transformer works in a scikit-learn Pipeline and in GridSearchCV.

The classes are discovered, not listed: every public class defined in a module of
``ml2llm.classical`` that is a scikit-learn estimator (classifier, regressor or transformer)
and can be built with its defaults is tested, so estimators added later are covered
automatically. Abstract bases, private helpers (``_Base…``) and meta-estimators that need
arguments (a grid search needs an ``estimator``) are skipped.
"""

import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pytest
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    clone,
    is_classifier,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import ml2llm.classical as pkg

# keep from-scratch ensembles and iterative solvers cheap on a shared 2-core machine
_BUDGET = {"n_estimators": 5, "n_epochs": 5, "max_depth": 3}


IMPORT_ERRORS = []


def _discover():
    found = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        try:
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        except Exception as exc:  # reported by test_every_module_imports, which then fails
            IMPORT_ERRORS.append(f"{info.name}: {type(exc).__name__}: {exc}")
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or name.startswith("_") or inspect.isabstract(cls):
                continue
            if not issubclass(cls, BaseEstimator):
                continue
            if not issubclass(cls, (ClassifierMixin, RegressorMixin, TransformerMixin)):
                continue  # meta-estimators, splitters, result containers
            try:
                cls()
            except TypeError:
                continue  # needs constructor arguments: not a standalone estimator
            found.append(pytest.param(cls, id=f"{info.name}.{name}"))
    return found


ESTIMATORS = _discover()


def _budgeted(est):
    params = est.get_params(deep=False)
    return est.set_params(**{k: v for k, v in _BUDGET.items() if k in params and params[k] != v})


def _data(kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    if kind == "classifier":
        return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    if kind == "regressor":
        return X, X @ np.array([1.5, -2.0, 0.5]) + 0.1 * rng.normal(size=60)
    # transformers see small integers: valid input for encoders, scalers, imputers and binning
    Xt = rng.integers(0, 4, size=(60, 3)).astype(float)
    return Xt, (Xt[:, 0] + rng.normal(0, 0.5, 60) >= 1.5).astype(int)


def _one_feature_only(est, X, y):
    """True for estimators of a 1-D input (isotonic regression): they reject several columns."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clone(est).fit(X, y)
    except ValueError as exc:
        return any(s in str(exc) for s in ("1-D", "one column", "1 feature", "single feature"))
    return False


def _grid_param(est):
    """A parameter of the estimator to search over: two valid values of one parameter."""
    params = est.get_params(deep=False)
    for name, values in [
        ("C", [0.5, 2.0]),
        ("alpha", [0.1, 1.0]),
        ("max_depth", [2, 3]),
        ("learning_rate", [0.05, 0.1]),
        ("n_bins", [3, 4]),
        ("degree", [1, 2]),
        ("with_mean", [True, False]),
        ("feature_range", [(0, 1), (-1, 1)]),
        ("strategy", None),
        ("handle_unknown", None),
        ("n_iter", [50, 100]),
    ]:
        if name in params:
            if (
                values is None
            ):  # categorical choice: the default twice still exercises clone/set_params
                values = [params[name]]
            return {name: values}
    return {name: [value] for name, value in list(params.items())[:1]} or {}


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_works_in_pipeline_and_grid_search(cls):
    est = _budgeted(cls())
    kind = (
        "classifier"
        if is_classifier(est)
        else "regressor"
        if isinstance(est, RegressorMixin)
        else "transformer"
    )
    X, y = _data(kind)
    if kind != "transformer" and _one_feature_only(est, X, y):
        X = X[:, :1]
    if kind == "transformer":
        head = LogisticRegression(max_iter=300)
        pipe = Pipeline([("t", est), ("model", head)])
        cv = StratifiedKFold(3, shuffle=True, random_state=0)
    else:
        pipe = Pipeline([("scale", StandardScaler()), ("model", est)])
        cv = (StratifiedKFold if kind == "classifier" else KFold)(3, shuffle=True, random_state=0)
    step = "t" if kind == "transformer" else "model"
    grid = {f"{step}__{k}": v for k, v in _grid_param(est).items()}
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # convergence/zero-variance warnings on tiny data are fine here
        fitted = clone(pipe).fit(X, y)
        pred = fitted.predict(X)
        search = GridSearchCV(pipe, grid, cv=cv, error_score="raise").fit(X, y)
    assert pred.shape == (len(X),)
    assert np.isfinite(search.best_score_)
    if kind == "classifier":
        assert search.best_score_ > 0.6  # a linear rule on 60 points; chance is ~0.5
    elif kind == "regressor":
        assert search.best_score_ > 0.3  # R² of y = Xw + noise; the mean predictor scores ≤ 0
    # the searched parameter really reached the estimator (set_params through the pipeline)
    name, values = next(iter(grid.items()))
    assert search.best_params_[name] in values
    assert (
        search.best_estimator_.named_steps[step].get_params()[name.split("__", 1)[1]]
        == search.best_params_[name]
    )


def test_every_module_imports():
    assert not IMPORT_ERRORS, "ml2llm.classical modules that fail to import: " + "; ".join(
        IMPORT_ERRORS
    )


def test_discovery_finds_this_projects_estimators():
    ids = {p.id for p in ESTIMATORS}
    for expected in [
        "svm.KernelSVM",
        "svm.LinearSVM",
        "preprocessing.StandardScaler",
        "preprocessing.OneHotEncoder",
        "preprocessing.KBinsDiscretizer",
        "linear_regression.LinearRegressionGD",
    ]:
        assert expected in ids, f"{expected} was not discovered; found {sorted(ids)}"
    assert not any(i.startswith("penguins.") for i in ids)  # helpers, not estimators


def test_a_regressor_head_also_works_after_our_transformers():
    from ml2llm.classical.preprocessing import PolynomialFeatures
    from ml2llm.classical.preprocessing import StandardScaler as OurScaler

    X, y = _data("regressor")
    pipe = Pipeline(
        [("poly", PolynomialFeatures()), ("sc", OurScaler()), ("lr", LinearRegression())]
    )
    gs = GridSearchCV(pipe, {"poly__degree": [1, 2]}, cv=3).fit(X, y)
    assert gs.best_params_ == {
        "poly__degree": 1
    }  # the truth is linear; degree 2 only adds variance
