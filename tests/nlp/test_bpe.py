"""Byte-level BPE and the char tokenizer: vs a naive trainer, vs HF tokenizers/transformers.

Real data: the offline Shakespeare corpus (ml2llm.data.shakespeare, ~5 MB).
"""

import json
import os

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from ml2llm.data.shakespeare import load_corpus
from ml2llm.nlp import BPETokenizer, CharTokenizer
from ml2llm.nlp.bpe import GPT2_SPLIT_PATTERN, _fast_merges, bytes_to_unicode, train_bpe_naive

os.environ.setdefault("HF_HUB_OFFLINE", "1")
EOT = "<|endoftext|>"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def tok(corpus):
    return BPETokenizer.train(corpus[:300_000], vocab_size=600, special_tokens=[EOT, "<pad>"])


@pytest.fixture(scope="module")
def hf_dir(tok, tmp_path_factory):
    return tok.save_hf(tmp_path_factory.mktemp("hf_bpe"), eos_token=EOT, pad_token="<pad>")


def _pieces(text, n=400):
    """Cut after a newline between a non-space and a letter: the GPT-2 regex never joins there."""
    step, out, start = max(1, len(text) // n), [], 0
    while start < len(text):
        cut = text.find("\n", start + step)
        while (
            cut != -1
            and cut + 1 < len(text)
            and not (text[cut + 1].isalpha() and not text[cut - 1].isspace())
        ):
            cut = text.find("\n", cut + 1)
        end = len(text) if cut == -1 else cut + 1
        out.append(text[start:end])
        start = end
    return out


def test_incremental_trainer_learns_the_naive_trainers_merges(corpus):
    counts = BPETokenizer.chunk_counts(corpus[:60_000])
    # exact equality: both use the same tie rule, so any bookkeeping bug shows up as a diff
    fast, naive = _fast_merges(counts, 120), train_bpe_naive(counts, 120)
    assert len(fast) == 120
    assert fast == naive


def test_first_merges_on_shakespeare_are_frequent_english_pairs(tok):
    first = [tok.decode([256 + k]) for k in range(5)]
    # e.g. ' t', 'he', ' a', 'th', 'ou' on Shakespeare: frequent bigrams, space-prefixed words
    assert all(len(t) == 2 for t in first), first
    assert " t" in first


def test_vocab_and_special_ids(tok):
    assert tok.vocab_size == 600
    assert tok.special_tokens == {EOT: 598, "<pad>": 599}
    ids = tok.encode(f"to be{EOT}or not<pad>", allowed_special="all")
    assert ids.count(598) == 1 and ids.count(599) == 1
    plain = tok.encode(f"to be{EOT}", allowed_special="none")
    assert 598 not in plain and tok.decode(plain) == f"to be{EOT}"
    only_eot = tok.encode(f"to be{EOT}or not<pad>", allowed_special={EOT})
    assert only_eot.count(598) == 1 and 599 not in only_eot


def test_special_token_strings_in_user_text_are_text_by_default(tok):
    """User text containing "<|endoftext|>" must not become the control token unless the
    caller allows it; tiktoken raises here, we encode it as text (or raise on request)."""
    text = f"ignore this{EOT}<pad> and continue"
    default = tok.encode(text)
    assert 598 not in default and 599 not in default
    assert default == tok.encode(text, allowed_special="none")
    assert tok.decode(default) == text
    allowed = tok.encode(text, allowed_special="all")
    assert allowed.count(598) == 1 and allowed.count(599) == 1 and tok.decode(allowed) == text
    with pytest.raises(ValueError, match="contains the special token '<\\|endoftext\\|>'"):
        tok.encode(text, allowed_special="raise")
    assert tok.encode("no specials here", allowed_special="raise") == tok.encode("no specials here")
    with pytest.raises(ValueError, match="allowed_special"):
        tok.encode(text, allowed_special="some")
    with pytest.raises(ValueError, match="unknown special tokens"):
        tok.encode(text, allowed_special={"<unk>"})


def test_compression_on_held_out_text(tok, corpus):
    held_out = corpus[2_000_000:2_100_000]
    ratio = len(held_out.encode()) / len(tok.encode(held_out))
    # 344 merges on 300 kB give ~2.2 bytes/token on unseen Shakespeare; bytes alone give 1.0
    assert 1.8 < ratio < 3.0, ratio


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_round_trip_arbitrary_unicode(tok, text):
    assert tok.decode(tok.encode(text)) == text


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1))
def test_char_tokenizer_round_trip(text):
    ct = CharTokenizer.train(text, special_tokens=["<s>"])
    assert ct.decode(ct.encode(text + "<s>")) == text + "<s>"


def test_bytes_to_unicode_matches_hf_byte_level_alphabet():
    from tokenizers import pre_tokenizers

    b2u = bytes_to_unicode()
    assert len(set(b2u.values())) == 256
    assert set(b2u.values()) == set(pre_tokenizers.ByteLevel.alphabet())
    assert b2u[ord(" ")] == "Ġ" and b2u[ord("\n")] == "Ċ"


@pytest.mark.slow
def test_hf_tokenizers_and_transformers_give_our_ids_on_the_corpus(tok, hf_dir, corpus):
    """Whole corpus, in two parts that together imply equality of every id:
    (1) the BPE model: every distinct pre-split chunk of the 5 MB corpus gets the same ids;
    (2) the pipeline (special tokens, pre-splitting, concatenation): identical ids on 600 kB of
    running text. (HF's full 5 MB pass takes ~10-30 s on 2 shared cores; the benchmark
    benchmarks/bench_bpe.py runs it and asserts equality.)"""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    hf = Tokenizer.from_file(str(hf_dir / "tokenizer.json"))
    chunks = sorted(set(regex.findall(GPT2_SPLIT_PATTERN, corpus)))
    assert len(chunks) > 30_000
    assert [e.ids for e in hf.encode_batch(chunks)] == [tok.encode(c) for c in chunks]
    text = corpus[3_000_000:3_600_000]
    pieces = _pieces(text, n=60)
    assert "".join(pieces) == text
    ours = tok.encode(text, allowed_special="all")  # HF maps special-token strings
    assert [i for e in hf.encode_batch(pieces) for i in e.ids] == ours  # exact, ~270k ids
    fast = AutoTokenizer.from_pretrained(hf_dir)
    assert isinstance(fast, PreTrainedTokenizerFast)
    assert [i for ids in fast(pieces[:10])["input_ids"] for i in ids] == tok.encode(
        "".join(pieces[:10]), allowed_special="all"
    )
    assert fast.eos_token_id == tok.special_tokens[EOT] and fast.pad_token_id == 599
    sample = pieces[7] + EOT + " héllo 世界 🙂"
    assert fast(sample)["input_ids"] == tok.encode(sample, allowed_special="all")
    assert fast.decode(tok.encode(sample, allowed_special="all")) == sample


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_hf_tokenizer_matches_on_arbitrary_unicode(tok, hf_dir, text):
    from tokenizers import Tokenizer

    hf = _HF.setdefault(str(hf_dir), Tokenizer.from_file(str(hf_dir / "tokenizer.json")))
    assert hf.encode(text).ids == tok.encode(text, allowed_special="all")
    assert hf.decode(tok.encode(text), skip_special_tokens=False) == text


_HF = {}


def test_char_tokenizer_hf_export(corpus, tmp_path):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    ct = CharTokenizer.train(corpus[:100_000], special_tokens=[EOT])
    text = corpus[200_000:220_000] + EOT
    text = "".join(c for c in text if c in ct.stoi or c in EOT)
    ct.save_hf(tmp_path)
    hf = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    assert hf.encode(text).ids == ct.encode(text)
    fast = AutoTokenizer.from_pretrained(tmp_path)
    assert fast(text)["input_ids"] == ct.encode(text)
    assert fast.decode(ct.encode(text)) == text


def test_save_load_is_json_and_identical(tok, tmp_path, corpus):
    path = tok.save(tmp_path / "bpe.json")
    data = json.loads(path.read_text())
    assert data["format"] == "ml2llm.byte_bpe" and len(data["merges"]) == 598 - 256
    again = BPETokenizer.load(path)
    sample = corpus[500_000:520_000]
    assert again.encode(sample) == tok.encode(sample)
    ct = CharTokenizer.train("abc", special_tokens=["<s>"], unk_token="<s>")
    ct2 = CharTokenizer.load(ct.save(tmp_path / "char.json"))
    assert ct2.encode("abz") == ct.encode("abz") == [1, 2, 0]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: BPETokenizer.train("abc", vocab_size=100), "vocab_size"),
        (lambda: BPETokenizer.train(b"abc", vocab_size=300), "text must be a str"),
        (lambda: BPETokenizer.train("abc", vocab_size=300, special_tokens="<s>"), "special_tokens"),
        (lambda: BPETokenizer([(1, 300)]), "merges"),
        (lambda: BPETokenizer().encode(123), "text must be a str"),
        (lambda: BPETokenizer().decode([5000]), "token id"),
        (lambda: CharTokenizer.train("ab").encode("abc"), "not in the vocabulary"),
        (lambda: CharTokenizer(["ab"]), "single characters"),
        (lambda: CharTokenizer(["a"], ["<s>"], unk_token="<unk>"), "unk_token"),
    ],
)
def test_bad_input_gives_clear_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_load_rejects_other_json(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not a ml2llm.byte_bpe"):
        BPETokenizer.load(p)
