"""Optimisation pieces of a pretraining run: AdamW groups, LR schedules, clipping, LR range test.

- :func:`param_groups` puts weight decay on matrices only (``p.dim() >= 2``: linear and
  embedding weights); biases, norm gains and other vectors are not decayed.
- :func:`build_optimizer` returns ``torch.optim.AdamW`` (fused on CUDA), or :class:`Muon`
  (``optimizer="muon"``): hidden weight matrices get the Nesterov momentum orthogonalised
  by a Newton–Schulz iteration (:func:`newton_schulz`); embeddings, the output head, norm
  gains and biases get AdamW. One ``torch.optim.Optimizer``, so checkpoints, resume and DDP
  work as for AdamW.
- :func:`seq_len_at` is the sequence-length schedule (short contexts first).
- :func:`set_lr` and :func:`apply_gradients` (unscale, clip, step, zero) are the loop pieces
  that pretraining (:class:`~ml2llm.training.trainer.Trainer`) and fine-tuning
  (:class:`~ml2llm.finetune.sft.SFTTrainer`) share.
- :func:`cosine_lr`, :func:`wsd_lr` and :func:`constant_lr` are the schedules (linear warmup,
  then cosine decay / warmup-stable-decay / flat); :func:`lr_at` picks one from a config.
  :func:`cosine_lr` is the package's only cosine schedule (fine-tuning uses it too).
- :func:`clip_grad_norm` is global-norm clipping written out (``torch.nn.utils`` is used in
  the trainer; this one is the reference for Project 13.5's exercise).
- :func:`adamw_step` is one AdamW update in NumPy (Project 13.5's reference).
- :func:`lr_range_test` sweeps the LR exponentially for a few steps and suggests one.
- :func:`fit_power_law` fits ``L = a * x ** (-alpha)`` on log axes (the scaling sweep).

What it does not do: other optimisers (Lion, Shampoo), distributed Muon (every process
orthogonalises every matrix: fine at this size), per-layer LR, or LR schedulers as
``torch.optim.lr_scheduler`` objects (the trainer sets ``group["lr"]`` each step instead,
which keeps resume trivial).

>>> round(cosine_lr(0, max_lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=100), 3)  # 1/11
0.091
>>> cosine_lr(100, max_lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=100)
0.1
"""

from __future__ import annotations

import math

import numpy as np
import torch


# ---------------------------------------------------------------------- parameter groups
def param_groups(named_params, weight_decay: float) -> list[dict]:
    """Two AdamW groups: tensors with ``dim >= 2`` decayed, the rest not.

    ``named_params`` is ``model.named_parameters()`` (or a list of ``(name, tensor)``). Frozen
    parameters are skipped; tied weights (the same tensor twice) appear once. Each group
    carries a ``names`` list for inspection.
    """
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
    decay, no_decay, seen = ([], []), ([], []), set()
    for name, p in named_params:
        if not getattr(p, "requires_grad", True) or id(p) in seen:
            continue
        seen.add(id(p))
        target = decay if p.dim() >= 2 else no_decay
        target[0].append(p)
        target[1].append(name)
    return [
        {"params": decay[0], "names": decay[1], "weight_decay": float(weight_decay)},
        {"params": no_decay[0], "names": no_decay[1], "weight_decay": 0.0},
    ]


def decay_split(named_arrays) -> tuple[list[str], list[str]]:
    """Names of the parameters to decay (``ndim >= 2``) and not to decay (``ndim < 2``).

    Works for NumPy arrays and tensors alike (Project 13.5's exercise); order is preserved.
    """
    decay, no_decay = [], []
    for name, value in named_arrays:
        (decay if np.ndim(value) >= 2 else no_decay).append(name)
    return decay, no_decay


def build_optimizer(
    model,
    lr: float,
    weight_decay: float = 0.1,
    betas=(0.9, 0.99),
    device_type: str = "cpu",
    optimizer: str = "adamw",
    muon_lr: float = 0.02,
    muon_momentum: float = 0.95,
):
    """``torch.optim.AdamW`` over :func:`param_groups` (``fused=True`` on CUDA), or
    :class:`Muon` over :func:`muon_param_groups` when ``optimizer="muon"``."""
    import torch

    if optimizer == "muon":
        groups = muon_param_groups(model, lr, weight_decay, muon_lr, muon_momentum)
        return Muon(groups, lr=lr, betas=tuple(betas))
    if optimizer != "adamw":
        raise ValueError(f"optimizer must be 'adamw' or 'muon', got {optimizer!r}")
    groups = param_groups(model.named_parameters(), weight_decay)
    for g in groups:
        g.pop("names")
    groups = [g for g in groups if g["params"]]
    extra = {"fused": True} if device_type == "cuda" else {}
    return torch.optim.AdamW(groups, lr=lr, betas=tuple(betas), **extra)


# ---------------------------------------------------------------------- Muon
# Keller Jordan's quintic coefficients (modded-nanoGPT): they push every singular value in
# (0, 1] into roughly [0.7, 1.2] in 5 steps -- not exactly to 1, which does not matter for
# an update direction and is much faster than the cubic iteration (1.5, -0.5, 0).
NS_QUINTIC = (3.4445, -4.7750, 2.0315)
NS_CUBIC = (1.5, -0.5, 0.0)


def newton_schulz(G, steps: int = 5, coeffs=NS_QUINTIC, eps: float = 1e-7):
    """Approximately orthogonalise a matrix: ``U V^T`` of ``G = U S V^T``, by iterating
    ``X <- a X + (b A + c A^2) X`` with ``A = X X^T`` from ``X = G / ||G||_F``.

    An odd polynomial in ``X`` keeps the singular vectors and maps each singular value
    ``s -> a s + b s^3 + c s^5``; starting in (0, 1] (Frobenius normalisation) the values
    move towards 1. Works on the short side (``X X^T`` is ``min(m, n)`` square). A stack
    ``(k, m, n)`` is orthogonalised matrix by matrix, in one batched iteration.
    """
    if G.dim() not in (2, 3):
        raise ValueError(f"G must be a matrix or a stack of matrices, got shape {tuple(G.shape)}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps!r}")
    a, b, c = coeffs
    X = G / (torch.linalg.matrix_norm(G, keepdim=True) + eps)
    tall = X.shape[-2] > X.shape[-1]
    if tall:
        X = X.mT
    for _ in range(steps):
        A = X @ X.mT
        X = a * X + (b * A + c * (A @ A)) @ X
    return X.mT if tall else X


def muon_param_groups(model, lr, weight_decay, muon_lr=0.02, muon_momentum=0.95) -> list[dict]:
    """Muon for hidden weight matrices; AdamW (decay on matrices) for everything else.

    "Everything else" is the token/position embeddings, the output head (``lm_head``; tied
    weights count as embeddings) and every vector (norm gains, biases). Muon matrices get
    ``lr_scale = muon_lr / lr`` (the schedule's LR is multiplied by it) and no weight decay.
    """
    import torch.nn as nn

    special = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    head = getattr(model, "lm_head", None)
    if head is not None:
        special.add(id(head.weight))
    muon, decay, no_decay, seen = [], [], [], set()
    for _, p in model.named_parameters():
        if not p.requires_grad or id(p) in seen:
            continue
        seen.add(id(p))
        if p.dim() == 2 and id(p) not in special:
            muon.append(p)
        else:
            (decay if p.dim() >= 2 else no_decay).append(p)
    groups = [
        dict(
            params=muon,
            use_muon=True,
            lr_scale=muon_lr / lr,
            momentum=muon_momentum,
            weight_decay=0.0,
        ),
        dict(params=decay, use_muon=False, weight_decay=float(weight_decay)),
        dict(params=no_decay, use_muon=False, weight_decay=0.0),
    ]
    return [g for g in groups if g["params"]]


class Muon(torch.optim.Optimizer):
    """Muon (MomentUm Orthogonalized by Newton-schulz) for ``use_muon`` groups, AdamW for the rest.

    Muon step for a matrix ``W`` with gradient ``G``: ``m <- mu m + (1 - mu) G``; Nesterov
    ``u = (1 - mu) G + mu m``; ``W <- W - lr * lr_scale * sqrt(max(1, rows / cols)) *
    newton_schulz(u)``. The orthogonalised update has every singular value near 1: each
    direction of the matrix moves by the same amount, however small its gradient.
    AdamW groups follow ``torch.optim.AdamW`` exactly (decoupled decay, bias correction).

    Parameters
    ----------
    params : iterable of dict
        Parameter groups, e.g. from :func:`muon_param_groups` (``use_muon`` per group).
    lr : float
        The schedule's LR (``set_lr`` sets it; Muon groups multiply it by ``lr_scale``).
    betas, eps, weight_decay : AdamW settings (weight decay also applies to Muon groups).
    momentum, nesterov, ns_steps : Muon settings.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.99),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_steps: int = 5,
    ):
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            nesterov=nesterov,
            ns_steps=ns_steps,
            use_muon=False,
            lr_scale=1.0,
        )
        super().__init__(params, defaults)
        for g in self.param_groups:
            if g["use_muon"] and any(p.dim() != 2 for p in g["params"]):
                raise ValueError("Muon groups must hold matrices (2-D parameters) only")

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                (self._muon if group["use_muon"] else self._adamw)(group)
        return loss

    def _muon(self, group):
        lr, mu = group["lr"] * group["lr_scale"], group["momentum"]
        by_shape: dict = {}  # same-shape matrices are orthogonalised together (one batched NS)
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = torch.zeros_like(p)
            buf = state["momentum_buffer"]
            buf.lerp_(p.grad, 1 - mu)
            u = p.grad.lerp(buf, mu) if group["nesterov"] else buf
            by_shape.setdefault(tuple(p.shape), []).append((p, u))
        for (rows, cols), items in by_shape.items():
            o = newton_schulz(torch.stack([u.float() for _, u in items]), group["ns_steps"])
            for (p, _), o_p in zip(items, o):
                if group["weight_decay"]:
                    p.mul_(1 - lr * group["weight_decay"])
                p.add_(o_p.to(p.dtype), alpha=-lr * max(1.0, rows / cols) ** 0.5)

    def _adamw(self, group):
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if "step" not in state:
                state["step"] = torch.zeros((), dtype=torch.float32)
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
            state["step"] += 1
            t = float(state["step"])
            m, v = state["exp_avg"], state["exp_avg_sq"]
            p.mul_(1 - lr * group["weight_decay"])
            m.lerp_(p.grad, 1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            denom = (v.sqrt() / math.sqrt(1 - b2**t)).add_(eps)
            p.addcdiv_(m, denom, value=-lr / (1 - b1**t))


def set_lr(optimizer, lr: float) -> None:
    """Set the learning rate of every parameter group (the schedule is applied each step)."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def apply_gradients(optimizer, params, grad_clip: float = 0.0, scaler=None):
    """One optimizer update from the accumulated gradients; returns the gradient norm or None.

    Unscales (with a ``torch.amp.GradScaler``), clips the global norm of ``params`` to
    ``grad_clip`` when it is > 0, steps, updates the scaler and zeroes the gradients.
    """
    import torch

    norm = None
    if grad_clip and grad_clip > 0:
        if scaler is not None:
            scaler.unscale_(optimizer)
        norm = torch.nn.utils.clip_grad_norm_(params, grad_clip)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return norm


# ---------------------------------------------------------------------- schedules
def _check_steps(step, warmup_steps, max_steps):
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step!r}")
    if warmup_steps < 0 or max_steps < 1:
        raise ValueError(
            f"need warmup_steps >= 0 and max_steps >= 1, got {warmup_steps}, {max_steps}"
        )


def warmup_factor(step: int, warmup_steps: int) -> float:
    """Linear warmup ``(step + 1) / (warmup_steps + 1)`` for ``step < warmup_steps``, else 1."""
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    return 1.0


def constant_lr(
    step: int, max_lr: float, min_lr: float = 0.0, warmup_steps: int = 0, max_steps: int = 1
) -> float:
    """Linear warmup, then ``max_lr`` for ever (``min_lr`` and ``max_steps`` are ignored)."""
    _check_steps(step, warmup_steps, max_steps)
    return max_lr * warmup_factor(step, warmup_steps)


def cosine_lr(step: int, max_lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> float:
    """Linear warmup to ``max_lr``, cosine decay to ``min_lr`` at ``max_steps``, then flat.

    During warmup the LR is ``max_lr * (step + 1) / (warmup_steps + 1)`` (never 0); after it,
    with progress :math:`r = (s - w) / (S - w)`,
    :math:`\\eta = \\eta_{min} + \\tfrac12 (1 + \\cos \\pi r)(\\eta_{max} - \\eta_{min})`.
    """
    _check_steps(step, warmup_steps, max_steps)
    if step < warmup_steps:
        return max_lr * warmup_factor(step, warmup_steps)
    if step >= max_steps:
        return min_lr
    ratio = (step - warmup_steps) / max(1, max_steps - warmup_steps)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (max_lr - min_lr)


def wsd_lr(
    step: int,
    max_lr: float,
    min_lr: float,
    warmup_steps: int,
    max_steps: int,
    decay_fraction: float = 0.2,
) -> float:
    """Warmup-stable-decay: warmup, ``max_lr`` flat, then a linear decay to ``min_lr`` over
    the last ``decay_fraction`` of ``max_steps`` (flat at ``min_lr`` afterwards)."""
    _check_steps(step, warmup_steps, max_steps)
    if not 0 <= decay_fraction <= 1:
        raise ValueError(f"decay_fraction must be in [0, 1], got {decay_fraction!r}")
    if step < warmup_steps:
        return max_lr * warmup_factor(step, warmup_steps)
    decay_steps = int(round(decay_fraction * max_steps))
    decay_start = max(warmup_steps, max_steps - decay_steps)
    if step >= max_steps:
        return min_lr
    if step < decay_start:
        return max_lr
    ratio = (step - decay_start) / max(1, max_steps - decay_start)
    return max_lr + ratio * (min_lr - max_lr)


def seq_len_at(step: int, block_size: int, start: int | None = None, warmup: int = 0) -> int:
    """Sequence-length schedule: linear from ``start`` to ``block_size`` over ``warmup`` steps.

    Short contexts first: early on the model learns local statistics (bigrams, words) that
    need no long context, and a step on shorter rows is cheaper. Lengths are rounded down to
    a multiple of 8 (never below ``start``); ``start=None`` or ``warmup=0`` means ``block_size``.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step!r}")
    if start is None or warmup <= 0 or step >= warmup:
        return block_size
    if not 1 <= start <= block_size:
        raise ValueError(f"start must be in [1, block_size={block_size}], got {start!r}")
    length = start + (block_size - start) * step / warmup
    return max(start, int(length) // 8 * 8)


def lr_at(step: int, cfg) -> float:
    """The LR of ``cfg.schedule`` at ``step`` (``cfg`` is a :class:`TrainConfig`)."""
    args = (step, cfg.lr, cfg.final_lr, cfg.warmup_steps, cfg.max_steps)
    if cfg.schedule == "cosine":
        return cosine_lr(*args)
    if cfg.schedule == "wsd":
        return wsd_lr(*args, decay_fraction=cfg.decay_fraction)
    return constant_lr(*args)


# ---------------------------------------------------------------------- clipping and AdamW
def clip_grad_norm(grads, max_norm: float):
    """Scale a list of gradient arrays so their global L2 norm is at most ``max_norm``.

    Returns ``(clipped_grads, total_norm)``; the inputs are not modified. Same rule as
    ``torch.nn.utils.clip_grad_norm_``: factor ``min(1, max_norm / (norm + 1e-6))``.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm!r}")
    grads = [np.asarray(g, dtype=float) for g in grads]
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * factor for g in grads], total


def adamw_step(
    param,
    grad,
    m,
    v,
    step: int,
    lr: float,
    betas=(0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.01,
):
    """One AdamW update (decoupled weight decay, bias correction), as ``torch.optim.AdamW``.

    ``step`` counts from 1. Returns ``(new_param, new_m, new_v)``; inputs are not modified.
    """
    if step < 1:
        raise ValueError(f"step counts from 1, got {step!r}")
    b1, b2 = betas
    param = np.asarray(param, dtype=float) * (1 - lr * weight_decay)
    m = b1 * np.asarray(m, dtype=float) + (1 - b1) * np.asarray(grad, dtype=float)
    v = b2 * np.asarray(v, dtype=float) + (1 - b2) * np.asarray(grad, dtype=float) ** 2
    m_hat = m / (1 - b1**step)
    v_hat = v / (1 - b2**step)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


# ---------------------------------------------------------------------- experiments
def lr_range_test(
    model,
    loss_fn,
    lr_min: float = 1e-6,
    lr_max: float = 1.0,
    n_steps: int = 60,
    weight_decay: float = 0.0,
    diverge_factor: float = 4.0,
    smoothing: float = 0.7,
):
    """Leslie Smith's LR range test on ``model`` (modified in place: pass a fresh copy).

    ``loss_fn(model) -> scalar tensor`` computes the loss of the next batch. The LR grows
    exponentially from ``lr_min`` to ``lr_max`` over ``n_steps`` AdamW steps; the sweep stops
    when the smoothed loss exceeds ``diverge_factor`` times its minimum. Returns
    ``(lrs, losses, suggested_lr)`` where the suggestion is the LR at the minimum smoothed
    loss divided by 10 (a common, conservative rule).
    """
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, got {lr_min!r}, {lr_max!r}")
    if n_steps < 2:
        raise ValueError(f"n_steps must be >= 2, got {n_steps!r}")
    opt = build_optimizer(model, lr_min, weight_decay)
    gamma = (lr_max / lr_min) ** (1 / (n_steps - 1))
    lrs, losses, smooth, best = [], [], None, math.inf
    for k in range(n_steps):
        lr = lr_min * gamma**k
        for g in opt.param_groups:
            g["lr"] = lr
        loss = loss_fn(model)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        value = float(loss.detach())
        lrs.append(lr)
        losses.append(value)
        smooth = value if smooth is None else smoothing * smooth + (1 - smoothing) * value
        best = min(best, smooth)
        if not math.isfinite(value) or smooth > diverge_factor * best:
            break
    sm = np.array(losses, dtype=float)
    for i in range(1, len(sm)):
        sm[i] = smoothing * sm[i - 1] + (1 - smoothing) * sm[i] if np.isfinite(sm[i]) else np.inf
    suggested = lrs[int(np.nanargmin(sm))] / 10
    return np.array(lrs), np.array(losses), float(suggested)


def fit_power_law(x, y):
    """Least-squares fit of ``y = a * x ** (-alpha)`` on log axes; returns ``(a, alpha)``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError("x and y must be 1-D arrays of the same length >= 2")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be positive to fit on log axes")
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(intercept)), float(-slope)
