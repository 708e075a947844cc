"""``load_hf`` loads float32 unless told otherwise.

transformers 5 loads a checkpoint in its stored dtype; SmolLM2's folder is bfloat16, and a
bfloat16 PEFT run on a CPU was ~20x slower per step than ours, in another precision.
"""

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from ml2llm.finetune import backends


@pytest.fixture(scope="module")
def bf16_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bf16")
    cfg = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=32)  # fmt: skip
    LlamaForCausalLM(cfg).to(torch.bfloat16).save_pretrained(folder)
    return folder


@pytest.fixture(autouse=True)
def _no_tokenizer(monkeypatch):  # the dtype is the model's business; skip the tokenizer
    monkeypatch.setattr(backends, "load_tokenizer", lambda *a, **k: None)


def _dtypes(model):
    return {p.dtype for p in model.parameters()}


def test_a_bfloat16_folder_loads_in_float32_by_default(bf16_folder):
    assert _dtypes(backends.load_hf(bf16_folder)[0]) == {torch.float32}


@pytest.mark.parametrize(
    "dtype, want", [("auto", torch.bfloat16), ("float16", torch.float16), (torch.bfloat16, torch.bfloat16)]
)  # fmt: skip
def test_dtype_auto_keeps_the_stored_one_and_names_choose(bf16_folder, dtype, want):
    assert _dtypes(backends.load_hf(bf16_folder, dtype=dtype)[0]) == {want}


@pytest.mark.parametrize("bad", ["fp32", "Tensor", "bf16"])
def test_a_bad_dtype_name_is_named(bf16_folder, bad):
    with pytest.raises(ValueError, match="dtype must be 'auto' or a torch dtype name"):
        backends.load_hf(bf16_folder, dtype=bad)
