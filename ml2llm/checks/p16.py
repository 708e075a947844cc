"""Checks for Project 16 — LoRA maths, parameter accounting, prompt masking, masked SFT loss.

References are in :mod:`ml2llm.finetune.functional`.
"""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.finetune import functional as ref


def _rng(seed):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------- 16.1 init
def _b_random(i, o, r, rng):
    bound = 1.0 / np.sqrt(i)
    return rng.uniform(-bound, bound, size=(r, i)), rng.uniform(-bound, bound, size=(o, r))


def _a_zero(i, o, r, rng):
    bound = 1.0 / np.sqrt(i)
    return np.zeros((r, i)), rng.uniform(-bound, bound, size=(o, r))


def _both_zero(i, o, r, rng):
    return np.zeros((r, i)), np.zeros((o, r))


def _a_transposed(i, o, r, rng):
    bound = 1.0 / np.sqrt(i)
    return rng.uniform(-bound, bound, size=(i, r)), np.zeros((o, r))


register(
    Check(
        "p16.init_lora",
        reference=ref.init_lora,
        cases=lambda: [
            Case((4, 3, 2, _rng(0))),
            Case((16, 8, 4, _rng(1))),
            Case((8, 32, 1, _rng(2)), hint="r = 1 is allowed: A is [1, in], B is [out, 1]."),
        ],
        hint="A = rng.uniform(-1/sqrt(in), 1/sqrt(in), size=(r, in)); B = zeros((out, r)).",
        mistakes=[
            Mistake(
                "B random",
                _b_random,
                "B must start at zero, so that B A = 0 and the tuned model starts exactly as the base model.",
            ),
            Mistake(
                "A zero, B random",
                _a_zero,
                "A is the random one and B the zero one (PEFT's convention; A's gradient is B^T(...), "
                "so with B = 0 only B moves at step 1).",
            ),
            Mistake(
                "both zero",
                _both_zero,
                "with A = B = 0 both gradients are zero forever: keep A random.",
            ),
            Mistake(
                "A transposed",
                _a_transposed,
                "A maps the input down to r numbers: its shape is [r, in], like an nn.Linear(in, r) weight.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 16.2 forward
def _fwd_cases():
    out = []
    for seed, (n, i, o, r, alpha) in enumerate(
        [(2, 4, 3, 2, 4.0), (5, 8, 6, 4, 16.0), (3, 6, 6, 1, 3.0)]
    ):
        g = _rng(10 + seed)
        out.append(
            Case(
                (g.normal(size=(n, i)), g.normal(size=(o, i)), g.normal(size=o),
                 g.normal(size=(r, i)), g.normal(size=(o, r)), alpha, r)
            )
        )  # fmt: skip
    return out


register(
    Check(
        "p16.lora_forward",
        reference=ref.lora_forward,
        cases=_fwd_cases,
        hint="y = x W^T + b + (alpha / r) * (x A^T) B^T.",
        mistakes=[
            Mistake(
                "r / alpha",
                lambda x, W, b, A, B, alpha, r: x @ W.T + b + (r / alpha) * (x @ A.T @ B.T),
                "the scale is alpha / r, not r / alpha.",
            ),
            Mistake(
                "no scale",
                lambda x, W, b, A, B, alpha, r: x @ W.T + b + x @ A.T @ B.T,
                "multiply the low-rank branch by alpha / r.",
            ),
            Mistake(
                "no base",
                lambda x, W, b, A, B, alpha, r: (alpha / r) * (x @ A.T @ B.T),
                "LoRA adds to the frozen layer: keep x W^T + b.",
            ),
            Mistake(
                "no bias",
                lambda x, W, b, A, B, alpha, r: x @ W.T + (alpha / r) * (x @ A.T @ B.T),
                "the frozen layer keeps its bias b.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 16.3 merge
def _merge_cases():
    out = []
    for seed, (i, o, r, alpha) in enumerate([(4, 3, 2, 4.0), (8, 6, 4, 16.0), (5, 5, 1, 2.0)]):
        g = _rng(20 + seed)
        out.append(
            Case((g.normal(size=(o, i)), g.normal(size=(r, i)), g.normal(size=(o, r)), alpha, r))
        )
    return out


register(
    Check(
        "p16.merge_lora_weight",
        reference=ref.merge_lora_weight,
        cases=_merge_cases,
        hint="W_merged = W + (alpha / r) * B @ A  (shape [out, in]).",
        mistakes=[
            Mistake(
                "r / alpha",
                lambda W, A, B, alpha, r: W + (r / alpha) * (B @ A),
                "the scale is alpha / r, not r / alpha.",
            ),
            Mistake(
                "no scale",
                lambda W, A, B, alpha, r: W + B @ A,
                "merge the scaled update: W + (alpha / r) B A.",
            ),
            Mistake(
                "subtracted",
                lambda W, A, B, alpha, r: W - (alpha / r) * (B @ A),
                "merging adds the update; subtracting it is unmerge.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 16.4 count
_MISTRAL_7B = [(4096, 4096), (1024, 4096), (1024, 4096), (4096, 4096)] * 32  # q, k, v, o

register(
    Check(
        "p16.lora_param_count",
        reference=ref.lora_param_count,
        cases=lambda: [
            Case(([(20, 10)], 2)),
            Case(([(4, 8), (8, 4), (16, 16)], 3)),
            Case((_MISTRAL_7B, 16), label="shapes = q, k, v, o of Mistral-7B's 32 layers, r = 16"),
        ],
        hint="each adapted [out, in] layer adds A [r, in] and B [out, r]: r * (in + out).",
        mistakes=[
            Mistake(
                "full matrix",
                lambda shapes, r: int(sum(r * o * i for o, i in shapes)),
                "LoRA does not store an r-times-bigger W: it stores A [r, in] and B [out, r], r * (in + out).",
            ),
            Mistake(
                "only A",
                lambda shapes, r: int(sum(r * i for o, i in shapes)),
                "count B [out, r] too: r * (in + out) per layer.",
            ),
            Mistake(
                "r squared",
                lambda shapes, r: int(sum(r * r * (i + o) for o, i in shapes)),
                "the rank multiplies once: r * (in + out).",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 16.5 masking
def _labels_same(expected, got):
    from ml2llm.checks import Mismatch, assert_close

    if isinstance(got, (tuple, list)) and len(got) == 2:
        got = (np.asarray(got[0]), np.asarray(got[1]))
    else:
        raise Mismatch(f"return (input_ids, labels), got {type(got).__name__}")
    assert_close(expected, got, rtol=0, atol=0)


register(
    Check(
        "p16.mask_prompt",
        reference=ref.mask_prompt,
        cases=lambda: [
            Case(([5, 6, 7], [8, 9], 0)),
            Case(([1], [2, 3, 4], 99)),
            Case(
                ([10, 11, 12, 13], [], 0),
                hint="an empty completion still teaches the model to stop: labels end with eos.",
            ),
        ],
        compare=_labels_same,
        hint="input_ids = prompt + completion + [eos]; labels = [-100] * len(prompt) + completion + [eos].",
        mistakes=[
            Mistake(
                "not masked",
                lambda p, c, e: (np.array(p + c + [e]), np.array(p + c + [e])),
                "mask the prompt: labels are -100 on every prompt token, so the loss is on the completion only.",
            ),
            Mistake(
                "masked one too many",
                lambda p, c, e: (
                    np.array(p + c + [e]),
                    np.array([-100] * (len(p) + 1) + (c + [e])[1:]),
                ),
                "off by one: only the prompt's tokens are -100; the first completion token keeps its label.",
            ),
            Mistake(
                "no eos",
                lambda p, c, e: (np.array(p + c), np.array([-100] * len(p) + c)),
                "append eos_id to both: the model must learn where the answer stops.",
            ),
            Mistake(
                "eos masked",
                lambda p, c, e: (np.array(p + c + [e]), np.array([-100] * len(p) + c + [-100])),
                "keep the label on eos: the model must learn where the answer stops.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 16.6 loss
def _loss_cases():
    g = _rng(30)
    lab1 = np.array([[-100, -100, 3, 4, 0], [-100, 1, 2, -100, -100]])
    lab2 = np.array([[-100, -100, -100, -100, 5, 6, 7, 0]])
    return [
        Case((g.normal(size=(2, 5, 8)), lab1)),
        Case((g.normal(size=(1, 8, 9)) * 5, lab2)),
        Case(
            (g.normal(size=(2, 5, 8)) + 1000.0, lab1),
            hint="subtract the max before exp: logits near 1000 overflow.",
        ),
    ]


def _logp(logits):
    z = logits - logits.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _loss_unshifted(logits, labels):
    keep = labels != -100
    logp = _logp(np.asarray(logits, float))
    picked = np.take_along_axis(logp, np.where(keep, labels, 0)[..., None], -1)[..., 0]
    return float(-picked[keep].mean())


def _loss_mean_all(logits, labels):
    logp = _logp(np.asarray(logits, float))[:, :-1]
    t = labels[:, 1:]
    keep = t != -100
    picked = np.take_along_axis(logp, np.where(keep, t, 0)[..., None], -1)[..., 0]
    return float(-(picked * keep).sum() / t.size)


def _loss_unstable(logits, labels):
    lg = np.asarray(logits, float)[:, :-1]
    p = np.exp(lg) / np.exp(lg).sum(-1, keepdims=True)
    t = labels[:, 1:]
    keep = t != -100
    picked = np.take_along_axis(p, np.where(keep, t, 0)[..., None], -1)[..., 0]
    return float(-np.log(picked[keep]).mean())


register(
    Check(
        "p16.masked_sft_loss",
        reference=ref.masked_sft_loss,
        cases=_loss_cases,
        rtol=1e-6,
        atol=1e-9,
        hint="position t predicts labels[t+1]: mean of -log_softmax(logits[:, :-1]) at labels[:, 1:], skipping -100.",
        mistakes=[
            Mistake(
                "not shifted",
                _loss_unshifted,
                "shift by one: the logits at position t predict the token at t + 1 (labels[:, 1:]).",
            ),
            Mistake(
                "mean over all positions",
                _loss_mean_all,
                "average over the unmasked positions only, not over all of them.",
            ),
            Mistake(
                "unstable softmax",
                _loss_unstable,
                "subtract the max logit before exp (log-sum-exp), or large logits overflow.",
            ),
        ],
    )
)
