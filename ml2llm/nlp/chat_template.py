"""What a chat template adds to a conversation, token by token.

An instruction-tuned model was trained on conversations written in one exact format: role
markers, special tokens, sometimes a default system prompt. ``transformers`` stores that
format as a Jinja template in the tokenizer (``tokenizer.apply_chat_template``). This module
measures it:

- :func:`token_rows` lists each id of a sequence with its text and whether it is a special
  (control) token;
- :func:`template_overhead` is the number of tokens the template adds to the contents of the
  messages, when the conversation is formatted as a prompt for the model's next reply
  (``add_generation_prompt=True``). It is the reference for exercise 13.7.

The count of the prompt is the length of the rendered template encoded with
``add_special_tokens=False``: the template already writes every special token it needs (a
tokenizer that also adds a BOS token on ``encode`` would count it twice). Each content is
encoded alone, also without special tokens.

What it does not do: tool-call or multimodal message formats.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["content_tokens", "prompt_tokens", "template_overhead", "token_rows"]


def _check_messages(messages) -> list[dict]:
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence) or not messages:
        raise ValueError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
    for k, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("content"), str) or "role" not in m:
            raise ValueError(
                f"messages[{k}] must be a dict with a 'role' and a str 'content', got {m!r}"
            )
    return list(messages)


def prompt_tokens(tokenizer, messages, add_generation_prompt: bool = True) -> list[int]:
    """Ids of the conversation formatted by the tokenizer's chat template."""
    messages = _check_messages(messages)
    text = tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt
    )
    return list(tokenizer.encode(text, add_special_tokens=False))


def content_tokens(tokenizer, messages) -> int:
    """Total number of tokens of the message contents, each encoded alone."""
    messages = _check_messages(messages)
    return sum(len(tokenizer.encode(m["content"], add_special_tokens=False)) for m in messages)


def template_overhead(tokenizer, messages) -> int:
    """Tokens the chat template adds to a conversation formatted for the next reply.

    ``len(prompt_tokens(tokenizer, messages, add_generation_prompt=True))`` minus
    :func:`content_tokens`: role markers, special tokens, separators, a default system prompt
    if the template inserts one, and the generation prompt that opens the assistant's turn.
    """
    return len(prompt_tokens(tokenizer, messages, True)) - content_tokens(tokenizer, messages)


def token_rows(tokenizer, ids) -> list[tuple[int, str, bool]]:
    """``(id, text, is_special)`` for each id: the text is the id decoded alone."""
    special = set(getattr(tokenizer, "all_special_ids", []))
    for tid, added in getattr(tokenizer, "added_tokens_decoder", {}).items():
        if getattr(added, "special", False):
            special.add(int(tid))
    return [(int(i), tokenizer.decode([int(i)]), int(i) in special) for i in ids]
