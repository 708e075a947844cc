"""The Phase 3 task for a real LLM: name the Shakespeare play a line comes from, strictly.

SmolLM2-135M-Instruct, asked *"Which Shakespeare play is this line from? Answer with the
exact title only, one of: ..."*, answers in a sentence (*This line from Shakespeare's
"Hamlet" is ...*), so its **strict** exact-match accuracy is 0 % even when it names the right
play. LoRA teaches it the answer format in a few dozen steps and, with more steps, some of the
play itself. Two scores keep the two apart:

- ``exact``: the answer equals the title (what the task asks for);
- ``lenient``: the first of the six titles that the answer mentions is the right one
  (knowledge, whatever the format).

Chance is 1/6 on both: every split holds the same number of lines of each play.

- :func:`build_play_task` splits the **unique source lines** of six plays into train / valid /
  test *before* any prompt is made (stratified by play), so no test line ever appears in a
  training prompt; :func:`check_disjoint` verifies it on any splits.
- :func:`play_prompt`, :func:`score_play` (exact and lenient per record, from answers).
- :func:`greedy_exact` scores *exact* without generating: greedy decoding returns exactly the
  answer's tokens and then end-of-turn iff, teacher-forced on that answer, the argmax at every
  answer position is the next answer token. One batched forward pass per 16 records, with the
  LM head at the answer positions only, replaces ~6 decoding passes (the notebooks check
  that it agrees with real generation).
- :data:`GENERAL_PROMPTS` and :func:`score_general`: everyday questions the base model answers
  correctly (measured), for forgetting; :func:`modern_text` gives held-out non-Shakespeare
  text for perplexity.

What it does not do: speakers or acts (too hard for a 135M model in a CPU budget), or any
download: the plays come from the ``shakespeare`` package's Gutenberg texts.
"""

from __future__ import annotations

import random
import re

from ml2llm.finetune.data import PLAYS, load_plays

__all__ = [
    "GENERAL_PROMPTS",
    "TITLES",
    "answer_examples",
    "build_play_task",
    "check_disjoint",
    "greedy_exact",
    "modern_text",
    "play_prompt",
    "score_general",
    "score_play",
]

#: The six answers, in the order the prompt lists them (alphabetical).
TITLES = tuple(sorted(PLAYS.values()))

#: ``(prompt, accepted answers)``: the base SmolLM2-135M-Instruct answers each correctly
#: (greedy, chat template, 48 new tokens; ``tests/finetune/test_real_play_task.py`` checks it).
#: It fails "the largest planet" (Neptune) and "'thank you' in French", so those are not here.
#: An answer counts when it contains one of the accepted strings (case-insensitive).
GENERAL_PROMPTS = (
    ("What is the capital of France? Answer in one word.", ("Paris",)),
    ("What is 2 + 2? Answer with a number.", ("4", "four")),
    ("What color is the sky on a clear day? Answer in one word.", ("blue",)),
    ("How many days are there in a week? Answer with a number.", ("7", "seven")),
    ("What is the opposite of hot? Answer in one word.", ("cold",)),
    ("What do bees make? Answer in one word.", ("honey",)),
)


def play_prompt(line: str, titles=TITLES) -> str:
    """The instruction for one line (the titles are listed so the base model has a fair try)."""
    return (
        "Which Shakespeare play is this line from? Answer with the exact title only, one of: "
        f'{", ".join(titles)}.\nLine: "{line}"'
    )


def _lines_by_play(plays, min_words: int, max_chars: int) -> dict[str, list[str]]:
    seen, counts, out = set(), {}, {}
    for speeches in plays.values():
        for _, lines in speeches:
            for line in lines:
                counts[line] = counts.get(line, 0) + 1
    for title, speeches in plays.items():
        keep = []
        for _, lines in speeches:
            for line in lines:
                # a line that occurs twice anywhere ("Ay, my good lord.") could land in two
                # splits or two plays: drop it everywhere
                if counts[line] > 1 or line in seen:
                    continue
                if len(line.split()) < min_words or len(line) > max_chars:
                    continue
                seen.add(line)
                keep.append(line)
        out[title] = keep
    return out


def build_play_task(
    n_train: int = 600,
    n_valid: int = 60,
    n_test: int = 240,
    plays=None,
    min_words: int = 5,
    max_chars: int = 60,
    seed: int = 0,
) -> dict[str, list[dict]]:
    """Train / valid / test records ``{"prompt", "completion", "task", "line"}``.

    Parameters
    ----------
    n_train, n_valid, n_test : int
        Records per split, rounded down to a multiple of the number of plays (each play gets
        the same share).
    plays : dict, optional
        :func:`~ml2llm.finetune.data.load_plays` output (default: the six :data:`PLAYS`).
    min_words, max_chars : int
        Keep lines of at least ``min_words`` words and at most ``max_chars`` characters; a
        line that occurs more than once in the plays is dropped.
    seed : int
        The shuffle; the same seed gives the same splits.

    Raises
    ------
    ValueError
        A count below one per play, or too few lines for the counts asked.
    """
    plays = load_plays() if plays is None else plays
    titles = tuple(sorted(plays))
    k = len(titles)
    sizes = {"train": n_train, "valid": n_valid, "test": n_test}
    for name, n in sizes.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < k:
            raise ValueError(f"n_{name} must be an int >= {k} (one per play), got {n!r}")
    per = {name: n // k for name, n in sizes.items()}
    rng = random.Random(seed)
    out = {name: [] for name in sizes}
    for title, lines in _lines_by_play(plays, min_words, max_chars).items():
        need = sum(per.values())
        if len(lines) < need:
            raise ValueError(
                f"{title} has {len(lines)} usable lines, fewer than the {need} asked for "
                "(lower n_train/n_valid/n_test or relax min_words/max_chars)"
            )
        lines = sorted(lines)
        rng.shuffle(lines)
        start = 0
        for name in ("test", "valid", "train"):  # test first: it never changes with n_train
            for line in lines[start : start + per[name]]:
                out[name].append(
                    {
                        "prompt": play_prompt(line, titles),
                        "completion": title,
                        "task": "play",
                        "line": line,
                    }
                )
            start += per[name]
    for name in out:
        rng.shuffle(out[name])
    check_disjoint(out)
    return out


def check_disjoint(splits: dict[str, list[dict]]) -> None:
    """Raise ``ValueError`` when two splits share a source line (or, lacking ``line``, a prompt)."""
    names = list(splits)
    keys = {n: {r.get("line", r["prompt"]) for r in splits[n]} for n in names}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            shared = keys[a] & keys[b]
            if shared:
                example = sorted(shared)[0]
                raise ValueError(
                    f"splits {a!r} and {b!r} share {len(shared)} source line(s), e.g. {example!r}"
                )


def _first_title(answer: str, titles) -> str | None:
    low = answer.lower()
    hits = [(low.find(t.lower()), t) for t in titles if t.lower() in low]
    return min(hits)[1] if hits else None


def score_play(answers, records, titles=TITLES) -> dict:
    """Per-record ``exact`` and ``lenient`` scores (lists of 0/1) and their means.

    ``exact``: the stripped answer equals the title. ``lenient``: the first title the answer
    mentions (case-insensitive) is the right one.
    """
    answers, records = list(answers), list(records)
    if len(answers) != len(records):
        raise ValueError(f"got {len(answers)} answers for {len(records)} records")
    if not records:
        raise ValueError("records must not be empty")
    exact = [int(a.strip() == r["completion"]) for a, r in zip(answers, records)]
    lenient = [int(_first_title(a, titles) == r["completion"]) for a, r in zip(answers, records)]
    return {
        "exact": exact,
        "lenient": lenient,
        "exact_mean": sum(exact) / len(exact),
        "lenient_mean": sum(lenient) / len(lenient),
    }


def score_general(answers, prompts=GENERAL_PROMPTS) -> list[int]:
    """1 where the answer contains one of the accepted strings (word boundary, any case)."""
    answers = list(answers)
    if len(answers) != len(prompts):
        raise ValueError(f"got {len(answers)} answers for {len(prompts)} prompts")
    out = []
    for a, (_, accepted) in zip(answers, prompts):
        ok = any(re.search(rf"\b{re.escape(x)}\b", a, re.IGNORECASE) for x in accepted)
        out.append(int(ok))
    return out


def modern_text(n_chars: int = 6000) -> str:
    """Held-out modern English (Python's help topics), for perplexity: never in any split."""
    from ml2llm.nlp.fertility import sample_texts

    return sample_texts(n_chars, languages=False)["modern English"]


def answer_examples(records, codec, template) -> list[tuple[list[int], list[int]]]:
    """``(input_ids, labels)`` per record, cut after the first end-of-turn (EOS) token.

    The same ids and masking as training (:func:`~ml2llm.finetune.data.encode_example`);
    anything a chat template writes after EOS (a newline) is not part of the greedy answer.
    """
    from ml2llm.finetune.data import encode_example

    out = []
    for r in records:
        ids, labels = encode_example(
            codec.encode, r["prompt"], r["completion"], codec.eos_id, template
        )
        start = next(i for i, y in enumerate(labels) if y != -100)
        end = ids.index(codec.eos_id, start) + 1 if codec.eos_id in ids[start:] else len(ids)
        out.append((ids[:end], labels[:end]))
    return out


def greedy_exact(model, codec, template, records, batch_size: int = 16, match=None) -> list[int]:
    """1 per record where greedy decoding would answer exactly ``completion`` and stop.

    Parameters
    ----------
    model : our ``Llama``/``GPT`` or a Hugging Face / PEFT causal LM
    codec : :class:`~ml2llm.finetune.sft.Codec`
    template : the prompt format (:func:`~ml2llm.finetune.data.prompt_format`)
    records : list of dict
    batch_size : int
    match : callable, optional
        ``match(pred_ids, labels) -> per-row 0/1`` on NumPy arrays ``(B, T)``, where
        ``pred_ids[b, t]`` is the argmax at position ``t`` (``-1`` where not computed); default
        :func:`ml2llm.finetune.functional.greedy_exact` (Exercise 16.8 plugs yours in).
    """
    import torch

    from ml2llm.finetune.functional import greedy_exact as reference
    from ml2llm.finetune.loss import head_bypassed
    from ml2llm.finetune.sft import pad_batch
    from ml2llm.transformers.generation import causal_logits

    match = match or reference
    examples = answer_examples(records, codec, template)
    device = next(model.parameters()).device
    was = model.training
    model.eval()
    out: list[int] = []
    try:
        with torch.no_grad():
            for i in range(0, len(examples), batch_size):
                x, y, m = (
                    t.to(device) for t in pad_batch(examples[i : i + batch_size], codec.pad_id)
                )
                keep = torch.zeros_like(y, dtype=torch.bool)
                keep[:, :-1] = y[:, 1:] != -100  # positions that predict an answer token
                with head_bypassed(model) as head:
                    hidden = causal_logits(model, x, m)
                pred = torch.full_like(x, -1)
                pred[keep] = head(hidden[keep]).argmax(-1)
                out += [int(v) for v in match(pred.cpu().numpy(), y.cpu().numpy())]
    finally:
        model.train(was)
    return out
