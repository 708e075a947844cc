"""The CPU recipe's switches: QK-norm, ReLU² MLP, untied head, Muon, WSD, sequence-length schedule.

Each switch is compared with an independent computation (a manual formula, a float64 SVD,
``torch.optim.AdamW``), and the trainer's resume and DDP guarantees are re-checked with the
switches on.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from ml2llm.training.config import ConfigError, load_config
from ml2llm.training.models import build_model
from ml2llm.training.optim import (
    NS_CUBIC,
    Muon,
    build_optimizer,
    muon_param_groups,
    newton_schulz,
    seq_len_at,
    wsd_lr,
)
from ml2llm.training.trainer import Trainer
from ml2llm.transformers.config import LlamaConfig
from ml2llm.transformers.llama import Llama
from tests.training.tiny import text, tiny_config

TEXT = text(20_000)
RECIPE = dict(
    model="mistral",
    n_kv_head=1,
    qk_norm=True,
    mlp="relu2",
    tie_embeddings=False,
    optimizer="muon",
    muon_lr=0.02,
    schedule="wsd",
    seq_len_start=8,
    seq_len_warmup=4,
)


def _tiny_llama(**kw):
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=13, block_size=16, n_layer=1, n_head=4, n_kv_head=2, n_embd=32, **kw
    )
    return Llama(cfg).eval()


# ---------------------------------------------------------------------- architecture switches
def test_qk_norm_equals_a_manual_attention_computation():
    model = _tiny_llama(qk_norm=True)
    attn = model.model.layers[0].self_attn
    with torch.no_grad():  # non-trivial gains, so a missing or misplaced gain shows
        attn.q_norm.weight.uniform_(0.5, 1.5)
        attn.k_norm.weight.uniform_(0.5, 1.5)
    x = torch.randn(2, 7, 32)
    cfg = attn.config
    hd, T = cfg.head_dim, 7
    pos = torch.arange(T)
    # independent: RMS over each head's vector, gain, then rotate-half RoPE, then softmax attention
    inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, hd, 2).double() / hd))
    ang = torch.outer(pos.double(), inv)
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)

    def rope(t):
        t1, t2 = t[..., : hd // 2], t[..., hd // 2 :]
        return t * cos + torch.cat([-t2, t1], -1) * sin

    def rms(t, w):
        return t / torch.sqrt(t.pow(2).mean(-1, keepdim=True) + cfg.rms_norm_eps) * w

    xd = x.double()
    q = (xd @ attn.q_proj.weight.double().T).view(2, T, 4, hd).transpose(1, 2)
    k = (xd @ attn.k_proj.weight.double().T).view(2, T, 2, hd).transpose(1, 2)
    v = (xd @ attn.v_proj.weight.double().T).view(2, T, 2, hd).transpose(1, 2)
    q = rope(rms(q, attn.q_norm.weight.double()))
    k = rope(rms(k, attn.k_norm.weight.double())).repeat_interleave(2, dim=1)
    v = v.repeat_interleave(2, dim=1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
    scores = scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), -math.inf)
    y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(2, T, 32) @ attn.o_proj.weight.double().T
    from ml2llm.transformers.rope import rope_cos_sin

    with torch.no_grad():
        ours = attn(x, rope_cos_sin(pos, hd, cfg.rope_theta, dtype=x.dtype))
    torch.testing.assert_close(ours.double(), y, rtol=1e-5, atol=1e-6)
    # and qk_norm really changes the function (the check above is not vacuous)
    plain = _tiny_llama()
    assert not hasattr(plain.model.layers[0].self_attn, "q_norm")


def test_relu2_mlp_equals_the_relu_squared_path():
    model = _tiny_llama(mlp="relu2")
    mlp = model.model.layers[0].mlp
    assert model.config.intermediate_size == 4 * 32 and not hasattr(mlp, "gate_proj")
    x = torch.randn(3, 5, 32)
    expected = F.linear(torch.relu(F.linear(x, mlp.up_proj.weight)) ** 2, mlp.down_proj.weight)
    with torch.no_grad():
        torch.testing.assert_close(mlp(x), expected)
    with pytest.raises(ValueError, match="mlp must be one of"):
        LlamaConfig(vocab_size=5, block_size=4, n_layer=1, n_head=2, n_embd=8, mlp="gelu")


def test_tied_and_untied_heads_from_the_run_config(tmp_path):
    untied = build_model(tiny_config(tmp_path, model="mistral", tie_embeddings=False), 20)
    tied = build_model(tiny_config(tmp_path, model="mistral", tie_embeddings=True), 20)
    assert untied.lm_head.weight is not untied.model.embed_tokens.weight
    assert isinstance(untied.lm_head.weight, torch.nn.Parameter)
    assert tied.lm_head.weight is tied.model.embed_tokens.weight
    n_untied = sum(p.numel() for p in untied.parameters())
    assert n_untied - sum(p.numel() for p in tied.parameters()) == 20 * untied.config.n_embd
    with pytest.raises(ConfigError, match="tie_embeddings"):
        tiny_config(tmp_path, model="gpt", tie_embeddings=False).validate()
    with pytest.raises(ConfigError, match="qk_norm"):
        tiny_config(tmp_path, model="gpt", qk_norm=True).validate()
    with pytest.raises(ConfigError, match="optimizer"):
        load_config(overrides={"optimizer": "sgd"}).validate()


# ---------------------------------------------------------------------- schedules
def test_wsd_values_at_the_phase_boundaries():
    kw = dict(max_lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=100, decay_fraction=0.2)
    assert wsd_lr(0, **kw) == pytest.approx(1 / 11)
    assert wsd_lr(9, **kw) == pytest.approx(10 / 11)
    assert wsd_lr(10, **kw) == 1.0  # stable phase starts at full LR
    assert wsd_lr(79, **kw) == 1.0  # last stable step
    assert wsd_lr(80, **kw) == 1.0  # decay starts from the peak ...
    assert wsd_lr(90, **kw) == pytest.approx(0.55)  # ... linearly ...
    assert wsd_lr(100, **kw) == pytest.approx(0.1)  # ... to min_lr
    assert wsd_lr(500, **kw) == pytest.approx(0.1)


def test_sequence_length_schedule():
    assert [seq_len_at(s, 64, 16, 100) for s in (0, 1, 50, 99, 100, 1000)] == [
        16,
        16,
        40,
        56,
        64,
        64,
    ]
    assert seq_len_at(0, 64) == 64 and seq_len_at(0, 64, 16, 0) == 64
    assert all(seq_len_at(s, 64, 16, 100) % 8 == 0 for s in range(200))
    with pytest.raises(ValueError, match="start"):
        seq_len_at(0, 64, 100, 10)


def test_trainer_trains_on_short_rows_during_the_sequence_warmup(tmp_path, monkeypatch):
    trainer = Trainer(tiny_config(tmp_path, seq_len_start=8, seq_len_warmup=100), text=TEXT)
    seen = []
    forward = trainer.model.forward
    monkeypatch.setattr(
        trainer.model, "forward", lambda x, y: seen.append(x.shape[1]) or forward(x, y)
    )
    trainer.train_step()
    assert seen == [8] * trainer.cfg.grad_accum


# ---------------------------------------------------------------------- Muon
@pytest.mark.parametrize("shape", [(32, 80), (80, 32), (48, 48)])
def test_newton_schulz_against_a_float64_svd(shape):
    gen = torch.Generator().manual_seed(0)
    G = torch.randn(*shape, generator=gen)
    if shape[0] == shape[1]:  # a square Gaussian can be near-singular: keep it conditioned
        U0, _, V0 = torch.linalg.svd(G)
        G = U0 @ torch.diag(torch.linspace(1.0, 0.1, shape[0])) @ V0
    U, _, Vh = torch.linalg.svd(G.double(), full_matrices=False)
    polar = U @ Vh  # the exact orthogonalisation
    X = newton_schulz(G, steps=5)
    assert X.shape == G.shape
    s = torch.linalg.svdvals(X.double())
    assert s.min() > 0.6 and s.max() < 1.25  # the quintic lands near 1, not exactly on it
    Ux, _, Vxh = torch.linalg.svd(X.double(), full_matrices=False)
    torch.testing.assert_close(Ux @ Vxh, polar, rtol=0, atol=1e-4)  # same singular vectors
    # the cubic iteration converges to U V^T itself
    torch.testing.assert_close(newton_schulz(G, 40, NS_CUBIC).double(), polar, rtol=0, atol=1e-4)
    # a stack is orthogonalised matrix by matrix
    stack = newton_schulz(torch.stack([G, 2 * G.flip(0)]))
    torch.testing.assert_close(stack[0], X)
    torch.testing.assert_close(stack[1], newton_schulz(2 * G.flip(0)))
    # zero steps is only the Frobenius normalisation that puts every singular value in (0, 1]
    assert (newton_schulz(G, 0) - G / G.norm()).abs().max() < 1e-6


def _model():
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)
    return Llama(cfg)


def test_muon_groups_and_the_adamw_part_equals_torch():
    model = _model()
    groups = muon_param_groups(model, lr=1e-3, weight_decay=0.1, muon_lr=0.02)
    muon = {id(p) for p in groups[0]["params"]}
    assert groups[0]["use_muon"] and groups[0]["lr_scale"] == pytest.approx(20)
    assert id(model.model.embed_tokens.weight) not in muon and id(model.lm_head.weight) not in muon
    assert id(model.model.layers[0].self_attn.q_proj.weight) in muon
    assert all(p.dim() == 2 for p in groups[0]["params"])
    assert {id(p) for g in groups for p in g["params"]} == {id(p) for p in model.parameters()}

    # with no Muon group the optimizer is AdamW, step for step
    a, b = _model(), _model()
    ours = Muon(
        [
            {"params": [p for p in a.parameters() if p.dim() >= 2], "weight_decay": 0.1},
            {"params": [p for p in a.parameters() if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=3e-3,
    )
    ref = torch.optim.AdamW(
        [
            {"params": [p for p in b.parameters() if p.dim() >= 2], "weight_decay": 0.1},
            {"params": [p for p in b.parameters() if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=3e-3,
        betas=(0.9, 0.99),
    )
    idx = torch.randint(0, 11, (2, 8), generator=torch.Generator().manual_seed(1))
    for _ in range(3):
        for m, opt in ((a, ours), (b, ref)):
            opt.zero_grad()
            m(idx, idx)[1].backward()
            opt.step()
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=n)


def test_muon_step_is_the_orthogonalised_nesterov_momentum():
    W = torch.nn.Parameter(torch.randn(6, 10))
    W0 = W.detach().clone()
    opt = Muon([{"params": [W], "use_muon": True, "lr_scale": 2.0}], lr=0.01, momentum=0.9)
    grads = [torch.randn(6, 10), torch.randn(6, 10)]
    buf, expected = torch.zeros(6, 10), W0.clone()
    for g in grads:
        W.grad = g.clone()
        opt.step()
        buf = 0.9 * buf + 0.1 * g
        expected -= 0.02 * newton_schulz(0.1 * g + 0.9 * buf)
    torch.testing.assert_close(W.detach(), expected)
    tall = torch.nn.Parameter(torch.zeros(10, 6))
    tall.grad = torch.randn(10, 6)
    Muon([{"params": [tall], "use_muon": True}], lr=1.0, momentum=0.0).step()
    # tall matrices are scaled by sqrt(rows / cols)
    torch.testing.assert_close(tall.detach(), -math.sqrt(10 / 6) * newton_schulz(tall.grad))
    with pytest.raises(ValueError, match="matrices"):
        Muon([{"params": [torch.nn.Parameter(torch.zeros(3))], "use_muon": True}])
    with pytest.raises(ValueError, match="optimizer must be"):
        build_optimizer(_model(), 1e-3, optimizer="lion")


# ---------------------------------------------------------------------- resume and DDP
def _run(out_dir, stop_at=None, **overrides):
    trainer = Trainer(tiny_config(out_dir, **RECIPE, **overrides), text=TEXT, log=lambda *_: None)
    return trainer, trainer.train(stop_at=stop_at)


def test_resume_is_exact_with_every_recipe_switch_on(tmp_path):
    trainer, full = _run(tmp_path / "full")
    assert isinstance(trainer.optimizer, Muon)
    _, first = _run(tmp_path / "r", stop_at=3)
    assert first.step == 3
    _, resumed = _run(tmp_path / "r", resume=True)
    assert resumed.losses == full.losses  # bit-for-bit: Muon momentum, AdamW moments, RNG
    assert resumed.evals == full.evals


DDP_RECIPE = dict(RECIPE, seq_len_start=None, seq_len_warmup=0, dropout=0.0, device="cpu")


def _grads(trainer):
    return {
        n: p.grad.clone() for n, p in trainer.raw_model.named_parameters() if p.grad is not None
    }


def _ddp_worker(rank, world, port, out_dir, result_path):
    import os

    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        OMP_NUM_THREADS="1",
    )
    torch.set_num_threads(1)
    trainer = Trainer(
        tiny_config(out_dir, batch_size=2, **DDP_RECIPE), text=TEXT, log=lambda *_: None
    )
    trainer.train_step()
    trainer.train_step()
    params = {n: p.detach().clone() for n, p in trainer.raw_model.named_parameters()}
    if rank == 0:
        torch.save({"params": params}, result_path)
    trainer.close()


@pytest.mark.slow
def test_ddp_two_processes_equal_one_process_with_muon(tmp_path):
    import torch.multiprocessing as mp

    from tests.training.test_trainer import _free_port

    result = tmp_path / "ddp.pt"
    for attempt in range(2):
        try:
            mp.spawn(
                _ddp_worker,
                args=(2, _free_port(), str(tmp_path / f"ddp{attempt}"), str(result)),
                nprocs=2,
                join=True,
            )
            break
        except mp.ProcessExitedException:
            if attempt == 1:  # a worker killed by a signal (gloo teardown): one retry
                raise
    ddp = torch.load(result)
    single = Trainer(tiny_config(tmp_path / "single", batch_size=4, **DDP_RECIPE), text=TEXT)
    assert isinstance(single.optimizer, Muon)
    single.train_step()
    single.train_step()
    for n, p in single.raw_model.named_parameters():
        # Muon sees the all-reduced gradient: the same update up to float32 rounding
        torch.testing.assert_close(ddp["params"][n], p.detach(), rtol=1e-4, atol=1e-5, msg=n)


def test_the_shipped_recipe_config_loads_and_builds(tmp_path):
    from tests.training.tiny import ROOT

    cfg = load_config(
        ROOT / "configs" / "shakespeare_cpu_recipe.yaml", overrides={"out_dir": str(tmp_path)}
    )
    assert cfg.model == "mistral" and cfg.optimizer == "muon" and cfg.qk_norm
    model = build_model(cfg, 65)
    assert model.lm_head.weight is not model.model.embed_tokens.weight
    groups = build_optimizer(
        model, cfg.lr, optimizer=cfg.optimizer, muon_lr=cfg.muon_lr
    ).param_groups
    assert [g["use_muon"] for g in groups] == [True, False, False]
