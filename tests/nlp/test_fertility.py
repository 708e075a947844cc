"""Tokenizer fertility and chat-template overhead, against independent counts.

References: the byte count of the text (a BPE without merges), Hugging Face ``tokenizers``
and ``transformers`` encoding the same exported tokenizer, and templates whose token counts
are known by hand (a word-level tokenizer: one token per word).
"""

import os

import pytest

from ml2llm.nlp import BPETokenizer, CharTokenizer
from ml2llm.nlp.chat_template import (
    content_tokens,
    prompt_tokens,
    template_overhead,
    token_rows,
)
from ml2llm.nlp.fertility import UDHR_ARTICLE_1, fertility, fertility_table, sample_texts

os.environ.setdefault("HF_HUB_OFFLINE", "1")
TEXT = "Now is the winter of our discontent; def f(x): return x ** 2  # héllo 世界 🙂"


@pytest.fixture(scope="module")
def bpe():
    text = "To be, or not to be, that is the question. " * 30 + "the winter of our discontent " * 20
    return BPETokenizer.train(text, vocab_size=300, special_tokens=["<|endoftext|>"])


def test_a_bpe_without_merges_spends_one_token_per_utf8_byte():
    f = fertility(BPETokenizer([]), TEXT)
    assert f.n_tokens == len(TEXT.encode("utf-8")) == f.n_bytes
    assert f.n_chars == len(TEXT)
    assert f.tokens_per_char == pytest.approx(len(TEXT.encode("utf-8")) / len(TEXT))
    assert f.bytes_per_token == 1.0
    assert f.chars_per_token == pytest.approx(1 / f.tokens_per_char)


def test_char_tokenizer_has_fertility_one():
    f = fertility(CharTokenizer.train("abc de"), "bad cab")
    assert (f.n_tokens, f.tokens_per_char) == (7, 1.0)


def test_same_counts_through_hf_tokenizers_and_transformers(bpe, tmp_path):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    bpe.save_hf(tmp_path, eos_token="<|endoftext|>")
    rust = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(tmp_path)
    expected = len(rust.encode(TEXT).ids)  # independent: HF's Rust BPE on the exported merges
    assert expected < len(TEXT.encode("utf-8"))  # the merges do compress
    for tok in (bpe, rust, auto, lambda t: rust.encode(t).ids):
        assert fertility(tok, TEXT).n_tokens == expected


def test_special_tokens_added_by_encode_are_not_counted(bpe, tmp_path):
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    bpe.save_hf(tmp_path, eos_token="<|endoftext|>")
    from tokenizers import Tokenizer

    rust = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    eot = ("<|endoftext|>", rust.token_to_id("<|endoftext|>"))
    rust.post_processor = processors.TemplateProcessing(
        single="<|endoftext|> $A", special_tokens=[eot]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=rust, bos_token="<|endoftext|>")
    assert len(fast(TEXT)["input_ids"]) == len(fast.tokenize(TEXT)) + 1  # encode adds one
    assert fertility(fast, TEXT).n_tokens == len(fast.tokenize(TEXT))
    assert fertility(rust, TEXT).n_tokens == len(fast.tokenize(TEXT))


def test_table_has_one_row_per_text_and_tokenizer(bpe):
    rows = fertility_table({"bpe": bpe, "bytes": BPETokenizer([])}, {"a": "hello", "b": TEXT})
    assert [(r["text"], r["tokenizer"]) for r in rows] == [
        ("a", "bpe"),
        ("a", "bytes"),
        ("b", "bpe"),
        ("b", "bytes"),
    ]
    assert rows[3]["tokens"] == len(TEXT.encode("utf-8"))
    assert rows[3]["tokens_per_char"] == pytest.approx(rows[3]["tokens"] / len(TEXT))


def test_sample_texts_are_offline_and_sized():
    texts = sample_texts(3000)
    assert (
        texts["Python code"].startswith("class TextWrapper") and len(texts["Python code"]) == 3000
    )
    assert "def " in sample_texts(20_000)["Python code"]
    assert 1000 < len(texts["modern English"]) <= 3000
    assert texts["UDHR Chinese"] == UDHR_ARTICLE_1["Chinese"]
    assert set(sample_texts(100, languages=False)) == {"modern English", "Python code"}


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: sample_texts(0), "n_chars"),
        (lambda: fertility(BPETokenizer([]), ""), "text"),
        (lambda: fertility(BPETokenizer([]), b"abc"), "text"),
        (lambda: fertility(42, "abc"), "tokenizer"),
        (lambda: fertility_table({}, {"a": "b"}), "tokenizers"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# ----------------------------------------------------------------- chat templates
TEMPLATE = (
    "{% for m in messages %}<|start|> {{ m['role'] }} {{ m['content'] }} <|end|> {% endfor %}"
    "{% if add_generation_prompt %}<|start|> assistant {% endif %}"
)


@pytest.fixture(scope="module")
def word_tok():
    """One token per whitespace-separated word: counts can be done by hand."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = "user assistant system what is the capital of france paris hi".split()
    vocab = {"[UNK]": 0, "<|start|>": 1, "<|end|>": 2, **{w: i + 3 for i, w in enumerate(words)}}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", chat_template=TEMPLATE)
    tok.add_special_tokens({"additional_special_tokens": ["<|start|>", "<|end|>"]})
    return tok


MESSAGES = [
    {"role": "user", "content": "what is the capital of france"},
    {"role": "assistant", "content": "paris"},
]


def test_overhead_counted_by_hand(word_tok):
    # per message: <|start|>, role, <|end|>; then the generation prompt: <|start|> assistant
    assert content_tokens(word_tok, MESSAGES) == 6 + 1
    assert template_overhead(word_tok, MESSAGES) == 3 * 2 + 2
    assert template_overhead(word_tok, MESSAGES[:1]) == 3 + 2
    assert len(prompt_tokens(word_tok, MESSAGES, add_generation_prompt=False)) == 7 + 6


def test_prompt_tokens_equal_transformers_tokenized_template(word_tok):
    out = word_tok.apply_chat_template(MESSAGES, add_generation_prompt=True)
    ids = out["input_ids"] if hasattr(out, "keys") else out
    assert prompt_tokens(word_tok, MESSAGES) == list(ids)


def test_token_rows_mark_special_tokens(word_tok):
    rows = token_rows(word_tok, prompt_tokens(word_tok, MESSAGES[:1]))
    assert [r[2] for r in rows] == [True, False] + [False] * 6 + [True, True, False]
    assert rows[0][:2] == (1, "<|start|>") and rows[-1][1] == "assistant"


@pytest.mark.parametrize("messages", ["hi", [], [{"role": "user"}], [{"content": "x"}]])
def test_bad_messages_name_the_argument(word_tok, messages):
    with pytest.raises(ValueError, match="messages"):
        template_overhead(word_tok, messages)
