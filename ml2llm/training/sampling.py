"""Sampling from a language model: temperature, top-k and top-p (nucleus), with the KV cache.

:func:`filter_logits` turns one step's logits into the logits actually sampled from:
divide by the temperature, keep the ``top_k`` largest, then keep the smallest set of tokens
whose probability mass reaches ``top_p`` (the most likely token is always kept).
:func:`generate` runs the autoregressive loop; with ``use_cache=True`` each step feeds only
the newest token through the model, reusing the cached keys and values of the earlier ones
(``ml2llm.transformers.kv_cache.KVCache``). When the context is full it slides the window
and recomputes, exactly like the uncached path, so both give the same tokens.

What it does not do: beam search, repetition penalties, or stopping strings.

>>> import torch
>>> filter_logits(torch.tensor([[1.0, 3.0, 2.0]]), top_k=1)
tensor([[-inf, 3., -inf]])
"""

from __future__ import annotations


def filter_logits(
    logits, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
):
    """Temperature, then top-k, then top-p on ``logits`` of shape ``(..., vocab)``.

    Removed entries become ``-inf``. ``temperature`` must be > 0 (use greedy decoding for 0).
    """
    import torch

    if not temperature > 0:
        raise ValueError(f"temperature must be > 0 here (0 means greedy), got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1] or None, got {top_p!r}")
    logits = logits.float() / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        # mass of the tokens strictly before each one: drop a token once that reaches top_p
        before = torch.cumsum(probs, dim=-1) - probs
        drop_sorted = before >= top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def sample_next(
    logits,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator=None,
):
    """One token id per row of ``logits`` ``(B, vocab)`` -> ``(B, 1)``; temperature 0 = argmax."""
    import torch

    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    probs = torch.softmax(filter_logits(logits, temperature, top_k, top_p), dim=-1)
    return torch.multinomial(probs, 1, generator=generator)


def generate(
    model,
    idx,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    use_cache: bool = True,
    generator=None,
):
    """Append ``max_new_tokens`` sampled ids to ``idx`` (``(B, T)`` LongTensor) and return it."""
    import torch

    from ml2llm.transformers.kv_cache import KVCache

    if (
        isinstance(max_new_tokens, bool)
        or not isinstance(max_new_tokens, int)
        or max_new_tokens < 0
    ):
        raise ValueError(f"max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature!r}")
    block = model.config.block_size
    was_training = model.training
    model.eval()
    cache = KVCache(model.config.n_layer) if use_cache else None
    next_input = idx[:, -block:]
    try:
        with torch.no_grad():
            for _ in range(max_new_tokens):
                if cache is not None and cache.seq_len + next_input.shape[1] > block:
                    cache = KVCache(model.config.n_layer)  # window full: recompute the last block
                    next_input = idx[:, -block:]
                if cache is None:
                    next_input = idx[:, -block:]
                logits, _ = model(next_input, kv_cache=cache)
                nxt = sample_next(logits[:, -1, :], temperature, top_k, top_p, generator)
                idx = torch.cat([idx, nxt], dim=1)
                next_input = nxt
    finally:
        model.train(was_training)
    return idx


def sample_text(
    model,
    tokenizer,
    prompt: str = "\n",
    max_new_tokens: int = 200,
    temperature: float = 0.8,
    top_k: int | None = 200,
    top_p: float | None = None,
    seed: int | None = 0,
    device=None,
    use_cache: bool = True,
) -> str:
    """Decode a sample continuing ``prompt`` (the prompt included)."""
    import torch

    device = device or next(model.parameters()).device
    ids = tokenizer.encode(prompt) or [0]
    idx = torch.tensor([ids], dtype=torch.long, device=device)
    gen = None
    if seed is not None:
        gen = torch.Generator(device=device).manual_seed(seed)
    out = generate(model, idx, max_new_tokens, temperature, top_k, top_p, use_cache, gen)
    return tokenizer.decode(out[0].tolist())


# ---------------------------------------------------------------------- NumPy references
def top_k_numpy(logits, k: int):
    """NumPy top-k over the last axis: every logit below the k-th largest becomes ``-inf``.

    Ties with the k-th largest are kept (as in :func:`filter_logits` and Hugging Face).
    """
    import numpy as np

    logits = np.asarray(logits, dtype=float)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k!r}")
    if k >= logits.shape[-1]:
        return logits.copy()
    kth = np.sort(logits, axis=-1)[..., -k][..., None]
    return np.where(logits < kth, -np.inf, logits)


def top_p_numpy(logits, p: float):
    """NumPy nucleus filter over the last axis: keep the most likely tokens until their
    probability mass reaches ``p`` (the token that crosses ``p`` is kept); others ``-inf``."""
    import numpy as np

    logits = np.asarray(logits, dtype=float)
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p!r}")
    order = np.argsort(-logits, axis=-1, kind="stable")
    sorted_logits = np.take_along_axis(logits, order, axis=-1)
    z = np.exp(sorted_logits - sorted_logits[..., :1])
    probs = z / z.sum(axis=-1, keepdims=True)
    before = np.cumsum(probs, axis=-1) - probs
    drop_sorted = before >= p
    drop = np.zeros_like(drop_sorted)
    np.put_along_axis(drop, order, drop_sorted, axis=-1)
    return np.where(drop, -np.inf, logits)
