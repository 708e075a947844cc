"""Tokenizer fertility: how many tokens a tokenizer spends on a text.

A tokenizer's **fertility** on a text is the number of tokens it produces per character; its
inverse, characters (or bytes) per token, is its compression. Both depend on the text: a
tokenizer whose merges were learned on Shakespeare compresses Shakespeare well and falls back
to single bytes on Python source or Chinese.

- :func:`fertility` counts the tokens, characters and UTF-8 bytes of one text under one
  tokenizer and returns a :class:`Fertility` with the three ratios.
- :func:`fertility_table` does it for every (text, tokenizer) pair.
- :func:`sample_texts` gathers held-out text that needs no network: Python source read from
  the standard library, modern English prose (Python's own help topics) and one sentence
  (Article 1 of the Universal Declaration of Human Rights) in several languages, so that the
  same meaning can be compared across scripts.

A tokenizer is anything with ``encode(text)``: the project's :class:`~ml2llm.nlp.BPETokenizer`
or :class:`~ml2llm.nlp.CharTokenizer`, a ``tokenizers.Tokenizer``, or a ``transformers``
tokenizer (encoded with ``add_special_tokens=False``, so a BOS token is not counted), or a
plain function ``text -> ids``.

What it does not do: tokens per *word* (a word is not defined the same way in every script),
or normalise the text before counting.

>>> f = fertility(lambda text: list(text.encode("utf-8")), "héllo")   # bytes as tokens
>>> f.n_tokens, f.n_chars, f.n_bytes, round(f.tokens_per_char, 2)
(6, 5, 6, 1.2)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["UDHR_ARTICLE_1", "Fertility", "encoder", "fertility", "fertility_table", "sample_texts"]

# Article 1 of the Universal Declaration of Human Rights (public domain): the same meaning
# in several scripts, so the token counts compare languages rather than contents.
UDHR_ARTICLE_1 = {
    "English": "All human beings are born free and equal in dignity and rights. They are endowed "
    "with reason and conscience and should act towards one another in a spirit of brotherhood.",
    "French": "Tous les êtres humains naissent libres et égaux en dignité et en droits. Ils sont "
    "doués de raison et de conscience et doivent agir les uns envers les autres dans un esprit "
    "de fraternité.",
    "German": "Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit "
    "Vernunft und Gewissen begabt und sollen einander im Geist der Brüderlichkeit begegnen.",
    "Spanish": "Todos los seres humanos nacen libres e iguales en dignidad y derechos y, dotados "
    "como están de razón y conciencia, deben comportarse fraternalmente los unos con los otros.",
    "Russian": "Все люди рождаются свободными и равными в своем достоинстве и правах. Они "
    "наделены разумом и совестью и должны поступать в отношении друг друга в духе братства.",
    "Arabic": "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق. وقد وهبوا عقلاً وضميرًا "
    "وعليهم أن يعامل بعضهم بعضًا بروح الإخاء.",
    "Hindi": "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता और समानता प्राप्त "
    "है। उन्हें बुद्धि और अन्तरात्मा की देन प्राप्त है और परस्पर उन्हें भाईचारे के भाव से बर्ताव करना "
    "चाहिए।",
    "Chinese": "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。",
    "Japanese": "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等で"
    "ある。人間は、理性と良心とを授けられており、互いに同胞の精神をもって行動しなければならない。",
    "Korean": "모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다. 인간은 천부적으로 "
    "이성과 양심을 부여받았으며 서로 형제애의 정신으로 행동하여야 한다.",
}


@dataclass(frozen=True)
class Fertility:
    """Token, character and UTF-8 byte counts of one text under one tokenizer."""

    n_tokens: int
    n_chars: int
    n_bytes: int

    @property
    def tokens_per_char(self) -> float:
        """Fertility: tokens spent per character (lower is better compression)."""
        return self.n_tokens / self.n_chars

    @property
    def chars_per_token(self) -> float:
        return self.n_chars / self.n_tokens

    @property
    def bytes_per_token(self) -> float:
        return self.n_bytes / self.n_tokens


def encoder(tokenizer) -> Callable[[str], list[int]]:
    """A function ``text -> ids`` for any supported tokenizer, without special tokens added."""
    if hasattr(tokenizer, "apply_chat_template") or hasattr(tokenizer, "convert_ids_to_tokens"):
        return lambda text: list(tokenizer.encode(text, add_special_tokens=False))
    if type(tokenizer).__module__.startswith("tokenizers"):
        return lambda text: list(tokenizer.encode(text, add_special_tokens=False).ids)
    if hasattr(tokenizer, "encode"):
        return lambda text: list(tokenizer.encode(text))
    if callable(tokenizer):
        return lambda text: list(tokenizer(text))
    raise TypeError(
        f"tokenizer must have an encode(text) method or be a function text -> ids, "
        f"got {type(tokenizer).__name__}"
    )


def fertility(tokenizer, text: str) -> Fertility:
    """Count the tokens ``tokenizer`` spends on ``text``; see :class:`Fertility` for the ratios."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text:
        raise ValueError("text must not be empty")
    ids = encoder(tokenizer)(text)
    if not ids:
        raise ValueError("the tokenizer returned no tokens for a non-empty text")
    return Fertility(len(ids), len(text), len(text.encode("utf-8")))


def fertility_table(tokenizers: Mapping, texts: Mapping[str, str]) -> list[dict]:
    """One row per text and tokenizer: ``{"text", "tokenizer", "tokens", "chars", "bytes",
    "tokens_per_char", "chars_per_token", "bytes_per_token"}``."""
    if not tokenizers or not texts:
        raise ValueError("tokenizers and texts must both be non-empty mappings name -> object")
    rows = []
    for text_name, text in texts.items():
        for tok_name, tok in tokenizers.items():
            f = fertility(tok, text)
            rows.append(
                {
                    "text": text_name,
                    "tokenizer": tok_name,
                    "tokens": f.n_tokens,
                    "chars": f.n_chars,
                    "bytes": f.n_bytes,
                    "tokens_per_char": f.tokens_per_char,
                    "chars_per_token": f.chars_per_token,
                    "bytes_per_token": f.bytes_per_token,
                }
            )
    return rows


def _python_source(n_chars: int) -> str:
    import textwrap  # a pure-Python standard-library module present in every install

    source = inspect.getsource(textwrap)  # from its first class on: code, not the licence header
    return source[source.index("class TextWrapper") :][:n_chars]


def _english_prose(n_chars: int) -> str:
    """Python's help topics (``pydoc_data``): modern technical English; module docstrings
    when a stripped-down Python ships without them."""
    try:
        from pydoc_data.topics import topics

        text = "\n\n".join(topics[k] for k in sorted(topics))
    except ImportError:  # pragma: no cover - depends on the Python build
        import argparse
        import logging
        import unittest

        text = "\n\n".join(m.__doc__ or "" for m in (argparse, logging, unittest))
    return text[:n_chars]


def sample_texts(n_chars: int = 20_000, languages: bool = True) -> dict[str, str]:
    """Offline held-out texts that are not Shakespeare.

    Returns ``{"modern English": ..., "Python code": ...}`` (each about ``n_chars``
    characters), then, with ``languages=True``, ``{"UDHR <language>": ...}``: the same
    sentence in each language of :data:`UDHR_ARTICLE_1`.
    """
    if isinstance(n_chars, bool) or not isinstance(n_chars, int) or n_chars < 1:
        raise ValueError(f"n_chars must be a positive int, got {n_chars!r}")
    texts = {"modern English": _english_prose(n_chars), "Python code": _python_source(n_chars)}
    if languages:
        texts.update({f"UDHR {lang}": s for lang, s in UDHR_ARTICLE_1.items()})
    return texts
