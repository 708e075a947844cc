"""What the model would say: next-token entropy and samples at several temperatures.

:func:`entropy` is the Shannon entropy (nats) of ``softmax(logits)`` along the last axis: about
``ln V`` for an untrained model, which spreads its bets evenly, and much lower once the model
is confident (after ``"q"`` comes ``"u"``). :func:`next_token_entropy` runs a model over token
windows and returns the entropy at every position. :func:`samples_at_temperatures` decodes the
same prompt at several temperatures with one seed, using
:func:`ml2llm.training.sampling.sample_text`.

What it does not do: beam search or any filter other than temperature and top-k.

>>> import numpy as np
>>> round(float(entropy(np.zeros(4))), 6) == round(float(np.log(4)), 6)
True
"""

from __future__ import annotations

import numpy as np


def entropy(logits):
    """``-sum p log p`` (nats) of ``p = softmax(logits)`` over the last axis."""
    logits = np.asarray(
        logits.detach().cpu() if hasattr(logits, "detach") else logits, dtype=np.float64
    )
    if logits.ndim < 1 or logits.shape[-1] < 1:
        raise ValueError(f"logits must have shape (..., V) with V >= 1, got {logits.shape}")
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    p = np.exp(log_p)
    return -(p * np.where(p > 0, log_p, 0.0)).sum(axis=-1)


def next_token_entropy(model, idx):
    """Entropy of the model's next-token distribution at every position of ``idx`` (B, T)."""
    import torch

    idx = torch.as_tensor(idx, dtype=torch.long)
    if idx.dim() == 1:
        idx = idx[None]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(idx.to(next(model.parameters()).device))[0]
    finally:
        model.train(was_training)
    return entropy(logits.float().cpu().numpy())


def samples_at_temperatures(
    model,
    tokenizer,
    prompt="\n",
    temperatures=(0.5, 1.0, 1.5),
    max_new_tokens=120,
    seed=0,
    top_k=None,
) -> dict:
    """``{temperature: text}``: the prompt continued at each temperature (same seed each time)."""
    from ml2llm.training.sampling import sample_text

    temps = list(temperatures)
    if not temps or any(not t >= 0 for t in temps):
        raise ValueError(
            f"temperatures must be a non-empty list of numbers >= 0, got {temperatures!r}"
        )
    return {
        t: sample_text(model, tokenizer, prompt, max_new_tokens, t, top_k, None, seed)
        for t in temps
    }
