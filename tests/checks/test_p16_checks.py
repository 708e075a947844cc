"""Project 16 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np
import torch

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def init_lora(in_features, out_features, r, rng):
    a = rng.uniform(-(in_features**-0.5), in_features**-0.5, size=(r, in_features))
    return a, np.zeros((out_features, r))


def lora_forward(x, W, b, A, B, alpha, r):
    return x @ (W + (alpha / r) * B @ A).T + b  # merged form: same numbers


def merge_lora_weight(W, A, B, alpha, r):
    out = W.copy()
    for k in range(r):  # a sum of r rank-1 outer products
        out += (alpha / r) * np.outer(B[:, k], A[k])
    return out


def lora_param_count(shapes, r):
    total = 0
    for out_f, in_f in shapes:
        total += r * in_f + out_f * r
    return total


def mask_prompt(prompt_ids, completion_ids, eos_id):
    ids, labels = [], []
    for t in prompt_ids:
        ids.append(t)
        labels.append(-100)
    for t in list(completion_ids) + [eos_id]:
        ids.append(t)
        labels.append(t)
    return np.array(ids), np.array(labels)


def masked_sft_loss(logits, labels):
    total, n = 0.0, 0
    B, T, _ = logits.shape
    for b in range(B):
        for t in range(T - 1):
            y = labels[b, t + 1]
            if y == -100:
                continue
            row = logits[b, t]
            m = row.max()
            total += -(row[y] - m - np.log(np.exp(row - m).sum()))
            n += 1
    return total / n


def greedy_exact(pred_ids, labels):
    out = []
    for p, y in zip(pred_ids, labels):
        out.append(all(p[t] == y[t + 1] for t in range(len(y) - 1) if y[t + 1] != -100))
    return out  # a list of bools is fine


REFERENCES = {
    "p16.init_lora": init_lora,
    "p16.lora_forward": lora_forward,
    "p16.merge_lora_weight": merge_lora_weight,
    "p16.lora_param_count": lora_param_count,
    "p16.mask_prompt": mask_prompt,
    "p16.masked_sft_loss": masked_sft_loss,
    "p16.greedy_exact": greedy_exact,
}


# --- typical learner mistakes --------------------------------------------------------------
def init_b_random(i, o, r, rng):
    bound = 1 / np.sqrt(i)
    a = rng.uniform(-bound, bound, size=(r, i))
    b = rng.uniform(-bound, bound, size=(o, r))  # "initialise it like A"
    return a, b


def init_a_transposed(i, o, r, rng):
    return rng.uniform(-(i**-0.5), i**-0.5, size=(i, r)), np.zeros((o, r))


def init_both_zero(i, o, r, rng):
    return np.zeros((r, i)), np.zeros((o, r))


def fwd_r_over_alpha(x, W, b, A, B, alpha, r):
    return x @ W.T + b + (r / alpha) * x @ A.T @ B.T


def fwd_no_scale(x, W, b, A, B, alpha, r):
    return x @ W.T + b + x @ A.T @ B.T


def merge_r_over_alpha(W, A, B, alpha, r):
    return W + B @ A * r / alpha


def merge_minus(W, A, B, alpha, r):
    return W - alpha / r * B @ A


def count_full(shapes, r):
    return sum(o * i * r for o, i in shapes)


def count_only_a(shapes, r):
    return sum(r * i for _, i in shapes)


def mask_nothing(p, c, e):
    ids = np.array(list(p) + list(c) + [e])
    return ids, ids.copy()


def mask_off_by_one(p, c, e):
    ids = list(p) + list(c) + [e]
    return np.array(ids), np.array([-100] * (len(p) + 1) + ids[len(p) + 1 :])


def mask_no_eos(p, c, e):
    return np.array(list(p) + list(c)), np.array([-100] * len(p) + list(c))


def loss_unshifted(logits, labels):
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    keep = labels != -100
    return -np.mean([logp[b, t, labels[b, t]] for b, t in zip(*np.nonzero(keep))])


def loss_all_positions(logits, labels):
    z = logits[:, :-1] - logits[:, :-1].max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    t = labels[:, 1:]
    s = sum(-logp[b, k, t[b, k]] for b, k in zip(*np.nonzero(t != -100)))
    return s / t.size


def loss_naive_softmax(logits, labels):
    p = np.exp(logits[:, :-1])
    p = p / p.sum(-1, keepdims=True)
    t = labels[:, 1:]
    return -np.mean([np.log(p[b, k, t[b, k]]) for b, k in zip(*np.nonzero(t != -100))])


MISTAKES = {
    "p16.init_lora": [
        (init_b_random, "B must start at zero"),
        (init_a_transposed, "its shape is [r, in]"),
        (init_both_zero, "both gradients are zero"),
    ],
    "p16.lora_forward": [
        (fwd_r_over_alpha, "alpha / r, not r / alpha"),
        (fwd_no_scale, "multiply the low-rank branch"),
    ],
    "p16.merge_lora_weight": [
        (merge_r_over_alpha, "alpha / r, not r / alpha"),
        (merge_minus, "merging adds the update"),
    ],
    "p16.lora_param_count": [
        (count_full, "it stores A [r, in] and B [out, r]"),
        (count_only_a, "count B [out, r] too"),
    ],
    "p16.mask_prompt": [
        (mask_nothing, "mask the prompt"),
        (mask_off_by_one, "off by one"),
        (mask_no_eos, "append eos_id"),
    ],
    "p16.greedy_exact": [
        (lambda p, y: ((p == y) | (y == -100)).all(1), "shift by one"),
        (lambda p, y: ((p[:, :-1] == y[:, 1:]) & (y[:, 1:] != -100)).any(1), "use all, not any"),
        (lambda p, y: (p[:, :-1] == y[:, 1:]).all(1), "skip the positions whose label is -100"),
    ],
    "p16.masked_sft_loss": [
        (loss_unshifted, "shift by one"),
        (loss_all_positions, "unmasked positions only"),
        (loss_naive_softmax, "subtract the max logit"),
    ],
}


# --- a LoRA layer applied to a whole model (p16.apply_lora), written independently -------
class LoRALinear(torch.nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base, self.scaling = base, alpha / r
        self.lora_A = torch.nn.Parameter(torch.randn(r, base.in_features) / base.in_features**0.5)
        self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, r))

    def forward(self, x):
        return (
            self.base(x)
            + torch.nn.functional.linear(torch.nn.functional.linear(x, self.lora_A), self.lora_B)
            * self.scaling
        )


def apply_lora(model, target_modules, r, alpha):
    for p in model.parameters():
        p.requires_grad = False
    for name, module in list(model.named_modules()):
        if name.rsplit(".", 1)[-1] in target_modules and isinstance(module, torch.nn.Linear):
            parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            setattr(parent, name.rsplit(".", 1)[-1], LoRALinear(module, r, alpha))


def apply_lora_alpha_scale(model, target_modules, r, alpha):
    apply_lora(model, target_modules, r, alpha)
    for m in model.modules():
        if isinstance(m, LoRALinear):
            m.scaling = alpha  # forgot to divide by r


def apply_lora_unfrozen(model, target_modules, r, alpha):
    apply_lora(model, target_modules, r, alpha)
    model.requires_grad_(True)  # trains the base too


def apply_lora_everywhere(model, target_modules, r, alpha):
    targets = {
        n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)
    }
    apply_lora(model, targets, r, alpha)


REFERENCES_APPLY = {"p16.apply_lora": apply_lora}
MISTAKES_APPLY = {
    "p16.apply_lora": [
        (apply_lora_alpha_scale, "wrong scale"),
        (apply_lora_unfrozen, "freeze the base"),
        (apply_lora_everywhere, "target_modules"),
    ]
}


def test_library_apply_lora_also_passes():
    from ml2llm.finetune.lora import apply_lora as library_apply

    assert_passes("p16.apply_lora", lambda m, t, r, a: library_apply(m, t, r=r, alpha=a))


REFERENCES.update(REFERENCES_APPLY)
MISTAKES.update(MISTAKES_APPLY)


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
