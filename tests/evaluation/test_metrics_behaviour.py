"""Exact match and token F1 against an independent SQuAD-style implementation; behaviour metrics."""

import re
import string
from collections import Counter

import pytest

from ml2llm.evaluation.behaviour import follows_format, repetition_rate, response_length
from ml2llm.evaluation.metrics import exact_match, normalize_answer, token_f1


# --- an independent SQuAD v1.1-style F1 (written for this test) --------------------------
def _squad_norm(s):
    s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def squad_f1(pred, gold):
    p, g = _squad_norm(pred).split(), _squad_norm(gold).split()
    if len(p) == 0 or len(g) == 0:
        return float(p == g)
    common = Counter(p) & Counter(g)
    k = sum(common.values())
    if k == 0:
        return 0.0
    prec, rec = k / len(p), k / len(g)
    return 2 * prec * rec / (prec + rec)


def _pairs():
    # Real answers from Project 16's Shakespeare tasks, with typical model errors.
    from ml2llm.finetune.data import build_tasks, load_plays

    recs = build_tasks(load_plays(), n_per_task=30, seed=1)["train"][:40]
    out = []
    for r in recs:
        gold = r["completion"]
        words = gold.split()
        out += [
            (gold, gold),
            (gold.lower() + ".", gold),
            (" ".join(words[:-1]), gold),
            (" ".join(words + words[:1]), gold),
            ("The " + " ".join(reversed(words)), gold),
            ("", gold),
            ("Hamlet", gold),
        ]
    return out


def test_token_f1_matches_independent_squad_f1():
    pairs = _pairs()
    assert len(pairs) > 200
    for pred, gold in pairs:
        assert token_f1(pred, gold) == pytest.approx(squad_f1(pred, gold), abs=1e-12), (pred, gold)
        assert normalize_answer(pred) == _squad_norm(pred)


def test_token_f1_known_values():
    assert token_f1("Romeo", "Romeo and Juliet") == pytest.approx(0.5)
    assert token_f1("the the", "the") == 1.0  # both normalise to empty
    assert token_f1("", "Hamlet") == 0.0
    assert token_f1("x b b", "b b c") == pytest.approx(2 / 3)  # multiset overlap counts twice
    assert token_f1("a b b", "b b c") == pytest.approx(0.8)  # "a" is an article: dropped


def test_exact_match_is_strict_by_default():
    assert exact_match(" Hamlet\n", "Hamlet") == 1.0
    assert exact_match("hamlet", "Hamlet") == 0.0  # case matters (the "upper" task)
    assert exact_match("the hamlet!", "Hamlet", normalize=True) == 1.0


def test_repetition_and_length():
    assert repetition_rate("the the the the") == pytest.approx(1 - 1 / 3)
    assert repetition_rate("to be or not to be") == pytest.approx(1 - 4 / 5)
    assert repetition_rate("one") == 0.0
    assert repetition_rate("a b a b", n=1) == 0.5
    assert response_length("  To be,  or not ") == 4


def test_follows_format_rules():
    assert follows_format("Romeo and Juliet", "play")
    assert not follows_format("romeo and juliet", "play")
    assert follows_format("WRONG BUT CAPS", "upper")
    assert not follows_format("Mixed Case", "upper")
    assert follows_format("c b a", "reverse") and not follows_format("c b", "reverse")
    assert not follows_format("Hamlet\nQ: next", "play")  # runs on into a new prompt
    assert not follows_format("", None)
    assert follows_format("anything goes", "unknown_task")
    assert follows_format("yes", "question") and not follows_format("yes, it is", "question")


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: token_f1(None, "x"), "prediction"),
        (lambda: exact_match("x", 3), "reference"),
        (lambda: repetition_rate("a b", n=0), "n must"),
        (lambda: follows_format(5), "answer"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
