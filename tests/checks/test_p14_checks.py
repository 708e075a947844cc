"""Project 14 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def train_val_split(ids, val_fraction):
    cut = int(len(ids) * (1 - val_fraction))
    return np.array(ids[:cut]), np.array(ids[cut:])


def get_batch(data, offsets, block_size):
    x = np.array([[data[o + t] for t in range(block_size)] for o in offsets], dtype=np.int64)
    y = np.array([[data[o + 1 + t] for t in range(block_size)] for o in offsets], dtype=np.int64)
    return x, y


def top_k_filter(logits, k):
    out = np.array(logits, dtype=float)
    flat = out.reshape(-1, out.shape[-1])
    for row in flat:
        if k < row.size:
            threshold = np.partition(row, -k)[-k]
            row[row < threshold] = -np.inf
    return flat.reshape(out.shape)


def top_p_filter(logits, p):
    out = np.array(logits, dtype=float)
    flat = out.reshape(-1, out.shape[-1])
    for row in flat:
        probs = np.exp(row - row.max())
        probs /= probs.sum()
        mass, keep = 0.0, set()
        for i in sorted(range(row.size), key=lambda j: -probs[j]):
            if mass >= p:
                break
            keep.add(i)
            mass += probs[i]
        row[[i for i in range(row.size) if i not in keep]] = -np.inf
    return flat.reshape(out.shape)


def mfu(n_params, n_layer, n_embd, block_size, tokens_per_s, peak_flops):
    forward = 2 * n_params + 2 * n_layer * block_size * n_embd * 2  # matmuls + QK^T and AV
    return tokens_per_s * 3 * forward / peak_flops  # backward costs twice the forward


REFERENCES = {
    "p14.train_val_split": train_val_split,
    "p14.get_batch": get_batch,
    "p14.top_k_filter": top_k_filter,
    "p14.top_p_filter": top_p_filter,
    "p14.mfu": mfu,
}


# --- typical mistakes ------------------------------------------------------------------
def split_random(ids, val_fraction):
    perm = np.random.default_rng(1).permutation(len(ids))
    cut = int(len(ids) * (1 - val_fraction))
    return ids[perm[:cut]], ids[perm[cut:]]


def split_swapped(ids, val_fraction):
    cut = int(len(ids) * val_fraction)
    return ids[:cut], ids[cut:]


def batch_unshifted(data, offsets, block_size):
    x = np.stack([data[o : o + block_size] for o in offsets]).astype(np.int64)
    return x, x.copy()


def batch_float(data, offsets, block_size):
    x, y = get_batch(data, offsets, block_size)
    return x.astype(float), y.astype(float)


def batch_y_long(data, offsets, block_size):
    x = np.stack([data[o : o + block_size] for o in offsets]).astype(np.int64)
    y = np.stack([data[o + 1 : o + 2 + block_size] for o in offsets]).astype(np.int64)
    return x, y


def top_k_zero(logits, k):
    out = top_k_filter(logits, k)
    return np.where(np.isinf(out), 0.0, out)


def top_k_off_by_one(logits, k):
    return top_k_filter(logits, min(k + 1, np.shape(logits)[-1]))


def top_k_smallest(logits, k):
    return -top_k_filter(-np.asarray(logits, dtype=float), k)


def top_p_exclusive(logits, p):
    out = np.array(logits, dtype=float)
    flat = out.reshape(-1, out.shape[-1])
    for row in flat:
        probs = np.exp(row - row.max())
        probs /= probs.sum()
        order = np.argsort(-probs)
        drop = order[np.cumsum(probs[order]) > p]
        row[drop] = -np.inf
    return flat.reshape(out.shape)


def top_p_no_sort(logits, p):
    out = np.array(logits, dtype=float)
    flat = out.reshape(-1, out.shape[-1])
    for row in flat:
        probs = np.exp(row - row.max())
        probs /= probs.sum()
        row[np.cumsum(probs) - probs >= p] = -np.inf
    return flat.reshape(out.shape)


def mfu_no_attention(n_params, n_layer, n_embd, block_size, tokens_per_s, peak_flops):
    return tokens_per_s * 6 * n_params / peak_flops


def mfu_forward_only(n_params, n_layer, n_embd, block_size, tokens_per_s, peak_flops):
    return tokens_per_s * (2 * n_params + 4 * n_layer * n_embd * block_size) / peak_flops


def mfu_percent(n_params, n_layer, n_embd, block_size, tokens_per_s, peak_flops):
    return 100 * mfu(n_params, n_layer, n_embd, block_size, tokens_per_s, peak_flops)


MISTAKES = {
    "p14.train_val_split": [
        (split_random, "do not shuffle"),
        (split_swapped, "not the first val_fraction"),
    ],
    "p14.get_batch": [
        (batch_unshifted, "shift the window by one"),
        (batch_float, "integer token ids"),
        (batch_y_long, "y has block_size tokens"),
    ],
    "p14.top_k_filter": [
        (top_k_zero, "-inf"),
        (top_k_off_by_one, "keep exactly k tokens"),
        (top_k_smallest, "LARGEST"),
    ],
    "p14.top_p_filter": [
        (top_p_exclusive, "keep the token whose probability makes the mass reach p"),
        (top_p_no_sort, "sort the tokens by probability"),
    ],
    "p14.mfu": [
        (mfu_no_attention, "attention term"),
        (mfu_forward_only, "forward + backward"),
        (mfu_percent, "not a percentage"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
