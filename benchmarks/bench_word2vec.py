"""Skip-gram negative sampling: our NumPy trainer vs gensim ``Word2Vec`` (sg=1), side by side.

Same tokens (``ml2llm.nlp.word2vec.tokenize_lines`` on the offline Shakespeare corpus), same
dimension, window, negatives, sub-sampling threshold, min_count and epochs; gensim with
``workers=1`` (our trainer is single-threaded; keep ``OMP_NUM_THREADS=1`` for a fair run).
Prints the median time of each over ``--repeats`` runs, their ratio (goal: ours <= 3x gensim)
and the top-10 neighbour overlap on a fixed word list, next to the overlap between two gensim
seeds (the noise floor of the comparison).

Run: ``python benchmarks/bench_word2vec.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ml2llm.data.shakespeare import load_corpus
from ml2llm.nlp.word2vec import SkipGramNS, tokenize_lines

WORDS = [
    "king",
    "queen",
    "love",
    "death",
    "night",
    "sword",
    "father",
    "god",
    "heaven",
    "lord",
    "blood",
    "eyes",
    "heart",
    "war",
    "sea",
    "gold",
    "fair",
    "sleep",
    "crown",
    "daughter",
]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 MB slice, 50 dims, 2 epochs, 1 repeat")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=None)
    args = ap.parse_args(argv)
    from gensim.models import Word2Vec

    text = load_corpus()
    if args.quick:
        text = text[:1_000_000]
    sentences = tokenize_lines(text)
    kw = dict(
        vector_size=50 if args.quick else 100,
        window=5,
        negative=5,
        sample=1e-3,
        min_count=5,
        epochs=args.epochs or (2 if args.quick else 5),
    )
    repeats = args.repeats or (1 if args.quick else 3)
    n_tokens = sum(map(len, sentences))
    print(
        f"{n_tokens:,} tokens, {len(sentences):,} lines; {kw}; {repeats} repeat(s); cpus={os.cpu_count()}"
    )
    t_ours, t_gensim, ours, gensim = [], [], None, None
    for r in range(repeats):
        t = time.perf_counter()
        ours = SkipGramNS(**kw, random_state=r).fit(sentences)
        t_ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        gensim = Word2Vec(sentences, sg=1, hs=0, workers=1, seed=r, **kw)
        t_gensim.append(time.perf_counter() - t)
        print(f"  run {r}: ours {t_ours[-1]:.1f} s, gensim {t_gensim[-1]:.1f} s")
    gensim2 = Word2Vec(sentences, sg=1, hs=0, workers=1, seed=1000, **kw)
    words = [w for w in WORDS if w in ours.index_ and w in gensim.wv.key_to_index]

    def top(w, model):
        if isinstance(model, SkipGramNS):
            return {x for x, _ in model.most_similar(w, 10)}
        return {x for x, _ in model.wv.most_similar(w, topn=10)}

    ov = np.mean([len(top(w, ours) & top(w, gensim)) / 10 for w in words])
    ov_gg = np.mean([len(top(w, gensim) & top(w, gensim2)) / 10 for w in words])
    ratio = statistics.median(t_ours) / statistics.median(t_gensim)
    print(
        f"median time: ours {statistics.median(t_ours):.1f} s | gensim {statistics.median(t_gensim):.1f} s | "
        f"ratio ours/gensim = {ratio:.2f}x (goal <= 3x)"
    )
    print(
        f"top-10 neighbour overlap on {len(words)} words: ours vs gensim {ov:.2f} | gensim vs gensim (other seed) {ov_gg:.2f}"
    )
    return {"ratio": ratio, "overlap": float(ov), "overlap_gensim_gensim": float(ov_gg)}


if __name__ == "__main__":
    main()
