"""Sampling: our top-k/top-p filters equal Hugging Face's warpers; cached == uncached generation."""

import pytest
import torch
from transformers.generation.logits_process import TopKLogitsWarper, TopPLogitsWarper

from ml2llm.training.config import TrainConfig
from ml2llm.training.models import build_model
from ml2llm.training.sampling import filter_logits, generate, sample_next


@pytest.mark.parametrize("top_p", [0.1, 0.5, 0.9, 0.99])
def test_top_p_matches_hf(top_p):
    torch.manual_seed(0)
    logits = torch.randn(4, 50) * 3
    ours = filter_logits(logits, top_p=top_p)
    theirs = TopPLogitsWarper(top_p)(None, logits.clone())
    assert torch.equal(torch.isinf(ours), torch.isinf(theirs))  # the same tokens survive
    kept = ~torch.isinf(ours)
    assert torch.allclose(ours[kept], logits[kept])
    assert kept.sum(-1).min() >= 1  # the most likely token always survives


@pytest.mark.parametrize("k", [1, 5, 49, 50, 80])
def test_top_k_matches_hf(k):
    torch.manual_seed(1)
    logits = torch.randn(3, 50)
    ours = filter_logits(logits, top_k=k)
    theirs = TopKLogitsWarper(k)(None, logits.clone())
    assert torch.equal(torch.isinf(ours), torch.isinf(theirs))


def test_temperature_and_bad_arguments():
    logits = torch.tensor([[1.0, 2.0, 4.0]])
    assert torch.allclose(filter_logits(logits, temperature=2.0), logits / 2)
    assert sample_next(logits, temperature=0).item() == 2  # greedy
    for kwargs, msg in [
        ({"temperature": 0}, "temperature"),
        ({"top_k": 0}, "top_k"),
        ({"top_p": 1.5}, "top_p"),
    ]:
        with pytest.raises(ValueError, match=msg):
            filter_logits(logits, **kwargs)


@pytest.mark.parametrize("arch", ["gpt", "mistral"])
def test_kv_cache_generation_equals_recomputing(arch):
    torch.manual_seed(0)
    cfg = TrainConfig(model=arch, n_layer=2, n_head=2, n_embd=16, block_size=12)
    model = build_model(cfg, vocab_size=30)
    idx = torch.randint(0, 30, (2, 3))
    kw = dict(max_new_tokens=20, temperature=0.9, top_k=10, top_p=0.9)  # outgrows block_size
    a = generate(model, idx, use_cache=True, generator=torch.Generator().manual_seed(5), **kw)
    b = generate(model, idx, use_cache=False, generator=torch.Generator().manual_seed(5), **kw)
    assert a.shape == (2, 23) and torch.equal(a, b)
    assert torch.equal(a[:, :3], idx)
