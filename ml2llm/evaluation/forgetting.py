"""Forgetting: perplexity of a model on held-out text from its original domain.

Fine-tuning on instructions can erode what pretraining taught (catastrophic forgetting). We
measure it on Shakespeare the model never trained on: the last ``val_fraction`` of the
corpus, which ``ml2llm pretrain`` holds out (:func:`shakespeare_heldout`).

:func:`perplexity` cuts the token ids into consecutive windows of ``block_size + 1`` tokens
(overlapping by one, so every token but the first is predicted exactly once, from the
preceding tokens of its window), averages the per-token negative log-likelihood (NLL) and
returns ``exp(mean NLL)``. It also reports **bits per character** — ``sum NLL / (n_chars ·
ln 2)`` — which, unlike perplexity per token, can be compared across tokenizers; and the mean
NLL of each window, so two models can be compared window by window (a paired bootstrap).

What it does not do: strided/sliding evaluation with extra context (windows start cold, so
the numbers are a little pessimistic, equally for both models), or dataset downloads.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["perplexity", "shakespeare_heldout"]


def shakespeare_heldout(n_chars: int | None = 20_000, val_fraction: float = 0.1) -> str:
    """The first ``n_chars`` of the held-out tail of the offline Shakespeare corpus."""
    from ml2llm.data.shakespeare import load_corpus

    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    text = load_corpus()
    tail = text[int(len(text) * (1 - val_fraction)) :]
    return tail if n_chars is None else tail[: int(n_chars)]


def perplexity(
    lm, text: str, block_size: int | None = None, max_windows: int | None = None
) -> dict:
    """Perplexity of ``lm`` on ``text``.

    Parameters
    ----------
    lm : object with ``encode(str) -> list[int]``, ``window_nll(ids) -> np.ndarray`` and
        ``block_size`` (the adapters of :mod:`ml2llm.evaluation.harness`)
        ``window_nll(ids)`` returns the NLL (nats) of ``ids[1:]`` given the preceding ids.
    text : str
    block_size : int, optional
        Window length (default ``lm.block_size``).
    max_windows : int, optional
        Evaluate only the first windows (quick runs).

    Returns
    -------
    dict
        ``{"perplexity", "nll" (mean per token), "bits_per_char", "n_tokens", "n_chars",
        "window_nll": [mean NLL of each window]}``.
    """
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty str")
    T = int(block_size or getattr(lm, "block_size", 0) or 0)
    if T < 1:
        raise ValueError(f"block_size must be a positive int, got {block_size!r}")
    ids = list(lm.encode(text))
    if len(ids) < 2:
        raise ValueError("text must encode to at least 2 tokens")
    total, count, per_window = 0.0, 0, []
    for start in range(0, len(ids) - 1, T):
        if max_windows is not None and len(per_window) >= max_windows:
            break
        window = ids[start : start + T + 1]
        if len(window) < 2:
            break
        nll = np.asarray(lm.window_nll(window), dtype=float)
        total += float(nll.sum())
        count += nll.size
        per_window.append(float(nll.mean()))
    n_chars = len(text) if max_windows is None else len(lm.decode(ids[: count + 1]))
    mean = total / count
    return {
        "perplexity": math.exp(mean),
        "nll": mean,
        "bits_per_char": total / (max(n_chars, 1) * math.log(2)),
        "n_tokens": count,
        "n_chars": n_chars,
        "window_nll": per_window,
    }
