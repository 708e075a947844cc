"""`ml2llm pretrain/sample/export`: bad input is one line with exit code 2; the happy path works."""

import subprocess
import sys

import pytest

from ml2llm.cli import main
from tests.training.tiny import ROOT, TINY_YAML, text


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "shakespeare_slice.txt"
    path.write_text(text(20_000), encoding="utf-8")
    return path


def _assert_fails(capsys, argv, fragment):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors (unknown option) exit directly
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err
    assert err.strip().count("\n") == 0, f"expected one line, got: {err!r}"


def test_bad_pretrain_input(capsys, tmp_path, corpus_file):
    base = ["pretrain", "--config", str(TINY_YAML), "--out_dir", str(tmp_path / "run")]
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    small = tmp_path / "small.txt"
    small.write_text("Hello Shakespeare.\n")
    binary = tmp_path / "latin1.txt"
    binary.write_bytes("Ça, c'est du français encodé en latin-1. ".encode("latin-1") * 20)
    _assert_fails(capsys, base + ["--data", str(empty)], "is empty")
    _assert_fails(capsys, base + ["--data", str(small)], "need at least 100")
    _assert_fails(capsys, base + ["--data", str(binary)], "is not UTF-8 text")
    _assert_fails(capsys, base + ["--data", str(tmp_path / "nope.txt")], "data file not found")
    _assert_fails(
        capsys,
        base + ["--data", str(corpus_file), "--block_size", "5000"],
        "block_size=5000 is larger than the data",
    )
    _assert_fails(
        capsys,
        [
            "pretrain",
            "--config",
            str(TINY_YAML),
            "--data",
            str(corpus_file),
            "--out_dir",
            str(empty / "run"),
        ],
        "is not writable",
    )
    _assert_fails(
        capsys, base + ["--n_head", "3"], "n_embd=16 is invalid: expected a multiple of n_head=3"
    )
    _assert_fails(capsys, base + ["--lr", "fast"], "lr='fast' is invalid")
    _assert_fails(
        capsys, ["pretrain", "--config", str(tmp_path / "missing.yaml")], "config file not found"
    )
    _assert_fails(capsys, base + ["--no_such_option", "1"], "unrecognized arguments")
    import torch

    if not torch.cuda.is_available():
        _assert_fails(
            capsys,
            base + ["--data", str(corpus_file), "--device", "cuda"],
            "device='cuda' was requested but is not available",
        )


def test_bad_sample_and_export_input(capsys, tmp_path):
    _assert_fails(capsys, ["sample", str(tmp_path / "no_run")], "no checkpoint in")
    _assert_fails(capsys, ["sample", str(tmp_path), "--top-p", "0"], "--top-p must be in (0, 1]")
    _assert_fails(
        capsys, ["sample", str(tmp_path), "--temperature", "-1"], "--temperature must be >= 0"
    )
    _assert_fails(
        capsys,
        ["export", str(tmp_path / "no_run"), "--out", str(tmp_path / "hf")],
        "no checkpoint in",
    )


def test_exit_code_from_a_real_process(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ml2llm.cli",
            "pretrain",
            "--config",
            str(TINY_YAML),
            "--out_dir",
            str(tmp_path / "r"),
            "--data",
            str(tmp_path / "missing.txt"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"ml2llm: error: data file not found: {tmp_path / 'missing.txt'}"


@pytest.mark.slow
def test_pretrain_sample_export_round_trip(capsys, tmp_path, corpus_file, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    run = tmp_path / "run"
    assert (
        main(
            [
                "pretrain",
                "--config",
                str(TINY_YAML),
                "--data",
                str(corpus_file),
                "--out-dir",
                str(run),
                "--max_steps",
                "4",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "step 4: best val loss" in out
    assert (
        main(
            [
                "sample",
                str(run),
                "--prompt",
                "ROMEO:",
                "--max-new-tokens",
                "20",
                "--top-p",
                "0.9",
                "--num-samples",
                "2",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.count("ROMEO:") == 2 and "--- sample 2 ---" in out
    _assert_fails(capsys, ["sample", str(run), "--prompt", "日本"], "cannot encode the prompt")
    assert main(["export", str(run), "--out", str(tmp_path / "hf")]) == 0
    import torch
    from transformers import AutoModelForCausalLM

    from ml2llm.training.trainer import load_run

    ours, tok, _ = load_run(run)
    hf = AutoModelForCausalLM.from_pretrained(tmp_path / "hf").eval()
    ids = torch.tensor([tok.encode("ROMEO: Wha")])
    with torch.no_grad():
        hf_logits, our_logits = hf(ids).logits, ours(ids)[0]
    # export added <|endoftext|> (the char tokenizer has no EOS): one more row, same logits
    V = our_logits.shape[-1]
    assert hf_logits.shape[-1] == V + 1 and hf.config.eos_token_id == V
    torch.testing.assert_close(hf_logits[..., :V], our_logits, rtol=1e-4, atol=1e-5)  # float32


@pytest.mark.slow
def test_ctrl_c_in_a_real_process_saves_and_exits_cleanly(tmp_path, corpus_file):
    import json
    import signal
    import time

    run = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ml2llm.cli",
            "pretrain",
            "--config",
            str(TINY_YAML),
            "--data",
            str(corpus_file),
            "--out_dir",
            str(run),
            "--max_steps",
            "100000",
            "--eval_interval",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    state = run / "checkpoint" / "state.json"
    deadline = time.time() + 120
    while not state.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert state.exists(), "no periodic checkpoint appeared"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    step = json.loads(state.read_text())["step"]
    assert step >= 20 and f"interrupted at step {step}" in out
