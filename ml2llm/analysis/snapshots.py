"""A short pretraining run that keeps copies of the weights at chosen steps.

The trainer (:class:`ml2llm.training.trainer.Trainer`) keeps only its latest checkpoint. To
watch *when* something appears during training (the loss by position, induction heads, the
embedding structure), :func:`train_with_snapshots` trains a small model with the same pieces
(:func:`~ml2llm.training.models.build_model`, AdamW groups from
:func:`~ml2llm.training.optim.build_optimizer`, the warmup + cosine schedule
:func:`~ml2llm.training.optim.lr_at`, gradient clipping) and returns an in-memory copy of the
``state_dict`` at every requested step (step 0 = the random initialisation).
:func:`load_snapshot` rebuilds a model from one of them.

What it does not do: write files, evaluate, or resume; use ``ml2llm pretrain`` for real runs.
"""

from __future__ import annotations

import numpy as np


def train_with_snapshots(
    train_ids, *, vocab_size: int, steps: int, snapshot_steps=(), seed: int = 0, **config
) -> dict:
    """Train for ``steps`` steps; return ``{"model", "cfg", "loss", "snapshots"}``.

    ``config`` holds :class:`~ml2llm.training.config.TrainConfig` fields. ``snapshots`` maps
    each step in ``snapshot_steps`` (0 .. ``steps``) to a CPU copy of the weights taken
    *before* that step's update (so step 0 is the initialisation and ``steps`` the end).
    """
    import torch

    from ml2llm.training.config import TrainConfig
    from ml2llm.training.experiments import batch_sampler
    from ml2llm.training.models import build_model
    from ml2llm.training.optim import build_optimizer, lr_at

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    wanted = sorted({int(s) for s in snapshot_steps})
    if wanted and not (0 <= wanted[0] and wanted[-1] <= steps):
        raise ValueError(f"snapshot_steps must lie in [0, {steps}], got {list(snapshot_steps)}")
    defaults = dict(
        n_layer=2,
        n_head=4,
        n_embd=64,
        block_size=64,
        batch_size=16,
        lr=3e-3,
        warmup_steps=20,
        grad_clip=1.0,
        weight_decay=0.1,
    )
    cfg = TrainConfig(**{**defaults, **config, "max_steps": steps}).validate()
    torch.manual_seed(seed)
    model = build_model(cfg, vocab_size)
    opt = build_optimizer(model, cfg.lr, cfg.weight_decay, (cfg.beta1, cfg.beta2))
    draw = batch_sampler(np.asarray(train_ids), cfg.batch_size, cfg.block_size, seed)
    snaps, losses = {}, []

    def snap(step):
        if step in wanted:
            snaps[step] = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}

    model.train()
    for step in range(steps):
        snap(step)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg)
        _, loss = model(*draw())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        losses.append(loss.item())
    snap(steps)
    model.eval()
    return {"model": model, "cfg": cfg, "loss": np.array(losses), "snapshots": snaps}


def load_snapshot(cfg, vocab_size: int, state_dict):
    """A model of ``cfg``'s architecture with the weights of ``state_dict`` (in eval mode)."""
    from ml2llm.training.models import build_model

    model = build_model(cfg, vocab_size)
    model.load_state_dict(state_dict)
    return model.eval()
