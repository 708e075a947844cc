"""The benchmark scripts run end to end in their quick mode (their figures are in the README)."""

import importlib.util
import math
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_trees_quick_reports_a_ratio_per_case(capsys):
    ratios = _load("bench_trees").main(["--quick", "--repeats", "1"])
    assert len(ratios) == 3
    assert all(math.isfinite(r) and r > 0 for r in ratios.values())
    assert "forest" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_pretrain_quick_trainer_equals_the_nanogpt_style_loop(capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert _load("bench_pretrain_cpu").main(["--quick", "--compare-full", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("same "))
    # "same 10 val batches: trainer X, nanoGPT-style loop Y (...)": the trainer's loop and
    # the reference loop trained from the same seed must reach the same model
    ours = float(line.split("trainer ")[1].split(",")[0])
    ref = float(line.split("loop ")[1].split(" ")[0])
    assert math.isclose(ours, ref, abs_tol=1e-3)


@pytest.mark.slow
def test_bench_real_llm_quick_reports_each_measurement(smollm2_dir, capsys):
    ratios = _load("bench_real_llm").main(["--quick", "--models-dir", str(smollm2_dir.parent)])
    assert {"forward", "generate", "memory_ours", "memory_hf", "get_warm_s"} <= set(ratios)
    assert all(math.isfinite(r) and r > 0 for r in ratios.values())
    assert "tokens identical" in capsys.readouterr().out
