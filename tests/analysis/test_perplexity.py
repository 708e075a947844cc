"""Per-token loss, per-position loss and per-play loss against PyTorch's cross-entropy."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ml2llm.analysis import perplexity as P
from ml2llm.transformers.config import GPTConfig
from ml2llm.transformers.gpt import GPT


def small_gpt(V=30, T=16, seed=0):
    torch.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=V, block_size=T, n_layer=1, n_head=2, n_embd=16)).eval()


def test_token_nll_matches_torch_cross_entropy_and_survives_huge_logits():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=5.0, size=(4, 7, 11))
    targets = rng.integers(0, 11, size=(4, 7))
    ref = F.cross_entropy(
        torch.tensor(logits).reshape(-1, 11), torch.tensor(targets).reshape(-1), reduction="none"
    )
    np.testing.assert_allclose(
        P.token_nll(logits, targets), ref.numpy().reshape(4, 7), rtol=1e-12, atol=1e-12
    )
    # float64 throughout: only rounding differs. Logits of 1e4 overflow a naive softmax.
    big = np.array([[1e4, 0.0, -1e4]])
    assert P.token_nll(big, np.array([0]))[0] == pytest.approx(0.0, abs=1e-12)
    assert P.token_nll(big, np.array([1]))[0] == pytest.approx(1e4)


def test_position_losses_average_to_the_models_own_loss():
    model = small_gpt()
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 30, size=16 * 5 + 3)
    losses = P.position_losses(model, ids, batch_size=2)  # batches of 2: the split must not matter
    assert losses.shape == (5, 16)
    x = torch.as_tensor(ids[:80].reshape(5, 16))
    y = torch.as_tensor(ids[1:81].reshape(5, 16))
    with torch.no_grad():
        _, loss = model(x, y)
    # float32 model: the mean of 80 float32 NLLs agrees to ~1e-6 relative
    assert losses.mean() == pytest.approx(float(loss), rel=1e-5)
    assert P.position_losses(model, ids, max_windows=2).shape == (2, 16)
    assert P.position_losses(model, ids, block_size=8).shape == (10, 8)


def test_an_all_zero_model_has_perplexity_v():
    model = small_gpt(V=30)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    losses = P.position_losses(model, np.arange(100) % 30)
    np.testing.assert_allclose(losses, np.log(30), rtol=1e-6)  # logits all 0: uniform over 30
    assert P.perplexity(losses) == pytest.approx(30.0, rel=1e-5)


def test_play_spans_rebuild_the_offline_corpus():
    from ml2llm.data.shakespeare import build_offline_corpus

    text, names = build_offline_corpus()
    spans = P.play_spans()
    assert [s[0] for s in spans] == names and len(spans) == 42
    assert "\n".join(text[a:b] for _, a, b in spans) == text
    name, a, b = next(s for s in spans if s[0] == "hamlet")
    assert "HAMLET" in text[a:b] and "Prince of Denmark" not in text[a : a + 5]


def test_loss_by_span_matches_position_losses_on_each_piece():
    from ml2llm.nlp import CharTokenizer

    text = "abcab cabba " * 20 + "xyzzy " * 30
    tok = CharTokenizer.train(text)
    model = small_gpt(V=tok.vocab_size)
    spans = [("first", 0, 240), ("second", 240, len(text)), ("tiny", 0, 5)]
    got = P.loss_by_span(model, tok, text, spans)
    assert list(got) == ["first", "second"]  # "tiny" is shorter than one window
    expect = P.position_losses(model, np.array(tok.encode(text[240:]))).mean()
    assert got["second"] == pytest.approx(expect)
    assert P.loss_by_span(model, tok, text, spans[:1], max_chars=50)["first"] == pytest.approx(
        P.position_losses(model, np.array(tok.encode(text[:50]))).mean()
    )


def test_bad_input():
    model = small_gpt()
    with pytest.raises(ValueError, match="targets"):
        P.token_nll(np.zeros((2, 3)), np.array([0, 5]))
    with pytest.raises(ValueError, match="logits must have shape"):
        P.token_nll(np.zeros((2, 3)), np.array([0]))
    with pytest.raises(ValueError, match="block_size"):
        P.position_losses(model, np.arange(100) % 30, block_size=17)
    with pytest.raises(ValueError, match="at least"):
        P.position_losses(model, np.arange(10))
    with pytest.raises(ValueError, match="empty"):
        P.perplexity([])
