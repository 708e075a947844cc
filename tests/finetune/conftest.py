"""Shared fixtures for Project 16: tiny HF Mistral models and our own char model, offline."""

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLX_DISABLE_COMPILE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def randomize_lora(model, seed=0, std=0.05):
    """Give every LoRA layer non-zero A and B (B starts at zero, which would hide bugs)."""
    from ml2llm.finetune.lora import lora_modules

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in lora_modules(model).values():
            m.lora_A.copy_(torch.randn(m.lora_A.shape, generator=g) * std * 4)
            m.lora_B.copy_(torch.randn(m.lora_B.shape, generator=g) * std)


@pytest.fixture(scope="module")
def hf_mistral():
    """A 2-layer MistralForCausalLM built from a config (random weights, GQA, float32)."""
    from transformers import MistralConfig, MistralForCausalLM

    torch.manual_seed(0)
    cfg = MistralConfig(
        vocab_size=97,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        tie_word_embeddings=False,
    )
    return MistralForCausalLM(cfg).eval()


@pytest.fixture(scope="module")
def own_export(tmp_path_factory):
    """Our tiny char Mistral (briefly pretrained on Shakespeare) exported to a HF folder."""
    from ml2llm.data.shakespeare import load_corpus
    from ml2llm.finetune.backends import export_with_template, pretrain_char_model

    text = load_corpus()[:20_000]
    model, tok, _ = pretrain_char_model(
        text, 'QA:"?', steps=60, n_layer=2, n_embd=32, n_head=4, block_size=64, batch_size=4
    )
    d = export_with_template(model, tok, tmp_path_factory.mktemp("own_hf"))
    return model, tok, d
