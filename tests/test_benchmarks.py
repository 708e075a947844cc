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


def test_bench_pretrain_time_to_interpolates_between_evaluations():
    time_to = _load("bench_pretrain_cpu").time_to
    curve = [(10.0, 2.5), (20.0, 2.0), (30.0, 1.5)]
    assert time_to(curve, 2.5) == 10.0  # reached at the first evaluation
    assert time_to(curve, 1.75) == pytest.approx(25.0)  # halfway between 2.0 and 1.5
    assert time_to(curve, 1.4) is None  # never reached


@pytest.mark.slow
def test_bench_pretrain_time_to_loss_quick_reports_every_row(tmp_path, capsys, monkeypatch):
    import json

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "ttl.json"
    argv = ["--quick", "--time-to-loss", "--threads", "1", "--seeds", "1", "--json", str(out)]
    assert _load("bench_pretrain_cpu").main([*argv, "--row", "relu2:mlp=relu2"]) == 0
    report = json.loads(out.read_text())
    assert set(report["summary"]) == {"nanoGPT-style", "recipe", "relu2"}
    for rows in report["rows"].values():
        assert all(math.isfinite(r["final"]) and r["seconds"] > 0 and r["curve"] for r in rows)
    # every run is scored on the same fixed val batches: a trained model beats ln(65) = 4.17
    assert all(r["final"] < 4.17 for rows in report["rows"].values() for r in rows)
    assert "| nanoGPT-style | 1 |" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_real_llm_quick_reports_each_measurement(smollm2_dir, capsys):
    ratios = _load("bench_real_llm").main(["--quick", "--models-dir", str(smollm2_dir.parent)])
    assert {"forward", "generate", "memory_ours", "memory_hf", "get_warm_s"} <= set(ratios)
    assert all(math.isfinite(r) and r > 0 for r in ratios.values())
    assert "tokens identical" in capsys.readouterr().out


def test_bench_mlx_blas_quick_times_both_blas_libraries(capsys):
    import sys

    pytest.importorskip("mlx.core")
    if not sys.platform.startswith("linux"):
        pytest.skip("Linux only")
    result = _load("bench_mlx_blas").main(["--quick", "--repeats", "1"])
    assert result["library"].endswith("libtorch_cpu.so")
    for name in ("mlp", "head"):
        assert all(
            math.isfinite(result[name][k]) and result[name][k] > 0 for k in ("bundled", "mkl")
        )
    assert "bundled / MKL" in capsys.readouterr().out
