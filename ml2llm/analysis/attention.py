"""Attention maps and head scores: which heads look at the previous token, which do induction.

:func:`attention_maps` runs a model once with ``return_attn=True`` and stacks the attention
probabilities of every layer and head into one ``(n_layer, B, n_head, T, T)`` tensor. The
scores then classify each head from its maps:

- :func:`previous_token_score` — the mean attention from each position ``t >= 1`` to ``t - 1``.
  1 for a head that always looks one step back; about ``H_T / T`` for a uniform causal head.
- :func:`induction_score` — on a sequence made of a random block of ``period`` tokens repeated
  (:func:`repeated_random_tokens`), the mean attention from each position ``t`` of the repeat
  to ``t - period + 1``: the token *after* the previous occurrence of the current token. That
  is what an induction head ("I saw ``A B`` before; now ``A`` again, so predict ``B``") does.
- :func:`positional_score` — run the model on several different random sequences: a head
  whose attention depends only on positions gives the same map every time (score 1), a head
  that attends by content gives different maps (score lower). It is one minus the mean total
  variation distance between each map row and the mean row over sequences.

:func:`head_scores` computes all three for every head of a model.

:func:`attention_maps` also takes a Hugging Face causal LM (it asks for
``output_attentions=True``, in the ``eager`` attention implementation for that call), so the
scores apply unchanged to a real pretrained model such as SmolLM2.

What it does not do: attribute a head's effect on the output (path patching, ablations), or
handle models that can return neither.

>>> import numpy as np
>>> attn = np.tril(np.ones((4, 4))); attn /= attn.sum(-1, keepdims=True)   # uniform causal
>>> round(float(previous_token_score(attn)), 4)   # (1/2 + 1/3 + 1/4) / 3
0.3611
"""

from __future__ import annotations

import numpy as np


def _as_numpy(attn, name="attn"):
    if hasattr(attn, "detach"):
        attn = attn.detach().cpu().numpy()
    attn = np.asarray(attn, dtype=np.float64)
    if attn.ndim < 2 or attn.shape[-1] != attn.shape[-2]:
        raise ValueError(f"{name} must have shape (..., T, T), got {attn.shape}")
    return attn


def attention_maps(model, idx):
    """Attention probabilities of every layer: a tensor ``(n_layer, B, n_head, T, T)``.

    ``idx`` is a ``(B, T)`` LongTensor (or a 1-D sequence, treated as ``B = 1``). ``model`` is
    an ``ml2llm`` GPT/Llama (``return_attn=True``) or a Hugging Face causal LM.
    """
    import torch

    idx = torch.as_tensor(idx, dtype=torch.long)
    if idx.dim() == 1:
        idx = idx[None]
    if idx.dim() != 2:
        raise ValueError(f"idx must have shape (B, T), got {tuple(idx.shape)}")
    if _is_hf(model):
        return _hf_attention_maps(model, idx)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(idx.to(next(model.parameters()).device), return_attn=True)
    finally:
        model.train(was_training)
    return torch.stack([a.float().cpu() for a in out[2]])


def _is_hf(model) -> bool:
    return type(model).__module__.startswith("transformers.")


def _hf_attention_maps(model, idx):
    """A Hugging Face model's attention probabilities (``output_attentions=True``).

    Fused attention kernels (SDPA, flash) never form the probabilities, so the model runs
    with its ``eager`` implementation for this call and is switched back afterwards.
    """
    import torch

    before = model.config._attn_implementation
    was_training = model.training
    model.eval()
    try:
        if before != "eager":
            model.set_attn_implementation("eager")
        with torch.no_grad():
            out = model(idx.to(next(model.parameters()).device), output_attentions=True)
    finally:
        if before != "eager":
            model.set_attn_implementation(before)
        model.train(was_training)
    return torch.stack([a.float().cpu() for a in out.attentions])


def previous_token_score(attn):
    """Mean attention from position ``t`` to ``t - 1`` over ``t = 1 .. T-1``.

    ``attn`` has shape ``(..., T, T)`` (rows are queries); the result has shape ``(...)``,
    e.g. ``(n_layer, n_head)`` after averaging a batch yourself.
    """
    attn = _as_numpy(attn)
    if attn.shape[-1] < 2:
        raise ValueError("attn needs T >= 2 for a previous token to exist")
    return np.diagonal(attn, offset=-1, axis1=-2, axis2=-1).mean(axis=-1)


def repeated_random_tokens(vocab_size: int, period: int, batch: int = 1, seed: int = 0):
    """``(batch, 2 * period)`` int64 array: ``period`` random tokens, then the same again.

    Tokens within a period are distinct when ``vocab_size >= period`` (so each token has
    exactly one earlier occurrence in the repeat), otherwise drawn with replacement.
    """
    for name, v in (("vocab_size", vocab_size), ("period", period), ("batch", batch)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    rng = np.random.default_rng(seed)
    if vocab_size >= period:
        first = np.stack([rng.permutation(vocab_size)[:period] for _ in range(batch)])
    else:
        first = rng.integers(0, vocab_size, size=(batch, period))
    return np.concatenate([first, first], axis=1).astype(np.int64)


def induction_score(attn, period: int):
    """Mean attention from ``t`` to ``t - period + 1`` over the repeat ``t = period .. 2*period-1``.

    ``attn`` has shape ``(..., T, T)`` with ``T >= 2 * period`` and comes from a sequence
    whose second ``period`` tokens repeat the first ones (:func:`repeated_random_tokens`).
    """
    attn = _as_numpy(attn)
    T = attn.shape[-1]
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)) or period < 1:
        raise ValueError(f"period must be a positive int, got {period!r}")
    if T < 2 * period:
        raise ValueError(f"attn covers T={T} positions; period={period} needs T >= {2 * period}")
    # diagonal offset -(period - 1): element i is attn[i + period - 1, i]; the repeat's queries
    # t = period .. 2*period - 1 are i = 1 .. period
    diag = np.diagonal(attn, offset=-(period - 1), axis1=-2, axis2=-1)
    return diag[..., 1 : period + 1].mean(axis=-1)


def positional_score(attn):
    """1 − mean total-variation distance between each sequence's map and the mean map.

    ``attn`` has shape ``(S, ..., T, T)``: the maps of the same head(s) on ``S`` different
    sequences of the same length. Returns shape ``(...)`` in ``[0, 1]``; 1 means the head
    attends by position only, lower means what it attends to depends on the tokens.
    """
    attn = _as_numpy(attn)
    if attn.ndim < 3 or attn.shape[0] < 2:
        raise ValueError(f"attn must have shape (S, ..., T, T) with S >= 2, got {attn.shape}")
    tv = 0.5 * np.abs(attn - attn.mean(axis=0, keepdims=True)).sum(axis=-1)  # (S, ..., T)
    return 1.0 - tv.mean(axis=(0, -1))


def head_scores(model, vocab_size=None, period=None, n_seq: int = 8, seed: int = 0) -> dict:
    """All three scores for every head: ``{"previous_token", "induction", "positional"}``.

    Each value is an ``(n_layer, n_head)`` array. The previous-token and positional scores
    use ``n_seq`` uniformly random sequences of the model's full context; the induction score
    uses ``n_seq`` repeated random sequences with ``period = block_size // 2`` by default.
    """
    import torch

    cfg = model.config
    V = int(vocab_size or cfg.vocab_size)
    T = int(cfg.block_size)
    period = int(period or T // 2)
    if not 1 <= period <= T // 2:
        raise ValueError(f"period must be in [1, {T // 2}] for a context of {T}, got {period}")
    rng = np.random.default_rng(seed)
    rand = torch.as_tensor(rng.integers(0, V, size=(n_seq, T)))
    maps = attention_maps(model, rand).numpy()  # (L, S, H, T, T)
    rep = torch.as_tensor(repeated_random_tokens(V, period, n_seq, seed + 1))
    rep_maps = attention_maps(model, rep).numpy()
    return {
        "previous_token": previous_token_score(maps).mean(axis=1),
        "induction": induction_score(rep_maps, period).mean(axis=1),
        "positional": positional_score(np.moveaxis(maps, 1, 0)),
    }
