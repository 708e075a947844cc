"""The SFT loss with the LM head computed only where a label is supervised.

A prompt-masked example spends most of its tokens on the prompt, and every prompt position's
``vocab_size``-way logits (49,152 for SmolLM2) are thrown away by ``ignore_index=-100``.
:func:`supervised_loss` runs the model body once, keeps the final hidden states at the
positions whose *next* token is supervised, and projects only those through the LM head::

    hidden = body(input_ids)                      # (B, T, C), after the final norm
    keep   = labels[:, 1:] != -100                # (B, T-1) the positions that predict a label
    loss   = cross_entropy(lm_head(hidden[:, :-1][keep]), labels[:, 1:][keep])

It is the same mean over the same targets as
:func:`ml2llm.finetune.sft.sft_loss` on the full logits (and as Hugging Face's own
``LlamaForCausalLM(labels=...)`` loss), to float rounding; ``tests/finetune/test_real_loss.py``
checks 1e-6 on the real SmolLM2.

The body is obtained by swapping the module named ``lm_head`` for ``nn.Identity`` for one
forward call (:func:`head_bypassed`), which works for our ``GPT``/``Llama``, Hugging Face
causal LMs and PEFT-wrapped ones alike.

What it does not do: chunked cross-entropy over long answers, or models whose head is not a
module named ``lm_head``; for those, :func:`supervised_loss` raises ``ValueError``.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["find_head", "head_bypassed", "supervised_loss"]


def find_head(model: nn.Module) -> tuple[nn.Module, str, nn.Module]:
    """``(parent, attribute name, head)`` of the last module named ``lm_head`` in ``model``."""
    found = None
    for name, module in model.named_modules():
        if name == "lm_head" or name.endswith(".lm_head"):
            found = (name, module)
    if found is None:
        raise ValueError(
            f"{type(model).__name__} has no module named lm_head: use the full-logits sft_loss"
        )
    name, head = found
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    return parent, child, head


@contextlib.contextmanager
def head_bypassed(model: nn.Module):
    """Within the block, ``model``'s ``lm_head`` is ``nn.Identity`` (its output is the hidden
    state after the final norm); yields the real head, which is put back afterwards."""
    parent, child, head = find_head(model)
    setattr(parent, child, nn.Identity())
    try:
        yield head
    finally:
        setattr(parent, child, head)


def supervised_loss(model, input_ids, labels, attention_mask=None) -> torch.Tensor:
    """Mean next-token cross-entropy over the supervised labels, with the head applied there only.

    Parameters
    ----------
    model : our ``GPT``/``Llama``, or a Hugging Face / PEFT causal LM
    input_ids, labels : LongTensor ``(B, T)``
        ``labels[:, t]`` is the target of position ``t - 1``; ``-100`` is ignored (the prompt
        and padding), as in :func:`~ml2llm.finetune.sft.sft_loss`.
    attention_mask : LongTensor ``(B, T)``, optional
        Passed to Hugging Face models (ours take right padding without one).

    Raises
    ------
    ValueError
        ``labels`` of another shape, or no supervised label at all (the mean would be NaN).
    """
    from ml2llm.transformers.generation import causal_logits

    if labels.shape != input_ids.shape:
        raise ValueError(
            f"labels must have shape {tuple(input_ids.shape)}, got {tuple(labels.shape)}"
        )
    targets = labels[:, 1:]
    keep = targets != -100
    if not bool(keep.any()):
        raise ValueError("no supervised label (every label is -100): nothing to train on")
    with head_bypassed(model) as head:
        hidden = causal_logits(model, input_ids, attention_mask)
    logits = head(hidden[:, :-1][keep])
    return F.cross_entropy(logits.float(), targets[keep])
