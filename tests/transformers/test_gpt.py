"""GPT from parts equals Hugging Face GPT2LMHeadModel with the same weights."""

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from ml2llm.transformers import GPT, GPTConfig, load_model, save_model
from ml2llm.transformers.hf import gpt_from_hf, gpt_to_hf


def _hf_gpt2(vocab, impl="eager", seed=0, n_positions=32):
    torch.manual_seed(seed)
    cfg = GPT2Config(
        vocab_size=vocab,
        n_positions=n_positions,
        n_embd=48,
        n_layer=3,
        n_head=4,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=None,
        eos_token_id=None,
        attn_implementation=impl,
    )
    model = GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():  # HF initialises LayerNorms to 1/0: randomise them so they matter
        for name, p in model.named_parameters():
            if ".ln_" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


@pytest.mark.parametrize("impl", ["eager", "sdpa"])
def test_logits_match_hf_gpt2(char_ids, impl):
    idx, vocab = char_ids
    hf = _hf_gpt2(vocab, impl)
    ours = gpt_from_hf(hf).eval()
    with torch.no_grad():
        diff = (ours(idx)[0] - hf(idx).logits).abs().max().item()
    # float32 with the same operation order up to the attention kernel: ~1e-7 observed;
    # the bound is 1e-5.
    assert diff <= 1e-5, diff


def test_loss_matches_hf_shifted_labels(char_ids):
    idx, vocab = char_ids
    hf = _hf_gpt2(vocab)
    ours = gpt_from_hf(hf).eval()
    with torch.no_grad():
        ref = hf(idx, labels=idx).loss.item()  # HF shifts the labels inside
        _, loss = ours(idx[:, :-1], targets=idx[:, 1:])
    assert abs(loss.item() - ref) <= 1e-5  # a mean of ~90 log-probs: float32 rounding only


def test_greedy_generation_identical_to_hf(char_ids):
    idx, vocab = char_ids
    hf = _hf_gpt2(vocab, seed=1)
    ours = gpt_from_hf(hf)
    prompt = idx[:, :5]
    with torch.no_grad():
        ref = hf.generate(
            prompt, max_new_tokens=20, do_sample=False, attention_mask=torch.ones_like(prompt)
        )
    for use_cache in (True, False):
        got = ours.generate(prompt, 20, temperature=0, use_cache=use_cache)
        assert torch.equal(got, ref)


def test_to_hf_round_trip(char_ids):
    idx, vocab = char_ids
    torch.manual_seed(3)
    ours = GPT(GPTConfig(vocab_size=vocab, block_size=32, n_layer=2, n_head=4, n_embd=32)).eval()
    hf = gpt_to_hf(ours)
    with torch.no_grad():
        assert (hf(idx).logits - ours(idx)[0]).abs().max().item() <= 1e-5
    back = gpt_from_hf(hf)
    for (k, a), (_, b) in zip(ours.state_dict().items(), back.state_dict().items()):
        assert torch.equal(a, b), k


def test_to_hf_without_bias_uses_zero_biases(char_ids):
    idx, vocab = char_ids
    ours = GPT(
        GPTConfig(vocab_size=vocab, block_size=32, n_layer=1, n_head=2, n_embd=16, bias=False)
    ).eval()
    with torch.no_grad():
        assert (gpt_to_hf(ours)(idx).logits - ours(idx)[0]).abs().max().item() <= 1e-5


def test_sdpa_and_manual_attention_agree(char_ids):
    idx, vocab = char_ids
    model = GPT(GPTConfig(vocab_size=vocab, block_size=32, n_layer=2, n_head=4, n_embd=32)).eval()
    with torch.no_grad():
        a = model(idx)[0]
        model.config.attn_impl = "manual"
        b = model(idx)[0]
    assert (a - b).abs().max().item() <= 1e-5  # different kernels, same maths


def test_return_attn_gives_causal_probabilities(char_ids):
    idx, vocab = char_ids
    model = GPT(GPTConfig(vocab_size=vocab, block_size=32, n_layer=2, n_head=4, n_embd=32)).eval()
    with torch.no_grad():
        logits, loss, attn = model(idx, return_attn=True)
    assert len(attn) == 2 and attn[0].shape == (4, 4, 24, 24)
    torch.testing.assert_close(attn[1].sum(-1), torch.ones(4, 4, 24))
    assert torch.all(torch.triu(attn[0], diagonal=1) == 0)  # no peeking at the future
    assert torch.allclose(logits, model(idx)[0], atol=1e-5)


def test_num_params_formula():
    V, T, L, C = 65, 32, 3, 48
    model = GPT(GPTConfig(vocab_size=V, block_size=T, n_layer=L, n_head=4, n_embd=C))
    per_block = (
        2 * 2 * C + (3 * C * C + 3 * C) + (C * C + C) + (4 * C * C + 4 * C) + (4 * C * C + C)
    )
    expected = V * C + T * C + L * per_block + 2 * C  # tied lm_head counted once
    assert model.num_params() == expected
    assert model.num_params(non_embedding=True) == expected - V * C - T * C


def test_training_step_reduces_loss(char_ids):
    idx, vocab = char_ids
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=vocab, block_size=32, n_layer=1, n_head=2, n_embd=32))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        _, loss = model(idx[:, :-1], targets=idx[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(torch.log(torch.tensor(float(vocab))).item(), abs=0.3)
    assert losses[-1] < losses[0] - 1.0


# ---------------------------------------------------------------------------- bad input
def test_sequence_longer_than_block_size():
    model = GPT(GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8))
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 9, dtype=torch.long))


def test_n_embd_not_divisible_by_n_head():
    with pytest.raises(ValueError, match="n_embd must be divisible by n_head"):
        GPTConfig(n_embd=30, n_head=4)


@pytest.mark.parametrize(
    "field,value", [("vocab_size", 0), ("dropout", 1.5), ("attn_impl", "flash")]
)
def test_invalid_config_fields(field, value):
    with pytest.raises(ValueError, match=field):
        GPTConfig(**{field: value})


def test_idx_must_be_2d_integer():
    model = GPT(GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8))
    with pytest.raises(ValueError, match="idx"):
        model(torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="idx"):
        model(torch.zeros(1, 5))


def test_checkpoint_round_trip_and_config_mismatch(tmp_path, char_ids):
    idx, vocab = char_ids
    cfg = GPTConfig(vocab_size=vocab, block_size=32, n_layer=1, n_head=2, n_embd=16)
    model = GPT(cfg).eval()
    save_model(model, tmp_path)
    loaded = load_model(tmp_path, cfg).eval()
    assert torch.equal(loaded(idx)[0], model(idx)[0])
    assert loaded.lm_head.weight is loaded.transformer.wte.weight  # tying survives
    wrong = GPTConfig(vocab_size=vocab, block_size=32, n_layer=2, n_head=2, n_embd=16)
    with pytest.raises(ValueError, match="n_layer: saved 1 vs given 2"):
        load_model(tmp_path, wrong)


def test_from_hf_with_mismatched_config(char_ids):
    _, vocab = char_ids
    hf = _hf_gpt2(vocab)
    with pytest.raises(ValueError, match="n_embd"):
        gpt_from_hf(hf, GPTConfig(vocab_size=vocab, block_size=32, n_layer=3, n_head=4, n_embd=64))
