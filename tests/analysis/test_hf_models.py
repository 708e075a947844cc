"""The analysis tools on Hugging Face causal LMs (the path Project 15 uses on SmolLM2).

References: Hugging Face's own outputs (``output_hidden_states``, the loss it computes from
``labels``, its logits) and constructions with a known answer (zero query/key weights make
every head uniform; a model with constant logits has a loss of exactly ``ln V`` per token).
"""

import math

import numpy as np
import pytest
import torch

from ml2llm.analysis import attention as A
from ml2llm.analysis import logit_lens as LL
from ml2llm.analysis import perplexity as P
from ml2llm.nlp import BPETokenizer, CharTokenizer

V, T = 40, 12


def tiny_llama(seed=0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=V,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():  # move away from the tiny init so attention is far from uniform
        for p in model.parameters():
            p.add_(0.5 * torch.randn_like(p))
    return model.eval()


def test_attention_maps_of_an_hf_model_are_causal_probabilities_and_restore_sdpa():
    model = tiny_llama()
    before = model.config._attn_implementation
    idx = torch.randint(0, V, (3, T))
    maps = A.attention_maps(model, idx)
    assert maps.shape == (2, 3, 4, T, T)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 3, 4, T), atol=1e-5)
    assert torch.all(maps.triu(1) == 0)
    assert maps[:, :, :, 1:, :].std() > 0.05  # not uniform: real, trained-ish maps
    assert model.config._attn_implementation == before  # switched back after the call
    with torch.no_grad():
        assert torch.allclose(model(idx).logits, model(idx).logits)


def test_zero_queries_give_uniform_heads_and_the_uniform_previous_token_score():
    model = tiny_llama()
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.q_proj.weight.zero_()
    maps = A.attention_maps(model, torch.randint(0, V, (2, T)))
    uniform = np.mean([1 / (t + 1) for t in range(1, T)])
    assert np.allclose(A.previous_token_score(maps.numpy()), uniform, atol=1e-6)


def test_hf_attention_maps_equal_the_from_scratch_llama_on_the_same_weights():
    from ml2llm.transformers.hf import from_hf

    model = tiny_llama()
    ours = from_hf(model).eval()
    idx = torch.randint(0, V, (2, T))
    assert torch.allclose(A.attention_maps(model, idx), A.attention_maps(ours, idx), atol=1e-5)


def test_residual_stream_of_an_hf_model_equals_its_hidden_states():
    model = tiny_llama()
    idx = torch.randint(0, V, (2, T))
    hs = LL.residual_stream(model, idx)
    with torch.no_grad():
        out = model(idx, output_hidden_states=True)
    assert hs.shape == (3, 2, T, 32)
    assert torch.equal(hs[0], out.hidden_states[0])  # the embeddings
    assert torch.allclose(hs[1], out.hidden_states[1])
    lens = LL.logit_lens(model, idx)
    assert torch.equal(lens[-1], out.logits)  # the same norm and head: bit-identical


def test_sequence_nll_sums_to_hf_loss_window_by_window():
    model = tiny_llama()
    ids = np.random.default_rng(0).integers(0, V, size=23)
    window = 5
    nll = P.sequence_nll(model, ids, window=window, batch_size=2)
    assert nll.shape == (22,)
    with torch.no_grad():
        for s in range(0, 22, window):  # HF's loss on each chunk, labels = inputs
            chunk = torch.as_tensor(ids[s : s + window + 1][None])
            ref = model(chunk, labels=chunk).loss.item()
            assert nll[s : s + window].mean() == pytest.approx(ref, rel=1e-5)
    full = P.sequence_nll(model, ids, window=100)  # one window: the whole sequence
    with torch.no_grad():
        x = torch.as_tensor(ids[None])
        assert full.mean() == pytest.approx(model(x, labels=x).loss.item(), rel=1e-5)


class ConstantLogits(torch.nn.Module):
    """Logits 0 for every token: a loss of exactly ln V per token."""

    def __init__(self, vocab_size):
        super().__init__()
        self.vocab_size = vocab_size
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, idx):
        return (torch.zeros(*idx.shape, self.vocab_size) + 0 * self.dummy, None)


def test_bits_per_char_of_a_uniform_model_counts_the_predicted_characters():
    text = "To be, or not to be: héllo 世界"
    chars = CharTokenizer.train(text)
    r = P.bits_per_char(ConstantLogits(chars.vocab_size), chars, text, window=7)
    assert r["chars"] == len(text) - 1 and r["tokens"] == len(text)
    assert r["bits_per_char"] == pytest.approx(math.log2(chars.vocab_size))
    assert r["perplexity_per_token"] == pytest.approx(chars.vocab_size)
    byte_tok = BPETokenizer([])  # one token per UTF-8 byte: more tokens than characters
    r = P.bits_per_char(ConstantLogits(256), byte_tok, text, window=7)
    n_bytes = len(text.encode("utf-8"))
    assert r["bits_per_token"] == pytest.approx(8.0)
    assert r["bits_per_char"] == pytest.approx(8.0 * (n_bytes - 1) / (len(text) - 1))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(ids=np.array([3]), window=4), "ids"),
        (dict(ids=np.array([[1, 2]]), window=4), "ids"),
        (dict(ids=np.array([1.0, 2.0]), window=4), "ids"),
        (dict(ids=np.array([1, 2, 3]), window=0), "window"),
    ],
)
def test_sequence_nll_bad_input_names_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        P.sequence_nll(ConstantLogits(5), **kwargs)


def test_bits_per_char_rejects_empty_text():
    with pytest.raises(ValueError, match="text"):
        P.bits_per_char(ConstantLogits(5), CharTokenizer.train("ab"), "", window=4)
