"""Natural-language building blocks written from scratch: tokenizers, attention, word2vec.

- :mod:`ml2llm.nlp.char_tokenizer` — :class:`CharTokenizer` (one id per character).
- :mod:`ml2llm.nlp.bpe` — :class:`BPETokenizer`, byte-level BPE with GPT-2 regex pre-splitting,
  special tokens, JSON save/load and export to Hugging Face ``tokenizer.json``.
- :mod:`ml2llm.nlp.attention` — scaled dot-product and multi-head attention in NumPy, forward
  and backward (Project 12.1).
- :mod:`ml2llm.nlp.word2vec` — skip-gram with negative sampling in NumPy (Project 12.25).

Both tokenizers share one API: ``encode(text) -> list[int]``, ``decode(ids) -> str``,
``vocab_size``, ``special_tokens``, ``save(path)`` / ``load(path)`` (JSON) and
``save_hf(directory)``.
"""

from ml2llm.nlp.bpe import BPETokenizer
from ml2llm.nlp.char_tokenizer import CharTokenizer

__all__ = ["BPETokenizer", "CharTokenizer"]
