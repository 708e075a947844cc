"""Project 11: Palmer penguins loading, schema validation, the pipeline, safe saving and the CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from ml2llm.classical import penguins as pg
from ml2llm.cli import main as cli_main

pytest.importorskip("palmerpenguins")


@pytest.fixture(scope="module")
def data():
    df = pg.load_penguins()
    return train_test_split(
        df[pg.FEATURES],
        df[pg.TARGET].to_numpy(),
        test_size=0.25,
        stratify=df[pg.TARGET],
        random_state=0,
    )


@pytest.fixture(scope="module")
def fitted(data):
    from ml2llm.classical.softmax_regression import SoftmaxRegression

    Xtr, _, ytr, _ = data
    return pg.make_pipeline(SoftmaxRegression()).fit(Xtr, ytr)


def test_dataset_is_the_published_one():
    df = pg.load_penguins()
    assert df.shape == (344, 8)  # Gorman et al. (2014): 344 penguins, 8 columns
    assert df["species"].value_counts().to_dict() == {"Adelie": 152, "Gentoo": 124, "Chinstrap": 68}
    assert df["sex"].isna().sum() == 11 and df["body_mass_g"].isna().sum() == 2


def test_pipeline_reaches_97_percent_on_held_out_penguins(fitted, data):
    _, Xte, _, yte = data
    acc = fitted.score(Xte, yte)
    assert (
        acc >= 0.97
    )  # the bar; measured 0.988: the one miss is penguin 271, which has no measurements


def test_pipeline_matches_sklearn_version(data):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    Xtr, Xte, ytr, _ = data
    sk_pre = ColumnTransformer(
        [
            (
                "num",
                Pipeline([("i", SimpleImputer(strategy="median")), ("s", StandardScaler())]),
                pg.NUMERIC,
            ),
            (
                "cat",
                Pipeline(
                    [
                        ("i", SimpleImputer(strategy="most_frequent")),
                        ("o", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                list(pg.CATEGORICAL),
            ),
        ]
    )
    ours = pg.make_preprocessor().fit(Xtr)
    # exact transformers: identical feature matrices up to round-off
    np.testing.assert_allclose(ours.transform(Xte), sk_pre.fit(Xtr).transform(Xte), atol=1e-12)
    a = pg.make_pipeline(LogisticRegression(max_iter=1000)).fit(Xtr, ytr).predict_proba(Xte)
    b = (
        Pipeline([("pre", sk_pre), ("m", LogisticRegression(max_iter=1000))])
        .fit(Xtr, ytr)
        .predict_proba(Xte)
    )
    np.testing.assert_allclose(a, b, atol=1e-8)


def test_validate_rows_rejects_bad_rows_and_keeps_good_ones():
    rows = pd.DataFrame(
        {
            "bill_length_mm": [39.1, "41.5", "abc", 50.0, 44.0, None, -3.0],
            "bill_depth_mm": [18.7, 17.0, 15.0, 15.2, 16.0, None, 17.0],
            "flipper_length_mm": [181, 190, 220, 218, 200, None, 190],
            "body_mass_g": [3750, 3800, 5000, np.nan, 4000, None, 3900],
            "island": ["Torgersen", " Dream ", "Biscoe", "Biscoe", "Atlantis", "Dream", "Dream"],
            "sex": ["male", "female", "male", None, "male", "male", "MALE"],
            "species": ["?"] * 7,  # extra columns are ignored
        }
    )
    good, errors = pg.validate_rows(rows)
    assert list(good.index) == [0, 1, 3]
    assert good.loc[1, "bill_length_mm"] == 41.5 and good.loc[1, "island"] == "Dream"
    msgs = {e.row: e.message for e in errors}
    assert msgs[2] == "bill_length_mm='abc' is not a number"
    assert "island='Atlantis' is not one of Biscoe, Dream, Torgersen" in msgs[4]
    assert "no measurement given" in msgs[5]
    assert (
        "bill_length_mm=-3.0 must be a positive finite number" in msgs[6]
        and "sex='MALE'" in msgs[6]
    )


def test_missing_column_is_a_schema_error():
    with pytest.raises(pg.SchemaError, match="missing column\\(s\\) island, sex"):
        pg.validate_rows(
            pd.DataFrame({c: [1.0] for c in pg.NUMERIC}).assign(sex=None).drop(columns="sex")
        )
    with pytest.raises(pg.SchemaError, match="must be a pandas DataFrame"):
        pg.validate_rows([[1, 2]])


def test_predict_returns_predictions_and_errors(fitted):
    rows = pd.DataFrame(
        [
            {
                "bill_length_mm": 39.1,
                "bill_depth_mm": 18.7,
                "flipper_length_mm": 181,
                "body_mass_g": 3750,
                "island": "Torgersen",
                "sex": "male",
            },
            {
                "bill_length_mm": 47.5,
                "bill_depth_mm": 14.2,
                "flipper_length_mm": 215,
                "body_mass_g": 4800,
                "island": "Biscoe",
                "sex": "female",
            },
            {
                "bill_length_mm": "x",
                "bill_depth_mm": 14.2,
                "flipper_length_mm": 215,
                "body_mass_g": 4800,
                "island": "Biscoe",
                "sex": "female",
            },
        ]
    )
    out = pg.predict(fitted, rows)
    assert out["species"].tolist()[:2] == ["Adelie", "Gentoo"]  # textbook Adelie and Gentoo rows
    assert out["species"].iloc[2] is None and "is not a number" in out["error"].iloc[2]
    assert (out["confidence"].iloc[:2] > 0.9).all()


def test_json_round_trip_gives_identical_predictions(fitted, data, tmp_path):
    _, Xte, _, _ = data
    digest = pg.save_model(fitted, tmp_path / "m.json", metadata={"note": "test"})
    model, meta = pg.load_model(tmp_path / "m.json", expected_sha256=digest)
    assert meta == {"note": "test"}
    np.testing.assert_array_equal(model.predict(Xte), fitted.predict(Xte))
    np.testing.assert_allclose(model.predict_proba(Xte), fitted.predict_proba(Xte), rtol=0, atol=0)
    with pytest.raises(ValueError, match="the file changed"):
        pg.load_model(tmp_path / "m.json", expected_sha256="0" * 64)


def test_loading_refuses_classes_outside_the_allow_list(tmp_path):
    doc = {
        "format": pg.FORMAT,
        "format_version": pg.FORMAT_VERSION,
        "versions": pg._versions(),
        "metadata": {},
        "model": {"__object__": "os:system", "state": {}},
    }
    (tmp_path / "evil.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="refusing to load class os:system"):
        pg.load_model(tmp_path / "evil.json")


def test_saving_something_unsupported_names_the_attribute(tmp_path):
    from sklearn.tree import DecisionTreeClassifier

    X = np.array([[0.0], [1.0]])
    with pytest.raises(TypeError, match="cannot save model.tree_"):
        pg.save_model(DecisionTreeClassifier().fit(X, [0, 1]), tmp_path / "t.json")
    assert not (tmp_path / "t.json").exists()


def test_candidate_models_cover_projects_02_to_09():
    cands = pg.candidate_models(smoke_test=False)
    assert {"softmax regression", "RBF SVM (SMO)", "random forest"} <= set(cands)
    assert cands["RBF SVM (SMO)"][1].startswith("ml2llm (Project 09)")


def _write_rows(path):
    path.write_text(
        "bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,island,sex\n"
        "39.1,18.7,181,3750,Torgersen,male\n"
        "abc,15,220,5000,Biscoe,male\n"
        "50,15.2,218,,Biscoe,\n"
    )


def test_cli_train_and_predict(tmp_path, capsys):
    model = tmp_path / "m.json"
    assert cli_main(["penguins", "train", "--out", str(model)]) == 0
    rows = tmp_path / "rows.csv"
    _write_rows(rows)
    capsys.readouterr()
    code = cli_main(["penguins", "predict", "--model", str(model), "--input", str(rows)])
    out, err = capsys.readouterr()
    assert code == 1  # one row rejected, the others predicted
    lines = out.strip().splitlines()
    assert lines[0] == "row,species,confidence,error"
    assert lines[1].startswith("1,Adelie,") and lines[3].startswith("3,Gentoo,")
    assert "rejected row 2: bill_length_mm='abc' is not a number" in err
    assert "2 of 3 rows predicted, 1 rejected" in err


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--input", "{rows}", "--model", "{tmp}/none.json"], "model file not found"),
        (["--input", "{tmp}/none.csv", "--model", "{model}"], "input file not found"),
        (["--input", "{nocol}", "--model", "{model}"], "missing column(s) bill_depth_mm"),
        (["--input", "{rows}", "--model", "{rows}"], "is not a JSON model file"),
    ],
)
def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, argv, message):
    model = tmp_path / "m.json"
    from ml2llm.classical.svm import LinearSVM

    df = pg.load_penguins()
    pg.save_model(
        pg.make_pipeline(LinearSVM(random_state=0)).fit(df[pg.FEATURES], df[pg.TARGET]), model
    )
    rows, nocol = tmp_path / "rows.csv", tmp_path / "nocol.csv"
    _write_rows(rows)
    nocol.write_text("bill_length_mm,island\n40,Dream\n")
    args = [a.format(tmp=tmp_path, rows=rows, model=model, nocol=nocol) for a in argv]
    capsys.readouterr()
    assert cli_main(["penguins", "predict", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
