"""The same loaders on a Mistral folder, standing in for ``mistralai/Mistral-7B-Instruct-v0.3``.

A real Mistral-7B folder (``config.json`` with ``model_type: mistral``, sharded safetensors,
``tokenizer.json``) takes the same path: :func:`ensure_model` accepts it in place,
:func:`load_pretrained` gives ``MistralForCausalLM`` and :func:`load_scratch` our ``Llama``.
Here the folder is built from a small ``MistralConfig`` with random weights, saved with
``save_pretrained`` in two shards, and a tiny word-level tokenizer.
"""

import pytest
import torch

from ml2llm import cli
from ml2llm.models import ModelError, ensure_model, load_pretrained, load_scratch
from ml2llm.transformers import Llama, from_hf


def _tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<unk>", "<s>", "</s>", "hello", "world", "the", "cat", "sat", "on", "mat"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )


@pytest.fixture(scope="module", params=[None, 4], ids=["full-attention", "sliding-window-4"])
def mistral_dir(request, tmp_path_factory):
    import transformers

    torch.manual_seed(0)
    config = transformers.MistralConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        rope_theta=1_000_000.0,  # Mistral-7B-v0.3's value
        sliding_window=request.param,
        tie_word_embeddings=False,
        bos_token_id=1,
        eos_token_id=2,
    )
    model = transformers.MistralForCausalLM(config).eval()
    folder = tmp_path_factory.mktemp("mistral")
    model.save_pretrained(folder, max_shard_size="20KB")  # sharded, like the 7B
    _tokenizer().save_pretrained(folder)
    return folder


def test_folder_is_used_in_place(mistral_dir):
    assert len(list(mistral_dir.glob("*.safetensors"))) > 1
    assert ensure_model(mistral_dir) == mistral_dir.resolve()
    assert ensure_model(str(mistral_dir)) == mistral_dir.resolve()
    assert not (mistral_dir / "manifest.json").exists()  # nothing is written into it


def test_load_pretrained_and_scratch_agree(mistral_dir):
    import transformers

    hf, tok = load_pretrained(mistral_dir)
    assert isinstance(hf, transformers.MistralForCausalLM) and not hf.training
    ours, tok2 = load_scratch(mistral_dir)
    assert isinstance(ours, Llama) and not ours.training
    assert ours.config.sliding_window == hf.config.sliding_window
    assert ours.config.rope_theta == 1_000_000.0
    ids = torch.tensor([tok("the cat sat on the mat hello world the cat")["input_ids"]])
    assert tok2("hello")["input_ids"] == tok("hello")["input_ids"]
    with torch.no_grad():
        ref = hf(ids).logits
        got, _ = ours(ids)
    # same float32 operations in the same order up to kernel choice: rounding only
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)
    # the direct safetensors load equals the in-memory converter
    conv = from_hf(hf).state_dict()
    for key, value in ours.state_dict().items():
        torch.testing.assert_close(value, conv[key], atol=0, rtol=0)


def test_load_scratch_dtype(mistral_dir):
    ours, _ = load_scratch(mistral_dir, dtype=torch.bfloat16)
    assert {p.dtype for p in ours.parameters()} == {torch.bfloat16}


def test_cli_info_on_a_folder(mistral_dir, capsys):
    assert cli.main(["model", "info", str(mistral_dir)]) == 0
    out = capsys.readouterr().out
    assert "mistral (MistralForCausalLM)" in out and "4 / 2 (GQA group 2)" in out
    assert "RoPE theta        1e+06" in out


def test_unsupported_folder_is_one_line(tmp_path):
    import transformers

    cfg = transformers.GPT2Config(n_layer=1, n_head=2, n_embd=8, vocab_size=16, n_positions=8)
    transformers.GPT2LMHeadModel(cfg).save_pretrained(tmp_path)
    with pytest.raises(ModelError, match="'gpt2' model"):
        load_scratch(tmp_path)
