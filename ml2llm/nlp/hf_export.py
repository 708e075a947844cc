"""Write a tokenizer folder that Hugging Face loads offline.

:func:`write_hf_files` writes ``tokenizer.json`` (the full pipeline: pre-tokenizer, model,
decoder, added tokens), ``tokenizer_config.json`` (``tokenizer_class =
"PreTrainedTokenizerFast"``, special-token roles, optionally a ``chat_template``, which also goes
to ``chat_template.jinja`` where recent ``transformers`` look for it) and
``special_tokens_map.json``, so that
``transformers.AutoTokenizer.from_pretrained(directory)`` and
``tokenizers.Tokenizer.from_file(directory / "tokenizer.json")`` both work without network.
The tokenizers (:class:`~ml2llm.nlp.BPETokenizer`, :class:`~ml2llm.nlp.CharTokenizer`) build the
``tokenizer.json`` content themselves; this module only writes files.
"""

from __future__ import annotations

import json
from pathlib import Path

from ml2llm.io import atomic_write_text

ROLES = ("bos_token", "eos_token", "unk_token", "pad_token")

__all__ = ["ROLES", "write_hf_files"]


def added_tokens_json(special_tokens: dict[str, int]) -> list[dict]:
    """The ``added_tokens`` entries of ``tokenizer.json`` for ``{token: id}`` special tokens."""
    return [
        {
            "id": i,
            "content": s,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for s, i in special_tokens.items()
    ]


def write_hf_files(
    directory, tokenizer_json: dict, special_tokens: list[str], chat_template=None, **roles
) -> Path:
    """Write the three files into ``directory`` (created if needed) and return it.

    ``roles`` may hold ``bos_token``, ``eos_token``, ``unk_token``, ``pad_token`` (each must be
    one of ``special_tokens``) and ``model_max_length``. Without roles, the first special token
    (if any) becomes the ``eos_token``. ``chat_template`` (a Jinja string) is stored in
    ``tokenizer_config.json`` and in ``chat_template.jinja``; without it a stale
    ``chat_template.jinja`` in ``directory`` is removed.
    """
    directory = Path(directory)
    max_len = roles.pop("model_max_length", None)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(unknown)}; expected some of {list(ROLES)}")
    for role, tok in roles.items():
        if tok is not None and tok not in special_tokens:
            raise ValueError(f"{role}={tok!r} is not one of the special tokens {special_tokens}")
    if not roles and special_tokens:
        roles = {"eos_token": special_tokens[0]}
    roles = {k: v for k, v in roles.items() if v is not None}
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_text(directory / "tokenizer.json", json.dumps(tokenizer_json, ensure_ascii=False))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "clean_up_tokenization_spaces": False,
        "model_max_length": int(max_len) if max_len is not None else 1_000_000_000,
        **roles,
    }
    extra = [s for s in special_tokens if s not in roles.values()]
    if extra:
        config["additional_special_tokens"] = extra
    jinja = directory / "chat_template.jinja"
    if chat_template is not None:
        if not isinstance(chat_template, str) or not chat_template.strip():
            raise ValueError("chat_template must be a non-empty Jinja string")
        config["chat_template"] = chat_template
        atomic_write_text(jinja, chat_template)
    elif jinja.exists():
        jinja.unlink()
    atomic_write_text(
        directory / "tokenizer_config.json", json.dumps(config, indent=2, ensure_ascii=False)
    )
    smap = dict(roles)
    if extra:
        smap["additional_special_tokens"] = extra
    atomic_write_text(
        directory / "special_tokens_map.json", json.dumps(smap, indent=2, ensure_ascii=False)
    )
    return directory
