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
  fitted arrays, no code). Loading rebuilds only the estimator classes named in
  :data:`ALLOWED_CLASSES` (an explicit list, not a module prefix), sets only plain attribute
  names that do not replace a method, refuses nesting deeper than 100 levels and checks that
  the pipeline has steps; it never unpickles, so opening a file cannot run code from it.
  A tampered file is a ``ValueError`` naming it. It can still hold wrong numbers: only load
  models you made, and compare the SHA-256 printed in the model card.
- :func:`predict` validates a table, predicts the good rows and reports the bad ones (also
  measurements far outside the training data's range, :func:`range_problem`).

Not here: the exploration and model selection themselves (they are in the notebook), sparse
data, and models whose fitted state holds objects other than arrays, numbers, strings,
lists, dicts and allow-listed estimators (such a model raises :class:`TypeError` on save).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import math
import re
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
    "range_problem",
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
#: Smallest and largest value of each measurement among the 344 training penguins.
OBSERVED_RANGES = {
    "bill_length_mm": (32.1, 59.6),
    "bill_depth_mm": (13.1, 21.5),
    "flipper_length_mm": (172.0, 231.0),
    "body_mass_g": (2700.0, 6300.0),
}
#: :func:`predict` rejects a measurement below half the observed minimum or above twice the
#: observed maximum: no penguin is that size, so the model would only extrapolate (a body mass
#: of 1e308 g would get a confident answer). The schema itself (:func:`value_problem`) only
#: asks for a positive number.
PLAUSIBLE_FACTOR = 2.0
FORMAT = "ml2llm-model-json"
FORMAT_VERSION = 1


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


def range_problem(column, value):
    """Why the measurement ``value`` is implausible for a penguin (a message), or None.

    Only for values that already satisfy :func:`value_problem`; categorical columns and
    missing values are never out of range.
    """
    if column not in OBSERVED_RANGES or _is_missing(value):
        return None
    lo, hi = OBSERVED_RANGES[column]
    lo, hi = lo / PLAUSIBLE_FACTOR, hi * PLAUSIBLE_FACTOR
    x = float(value)
    if not lo <= x <= hi:
        return (
            f"{column}={value!r} is outside the plausible range [{lo:g}, {hi:g}] "
            f"(the training penguins span {OBSERVED_RANGES[column][0]:g} to "
            f"{OBSERVED_RANGES[column][1]:g})"
        )
    return None


def validate_rows(df, check_ranges=False):
    """Split ``df`` into valid rows (clean dtypes) and a list of :class:`RowError`.

    Raises :class:`SchemaError` when a required column is missing or ``df`` is not a table.
    Extra columns (``species``, ``year``, ids …) are ignored. ``check_ranges=True`` also
    rejects measurements outside the plausible range (:func:`range_problem`).
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
            msg = value_problem(col, v) or (range_problem(col, v) if check_ranges else None)
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
# Every class a model file may rebuild, by its public import path. Nothing else is ever
# created from a file: no module prefix check, no attribute walking (``ml2llm.x:os.system``).
ALLOWED_CLASSES = (
    "sklearn.pipeline:Pipeline",
    "sklearn.compose:ColumnTransformer",
    "sklearn.multiclass:OneVsRestClassifier",
    "sklearn.preprocessing:LabelBinarizer",
    "sklearn.preprocessing:StandardScaler",
    "sklearn.preprocessing:OneHotEncoder",
    "sklearn.impute:SimpleImputer",
    "sklearn.linear_model:LogisticRegression",
    "sklearn.svm:SVC",
    "sklearn.svm:LinearSVC",
    "sklearn.tree:DecisionTreeClassifier",
    "ml2llm.classical.preprocessing:StandardScaler",
    "ml2llm.classical.preprocessing:MinMaxScaler",
    "ml2llm.classical.preprocessing:OneHotEncoder",
    "ml2llm.classical.preprocessing:OrdinalEncoder",
    "ml2llm.classical.preprocessing:SimpleImputer",
    "ml2llm.classical.logistic_regression:LogisticRegression",
    "ml2llm.classical.softmax_regression:SoftmaxRegression",
    "ml2llm.classical.tree:Tree",
    "ml2llm.classical.tree:DecisionTreeClassifier",
    "ml2llm.classical.tree:DecisionTreeRegressor",
    "ml2llm.classical.forest:RandomForestClassifier",
    "ml2llm.classical.boosting:GradientBoostingClassifier",
    "ml2llm.classical.boosting:GradientBoostingRegressor",
    "ml2llm.classical.svm:LinearSVM",
    "ml2llm.classical.svm:KernelSVM",
)
_MAX_DEPTH = 100  # a real pipeline nests about 15 levels
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DTYPE_KINDS = "biufUS"


def _allowed_classes() -> dict:
    """``{"module:QualName" as saved: class}`` for :data:`ALLOWED_CLASSES` that import."""
    found = {}
    for spec in ALLOWED_CLASSES:
        module, name = spec.split(":")
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):  # an optional estimator that is not there
            continue
        found[f"{cls.__module__}:{cls.__qualname__}"] = cls
    return found


def _encode(obj, path="model", allowed=None):
    allowed = _allowed_classes() if allowed is None else allowed
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, np.generic):
        return {"__npscalar__": obj.dtype.str, "value": _encode(obj.item(), path, allowed)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "biuf":
            data = obj.ravel().tolist()
            if obj.dtype.kind == "f":
                data = [v if math.isfinite(v) else {"__float__": repr(v)} for v in data]
            return {"__ndarray__": data, "dtype": obj.dtype.str, "shape": list(obj.shape)}
        if obj.dtype.kind in "OUS":
            items = [_encode(v, f"{path}[]", allowed) for v in obj.ravel().tolist()]
            return {
                "__ndarray__": items,
                "dtype": "object" if obj.dtype.kind == "O" else obj.dtype.str,
                "shape": list(obj.shape),
            }
        raise TypeError(f"cannot save {path}: arrays of dtype {obj.dtype} are not supported")
    if isinstance(obj, list):
        return [_encode(v, f"{path}[{i}]", allowed) for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, f"{path}[{i}]", allowed) for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        return {
            "__dict__": [
                [_encode(k, path, allowed), _encode(v, f"{path}[{k!r}]", allowed)]
                for k, v in obj.items()
            ]
        }
    if isinstance(obj, slice):
        return {"__slice__": [obj.start, obj.stop, obj.step]}
    cls = type(obj)
    qual = f"{cls.__module__}:{cls.__qualname__}"
    if allowed.get(qual) is cls and hasattr(obj, "__dict__"):
        return {
            "__object__": qual,
            "state": {k: _encode(v, f"{path}.{k}", allowed) for k, v in vars(obj).items()},
        }
    raise TypeError(
        f"cannot save {path}: objects of type {qual} are not supported by the JSON format "
        "(only arrays, numbers, strings, containers and the estimators in ALLOWED_CLASSES)"
    )


def _check_field(cls, key) -> None:
    """A saved attribute must be a plain name that does not replace a method or property."""
    if not isinstance(key, str) or not _NAME.match(key) or key.startswith("__"):
        raise ValueError(f"refusing attribute {key!r} of {cls.__name__}: not a plain name")
    attr = inspect.getattr_static(cls, key, None)
    if attr is not None and (callable(attr) or hasattr(attr, "__get__")):
        raise ValueError(f"refusing attribute {key!r} of {cls.__name__}: it would replace a method")


def _dtype(spec):
    if spec == "object":
        return None
    dt = np.dtype(str(spec))
    if dt.kind not in _DTYPE_KINDS:
        raise ValueError(f"array dtype {spec!r} is not allowed")
    return dt


def _decode(obj, allowed=None, depth=0):
    allowed = _allowed_classes() if allowed is None else allowed
    if depth > _MAX_DEPTH:
        raise ValueError(f"nested deeper than {_MAX_DEPTH} levels")
    d = depth + 1
    if isinstance(obj, list):
        return [_decode(v, allowed, d) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__float__" in obj:
        return float(str(obj["__float__"]))
    if "__npscalar__" in obj:
        dt = _dtype(obj["__npscalar__"])
        if dt is None:
            raise ValueError("an object numpy scalar is not allowed")
        return dt.type(_decode(obj["value"], allowed, d))
    if "__ndarray__" in obj:
        items, shape = obj["__ndarray__"], obj["shape"]
        if not isinstance(items, list) or not isinstance(shape, list):
            raise ValueError("an array needs a list of values and a shape")
        dt = _dtype(obj["dtype"])
        if dt is None:
            arr = np.empty(len(items), dtype=object)
            arr[:] = [_decode(v, allowed, d) for v in items]
            return arr.reshape(shape)
        data = [_decode(v, allowed, d) for v in items]
        return np.array(data, dtype=dt).reshape(shape)
    if "__tuple__" in obj:
        return tuple(_decode(v, allowed, d) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {
            _hashable(_decode(k, allowed, d)): _decode(v, allowed, d) for k, v in obj["__dict__"]
        }
    if "__slice__" in obj:
        parts = obj["__slice__"]
        if not (isinstance(parts, list) and len(parts) == 3):
            raise ValueError("a slice needs [start, stop, step]")
        if not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
            raise ValueError("slice bounds must be integers or null")
        return slice(*parts)
    if "__object__" in obj:
        name = obj["__object__"]
        cls = allowed.get(name) if isinstance(name, str) else None
        if cls is None:
            raise ValueError(f"refusing to load class {name}: not in the allow-list")
        state = obj.get("state")
        if not isinstance(state, dict):
            raise ValueError(f"{name} needs a 'state' mapping")
        for key in state:
            _check_field(cls, key)
        inst = cls.__new__(cls)
        inst.__dict__.update({k: _decode(v, allowed, d) for k, v in state.items()})
        return inst
    raise ValueError(f"unknown entry in model file: keys {sorted(obj)}")


def _hashable(k):
    return tuple(k) if isinstance(k, list) else k


def _check_structure(model) -> None:
    """What a pipeline needs to predict at all: steps, a final estimator with ``predict``."""
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline) and not hasattr(model, "predict"):
        raise ValueError(f"the saved object is a {type(model).__name__}, not a model")
    _check_structure_part(model)
    if isinstance(model, Pipeline) and not hasattr(model.steps[-1][1], "predict"):
        raise ValueError("the pipeline's last step cannot predict")


def _check_structure_part(est) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if isinstance(est, Pipeline):
        steps = getattr(est, "steps", None)
        if not isinstance(steps, list) or not steps:
            raise ValueError("a pipeline has no steps")
        for step in steps:
            if not (isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], str)):
                raise ValueError("a pipeline step must be a (name, estimator) pair")
            if step[1] not in (None, "passthrough"):
                _check_structure_part(step[1])
    elif isinstance(est, ColumnTransformer):
        for part in getattr(est, "transformers_", getattr(est, "transformers", [])):
            if not (isinstance(part, tuple) and len(part) == 3):
                raise ValueError("a column transformer entry must be (name, transformer, columns)")
            if part[1] not in ("drop", "passthrough"):
                _check_structure_part(part[1])
    elif not (hasattr(est, "transform") or hasattr(est, "predict")):
        raise ValueError(f"{type(est).__name__} is neither a transformer nor a model")


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

    Only the classes in :data:`ALLOWED_CLASSES` are created, by setting validated attributes
    (no unpickling, no code from the file); anything else is a ``ValueError`` naming ``path``. Pass ``expected_sha256`` (from the model card) to
    refuse a file that changed. Warns when the scikit-learn version differs from the one
    that saved it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a JSON model file (not UTF-8 text)") from None
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
    except RecursionError:
        raise ValueError(f"{path} is not a model file: nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{path} is not an {FORMAT} file")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has format_version {doc.get('format_version')}, expected {FORMAT_VERSION}"
        )
    saved = doc.get("versions") if isinstance(doc.get("versions"), dict) else {}
    if saved.get("scikit-learn") != _versions()["scikit-learn"]:
        warnings.warn(
            f"{path} was saved with scikit-learn {saved.get('scikit-learn')}, this is "
            f"{_versions()['scikit-learn']}: predictions may differ",
            UserWarning,
            stacklevel=2,
        )
    try:
        model = _decode(doc.get("model"))
        _check_structure(model)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{path} is not a usable model file: {why}") from None
    metadata = doc.get("metadata", {})
    return model, metadata if isinstance(metadata, dict) else {}


# ----------------------------------------------------------------- predict
def predict(model, df):
    """Validate ``df``, predict its good rows, report its bad ones.

    Returns a DataFrame indexed like ``df`` with columns ``species`` (the prediction, or
    None for a rejected row), ``confidence`` (the predicted class's probability when the
    model has ``predict_proba``, else NaN) and ``error`` (empty for good rows, else why the
    row was rejected, including a measurement outside the plausible range of
    :data:`OBSERVED_RANGES`). Raises :class:`SchemaError` when a column is missing.
    """
    import pandas as pd

    good, errors = validate_rows(df, check_ranges=True)
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
