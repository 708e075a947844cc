"""Behaviour metrics of generated answers: format adherence, length, stopping, repetition.

Accuracy says whether an answer is right; these say *how the model behaves*, which is often
what fine-tuning changes first (a base model rambles on; a tuned one answers and stops).

- :func:`response_length`: words (whitespace tokens) in the answer.
- :func:`repetition_rate`: fraction of the answer's word n-grams that repeat an earlier one,
  ``1 - unique / total``; 0 for answers with fewer than ``n`` words. Degenerate loops
  ("the the the") score close to 1.
- :func:`follows_format`: does the answer have the *shape* the task asks for (one non-empty
  line without prompt-template text, plus a per-task rule from :data:`FORMAT_RULES`, e.g.
  all capitals for ``upper``, exactly three words for ``reverse``)? Correctness is not
  required: ``"OTHELLO SPEAKS"`` follows the ``upper`` format even when wrong.
- Stopping (did the model emit end-of-sequence before the token budget ran out) is measured
  by the harness, which sees the token ids; see :mod:`ml2llm.evaluation.harness`.

What it does not do: judge fluency, toxicity or truthfulness.
"""

from __future__ import annotations

import re

__all__ = ["FORMAT_RULES", "follows_format", "repetition_rate", "response_length"]


def _check_str(value, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a str, got {type(value).__name__}")
    return value


def response_length(text: str) -> int:
    """Number of whitespace-separated words in ``text``."""
    return len(_check_str(text, "text").split())


def repetition_rate(text: str, n: int = 2) -> float:
    """``1 - (#distinct word n-grams) / (#word n-grams)``; 0.0 when there are none."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    words = _check_str(text, "text").split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def _title_words(text: str, max_words: int) -> bool:
    words = text.split()
    return 0 < len(words) <= max_words and all(w[:1].isupper() or w in ("and", "of") for w in words)


#: Per-task shape rules (``answer -> bool``) for the Shakespeare instruction tasks of
#: :func:`ml2llm.finetune.data.build_tasks`. Tasks not listed only get the generic rule.
FORMAT_RULES = {
    "play": lambda a: _title_words(a, 4),
    "speaker": lambda a: _title_words(a, 3),
    "upper": lambda a: any(c.isalpha() for c in a) and a == a.upper(),
    "reverse": lambda a: len(a.split()) == 3,
    "next_line": lambda a: 2 <= len(a.split()) <= 16,
    "question": lambda a: a.lower() in ("yes", "no"),
}
_TEMPLATE = re.compile(r"(^|\n)\s*(Q|A):")


def follows_format(answer: str, task: str | None = None, rules: dict | None = None) -> bool:
    """True if ``answer`` is one non-empty line, has no ``Q:``/``A:`` template text, and
    passes ``rules[task]`` (default :data:`FORMAT_RULES`) when the task has a rule."""
    a = _check_str(answer, "answer").strip()
    if not a or "\n" in a or _TEMPLATE.search(a):
        return False
    rule = (FORMAT_RULES if rules is None else rules).get(task)
    return bool(rule(a)) if rule is not None else True
