"""Character-level tokenizer: one id per distinct character of the training text.

Ids: special tokens first (``0..k-1``, in the order given), then the characters in sorted
order. Encoding an unseen character raises ``ValueError`` unless an ``unk_token`` was given
(then it maps to that id). Same API as :class:`~ml2llm.nlp.BPETokenizer`: ``encode``,
``decode``, ``vocab_size``, ``special_tokens``, ``save``/``load`` (JSON) and ``save_hf``
(a Hugging Face ``tokenizer.json`` with a BPE model that has no merges, so every character is
one token, and a ``Fuse`` decoder that joins them without spaces).

What it does not do: Unicode normalisation or grapheme clusters (an accented letter written
as two code points is two tokens).

>>> tok = CharTokenizer.train("hello world", special_tokens=["<eos>"])
>>> tok.encode("hello<eos>")
[4, 3, 5, 5, 6, 0]
>>> tok.decode(tok.encode("low"))
'low'
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import regex

from ml2llm.io import atomic_write_text
from ml2llm.nlp.hf_export import added_tokens_json

FORMAT = "ml2llm.char"

__all__ = ["CharTokenizer"]


class CharTokenizer:
    """One id per character. See the module docstring.

    Parameters
    ----------
    chars : iterable of str
        The alphabet (single characters, unique).
    special_tokens : sequence of str, optional
        Multi-character strings with their own ids (ids ``0..k-1``).
    unk_token : str, optional
        One of ``special_tokens``; unseen characters map to it instead of raising.
    """

    def __init__(self, chars: Iterable[str], special_tokens=None, unk_token: str | None = None):
        chars = list(chars)
        for c in chars:
            if not isinstance(c, str) or len(c) != 1:
                raise ValueError(f"chars must be single characters, got {c!r}")
        if len(set(chars)) != len(chars):
            raise ValueError("chars must be unique")
        specials = [] if special_tokens is None else list(special_tokens)
        if isinstance(special_tokens, str) or not all(isinstance(s, str) and s for s in specials):
            raise ValueError(
                f"special_tokens must be a list of non-empty strings, got {special_tokens!r}"
            )
        if len(set(specials)) != len(specials):
            raise ValueError("special_tokens must be unique")
        if unk_token is not None and unk_token not in specials:
            raise ValueError(f"unk_token={unk_token!r} must be one of special_tokens {specials}")
        self.chars = sorted(chars)
        self.special_tokens = {s: i for i, s in enumerate(specials)}
        self.unk_token = unk_token
        self.stoi = {c: len(specials) + i for i, c in enumerate(self.chars)}
        self.itos = {i: s for s, i in self.special_tokens.items()} | {
            i: c for c, i in self.stoi.items()
        }
        alternatives = sorted(specials, key=len, reverse=True)
        self._special_re = (
            regex.compile("(" + "|".join(map(regex.escape, alternatives)) + ")")
            if specials
            else None
        )

    @classmethod
    def train(cls, text: str, special_tokens=None, unk_token: str | None = None) -> CharTokenizer:
        """Alphabet = the distinct characters of ``text`` (special-token strings excluded)."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        specials = list(special_tokens or [])
        for s in specials:
            text = text.replace(s, "")
        return cls(set(text), specials, unk_token)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def _encode_plain(self, text: str) -> list[int]:
        stoi = self.stoi
        if self.unk_token is not None:
            unk = self.special_tokens[self.unk_token]
            return [stoi.get(c, unk) for c in text]
        try:
            return [stoi[c] for c in text]
        except KeyError as exc:
            raise ValueError(
                f"character {exc.args[0]!r} is not in the vocabulary (no unk_token)"
            ) from None

    def encode(self, text: str) -> list[int]:
        """Ids of ``text``; special-token strings map to their ids."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        if self._special_re is None:
            return self._encode_plain(text)
        out: list[int] = []
        for k, piece in enumerate(self._special_re.split(text)):
            out.extend([self.special_tokens[piece]] if k % 2 else self._encode_plain(piece))
        return out

    def decode(self, ids: Iterable[int]) -> str:
        try:
            return "".join(self.itos[int(i)] for i in ids)
        except KeyError as exc:
            raise ValueError(
                f"token id must be in [0, {self.vocab_size}), got {exc.args[0]}"
            ) from None

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": 1,
            "chars": self.chars,
            "special_tokens": list(self.special_tokens),
            "unk_token": self.unk_token,
        }

    def save(self, path) -> Path:
        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict(), ensure_ascii=False))
        return path

    @classmethod
    def load(cls, path) -> CharTokenizer:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{path} is not a {FORMAT} JSON file")
        return cls(data["chars"], data["special_tokens"], data["unk_token"])

    def to_hf_json(self) -> dict:
        vocab = {s: i for i, s in self.itos.items()}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added_tokens_json(self.special_tokens),
            "normalizer": None,
            "pre_tokenizer": None,
            "post_processor": None,
            "decoder": {"type": "Fuse"},
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": self.unk_token,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": vocab,
                "merges": [],
            },
        }

    def save_hf(self, directory, **roles) -> Path:
        """Write a Hugging Face tokenizer folder; see :func:`ml2llm.nlp.hf_export.write_hf_files`."""
        from ml2llm.nlp.hf_export import write_hf_files

        if self.unk_token is not None:
            roles.setdefault("unk_token", self.unk_token)
        return write_hf_files(directory, self.to_hf_json(), list(self.special_tokens), **roles)

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size}, special_tokens={list(self.special_tokens)})"
