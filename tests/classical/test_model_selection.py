"""Our splitters yield exactly scikit-learn's splits; CV scores, grid search and nested CV
agree with scikit-learn on real data; leakage is measurable; bad input is rejected.

Tolerances: split indices must be identical (integers). Scores of the same fitted models on
the same folds are compared with rtol=1e-12 (same floating-point operations up to the order
of one mean).
"""

import warnings

import numpy as np
import pytest
import sklearn.model_selection as skms
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml2llm.classical import model_selection as ms

SETTINGS = settings(max_examples=50, deadline=None)


def assert_same_splits(ours, theirs):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for (a_tr, a_te), (b_tr, b_te) in zip(ours, theirs):
        np.testing.assert_array_equal(a_tr, b_tr)
        np.testing.assert_array_equal(a_te, b_te)


@SETTINGS
@given(st.integers(2, 60), st.integers(2, 8), st.booleans(), st.integers(0, 1000))
def test_kfold_equals_sklearn(n, k, shuffle, seed):
    if k > n:
        return
    rs = seed if shuffle else None
    X = np.zeros((n, 1))
    assert_same_splits(
        ms.KFold(k, shuffle=shuffle, random_state=rs).split(X),
        skms.KFold(k, shuffle=shuffle, random_state=rs).split(X),
    )


@SETTINGS
@given(
    st.lists(st.integers(0, 3), min_size=6, max_size=60),
    st.integers(2, 5),
    st.booleans(),
    st.integers(0, 1000),
)
def test_stratified_kfold_equals_sklearn(labels, k, shuffle, seed):
    y = np.array(labels)
    if k > len(y) or np.all(k > np.bincount(y)[np.bincount(y) > 0]):
        return
    rs = seed if shuffle else None
    X = np.zeros((len(y), 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rare classes: both warn
        assert_same_splits(
            ms.StratifiedKFold(k, shuffle=shuffle, random_state=rs).split(X, y),
            skms.StratifiedKFold(k, shuffle=shuffle, random_state=rs).split(X, y),
        )


@SETTINGS
@given(
    st.lists(st.integers(0, 12), min_size=4, max_size=60),
    st.integers(2, 5),
    st.booleans(),
    st.integers(0, 1000),
)
def test_group_kfold_equals_sklearn(groups, k, shuffle, seed):
    groups = np.array(groups)
    if k > len(np.unique(groups)):
        return
    rs = seed if shuffle else None
    X = np.zeros((len(groups), 1))
    assert_same_splits(
        ms.GroupKFold(k, shuffle=shuffle, random_state=rs).split(X, groups=groups),
        skms.GroupKFold(k, shuffle=shuffle, random_state=rs).split(X, groups=groups),
    )


@SETTINGS
@given(
    st.integers(3, 80),
    st.integers(2, 6),
    st.integers(0, 3),
    st.one_of(st.none(), st.integers(1, 10)),
    st.one_of(st.none(), st.integers(1, 20)),
)
def test_time_series_split_equals_sklearn(n, k, gap, test_size, max_train):
    X = np.zeros((n, 1))
    kw = dict(gap=gap, test_size=test_size, max_train_size=max_train)
    try:
        expected = list(skms.TimeSeriesSplit(k, **kw).split(X))
    except ValueError:
        with pytest.raises(ValueError):
            list(ms.TimeSeriesSplit(k, **kw).split(X))
        return
    assert_same_splits(ms.TimeSeriesSplit(k, **kw).split(X), expected)


def test_stratification_keeps_a_rare_class_in_every_fold():
    # 95 negatives, 5 positives, 5 folds: each test fold must hold exactly one positive
    y = np.r_[np.zeros(95, int), np.ones(5, int)]
    counts = [y[test].sum() for _, test in ms.StratifiedKFold(5).split(np.zeros(100), y)]
    assert counts == [1, 1, 1, 1, 1]
    plain = [y[test].sum() for _, test in ms.KFold(5).split(np.zeros(100))]
    assert plain == [0, 0, 0, 0, 5]  # why stratification exists


def test_cross_val_score_equals_sklearn_on_breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    for scoring in [None, "accuracy", "roc_auc", "neg_log_loss", "f1"]:  # predict_proba path
        ours = ms.cross_val_score(GaussianNB(), X, y, cv=5, scoring=scoring)
        ref = skms.cross_val_score(GaussianNB(), X, y, cv=5, scoring=scoring)
        np.testing.assert_allclose(ours, ref, rtol=1e-12)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5))
    ours = ms.cross_val_score(model, X, y, cv=5, scoring="roc_auc")  # decision_function path
    np.testing.assert_allclose(
        ours, skms.cross_val_score(model, X, y, cv=5, scoring="roc_auc"), rtol=1e-12
    )
    # our splitter works inside sklearn's tools too
    ref = skms.cross_val_score(model, X, y, cv=ms.StratifiedKFold(5, shuffle=True, random_state=3))
    ours = ms.cross_val_score(model, X, y, cv=skms.StratifiedKFold(5, shuffle=True, random_state=3))
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    assert 0.95 < ours.mean() < 1.0


def test_cross_val_score_regression_uses_kfold():
    X, y = load_diabetes(return_X_y=True)
    ours = ms.cross_val_score(Ridge(alpha=1.0), X, y, cv=4, scoring="neg_mean_squared_error")
    ref = skms.cross_val_score(Ridge(alpha=1.0), X, y, cv=4, scoring="neg_mean_squared_error")
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_grid_search_and_nested_cv_equal_sklearn_on_iris():
    X, y = load_iris(return_X_y=True)
    grid = {"n_neighbors": [1, 5, 15, 30], "weights": ["uniform", "distance"]}
    ours = ms.GridSearchCV(KNeighborsClassifier(), grid, cv=5).fit(X, y)
    ref = skms.GridSearchCV(KNeighborsClassifier(), grid, cv=5).fit(X, y)
    assert ours.best_params_ == ref.best_params_
    assert ours.best_score_ == pytest.approx(ref.best_score_, rel=1e-12)
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"], rtol=1e-12
    )
    outer = skms.StratifiedKFold(4, shuffle=True, random_state=0)
    nested = ms.nested_cross_val_score(
        KNeighborsClassifier(), grid, X, y, outer_cv=outer, inner_cv=3
    )
    ref_nested = skms.cross_val_score(
        skms.GridSearchCV(KNeighborsClassifier(), grid, cv=3), X, y, cv=outer
    )
    np.testing.assert_allclose(nested.outer_scores, ref_nested, rtol=1e-12)
    # our GridSearchCV composes the same way
    np.testing.assert_allclose(
        ms.cross_val_score(ms.GridSearchCV(KNeighborsClassifier(), grid, cv=3), X, y, cv=outer),
        ref_nested,
        rtol=1e-12,
    )


def test_feature_selection_leakage_is_optimistic_on_pure_noise():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 2000)), np.r_[np.zeros(30, int), np.ones(30, int)]
    leaky, honest = ms.feature_selection_leakage(LogisticRegression(), X, y, k=20, cv=5)
    # labels are independent of X: the truth is 0.5. Leaky selection finds spurious
    # correlations in the test folds too and reports far better than chance.
    assert leaky > 0.8
    assert abs(honest - 0.5) < 0.2
    assert leaky - honest > 0.3


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: list(ms.KFold(5).split(np.zeros((3, 1)))), "greater than the number of samples"),
        (
            lambda: list(ms.StratifiedKFold(4).split(np.zeros((3, 1)), [0, 1, 0])),
            "greater than the number of samples",
        ),
        (lambda: list(ms.TimeSeriesSplit(5).split(np.zeros((4, 1)))), "only 4 samples"),
        (
            lambda: list(ms.GroupKFold(3).split(np.zeros((4, 1)), groups=[0, 0, 1, 1])),
            "number of groups",
        ),
        (lambda: ms.KFold(1), "at least 2"),
        (lambda: ms.KFold(3, random_state=0), "shuffle=True"),
        (lambda: ms.cross_val_score(Ridge(), np.zeros((5, 2)), np.zeros(4)), "same length"),
        (
            lambda: ms.cross_val_score(Ridge(), np.zeros((5, 2)), np.zeros(5), scoring="auc"),
            "scoring must be",
        ),
        (lambda: list(ms.GroupKFold(2).split(np.zeros((4, 1)))), "needs groups"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
