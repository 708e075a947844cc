"""BPE training and encoding speed: ours vs Hugging Face ``tokenizers`` vs a naive trainer.

Side by side in one process, on the offline Shakespeare corpus (``ml2llm.data.shakespeare``):

1. training to ``--vocab-size`` (default 4096) on the whole corpus: our incremental trainer
   (:meth:`ml2llm.nlp.BPETokenizer.train`) vs HF ``BpeTrainer`` with a ByteLevel
   pre-tokenizer and the same vocabulary size (goal: ours <= 10x HF's time);
2. on a corpus slice: our trainer vs a naive trainer written here that recounts every pair
   before every merge (goal: ours >= 20x faster), with identical merges asserted;
3. encoding throughput (MB/s) of the trained tokenizers on the whole corpus.

Each timing is the median of ``--repeats`` runs. ``--quick`` uses a 500 kB slice and fewer
merges. Run: ``python benchmarks/bench_bpe.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ml2llm.data.shakespeare import load_corpus
from ml2llm.nlp import BPETokenizer
from ml2llm.nlp.bpe import _fast_merges


def naive_train(word_counts: dict, num_merges: int) -> list[tuple[int, int]]:
    """Recount all pairs over all chunks before each merge (what the fast trainer avoids)."""
    words = {tuple(w): c for w, c in word_counts.items()}
    merges = []
    for k in range(num_merges):
        counts: Counter = Counter()
        for w, c in words.items():
            for p in zip(w, w[1:]):
                counts[p] += c
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        merges.append(pair)
        new_words: Counter = Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == pair[0] and w[i + 1] == pair[1]:
                    out.append(256 + k)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new_words[tuple(out)] += c
        words = dict(new_words)
    return merges


def hf_train(text: str, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
        special_tokens=["<|endoftext|>"],
    )
    tok.train_from_iterator([text], trainer=trainer)
    return tok


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="500 kB slice, vocab 1024, 1 repeat")
    ap.add_argument("--vocab-size", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument(
        "--naive-chars", type=int, default=None, help="slice size for the naive trainer"
    )
    ap.add_argument("--naive-merges", type=int, default=None)
    args = ap.parse_args(argv)
    text = load_corpus()
    if args.quick:
        text = text[:500_000]
    vocab = args.vocab_size or (1024 if args.quick else 4096)
    repeats = args.repeats or (1 if args.quick else 3)
    naive_chars = args.naive_chars or (100_000 if args.quick else 300_000)
    naive_merges = args.naive_merges or (50 if args.quick else 200)
    mb = len(text.encode("utf-8")) / 1e6
    print(f"corpus: {mb:.2f} MB, vocab {vocab}, {repeats} repeat(s), cpus={os.cpu_count()}")

    t_ours, ours = timed(lambda: BPETokenizer.train(text, vocab, ["<|endoftext|>"]), repeats)
    t_hf, hf = timed(lambda: hf_train(text, vocab), repeats)
    print(
        f"train  ours {t_ours:7.2f} s | HF BpeTrainer {t_hf:6.2f} s | ratio ours/HF = {t_ours / t_hf:.1f}x (goal <= 10x)"
    )

    wc = BPETokenizer.chunk_counts(text[:naive_chars])
    t_naive, m_naive = timed(lambda: naive_train(wc, naive_merges), 1)
    t_fast, m_fast = timed(lambda: _fast_merges(wc, naive_merges), max(repeats, 3))
    assert m_naive == m_fast, "the fast trainer must learn exactly the naive trainer's merges"
    print(
        f"merges ({naive_merges} on {naive_chars / 1e3:.0f} kB, pre-split counted once): naive {t_naive:.2f} s | "
        f"incremental {t_fast:.3f} s | speed-up = {t_naive / t_fast:.0f}x (goal >= 20x)"
    )

    ours._cache.clear()
    t_enc, ids = timed(lambda: ours.encode(text), 1)
    t_enc_hf, enc = timed(lambda: hf.encode(text), 1)
    with tempfile.TemporaryDirectory() as tmp:
        from tokenizers import Tokenizer

        exported = Tokenizer.from_file(str(ours.save_hf(tmp) / "tokenizer.json"))
        same = exported.encode(text).ids == ids
    print(
        f"export: HF tokenizers with our tokenizer.json gives identical ids on the whole text: {same}"
    )
    assert same
    print(
        f"encode ours {mb / t_enc:.2f} MB/s | HF tokenizers {mb / t_enc_hf:.2f} MB/s "
        f"({len(ids) / len(text.encode()):.3f} tokens/byte ours, {len(enc.ids) / len(text.encode()):.3f} HF)"
    )
    return {
        "train_ratio": t_ours / t_hf,
        "naive_speedup": t_naive / t_fast,
        "encode_mb_s": mb / t_enc,
    }


if __name__ == "__main__":
    main()
