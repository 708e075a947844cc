"""The logit lens: the last layer's lens is the model's own logits; layer 0 is the embeddings."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ml2llm.analysis import logit_lens as LL
from ml2llm.transformers.config import GPTConfig, MistralConfig
from ml2llm.transformers.gpt import GPT
from ml2llm.transformers.llama import Mistral


def trained_ish(model):
    # move the weights away from the tiny init so every layer changes the stream visibly
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return model.eval()


@pytest.mark.parametrize("arch", ["gpt", "mistral"])
def test_last_layer_lens_equals_model_logits(arch):
    torch.manual_seed(0)
    if arch == "gpt":
        model = GPT(GPTConfig(vocab_size=23, block_size=16, n_layer=3, n_head=2, n_embd=16))
    else:
        model = Mistral(
            MistralConfig(vocab_size=23, block_size=16, n_layer=3, n_head=2, n_kv_head=1, n_embd=16)
        )
    model = trained_ish(model)
    idx = torch.randint(0, 23, (2, 16))
    lens = LL.logit_lens(model, idx)
    assert lens.shape == (4, 2, 16, 23)
    with torch.no_grad():
        logits, _ = model(idx)
    # the same operations in the same order: bit-identical
    assert torch.equal(lens[-1], logits)
    assert not torch.allclose(lens[0], lens[-1], atol=1e-2)  # earlier layers really differ
    losses = LL.lens_loss(model, idx, idx.roll(-1, dims=1))
    with torch.no_grad():
        _, loss = model(idx, idx.roll(-1, dims=1))
    assert losses.shape == (4,) and float(losses[-1]) == pytest.approx(float(loss), rel=1e-6)


def test_layer_zero_and_residual_updates_computed_by_hand():
    torch.manual_seed(0)
    model = trained_ish(GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8)))
    idx = torch.randint(0, 11, (1, 8))
    hs = LL.residual_stream(model, idx)
    tr = model.transformer
    with torch.no_grad():
        h0 = tr.wte(idx) + tr.wpe(torch.arange(8))
        h1 = h0 + tr.h[0].attn(tr.h[0].ln_1(h0))
        h1 = h1 + tr.h[0].mlp(tr.h[0].ln_2(h1))
        lens0 = model.lm_head(F.layer_norm(h0, (8,), tr.ln_f.weight, tr.ln_f.bias))
    torch.testing.assert_close(hs[0], h0)
    torch.testing.assert_close(hs[1], h1)
    torch.testing.assert_close(LL.logit_lens(model, idx)[0], lens0)


def test_bad_input():
    with pytest.raises(ValueError, match="GPT or Mistral"):
        LL.residual_stream(torch.nn.Linear(2, 2), torch.zeros(1, 2, dtype=torch.long))
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8))
    with pytest.raises(ValueError, match="targets"):
        LL.lens_loss(model, torch.zeros(1, 8, dtype=torch.long), np.zeros((1, 7)))
