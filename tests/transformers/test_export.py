"""export_hf writes a folder that transformers (and mlx_lm) load offline with equal logits."""

import json

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, AutoTokenizer

from ml2llm.transformers import GPT, GPTConfig, Mistral, MistralConfig, export_hf

PROMPT = "To be, or not to be, that is the question"


@pytest.fixture(scope="module")
def bpe(shakespeare_text):
    """A byte-level BPE tokenizer trained with the HF `tokenizers` library (not Project 13)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([shakespeare_text], trainer)
    return tok


def _models():
    torch.manual_seed(0)
    yield GPT(GPTConfig(vocab_size=320, block_size=64, n_layer=2, n_head=4, n_embd=32))
    yield Mistral(
        MistralConfig(vocab_size=320, block_size=64, n_layer=2, n_head=4, n_kv_head=2, n_embd=32)
    )


@pytest.mark.parametrize("model", list(_models()), ids=["gpt", "mistral"])
def test_export_loads_in_transformers_with_equal_logits(tmp_path, bpe, model):
    model.eval()
    export_hf(model, bpe, tmp_path)
    for name in ("model.safetensors", "config.json", "generation_config.json", "tokenizer.json"):
        assert (tmp_path / name).exists(), name
    hf = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    tok = AutoTokenizer.from_pretrained(tmp_path)
    ids = tok(PROMPT, return_tensors="pt").input_ids
    assert ids[0].tolist() == bpe.encode(PROMPT).ids  # same ids as the original tokenizer
    assert tok.eos_token == "<|endoftext|>" and hf.config.eos_token_id == bpe.token_to_id(
        "<|endoftext|>"
    )
    with torch.no_grad():
        diff = (hf(ids).logits - model(ids)[0]).abs().max().item()
    assert diff <= 1e-5, diff  # identical weights in float32: observed 0 to 1e-7
    expected_type = "gpt2" if isinstance(model, GPT) else "mistral"
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == expected_type


@pytest.mark.parametrize("model", list(_models()), ids=["gpt", "mistral"])
def test_export_loads_in_mlx_lm(tmp_path, bpe, model):
    mlx_lm = pytest.importorskip("mlx_lm")
    import mlx.core as mx

    model.eval()
    export_hf(model, bpe, tmp_path)
    mlx_model, mlx_tok = mlx_lm.load(str(tmp_path))
    ids = bpe.encode(PROMPT).ids
    assert mlx_tok.encode(PROMPT) == ids
    out = np.array(mlx_model(mx.array([ids])))
    with torch.no_grad():
        ref = model(torch.tensor([ids]))[0].numpy()
    # MLX computes with its own kernels in float32: ~1e-7 observed; 1e-4 leaves room for
    # other CPUs' reduction orders
    assert np.abs(out - ref).max() <= 1e-4


def test_export_with_project13_tokenizer(tmp_path, shakespeare_text):
    from ml2llm.nlp import CharTokenizer

    tok = CharTokenizer.train(shakespeare_text)
    model = GPT(GPTConfig(vocab_size=128, block_size=64, n_layer=1, n_head=2, n_embd=16)).eval()
    export_hf(model, tok, tmp_path)
    hf = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    hf_tok = AutoTokenizer.from_pretrained(tmp_path)
    ids = hf_tok("Romeo", return_tensors="pt").input_ids
    assert ids[0].tolist() == list(tok.encode("Romeo"))
    with torch.no_grad():
        assert (hf(ids).logits - model(ids)[0]).abs().max().item() <= 1e-5


def test_export_rejects_bad_arguments(tmp_path, bpe):
    small = GPT(GPTConfig(vocab_size=100, block_size=16, n_layer=1, n_head=2, n_embd=8))
    with pytest.raises(ValueError, match="vocab_size"):
        export_hf(small, bpe, tmp_path)
    with pytest.raises(ValueError, match="tokenizer must have a save_hf"):
        export_hf(small, {"a": 1}, tmp_path)
    with pytest.raises(ValueError, match="model must be"):
        export_hf(torch.nn.Linear(2, 2), bpe, tmp_path)
