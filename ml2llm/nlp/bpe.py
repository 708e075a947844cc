"""Byte-level byte-pair encoding (BPE), written from scratch, with a Hugging Face export.

How it works (GPT-2 style):

1. **Special tokens** (``"<|endoftext|>"`` …) get their own ids and are never split or
   merged. :meth:`BPETokenizer.encode` maps their strings to those ids only when asked
   (``allowed_special="all"``): by default they are plain text, so text from a user cannot
   smuggle in a control token.
2. **Pre-splitting**: a regex (:data:`GPT2_SPLIT_PATTERN`) cuts the rest into chunks (words
   with their leading space, numbers, punctuation runs, whitespace). Merges never cross a
   chunk boundary.
3. Each chunk becomes its **UTF-8 bytes**: ids ``0..255``. Any Unicode text is representable,
   so there is no unknown token.
4. **Training** repeatedly merges the most frequent adjacent pair of ids into a new id
   ``256, 257, …`` (ties: the smallest pair). It counts pairs once over the *de-duplicated*
   chunks (weighted by their frequency) and, after each merge, updates the counts only for
   the chunks that contained the merged pair, with a lazy max-heap to find the next best
   pair: O(affected chunks) per merge instead of a recount of the whole corpus.
5. **Encoding** a chunk applies the merges by rank: while some adjacent pair has a merge,
   merge the pair with the lowest rank (earliest learned), everywhere in the chunk.

Ids: bytes ``0..255``, then merges in learned order, then special tokens. The JSON file
written by :meth:`BPETokenizer.save` holds the pattern, the merges and the special tokens
(no pickle). :meth:`BPETokenizer.save_hf` writes ``tokenizer.json`` (+ ``tokenizer_config.json``
and ``special_tokens_map.json``) that ``tokenizers.Tokenizer.from_file`` and
``transformers.AutoTokenizer.from_pretrained`` load offline and that give exactly our ids.

What it does not do: Unicode normalisation, BPE-dropout, or a custom split pattern in the
Hugging Face export (the export relies on HF's ``ByteLevel`` pre-tokenizer, which is the GPT-2
pattern).

>>> tok = BPETokenizer.train("low lower lowest " * 20, vocab_size=262, special_tokens=["<|eos|>"])
>>> ids = tok.encode("lowest<|eos|>", allowed_special="all")
>>> ids[-1], tok.decode(ids)
(261, 'lowest<|eos|>')
>>> 261 in tok.encode("lowest<|eos|>")  # by default the string is text, not the control token
False
>>> tok.vocab_size, len(tok.merges), tok.special_tokens
(262, 5, {'<|eos|>': 261})
"""

from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import regex

from ml2llm.io import atomic_write_text
from ml2llm.nlp.hf_export import added_tokens_json

GPT2_SPLIT_PATTERN = (
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)
FORMAT = "ml2llm.byte_bpe"

__all__ = [
    "BPETokenizer",
    "GPT2_SPLIT_PATTERN",
    "bytes_to_unicode",
    "count_pairs",
    "encode_chunk",
    "merge_pair",
    "train_bpe_naive",
    "utf8_bytes",
]


# ----------------------------------------------------------------- the small pieces
def utf8_bytes(text: str) -> list[int]:
    """The UTF-8 bytes of ``text`` as a list of ints in ``0..255``."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return list(text.encode("utf-8"))


def count_pairs(word_counts: dict) -> dict:
    """Count adjacent id pairs over ``{tuple_of_ids: frequency}``, weighted by frequency."""
    counts: dict = defaultdict(int)
    for word, freq in word_counts.items():
        for pair in zip(word, word[1:]):
            counts[pair] += freq
    return dict(counts)


def merge_pair(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace each occurrence of ``pair`` in ``ids`` by ``new_id``, left to right, no overlap."""
    a, b = pair
    out, i, n = [], 0, len(ids)
    while i < n:
        if i < n - 1 and ids[i] == a and ids[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _best_pair(counts: dict) -> tuple[int, int]:
    """Most frequent pair; ties go to the smallest pair (a, b)."""
    return min(counts, key=lambda p: (-counts[p], p))


def train_bpe_naive(word_counts: dict, num_merges: int) -> list[tuple[int, int]]:
    """Reference trainer: recount every pair before every merge (slow, obviously correct).

    ``word_counts`` maps tuples of byte ids to frequencies. Returns the merges in order;
    merge ``k`` creates id ``256 + k``. Stops early when no pair is left.
    """
    words = {tuple(w): c for w, c in word_counts.items()}
    merges = []
    for k in range(num_merges):
        counts = count_pairs(words)
        if not counts:
            break
        pair = _best_pair(counts)
        merges.append(pair)
        new = Counter()
        for w, c in words.items():
            new[tuple(merge_pair(w, pair, 256 + k))] += c
        words = dict(new)
    return merges


def encode_chunk(ids: Sequence[int], merges: Sequence[tuple[int, int]]) -> list[int]:
    """Encode one pre-split chunk (its byte ids) by applying ``merges`` by rank.

    While an adjacent pair has a merge, merge the pair with the lowest rank everywhere.
    """
    ranks = {tuple(p): r for r, p in enumerate(merges)}
    return _encode_with_ranks(list(ids), ranks)


def _encode_with_ranks(ids: list[int], ranks: dict) -> list[int]:
    while len(ids) >= 2:
        best, best_rank = None, None
        for pair in zip(ids, ids[1:]):
            r = ranks.get(pair)
            if r is not None and (best_rank is None or r < best_rank):
                best, best_rank = pair, r
        if best is None:
            break
        ids = merge_pair(ids, best, 256 + best_rank)
    return ids


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from each byte to a printable Unicode character.

    Printable Latin-1 bytes map to themselves; the other 68 (controls, space, …) map to
    ``chr(256 + k)`` in byte order, so the space byte 32 becomes ``'Ġ'``. Hugging Face's
    ``ByteLevel`` pre-tokenizer uses the same map, which is what makes the export exact.
    """
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), 256)]
    mapping, extra = {}, 0
    for b in range(256):
        if b in keep:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


# ----------------------------------------------------------------- the fast trainer
def _fast_merges(word_counts: dict, num_merges: int, progress=None) -> list[tuple[int, int]]:
    words = [list(w) for w in word_counts]
    freqs = list(word_counts.values())
    counts: dict = defaultdict(int)
    where: dict = defaultdict(set)
    for i, (w, f) in enumerate(zip(words, freqs)):
        for pair in zip(w, w[1:]):
            counts[pair] += f
            where[pair].add(i)
    heap = [(-c, p) for p, c in counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[int, int]] = []
    while len(merges) < num_merges and heap:
        neg, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -neg or neg == 0:
            continue  # stale heap entry: the count changed since it was pushed
        new_id = 256 + len(merges)
        merges.append(pair)
        changed: dict = defaultdict(int)
        for i in where.pop(pair):
            w = words[i]
            if len(w) < 2:
                continue
            new_w = merge_pair(w, pair, new_id)
            if len(new_w) == len(w):
                continue  # stale index: this word no longer holds the pair
            f = freqs[i]
            for p in zip(w, w[1:]):
                changed[p] -= f
            for p in zip(new_w, new_w[1:]):
                changed[p] += f
                where[p].add(i)
            words[i] = new_w
        for p, d in changed.items():
            if d == 0:
                continue
            c = counts[p] + d
            if c > 0:
                counts[p] = c
                heapq.heappush(heap, (-c, p))
            else:
                counts.pop(p, None)
        counts.pop(pair, None)
        if progress is not None:
            progress(len(merges))
    return merges


# ----------------------------------------------------------------- the tokenizer
def _check_specials(special_tokens) -> list[str]:
    if special_tokens is None:
        return []
    if isinstance(special_tokens, str):
        raise ValueError("special_tokens must be a list of strings, got a single str")
    specials = list(special_tokens)
    for s in specials:
        if not isinstance(s, str) or not s:
            raise ValueError(f"special_tokens must be non-empty strings, got {s!r}")
    if len(set(specials)) != len(specials):
        raise ValueError(f"special_tokens must be unique, got {specials}")
    return specials


def _special_splitter(specials: Sequence[str]):
    if not specials:
        return None
    alternatives = sorted(specials, key=len, reverse=True)  # longest first: "<a><b>" vs "<a>"
    return regex.compile("(" + "|".join(regex.escape(s) for s in alternatives) + ")")


class BPETokenizer:
    """Byte-level BPE tokenizer (GPT-2 style). See the module docstring.

    Parameters
    ----------
    merges : sequence of (int, int)
        Learned merges in order; merge ``k`` creates id ``256 + k``.
    special_tokens : sequence of str, optional
        Strings that get their own ids after the merges and are never split.
    pattern : str
        Pre-splitting regex (``regex`` module syntax); default :data:`GPT2_SPLIT_PATTERN`.
    """

    def __init__(self, merges=(), special_tokens=None, pattern: str = GPT2_SPLIT_PATTERN):
        merges = [tuple(int(x) for x in m) for m in merges]
        for k, m in enumerate(merges):
            if len(m) != 2 or not all(0 <= x < 256 + k for x in m):
                raise ValueError(
                    f"merges[{k}] must be a pair of ids that exist before it (< {256 + k}), got {m}"
                )
        if not isinstance(pattern, str):
            raise ValueError(f"pattern must be a regex string, got {type(pattern).__name__}")
        self.merges = merges
        self.pattern = pattern
        self._split = regex.compile(pattern)
        self.special_tokens = {
            s: 256 + len(merges) + i for i, s in enumerate(_check_specials(special_tokens))
        }
        self._special_re = _special_splitter(list(self.special_tokens))
        self._ranks = {m: r for r, m in enumerate(merges)}
        self._vocab = [bytes([b]) for b in range(256)]
        for a, b in merges:
            self._vocab.append(self._vocab[a] + self._vocab[b])
        self._id_to_special = {i: s for s, i in self.special_tokens.items()}
        self._cache: dict[str, list[int]] = {}

    # -- training
    @classmethod
    def train(
        cls,
        text: str,
        vocab_size: int,
        special_tokens=None,
        pattern: str = GPT2_SPLIT_PATTERN,
        progress=None,
    ) -> BPETokenizer:
        """Learn merges on ``text`` until ``vocab_size`` (bytes + merges + specials) is reached.

        ``progress(n_merges_done)`` is called after each merge when given.
        """
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        specials = _check_specials(special_tokens)
        if (
            isinstance(vocab_size, bool)
            or not isinstance(vocab_size, int)
            or vocab_size < 256 + len(specials)
        ):
            raise ValueError(
                f"vocab_size must be an int >= 256 + number of special tokens "
                f"({256 + len(specials)}), got {vocab_size!r}"
            )
        word_counts = cls.chunk_counts(text, specials, pattern)
        merges = _fast_merges(word_counts, vocab_size - 256 - len(specials), progress)
        return cls(merges, specials, pattern)

    @staticmethod
    def chunk_counts(text: str, special_tokens=(), pattern: str = GPT2_SPLIT_PATTERN) -> dict:
        """``{tuple_of_byte_ids: count}`` of the de-duplicated pre-split chunks of ``text``."""
        splitter = _special_splitter(list(special_tokens or ()))
        pieces = splitter.split(text)[::2] if splitter else [text]
        compiled = regex.compile(pattern)
        counts: Counter = Counter()
        for piece in pieces:
            counts.update(compiled.findall(piece))
        return {tuple(chunk.encode("utf-8")): c for chunk, c in counts.items()}

    # -- encoding
    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes + merges + special tokens."""
        return 256 + len(self.merges) + len(self.special_tokens)

    def _encode_ordinary(self, text: str) -> list[int]:
        out: list[int] = []
        cache = self._cache
        for chunk in self._split.findall(text):
            ids = cache.get(chunk)
            if ids is None:
                ids = _encode_with_ranks(list(chunk.encode("utf-8")), self._ranks)
                if len(cache) < 200_000:
                    cache[chunk] = ids
            out.extend(ids)
        return out

    def encode(self, text: str, allowed_special="none") -> list[int]:
        """Token ids of ``text``.

        Special-token strings in ``text`` are plain text by default, so user input that
        contains ``"<|endoftext|>"`` can never inject a control token. ``allowed_special``:

        - ``"none"`` (default): encode them as ordinary text;
        - ``"all"``: map every special-token string to its id;
        - a set of names: map only those (the others stay text);
        - ``"raise"``: raise ``ValueError`` if ``text`` contains one.
        """
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        if isinstance(allowed_special, str):
            if allowed_special not in ("all", "none", "raise"):
                raise ValueError(
                    "allowed_special must be 'none', 'all', 'raise' or a set of special tokens, "
                    f"got {allowed_special!r}"
                )
            allowed = set(self.special_tokens) if allowed_special == "all" else set()
        else:
            allowed = set(allowed_special)
            unknown = allowed - set(self.special_tokens)
            if unknown:
                raise ValueError(
                    f"allowed_special names unknown special tokens {sorted(unknown)}; "
                    f"this tokenizer has {list(self.special_tokens)}"
                )
        if allowed_special == "raise" and self._special_re is not None:
            found = self._special_re.search(text)
            if found:
                raise ValueError(
                    f"text contains the special token {found.group()!r}; pass "
                    "allowed_special='all' to encode it as that token, or 'none' to encode it "
                    "as plain text"
                )
        if self._special_re is None or not allowed:
            return self._encode_ordinary(text)
        out: list[int] = []
        start = 0
        for found in self._special_re.finditer(text):
            if found.group() in allowed:
                if found.start() > start:
                    out.extend(self._encode_ordinary(text[start : found.start()]))
                out.append(self.special_tokens[found.group()])
                start = found.end()
        if start < len(text):
            out.extend(self._encode_ordinary(text[start:]))
        return out

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes of one token (a special token's UTF-8 text)."""
        if token_id in self._id_to_special:
            return self._id_to_special[token_id].encode("utf-8")
        if not 0 <= token_id < len(self._vocab):
            raise ValueError(f"token id must be in [0, {self.vocab_size}), got {token_id}")
        return self._vocab[token_id]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``; invalid UTF-8 (a multi-byte character cut in half) becomes U+FFFD."""
        return b"".join(self.token_bytes(int(i)) for i in ids).decode("utf-8", errors="replace")

    # -- persistence
    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": 1,
            "pattern": self.pattern,
            "merges": [list(m) for m in self.merges],
            "special_tokens": list(self.special_tokens),
        }

    def save(self, path) -> Path:
        """Write the tokenizer as JSON (pattern, merges, special tokens) and return the path."""
        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict()))
        return path

    @classmethod
    def load(cls, path) -> BPETokenizer:
        """Read a tokenizer written by :meth:`save`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{path} is not a {FORMAT} JSON file")
        return cls(data["merges"], data["special_tokens"], data["pattern"])

    def to_hf_json(self) -> dict:
        """The Hugging Face ``tokenizer.json`` content (ByteLevel pre-tokenizer + BPE model)."""
        if self.pattern != GPT2_SPLIT_PATTERN:
            raise ValueError("the Hugging Face export supports only GPT2_SPLIT_PATTERN")
        b2u = bytes_to_unicode()

        def as_text(token_id: int) -> str:
            return "".join(b2u[b] for b in self._vocab[token_id])

        vocab = {as_text(i): i for i in range(len(self._vocab))}
        if len(vocab) != len(self._vocab):
            raise ValueError("two merges produce the same token bytes; cannot export")
        byte_level = {
            "type": "ByteLevel",
            "add_prefix_space": False,
            "trim_offsets": True,
            "use_regex": True,
        }
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added_tokens_json(self.special_tokens),
            "normalizer": None,
            "pre_tokenizer": byte_level,
            "post_processor": None,
            "decoder": byte_level,
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": vocab,
                "merges": [[as_text(a), as_text(b)] for a, b in self.merges],
            },
        }

    def save_hf(self, directory, **roles) -> Path:
        """Write ``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json``.

        ``roles`` names special tokens by role (``eos_token="<|endoftext|>"``, ``bos_token``,
        ``pad_token``, ``unk_token``) and may set ``model_max_length``; by default the first
        special token is the ``eos_token``. See :func:`ml2llm.nlp.hf_export.write_hf_files`.
        """
        from ml2llm.nlp.hf_export import write_hf_files

        return write_hf_files(directory, self.to_hf_json(), list(self.special_tokens), **roles)

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, special_tokens={list(self.special_tokens)})"
