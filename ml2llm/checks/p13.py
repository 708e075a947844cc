"""Checks for Project 13 — tokenization (UTF-8 bytes, pair counts, merging, BPE training,
encoding by merge rank, chat-template overhead). References are in :mod:`ml2llm.nlp.bpe` and
:mod:`ml2llm.nlp.chat_template`."""

from __future__ import annotations

from collections import Counter

from ml2llm.checks import Case, Check, Mismatch, Mistake, register
from ml2llm.nlp import bpe as ref
from ml2llm.nlp import chat_template as chat_ref


def _same_list(expected, got):
    if not isinstance(got, (list, tuple)):
        raise Mismatch(f"expected a list, got {type(got).__name__}")
    got = [tuple(g) if isinstance(g, (list, tuple)) else g for g in got]
    exp = [tuple(e) if isinstance(e, (list, tuple)) else e for e in expected]
    if len(got) != len(exp):
        raise Mismatch(f"expected {len(exp)} items, got {len(got)}")
    for k, (e, g) in enumerate(zip(exp, got)):
        if e != g:
            raise Mismatch(f"item {k} differs: expected {e}, got {g}")


def _same_dict(expected, got):
    if not isinstance(got, dict):
        raise Mismatch(f"expected a dict, got {type(got).__name__}")
    got = {tuple(k): v for k, v in got.items() if v}
    missing, extra = set(expected) - set(got), set(got) - set(expected)
    if missing:
        raise Mismatch(f"missing pair(s) {sorted(missing)[:3]}")
    if extra:
        raise Mismatch(f"unexpected pair(s) {sorted(extra)[:3]}")
    for k in expected:
        if expected[k] != got[k]:
            raise Mismatch(f"count of {k}: expected {expected[k]}, got {got[k]}")


# ----------------------------------------------------------------- 13.1 utf-8 bytes
register(
    Check(
        "p13.utf8_bytes",
        reference=ref.utf8_bytes,
        cases=[
            Case(("hi!",)),
            Case(("",), hint="the empty string has no bytes: return []."),
            Case(("世界",)),
            Case(("héllo",), hint="é is one character but two UTF-8 bytes (195, 169)."),
            Case(("a 🙂\n",)),
        ],
        compare=_same_list,
        hint="list(text.encode('utf-8')) gives ints 0..255; every character takes 1 to 4 bytes.",
        mistakes=[
            Mistake(
                "ord",
                lambda t: [ord(c) for c in t],
                "ord(c) is the Unicode code point, not the bytes: encode to UTF-8 first.",
            ),
            Mistake(
                "latin-1",
                lambda t: list(t.encode("latin-1", errors="replace")),
                "use UTF-8, not Latin-1: Latin-1 cannot represent most characters.",
            ),
            Mistake(
                "utf-16",
                lambda t: list(t.encode("utf-16-le")),
                "use UTF-8: UTF-16 spends 2 bytes on every ASCII character.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 13.2 pair counts
def _pairs_cases():
    return [
        Case(({(1, 2, 3): 1},)),
        Case(({(1, 2, 1, 2): 1},), hint="a pair that occurs twice in one word counts twice."),
        Case(
            ({(104, 105): 3, (104, 97): 2, (105,): 7},),
            hint="weight each word's pairs by its frequency; a 1-byte word has no pair.",
        ),
        Case(({(97, 97, 97): 2, (97, 98): 5, (98, 97, 97): 1},)),
        Case(({},), hint="no words: no pairs, return {}."),
    ]


def _pairs_unweighted(word_counts):
    return ref.count_pairs({w: 1 for w in word_counts})


def _pairs_no_last(word_counts):
    out = Counter()
    for w, c in word_counts.items():
        for i in range(len(w) - 2):
            out[(w[i], w[i + 1])] += c
    return dict(out)


def _pairs_set(word_counts):
    out = Counter()
    for w, c in word_counts.items():
        for p in set(zip(w, w[1:])):
            out[p] += c
    return dict(out)


register(
    Check(
        "p13.count_pairs",
        reference=ref.count_pairs,
        cases=_pairs_cases,
        compare=_same_dict,
        hint="for each word, for each adjacent pair (w[i], w[i+1]), add the word's frequency.",
        mistakes=[
            Mistake(
                "unweighted",
                _pairs_unweighted,
                "multiply by the word's frequency: each unique chunk stands for many copies.",
            ),
            Mistake(
                "off by one",
                _pairs_no_last,
                "off by one: a word of length n has n − 1 pairs, the last one included.",
            ),
            Mistake(
                "set",
                _pairs_set,
                "count every occurrence of a pair inside a word, not once per word.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 13.3 merge a pair
def _merge_cases():
    return [
        Case(([1, 2, 3, 1, 2], (1, 2), 256)),
        Case(([1, 1, 1], (1, 1), 300), hint="'aaa' merges once, left to right: [300, 1]."),
        Case(([5, 6, 7], (6, 7), 256), hint="the pair at the very end must be merged too."),
        Case(([4, 4, 4, 4], (4, 4), 260)),
        Case(([1, 2], (2, 1), 256), hint="no occurrence: return the ids unchanged."),
        Case(([], (1, 2), 256)),
    ]


def _merge_overlap(ids, pair, new_id):  # forgot to skip the second id of a match
    out = []
    for i in range(len(ids) - 1):
        out.append(new_id if (ids[i], ids[i + 1]) == tuple(pair) else ids[i])
    return out + list(ids[-1:])


def _merge_no_last(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _merge_first(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == tuple(pair):
            return list(ids[:i]) + [new_id] + list(ids[i + 2 :])
    return list(ids)


register(
    Check(
        "p13.merge_pair",
        reference=ref.merge_pair,
        cases=_merge_cases,
        compare=_same_list,
        hint="scan left to right; on a match emit new_id and skip 2, else emit ids[i] and skip 1.",
        mistakes=[
            Mistake(
                "first only",
                _merge_first,
                "merge every occurrence of the pair, not only the first.",
            ),
            Mistake(
                "drops last",
                _merge_no_last,
                "off by one: your loop stops before the last id and drops it; keep it.",
            ),
            Mistake(
                "overlap",
                _merge_overlap,
                "after a merge, skip both ids (i += 2): the pair's second id must not be kept, "
                "and occurrences must not overlap.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 13.4 train BPE
def _train_cases():
    return [
        Case(({(1, 2, 3): 4, (5, 6): 3, (7, 8, 9): 1, (7, 8): 1}, 2)),
        Case(({(5, 6): 1, (6, 5): 1}, 1), hint="a tie: pick the smallest pair, here (5, 6)."),
        Case(
            ({(97, 98, 99, 100): 1, (98, 99): 4, (97, 98): 4, (120, 121, 122): 10}, 4),
            hint="after a merge, count the pairs again on the merged words.",
        ),
        Case(({(1, 1, 1, 1): 3, (1, 2): 1}, 3)),
        Case(({(7, 8): 2}, 5), hint="stop early when no pair is left."),
        Case(
            ({(1, 1, 1, 1, 1, 1, 1, 1): 2, (3, 1, 1): 1}, 4),
            hint="merge k creates the new id 256 + k; later merges pair those new ids.",
        ),
    ]


def _train_unweighted(word_counts, num_merges):
    return ref.train_bpe_naive({w: 1 for w in word_counts}, num_merges)


def _train_max_tie(word_counts, num_merges):
    words = dict(word_counts)
    merges = []
    for k in range(num_merges):
        counts = ref.count_pairs(words)
        if not counts:
            break
        pair = max(counts, key=lambda p: (counts[p], p))
        merges.append(pair)
        new = Counter()
        for w, c in words.items():
            new[tuple(ref.merge_pair(w, pair, 256 + k))] += c
        words = dict(new)
    return merges


def _train_no_update(word_counts, num_merges):
    counts = ref.count_pairs(word_counts)
    ranked = sorted(counts, key=lambda p: (-counts[p], p))
    return ranked[:num_merges]


def _train_id_off(word_counts, num_merges):
    words = dict(word_counts)
    merges = []
    for k in range(num_merges):
        counts = ref.count_pairs(words)
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        merges.append(pair)
        new = Counter()
        for w, c in words.items():
            new[tuple(ref.merge_pair(w, pair, 255 + k))] += c
        words = dict(new)
    return merges


register(
    Check(
        "p13.train_bpe",
        reference=ref.train_bpe_naive,
        cases=_train_cases,
        compare=_same_list,
        hint="repeat: count pairs, take the most frequent (ties: smallest pair), merge it into id "
        "256 + k in every word.",
        mistakes=[
            Mistake(
                "unweighted", _train_unweighted, "weight the pair counts by the word frequencies."
            ),
            Mistake(
                "no recount",
                _train_no_update,
                "merge, then recount: later merges can use the tokens earlier merges created.",
            ),
            Mistake(
                "tie", _train_max_tie, "break ties by the smallest pair (min), not the largest."
            ),
            Mistake(
                "id off by one",
                _train_id_off,
                "merge k creates id 256 + k (the first merge is 256).",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 13.5 encode a chunk
def _encode_cases():
    merges = [(104, 101), (256, 108), (108, 111), (257, 111)]  # he, hel, lo, helo
    return [
        Case(
            ([104, 101, 108, 108, 111], merges), label="'hello' with merges he, (he)l, lo, (hel)o"
        ),
        Case(
            ([1, 1, 1, 1], [(1, 1), (256, 256)]), label="[1, 1, 1, 1] with merges (1,1), (256,256)"
        ),
        Case(
            ([3, 4, 5], [(4, 5), (3, 4)]),
            hint="apply merges by rank: (4, 5) was learned first, so it wins over (3, 4).",
        ),
        Case(([9, 9], []), hint="no merges: the ids are unchanged."),
        Case(
            ([1, 2, 1], [(1, 2)]),
            hint="the last id starts a merge pair but has no right neighbour: keep it as it is.",
        ),
        Case(
            ([2, 3, 2, 3, 4], [(2, 3), (256, 4), (256, 256)]),
            label="[2, 3, 2, 3, 4] with merges (2,3), (256,4), (256,256)",
        ),
    ]


def _encode_reversed(ids, merges):
    ids = list(ids)
    n = len(merges)
    for r in reversed(range(n)):
        ids = ref.merge_pair(ids, tuple(merges[r]), 256 + r)
    return ids


def _encode_once(ids, merges):
    ranks = {tuple(p): r for r, p in enumerate(merges)}
    pairs = [p for p in zip(ids, ids[1:]) if p in ranks]
    if not pairs:
        return list(ids)
    best = min(pairs, key=ranks.get)
    return ref.merge_pair(list(ids), best, 256 + ranks[best])


def _encode_leftmost(ids, merges):
    ranks = {tuple(p): r for r, p in enumerate(merges)}
    ids = list(ids)
    while True:
        pairs = [p for p in zip(ids, ids[1:]) if p in ranks]
        if not pairs:
            return ids
        ids = ref.merge_pair(ids, pairs[0], 256 + ranks[pairs[0]])


register(
    Check(
        "p13.encode_chunk",
        reference=ref.encode_chunk,
        cases=_encode_cases,
        compare=_same_list,
        hint="while some adjacent pair has a merge: merge the pair with the lowest rank (its id is "
        "256 + rank) everywhere.",
        mistakes=[
            Mistake(
                "reversed",
                _encode_reversed,
                "apply merges in the order they were learned (lowest rank first), not reversed.",
            ),
            Mistake(
                "once", _encode_once, "keep merging in a loop until no adjacent pair has a merge."
            ),
            Mistake(
                "leftmost",
                _encode_leftmost,
                "pick the pair with the lowest rank, not the leftmost mergeable pair.",
            ),
        ],
    )
)


# ----------------------------------------------------------------- 13.7 chat-template overhead
# Two small tokenizers with chat templates, built here so the check needs no model: one in
# SmolLM2's format (ChatML with a default system prompt, nothing added on encode) and one in
# Llama-3's habit (the template writes BOS, and encode adds BOS too).
_CHATML = (
    "{% for m in messages %}{% if loop.first and m['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
_BOS_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] + "
    "'<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)
_CHAT_CORPUS = (
    "The user asks a question and the assistant answers it in one short sentence. What is the "
    "capital of France? The capital of France is Paris. How many legs does a spider have? "
    "Eight. Write a haiku about tokens: bytes merge into words, words into a context window. "
)


def _chat_tokenizers():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|bos|>", "<|im_start|>", "<|im_end|>", "<|start_header_id|>"]
    specials += ["<|end_header_id|>", "<|eot_id|>"]
    toks = {}
    for name, template in (("chatml", _CHATML), ("bos", _BOS_TEMPLATE)):
        tk = Tokenizer(models.BPE())
        tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tk.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=320,
            special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tk.train_from_iterator([_CHAT_CORPUS * 5], trainer)
        if name == "bos":  # encode(text) adds BOS, like Llama 3's tokenizer
            bos = ("<|bos|>", tk.token_to_id("<|bos|>"))
            tk.post_processor = processors.TemplateProcessing(
                single="<|bos|> $A", special_tokens=[bos]
            )
        toks[name] = PreTrainedTokenizerFast(
            tokenizer_object=tk, bos_token="<|bos|>", chat_template=template
        )
    return toks


def _overhead_cases():
    toks = _chat_tokenizers()
    user = {"role": "user", "content": "What is the capital of France?"}
    reply = {"role": "assistant", "content": "The capital of France is Paris."}
    system = {"role": "system", "content": "Answer in one word."}
    again = {"role": "user", "content": "And of Italy?"}
    return [
        Case(
            (toks["chatml"], [user, reply]),
            label="ChatML tokenizer (default system prompt), user + assistant",
            hint="the template inserts a default system prompt when the first message is not "
            "one: it is part of what the template adds.",
        ),
        Case((toks["chatml"], [system, user]), label="ChatML tokenizer, system + user"),
        Case(
            (toks["bos"], [user]),
            label="tokenizer whose encode() adds BOS, one user message",
            hint="this tokenizer adds BOS on encode(); the rendered template already has one.",
        ),
        Case((toks["bos"], [user, reply, again]), label="BOS tokenizer, user + assistant + user"),
        Case((toks["chatml"], [{"role": "user", "content": "Hi"}]), label="ChatML, 'Hi' alone"),
    ]


def _same_count(expected, got):
    import operator

    if isinstance(got, bool) or got is None:
        raise Mismatch(f"expected an int number of tokens, got {got!r}")
    try:
        value = operator.index(got)
    except TypeError:
        raise Mismatch(
            f"expected an int number of tokens, got {type(got).__name__} {got!r}"
        ) from None
    if value != expected:
        raise Mismatch(f"expected {expected} tokens, got {value}")


def _render(tok, messages, gen=True):
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)


def _content(tok, messages, special=False):
    return sum(len(tok.encode(m["content"], add_special_tokens=special)) for m in messages)


def _overhead_no_gen(tok, messages):
    return len(tok.encode(_render(tok, messages, False), add_special_tokens=False)) - _content(
        tok, messages
    )


def _overhead_chars(tok, messages):
    return len(_render(tok, messages)) - sum(len(m["content"]) for m in messages)


def _overhead_double_bos(tok, messages):
    return len(tok(_render(tok, messages))["input_ids"]) - _content(tok, messages)


def _overhead_content_bos(tok, messages):
    rendered = len(tok.encode(_render(tok, messages), add_special_tokens=False))
    return rendered - _content(tok, messages, special=True)


def _overhead_total(tok, messages):
    return len(tok.encode(_render(tok, messages), add_special_tokens=False))


def _overhead_len_of_dict(tok, messages):  # the default return type in transformers >= 5
    out = tok.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)
    return len(out) - _content(tok, messages)


register(
    Check(
        "p13.template_overhead",
        reference=chat_ref.template_overhead,
        cases=_overhead_cases,
        compare=_same_count,
        hint="len(ids of the template rendered with add_generation_prompt=True, encoded with "
        "add_special_tokens=False) minus the tokens of each content encoded alone.",
        mistakes=[
            Mistake(
                "no generation prompt",
                _overhead_no_gen,
                "render with add_generation_prompt=True: a prompt for the next reply ends with "
                "the tokens that open the assistant's turn.",
            ),
            Mistake(
                "characters",
                _overhead_chars,
                "count tokens, not characters: encode the rendered text and the contents.",
            ),
            Mistake(
                "total",
                _overhead_total,
                "subtract the tokens of the message contents: the overhead is what the template "
                "adds to them.",
            ),
            Mistake(
                "double BOS",
                _overhead_double_bos,
                "encode the rendered template with add_special_tokens=False: it already wrote "
                "BOS, and tokenizer(text) adds a second one.",
            ),
            Mistake(
                "content with BOS",
                _overhead_content_bos,
                "encode each content with add_special_tokens=False: a content alone gets no BOS.",
            ),
            Mistake(
                "len of a dict",
                _overhead_len_of_dict,
                "apply_chat_template(..., tokenize=True) returns a dict (BatchEncoding) in "
                "transformers 5: its len() is the number of keys; count its ['input_ids'].",
            ),
        ],
    )
)


# ----------------------------------------------------------- 13.6 a BPETokenizer class
_TRAIN_TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\n"
    "Resolved. resolved.\n\nFirst Citizen:\nFirst, you know Caius Marcius is chief enemy to "
    "the people.\n\nAll:\nWe know't, we know't.\n\n"
)


def _class_cases():
    held_out = "Second Citizen:\nWould you proceed especially against Caius Marcius? We know't."
    return [
        Case(
            (_TRAIN_TEXT * 3, 300, held_out),
            label="train on 3 copies of a Coriolanus passage (vocab_size=300), encode a held-out line",
        ),
        Case(
            (_TRAIN_TEXT + "Café naïve — 世界 🙂 café!\n" * 4, 280, "A naïve café in 世界 🙂?"),
            label="training text with accents, CJK and emoji (vocab_size=280), held-out Unicode",
        ),
    ]


def _tokenizer_outputs(tok, held_out):
    ids = [int(i) for i in tok.encode(held_out)]
    return {
        "merges": [tuple(int(x) for x in m) for m in tok.merges],
        "ids": ids,
        "decoded": tok.decode(ids),
    }


def _run_class(cls, case):
    text, vocab_size, held_out = case.args
    tok = cls()
    out = tok.train(text, vocab_size)
    return _tokenizer_outputs(out if out is not None else tok, held_out)


class _HFReference:
    """Merges from the reference trainer; ``encode``/``decode`` by Hugging Face ``tokenizers``
    on ``tokenizer.json`` built from them (an independent implementation of byte-level BPE)."""

    def train(self, text, vocab_size):
        import json

        from tokenizers import Tokenizer

        lib = ref.BPETokenizer.train(text, vocab_size)
        self.merges = lib.merges
        self._hf = Tokenizer.from_str(json.dumps(lib.to_hf_json()))
        return self

    def encode(self, text):
        return self._hf.encode(text).ids

    def decode(self, ids):
        return self._hf.decode(ids)


def _wrong_class(pre_split=True, order="rank", decode_each=False):
    """A tokenizer class with one thing wrong (for the mistake catalogue)."""

    class Wrong:
        def train(self, text, vocab_size):
            import regex

            chunks = regex.findall(ref.GPT2_SPLIT_PATTERN, text) if pre_split else [text]
            words = Counter(tuple(c.encode("utf-8")) for c in chunks)
            self.merges = ref.train_bpe_naive(dict(words), vocab_size - 256)
            return self

        def _encode_chunk(self, ids):
            if order == "rank":
                return ref.encode_chunk(ids, self.merges)
            for k in reversed(range(len(self.merges))):  # the latest merge first: out of order
                ids = ref.merge_pair(ids, self.merges[k], 256 + k)
            return ids

        def encode(self, text):
            import regex

            chunks = regex.findall(ref.GPT2_SPLIT_PATTERN, text) if pre_split else [text]
            return [i for c in chunks for i in self._encode_chunk(list(c.encode("utf-8")))]

        def decode(self, ids):
            vocab = {i: bytes([i]) for i in range(256)}
            for k, (a, b) in enumerate(self.merges):
                vocab[256 + k] = vocab[a] + vocab[b]
            if decode_each:
                return "".join(vocab[i].decode("utf-8", errors="replace") for i in ids)
            return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")

    return Wrong


register(
    Check(
        "p13.bpe_tokenizer",
        reference=_HFReference,
        cases=_class_cases,
        call=_run_class,
        check_mutation=False,
        hint="train: pre-split with GPT2_SPLIT_PATTERN, count the chunks' UTF-8 bytes, "
        "train_bpe(vocab_size - 256 merges); encode: pre-split, then encode_chunk on each chunk; "
        "decode: join the tokens' bytes, then decode UTF-8 once.",
        mistakes=[
            Mistake(
                "no pre-split",
                _wrong_class(pre_split=False),
                "pre-split the text with the GPT-2 regex before counting pairs and before "
                "encoding: merges never cross a chunk boundary.",
            ),
            Mistake(
                "merges out of order",
                _wrong_class(order="reversed"),
                "merges applied out of order: always merge the pair with the LOWEST rank "
                "(the earliest learned) first, as encode_chunk does.",
            ),
            Mistake(
                "decode token by token",
                _wrong_class(decode_each=True),
                "decode token by token breaks multi-byte characters: join all the bytes, "
                "then .decode('utf-8') once.",
            ),
        ],
    )
)
