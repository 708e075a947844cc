"""Entropy against SciPy; temperature samples against a hand-written greedy loop."""

import numpy as np
import pytest
import scipy.special
import scipy.stats
import torch

from ml2llm.analysis import sampling as S
from ml2llm.nlp import CharTokenizer
from ml2llm.transformers.config import GPTConfig
from ml2llm.transformers.gpt import GPT


def test_entropy_matches_scipy():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(5, 9, 13))
    ref = scipy.stats.entropy(scipy.special.softmax(logits, axis=-1), axis=-1)
    np.testing.assert_allclose(S.entropy(logits), ref, rtol=1e-10)  # float64 both: rounding only
    assert S.entropy(np.zeros(7)) == pytest.approx(np.log(7))
    assert S.entropy(np.array([1e4, 0.0, 0.0])) == pytest.approx(0.0, abs=1e-12)  # no nan


def _model_and_tok():
    tok = CharTokenizer.train("abcdefgh \n")
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=16, n_layer=1, n_head=2, n_embd=16))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5 * torch.randn_like(p))
    return model.eval(), tok


def test_next_token_entropy_uses_the_models_logits():
    model, tok = _model_and_tok()
    idx = torch.randint(0, tok.vocab_size, (2, 16))
    with torch.no_grad():
        logits = model(idx)[0].double().numpy()
    ref = scipy.stats.entropy(scipy.special.softmax(logits, axis=-1), axis=-1)
    np.testing.assert_allclose(S.next_token_entropy(model, idx), ref, rtol=1e-5)  # float32 logits


def test_samples_at_temperatures():
    model, tok = _model_and_tok()
    out = S.samples_at_temperatures(model, tok, "ab", temperatures=[0, 1.0, 5.0], max_new_tokens=20)
    assert list(out) == [0, 1.0, 5.0] and all(
        t.startswith("ab") and len(t) == 22 for t in out.values()
    )
    ids = tok.encode("ab")
    with torch.no_grad():
        for _ in range(20):  # greedy decoding by hand
            ids.append(int(model(torch.tensor([ids[-16:]]))[0][0, -1].argmax()))
    assert out[0] == tok.decode(ids)
    again = S.samples_at_temperatures(model, tok, "ab", temperatures=[1.0], max_new_tokens=20)
    assert again[1.0] == out[1.0]  # same seed, same text
    with pytest.raises(ValueError, match="temperatures"):
        S.samples_at_temperatures(model, tok, "ab", temperatures=[-1.0])


def test_bad_input():
    with pytest.raises(ValueError, match="logits"):
        S.entropy(np.zeros((3, 0)))
