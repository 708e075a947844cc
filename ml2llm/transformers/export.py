"""Export the project's models to a Hugging Face model folder.

:func:`export_hf` writes ``model.safetensors``, ``config.json`` and ``generation_config.json``
(through ``transformers``' own ``save_pretrained``) plus the tokenizer files
(``tokenizer.json``, ``tokenizer_config.json``, ``special_tokens_map.json``), so that, with
no network::

    AutoModelForCausalLM.from_pretrained(directory)   # same logits as our model
    AutoTokenizer.from_pretrained(directory)          # same ids as our tokenizer
    mlx_lm.load(directory)                            # MLX, where installed

all work. A :class:`~ml2llm.transformers.gpt.GPT` becomes ``GPT2LMHeadModel``; a
:class:`~ml2llm.transformers.llama.Mistral` becomes ``MistralForCausalLM`` (or
``LlamaForCausalLM`` with ``arch="llama"``). The tokenizer is either an object with a
``save_hf(directory, **roles)`` method (Project 13's tokenizers) or a
``tokenizers.Tokenizer``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ml2llm.transformers.gpt import GPT
from ml2llm.transformers.hf import to_hf
from ml2llm.transformers.llama import Mistral

_EOS_GUESSES = ("<|endoftext|>", "</s>", "<eos>", "<|eos|>")


def _save_tokenizer(tokenizer, directory: Path, roles: dict):
    """Write the tokenizer files; return the ``tokenizers.Tokenizer`` read back from disk."""
    from tokenizers import Tokenizer

    if hasattr(tokenizer, "save_hf"):
        tokenizer.save_hf(directory, **roles)
    elif isinstance(tokenizer, Tokenizer):
        from transformers import PreTrainedTokenizerFast

        if not roles:
            vocab = tokenizer.get_vocab(with_added_tokens=True)
            eos = next((t for t in _EOS_GUESSES if t in vocab), None)
            roles = {"eos_token": eos} if eos else {}
        PreTrainedTokenizerFast(tokenizer_object=tokenizer, **roles).save_pretrained(directory)
    else:
        raise ValueError(
            "tokenizer must have a save_hf(directory) method or be a tokenizers.Tokenizer, "
            f"got {type(tokenizer).__name__}"
        )
    path = directory / "tokenizer.json"
    if not path.exists():
        raise ValueError(f"the tokenizer did not write {path}")
    return Tokenizer.from_file(str(path))


def export_hf(model, tokenizer, directory, *, arch: str | None = None, **roles) -> Path:
    """Write ``model`` and ``tokenizer`` to ``directory`` in Hugging Face format.

    Parameters
    ----------
    model : GPT or Mistral
        The model to export (its weights are copied; it is not modified).
    tokenizer : object with ``save_hf`` or ``tokenizers.Tokenizer``
        Its vocabulary must fit in ``model.config.vocab_size``.
    directory : path
        Created if missing; existing files of the same names are overwritten.
    arch : {"mistral", "llama"}, optional
        Target class for a :class:`Mistral` model (default ``"mistral"``).
    **roles
        Special-token roles such as ``eos_token="<|endoftext|>"``; their ids go into
        ``config.json`` and ``generation_config.json``.

    Returns
    -------
    pathlib.Path
        ``directory``.
    """
    if not isinstance(model, (GPT, Mistral)):
        raise ValueError(f"model must be an ml2llm GPT or Mistral, got {type(model).__name__}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tok = _save_tokenizer(tokenizer, directory, dict(roles))
    n_tok = tok.get_vocab_size(with_added_tokens=True)
    if n_tok > model.config.vocab_size:
        raise ValueError(
            f"tokenizer has {n_tok} tokens but model.config.vocab_size is "
            f"{model.config.vocab_size}: every token id must have an embedding"
        )
    tok_cfg = json.loads((directory / "tokenizer_config.json").read_text(encoding="utf-8"))
    ids = {}
    for role in ("bos_token", "eos_token", "pad_token"):
        token = tok_cfg.get(role)
        if isinstance(token, dict):
            token = token.get("content")
        if token is not None and tok.token_to_id(token) is not None:
            ids[f"{role}_id"] = tok.token_to_id(token)
    kwargs = dict(ids)
    if isinstance(model, Mistral):
        kwargs["arch"] = arch or "mistral"
    elif arch is not None:
        raise ValueError(f"arch applies to Mistral models only, got arch={arch!r} for a GPT")
    hf = to_hf(model, **kwargs)
    for key, value in ids.items():
        setattr(hf.generation_config, key, value)
    hf.save_pretrained(directory)
    if isinstance(model, GPT):
        _gpt2_base_layout(directory)
    return directory


def _gpt2_base_layout(directory: Path) -> None:
    """Store GPT-2 weights as the original checkpoints do: no ``transformer.`` prefix.

    ``transformers`` adds the prefix back (and re-ties ``lm_head``) when loading, and
    ``mlx_lm``'s GPT-2 loader only understands this layout.
    """
    from safetensors.torch import load_file, save_file

    path = directory / "model.safetensors"
    if not path.exists():
        raise ValueError(f"expected a single {path.name} in {directory}")
    state = load_file(str(path))
    state = {
        k.removeprefix("transformer."): v.contiguous()
        for k, v in state.items()
        if k != "lm_head.weight"
    }
    save_file(state, str(path), metadata={"format": "pt"})
