"""LoRA from scratch against PEFT and MLX: same A/B weights give the same logits."""

import copy
import json

import pytest
import torch
from torch import nn

from ml2llm.finetune.lora import (
    LoRALinear,
    apply_lora,
    load_adapter,
    lora_modules,
    merge_and_unload,
    merge_lora,
    save_adapter,
    trainable_report,
    unmerge_lora,
)
from tests.finetune.conftest import randomize_lora

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _ids(vocab, B=2, T=16, seed=1):
    return torch.randint(0, vocab, (B, T), generator=torch.Generator().manual_seed(seed))


def _copy_into_peft(ours, peft_model):
    with torch.no_grad():
        for name, m in lora_modules(ours).items():
            pm = peft_model.get_submodule("base_model.model." + name)
            pm.lora_A["default"].weight.copy_(m.lora_A)
            pm.lora_B["default"].weight.copy_(m.lora_B)


def test_lora_linear_formula_and_zero_init():
    torch.manual_seed(0)
    base = nn.Linear(12, 5)
    layer = LoRALinear(copy.deepcopy(base), r=3, alpha=6)
    x = torch.randn(4, 12)
    # B = 0 at init: exactly the base layer
    assert torch.equal(layer(x), base(x))
    assert torch.count_nonzero(layer.lora_A) > 0 and torch.count_nonzero(layer.lora_B) == 0
    with torch.no_grad():
        layer.lora_B.normal_()
    W, b, A, Bm = base.weight, base.bias, layer.lora_A, layer.lora_B
    expected = x @ (W + (6 / 3) * Bm @ A).T + b  # written out by hand: W + (alpha/r) B A
    torch.testing.assert_close(layer(x), expected, rtol=0, atol=1e-5)  # float32 rounding
    assert not layer.base.weight.requires_grad and layer.lora_A.requires_grad


def test_peft_parity_on_hf_mistral(hf_mistral):
    from peft import LoraConfig, get_peft_model

    from ml2llm.transformers import from_hf

    ours = from_hf(hf_mistral).eval()
    names = apply_lora(ours, TARGETS, r=4, alpha=8)
    assert len(names) == 2 * 7
    randomize_lora(ours)
    peft_model = get_peft_model(
        copy.deepcopy(hf_mistral),
        LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS, lora_dropout=0.0),
    ).eval()
    _copy_into_peft(ours, peft_model)
    x = _ids(97)
    with torch.no_grad():
        got = ours(x)[0]
        ref = peft_model(input_ids=x).logits
    # float32, same math in a different order: agreement to 1e-5 (the bar)
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-5)
    base = hf_mistral(input_ids=x).logits
    assert (ref - base).abs().max() > 1e-3  # the adapters really change the output
    # trainable counts agree with PEFT's own report
    trainable, total = peft_model.get_nb_trainable_parameters()
    rep = trainable_report(ours)
    assert (rep["trainable"], rep["total"]) == (trainable, total)


def test_own_model_export_loads_our_adapter_in_peft(own_export, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model, _, hf_dir = own_export
    ours = copy.deepcopy(model).eval()
    apply_lora(ours, ["q_proj", "v_proj", "down_proj"], r=2, alpha=5)
    randomize_lora(ours, seed=3)
    save_adapter(ours, tmp_path / "adapter", base_model_name_or_path=str(hf_dir))
    cfg = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert cfg["r"] == 2 and cfg["lora_alpha"] == 5
    hf = AutoModelForCausalLM.from_pretrained(hf_dir)
    peft_model = PeftModel.from_pretrained(hf, tmp_path / "adapter").eval()
    x = _ids(model.config.vocab_size, T=24, seed=2)
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[0], peft_model(input_ids=x).logits, rtol=0, atol=1e-5)


def test_merge_equals_unmerged_and_unmerge_restores(hf_mistral):
    from ml2llm.transformers import from_hf

    ours = from_hf(hf_mistral).eval()
    W0 = {n: p.detach().clone() for n, p in ours.named_parameters()}
    apply_lora(ours, TARGETS, r=4, alpha=16)
    randomize_lora(ours, seed=5)
    x = _ids(97, seed=4)
    with torch.no_grad():
        unmerged = ours(x)[0]
        merge_lora(ours)
        merged = ours(x)[0]
        merge_lora(ours)  # idempotent: a second merge must not add the update twice
        again = ours(x)[0]
    # merged weights W + sBA: float32 rounding of the sum, well under 1e-5
    torch.testing.assert_close(merged, unmerged, rtol=0, atol=1e-5)
    torch.testing.assert_close(again, merged, rtol=0, atol=0)
    unmerge_lora(ours)
    for name, m in lora_modules(ours).items():
        # W + d - d differs from W by at most one rounding step of |W + d|
        torch.testing.assert_close(m.base.weight, W0[name + ".weight"], rtol=0, atol=1e-7)
    plain = merge_and_unload(copy.deepcopy(ours))
    assert not lora_modules(plain)
    with torch.no_grad():
        torch.testing.assert_close(plain(x)[0], unmerged, rtol=0, atol=1e-5)


def test_adapter_save_load_round_trip(hf_mistral, tmp_path):
    from ml2llm.transformers import from_hf

    ours = from_hf(hf_mistral).eval()
    apply_lora(ours, ["q_proj", "v_proj"], r=3, alpha=6)
    randomize_lora(ours, seed=7)
    save_adapter(ours, tmp_path)
    fresh = from_hf(hf_mistral).eval()
    names = load_adapter(fresh, tmp_path)
    assert len(names) == 4
    x = _ids(97)
    with torch.no_grad():
        torch.testing.assert_close(fresh(x)[0], ours(x)[0], rtol=0, atol=0)  # same floats
    wrong = from_hf(hf_mistral)
    apply_lora(wrong, ["q_proj", "v_proj"], r=5)
    with pytest.raises(ValueError, match="do not match"):
        load_adapter(wrong, tmp_path)


def test_trainable_report_counts_by_hand():
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 7))
    apply_lora(model, ["0", "2"], r=2)
    rep = trainable_report(model)
    assert rep["trainable"] == 2 * (10 + 20) + 2 * (20 + 7)
    assert rep["total"] == (10 * 20 + 20) + (20 * 7 + 7) + rep["trainable"]
    assert "trainable%" in rep["summary"]


def test_regex_targets_and_bad_input():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    assert apply_lora(copy.deepcopy(model), r"1") == ["1"]
    with pytest.raises(ValueError, match="matched no nn.Linear"):
        apply_lora(copy.deepcopy(model), ["q_proj"])
    with pytest.raises(ValueError, match="r must be a positive int"):
        LoRALinear(nn.Linear(3, 3), r=0)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        LoRALinear(nn.Linear(3, 3), alpha=0)
    with pytest.raises(ValueError, match="base must be an nn.Linear"):
        LoRALinear(nn.ReLU())
    with pytest.raises(ValueError, match="no LoRALinear"):
        save_adapter(model, "/tmp/never")


def test_mlx_conversion_equal_logits(own_export, tmp_path):
    pytest.importorskip("mlx_lm")
    import mlx.core as mx
    import numpy as np
    from mlx_lm import load

    from ml2llm.finetune.convert import mlx_to_peft, peft_to_mlx

    model, _, hf_dir = own_export
    ours = copy.deepcopy(model).eval()
    apply_lora(ours, ["q_proj", "v_proj", "o_proj"], r=4, alpha=12)
    randomize_lora(ours, seed=11)
    save_adapter(ours, tmp_path / "peft")
    peft_to_mlx(tmp_path / "peft", tmp_path / "mlx")
    cfg = json.loads((tmp_path / "mlx" / "adapter_config.json").read_text())
    assert cfg["lora_parameters"]["scale"] == 3.0  # MLX uses alpha / r directly
    mlx_model, _ = load(str(hf_dir), adapter_path=str(tmp_path / "mlx"))
    x = _ids(model.config.vocab_size, B=1, T=20, seed=9)
    got = np.array(mlx_model(mx.array(x.numpy())).astype(mx.float32))
    with torch.no_grad():
        ref = ours(x)[0].numpy()
    # two frameworks, float32 kernels with different summation order: 1e-4 absolute
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-4)
    # and back: MLX folder -> PEFT format -> our model, same logits
    mlx_to_peft(tmp_path / "mlx", tmp_path / "back")
    fresh = copy.deepcopy(model).eval()
    load_adapter(fresh, tmp_path / "back")
    with torch.no_grad():
        torch.testing.assert_close(fresh(x)[0], ours(x)[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_merge_equals_peft(dtype):
    """merge() multiplies B A in float32 and casts back, as PEFT does: same merged weight."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(96, 64, bias=False)).to(dtype)
    theirs = get_peft_model(
        copy.deepcopy(net), LoraConfig(r=8, lora_alpha=16, target_modules=["0"])
    )
    ours = copy.deepcopy(net)
    apply_lora(ours, ["0"], r=8, alpha=16)
    layer, peft_layer = ours[0], theirs.base_model.model[0]
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        layer.lora_A.copy_(torch.randn(8, 96, generator=g))
        layer.lora_B.copy_(torch.randn(64, 8, generator=g))
        peft_layer.lora_A["default"].weight.copy_(layer.lora_A)
        peft_layer.lora_B["default"].weight.copy_(layer.lora_B)
    assert layer.lora_A.dtype == dtype
    layer.merge()
    merged_peft = theirs.merge_and_unload()[0].weight
    torch.testing.assert_close(layer.base.weight, merged_peft, rtol=0, atol=0)
    # a half-precision product would round differently: the upcast is what makes them equal
    half = net[0].weight + ((layer.lora_B @ layer.lora_A) * layer.scaling).to(dtype)
    assert not torch.equal(half, merged_peft)


def test_save_adapter_is_atomic(tmp_path, monkeypatch):
    """A crash while writing keeps the previous adapter files intact and leaves no temp file."""
    import ml2llm.io

    model = nn.Sequential(nn.Linear(8, 8))
    apply_lora(model, ["0"], r=2, alpha=4)
    save_adapter(model, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ml2llm.io.os, "replace", crash)
    with torch.no_grad():
        model[0].lora_B.fill_(1.0)
    with pytest.raises(OSError):
        save_adapter(model, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
