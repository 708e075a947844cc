"""The Mistral/Llama model and its blocks equal Hugging Face's with the same weights."""

import pytest
import torch
import transformers
from transformers.models.mistral import modeling_mistral as hf_mistral

from ml2llm.transformers import KVCache, Mistral, MistralConfig, load_model, save_model
from ml2llm.transformers.attention import causal_mask, repeat_kv
from ml2llm.transformers.hf import from_hf, mistral_from_hf, mistral_to_hf
from ml2llm.transformers.llama import RMSNorm
from ml2llm.transformers.rope import apply_rope, rope_cos_sin


def _hf_config(vocab, cls=transformers.MistralConfig, **kw):
    base = dict(
        vocab_size=vocab,
        hidden_size=48,
        intermediate_size=80,
        num_hidden_layers=2,
        num_attention_heads=6,
        num_key_value_heads=2,
        max_position_embeddings=64,
        rope_theta=500.0,
        rms_norm_eps=1e-5,
        bos_token_id=None,
        eos_token_id=None,
        attn_implementation="eager",
    )
    base.update(kw)
    return cls(**base)


def _randomise_norms(model):
    with torch.no_grad():  # HF initialises RMSNorm weights to 1: perturb them so they matter
        for name, p in model.named_parameters():
            if "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


def test_rope_matches_hf_rotary_embedding():
    cfg = _hf_config(50)
    rotary = hf_mistral.MistralRotaryEmbedding(cfg)
    torch.manual_seed(0)
    q, k = torch.randn(2, 6, 20, 8), torch.randn(2, 2, 20, 8)
    pos = torch.arange(3, 23)[None].expand(2, -1)
    cos_hf, sin_hf = rotary(q, pos)
    q_hf, k_hf = hf_mistral.apply_rotary_pos_emb(q, k, cos_hf, sin_hf)
    cos, sin = rope_cos_sin(torch.arange(3, 23), 8, 500.0)
    # same float32 formula: equal to rounding (observed 0)
    torch.testing.assert_close(apply_rope(q, cos, sin), q_hf, rtol=0, atol=1e-6)
    torch.testing.assert_close(apply_rope(k, cos, sin), k_hf, rtol=0, atol=1e-6)


def test_rope_dot_product_depends_only_on_distance():
    torch.manual_seed(0)
    q, k = torch.randn(16), torch.randn(16)
    cos, sin = rope_cos_sin(torch.arange(40), 16)
    qs, ks = apply_rope(q.expand(40, 16), cos, sin), apply_rope(k.expand(40, 16), cos, sin)
    a = qs[10] @ ks[7]
    b = qs[30] @ ks[27]
    assert abs(a - b) < 1e-4  # both at distance 3; float32 trig at larger angles


def test_rmsnorm_and_repeat_kv_match_hf():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 48)
    ref = hf_mistral.MistralRMSNorm(48, eps=1e-5)
    ours = RMSNorm(48, eps=1e-5)
    with torch.no_grad():
        ref.weight.copy_(torch.randn(48))
        ours.weight.copy_(ref.weight)
    torch.testing.assert_close(ours(x), ref(x))
    kv = torch.randn(2, 2, 7, 8)
    assert torch.equal(repeat_kv(kv, 3), hf_mistral.repeat_kv(kv, 3))


@pytest.mark.parametrize("sliding_window", [None, 5])
def test_logits_match_hf_mistral(char_ids, sliding_window):
    idx, vocab = char_ids
    torch.manual_seed(1)
    hf = _randomise_norms(
        transformers.MistralForCausalLM(_hf_config(vocab, sliding_window=sliding_window))
    ).eval()
    ours = mistral_from_hf(hf).eval()
    with torch.no_grad():
        diff = (ours(idx)[0] - hf(idx).logits).abs().max().item()
    assert diff <= 1e-5, diff  # float32, same operation order: ~1e-7 observed


def test_logits_match_hf_llama_tied(char_ids):
    idx, vocab = char_ids
    torch.manual_seed(2)
    cfg = _hf_config(
        vocab, cls=transformers.LlamaConfig, num_key_value_heads=1, tie_word_embeddings=True
    )
    hf = _randomise_norms(transformers.LlamaForCausalLM(cfg)).eval()
    ours = from_hf(hf).eval()
    assert ours.lm_head.weight is ours.model.embed_tokens.weight
    with torch.no_grad():
        assert (ours(idx)[0] - hf(idx).logits).abs().max().item() <= 1e-5
        back = mistral_to_hf(ours, arch="llama")
        assert (back(idx).logits - hf(idx).logits).abs().max().item() <= 1e-5


def test_sliding_window_mask_matches_hf_definition():
    # HF: kv_idx <= q_idx and kv_idx > q_idx - window
    m = causal_mask(6, 6, sliding_window=3)
    expected = torch.tensor([[j <= i and j > i - 3 for j in range(6)] for i in range(6)])
    assert torch.equal(m, expected)
    assert torch.equal(causal_mask(2, 6, sliding_window=3), expected[-2:])  # cached queries


@pytest.mark.parametrize("sliding_window", [None, 4])
def test_kv_cache_generation_identical_and_equal_to_hf(char_ids, sliding_window):
    idx, vocab = char_ids
    torch.manual_seed(3)
    hf = transformers.MistralForCausalLM(_hf_config(vocab, sliding_window=sliding_window)).eval()
    ours = mistral_from_hf(hf)
    prompt = idx[:2, :6]
    a = ours.generate(prompt, 30, temperature=0, use_cache=True)
    b = ours.generate(prompt, 30, temperature=0, use_cache=False)
    assert torch.equal(a, b)
    with torch.no_grad():
        ref = hf.generate(
            prompt, max_new_tokens=30, do_sample=False, attention_mask=torch.ones_like(prompt)
        )
    assert torch.equal(a, ref)


def test_cache_beyond_block_size_and_sampling_reproducible(char_ids):
    idx, vocab = char_ids
    torch.manual_seed(4)
    model = Mistral(
        MistralConfig(vocab_size=vocab, block_size=16, n_layer=1, n_head=4, n_kv_head=2, n_embd=32)
    )
    a = model.generate(idx[:1, :10], 20, temperature=0, use_cache=True)  # runs past block_size
    b = model.generate(idx[:1, :10], 20, temperature=0, use_cache=False)
    assert a.shape == (1, 30) and torch.equal(a, b)
    s1 = model.generate(idx[:1, :4], 8, top_k=5, generator=torch.Generator().manual_seed(0))
    s2 = model.generate(idx[:1, :4], 8, top_k=5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(s1, s2)


def test_cached_forward_equals_full_forward(char_ids):
    idx, vocab = char_ids
    model = Mistral(
        MistralConfig(vocab_size=vocab, block_size=32, n_layer=2, n_head=4, n_kv_head=2, n_embd=32)
    ).eval()
    cache = KVCache(2)
    with torch.no_grad():
        full = model(idx)[0]
        first = model(idx[:, :10], kv_cache=cache)[0]
        steps = [model(idx[:, t : t + 1], kv_cache=cache)[0] for t in range(10, 24)]
    got = torch.cat([first, *steps], dim=1)
    assert (got - full).abs().max().item() <= 1e-5
    assert cache.keys[0].shape == (4, 2, 24, 8)  # only n_kv_head heads are cached


def test_sdpa_manual_and_attention_maps(char_ids):
    idx, vocab = char_ids
    model = Mistral(
        MistralConfig(
            vocab_size=vocab,
            block_size=32,
            n_layer=2,
            n_head=4,
            n_kv_head=1,
            n_embd=32,
            sliding_window=6,
        )
    ).eval()
    with torch.no_grad():
        a = model(idx)[0]
        logits, _, attn = model(idx, return_attn=True)
        model.config.attn_impl = "manual"
        b = model(idx)[0]
    assert (a - b).abs().max().item() <= 1e-5 and (a - logits).abs().max().item() <= 1e-5
    assert torch.all(attn[0][..., 10, :5] == 0) and torch.all(attn[0][..., 10, 11:] == 0)


# ---------------------------------------------------------------------------- bad input
def test_bad_configs():
    with pytest.raises(ValueError, match="n_embd must be divisible by n_head"):
        MistralConfig(n_embd=30, n_head=4)
    with pytest.raises(ValueError, match="n_kv_head"):
        MistralConfig(n_embd=48, n_head=6, n_kv_head=4)
    with pytest.raises(ValueError, match="sliding_window"):
        MistralConfig(sliding_window=0)


def test_too_long_input_and_cache_overflow():
    model = Mistral(MistralConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8))
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 9, dtype=torch.long))
    cache = KVCache(1)
    model(torch.zeros(1, 6, dtype=torch.long), kv_cache=cache)
    with pytest.raises(ValueError, match=r"\+6 cached"):
        model(torch.zeros(1, 3, dtype=torch.long), kv_cache=cache)


@pytest.mark.parametrize("tied", [False, True])
def test_checkpoint_round_trip(tmp_path, char_ids, tied):
    idx, vocab = char_ids
    cfg = MistralConfig(
        vocab_size=vocab,
        block_size=32,
        n_layer=1,
        n_head=4,
        n_kv_head=2,
        n_embd=16,
        tie_word_embeddings=tied,
    )
    model = Mistral(cfg).eval()
    save_model(model, tmp_path)
    loaded = load_model(tmp_path).eval()
    assert torch.equal(loaded(idx)[0], model(idx)[0])
    assert (loaded.lm_head.weight is loaded.model.embed_tokens.weight) == tied


def test_checkpoint_config_mismatch(tmp_path):
    cfg = MistralConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8)
    save_model(Mistral(cfg), tmp_path)
    assert isinstance(load_model(tmp_path), Mistral)
    other = MistralConfig(
        vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8, rope_theta=1e6
    )
    with pytest.raises(ValueError, match="rope_theta"):
        load_model(tmp_path, other)


def test_from_hf_rejects_unsupported_options():
    cfg = _hf_config(20, cls=transformers.LlamaConfig, attention_bias=True)
    with pytest.raises(ValueError, match="attention_bias"):
        from_hf(transformers.LlamaForCausalLM(cfg))
