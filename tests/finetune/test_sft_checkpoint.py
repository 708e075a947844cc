"""Fine-tuning checkpoints use the pretraining run format and are never unpickled.

A fine-tune resumed with ``--save-every`` used to ``torch.load(checkpoint/optimizer.pt,
weights_only=False)``, so a planted pickle ran code (issue 25). These tests plant one and
check that it never runs, that resuming still reproduces the uninterrupted run, and that no
``weights_only=False`` is left anywhere in the package.
"""

import json
import pickle
import re
from pathlib import Path

import pytest
import torch

import ml2llm
from ml2llm.finetune.lora import apply_lora
from ml2llm.finetune.sft import Codec, SFTConfig, SFTTrainer
from ml2llm.nlp.char_tokenizer import CharTokenizer
from ml2llm.training.checkpoint import CheckpointError
from ml2llm.transformers import Llama, LlamaConfig

RECORDS = [{"prompt": f"{a}+{b}", "completion": str(a + b)} for a in range(4) for b in range(4)]


class _Planted:
    """Unpickling this creates ``path``: proof that code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def _trainer(out_dir, steps=6):
    tok = CharTokenizer.train("0123456789+QA: \n", special_tokens=["<eos>"])
    torch.manual_seed(0)
    model = Llama(LlamaConfig(vocab_size=tok.vocab_size, block_size=32, n_layer=1, n_head=2,
                              n_embd=16))  # fmt: skip
    apply_lora(model, ["q_proj", "v_proj"], r=2, alpha=4)
    cfg = SFTConfig(steps=steps, batch_size=4, lr=1e-2, warmup=2, eval_every=0, save_every=3,
                    out_dir=str(out_dir))  # fmt: skip
    return SFTTrainer(model, Codec(tok), RECORDS, RECORDS[:4], cfg)


def test_resume_equals_uninterrupted_and_files_are_safetensors_and_json(tmp_path):
    full = _trainer(tmp_path / "a")
    full.train()
    part = _trainer(tmp_path / "b")
    part.train(steps=3)
    files = sorted(p.name for p in (tmp_path / "b" / "checkpoint").iterdir())
    assert files == ["model.safetensors", "optimizer.safetensors", "state.json"]
    resumed = _trainer(tmp_path / "b")
    assert resumed.resume() == 3
    resumed.train()
    assert [h["train_loss"] for h in resumed.history] == pytest.approx(
        [h["train_loss"] for h in full.history], rel=1e-5
    )


def test_planted_pickle_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    tr = _trainer(tmp_path / "run")
    tr.train(steps=3)
    ckpt = tmp_path / "run" / "checkpoint"
    payload = {"optimizer": _Planted(marker), "generator": _Planted(marker)}
    (ckpt / "optimizer.pt").write_bytes(pickle.dumps(payload))
    # the old loader's trigger was a state.json next to optimizer.pt; both are present
    assert _trainer(tmp_path / "run").resume() == 3
    assert not marker.exists()
    # a checkpoint of the old layout (no safetensors optimizer, no format) is refused cleanly
    (ckpt / "optimizer.safetensors").unlink()
    (ckpt / "state.json").write_text(json.dumps({"step": 3, "history": []}))
    with pytest.raises(CheckpointError, match="not an ml2llm checkpoint"):
        _trainer(tmp_path / "run").resume()
    assert not marker.exists()


def test_a_pretraining_checkpoint_is_not_taken_for_a_fine_tune(tmp_path):
    from ml2llm.training.checkpoint import save_run

    tr = _trainer(tmp_path / "run")
    save_run(tmp_path / "run", tr.model, tr.optimizer, {"step": 1}, trainable_only=True)
    with pytest.raises(CheckpointError, match="not a fine-tune"):
        tr.resume()


def test_no_weights_only_false_in_the_package():
    root = Path(ml2llm.__file__).parent
    hits = [
        f"{p.relative_to(root)}:{i}"
        for p in sorted(root.rglob("*.py"))
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"weights_only\s*=\s*False", line)
    ]
    assert hits == [], f"unpickling loads left in the package: {hits}"
    assert len(list(root.rglob("*.py"))) > 50  # the search did look at the package
