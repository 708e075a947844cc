"""Project 10 transformers equal scikit-learn's on real data and work in Pipeline/ColumnTransformer."""

import numpy as np
import pandas as pd
import pytest
from sklearn import impute as sk_impute
from sklearn import preprocessing as skp
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline

from ml2llm.classical import preprocessing as mp

WINE = load_wine()
X = WINE.data  # 178 x 13, features spanning 0.1 .. 1680: scaling matters


def _with_nans(X, frac=0.15, seed=0):
    out = X.copy()
    out[np.random.default_rng(seed).random(out.shape) < frac] = np.nan
    return out


def _mixed_frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": rng.choice(["S", "M", "L", "XL"], n),
            "weight": rng.normal(50, 10, n),
            "height": rng.normal(170, 8, n),
        }
    )


# Exact algorithms (same arithmetic as scikit-learn up to summation order): 1e-12 relative.
@pytest.mark.parametrize(
    "ours,theirs",
    [
        (mp.StandardScaler(), skp.StandardScaler()),
        (mp.StandardScaler(with_mean=False), skp.StandardScaler(with_mean=False)),
        (mp.MinMaxScaler(), skp.MinMaxScaler()),
        (mp.MinMaxScaler(feature_range=(-1, 3)), skp.MinMaxScaler(feature_range=(-1, 3))),
        (mp.PolynomialFeatures(degree=3), skp.PolynomialFeatures(degree=3)),
        (
            mp.PolynomialFeatures(degree=2, interaction_only=True, include_bias=False),
            skp.PolynomialFeatures(degree=2, interaction_only=True, include_bias=False),
        ),
        (
            mp.KBinsDiscretizer(n_bins=6, strategy="uniform"),
            skp.KBinsDiscretizer(6, encode="ordinal", strategy="uniform"),
        ),
        (
            mp.KBinsDiscretizer(n_bins=4, strategy="quantile"),
            skp.KBinsDiscretizer(4, encode="ordinal", strategy="quantile"),
        ),
        (
            mp.KBinsDiscretizer(n_bins=5, encode="onehot-dense"),
            skp.KBinsDiscretizer(5, encode="onehot-dense"),
        ),
    ],
    ids=lambda e: repr(e),
)
def test_numeric_transformers_match_sklearn_on_wine(ours, theirs):
    Xtr, Xte = X[:120, :6], X[120:, :6]
    a = ours.fit(Xtr).transform(Xte)
    b = theirs.fit(Xtr).transform(Xte)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())


def test_standard_scaler_statistics_and_constant_feature():
    Xc = np.column_stack([X[:, 0], np.full(len(X), 7.0)])
    ours, theirs = mp.StandardScaler().fit(Xc), skp.StandardScaler().fit(Xc)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-14)
    np.testing.assert_allclose(ours.scale_, theirs.scale_, rtol=1e-14)
    assert ours.scale_[1] == 1.0  # constant column: divide by 1, not 0
    assert np.all(ours.transform(Xc)[:, 1] == 0.0)
    # known numbers: [1, 3] has mean 2 and population std 1
    np.testing.assert_allclose(mp.StandardScaler().fit_transform([[1.0], [3.0]]).ravel(), [-1, 1])


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
def test_imputer_matches_sklearn_on_wine_with_holes(strategy):
    Xn = _with_nans(X)
    ours = mp.SimpleImputer(strategy=strategy).fit(Xn[:100])
    theirs = sk_impute.SimpleImputer(strategy=strategy).fit(Xn[:100])
    np.testing.assert_allclose(
        ours.statistics_.astype(float), theirs.statistics_.astype(float), rtol=1e-12
    )
    np.testing.assert_allclose(ours.transform(Xn[100:]), theirs.transform(Xn[100:]), rtol=1e-12)


def test_imputer_strings_and_tie_break():
    col = np.array([["b"], [np.nan], ["a"], ["b"], ["a"], [np.nan]], dtype=object)
    out = mp.SimpleImputer(strategy="most_frequent").fit_transform(col)
    ref = sk_impute.SimpleImputer(strategy="most_frequent").fit_transform(col)
    assert out.ravel().tolist() == ref.ravel().tolist() == ["b", "a", "a", "b", "a", "a"]
    const = mp.SimpleImputer(strategy="constant", fill_value="?").fit_transform(col)
    assert const.ravel().tolist() == ["b", "?", "a", "b", "a", "?"]
    # ours also treats None as missing (pandas does; scikit-learn on a NumPy object array does not)
    col[1, 0] = None
    assert (
        mp.SimpleImputer(strategy="most_frequent").fit_transform(col).ravel().tolist()
        == out.ravel().tolist()
    )


@pytest.mark.parametrize("drop", [None, "first"])
def test_one_hot_matches_sklearn_with_unknowns(drop):
    df = _mixed_frame()
    cats = df[["colour", "size"]]
    test = pd.DataFrame({"colour": ["red", "purple", "blue"], "size": ["XXL", "S", "M"]})
    ours = mp.OneHotEncoder(handle_unknown="ignore", drop=drop).fit(cats)
    theirs = skp.OneHotEncoder(handle_unknown="ignore", drop=drop, sparse_output=False).fit(cats)
    with pytest.warns(UserWarning) if drop else _nullcontext():  # sklearn warns for drop+unknown
        expected = theirs.transform(test)
    np.testing.assert_array_equal(ours.transform(test), expected)
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert [list(c) for c in ours.categories_] == [list(c) for c in theirs.categories_]


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_one_hot_unknown_error_names_the_category():
    enc = mp.OneHotEncoder().fit([["a"], ["b"]])
    with pytest.raises(ValueError, match="'c' unseen during fit"):
        enc.transform([["c"]])


def test_ordinal_matches_sklearn_and_handles_unknowns():
    df = _mixed_frame()[["colour", "size"]]
    test = pd.DataFrame({"colour": ["red", "purple"], "size": ["XXL", "S"]})
    kw = {"handle_unknown": "use_encoded_value", "unknown_value": -1}
    ours, theirs = mp.OrdinalEncoder(**kw).fit(df), skp.OrdinalEncoder(**kw).fit(df)
    np.testing.assert_array_equal(ours.transform(test), theirs.transform(test))
    np.testing.assert_array_equal(ours.transform(df), theirs.transform(df))
    order = [["S", "M", "L", "XL"]]
    a = mp.OrdinalEncoder(categories=order).fit_transform(df[["size"]])
    b = skp.OrdinalEncoder(categories=order).fit_transform(df[["size"]])
    np.testing.assert_array_equal(a, b)


def test_column_transformer_pipeline_equals_sklearn_version():
    df = _mixed_frame(200)
    df.loc[::7, "weight"] = np.nan
    y = (df["colour"].eq("red") ^ (df["height"] > 170)).astype(int).to_numpy()

    def build(lib_scaler, lib_imputer, lib_onehot, **onehot_kw):
        pre = ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(lib_imputer(strategy="median"), lib_scaler()),
                    ["weight", "height"],
                ),
                ("cat", lib_onehot(handle_unknown="ignore", **onehot_kw), ["colour", "size"]),
            ]
        )
        return Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))])

    ours = build(mp.StandardScaler, mp.SimpleImputer, mp.OneHotEncoder).fit(df[:150], y[:150])
    theirs = build(
        skp.StandardScaler, sk_impute.SimpleImputer, skp.OneHotEncoder, sparse_output=False
    )
    theirs.fit(df[:150], y[:150])
    # identical features in, same deterministic solver (lbfgs): probabilities agree to 1e-8
    np.testing.assert_allclose(
        ours.predict_proba(df[150:]), theirs.predict_proba(df[150:]), atol=1e-8
    )
    names_ours = ours[:-1].get_feature_names_out()
    names_theirs = theirs[:-1].get_feature_names_out()
    assert list(names_ours) == list(names_theirs)


def test_grid_search_over_our_transformer_params_equals_sklearn():
    def search(poly, scaler):
        pipe = Pipeline([("poly", poly), ("sc", scaler), ("clf", LogisticRegression(max_iter=300))])
        grid = {"poly__degree": [1, 2], "poly__interaction_only": [False, True]}
        return GridSearchCV(pipe, grid, cv=3).fit(X[:, :4], WINE.target)

    ours = search(mp.PolynomialFeatures(), mp.StandardScaler())
    theirs = search(skp.PolynomialFeatures(), skp.StandardScaler())
    # same features into the same solver: identical CV scores up to lbfgs round-off
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"], atol=1e-9
    )
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ > 0.75  # 4 of the 13 wine features; chance is 0.40


def test_exercise_functions_agree_with_classes():
    Xn = _with_nans(X[:, :5], seed=3)
    np.testing.assert_allclose(
        mp.standardize(X[:100], X[100:]), mp.StandardScaler().fit(X[:100]).transform(X[100:])
    )
    np.testing.assert_allclose(
        mp.min_max_scale(X[:100], X[100:], (-2, 2)),
        mp.MinMaxScaler((-2, 2)).fit(X[:100]).transform(X[100:]),
        atol=1e-12,
    )
    for s in ["mean", "median", "most_frequent"]:
        np.testing.assert_allclose(
            mp.impute(Xn[:90], Xn[90:], s),
            sk_impute.SimpleImputer(strategy=s).fit(Xn[:90]).transform(Xn[90:]),
        )
    np.testing.assert_allclose(
        mp.polynomial_features(X[:, :3], 3), skp.PolynomialFeatures(3).fit_transform(X[:, :3])
    )
    np.testing.assert_array_equal(
        mp.bin_uniform(X[:100], X[100:], 4),
        skp.KBinsDiscretizer(4, encode="ordinal", strategy="uniform")
        .fit(X[:100])
        .transform(X[100:]),
    )
    np.testing.assert_array_equal(
        mp.one_hot(np.array(["b", "x", "a"]), ["a", "b"]), [[0, 1], [0, 0], [1, 0]]
    )


@pytest.mark.parametrize(
    "est,match",
    [
        (mp.MinMaxScaler(feature_range=(1, 0)), "feature_range must have min < max"),
        (mp.OneHotEncoder(handle_unknown="skip"), "handle_unknown must be one of"),
        (mp.SimpleImputer(strategy="mode"), "strategy must be one of"),
        (mp.PolynomialFeatures(degree=-1), "degree must be a non-negative integer"),
        (mp.KBinsDiscretizer(n_bins=1), "n_bins must be an integer >= 2"),
        (mp.OrdinalEncoder(handle_unknown="use_encoded_value"), "unknown_value must be a number"),
    ],
)
def test_bad_parameters_raise_clear_errors(est, match):
    with pytest.raises(ValueError, match=match):
        est.fit(np.array([[1.0], [2.0], [3.0]]))


@pytest.mark.parametrize(
    "column",
    [
        np.array([["b"], [None], ["a"], [np.nan], ["b"]], dtype=object),
        np.array([[2.0], [np.nan], [1.0], [2.0]]),
    ],
    ids=["object-None-NaN", "float-NaN"],
)
def test_encoders_treat_missing_values_as_a_category_like_sklearn(column):
    from sklearn.preprocessing import OneHotEncoder as SkOneHot
    from sklearn.preprocessing import OrdinalEncoder as SkOrdinal

    ours, ref = mp.OneHotEncoder().fit(column), SkOneHot(sparse_output=False).fit(column)
    assert [str(c) for c in ours.categories_[0]] == [str(c) for c in ref.categories_[0]]
    np.testing.assert_array_equal(ours.transform(column), ref.transform(column))
    assert ours.get_feature_names_out().tolist() == ref.get_feature_names_out().tolist()
    np.testing.assert_array_equal(
        mp.OrdinalEncoder().fit_transform(column), SkOrdinal().fit_transform(column)
    )


def test_encoders_reject_mixed_types_and_infinity():
    with pytest.raises(TypeError, match="uniformly strings or numbers"):
        mp.OneHotEncoder().fit(np.array([["a"], [1.5]], dtype=object))
    with pytest.raises(ValueError, match="infinity"):
        mp.OrdinalEncoder().fit(np.array([[1.0], [np.inf]]))


def test_transform_rejects_wrong_number_of_features():
    sc = mp.StandardScaler().fit(X[:, :3])
    with pytest.raises(ValueError, match="3 features"):
        sc.transform(X[:, :4])
