"""Optimisation pieces against PyTorch: AdamW groups and step, schedules, clipping, power law."""

import math

import numpy as np
import pytest
import torch

from ml2llm.training import optim
from ml2llm.training.config import TrainConfig
from ml2llm.training.models import build_model


def test_param_groups_decay_only_matrices_on_the_real_gpt():
    model = build_model(TrainConfig(n_layer=2, n_embd=32, n_head=2, bias=True), vocab_size=65)
    decay, no_decay = optim.param_groups(model.named_parameters(), 0.1)
    assert all(p.dim() >= 2 for p in decay["params"]) and decay["weight_decay"] == 0.1
    assert all(p.dim() < 2 for p in no_decay["params"]) and no_decay["weight_decay"] == 0.0
    # LayerNorm gains and all biases are vectors: never decayed
    assert any("ln" in n and n.endswith("weight") for n in no_decay["names"])
    assert all(not n.endswith("bias") for n in decay["names"])
    # the tied lm_head / wte weight is counted once, and nothing is lost
    n_group = sum(p.numel() for g in (decay, no_decay) for p in g["params"])
    assert n_group == model.num_params()
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        optim.param_groups(model.named_parameters(), -1.0)


def test_cosine_matches_torch_cosine_annealing_after_warmup():
    # After warmup the schedule is CosineAnnealingLR(T_max = max_steps - warmup, eta_min)
    max_lr, min_lr, warmup, total = 1e-3, 1e-4, 10, 110
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=max_lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr)
    for s in range(warmup, total + 1):
        assert optim.cosine_lr(s, max_lr, min_lr, warmup, total) == pytest.approx(
            opt.param_groups[0]["lr"], rel=1e-9
        )  # both closed-form cosines in float64
        opt.step()
        sched.step()
    assert optim.cosine_lr(0, max_lr, min_lr, warmup, total) == pytest.approx(max_lr / 11)
    assert optim.cosine_lr(5000, max_lr, min_lr, warmup, total) == min_lr


def test_wsd_shape():
    lrs = [optim.wsd_lr(s, 1.0, 0.0, 10, 100, decay_fraction=0.2) for s in range(101)]
    assert lrs[9] == pytest.approx(10 / 11)  # warmup
    assert all(v == 1.0 for v in lrs[10:80])  # stable
    assert np.all(np.diff(lrs[80:]) < 0) and lrs[100] == 0.0  # linear decay to min_lr
    assert lrs[90] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="decay_fraction"):
        optim.wsd_lr(0, 1.0, 0.0, 0, 10, decay_fraction=2)
    with pytest.raises(ValueError, match="step must be >= 0"):
        optim.cosine_lr(-1, 1.0, 0.0, 0, 10)


def test_lr_at_dispatches_on_schedule():
    cfg = TrainConfig(max_steps=100, warmup_steps=0, lr=1.0, min_lr=0.0)
    assert optim.lr_at(50, cfg) == pytest.approx(0.5)  # cosine midpoint
    cfg.schedule = "constant"
    assert optim.lr_at(50, cfg) == 1.0


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(4, 3)) * 5, rng.normal(size=7)]
    params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    total_t = torch.nn.utils.clip_grad_norm_(params, 1.0)
    clipped, total = optim.clip_grad_norm(grads, 1.0)
    assert total == pytest.approx(float(total_t), rel=1e-12)  # float64 on both sides
    for c, p in zip(clipped, params):
        np.testing.assert_allclose(c, p.grad.numpy(), rtol=1e-12)
    small, _ = optim.clip_grad_norm([np.array([0.1, 0.2])], 10.0)
    np.testing.assert_array_equal(small[0], [0.1, 0.2])  # below the threshold: untouched


def test_adamw_step_matches_torch_for_several_steps():
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=(3, 4))
    p = torch.nn.Parameter(torch.tensor(w0))
    opt = torch.optim.AdamW([p], lr=0.01, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    w, m, v = w0, np.zeros_like(w0), np.zeros_like(w0)
    for step in range(1, 6):
        g = rng.normal(size=w0.shape)
        p.grad = torch.tensor(g)
        opt.step()
        w, m, v = optim.adamw_step(w, g, m, v, step, 0.01, (0.9, 0.95), 1e-8, 0.1)
        np.testing.assert_allclose(w, p.detach().numpy(), rtol=1e-12, atol=1e-14)  # float64


def test_lr_range_test_finds_a_sensible_lr():
    torch.manual_seed(0)
    X = torch.randn(256, 8)
    y = X @ torch.randn(8, 1)
    model = torch.nn.Linear(8, 1)
    lrs, losses, suggested = optim.lr_range_test(
        model, lambda m: torch.mean((m(X) - y) ** 2), lr_min=1e-5, lr_max=10.0, n_steps=80
    )
    assert lrs[0] == pytest.approx(1e-5) and np.all(np.diff(lrs) > 0)
    assert losses.min() < 0.1 * losses[0]  # it trained before it diverged
    assert 1e-4 < suggested < 1.0
    with pytest.raises(ValueError, match="lr_min < lr_max"):
        optim.lr_range_test(model, lambda m: m(X).sum(), lr_min=1.0, lr_max=0.1)


def test_fit_power_law_recovers_exponent():
    x = np.logspace(3, 6, 8)
    a, alpha = optim.fit_power_law(x, 7.0 * x**-0.3)
    assert a == pytest.approx(7.0, rel=1e-9) and alpha == pytest.approx(0.3, rel=1e-9)
    with pytest.raises(ValueError, match="positive"):
        optim.fit_power_law([1, 2], [0, 1])
    assert math.isfinite(alpha)
