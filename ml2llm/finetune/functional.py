"""NumPy reference functions for Project 16's exercises (LoRA maths and prompt masking).

Each is the plain equation the notebook derives; the PyTorch classes in
:mod:`ml2llm.finetune.lora` and :mod:`ml2llm.finetune.sft` do the same on tensors.

>>> import numpy as np
>>> A, B = init_lora(4, 3, 2, np.random.default_rng(0))
>>> A.shape, B.shape, float(np.abs(B).max())
((2, 4), (3, 2), 0.0)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "init_lora",
    "lora_forward",
    "greedy_exact",
    "lora_param_count",
    "mask_prompt",
    "masked_sft_loss",
    "merge_lora_weight",
]


def init_lora(in_features: int, out_features: int, r: int, rng: np.random.Generator):
    """``A ~ U(-1/sqrt(in), 1/sqrt(in))`` of shape ``[r, in]`` (drawn from ``rng``), ``B = 0`` ``[out, r]``."""
    bound = 1.0 / np.sqrt(in_features)
    A = rng.uniform(-bound, bound, size=(r, in_features))
    B = np.zeros((out_features, r))
    return A, B


def lora_forward(x, W, b, A, B, alpha: float, r: int):
    """``x W^T + b + (alpha / r) (x A^T) B^T`` for ``x`` of shape ``[..., in]``."""
    return x @ W.T + b + (alpha / r) * ((x @ A.T) @ B.T)


def merge_lora_weight(W, A, B, alpha: float, r: int):
    """The merged weight ``W + (alpha / r) B A`` (shape of ``W``, ``[out, in]``)."""
    return W + (alpha / r) * (B @ A)


def lora_param_count(shapes, r: int) -> int:
    """Trainable LoRA parameters for linear layers of ``shapes`` ``[(out, in), ...]``: ``sum r (in + out)``."""
    return int(sum(r * (i + o) for o, i in shapes))


def mask_prompt(prompt_ids, completion_ids, eos_id: int):
    """``input_ids = prompt + completion + [eos]``; ``labels`` = -100 on the prompt, ids elsewhere."""
    ids = list(prompt_ids) + list(completion_ids) + [eos_id]
    labels = [-100] * len(prompt_ids) + list(completion_ids) + [eos_id]
    return np.array(ids), np.array(labels)


def masked_sft_loss(logits, labels) -> float:
    """Mean of ``-log softmax(logits[b, t])[labels[b, t+1]]`` over positions with ``labels != -100``."""
    logits = np.asarray(logits, dtype=float)[:, :-1]
    targets = np.asarray(labels)[:, 1:]
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    keep = targets != -100
    picked = np.take_along_axis(logp, np.where(keep, targets, 0)[..., None], -1)[..., 0]
    return float(-(picked[keep]).mean())


def greedy_exact(pred_ids, labels):
    """Per row, 1 where ``pred_ids[b, t] == labels[b, t+1]`` at every ``t`` with a label (not -100).

    ``pred_ids[b, t]`` is the argmax of the logits at position ``t`` when the model is fed the
    right answer (teacher forcing); then the answer is exactly what greedy decoding generates.
    """
    pred = np.asarray(pred_ids)[:, :-1]
    target = np.asarray(labels)[:, 1:]
    keep = target != -100
    return ((pred == target) | ~keep).all(axis=1).astype(int)
