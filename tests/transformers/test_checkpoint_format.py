"""One model format: a pretraining run's checkpoint folder is also a model folder."""

import torch

from ml2llm.training.checkpoint import restore_run, save_run
from ml2llm.training.config import TrainConfig
from ml2llm.training.models import build_model
from ml2llm.transformers import load_model, save_model


def test_run_checkpoint_is_the_model_format_plus_optimizer_and_state(tmp_path):
    torch.manual_seed(0)
    for arch in ("gpt", "mistral"):
        model = build_model(
            TrainConfig(model=arch, n_layer=1, n_head=2, n_embd=16, block_size=8), 30
        )
        ckpt = save_run(tmp_path / arch, model, None, {"step": 0})
        assert {p.name for p in ckpt.iterdir()} == {
            "model.safetensors", "ml2llm_config.json", "optimizer.safetensors", "state.json"
        }  # fmt: skip
        loaded = load_model(ckpt).eval()  # the model loader reads a run checkpoint as is
        idx = torch.randint(0, 30, (2, 8))
        torch.testing.assert_close(loaded(idx)[0], model.eval()(idx)[0], rtol=0, atol=0)
        # and a model folder's weights load back into a run's model
        save_model(loaded, tmp_path / f"{arch}_model")
        other = build_model(
            TrainConfig(model=arch, n_layer=1, n_head=2, n_embd=16, block_size=8), 30
        )
        restore_run(tmp_path / arch, other, restore_rng=False)
        torch.testing.assert_close(other.eval()(idx)[0], loaded(idx)[0], rtol=0, atol=0)
