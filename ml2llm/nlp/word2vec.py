"""Skip-gram with negative sampling (word2vec), vectorised NumPy.

For each centre word $c$ and each context word $o$ within its window, and $K$ negative words
$n_k$ drawn from the unigram distribution raised to 0.75, minimise

.. math::

    \\ell = -\\log\\sigma(u_o^\\top v_c) - \\sum_{k=1}^{K} \\log\\sigma(-u_{n_k}^\\top v_c)

where $v$ are the input ("word") vectors and $u$ the output ("context") vectors.

Pieces (each also an exercise of Project 12.25):

- :func:`negative_distribution` — $P(w) \\propto \\mathrm{count}(w)^{0.75}$ and
  :class:`NegativeSampler`, word2vec's lookup table of word ids (O(1) per draw);
- :func:`keep_probability` — sub-sampling of frequent words (word2vec/gensim formula
  $p_\\text{keep} = (\\sqrt{f/t} + 1)\\,t/f$, clipped to 1, with $f$ the word's frequency);
- :func:`context_pairs` — (centre, context) pairs with a dynamic window: each position gets a
  window size $b \\sim U\\{1..\\text{window}\\}$, so near words are used more often;
- :func:`sgns_loss_and_grads` — loss and gradients for a minibatch of pairs;
- :func:`scatter_add` — the sparse update that handles repeated rows;
- :class:`SkipGramNS` — the trainer: minibatched SGD with a linearly decaying learning rate,
  plus ``most_similar`` and ``analogy`` probes.

What it does not do: CBOW, hierarchical softmax, phrases, or multi-threading (gensim does).

>>> sents = [["the", "king", "rules"], ["the", "queen", "rules"]] * 50
>>> m = SkipGramNS(vector_size=8, window=2, min_count=1, epochs=2, random_state=0).fit(sents)
>>> m.vectors_.shape
(4, 8)
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

__all__ = [
    "NegativeSampler",
    "SkipGramNS",
    "context_pairs",
    "keep_probability",
    "negative_distribution",
    "scatter_add",
    "sgns_loss_and_grads",
    "tokenize_lines",
]

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def tokenize_lines(text: str, min_tokens: int = 1) -> list[list[str]]:
    """Lower-cased word tokens per non-empty line (apostrophes kept inside words)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    lines = (_WORD.findall(line.lower()) for line in text.splitlines())
    return [ws for ws in lines if len(ws) >= min_tokens]


def negative_distribution(counts, power: float = 0.75):
    """Noise distribution for negative sampling: ``counts ** power``, normalised to sum 1."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 1 or counts.size == 0 or (counts < 0).any() or counts.sum() == 0:
        raise ValueError("counts must be a non-empty 1-D array of non-negative numbers, not all 0")
    w = counts**power
    return w / w.sum()


def keep_probability(counts, sample: float = 1e-3):
    """Probability of keeping each occurrence of a word: ``min(1, (sqrt(f/t) + 1) t/f)``.

    ``f = count / total`` is the word's frequency and ``t = sample``. Words rarer than about
    ``t`` are always kept; a word with frequency ``f >> t`` is kept with probability ~ sqrt(t/f).
    ``sample=0`` disables sub-sampling (all ones).
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 1 or (counts <= 0).any():
        raise ValueError("counts must be a 1-D array of positive numbers")
    if sample < 0:
        raise ValueError(f"sample must be >= 0, got {sample}")
    if sample == 0:
        return np.ones_like(counts)
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


class NegativeSampler:
    """Draws word ids from :func:`negative_distribution` with word2vec's lookup table.

    Word ``i`` fills about ``table_size * probs[i]`` consecutive slots of an int table (at
    least one slot each); a draw is a uniformly random slot: O(1) per sample.
    """

    def __init__(self, counts, power: float = 0.75, table_size: int = 1_000_000):
        self.probs = negative_distribution(counts, power)
        slots = np.maximum(1, np.round(self.probs * table_size)).astype(np.int64)
        self.table = np.repeat(np.arange(len(self.probs), dtype=np.int32), slots)

    def sample(self, size, rng):
        """Ids of shape ``size`` drawn i.i.d. with ``rng`` (a numpy Generator)."""
        return self.table[rng.integers(0, len(self.table), size=size)]


def context_pairs(ids, window_sizes):
    """All (centre, context) id pairs with a per-position window.

    Position ``i`` pairs with every position ``j != i`` with ``|i - j| <= window_sizes[i]`` that
    lies inside the sequence. Returns two int arrays ``(centres, contexts)`` ordered by centre
    position, then by context position.
    """
    ids, b = np.asarray(ids), np.asarray(window_sizes)
    if ids.ndim != 1 or b.shape != ids.shape:
        raise ValueError(
            f"ids and window_sizes must be 1-D of the same length, got {ids.shape} and {b.shape}"
        )
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=ids.dtype), np.zeros(0, dtype=ids.dtype)
    W = int(b.max()) if n else 0
    offsets = np.array([o for o in range(-W, W + 1) if o != 0], dtype=np.int64)
    pos = np.arange(n)[:, None]
    j = pos + offsets[None, :]
    valid = (j >= 0) & (j < n) & (np.abs(offsets)[None, :] <= b[:, None])
    i_idx = np.broadcast_to(pos, j.shape)[valid]
    return ids[i_idx], ids[j[valid]]


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sgns_loss_and_grads(v, u_pos, u_neg):
    """Summed SGNS loss and gradients for a minibatch.

    Parameters
    ----------
    v : (P, d) centre (input) vectors
    u_pos : (P, d) true-context (output) vectors
    u_neg : (P, K, d) negative (output) vectors

    Returns
    -------
    loss : float, ``Σ_p [−log σ(u_pos·v) − Σ_k log σ(−u_neg_k·v)]``
    (dv, du_pos, du_neg) : gradients of that loss, same shapes as the inputs.
    """
    s_pos = np.einsum("pd,pd->p", u_pos, v)
    s_neg = np.einsum("pkd,pd->pk", u_neg, v)
    loss = -(_log_sigmoid(s_pos).sum() + _log_sigmoid(-s_neg).sum())
    g_pos = _sigmoid(s_pos) - 1.0  # dℓ/ds_pos
    g_neg = _sigmoid(s_neg)  # dℓ/ds_neg
    dv = g_pos[:, None] * u_pos + np.einsum("pk,pkd->pd", g_neg, u_neg)
    du_pos = g_pos[:, None] * v
    du_neg = g_neg[:, :, None] * v[:, None, :]
    return float(loss), (dv, du_pos, du_neg)


def scatter_add(W, idx, G):
    """Return a copy of ``W`` with row ``G[i]`` added to row ``W[idx[i]]`` (repeats accumulate)."""
    out = np.array(W, copy=True)
    np.add.at(out, np.asarray(idx), G)
    return out


def _add_rows(W, idx, G):
    """In-place ``W[idx] += G`` that accumulates repeated indices (faster than np.add.at)."""
    order = np.argsort(idx, kind="stable")
    idx_s = idx[order]
    starts = np.flatnonzero(np.r_[True, idx_s[1:] != idx_s[:-1]])
    W[idx_s[starts]] += np.add.reduceat(G[order], starts, axis=0)


class SkipGramNS:
    """Skip-gram with negative sampling, trained with minibatched SGD.

    Parameters
    ----------
    vector_size : int
        Embedding dimension.
    window : int
        Maximum window; each position draws its own window in ``1..window``.
    negative : int
        Negatives per positive pair.
    sample : float
        Sub-sampling threshold ``t`` (0 disables it).
    min_count : int
        Words rarer than this are dropped.
    epochs : int
    alpha, min_alpha : float
        Learning rate, decayed linearly from ``alpha`` to ``min_alpha`` over training.
    batch_size : int
        Approximate number of (centre, context) pairs per update.
    ns_exponent : float
        Power of the negative-sampling distribution.
    random_state : int, optional

    Attributes
    ----------
    vocab_ : list of str (most frequent first); index_ : dict word -> id; counts_ : array
    vectors_ : (V, d) input vectors (the embeddings); context_vectors_ : (V, d)
    loss_history_ : mean loss per pair, one value every 10 updates
    """

    def __init__(
        self,
        vector_size=100,
        window=5,
        negative=5,
        sample=1e-3,
        min_count=5,
        epochs=5,
        alpha=0.025,
        min_alpha=1e-4,
        batch_size=2048,
        ns_exponent=0.75,
        random_state=None,
    ):
        self.vector_size = vector_size
        self.window = window
        self.negative = negative
        self.sample = sample
        self.min_count = min_count
        self.epochs = epochs
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.batch_size = batch_size
        self.ns_exponent = ns_exponent
        self.random_state = random_state

    def _validate(self):
        for name in ("vector_size", "window", "negative", "min_count", "epochs", "batch_size"):
            val = getattr(self, name)
            if (
                isinstance(val, bool)
                or not isinstance(val, (int, np.integer))
                or val < (0 if name == "negative" else 1)
            ):
                raise ValueError(f"{name} must be a positive int, got {val!r}")
        if not 0 < self.min_alpha <= self.alpha:
            raise ValueError(
                f"need 0 < min_alpha <= alpha, got alpha={self.alpha}, min_alpha={self.min_alpha}"
            )

    def build_vocab(self, sentences):
        """Count words, keep those with ``count >= min_count``, most frequent first."""
        if isinstance(sentences, str) or not all(isinstance(s, (list, tuple)) for s in sentences):
            raise ValueError("sentences must be a list of token lists, e.g. tokenize_lines(text)")
        counts = Counter(w for s in sentences for w in s)
        kept = sorted(
            (w for w, c in counts.items() if c >= self.min_count), key=lambda w: (-counts[w], w)
        )
        if not kept:
            raise ValueError(f"no word occurs at least min_count={self.min_count} times")
        self.vocab_ = kept
        self.index_ = {w: i for i, w in enumerate(kept)}
        self.counts_ = np.array([counts[w] for w in kept], dtype=np.int64)
        return self

    def fit(self, sentences):
        """Train on ``sentences`` (a list of token lists). Returns self."""
        self._validate()
        self.build_vocab(sentences)
        rng = np.random.default_rng(self.random_state)
        V, d = len(self.vocab_), self.vector_size
        self.vectors_ = ((rng.random((V, d)) - 0.5) / d).astype(np.float32)
        self.context_vectors_ = np.zeros((V, d), dtype=np.float32)
        idx = self.index_
        ids, sid = [], []
        for k, s in enumerate(sentences):
            row = [idx[w] for w in s if w in idx]
            ids.extend(row)
            sid.extend([k] * len(row))
        ids, sid = np.array(ids, dtype=np.int64), np.array(sid, dtype=np.int64)
        keep_p = keep_probability(self.counts_, self.sample)
        sampler = NegativeSampler(self.counts_, self.ns_exponent)
        expected_total = self.epochs * keep_p[ids].sum()
        chunk = max(1, self.batch_size // self.window)
        done, self.loss_history_, self._n_updates = 0, [], 0
        for _ in range(self.epochs):
            keep = rng.random(len(ids)) < keep_p[ids]
            e_ids, e_sid = ids[keep], sid[keep]
            b = rng.integers(1, self.window + 1, size=len(e_ids))
            for start in range(0, len(e_ids), chunk):
                lr = max(
                    self.min_alpha,
                    self.alpha - (self.alpha - self.min_alpha) * done / expected_total,
                )
                stop = min(len(e_ids), start + chunk)
                lo, hi = max(0, start - self.window), min(len(e_ids), stop + self.window)
                # pairs for centres in [start, stop) whose contexts may lie in the margin
                bb = np.zeros(hi - lo, dtype=np.int64)
                bb[start - lo : stop - lo] = b[start:stop]
                pos = np.arange(lo, hi)
                c_pos, o_pos = context_pairs(pos, bb)
                same = e_sid[c_pos] == e_sid[o_pos]  # windows do not cross sentences
                c, o = e_ids[c_pos[same]], e_ids[o_pos[same]]
                done += stop - start
                if len(c) == 0:
                    continue
                self._update(c, o, sampler.sample((len(c), self.negative), rng), lr)
        return self

    def _update(self, c, o, neg, lr):
        """One SGD step on a minibatch; same maths as :func:`sgns_loss_and_grads` but the
        output-vector gradients are never materialised as ``(P, K, d)``: they are applied as
        a sparse ``(rows × P)`` matrix times the centre vectors."""
        from scipy.sparse import csr_matrix

        P = len(c)
        targets = np.concatenate([o[:, None], neg], axis=1)  # (P, 1 + K): true context first
        U = self.context_vectors_[targets]
        v = self.vectors_[c]
        s = np.einsum("pkd,pd->pk", U, v)
        g = _sigmoid(s)
        g[:, 0] -= 1.0  # dℓ/ds: σ(s) − 1 for the true context, σ(s) for negatives
        self._n_updates += 1
        if self._n_updates % 10 == 1:
            loss = -(_log_sigmoid(s[:, 0]).sum() + _log_sigmoid(-s[:, 1:]).sum())
            self.loss_history_.append(float(loss) / P)
        dv = np.einsum("pk,pkd->pd", g, U)
        rows, inv = np.unique(targets.ravel(), return_inverse=True)
        cols = np.repeat(np.arange(P), targets.shape[1])
        M = csr_matrix(((-lr * g).ravel(), (inv.ravel(), cols)), shape=(len(rows), P))
        self.context_vectors_[rows] += M @ v
        rows_c, inv_c = np.unique(c, return_inverse=True)
        Mc = csr_matrix(
            (np.full(P, -lr, dtype=np.float32), (inv_c.ravel(), np.arange(P))),
            shape=(len(rows_c), P),
        )
        self.vectors_[rows_c] += Mc @ dv

    # -- probes
    def _normed(self):
        n = np.linalg.norm(self.vectors_, axis=1, keepdims=True)
        return self.vectors_ / np.maximum(n, 1e-12)

    def vector(self, word: str):
        if word not in self.index_:
            raise ValueError(f"word {word!r} is not in the vocabulary")
        return self.vectors_[self.index_[word]]

    def most_similar(self, word_or_vector, topn: int = 10, exclude=()):
        """``[(word, cosine), ...]`` nearest to a word (itself excluded) or to a vector."""
        E = self._normed()
        if isinstance(word_or_vector, str):
            q = E[self.index_[word_or_vector]] if word_or_vector in self.index_ else None
            if q is None:
                raise ValueError(f"word {word_or_vector!r} is not in the vocabulary")
            exclude = {word_or_vector, *exclude}
        else:
            q = np.asarray(word_or_vector, dtype=float)
            q = q / max(np.linalg.norm(q), 1e-12)
        sims = E @ q
        out = []
        for i in np.argsort(-sims):
            if self.vocab_[i] not in exclude:
                out.append((self.vocab_[i], float(sims[i])))
                if len(out) == topn:
                    break
        return out

    def analogy(self, a: str, b: str, c: str, topn: int = 1):
        """Words closest to ``b - a + c`` ("a is to b as c is to ?"), inputs excluded."""
        E = self._normed()
        for w in (a, b, c):
            if w not in self.index_:
                raise ValueError(f"word {w!r} is not in the vocabulary")
        q = E[self.index_[b]] - E[self.index_[a]] + E[self.index_[c]]
        return self.most_similar(q, topn=topn, exclude={a, b, c})
