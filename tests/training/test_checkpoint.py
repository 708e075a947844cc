"""Checkpoints: exact round trip, clear errors when corrupt or mismatched, atomic replacement."""

import json

import pytest
import torch

import ml2llm.training.checkpoint as ckpt_mod
from ml2llm.training.checkpoint import CheckpointError, read_state, restore_run, save_run
from ml2llm.training.config import TrainConfig
from ml2llm.training.models import build_model
from ml2llm.training.optim import build_optimizer

CFG = TrainConfig(n_layer=1, n_head=2, n_embd=16, block_size=8)
EXPECT = dict(CFG.model_dict(), vocab_size=20)


def _trained(seed=0):
    torch.manual_seed(seed)
    model = build_model(CFG, 20)
    opt = build_optimizer(model, 1e-2)
    x = torch.randint(0, 20, (2, 8))
    for _ in range(2):
        _, loss = model(x, x)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return model, opt


def _save(run, model, opt, step=2):
    return save_run(run, model, opt, {"step": step, "model_config": EXPECT})


def test_round_trip_is_exact(tmp_path):
    model, opt = _trained()
    gen = torch.Generator().manual_seed(7)
    torch.manual_seed(123)
    save_run(tmp_path, model, opt, {"step": 2, "model_config": EXPECT}, data_generator=gen)
    expected_rand = torch.rand(3)
    expected_data = torch.randint(100, (3,), generator=gen)
    model2, opt2 = _trained(seed=1)  # different weights and moments
    gen2 = torch.Generator().manual_seed(0)
    meta = restore_run(tmp_path, model2, opt2, data_generator=gen2, expected_model=EXPECT)
    assert meta["step"] == 2
    for (n, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        assert torch.equal(a, b), n
    for s1, s2 in zip(opt.state.values(), opt2.state.values()):
        assert all(torch.equal(s1[k], s2[k]) for k in s1)
    assert torch.equal(torch.rand(3), expected_rand)  # torch RNG restored
    assert torch.equal(torch.randint(100, (3,), generator=gen2), expected_data)  # data position


def test_corrupt_checkpoint_is_reported(tmp_path):
    model, opt = _trained()
    path = _save(tmp_path, model, opt)
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])  # truncated
    with pytest.raises(
        CheckpointError, match="corrupt: model.safetensors does not match its checksum"
    ):
        restore_run(tmp_path, model, opt)
    (path / "state.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="state.json is not valid JSON"):
        read_state(tmp_path)
    (path / "state.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(CheckpointError, match="not an ml2llm checkpoint"):
        read_state(tmp_path)
    with pytest.raises(CheckpointError, match="no checkpoint in"):
        read_state(tmp_path / "nowhere")


def test_mismatched_checkpoint_names_the_settings(tmp_path):
    model, opt = _trained()
    _save(tmp_path, model, opt)
    bigger = dict(EXPECT, n_layer=2)
    with pytest.raises(CheckpointError, match="n_layer: checkpoint 1 vs config 2"):
        restore_run(
            tmp_path,
            build_model(TrainConfig(**{**CFG.to_dict(), "n_layer": 2}), 20),
            expected_model=bigger,
        )
    # without a stored config to compare, the tensor mismatch is still a CheckpointError
    wider = build_model(TrainConfig(n_layer=1, n_head=2, n_embd=32, block_size=8), 20)
    with pytest.raises(CheckpointError, match="does not fit this model"):
        restore_run(tmp_path, wider)


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    model, opt = _trained()
    _save(tmp_path, model, opt, step=2)
    before = {p.name: p.read_bytes() for p in (tmp_path / "checkpoint").iterdir()}

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ckpt_mod, "_fsync", disk_full)  # fails after the files are written
    model3, opt3 = _trained(seed=3)
    with pytest.raises(OSError, match="No space left"):
        _save(tmp_path, model3, opt3, step=3)
    after = {p.name: p.read_bytes() for p in (tmp_path / "checkpoint").iterdir()}
    assert after == before  # the good checkpoint is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]  # no temp folder left
    monkeypatch.undo()
    assert read_state(tmp_path)["step"] == 2


def test_interrupted_swap_falls_back_to_old(tmp_path):
    model, opt = _trained()
    _save(tmp_path, model, opt, step=5)
    (tmp_path / "checkpoint").rename(tmp_path / "checkpoint.old")  # crash between the renames
    assert read_state(tmp_path)["step"] == 5
