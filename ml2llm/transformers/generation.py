"""The one autoregressive decoding loop, and the one logits filter it samples through.

:func:`filter_logits` turns one step's logits into the logits actually sampled from: divide
by the temperature, keep the ``top_k`` largest (:func:`~ml2llm.transformers.functional.
top_k_logits`, Project 12's reference), then keep the smallest set of tokens whose
probability mass reaches ``top_p`` (the most likely token is always kept). :func:`sample_next`
picks one token per row (``temperature=0`` is greedy argmax).

:func:`generate` appends tokens to a batch of prompts. For the project's models
(:class:`~ml2llm.transformers.base.CausalLM`) with ``use_cache=True`` each step feeds only the
newest token through the model and reuses the cached keys and values of the earlier ones
(:class:`~ml2llm.transformers.kv_cache.KVCache`); when the context is full it starts a fresh
cache on the last ``block_size`` tokens, exactly what the uncached path computes, so both give
the same tokens. Any other causal LM (Hugging Face, PEFT) is called as
``model(input_ids=...).logits`` on the whole (cropped) context. ``eos_id`` stops the loop
once every row has produced it. The models' ``generate`` method, the trainer's samples
(:mod:`ml2llm.training.sampling`) and SFT evaluation (:mod:`ml2llm.finetune.sft`) all call
this function.

What it does not do: beam search, repetition penalties, stop strings, or padded prompts of
different lengths (group prompts by length instead).

>>> import torch
>>> filter_logits(torch.tensor([[1.0, 3.0, 2.0]]), top_k=1)
tensor([[-inf, 3., -inf]])
"""

from __future__ import annotations

import math

import torch

from ml2llm.transformers.functional import top_k_logits
from ml2llm.transformers.kv_cache import KVCache


def _check_temperature(temperature) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise ValueError(f"temperature must be >= 0 (a number), got {temperature!r}")
    if not (temperature >= 0 and math.isfinite(temperature)):
        raise ValueError(f"temperature must be >= 0 and finite, got {temperature!r}")


def filter_logits(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    """Temperature, then top-k, then top-p on ``logits`` of shape ``(..., vocab)``.

    Removed entries become ``-inf``; the result is float32 (float64 stays float64).
    ``temperature`` must be > 0 (greedy decoding is :func:`sample_next` with 0).
    """
    _check_temperature(temperature)
    if temperature == 0:
        raise ValueError("temperature must be > 0 here (0 means greedy decoding), got 0")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1] or None, got {top_p!r}")
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32)) / temperature
    if top_k is not None and top_k < logits.size(-1):
        logits = top_k_logits(logits, top_k)
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        # mass of the tokens strictly before each one: drop a token once that reaches top_p
        before = torch.cumsum(probs, dim=-1) - probs
        drop = torch.zeros_like(before, dtype=torch.bool).scatter(-1, order, before >= top_p)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def sample_next(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One token id per row of ``logits`` ``(B, vocab)`` -> ``(B, 1)``; temperature 0 = argmax."""
    _check_temperature(temperature)
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    probs = torch.softmax(filter_logits(logits, temperature, top_k, top_p), dim=-1)
    return torch.multinomial(probs, 1, generator=generator)


def _ours(model) -> bool:
    from ml2llm.transformers.base import CausalLM

    return isinstance(getattr(model, "module", model), CausalLM)


def causal_logits(
    model,
    idx: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    cache: KVCache | None = None,
) -> torch.Tensor:
    """Logits ``(B, T, V)`` of ``idx`` from one of our models or a Hugging Face causal LM.

    Ours are called as ``model(idx, kv_cache=cache)`` (they take no padding mask: right
    padding only changes the logits of padded positions); Hugging Face and PEFT models as
    ``model(input_ids=idx, attention_mask=...).logits``; any other module as ``model(idx)``.
    """
    if _ours(model):
        return model(idx, kv_cache=cache)[0]
    if hasattr(model, "peft_config") or hasattr(getattr(model, "config", None), "model_type"):
        if attention_mask is None:
            attention_mask = torch.ones_like(idx)
        return model(input_ids=idx, attention_mask=attention_mask).logits
    out = model(idx)  # any other module returning logits (or a tuple starting with them)
    return out[0] if isinstance(out, tuple) else out


@torch.no_grad()
def generate(
    model,
    idx: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    use_cache: bool = True,
    generator: torch.Generator | None = None,
    eos_id: int | None = None,
    block_size: int | None = None,
) -> torch.Tensor:
    """Append up to ``max_new_tokens`` sampled ids to ``idx`` (``(B, T)`` LongTensor); return it.

    Parameters
    ----------
    model : CausalLM or a Hugging Face causal LM
    idx : torch.Tensor
        ``(B, T)`` prompt ids (one length for the whole batch).
    max_new_tokens : int
        Tokens to append (fewer when every row has produced ``eos_id``).
    temperature, top_k, top_p : see :func:`filter_logits`; ``temperature=0`` is greedy.
    use_cache : bool
        Use the KV cache (our models only; the tokens are the same either way).
    generator : torch.Generator, optional
        Source of randomness for sampling (a seed reproduces the output).
    eos_id : int, optional
        Stop once every row has generated this id (rows that finish early keep going until
        then; cut them at their first ``eos_id``).
    block_size : int, optional
        Context length; default ``model.config.block_size`` (no cropping for HF models).
    """
    if (
        isinstance(max_new_tokens, bool)
        or not isinstance(max_new_tokens, int)
        or max_new_tokens < 0
    ):
        raise ValueError(f"max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    _check_temperature(temperature)
    if temperature > 0:
        filter_logits(torch.zeros(1, 2), temperature, top_k, top_p)  # validate the arguments
    if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.shape[1] == 0:
        shape = tuple(idx.shape) if isinstance(idx, torch.Tensor) else type(idx).__name__
        raise ValueError(f"idx must be a (batch, seq_len >= 1) LongTensor, got {shape}")
    ours = _ours(model)
    if block_size is None:
        block_size = getattr(getattr(model, "config", None), "block_size", None)
    block = block_size or idx.shape[1] + max_new_tokens
    n_layer = model.config.n_layer if ours else 0
    cache = KVCache(n_layer) if ours and use_cache else None
    done = torch.zeros(idx.shape[0], dtype=torch.bool, device=idx.device)
    was_training = model.training
    model.eval()
    try:
        next_input = idx[:, -block:]
        for _ in range(max_new_tokens):
            if cache is None:
                next_input = idx[:, -block:]
            elif cache.seq_len + next_input.shape[1] > block:
                cache = KVCache(n_layer)  # window full: recompute the last block, as uncached
                next_input = idx[:, -block:]
            logits = causal_logits(model, next_input, cache=cache)[:, -1, :]
            nxt = sample_next(logits, temperature, top_k, top_p, generator)
            idx = torch.cat([idx, nxt], dim=1)
            next_input = nxt
            if eos_id is not None:
                done |= nxt[:, 0] == eos_id
                if bool(done.all()):
                    break
    finally:
        model.train(was_training)
    return idx
