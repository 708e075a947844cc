"""The Phase 3 play task (ml2llm.finetune.play_task): disjoint splits, scoring, and greedy exact
match without generation, checked against real greedy decoding on SmolLM2-135M-Instruct."""

import numpy as np
import pytest

from ml2llm.finetune import functional as F
from ml2llm.finetune.play_task import (
    GENERAL_PROMPTS,
    TITLES,
    build_play_task,
    check_disjoint,
    score_general,
    score_play,
)


@pytest.fixture(scope="module")
def splits():
    return build_play_task(n_train=120, n_valid=12, n_test=60, seed=1)


def test_splits_share_no_source_line_and_are_balanced(splits):
    lines = {k: [r["line"] for r in v] for k, v in splits.items()}
    for a in lines:
        assert len(set(lines[a])) == len(lines[a])
        for b in lines:
            if a < b:
                assert not set(lines[a]) & set(lines[b])
    # no test line appears inside any training prompt either
    train_text = "\n".join(r["prompt"] for r in splits["train"])
    assert not any(f'"{line}"' in train_text for line in lines["test"])
    for name, n in (("train", 120), ("valid", 12), ("test", 60)):
        counts = {t: sum(r["completion"] == t for r in splits[name]) for t in TITLES}
        assert set(counts.values()) == {n // 6}, counts


def test_test_split_does_not_depend_on_train_size():
    a = build_play_task(n_train=60, n_valid=6, n_test=30, seed=4)
    b = build_play_task(n_train=300, n_valid=6, n_test=30, seed=4)
    assert sorted(r["line"] for r in a["test"]) == sorted(r["line"] for r in b["test"])
    assert a == build_play_task(n_train=60, n_valid=6, n_test=30, seed=4)


def test_check_disjoint_and_bad_sizes():
    rec = {"prompt": "p", "completion": "Hamlet", "line": "Something is rotten"}
    with pytest.raises(ValueError, match="share 1 source line"):
        check_disjoint({"train": [rec], "test": [dict(rec)]})
    with pytest.raises(ValueError, match="n_test must be an int >= 6"):
        build_play_task(n_test=3)
    with pytest.raises(ValueError, match="usable lines"):
        build_play_task(n_train=60_000)


def test_score_play_exact_and_lenient():
    recs = [{"completion": "Hamlet"}, {"completion": "King Lear"}, {"completion": "Othello"}]
    answers = ["Hamlet", 'This line is from "King Lear" and not Macbeth', "Macbeth, or Othello"]
    s = score_play(answers, recs)
    assert s["exact"] == [1, 0, 0] and s["lenient"] == [1, 1, 0]
    with pytest.raises(ValueError, match="2 answers for 3 records"):
        score_play(answers[:2], recs)


def test_score_general_word_boundaries():
    answers = [
        "The capital of France is Paris.",
        "The answer is 44.",
        "blue",
        "7 days",
        "cold",
        "honey",
    ]
    assert score_general(answers) == [1, 0, 1, 1, 1, 1]


def test_greedy_exact_reference_by_hand():
    labels = np.array([[-100, -100, 5, 6, 2], [-100, 7, 2, -100, -100]])
    pred = np.array([[0, 5, 6, 2, 9], [7, 3, 3, 4, 4]])  # row 0 right, row 1 wrong at t=1
    assert F.greedy_exact(pred, labels).tolist() == [1, 0]
    pred[1, 1] = 2
    assert F.greedy_exact(pred, labels).tolist() == [1, 1]


@pytest.mark.slow
def test_real_greedy_exact_agrees_with_generation_and_general_set(smollm2_dir, splits):
    """Records whose completion is the model's own greedy answer score 1; others 0; the base
    model answers every general prompt correctly."""
    from ml2llm.finetune.data import prompt_format
    from ml2llm.finetune.play_task import greedy_exact
    from ml2llm.finetune.sft import Codec, greedy_completions
    from ml2llm.models import load_scratch

    model, tok = load_scratch(smollm2_dir)
    codec, template = Codec(tok), prompt_format(tok)

    prompts = [p for p, _ in GENERAL_PROMPTS]
    ids = [codec.encode(template.prompt(p)) for p in prompts]
    seqs = greedy_completions(model, ids, 48, codec.eos_id)
    general = [codec.decode(s).strip() for s in seqs]
    assert score_general(general) == [1] * len(GENERAL_PROMPTS), general
    # answers that stopped within the budget are the model's whole greedy output
    recs = [
        {"prompt": p, "completion": a} for p, a, s in zip(prompts, general, seqs) if len(s) < 48
    ]
    assert len(recs) >= 4
    assert greedy_exact(model, codec, template, recs) == [1] * len(recs)
    wrong = [dict(r, completion=r["completion"] + " Indeed.") for r in recs]
    assert greedy_exact(model, codec, template, wrong) == [0] * len(recs)
    # the base model never answers the play task in the strict format
    test = splits["test"][:12]
    assert greedy_exact(model, codec, template, test) == [0] * len(test)
