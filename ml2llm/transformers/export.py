"""Export the project's models to a Hugging Face model folder.

:func:`export_hf` writes ``model.safetensors``, ``config.json`` and ``generation_config.json``
(through ``transformers``' own ``save_pretrained``) plus the tokenizer files
(``tokenizer.json``, ``tokenizer_config.json``, ``special_tokens_map.json``,
``chat_template.jinja``), so that, with no network::

    AutoModelForCausalLM.from_pretrained(directory)   # same logits as our model
    AutoTokenizer.from_pretrained(directory)          # same ids as our tokenizer
    mlx_lm.load(directory)                            # MLX, where installed

all work. A :class:`~ml2llm.transformers.gpt.GPT` becomes ``GPT2LMHeadModel``; a
:class:`~ml2llm.transformers.llama.Mistral` becomes ``MistralForCausalLM`` (or
``LlamaForCausalLM`` with ``arch="llama"``). The tokenizer is either an object with a
``save_hf(directory, **roles)`` method (Project 13's tokenizers) or a
``tokenizers.Tokenizer``.

The folder is ready for fine-tuning (Phase 3):

- **Special tokens.** The EOS token is the one named by ``eos_token=``, else the tokenizer's
  own (``<|endoftext|>``, ``</s>``, ``<eos>`` ...). A tokenizer without one (a char-level
  tokenizer pretrained on plain text) gets ``<|endoftext|>`` as a new special token with the
  next id; when that id does not fit, the embedding and output matrices grow by one row,
  set to the mean of the existing rows (as ``resize_token_embeddings(mean_resizing=True)``
  does, without its sampling), so the logits of every existing token are unchanged. BOS and
  PAD default to the EOS token (GPT-2's convention); all three are written to
  ``tokenizer_config.json``, ``special_tokens_map.json`` and ``added_tokens``.
- **Chat template.** ``chat_template="default"`` stores
  :meth:`~ml2llm.finetune.data.ChatTemplate.jinja` (``"Q: ...\\nA: ..." + eos_token``), the
  format every fine-tuning backend and ``ml2llm evaluate`` use, when the tokenizer can spell
  its text (a char-level vocabulary may lack ``Q`` or ``:``; then no template is written and
  the backends use the same text as their fallback). Pass a Jinja string for another
  template, or ``None`` for none.
"""

from __future__ import annotations

import json
from pathlib import Path

from ml2llm.nlp.hf_export import write_hf_files
from ml2llm.transformers.gpt import GPT
from ml2llm.transformers.hf import to_hf
from ml2llm.transformers.llama import Mistral

_EOS_GUESSES = ("<|endoftext|>", "</s>", "<eos>", "<|eos|>")
DEFAULT_EOS = "<|endoftext|>"


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


def export_hf(
    model, tokenizer, directory, *, arch: str | None = None, chat_template="default", **roles
) -> Path:
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
    chat_template : "default", str or None
        ``"default"``: the project's Q:/A: template when the tokenizer can spell it; a Jinja
        string; or ``None`` for no template.
    **roles
        Special-token roles such as ``eos_token="<|endoftext|>"``; their ids go into
        ``config.json`` and ``generation_config.json``. Missing EOS is added (see above).

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
    n_own = tok.get_vocab_size(with_added_tokens=True)
    if n_own > model.config.vocab_size:
        raise ValueError(
            f"tokenizer has {n_own} tokens but model.config.vocab_size is "
            f"{model.config.vocab_size}: every token id must have an embedding"
        )
    tok, tok_roles = _complete_special_tokens(tok, directory, roles)
    template = _chat_template(tok, chat_template)
    specials = [t.content for t in tok.get_added_tokens_decoder().values() if t.special]
    write_hf_files(
        directory, json.loads(tok.to_str()), specials, chat_template=template,
        model_max_length=model.config.block_size, **tok_roles,
    )  # fmt: skip
    n_tok = tok.get_vocab_size(with_added_tokens=True)
    ids = {f"{role}_id": tok.token_to_id(t) for role, t in tok_roles.items() if role != "unk_token"}
    # config.json gets BOS/EOS; PAD only in generation_config.json (a pad_token_id in the
    # model config becomes the embedding's padding_idx, whose row would never train)
    kwargs = {k: v for k, v in ids.items() if k != "pad_token_id" and v < model.config.vocab_size}
    if isinstance(model, Mistral):
        kwargs["arch"] = arch or "mistral"
    elif arch is not None:
        raise ValueError(f"arch applies to Mistral models only, got arch={arch!r} for a GPT")
    hf = to_hf(model, **kwargs)
    if n_tok > model.config.vocab_size:
        _grow_vocab(hf, n_tok)
    for key, value in ids.items():
        if key != "pad_token_id":
            setattr(hf.config, key, value)
        setattr(hf.generation_config, key, value)
    hf.save_pretrained(directory)
    if isinstance(model, GPT):
        _gpt2_base_layout(directory)
    return directory


def _role(cfg: dict, role: str):
    token = cfg.get(role)
    return token.get("content") if isinstance(token, dict) else token


def _complete_special_tokens(tok, directory: Path, roles: dict):
    """``(tokenizer, roles)`` with an EOS token (added if missing) and BOS/PAD defaulting to it."""
    cfg = json.loads((directory / "tokenizer_config.json").read_text(encoding="utf-8"))
    out = {r: roles.get(r) or _role(cfg, r) for r in ("bos_token", "eos_token", "pad_token", "unk_token")}  # fmt: skip
    vocab = tok.get_vocab(with_added_tokens=True)
    for role, token in out.items():
        if token is not None and token not in vocab:
            raise ValueError(f"{role}={token!r} is not a token of the tokenizer")
    if out["eos_token"] is None:
        specials = {t.content for t in tok.get_added_tokens_decoder().values() if t.special}
        out["eos_token"] = next((t for t in _EOS_GUESSES if t in specials), None)
    if out["eos_token"] is None:
        out["eos_token"] = DEFAULT_EOS
    # a role token must be special: it is then never split, and decode can skip it
    tok.add_special_tokens([t for t in dict.fromkeys(out.values()) if t is not None])
    out["bos_token"] = out["bos_token"] or out["eos_token"]
    out["pad_token"] = out["pad_token"] or out["eos_token"]
    return tok, {k: v for k, v in out.items() if v is not None}


def _chat_template(tok, chat_template):
    """The Jinja text to store: the project's Q:/A: template if ``tok`` spells it, or as given."""
    if chat_template is None or chat_template != "default":
        return chat_template
    from ml2llm.finetune.data import ChatTemplate

    t = ChatTemplate()
    for text in (t.user_prefix, t.assistant_prefix):
        for ch in text:
            ids = tok.encode(ch, add_special_tokens=False).ids
            if not ids or tok.decode(ids, skip_special_tokens=False) != ch:
                return None  # e.g. a char vocabulary without "Q": no template, same fallback
    return t.jinja()


def _grow_vocab(hf, n_tok: int) -> None:
    """Grow the input and output embeddings to ``n_tok`` rows, new rows = mean of the old."""
    import torch

    old = hf.get_input_embeddings().weight.shape[0]
    hf.resize_token_embeddings(n_tok, mean_resizing=False)
    with torch.no_grad():
        emb = hf.get_input_embeddings().weight
        emb[old:] = emb[:old].mean(0)
        out = hf.get_output_embeddings()
        if out is not None and out.weight.data_ptr() != emb.data_ptr():
            out.weight[old:] = out.weight[:old].mean(0)
            if getattr(out, "bias", None) is not None:
                out.bias[old:] = out.bias[:old].mean()


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
