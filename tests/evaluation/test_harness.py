"""Harness, forgetting, report and CLI on tiny real models (ours, Hugging Face, PEFT, MLX)."""

import json
import math

import numpy as np
import pytest
import torch

from ml2llm.cli import main
from ml2llm.evaluation import (
    CausalLMAdapter,
    EvalResult,
    FunctionAdapter,
    compare,
    evaluate,
    load_model,
    perplexity,
    write_report,
)

TEXT = (
    "ROMEO:\nBut soft, what light through yonder window breaks?\n"
    "JULIET:\nO Romeo, Romeo, wherefore art thou Romeo?\n"
) * 4


@pytest.fixture(scope="module")
def records():
    from ml2llm.finetune.data import build_tasks, load_plays

    return build_tasks(load_plays(), n_per_task=40, seed=0)["test"][:12]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, records):
    """A seeded, untrained tiny Mistral char model, its HF export, and a LoRA adapter."""
    from ml2llm.finetune.backends import export_with_template, pretrain_char_model
    from ml2llm.finetune.data import write_splits
    from ml2llm.finetune.lora import apply_lora, lora_modules, save_adapter

    chars = "".join({c for r in records for c in r["prompt"] + r["completion"]}) + "QA:\n" + TEXT
    model, tok, _ = pretrain_char_model(
        TEXT, extra_chars=chars, steps=0, n_layer=1, n_embd=32, n_head=2, block_size=128
    )
    root = tmp_path_factory.mktemp("p17")
    base_dir = export_with_template(model, tok, root / "base")
    tuned = pretrain_char_model(
        TEXT, extra_chars=chars, steps=0, n_layer=1, n_embd=32, n_head=2, block_size=128
    )[0]
    apply_lora(tuned, ("q_proj", "v_proj"), r=4, alpha=8)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in lora_modules(tuned).values():
            m.lora_B.copy_(torch.randn(m.lora_B.shape, generator=g))
    save_adapter(tuned, root / "adapter", base_model_name_or_path=str(base_dir))
    data = write_splits({"train": records, "valid": records, "test": records}, root / "data")
    (root / "held.txt").write_text(TEXT, encoding="utf-8")
    return {
        "model": model,
        "tuned": tuned,
        "tok": tok,
        "root": root,
        "base": base_dir,
        "data": data,
    }


def test_perplexity_equals_hf_loss(tiny):
    # Reference: transformers' own causal-LM loss on the exported model, window by window.
    from transformers import AutoModelForCausalLM

    hf = AutoModelForCausalLM.from_pretrained(str(tiny["base"])).eval()
    lm = CausalLMAdapter(tiny["model"], tiny["tok"])
    ids = lm.encode(TEXT)
    res = perplexity(lm, TEXT, block_size=48)
    total, count = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(ids) - 1, 48):
            w = torch.tensor([ids[s : s + 49]])
            if w.shape[1] < 2:
                break
            loss = hf(input_ids=w, labels=w).loss.item()
            total += loss * (w.shape[1] - 1)
            count += w.shape[1] - 1
    assert res["n_tokens"] == count == len(ids) - 1
    # float32 logits of two implementations of the same weights: rtol 1e-5 on the mean NLL
    assert res["nll"] == pytest.approx(total / count, rel=1e-5)
    assert res["perplexity"] == pytest.approx(math.exp(total / count), rel=1e-5)
    assert res["bits_per_char"] == pytest.approx(total / (len(TEXT) * math.log(2)), rel=1e-5)


@pytest.mark.slow
def test_adapters_agree_torch_hf_peft(tiny, records):
    # Our model, the HF export and our-LoRA vs PEFT-loaded adapter give the same answers.
    ours = CausalLMAdapter(tiny["model"], tiny["tok"]).complete(
        [r["prompt"] for r in records[:4]], 6
    )
    hf = load_model(tiny["base"], backend="hf").complete([r["prompt"] for r in records[:4]], 6)
    assert [c.text for c in ours] == [c.text for c in hf]
    a = load_model(tiny["root"] / "adapter", backend="torch")
    b = load_model(tiny["root"] / "adapter", backend="peft")
    ids = a.encode(TEXT[:40])
    np.testing.assert_allclose(a.window_nll(ids), b.window_nll(ids), rtol=1e-4, atol=1e-5)
    base_nll = CausalLMAdapter(tiny["model"], tiny["tok"]).window_nll(ids)
    assert not np.allclose(a.window_nll(ids), base_nll)  # the adapter really changes the model


def test_evaluate_oracle_and_constant(records):
    oracle = FunctionAdapter(
        lambda p, n: next(r["completion"] for r in records if r["prompt"] == p), "oracle"
    )
    const = FunctionAdapter(lambda p, n: "Hamlet", "hamlet")
    ro, rc = evaluate(oracle, records, n_resamples=200), evaluate(const, records, n_resamples=200)
    assert ro.summary["all"]["exact_match"]["estimate"] == 1.0
    expected = np.mean([r["completion"] == "Hamlet" for r in records])
    assert rc.summary["all"]["exact_match"]["estimate"] == pytest.approx(expected)
    c = compare(rc, ro)
    assert c.tasks["all"]["diff"]["exact_match"]["estimate"] == pytest.approx(1 - expected)
    assert c.tasks["all"]["significant"]  # 12 examples, (almost) all discordant: p < 0.05


@pytest.mark.slow
def test_compare_identical_models_not_significant(tiny, records):
    lm = CausalLMAdapter(tiny["model"], tiny["tok"], name="m")
    a = evaluate(lm, records, max_new_tokens=6, heldout_text=TEXT, n_resamples=300)
    b = evaluate(lm, records, max_new_tokens=6, heldout_text=TEXT, n_resamples=300)
    c = compare(a, b)
    for task, t in c.tasks.items():
        assert not t["significant"], task
        assert t["mcnemar"]["pvalue"] == 1.0
        assert all(d["estimate"] == 0 and d["pvalue"] == 1.0 for d in t["diff"].values())
    assert c.perplexity["nll_diff"]["estimate"] == 0.0


def test_report_and_json_roundtrip(tiny, records, tmp_path):
    lm = CausalLMAdapter(tiny["model"], tiny["tok"], name="m")
    res = evaluate(lm, records, max_new_tokens=4, heldout_text=TEXT, n_resamples=100)
    c = compare(res, res)
    paths = write_report(c, tmp_path)
    md = paths["markdown"].read_text()
    assert "| all |" in md and "Forgetting" in md and "Side-by-side" in md
    html = paths["html"].read_text()
    assert html.count("data:image/png;base64") == 3 and "<table>" in html
    back = EvalResult.load(res.save(tmp_path / "r.json"))
    assert back.summary == json.loads(json.dumps(res.summary))


@pytest.mark.slow
def test_cli_compare_identical_models(tiny, tmp_path, capsys):
    # The same model twice through the CLI: no task may be flagged significant.
    out = tmp_path / "rep"
    args = ["compare", str(tiny["base"]), str(tiny["base"]), "--data", str(tiny["data"]),
            "--max-new-tokens", "4", "--heldout", str(tiny["root"] / "held.txt"), "--resamples", "200", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "p=1" in text and "*" not in text
    res = json.loads((out / "results.json").read_text())
    assert all(not t["significant"] for t in res["tasks"].values())
    assert (out / "report.html").is_file()


@pytest.mark.slow
def test_cli_evaluate_adapter(tiny, tmp_path, capsys):
    out = tmp_path / "ev"
    args = ["evaluate", str(tiny["root"] / "adapter"), "--data", str(tiny["data"] / "test.jsonl"),
            "--backend", "torch", "--max-new-tokens", "4", "--heldout", "none", "--resamples", "100", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    assert "EM" in capsys.readouterr().out
    assert (out / "report.md").is_file()


@pytest.mark.parametrize(
    "extra,match",
    [
        (["--data", "/nonexistent"], "does not exist"),
        (["--max-new-tokens", "0"], "--max-new-tokens"),
        (["--heldout", "/no/such.txt"], "--heldout"),
        (["--backend", "jax"], "backend"),
    ],
)
def test_cli_bad_input_one_line_exit_2(tiny, capsys, extra, match):
    args = ["evaluate", str(tiny["base"]), "--data", str(tiny["data"])] + extra
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and err.count("\n") == 0


def test_cli_missing_model_folder(tmp_path, capsys):
    assert (
        main(
            [
                "compare",
                str(tmp_path / "nope"),
                str(tmp_path),
                "--data",
                str(tmp_path),
                "--heldout",
                "none",
            ]
        )
        == 2
    )
    assert "ml2llm: error:" in capsys.readouterr().err


def test_bad_records_and_mismatched_compare(records):
    lm = FunctionAdapter(lambda p, n: "x")
    with pytest.raises(ValueError, match="records"):
        evaluate(lm, [])
    with pytest.raises(ValueError, match="max_new_tokens"):
        evaluate(lm, records, max_new_tokens=0)
    with pytest.raises(ValueError, match="window_nll"):
        evaluate(lm, records, heldout_text="some text")
    a = evaluate(lm, records[:3], n_resamples=10)
    b = evaluate(lm, records[3:6], n_resamples=10)
    with pytest.raises(ValueError, match="same records"):
        compare(a, b)


@pytest.mark.slow
def test_mlx_backend_matches_torch(tiny, records):
    pytest.importorskip("mlx_lm")
    lm = load_model(tiny["base"], backend="mlx")
    ref = CausalLMAdapter(tiny["model"], tiny["tok"])
    ids = ref.encode(TEXT[:40])
    # MLX float32 kernels vs torch: 1e-4 relative on per-token NLLs
    np.testing.assert_allclose(lm.window_nll(ids), ref.window_nll(ids), rtol=1e-4, atol=1e-4)
    prompts = [r["prompt"] for r in records[:3]]
    assert [c.text for c in lm.complete(prompts, 5)] == [c.text for c in ref.complete(prompts, 5)]


@pytest.mark.slow
def test_mlx_adapter_folder_on_mlx_and_torch_backends(tiny, tmp_path):
    # An MLX-format adapter (converted from our PEFT adapter) must give the same NLLs as the
    # PEFT adapter, run by MLX itself or converted back for our torch model.
    pytest.importorskip("mlx_lm")
    from ml2llm.finetune.convert import peft_to_mlx

    mlx_dir = peft_to_mlx(tiny["root"] / "adapter", tmp_path / "mlx_adapter")
    ref = load_model(tiny["root"] / "adapter", backend="torch")
    ids = ref.encode(TEXT[:40])
    for backend in ("mlx", "torch"):
        lm = load_model(mlx_dir, backend=backend)
        # float32 in both frameworks: 1e-4 relative on per-token NLLs
        np.testing.assert_allclose(lm.window_nll(ids), ref.window_nll(ids), rtol=1e-4, atol=1e-4)
