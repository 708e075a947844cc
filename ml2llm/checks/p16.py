"""Checks for Project 16 — LoRA maths, parameter accounting, prompt masking, masked SFT loss,
and a LoRA layer applied to a whole model.

References are in :mod:`ml2llm.finetune.functional`; ``p16.apply_lora`` is compared with
PEFT's ``get_peft_model`` on a small Llama (same adapter values, same logits, same number
of trainable parameters, same adapted layers).
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


# ----------------------------------------------------------- LoRALinear applied to a model
def _tiny_llama(seed: int, tie: bool):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=41, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32,
        tie_word_embeddings=tie,
    )  # fmt: skip
    return LlamaForCausalLM(cfg).eval()


def _apply_cases():
    import torch

    g = torch.Generator().manual_seed(3)
    return [
        Case(
            (_tiny_llama(0, False), ["q_proj", "v_proj"], 2, 4, torch.randint(0, 41, (2, 9), generator=g)),
            label="a 2-layer Llama, target_modules=['q_proj', 'v_proj'], r=2, alpha=4",
        ),
        Case(
            (_tiny_llama(1, True), ["k_proj", "o_proj", "down_proj"], 4, 16, torch.randint(0, 41, (1, 7), generator=g)),
            label="a 2-layer Llama (tied embeddings), target_modules=['k_proj', 'o_proj', 'down_proj'], r=4, alpha=16",
        ),
    ]  # fmt: skip


def _lora_outputs(model, idx):
    """Logits after giving every adapter the same random A and B, the trainable-parameter
    count, and the adapted layers' names (PEFT's ``base_model.model.`` prefix removed)."""
    import torch

    adapted = {}
    for name, m in model.named_modules():
        a, b = getattr(m, "lora_A", None), getattr(m, "lora_B", None)
        if a is None or b is None:
            continue
        if isinstance(a, torch.nn.ModuleDict):  # PEFT: lora_A["default"] is an nn.Linear
            a, b = a["default"].weight, b["default"].weight
        adapted[name.removeprefix("base_model.model.")] = (a, b)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name in sorted(adapted):
            a, b = adapted[name]
            a.copy_(torch.randn(a.shape, generator=g) * 0.3)
            b.copy_(torch.randn(b.shape, generator=g) * 0.3)
        logits = model(input_ids=idx).logits.detach()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"logits": logits, "trainable": int(trainable), "adapted": sorted(adapted)}


def _peft_reference(model, target_modules, r, alpha):
    """The independent reference: PEFT's ``get_peft_model`` with the same settings."""
    from peft import LoraConfig, get_peft_model

    cfg = LoraConfig(r=r, lora_alpha=alpha, target_modules=list(target_modules), lora_dropout=0.0)
    return get_peft_model(model, cfg)


def _run_apply(fn, case):
    model, target_modules, r, alpha, idx = case.args
    import torch

    out = fn(model, target_modules, r, alpha)  # may change model in place and return anything
    return _lora_outputs(out if isinstance(out, torch.nn.Module) else model, idx)


def _wrong_apply(scale="alpha/r", base=True, freeze=True, every_linear=False):
    """A LoRA wrapper + apply with one thing wrong (for the mistake catalogue)."""
    import torch
    from torch import nn

    class Wrong(nn.Module):
        def __init__(self, layer, r, alpha):
            super().__init__()
            self.base = layer
            self.lora_A = nn.Parameter(torch.zeros(r, layer.in_features))
            self.lora_B = nn.Parameter(torch.zeros(layer.out_features, r))
            self.scale = {"alpha/r": alpha / r, "alpha": alpha, "r/alpha": r / alpha}[scale]

        def forward(self, x):
            delta = self.scale * (x @ self.lora_A.T) @ self.lora_B.T
            return self.base(x) + delta if base else delta

    def apply(model, target_modules, r, alpha):
        if freeze:
            model.requires_grad_(False)
        for parent in list(model.modules()):
            for child_name, child in list(parent.named_children()):
                if isinstance(child, nn.Linear) and (every_linear or child_name in target_modules):
                    setattr(parent, child_name, Wrong(child, r, alpha))
        return model

    return apply


register(
    Check(
        "p16.apply_lora",
        reference=_peft_reference,
        cases=_apply_cases,
        call=_run_apply,
        rtol=1e-4,
        atol=1e-5,
        check_mutation=False,
        hint="freeze the model, then replace every nn.Linear named in target_modules by "
        "LoRALinear(base, r, alpha): base(x) + (alpha / r) · (x Aᵀ) Bᵀ, A [r, in], B [out, r].",
        mistakes=[
            Mistake(
                "scale alpha",
                _wrong_apply(scale="alpha"),
                "wrong scale: multiply the low-rank branch by alpha / r.",
            ),
            Mistake(
                "scale r/alpha",
                _wrong_apply(scale="r/alpha"),
                "wrong scale: multiply the low-rank branch by alpha / r (not r / alpha).",
            ),
            Mistake(
                "no base output",
                _wrong_apply(base=False),
                "add the frozen base layer's output: base(x) + the low-rank branch.",
            ),
            Mistake(
                "base not frozen",
                _wrong_apply(freeze=False),
                "freeze the base model (requires_grad_(False)) before adding the adapters: "
                "only lora_A and lora_B train.",
            ),
            Mistake(
                "every linear",
                _wrong_apply(every_linear=True),
                "wrap only the layers whose name is in target_modules, not every nn.Linear.",
            ),
        ],
    )
)


# ------------------------------------------------- 16.8 greedy exact match, teacher-forced
def _exact_cases():
    g = _rng(80)
    lab = np.array(
        [[-100, -100, 5, 6, 2], [-100, -100, 7, 2, -100], [-100, 3, 4, 8, 2], [-100, -100, 4, 4, 4]]
    )
    pred = np.array([[1, 5, 6, 2, 9], [4, 7, 9, 0, 0], [3, 3, 4, 0, 2], [0, 4, 4, 4, 4]])
    # row 0 right; row 1 right then wrong; row 2 right except the last answer token; row 3
    # right, and right unshifted too (a repeated token)
    big_lab = np.full((6, 12), -100)
    big_pred = g.integers(0, 50, size=(6, 12))
    for b in range(6):
        start = int(g.integers(2, 8))
        answer = g.integers(0, 50, size=12 - start)
        big_lab[b, start:] = answer
        big_pred[b, start - 1 : 11] = answer
        if b % 2:
            big_pred[b, 10] = (answer[-1] + 1) % 50  # the last answer token is wrong
    return [
        Case((pred, lab)),
        Case((big_pred, big_lab), hint="rows of different prompt lengths: each row on its own."),
    ]


def _exact_unshifted(pred, labels):
    keep = labels != -100
    return ((pred == labels) | ~keep).all(1).astype(int)


def _exact_any(pred, labels):
    t = labels[:, 1:]
    return ((pred[:, :-1] == t) & (t != -100)).any(1).astype(int)


def _exact_fraction(pred, labels):
    t = labels[:, 1:]
    keep = t != -100
    return ((pred[:, :-1] == t) & keep).sum(1) / keep.sum(1)


def _exact_masked_too(pred, labels):
    return (pred[:, :-1] == labels[:, 1:]).all(1).astype(int)


register(
    Check(
        "p16.greedy_exact",
        reference=ref.greedy_exact,
        cases=_exact_cases,
        hint="row b is right when pred[b, t] == labels[b, t+1] at every t whose label is not -100.",
        mistakes=[
            Mistake(
                "not shifted",
                _exact_unshifted,
                "shift by one: the prediction at position t is for the token at t + 1 (labels[:, 1:]).",
            ),
            Mistake(
                "any token right",
                _exact_any,
                "greedy decoding returns the whole answer only if *every* answer token is the argmax: use all, not any.",
            ),
            Mistake(
                "fraction of tokens",
                _exact_fraction,
                "return 0 or 1 per row (the whole answer right or not), not the fraction of right tokens.",
            ),
            Mistake(
                "prompt positions compared",
                _exact_masked_too,
                "skip the positions whose label is -100 (the prompt and padding): only answer tokens count.",
            ),
        ],
    )
)
