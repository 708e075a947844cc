"""Checks for Project 14 — pretraining (train/val split, batches, top-k, top-p, MFU).

References are in :mod:`ml2llm.training.data`, :mod:`ml2llm.training.sampling` and
:mod:`ml2llm.training.models`.
"""

from __future__ import annotations

import numpy as np

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.training import data as data_ref
from ml2llm.training import models as models_ref
from ml2llm.training import sampling as sampling_ref


# ---------------------------------------------------------------------- 14.1 split
def _split_cases():
    rng = np.random.default_rng(0)
    return [
        Case((np.arange(10), 0.1)),
        Case((np.arange(20) % 7, 0.25)),
        Case((np.arange(7), 0.3), hint="n * (1 - val_fraction) = 4.9: int() rounds it down to 4."),
        Case(
            (rng.integers(0, 65, size=1001), 0.1),
            label="ids: 1001 random token ids, val_fraction=0.1",
        ),
    ]


def _split_same_as(expected, got):
    from ml2llm.checks import Mismatch, assert_close

    if isinstance(got, (tuple, list)) and len(got) == 2:
        whole_e = np.concatenate([np.asarray(e) for e in expected])
        whole_g = np.concatenate([np.asarray(g).ravel() for g in got])
        if (
            len(whole_g) == len(whole_e)
            and not np.array_equal(whole_g, whole_e)
            and np.array_equal(np.sort(whole_g), np.sort(whole_e))
            and [len(g) for g in got] == [len(e) for e in expected]
        ):
            raise Mismatch(
                "the ids are reordered: do not shuffle, overlapping windows would leak "
                "validation text into training"
            )
    assert_close(expected, got, rtol=0, atol=0)


register(
    Check(
        "p14.train_val_split",
        reference=data_ref.train_val_split,
        cases=_split_cases,
        compare=_split_same_as,
        hint="train = ids[:n_train], val = ids[n_train:] with n_train = int(len(ids) * (1 - val_fraction)).",
        mistakes=[
            Mistake(
                "swapped",
                lambda ids, f: (ids[: int(len(ids) * f)], ids[int(len(ids) * f) :]),
                "the first (1 − val_fraction) of the ids are for training, not the first val_fraction.",
            ),
            Mistake(
                "val first",
                lambda ids, f: (
                    ids[len(ids) - int(len(ids) * (1 - f)) :],
                    ids[: len(ids) - int(len(ids) * (1 - f))],
                ),
                "keep the order of the text: training text first, validation text at the end.",
            ),
            Mistake(
                "shuffled",
                lambda ids, f: tuple(
                    np.split(np.random.default_rng(0).permutation(ids), [int(len(ids) * (1 - f))])
                ),
                "do not shuffle: overlapping windows would leak validation text into training.",
            ),
            Mistake(
                "rounded",
                lambda ids, f: (ids[: round(len(ids) * (1 - f))], ids[round(len(ids) * (1 - f)) :]),
                "use int() (round down) for the number of training ids, not round().",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 14.2 batches
def _batch_cases():
    rng = np.random.default_rng(1)
    data = rng.integers(0, 65, size=200).astype(np.uint16)
    return [
        Case((np.arange(10), np.array([0]), 3)),
        Case(
            (np.arange(100, 120), np.array([0, 5, 16]), 3),
            hint="the last offset may be len(data) - block_size - 1.",
        ),
        Case(
            (data, np.array([3, 50, 120, 7]), 16),
            label="data: 200 uint16 token ids, 4 offsets, block_size=16",
        ),
    ]


def _batch_same_as(expected, got):
    from ml2llm.checks import Mismatch, assert_close

    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f"expected a tuple (x, y), got {type(got).__name__}")
    x = np.asarray(got[0].detach().cpu() if hasattr(got[0], "detach") else got[0])
    if x.dtype.kind not in "iu":
        raise Mismatch(
            f"x must hold integer token ids (the model looks them up in its embedding table), "
            f"got dtype {x.dtype}"
        )
    assert_close(expected, got, rtol=0, atol=0)


register(
    Check(
        "p14.get_batch",
        reference=data_ref.make_batch,
        cases=_batch_cases,
        compare=_batch_same_as,
        hint="x[b] = data[o : o + block_size] and y[b] = data[o + 1 : o + 1 + block_size].",
        mistakes=[
            Mistake(
                "y equals x",
                lambda d, o, T: (np.stack([d[i : i + T] for i in o]).astype(np.int64),) * 2,
                "y is the NEXT token of each position: shift the window by one.",
            ),
            Mistake(
                "shift backwards",
                lambda d, o, T: (
                    np.stack([d[i + 1 : i + 1 + T] for i in o]).astype(np.int64),
                    np.stack([d[i : i + T] for i in o]).astype(np.int64),
                ),
                "x starts at the offset and y one token later, not the other way round.",
            ),
            Mistake(
                "y too long",
                lambda d, o, T: (
                    np.stack([d[i : i + T] for i in o]).astype(np.int64),
                    np.stack([d[i + 1 : i + 2 + T] for i in o]).astype(np.int64),
                ),
                "y has block_size tokens, like x.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 14.3 top-k
def _top_k_cases():
    rng = np.random.default_rng(2)
    return [
        Case((np.array([1.0, 3.0, 2.0, 0.5]), 2)),
        Case(
            (np.array([[0.1, 0.2, 0.3], [3.0, 1.0, 2.0]]), 1),
            hint="k applies to each row separately.",
        ),
        Case((np.array([2.0, -1.0, 0.0]), 3), hint="k = vocabulary size keeps every token."),
        Case((rng.normal(size=(3, 40)), 5), label="logits of shape (3, 40), k=5"),
    ]


register(
    Check(
        "p14.top_k_filter",
        reference=sampling_ref.top_k_numpy,
        cases=_top_k_cases,
        hint="find the k-th largest logit of each row and set every smaller logit to -inf.",
        mistakes=[
            Mistake(
                "zero not -inf",
                lambda z, k: (
                    np.where(z < np.sort(z, -1)[..., -k][..., None], 0.0, z)
                    if k < z.shape[-1]
                    else z
                ),
                "set removed logits to -inf (probability exactly 0 after softmax), not 0.",
            ),
            Mistake(
                "k plus one",
                lambda z, k: (
                    np.where(z < np.sort(z, -1)[..., -k - 1][..., None], -np.inf, z)
                    if k < z.shape[-1]
                    else z
                ),
                "off by one: keep exactly k tokens, not k + 1 (or k − 1).",
            ),
            Mistake(
                "smallest",
                lambda z, k: (
                    np.where(z > np.sort(z, -1)[..., k - 1][..., None], -np.inf, z)
                    if k < z.shape[-1]
                    else z
                ),
                "keep the k LARGEST logits (sort in descending order).",
            ),
            Mistake(
                "global",
                lambda z, k: (
                    np.where(z < np.sort(z, axis=None)[-k], -np.inf, z) if k < z.shape[-1] else z
                ),
                "filter each row (last axis) on its own, not the whole array.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 14.4 top-p
def _top_p_cases():
    rng = np.random.default_rng(3)
    return [
        Case(
            (np.log(np.array([0.5, 0.3, 0.15, 0.05])), 0.7),
            hint="0.5 < 0.7, so the 0.3 token is needed too: keep the token that crosses p.",
        ),
        Case((np.log(np.array([0.1, 0.6, 0.3])), 0.5), hint="sort by probability first."),
        Case(
            (np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 5.0]]), 0.9),
            hint="p applies to each row separately.",
        ),
        Case((np.array([1.0, 2.0, 3.0]), 1.0), hint="p = 1 keeps every token."),
        Case((rng.normal(size=(2, 30)) * 2, 0.8), label="logits of shape (2, 30), p=0.8"),
    ]


def _top_p_crossing_dropped(z, p):
    z = np.asarray(z, float)
    order = np.argsort(-z, axis=-1)
    s = np.take_along_axis(z, order, -1)
    e = np.exp(s - s[..., :1])
    probs = e / e.sum(-1, keepdims=True)
    drop_sorted = np.cumsum(probs, -1) > p
    drop = np.zeros_like(drop_sorted)
    np.put_along_axis(drop, order, drop_sorted, -1)
    return np.where(drop, -np.inf, z)


def _top_p_on_logits(z, p):
    z = np.asarray(z, float)
    order = np.argsort(-z, axis=-1)
    s = np.take_along_axis(z, order, -1)
    drop_sorted = (np.cumsum(s, -1) - s) >= p
    drop = np.zeros_like(drop_sorted)
    np.put_along_axis(drop, order, drop_sorted, -1)
    return np.where(drop, -np.inf, z)


def _top_p_unsorted(z, p):
    z = np.asarray(z, float)
    e = np.exp(z - z.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    return np.where(np.cumsum(probs, -1) - probs >= p, -np.inf, z)


register(
    Check(
        "p14.top_p_filter",
        reference=sampling_ref.top_p_numpy,
        cases=_top_p_cases,
        hint="sort probabilities in descending order, keep tokens while the mass BEFORE them is < p.",
        mistakes=[
            Mistake(
                "drops crossing",
                _top_p_crossing_dropped,
                "keep the token whose probability makes the mass reach p (test the mass before it).",
            ),
            Mistake(
                "logits not probs",
                _top_p_on_logits,
                "accumulate probabilities (softmax of the logits), not the logits themselves.",
            ),
            Mistake(
                "unsorted",
                _top_p_unsorted,
                "sort the tokens by probability (largest first) before accumulating.",
            ),
        ],
    )
)


# ---------------------------------------------------------------------- 14.5 MFU
def _mfu_cases():
    return [
        Case((10_000_000, 6, 384, 256, 150_000.0, 312e12)),
        Case((800_000, 4, 128, 64, 15_000.0, 1e12)),
        Case(
            (124_000_000, 12, 768, 1024, 500_000.0, 989e12),
            label="GPT-2 small on an H100 at 500k tokens/s",
        ),
    ]


register(
    Check(
        "p14.mfu",
        reference=models_ref.model_flops_utilization,
        cases=_mfu_cases,
        rtol=1e-9,
        hint="flops/token = 6 N + 12 L d T; MFU = tokens/s × flops/token / peak FLOP/s.",
        mistakes=[
            Mistake(
                "no attention",
                lambda N, L, d, T, tps, peak: tps * 6 * N / peak,
                "add the attention term 12 · n_layer · n_embd · block_size to 6N.",
            ),
            Mistake(
                "forward only",
                lambda N, L, d, T, tps, peak: tps * (2 * N + 4 * L * d * T) / peak,
                "training = forward + backward: 6N (2N forward, 4N backward), not 2N.",
            ),
            Mistake(
                "percent",
                lambda N, L, d, T, tps, peak: 100 * tps * (6 * N + 12 * L * d * T) / peak,
                "return a fraction in [0, 1], not a percentage.",
            ),
        ],
    )
)
