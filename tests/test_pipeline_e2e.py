"""The learner's Phase 3 journey from the command line, end to end, on a tiny model.

``ml2llm pretrain --model mistral`` -> ``ml2llm export`` -> ``ml2llm finetune`` with the
torch, peft and mlx backends -> ``ml2llm evaluate`` -> ``ml2llm compare``: every step exits 0
on the folder the previous one wrote, with no extra flag (the export carries EOS and a chat
template), and the three backends report the same prompt format and the same result keys.
The numbers are not judged (a few steps of a 1-layer model); the contract between the steps
is.
"""

import json

import pytest

from ml2llm.cli import main
from ml2llm.finetune.backends import RESULT_KEYS
from ml2llm.finetune.data import build_tasks, load_plays, write_splits

ROOT_CONFIG = "configs/tiny_test.yaml"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    splits = build_tasks(load_plays({"macbeth": "Macbeth"}), n_per_task=20, seed=0)
    small = {
        "train": splits["train"][:24],
        "valid": splits["valid"][:8],
        "test": splits["test"][:8],
    }
    return write_splits(small, tmp_path_factory.mktemp("p16_data"))


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, f"{argv[0]} failed: {err}"
    return out


@pytest.mark.slow
def test_pretrain_export_finetune_three_backends_evaluate_compare(
    tmp_path, data_dir, capsys, monkeypatch
):
    pytest.importorskip("peft")
    has_mlx = pytest.importorskip("mlx_lm") is not None
    from pathlib import Path

    from ml2llm.data.shakespeare import load_corpus
    from ml2llm.finetune.data import load_splits

    monkeypatch.chdir(Path(__file__).resolve().parents[1])  # configs/ is relative to the repo
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Shakespeare plus every character of the instruction data and of the "Q: ...\nA: "
    # template (a char model spells only what it saw; this 20k slice has no "Q")
    records = [r for split in load_splits(data_dir).values() for r in split]
    chars = {c for r in records for c in r["prompt"] + r["completion"]} | set("Q: \nA")
    extra = "".join(sorted(chars))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(load_corpus()[:20_000] + "\n" + extra + "\n", encoding="utf-8")

    run, hf = tmp_path / "run", tmp_path / "hf"
    _run(["pretrain", "--config", ROOT_CONFIG, "--model", "mistral", "--data", corpus,
          "--out_dir", run, "--block_size", 128, "--n_embd", 32, "--max_steps", 6,
          "--eval_interval", 6, "--sample_tokens", 4], capsys)  # fmt: skip
    _run(["export", run, "--out", hf], capsys)
    tok_cfg = json.loads((hf / "tokenizer_config.json").read_text())
    assert tok_cfg["eos_token"] == "<|endoftext|>" and "chat_template" in tok_cfg
    smap = json.loads((hf / "special_tokens_map.json").read_text())
    assert smap["eos_token"] == smap["bos_token"] == smap["pad_token"] == "<|endoftext|>"
    added = json.loads((hf / "tokenizer.json").read_text())["added_tokens"]
    assert [t["content"] for t in added if t["special"]] == ["<|endoftext|>"]

    results = {}
    backends = ["torch", "peft"] + (["mlx"] if has_mlx else [])
    for backend in backends:
        out = tmp_path / f"lora_{backend}"
        log = _run(["finetune", "--model", hf, "--data", data_dir, "--backend", backend,
                    "--out", out, "--steps", 4, "--batch-size", 4, "--lr", "3e-3",
                    "--log-every", 2], capsys)  # fmt: skip
        assert f"[{backend}] step 4/4  loss" in log and "tok/s" in log, log
        assert "prompt format: chat_template, EOS '<|endoftext|>'" in log
        results[backend] = json.loads((out / "finetune_result.json").read_text())
        assert not (tmp_path / f".lora_{backend}.partial").exists()
    for backend, res in results.items():
        assert set(res) == set(RESULT_KEYS), backend
        assert res["status"] == "ok" and res["backend"] == backend
        assert res["prompt_format"] == "chat_template" and res["eos_token"] == "<|endoftext|>"
        assert [h["step"] for h in res["history"]] == [2, 4]
        assert 0 <= res["test"]["accuracy"] <= 1 and res["val_loss"] > 0

    common = ["--data", data_dir, "--max-new-tokens", 8, "--resamples", 50]
    common += ["--heldout", corpus, "--heldout-chars", 2000, "--max-windows", 2]
    out = _run(["evaluate", tmp_path / "lora_torch", *common, "--out", tmp_path / "ev"], capsys)
    assert "EM" in out and (tmp_path / "ev" / "report.md").is_file()
    tuned = tmp_path / ("lora_mlx" if has_mlx else "lora_peft")
    out = _run(["compare", hf, tuned, *common, "--out", tmp_path / "cmp"], capsys)
    assert "held-out perplexity" in out and (tmp_path / "cmp" / "report.html").is_file()
