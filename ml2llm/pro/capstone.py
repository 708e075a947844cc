"""The capstone (Project P4): a checklist for shipping one model, and a worked example.

- :data:`CHECKLIST` — the stages (pipeline, tests, tracking, model card, monitoring) with
  what each must produce and which curriculum project teaches it.
- :func:`release_decision` — a release gate: every metric must clear its threshold.
- :func:`feature_profile` / :func:`psi_from_profile` — the reference statistics a monitor
  stores at release time (quantile edges and bin fractions per feature, JSON-friendly) and
  the PSI of new data against them, without keeping the training data around.
- :func:`ship_penguins` — the worked example on Project 11's pipeline: validate the data
  (P1), select a model by cross-validation, evaluate on a held-out test set, run behavioural
  and per-group checks (P1, P3), gate the release, track and register it in MLflow (P2), save
  it as JSON with its SHA-256, and write the model card and the monitoring plan. It returns a
  summary dict and writes everything into one folder.

Not here: serving (an HTTP endpoint), scheduled retraining, and alert delivery; the
monitoring plan says what to compute and when to alert, not how to page someone.

>>> release_decision({"acc": 0.97, "loss": 0.4}, {"acc": ("min", 0.95), "loss": ("max", 0.3)})
(False, ['loss'])
"""

from __future__ import annotations

import json
import math
from numbers import Real
from pathlib import Path

import numpy as np

__all__ = ["CHECKLIST", "feature_profile", "psi_from_profile", "release_decision", "ship_penguins"]

CHECKLIST = [
    (
        "pipeline",
        "one object from raw rows to prediction (imputation, scaling, encoding, model)",
        "11",
    ),
    (
        "pipeline",
        "model chosen by cross-validation on training data only; test set touched once",
        "08, 11",
    ),
    ("tests", "column-level data validation before training and at prediction time", "P1"),
    ("tests", "behavioural tests: invariance to irrelevant noise, directional expectations", "P1"),
    ("tests", "regression test against the previous model's metrics, with tolerances", "P1"),
    ("tracking", "every training run logged (params, metrics, artifact) in MLflow", "P2"),
    ("tracking", "the shipped model registered, with an alias the serving code uses", "P2"),
    (
        "model card",
        "intended use, data, metrics with uncertainty, per-group results, limits",
        "11, P3",
    ),
    ("model card", "the artifact's SHA-256 and how to load it safely", "11"),
    ("monitoring", "reference profile of every input feature stored with the model", "P2, P4"),
    ("monitoring", "drift metric, thresholds and actions written down before release", "P2"),
    ("monitoring", "a ground-truth feedback plan: when labels arrive, re-evaluate", "P2"),
]


def release_decision(metrics, thresholds):
    """``(ship, failures)``: ship only if every threshold holds.

    ``thresholds`` maps a metric name to ``("min", value)`` (the metric must be ``>= value``)
    or ``("max", value)`` (``<= value``). ``failures`` is the sorted list of metric names that
    fail, including thresholds whose metric is missing or NaN.
    """
    if not isinstance(thresholds, dict) or not thresholds:
        raise ValueError("thresholds must be a non-empty dict of metric -> ('min'|'max', value)")
    failures = []
    for name, (kind, limit) in thresholds.items():
        if kind not in ("min", "max"):
            raise ValueError(f"thresholds[{name!r}] must be ('min', v) or ('max', v), got {kind!r}")
        value = metrics.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            failures.append(name)
        elif (kind == "min" and value < limit) or (kind == "max" and value > limit):
            failures.append(name)
    failures.sort()
    return not failures, failures


def feature_profile(values, n_bins=10):
    """Reference profile of one numeric feature: ``(edges, fractions)``.

    ``edges`` are the ``n_bins − 1`` inner quantile edges of the present (non-NaN) values;
    ``fractions`` the share of values per bin (``searchsorted(edges, x, side="right")``), so
    they sum to 1. Store both as lists in JSON.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.ndim != 1 or x.size == 0:
        raise ValueError("values must be a 1-D array with at least one non-missing value")
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 2:
        raise ValueError(f"n_bins must be an integer >= 2, got {n_bins!r}")
    edges = np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1])
    counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=n_bins)
    return edges, counts / x.size


def psi_from_profile(edges, fractions, values, eps=1e-4):
    """PSI of ``values`` (NaNs ignored) against a stored :func:`feature_profile`."""
    edges, fractions = np.asarray(edges, dtype=float), np.asarray(fractions, dtype=float)
    if fractions.shape != (edges.size + 1,):
        raise ValueError(
            f"fractions must have len(edges) + 1 = {edges.size + 1} entries, got {fractions.shape}"
        )
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise ValueError("values must contain at least one non-missing value")
    a = np.bincount(np.searchsorted(edges, x, side="right"), minlength=fractions.size) / x.size
    e, a = np.clip(fractions, eps, None), np.clip(a, eps, None)
    return float(np.sum((a - e) * np.log(a / e)))


def _fmt(x):
    return f"{x:.3f}" if isinstance(x, Real) else str(x)


def ship_penguins(out_dir, tracking_uri=None, n_splits=5, random_state=0, candidates=None):
    """Run the whole shipping checklist on Project 11's penguins pipeline; see the module doc.

    ``candidates`` limits the model search to these labels of
    :func:`ml2llm.classical.penguins.candidate_models` (default: logistic regression, softmax
    regression and the decision tree). Writes ``model.json``, ``model_card.md``,
    ``monitoring.json`` and ``summary.json`` into ``out_dir`` and returns the summary dict.
    """
    from sklearn.base import clone
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split

    from ml2llm.classical import penguins as pg
    from ml2llm.pro import testing as mltest
    from ml2llm.pro.mlops import local_tracking_uri, register_model, track_run

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df = pg.load_penguins()
    problems = mltest.validate_columns(df, mltest.penguins_schema())
    if problems:
        raise ValueError(f"training data failed validation: {problems}")
    train, test = train_test_split(
        df, test_size=0.25, random_state=random_state, stratify=df[pg.TARGET]
    )
    wanted = candidates or ["logistic regression", "softmax regression", "decision tree"]
    pool = {k: v for k, v in pg.candidate_models().items() if k in wanted}
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    uri = tracking_uri or local_tracking_uri(out / "mlruns")
    cv_scores, run_ids = {}, {}
    for label, (est, source) in pool.items():
        pipe = pg.make_pipeline(clone(est))
        scores = cross_val_score(pipe, train[pg.FEATURES], train[pg.TARGET], cv=cv)
        cv_scores[label] = (float(scores.mean()), float(scores.std()), source)
        run_ids[label] = track_run(
            uri,
            "penguins-capstone",
            params={"model": label, "source": source, "cv_folds": n_splits},
            metrics={"cv_accuracy": scores.mean(), "cv_accuracy_std": scores.std()},
            history={"cv_fold_accuracy": scores},
            run_name=f"cv-{label}",
        )
    best = max(cv_scores, key=lambda k: cv_scores[k][0])
    model = pg.make_pipeline(clone(pool[best][0])).fit(train[pg.FEATURES], train[pg.TARGET])
    pred = model.predict(test[pg.FEATURES])
    y_test = test[pg.TARGET].to_numpy()
    metrics = {"test_accuracy": float(np.mean(pred == y_test))}
    if hasattr(model, "predict_proba"):
        metrics["test_log_loss"] = float(
            log_loss(y_test, model.predict_proba(test[pg.FEATURES]), labels=model.classes_)
        )
    # per-group accuracy (P3): does the model work as well for every island and sex?
    groups = {}
    for col in ("island", "sex"):
        for g in sorted(test[col].dropna().unique()):
            m = (test[col] == g).to_numpy()
            groups[f"{col}={g}"] = (float(np.mean(pred[m] == y_test[m])), int(m.sum()))
    accs = [a for a, n in groups.values() if n >= 10]
    metrics["worst_group_accuracy"] = float(min(accs)) if accs else float("nan")
    # behavioural test (P1): 0.1 mm of noise on every measurement changes (almost) nothing
    X_test = test[pg.FEATURES].reset_index(drop=True)
    rng = np.random.default_rng(random_state)
    noisy = X_test.copy()
    for c in pg.NUMERIC:
        noisy[c] = noisy[c] + rng.normal(0, 0.1, len(noisy))
    metrics["invariance_0.1mm"] = float(np.mean(model.predict(X_test) == model.predict(noisy)))
    gate = {
        "test_accuracy": ("min", 0.95),
        "worst_group_accuracy": ("min", 0.90),
        "invariance_0.1mm": ("min", 0.98),
    }
    ship, failures = release_decision(metrics, gate)
    sha = pg.save_model(model, out / "model.json", metadata={"model": best, "metrics": metrics})
    final_run = track_run(
        uri,
        "penguins-capstone",
        params={"model": best, "selected_by": f"{n_splits}-fold CV accuracy", "ship": ship},
        metrics=metrics,
        model=model,
        tags={"sha256": sha},
        run_name=f"release-{best}",
    )
    version = register_model(
        uri, final_run, "penguin-species", alias="champion" if ship else "candidate"
    )
    profile = {}
    for c in pg.NUMERIC:
        edges, fractions = feature_profile(train[c].to_numpy(dtype=float))
        profile[c] = {"edges": edges.tolist(), "fractions": fractions.tolist()}
    monitoring = {
        "features": profile,
        "psi_warn": 0.1,
        "psi_alert": 0.2,
        "schedule": "daily batch of predictions; weekly when fewer than 200 rows a day",
        "actions": {
            "warn": "look at the feature's histogram; check upstream changes",
            "alert": "freeze automatic retraining, collect labels, re-evaluate on fresh data",
        },
        "ground_truth": "sample 5% of predictions for expert labelling; re-run the release gate monthly",
    }
    (out / "monitoring.json").write_text(json.dumps(monitoring, indent=2), encoding="utf-8")
    table = "| model | CV accuracy | source |\n|---|---|---|\n" + "\n".join(
        f"| {k} | {m:.3f} ± {s:.3f} | {src} |" for k, (m, s, src) in sorted(cv_scores.items())
    )
    card = pg.model_card(
        {
            "name": "Palmer penguins species classifier (capstone release)",
            "details": [
                f"Model: {best} in Project 11's preprocessing pipeline",
                f"MLflow run {final_run}, registered as penguin-species v{version}",
                f"Artifact model.json, SHA-256 {sha}",
            ],
            "intended_use": [
                "Teaching: species from bill, flipper, mass, island and sex of adult penguins",
                "Not for: other species, juveniles, or measurements in other units",
            ],
            "data": [
                f"Palmer penguins (Gorman et al., 2014), {len(train)} training rows, validated by P1's schema"
            ],
            "evaluation": [f"{k}: {_fmt(v)}" for k, v in metrics.items()]
            + [f"accuracy for {g}: {a:.3f} (n={n})" for g, (a, n) in groups.items()]
            + [f"release gate: {'PASSED' if ship else 'FAILED: ' + ', '.join(failures)}"],
            "limitations": [
                f"Test set of {len(test)} rows: one error moves accuracy by {1 / len(test):.3f}",
                "Three islands only; a new island or a unit change must be caught by validation",
                "Monitoring: PSI per measurement against monitoring.json; warn 0.1, alert 0.2",
            ],
            "loading": [
                "from ml2llm.classical.penguins import load_model",
                f"model, meta = load_model('model.json', expected_sha256='{sha}')",
            ],
            "table": table,
        }
    )
    (out / "model_card.md").write_text(card, encoding="utf-8")
    summary = {
        "best": best,
        "cv": {k: v[:2] for k, v in cv_scores.items()},
        "metrics": metrics,
        "groups": groups,
        "ship": ship,
        "failures": failures,
        "sha256": sha,
        "run_id": final_run,
        "model_version": version,
        "tracking_uri": uri,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary
