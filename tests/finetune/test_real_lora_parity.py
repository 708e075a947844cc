"""LoRA parity on the real SmolLM2-135M-Instruct (Project 16 on a real LLM).

- our ``LoRALinear`` inside our ``Llama`` = PEFT on ``LlamaForCausalLM`` with the same adapter
  weights (q/k/v/o, r = 8): logits to 1e-5 (the tiny-model bar of ``test_lora.py``), and our
  saved adapter loads in PEFT with the same logits;
- the adapter converted to ``mlx_lm``'s format gives the same logits in MLX (float32, 1e-4 as
  the tiny-model test), and converted back it is bit-identical in our model.
"""

import copy

import pytest
import torch

from ml2llm.finetune.lora import apply_lora, load_adapter, save_adapter

from .conftest import randomize_lora

pytestmark = pytest.mark.slow

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]


@pytest.fixture(scope="module")
def real(smollm2_dir):
    from ml2llm.models import load_pretrained
    from ml2llm.transformers import from_hf

    hf, tok = load_pretrained(smollm2_dir)
    hf.eval()
    ours = from_hf(hf).eval()
    apply_lora(ours, TARGETS, r=8, alpha=16)
    randomize_lora(ours, seed=3, std=0.02)
    x = torch.tensor([tok.encode("To be, or not to be, that is the question:")])
    return hf, ours, x


def test_our_lora_equals_peft_on_smollm2(real, smollm2_dir, tmp_path):
    from peft import LoraConfig, PeftModel, get_peft_model

    hf, ours, x = real
    peft_model = get_peft_model(
        copy.deepcopy(hf),
        LoraConfig(r=8, lora_alpha=16, target_modules=TARGETS, lora_dropout=0.0),
    ).eval()
    sd = {}
    for name, m in ours.named_modules():
        if hasattr(m, "lora_A") and isinstance(m.lora_A, torch.nn.Parameter):
            sd[f"base_model.model.{name}.lora_A.default.weight"] = m.lora_A.detach()
            sd[f"base_model.model.{name}.lora_B.default.weight"] = m.lora_B.detach()
    missing = peft_model.load_state_dict(sd, strict=False)
    assert not missing.unexpected_keys and len(sd) == 2 * 4 * hf.config.num_hidden_layers
    with torch.no_grad():
        got = ours(x)[0]
        ref = peft_model(input_ids=x).logits
        base = hf(input_ids=x).logits
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-5)
    assert (ref - base).abs().max() > 1e-2  # the adapter really changes the model
    # our on-disk adapter, loaded by PEFT itself
    save_adapter(ours, tmp_path / "ours", base_model_name_or_path=str(smollm2_dir))
    loaded = PeftModel.from_pretrained(copy.deepcopy(hf), str(tmp_path / "ours")).eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(input_ids=x).logits, got, rtol=0, atol=1e-5)


def test_mlx_conversion_same_logits_on_smollm2(real, smollm2_dir, tmp_path):
    pytest.importorskip("mlx_lm")
    import mlx.core as mx
    import numpy as np
    from mlx.utils import tree_map
    from mlx_lm import load

    from ml2llm.finetune.convert import mlx_to_peft, peft_to_mlx

    hf, ours, x = real
    save_adapter(ours, tmp_path / "peft")
    peft_to_mlx(tmp_path / "peft", tmp_path / "mlx")
    mlx_model, _ = load(str(smollm2_dir), adapter_path=str(tmp_path / "mlx"))
    # the folder is bf16 on disk; compare in float32, as our model computes
    mlx_model.update(tree_map(lambda p: p.astype(mx.float32), mlx_model.parameters()))
    got = np.array(mlx_model(mx.array(x.numpy())).astype(mx.float32))
    with torch.no_grad():
        ref = ours(x)[0].numpy()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-4)
    mlx_to_peft(tmp_path / "mlx", tmp_path / "back")
    fresh = copy.deepcopy(hf)
    from ml2llm.transformers import from_hf

    fresh = from_hf(fresh).eval()
    load_adapter(fresh, tmp_path / "back")
    with torch.no_grad():
        torch.testing.assert_close(fresh(x)[0], ours(x)[0], rtol=0, atol=1e-6)
