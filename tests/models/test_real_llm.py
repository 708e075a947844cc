"""The real SmolLM2-135M-Instruct in our from-scratch Llama, against Hugging Face and MLX.

One converted folder per test run (the session fixture ``smollm2_dir``); the two torch
models are loaded once per module.
"""

import json

import numpy as np
import pytest
import torch

from ml2llm import cli
from ml2llm.models import get_spec, load_pretrained, load_scratch, read_manifest, verify_model
from ml2llm.transformers import Llama, from_hf

pytestmark = pytest.mark.slow

QUESTION = "What is the capital of France? Answer in one word."


@pytest.fixture(scope="module")
def hf_model(smollm2_dir):
    return load_pretrained(smollm2_dir)


@pytest.fixture(scope="module")
def ours(smollm2_dir):
    return load_scratch(smollm2_dir)[0]


def _chat_ids(tok, question=QUESTION):
    ids = tok.apply_chat_template(
        [{"role": "user", "content": question}], add_generation_prompt=True
    )
    ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
    return torch.tensor([list(ids)])


def test_converted_folder(smollm2_dir):
    manifest = read_manifest(smollm2_dir)
    assert manifest["source"]["sha256"] == get_spec("smollm2-135m-instruct").sha256
    assert manifest["dtype"] == "bfloat16"
    size = manifest["files"]["model.safetensors"]["bytes"]
    assert 2 * 134_515_008 <= size < 2 * 134_515_008 + 1_000_000  # bf16, tied: one copy
    config = json.loads((smollm2_dir / "config.json").read_text())
    assert config["rope_theta"] == 100_000.0 and "quantization_config" not in config
    assert (config["num_hidden_layers"], config["hidden_size"]) == (30, 576)
    assert (config["num_attention_heads"], config["num_key_value_heads"]) == (9, 3)


def test_checksums_verify(smollm2_dir):
    verify_model(smollm2_dir)


def test_tokenizer_keeps_chat_template(hf_model):
    _, tok = hf_model
    assert len(tok) == 49152 and tok.chat_template
    text = tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False)
    assert "<|im_start|>user\nHi<|im_end|>" in text
    assert tok.convert_ids_to_tokens(2) == "<|im_end|>" == tok.eos_token


def test_architecture_and_parameter_count(hf_model, ours):
    hf, _ = hf_model
    assert isinstance(ours, Llama)
    cfg = ours.config
    assert (cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.n_kv_head) == (30, 576, 9, 3)
    assert cfg.tie_word_embeddings and cfg.rope_theta == 100_000.0
    assert ours.lm_head.weight is ours.model.embed_tokens.weight
    assert ours.num_params() == hf.num_parameters() == 134_515_008


def test_scratch_load_equals_from_hf(hf_model, ours):
    ref = from_hf(hf_model[0]).state_dict()
    for key, value in ours.state_dict().items():
        assert torch.equal(value, ref[key]), key


def test_logits_equal_hf(hf_model, ours):
    hf, tok = hf_model
    ids = torch.cat([_chat_ids(tok), torch.randint(0, 49152, (1, 40))], dim=1)
    with torch.no_grad():
        ref = hf(ids).logits
        got, _ = ours(ids)
    # Same float32 weights, same operations; only kernel-level summation order may differ.
    # Logits reach |40|; 1e-4 is ~100 float32 ulps at that size, far below any real bug
    # (a wrong RoPE theta or a missing tie moves logits by >1).
    torch.testing.assert_close(got, ref, atol=1e-4, rtol=1e-5)


def test_greedy_chat_generation_equals_hf_generate(hf_model, ours):
    hf, tok = hf_model
    ids = _chat_ids(tok)
    n = ids.shape[1]
    with torch.no_grad():
        ref = hf.generate(ids, max_new_tokens=24, do_sample=False, eos_token_id=None)
        got = ours.generate(ids, 24, temperature=0.0)
        uncached = ours.generate(ids, 8, temperature=0.0, use_cache=False)
    assert got[0, n:].tolist() == ref[0, n:].tolist()
    assert uncached[0, n:].tolist() == ref[0, n : n + 8].tolist()
    answer = tok.decode(got[0, n:])
    assert answer.startswith("The capital of France is Paris.")


def test_mlx_lm_loads_the_folder(smollm2_dir, hf_model):
    mx = pytest.importorskip("mlx.core")
    mlx_lm = pytest.importorskip("mlx_lm")
    model, tok = mlx_lm.load(str(smollm2_dir))
    ids = _chat_ids(hf_model[1])
    assert (
        tok.apply_chat_template([{"role": "user", "content": QUESTION}], add_generation_prompt=True)
        == ids[0].tolist()
    )
    model.set_dtype(mx.float32)  # compare in float32: bf16 activations differ by ~1 logit
    got = np.array(model(mx.array(ids.numpy())))
    with torch.no_grad():
        ref = hf_model[0](ids).logits.numpy()
    # different kernels (MLX vs torch), float32 through 30 layers: observed max 2e-4
    np.testing.assert_allclose(got, ref, atol=2e-3, rtol=1e-4)
    assert (got.argmax(-1) == ref.argmax(-1)).all()


def test_cli_get_is_instant_when_warm(smollm2_dir, capsys):
    models_dir = smollm2_dir.parent
    assert cli.main(["model", "get", smollm2_dir.name, "--models-dir", str(models_dir)]) == 0
    out = capsys.readouterr().out
    assert str(smollm2_dir) in out and "(0.0 s)" in out
