"""Bad input around the real-LLM fine-tuning (Phase 3): one line on stderr, exit code 2, and a
run stopped with Ctrl-C keeps the last good adapter."""

import json

import pytest

from ml2llm.cli import main


def _data(folder, train="", valid='{"prompt": "p", "completion": "c"}\n'):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text(train, encoding="utf-8")
    (folder / "valid.jsonl").write_text(valid, encoding="utf-8")
    return folder


def _one_line_exit_2(argv, capsys, *needles):
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("ml2llm: error:"), err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, err
    return err


@pytest.mark.parametrize(
    "train, needle",
    [
        ("", "holds no records"),
        ("{not json\n", "not valid JSON"),
        ('{"prompt": "", "completion": ""}\n', "both empty"),
    ],
)
def test_empty_or_malformed_task_file(tmp_path, capsys, train, needle, smollm2_dir):
    data = _data(tmp_path / "d", train)
    argv = [
        "finetune",
        "--model",
        str(smollm2_dir),
        "--data",
        str(data),
        "--out",
        str(tmp_path / "o"),
    ]
    _one_line_exit_2(argv, capsys, needle, "train.jsonl")
    assert not (tmp_path / "o").exists()


def test_missing_model_folder(tmp_path, capsys):
    data = _data(tmp_path / "d", '{"prompt": "p", "completion": "c"}\n')
    _one_line_exit_2(
        ["finetune", "--model", str(tmp_path / "nope"), "--data", str(data)],
        capsys,
        "does not exist",
    )


def test_unknown_model_name_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = _data(tmp_path / "d", '{"prompt": "p", "completion": "c"}\n')
    _one_line_exit_2(
        ["finetune", "--model", "no-such-org/no-such-model", "--data", str(data),
         "--out", str(tmp_path / "out")],
        capsys,
    )  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_ctrl_c_keeps_the_last_good_adapter(tmp_path, monkeypatch):
    from ml2llm.finetune import backends

    out = tmp_path / "adapter"
    out.mkdir()
    (out / "adapter_config.json").write_text(json.dumps({"r": 8}), encoding="utf-8")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(backends, "finetune_torch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        backends.run_finetune("torch", tmp_path, tmp_path, out, log=None)
    assert json.loads((out / "adapter_config.json").read_text()) == {"r": 8}
    assert not (tmp_path / ".adapter.partial").exists()


@pytest.mark.slow
def test_adapter_for_another_model_or_rank_is_named(smollm2_dir, hf_mistral, tmp_path):
    """A tiny model's adapter, or one of another rank, does not load into SmolLM2 silently."""
    from ml2llm.finetune.lora import apply_lora, load_adapter, save_adapter
    from ml2llm.models import load_scratch
    from ml2llm.transformers import from_hf

    tiny = from_hf(hf_mistral)
    apply_lora(tiny, ["q_proj"], r=4)
    save_adapter(tiny, tmp_path / "tiny")
    smol, _ = load_scratch(smollm2_dir, progress=False)
    with pytest.raises(ValueError, match=r"adapter shapes A\(4, 32\)"):
        load_adapter(smol, tmp_path / "tiny")
    smol, _ = load_scratch(smollm2_dir, progress=False)
    apply_lora(smol, ["q_proj"], r=8)
    other, _ = load_scratch(smollm2_dir, progress=False)
    apply_lora(other, ["q_proj"], r=4)
    save_adapter(other, tmp_path / "r4")
    with pytest.raises(ValueError, match="do not match the model's"):
        load_adapter(smol, tmp_path / "r4")
