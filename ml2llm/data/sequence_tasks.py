"""Synthetic long-range sequence tasks, seeded by ``random_state``.

The **recall task** measures how far back a sequence model can remember one token.
Every sequence hides one *answer* token right after a ``MARK`` token; the last position holds a
``QUERY`` token, and the target is the answer. The answer sits exactly ``distance`` steps before
the query, and every other position holds a random *distractor* drawn from the same content
vocabulary as the answer, so the answer cannot be recognised by its value, only by remembering it
(or by finding the marker, which is what attention can do)::

    position : 0 .. p-2   p-1    p       p+1 .. T-2    T-1
    token    : noise      MARK   answer  noise         QUERY      target = answer
                                 |<------- distance ------->|

Token ids: content tokens are ``0 .. vocab_size-1``; ``MARK = vocab_size``;
``QUERY = vocab_size + 1``; so a model needs ``vocab_size + 2`` input tokens
(:func:`recall_vocab`) and ``vocab_size`` output classes. Chance accuracy is ``1 / vocab_size``.

The sequence length is ``distance + 2`` by default (the marker at position 0); pass ``seq_len``
to keep every distance at the same length (noise fills the front), which is what a plot of
accuracy against distance at equal compute per sequence wants.

Used by Project 11.75 (an RNN's accuracy falls with distance) and Project 12.1 (attention does
not). The API is stable: ``make_recall_task(n_samples, distance, vocab_size, seq_len,
random_state)``.

Not here: variable-length batches or padding (every sequence in one call has the same length).

>>> X, y = make_recall_task(n_samples=4, distance=5, vocab_size=8, random_state=0)
>>> X.shape, y.shape, X.dtype.kind
((4, 7), (4,), 'i')
>>> mark, query = recall_special_tokens(8)
>>> bool((X[:, -1] == query).all()), bool((X[:, -1 - 5] == y).all()), bool((X[:, -2 - 5] == mark).all())
(True, True, True)
>>> recall_vocab(8)
10
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_recall_task", "recall_special_tokens", "recall_vocab"]


def _positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def recall_special_tokens(vocab_size):
    """Return ``(MARK, QUERY)`` token ids for a content vocabulary of ``vocab_size`` tokens."""
    vocab_size = _positive_int(vocab_size, "vocab_size", 2)
    return vocab_size, vocab_size + 1


def recall_vocab(vocab_size):
    """Number of distinct input tokens of the recall task: ``vocab_size + 2`` (content, MARK, QUERY)."""
    return _positive_int(vocab_size, "vocab_size", 2) + 2


def make_recall_task(n_samples, distance, vocab_size=8, seq_len=None, random_state=None):
    """Sequences whose target is the token ``distance`` steps before the final ``QUERY`` token.

    Parameters
    ----------
    n_samples : int
        Number of sequences.
    distance : int
        Steps between the answer token and the query token (``>= 1``): ``X[:, -1 - distance] == y``.
    vocab_size : int, default=8
        Number of content tokens (answers and distractors); must be ``>= 2``.
    seq_len : int or None, default=None
        Length of every sequence; ``None`` means the minimum, ``distance + 2``. Must be
        ``>= distance + 2`` (room for the marker, the answer and the query).
    random_state : int, numpy.random.Generator or None
        Seed; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, seq_len), dtype int64
        Input token ids in ``[0, vocab_size + 2)``.
    y : ndarray of shape (n_samples,), dtype int64
        The answer token, in ``[0, vocab_size)``.
    """
    n = _positive_int(n_samples, "n_samples")
    distance = _positive_int(distance, "distance")
    mark, query = recall_special_tokens(vocab_size)
    if seq_len is None:
        seq_len = distance + 2
    seq_len = _positive_int(seq_len, "seq_len", distance + 2)
    rng = np.random.default_rng(random_state)
    X = rng.integers(0, vocab_size, size=(n, seq_len), dtype=np.int64)
    y = rng.integers(0, vocab_size, size=n, dtype=np.int64)
    answer_pos = seq_len - 1 - distance
    X[:, answer_pos] = y
    X[:, answer_pos - 1] = mark
    X[:, -1] = query
    return X, y
