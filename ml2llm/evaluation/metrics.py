"""Answer metrics for instruction tasks: exact match and SQuAD-style token F1.

- :func:`normalize_answer` is the SQuAD normalisation: lower-case, drop punctuation and the
  articles *a*, *an*, *the*, collapse whitespace.
- :func:`exact_match` compares after ``str.strip()`` only by default (case and punctuation
  count: the "upper case" task is *about* case); ``normalize=True`` uses the SQuAD rules.
- :func:`token_f1` is the harmonic mean of token precision and recall between the bags of
  normalised tokens (each shared token counts at most as often as it occurs in both).
  Partial credit: ``"Romeo"`` against ``"Romeo and Juliet"`` scores 0.5 rather than 0.

What it does not do: multiple gold answers (take the max yourself), BLEU/ROUGE, semantic
similarity.

>>> token_f1("the cat sat", "a cat sat down")
0.8
>>> exact_match(" Hamlet ", "Hamlet")
1.0
"""

from __future__ import annotations

import re
import string
from collections import Counter

__all__ = ["exact_match", "normalize_answer", "token_f1"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def _check_str(value, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a str, got {type(value).__name__}")
    return value


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower-case, strip punctuation and articles, collapse spaces."""
    text = _check_str(text, "text").lower().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, reference: str, normalize: bool = False) -> float:
    """1.0 if ``prediction`` equals ``reference`` (stripped; SQuAD-normalised if asked) else 0.0."""
    p, r = _check_str(prediction, "prediction"), _check_str(reference, "reference")
    if normalize:
        return float(normalize_answer(p) == normalize_answer(r))
    return float(p.strip() == r.strip())


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token F1 between the normalised ``prediction`` and ``reference``.

    Two empty answers score 1; an empty answer against a non-empty one scores 0.
    """
    p = normalize_answer(_check_str(prediction, "prediction")).split()
    r = normalize_answer(_check_str(reference, "reference")).split()
    if not p or not r:
        return float(p == r)
    same = sum((Counter(p) & Counter(r)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(r)
    return 2 * precision * recall / (precision + recall)
