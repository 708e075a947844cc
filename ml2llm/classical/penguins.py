"""Project 11's end-to-end pipeline on Palmer penguins: data, schema, models, safe saving, predict.

- :func:`load_penguins` reads the CSV that the ``palmerpenguins`` package ships (offline).
- :data:`SCHEMA` says what a row must look like; :func:`validate_rows` splits an input table
  into rows that satisfy it (converted to clean types) and one clear message per bad row
  (missing column → the whole table is rejected with :class:`SchemaError`; a value that is not
  a number, a negative or infinite measurement, an unknown island or sex → that row only).
  Missing values are allowed: the pipeline imputes them.
- :func:`make_pipeline` builds the preprocessing (median imputation + standardisation for the
  measurements, most-frequent imputation + one-hot encoding for island and sex, all from
  :mod:`ml2llm.classical.preprocessing`) followed by a classifier.
- :func:`candidate_models` collects the curriculum's classifiers (Projects 02–09) that are
  importable and actually fit a 3-class problem, wrapping binary-only ones in one-vs-rest and
  falling back to scikit-learn's equivalent when a module is missing or broken.
- :func:`save_model` / :func:`load_model` store a fitted pipeline as **JSON** (parameters and
  fitted arrays, no code). Loading only rebuilds classes from an allow-list of modules
  (``ml2llm.``, ``sklearn.``) by setting their attributes; it never unpickles, so opening a
  file cannot run code from it. It can still hold wrong numbers: only load models you made,
  and compare the SHA-256 printed in the model card.
- :func:`predict` validates a table, predicts the good rows and reports the bad ones.

Not here: the exploration and model selection themselves (they are in the notebook), sparse
data, and models whose fitted state holds objects other than arrays, numbers, strings,
lists, dicts and allow-listed estimators (such a model raises :class:`TypeError` on save).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "CATEGORICAL",
    "FEATURES",
    "NUMERIC",
    "SCHEMA",
    "SPECIES",
    "TARGET",
    "RowError",
    "SchemaError",
    "candidate_models",
    "load_model",
    "load_penguins",
    "make_pipeline",
    "model_card",
    "predict",
    "save_model",
    "validate_rows",
    "value_problem",
]

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = {"island": ["Biscoe", "Dream", "Torgersen"], "sex": ["female", "male"]}
FEATURES = NUMERIC + list(CATEGORICAL)
TARGET = "species"
SPECIES = ["Adelie", "Chinstrap", "Gentoo"]
SCHEMA = {
    **{c: "positive number or empty" for c in NUMERIC},
    **{c: "one of " + ", ".join(v) + " or empty" for c, v in CATEGORICAL.items()},
}
FORMAT = "ml2llm-model-json"
FORMAT_VERSION = 1
ALLOWED_MODULES = ("ml2llm.", "sklearn.")


class SchemaError(ValueError):
    """The input table cannot be used at all (e.g. a required column is missing)."""


@dataclass(frozen=True)
class RowError:
    """A rejected row: its index in the input table and why."""

    row: object
    message: str

    def __str__(self):
        return f"row {self.row}: {self.message}"


# ----------------------------------------------------------------- data
def load_penguins(dropna_target=True):
    """The 344 Palmer penguins (Gorman et al., 2014) as a pandas DataFrame.

    Columns: ``species``, ``island``, the four measurements, ``sex`` and ``year``; missing
    values are NaN. Read from the CSV inside the installed ``palmerpenguins`` package (no
    network). ``dropna_target`` drops rows without a species (there are none in this release).
    """
    import pandas as pd

    try:
        from importlib.resources import files

        path = files("palmerpenguins") / "data" / "penguins.csv"
        with path.open("r", encoding="utf-8") as fh:
            df = pd.read_csv(fh)
    except ModuleNotFoundError as exc:
        raise ImportError(
            "Palmer penguins needs the `palmerpenguins` package: pip install palmerpenguins"
        ) from exc
    for c in ["species", "island", "sex"]:
        # plain object columns with NaN for missing (scikit-learn's imputers look for NaN)
        df[c] = df[c].astype(object).where(df[c].notna(), np.nan)
    if dropna_target:
        df = df[df[TARGET].notna()].reset_index(drop=True)
    return df


# ----------------------------------------------------------------- schema
def _is_missing(v):
    if v is None or type(v).__name__ in {"NAType", "NaTType"}:  # pandas' NA markers
        return True
    if isinstance(v, np.floating) and np.isnan(v):
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def value_problem(column, value):
    """Why ``value`` is not acceptable in ``column`` (a message), or None when it is.

    Missing values (None, NaN, empty text) are acceptable. Measurements must parse with
    ``float()`` and be positive and finite; ``island`` and ``sex`` must be known categories
    (case-sensitive, surrounding spaces ignored).
    """
    if column not in SCHEMA:
        raise KeyError(f"unknown column {column!r}; expected one of {', '.join(FEATURES)}")
    if _is_missing(value):
        return None
    if column in CATEGORICAL:
        if isinstance(value, str) and value.strip() in CATEGORICAL[column]:
            return None
        return f"{column}={value!r} is not one of {', '.join(CATEGORICAL[column])}"
    if isinstance(value, bool):
        return f"{column}={value!r} is not a number"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return f"{column}={value!r} is not a number"
    if not math.isfinite(x) or x <= 0:
        return f"{column}={value!r} must be a positive finite number"
    return None


def validate_rows(df):
    """Split ``df`` into valid rows (clean dtypes) and a list of :class:`RowError`.

    Raises :class:`SchemaError` when a required column is missing or ``df`` is not a table.
    Extra columns (``species``, ``year``, ids …) are ignored.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"input must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in FEATURES if c not in df.columns]
    if missing:
        raise SchemaError(
            f"missing column(s) {', '.join(missing)}; expected columns: {', '.join(FEATURES)}"
        )
    good_idx, values, errors = [], [], []
    for idx, row in zip(df.index, df[FEATURES].itertuples(index=False, name=None)):
        problems, clean = [], {}
        for col, v in zip(FEATURES, row):
            msg = value_problem(col, v)
            if msg:
                problems.append(msg)
            elif _is_missing(v):
                clean[col] = np.nan
            else:
                clean[col] = v.strip() if col in CATEGORICAL else float(v)
        if not problems and all(
            isinstance(clean[c], float) and math.isnan(clean[c]) for c in NUMERIC
        ):
            problems.append("no measurement given (all four numeric columns are empty)")
        if problems:
            errors.append(RowError(idx, "; ".join(problems)))
        else:
            good_idx.append(idx)
            values.append(clean)
    good = pd.DataFrame(values, index=pd.Index(good_idx, name=df.index.name), columns=FEATURES)
    for c in NUMERIC:
        good[c] = good[c].astype(float)
    for c in CATEGORICAL:
        good[c] = good[c].astype(object).where(good[c].notna(), np.nan)
    return good, errors


# ----------------------------------------------------------------- pipeline
def make_preprocessor():
    """Impute + scale the measurements, impute + one-hot encode island and sex (our transformers)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    from ml2llm.classical.preprocessing import OneHotEncoder, SimpleImputer, StandardScaler

    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    return ColumnTransformer([("num", numeric, NUMERIC), ("cat", categorical, list(CATEGORICAL))])


def make_pipeline(model):
    """``Pipeline([("pre", make_preprocessor()), ("model", model)])``."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("pre", make_preprocessor()), ("model", model)])


# (label, project, our module, our class, kwargs, sklearn fallback "module:Class", its kwargs)
_CANDIDATES = [
    (
        "logistic regression",
        "02",
        "logistic_regression",
        "LogisticRegression",
        {},
        "sklearn.linear_model:LogisticRegression",
        {},
    ),
    (
        "softmax regression",
        "03",
        "softmax_regression",
        "SoftmaxRegression",
        {},
        "sklearn.linear_model:LogisticRegression",
        {},
    ),
    (
        "decision tree",
        "05",
        "tree",
        "DecisionTreeClassifier",
        {"max_depth": 4, "random_state": 0},
        "sklearn.tree:DecisionTreeClassifier",
        {"max_depth": 4, "random_state": 0},
    ),
    (
        "random forest",
        "06",
        "forest",
        "RandomForestClassifier",
        {"n_estimators": 50, "random_state": 0},
        "sklearn.ensemble:RandomForestClassifier",
        {"n_estimators": 50, "random_state": 0},
    ),
    (
        "gradient boosting",
        "06.5",
        "boosting",
        "GradientBoostingClassifier",
        {"n_estimators": 50, "max_depth": 2, "random_state": 0},
        "sklearn.ensemble:GradientBoostingClassifier",
        {"n_estimators": 50, "max_depth": 2, "random_state": 0},
    ),
    (
        "linear SVM (Pegasos)",
        "09",
        "svm",
        "LinearSVM",
        {"random_state": 0},
        "sklearn.svm:LinearSVC",
        {"loss": "hinge", "max_iter": 100_000},
    ),
    ("RBF SVM (SMO)", "09", "svm", "KernelSVM", {}, "sklearn.svm:SVC", {}),
]


def _import(path):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _smoke_test(est):
    """Fit on a tiny 3-class table through the real pipeline; raise if anything breaks."""
    import pandas as pd
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    n = 30
    y = np.repeat(SPECIES, n // 3)
    shift = np.repeat(np.arange(3), n // 3)  # each species sits elsewhere: easy to learn
    df = pd.DataFrame(
        {c: 50 + (k + 1) * shift + rng.normal(0, 1, n) for k, c in enumerate(NUMERIC)}
    )
    df["island"] = rng.choice(CATEGORICAL["island"], n)
    df["sex"] = rng.choice(CATEGORICAL["sex"], n)
    pipe = make_pipeline(clone(est))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(df, y)
        pred = pipe.predict(df)
    if pred.shape != (n,) or not set(pred) <= set(SPECIES):
        raise ValueError("predictions have the wrong shape or labels")
    return pipe


def candidate_models(smoke_test=True):
    """The curriculum's classifiers that work on a 3-class problem, as a dict.

    Returns ``{label: (estimator, source)}`` where ``source`` says where it came from:
    ``"ml2llm (Project NN)"``, ``"ml2llm (Project NN) + one-vs-rest"`` or
    ``"sklearn fallback: <why>"``.
    """
    from sklearn.multiclass import OneVsRestClassifier

    found = {}
    for label, project, module, cls, kwargs, fallback, fb_kwargs in _CANDIDATES:
        source, est, reason = None, None, "not tried"
        try:
            ours = getattr(importlib.import_module(f"ml2llm.classical.{module}"), cls)(**kwargs)
        except Exception as exc:  # module not written yet, renamed class, bad signature …
            reason = f"{type(exc).__name__}: {exc}"
        else:
            for wrapped, how in [(ours, ""), (OneVsRestClassifier(ours), " + one-vs-rest")]:
                try:
                    if smoke_test:
                        _smoke_test(wrapped)
                except Exception as exc:
                    reason = f"{type(exc).__name__}: {str(exc)[:80]}"
                    continue
                est, source = wrapped, f"ml2llm (Project {project}){how}"
                break
        if est is None:
            est = _import(fallback)(**fb_kwargs)
            source = f"sklearn fallback ({reason})"
        found[label] = (est, source)
    return found


# ----------------------------------------------------------------- safe JSON format
def _encode(obj, path="model"):
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, np.generic):
        return {"__npscalar__": obj.dtype.str, "value": _encode(obj.item(), path)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "biuf":
            data = obj.ravel().tolist()
            if obj.dtype.kind == "f":
                data = [v if math.isfinite(v) else {"__float__": repr(v)} for v in data]
            return {"__ndarray__": data, "dtype": obj.dtype.str, "shape": list(obj.shape)}
        if obj.dtype.kind in "OUS":
            items = [_encode(v, f"{path}[]") for v in obj.ravel().tolist()]
            return {
                "__ndarray__": items,
                "dtype": "object" if obj.dtype.kind == "O" else obj.dtype.str,
                "shape": list(obj.shape),
            }
        raise TypeError(f"cannot save {path}: arrays of dtype {obj.dtype} are not supported")
    if isinstance(obj, list):
        return [_encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        return {
            "__dict__": [[_encode(k, path), _encode(v, f"{path}[{k!r}]")] for k, v in obj.items()]
        }
    if isinstance(obj, slice):
        return {"__slice__": [obj.start, obj.stop, obj.step]}
    cls = type(obj)
    qual = f"{cls.__module__}:{cls.__qualname__}"
    if (
        cls.__module__.startswith(ALLOWED_MODULES)
        and hasattr(obj, "__dict__")
        and "<locals>" not in qual
    ):
        return {
            "__object__": qual,
            "state": {k: _encode(v, f"{path}.{k}") for k, v in vars(obj).items()},
        }
    raise TypeError(
        f"cannot save {path}: objects of type {qual} are not supported by the JSON format "
        f"(only arrays, numbers, strings, containers and classes from {', '.join(ALLOWED_MODULES)})"
    )


def _decode(obj):
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__npscalar__" in obj:
        return np.dtype(obj["__npscalar__"]).type(_decode(obj["value"]))
    if "__ndarray__" in obj:
        dtype = obj["dtype"]
        if dtype == "object":
            arr = np.empty(len(obj["__ndarray__"]), dtype=object)
            arr[:] = [_decode(v) for v in obj["__ndarray__"]]
            return arr.reshape(obj["shape"])
        data = [_decode(v) for v in obj["__ndarray__"]]
        return np.array(data, dtype=np.dtype(dtype)).reshape(obj["shape"])
    if "__tuple__" in obj:
        return tuple(_decode(v) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {_hashable(_decode(k)): _decode(v) for k, v in obj["__dict__"]}
    if "__slice__" in obj:
        return slice(*obj["__slice__"])
    if "__object__" in obj:
        module, _, qual = obj["__object__"].partition(":")
        if not module.startswith(ALLOWED_MODULES):
            raise ValueError(
                f"refusing to load class {obj['__object__']}: not in {ALLOWED_MODULES}"
            )
        target = importlib.import_module(module)
        for part in qual.split("."):
            target = getattr(target, part)
        if not isinstance(target, type):
            raise ValueError(f"refusing to load {obj['__object__']}: not a class")
        inst = target.__new__(target)
        inst.__dict__.update({k: _decode(v) for k, v in obj["state"].items()})
        return inst
    raise ValueError(f"unknown entry in model file: keys {sorted(obj)}")


def _hashable(k):
    return tuple(k) if isinstance(k, list) else k


def _versions():
    import sklearn

    return {"numpy": np.__version__, "scikit-learn": sklearn.__version__}


def save_model(model, path, metadata=None):
    """Write ``model`` (a fitted pipeline) to ``path`` as JSON; returns its SHA-256.

    Raises :class:`TypeError` naming the attribute when something in the model cannot be
    represented (then nothing is written).
    """
    from ml2llm.io import atomic_write_text

    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "metadata": metadata or {},
        "model": _encode(model),
    }
    text = json.dumps(doc, separators=(",", ":"))
    atomic_write_text(Path(path), text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_model(path, expected_sha256=None):
    """Rebuild a model saved by :func:`save_model`; returns ``(model, metadata)``.

    Only classes from ``ml2llm.`` and ``sklearn.`` are created, by setting attributes (no
    unpickling, no code from the file). Pass ``expected_sha256`` (from the model card) to
    refuse a file that changed. Warns when the scikit-learn version differs from the one
    that saved it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    text = path.read_text(encoding="utf-8")
    if expected_sha256 is not None:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest != expected_sha256:
            raise ValueError(
                f"{path} has SHA-256 {digest}, expected {expected_sha256}: the file changed"
            )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path} is not a JSON model file ({exc.msg} at line {exc.lineno})"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{path} is not an {FORMAT} file")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has format_version {doc.get('format_version')}, expected {FORMAT_VERSION}"
        )
    saved = doc.get("versions", {})
    if saved.get("scikit-learn") != _versions()["scikit-learn"]:
        warnings.warn(
            f"{path} was saved with scikit-learn {saved.get('scikit-learn')}, this is "
            f"{_versions()['scikit-learn']}: predictions may differ",
            UserWarning,
            stacklevel=2,
        )
    return _decode(doc["model"]), doc.get("metadata", {})


# ----------------------------------------------------------------- predict
def predict(model, df):
    """Validate ``df``, predict its good rows, report its bad ones.

    Returns a DataFrame indexed like ``df`` with columns ``species`` (the prediction, or
    None for a rejected row), ``confidence`` (the predicted class's probability when the
    model has ``predict_proba``, else NaN) and ``error`` (empty for good rows, else why the
    row was rejected). Raises :class:`SchemaError` when a column is missing.
    """
    import pandas as pd

    good, errors = validate_rows(df)
    out = pd.DataFrame(index=df.index)
    out["species"] = None
    out["confidence"] = np.nan
    out["error"] = ""
    if len(good):
        pred = model.predict(good)
        out.loc[good.index, "species"] = pred
        if hasattr(model, "predict_proba"):
            try:
                proba = model.predict_proba(good)
                out.loc[good.index, "confidence"] = proba.max(axis=1)
            except Exception:  # e.g. an SVM without probabilities
                pass
    for e in errors:
        out.loc[e.row, "error"] = e.message
    return out


# ----------------------------------------------------------------- model card
def model_card(info):
    """A model card in Markdown from a dict of facts (see the notebook for the keys used)."""
    lines = [f"# Model card — {info.get('name', 'Palmer penguins species classifier')}", ""]
    sections = [
        ("Model details", info.get("details", [])),
        ("Intended use", info.get("intended_use", [])),
        ("Training data", info.get("data", [])),
        ("Evaluation", info.get("evaluation", [])),
        ("Limitations and risks", info.get("limitations", [])),
        ("Loading the saved model", info.get("loading", [])),
    ]
    for title, items in sections:
        lines += [f"## {title}", ""]
        lines += [f"- {item}" for item in items] or ["- (not provided)"]
        lines.append("")
    if "table" in info:
        lines += ["## Cross-validated model comparison", "", info["table"], ""]
    return "\n".join(lines)
