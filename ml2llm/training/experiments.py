"""Small, fast training runs for Project 13.5's training-dynamics experiments.

:func:`quick_run` trains a tiny GPT (or Mistral) on a token array for a few hundred steps with
one knob changed (LR, schedule, warmup, clipping, init scale, batch size, width) and returns
the per-step losses, gradient norms and a validation loss. It uses the same pieces as the
trainer (:func:`~ml2llm.training.optim.build_optimizer`, :func:`~ml2llm.training.optim.lr_at`,
``clip_grad_norm_``) but no checkpoints, files or progress bar, so a sweep of a dozen runs
fits in seconds on a CPU.

What it does not do: anything the full :class:`~ml2llm.training.trainer.Trainer` is for
(evaluation schedules, checkpoints, AMP, DDP).
"""

from __future__ import annotations

import time

import numpy as np

from ml2llm.training.config import TrainConfig
from ml2llm.training.data import make_batch
from ml2llm.training.models import build_model, count_params
from ml2llm.training.optim import build_optimizer, lr_at


def batch_sampler(ids, batch_size: int, block_size: int, seed: int = 0):
    """A function returning a fresh random ``(x, y)`` batch of torch tensors at each call."""
    import torch

    ids = np.asarray(ids)
    rng = np.random.default_rng(seed)

    def draw():
        offsets = rng.integers(0, len(ids) - block_size - 1, size=batch_size)
        x, y = make_batch(ids, offsets, block_size)
        return torch.from_numpy(x), torch.from_numpy(y)

    return draw


def scale_init(model, scale: float) -> None:
    """Multiply every matrix (``dim >= 2``) by ``scale``: init std 0.02 becomes 0.02 * scale."""
    import torch

    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.mul_(scale)


def evaluate(
    model, ids, batch_size: int, block_size: int, n_batches: int = 4, seed: int = 123
) -> float:
    """Mean loss on ``n_batches`` fixed random batches of ``ids``."""
    import torch

    draw = batch_sampler(ids, batch_size, block_size, seed)
    model.eval()
    with torch.no_grad():
        total = sum(float(model(*draw())[1]) for _ in range(n_batches))
    model.train()
    return total / n_batches


def quick_run(
    train_ids,
    val_ids=None,
    *,
    vocab_size: int,
    steps: int = 200,
    seed: int = 0,
    init_scale: float = 1.0,
    eval_batches: int = 4,
    **config,
) -> dict:
    """Train a small model; ``config`` holds :class:`TrainConfig` fields (``lr``, ``schedule``...).

    Returns ``{"loss": per-step losses, "grad_norm": per-step norms before clipping,
    "lr": per-step LRs, "val": final validation loss (or nan), "n_params": non-embedding
    parameters, "tokens": tokens seen, "seconds": wall time of the training steps}``. A run whose loss becomes non-finite stops early.
    """
    import torch

    defaults = dict(
        n_layer=1,
        n_head=2,
        n_embd=32,
        block_size=32,
        batch_size=16,
        lr=3e-3,
        warmup_steps=0,
        schedule="cosine",
        grad_clip=0.0,
        weight_decay=0.1,
    )
    cfg = TrainConfig(**{**defaults, **config, "max_steps": steps}).validate()
    torch.manual_seed(seed)
    model = build_model(cfg, vocab_size)
    if init_scale != 1.0:
        scale_init(model, init_scale)
    opt = build_optimizer(
        model,
        cfg.lr,
        cfg.weight_decay,
        (cfg.beta1, cfg.beta2),
        optimizer=cfg.optimizer,
        muon_lr=cfg.muon_lr,
        muon_momentum=cfg.muon_momentum,
    )
    draw = batch_sampler(train_ids, cfg.batch_size, cfg.block_size, seed)
    losses, norms, lrs = [], [], []
    t0 = time.perf_counter()
    for step in range(steps):
        lr = lr_at(step, cfg)
        for g in opt.param_groups:
            g["lr"] = lr
        _, loss = model(*draw())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        max_norm = cfg.grad_clip if cfg.grad_clip > 0 else float("inf")
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        opt.step()
        losses.append(loss.item())
        norms.append(float(norm))
        lrs.append(lr)
        if not np.isfinite(losses[-1]):
            break
    seconds = time.perf_counter() - t0
    val = float("nan")
    if val_ids is not None and np.isfinite(losses[-1]):
        val = evaluate(model, val_ids, cfg.batch_size, cfg.block_size, eval_batches)
    return {
        "loss": np.array(losses),
        "grad_norm": np.array(norms),
        "lr": np.array(lrs),
        "val": val,
        "n_params": count_params(model),
        "tokens": len(losses) * cfg.batch_size * cfg.block_size,
        "seconds": seconds,
        "model": model,
    }
