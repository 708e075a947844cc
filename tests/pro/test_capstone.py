"""ml2llm.pro.capstone: release gate, monitoring profile, and the worked example end to end."""

import json

import numpy as np
import pytest

from ml2llm.pro import capstone as cap
from ml2llm.pro import mlops


def test_profile_psi_equals_psi_on_the_raw_reference():
    rng = np.random.default_rng(0)
    reference = rng.normal(200, 14, 3000)
    edges, fractions = cap.feature_profile(reference, n_bins=10)
    assert fractions.sum() == pytest.approx(1.0) and len(edges) == 9
    for shift in (0.0, 5.0, 20.0):
        new = rng.normal(200 + shift, 14, 1000)
        # the stored profile is a lossless summary of what PSI needs: identical to 1e-12
        assert cap.psi_from_profile(edges, fractions, new) == pytest.approx(
            mlops.psi(reference, new), abs=1e-12
        )
    # it survives a JSON round trip (it is what monitoring.json stores)
    e2, f2 = json.loads(json.dumps([edges.tolist(), fractions.tolist()]))
    assert cap.psi_from_profile(e2, f2, new) == cap.psi_from_profile(edges, fractions, new)


def test_release_decision():
    gate = {"acc": ("min", 0.9), "loss": ("max", 0.3)}
    assert cap.release_decision({"acc": 0.9, "loss": 0.3}, gate) == (True, [])
    assert cap.release_decision({"acc": 0.5, "loss": float("nan")}, gate) == (
        False,
        ["acc", "loss"],
    )


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: cap.release_decision({}, {}), "thresholds must be a non-empty dict"),
        (lambda: cap.release_decision({"a": 1}, {"a": ("at least", 1)}), r"thresholds\['a'\]"),
        (lambda: cap.feature_profile([np.nan, np.nan]), "at least one non-missing"),
        (lambda: cap.feature_profile([1.0, 2.0], n_bins=1), "n_bins must be"),
        (lambda: cap.psi_from_profile([1.0], [0.5], [1.0]), "fractions must have"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.slow
def test_ship_penguins_writes_a_complete_release(tmp_path):
    from ml2llm.classical.penguins import FEATURES, load_model, load_penguins

    summary = cap.ship_penguins(tmp_path, n_splits=2, candidates=["logistic regression"])
    assert summary["ship"] and summary["failures"] == []
    assert summary["metrics"]["test_accuracy"] > 0.95  # held-out penguins: ~0.99 measured
    for name in ("model.json", "model_card.md", "monitoring.json", "summary.json"):
        assert (tmp_path / name).exists()
    card = (tmp_path / "model_card.md").read_text()
    assert summary["sha256"] in card and "release gate: PASSED" in card
    model, meta = load_model(tmp_path / "model.json", expected_sha256=summary["sha256"])
    df = load_penguins()
    assert np.mean(model.predict(df[FEATURES]) == df["species"]) > 0.95
    monitoring = json.loads((tmp_path / "monitoring.json").read_text())
    assert set(monitoring["features"]) == {
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
    }
    from mlflow.tracking import MlflowClient

    mv = MlflowClient(summary["tracking_uri"]).get_model_version_by_alias(
        "penguin-species", "champion"
    )
    assert mv.run_id == summary["run_id"]
