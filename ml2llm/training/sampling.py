"""Text samples from a language model, and NumPy versions of the top-k / top-p filters.

:func:`sample_text` encodes a prompt, runs :func:`ml2llm.transformers.generation.generate`
(the one decoding loop: temperature, top-k, top-p, KV cache) and decodes the result. The
loop and its logits filter live in :mod:`ml2llm.transformers.generation`; ``generate``,
``filter_logits`` and ``sample_next`` are re-exported here for the trainer's callers.
:func:`top_k_numpy` and :func:`top_p_numpy` are Project 14's NumPy references; they run the
same filter on a NumPy array, so there is one top-k and one top-p in the package.

What it does not do: beam search, repetition penalties, or stopping strings.

>>> import numpy as np
>>> top_k_numpy(np.array([1.0, 3.0, 2.0]), 1)
array([-inf,   3., -inf])
"""

from __future__ import annotations

from ml2llm.transformers.generation import filter_logits, generate, sample_next

__all__ = ["filter_logits", "generate", "sample_next", "sample_text", "top_k_numpy", "top_p_numpy"]


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
    import torch

    logits = np.asarray(logits, dtype=float)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    return filter_logits(torch.from_numpy(logits.copy()), top_k=int(k)).numpy()


def top_p_numpy(logits, p: float):
    """NumPy nucleus filter over the last axis: keep the most likely tokens until their
    probability mass reaches ``p`` (the token that crosses ``p`` is kept); others ``-inf``."""
    import numpy as np
    import torch

    logits = np.asarray(logits, dtype=float)
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p!r}")
    return filter_logits(torch.from_numpy(logits.copy()), top_p=float(p)).numpy()
