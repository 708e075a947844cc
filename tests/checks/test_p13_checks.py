"""Project 13 checks pass correct code and catch typical wrong code with the right hint."""

from collections import Counter

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def utf8_bytes(text):
    return [b for b in bytearray(text, "utf-8")]


def count_pairs(word_counts):
    c = Counter()
    for w, f in word_counts.items():
        for i in range(len(w) - 1):
            c[w[i], w[i + 1]] += f
    return dict(c)


def merge_pair_stack(ids, pair, new_id):
    out, skip = [], False
    for i, t in enumerate(ids):
        if skip:
            skip = False
            continue
        if i + 1 < len(ids) and t == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            skip = True
        else:
            out.append(t)
    return out


def train_bpe(word_counts, num_merges):
    words = [(list(w), f) for w, f in word_counts.items()]
    merges = []
    for k in range(num_merges):
        c = Counter()
        for w, f in words:
            for p in zip(w, w[1:]):
                c[p] += f
        if not c:
            break
        top = max(c.values())
        pair = sorted(p for p, v in c.items() if v == top)[0]
        merges.append(pair)
        words = [(merge_pair_stack(w, pair, 256 + k), f) for w, f in words]
    return merges


def encode_chunk(ids, merges):
    rank = {tuple(m): r for r, m in enumerate(merges)}
    ids = list(ids)
    while True:
        cands = [(rank[p], p) for p in zip(ids, ids[1:]) if p in rank]
        if not cands:
            return ids
        r, p = min(cands)
        ids = merge_pair_stack(ids, p, 256 + r)


def template_overhead(tokenizer, messages):
    # tokenize=True returns a dict in transformers >= 5 and a list before
    out = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
    ids = out["input_ids"] if isinstance(out, dict) or hasattr(out, "keys") else out
    return len(ids) - sum(len(tokenizer.tokenize(m["content"])) for m in messages)


REFERENCES = {
    "p13.utf8_bytes": utf8_bytes,
    "p13.count_pairs": count_pairs,
    "p13.merge_pair": merge_pair_stack,
    "p13.train_bpe": train_bpe,
    "p13.encode_chunk": encode_chunk,
    "p13.template_overhead": template_overhead,
}


# --- typical mistakes ------------------------------------------------------------------
def bytes_ord(text):
    return [ord(c) for c in text]


def bytes_latin1(text):
    return list(text.encode("latin-1", errors="replace"))


def pairs_unweighted(word_counts):
    return count_pairs({w: 1 for w in word_counts})


def pairs_range_off_by_one(word_counts):
    c = Counter()
    for w, f in word_counts.items():
        for i in range(len(w) - 2):
            c[w[i], w[i + 1]] += f
    return dict(c)


def merge_overlapping(ids, pair, new_id):
    out = []
    for i in range(len(ids) - 1):
        out.append(new_id if (ids[i], ids[i + 1]) == tuple(pair) else ids[i])
    return out + list(ids[-1:])


def merge_loop_drops_last(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:
        if ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_first_only(ids, pair, new_id):
    ids = list(ids)
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == tuple(pair):
            return ids[:i] + [new_id] + ids[i + 2 :]
    return ids


def train_unweighted(word_counts, num_merges):
    return train_bpe({w: 1 for w in word_counts}, num_merges)


def train_without_recount(word_counts, num_merges):
    c = count_pairs(word_counts)
    return sorted(c, key=lambda p: (-c[p], p))[:num_merges]


def train_ids_from_255(word_counts, num_merges):
    words = [(list(w), f) for w, f in word_counts.items()]
    merges = []
    for k in range(num_merges):
        c = Counter()
        for w, f in words:
            for p in zip(w, w[1:]):
                c[p] += f
        if not c:
            break
        pair = min(c, key=lambda p: (-c[p], p))
        merges.append(pair)
        words = [(merge_pair_stack(w, pair, 255 + k), f) for w, f in words]
    return merges


def encode_reversed(ids, merges):
    ids = list(ids)
    for r in range(len(merges) - 1, -1, -1):
        ids = merge_pair_stack(ids, tuple(merges[r]), 256 + r)
    return ids


def encode_single_step(ids, merges):
    rank = {tuple(m): r for r, m in enumerate(merges)}
    cands = [(rank[p], p) for p in zip(ids, ids[1:]) if p in rank]
    if not cands:
        return list(ids)
    r, p = min(cands)
    return merge_pair_stack(list(ids), p, 256 + r)


def encode_leftmost_pair(ids, merges):
    rank = {tuple(m): r for r, m in enumerate(merges)}
    ids = list(ids)
    while True:
        cands = [p for p in zip(ids, ids[1:]) if p in rank]
        if not cands:
            return ids
        ids = merge_pair_stack(ids, cands[0], 256 + rank[cands[0]])


def _rendered(tokenizer, messages, gen=True):
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)


def overhead_without_generation_prompt(tokenizer, messages):
    n = len(tokenizer(_rendered(tokenizer, messages, False), add_special_tokens=False).input_ids)
    return n - sum(len(tokenizer.tokenize(m["content"])) for m in messages)


def overhead_in_characters(tokenizer, messages):
    return len(_rendered(tokenizer, messages)) - len("".join(m["content"] for m in messages))


def overhead_bos_twice(tokenizer, messages):
    n = len(tokenizer(_rendered(tokenizer, messages)).input_ids)  # adds a second BOS
    return n - sum(len(tokenizer.tokenize(m["content"])) for m in messages)


def overhead_contents_with_bos(tokenizer, messages):
    n = len(tokenizer(_rendered(tokenizer, messages), add_special_tokens=False).input_ids)
    return n - sum(len(tokenizer(m["content"]).input_ids) for m in messages)


def overhead_len_of_batch_encoding(tokenizer, messages):
    # what transformers >= 5 returns by default; asked for explicitly, as 4.x returns a list
    out = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)
    return len(out) - sum(len(tokenizer.tokenize(m["content"])) for m in messages)


def overhead_is_total(tokenizer, messages):
    return len(tokenizer(_rendered(tokenizer, messages), add_special_tokens=False).input_ids)


MISTAKES = {
    "p13.utf8_bytes": [(bytes_ord, "code point"), (bytes_latin1, "latin-1")],
    "p13.count_pairs": [(pairs_unweighted, "frequency"), (pairs_range_off_by_one, "off by one")],
    "p13.merge_pair": [
        (merge_overlapping, "skip both ids"),
        (merge_loop_drops_last, "drops it"),
        (merge_first_only, "every occurrence"),
    ],
    "p13.train_bpe": [
        (train_unweighted, "word frequencies"),
        (train_without_recount, "recount"),
        (train_ids_from_255, "256 + k"),
    ],
    "p13.encode_chunk": [
        (encode_reversed, "not reversed"),
        (encode_single_step, "in a loop"),
        (encode_leftmost_pair, "lowest rank"),
    ],
    "p13.template_overhead": [
        (overhead_without_generation_prompt, "add_generation_prompt=True"),
        (overhead_in_characters, "not characters"),
        (overhead_bos_twice, "second one"),
        (overhead_contents_with_bos, "a content alone gets no BOS"),
        (overhead_is_total, "subtract"),
        (overhead_len_of_batch_encoding, "number of keys"),
    ],
}


# --- a whole tokenizer class (p13.bpe_tokenizer), written independently -----------------
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


class BPE:
    def __init__(self, pre_split=True, lowest_rank_first=True, decode_per_token=False):
        self.pre_split, self.lowest = pre_split, lowest_rank_first
        self.decode_per_token = decode_per_token

    def _chunks(self, text):
        import regex

        return regex.findall(GPT2_PATTERN, text) if self.pre_split else [text]

    def train(self, text, vocab_size):
        counts = Counter(tuple(c.encode("utf-8")) for c in self._chunks(text))
        self.merges = train_bpe(dict(counts), vocab_size - 256)
        self.vocab = {i: bytes([i]) for i in range(256)}
        for k, (a, b) in enumerate(self.merges):
            self.vocab[256 + k] = self.vocab[a] + self.vocab[b]

    def encode(self, text):
        if self.lowest:
            return [
                i for c in self._chunks(text) for i in encode_chunk(c.encode("utf-8"), self.merges)
            ]
        out = []
        for c in self._chunks(text):
            ids = list(c.encode("utf-8"))
            for k in reversed(range(len(self.merges))):  # latest merge first
                ids = merge_pair_stack(ids, self.merges[k], 256 + k)
            out += ids
        return out

    def decode(self, ids):
        if self.decode_per_token:
            return "".join(self.vocab[i].decode("utf-8", errors="replace") for i in ids)
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")


REFERENCES_CLASS = {"p13.bpe_tokenizer": BPE}
MISTAKES_CLASS = {
    "p13.bpe_tokenizer": [
        (lambda: BPE(pre_split=False), "pre-split"),
        (lambda: BPE(lowest_rank_first=False), "out of order"),
        (lambda: BPE(decode_per_token=True), "multi-byte"),
    ]
}


def test_library_tokenizer_also_passes():
    from ml2llm.nlp.bpe import BPETokenizer

    class Library:
        def train(self, text, vocab_size):
            return BPETokenizer.train(text, vocab_size)

    assert_passes("p13.bpe_tokenizer", Library)


REFERENCES.update(REFERENCES_CLASS)
MISTAKES.update(MISTAKES_CLASS)


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)


def test_template_overhead_accepts_numpy_and_torch_ints_and_rejects_floats():
    import numpy as np
    import torch

    from ml2llm.checks import get_check, run_check

    check = get_check("p13.template_overhead")
    assert run_check(check, lambda t, m: np.int64(template_overhead(t, m))).passed
    assert run_check(check, lambda t, m: torch.tensor(template_overhead(t, m))).passed
    result = run_check(check, lambda t, m: float(template_overhead(t, m)))
    assert not result.passed and "int number of tokens" in result.message
