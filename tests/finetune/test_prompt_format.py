"""One prompt format for every backend: torch, PEFT and MLX train on the same ids and mask.

The references: ``transformers``' ``apply_chat_template`` (the folder's chat template),
``mlx_lm``'s own ``CompletionsDataset`` (what ``mlx_lm lora --mask-prompt`` trains on) and
``mlx_lm``'s ``iterate_batches`` (the arrays its trainer really sees).
"""

import json
import shutil

import numpy as np
import pytest
import torch

from ml2llm import cli
from ml2llm.finetune import backends
from ml2llm.finetune.data import (
    ChatTemplate,
    TokenizerTemplate,
    encode_example,
    prompt_format,
    write_splits,
)

RECORDS = [
    {"prompt": 'Who says "Is this a dagger"?', "completion": "Macbeth", "task": "speaker"},
    {"prompt": "Uppercase: \"what's done is\"", "completion": "WHAT'S DONE IS", "task": "upper"},
    {"prompt": "Is this a question? \"To bed, to bed\"", "completion": "no", "task": "question"},
    {"prompt": "Reverse the words: \"fair is foul\"", "completion": "foul is fair", "task": "reverse"},
]  # fmt: skip


# another template, spelled with characters the char tokenizer has
CUSTOM = (
    "{% for m in messages %}{% if m['role'] == 'user' %}{{ 'User: ' + m['content'] + '\\n' }}"
    "{% else %}{{ 'Bot: ' + m['content'] + eos_token + '\\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Bot: ' }}{% endif %}"
)


def _with_template(src, dst, template):
    shutil.copytree(src, dst, dirs_exist_ok=True)
    cfg = json.loads((dst / "tokenizer_config.json").read_text())
    (dst / "chat_template.jinja").unlink()
    cfg.pop("chat_template")
    if template is not None:
        cfg["chat_template"] = template
    (dst / "tokenizer_config.json").write_text(json.dumps(cfg))
    return dst


@pytest.fixture(scope="module")
def folders(own_export, tmp_path_factory):
    """The exported folder (with the Q:/A: chat template) and a copy without any template."""
    _, _, with_template = own_export
    bare = _with_template(with_template, tmp_path_factory.mktemp("no_template"), None)
    data = tmp_path_factory.mktemp("data")
    write_splits({"train": RECORDS, "valid": RECORDS[:2], "test": RECORDS[:2]}, data)
    return with_template, bare, data


@pytest.fixture(scope="module")
def custom(own_export, tmp_path_factory):
    return _with_template(own_export[2], tmp_path_factory.mktemp("custom"), CUSTOM)


def test_prompt_format_follows_the_folder(folders):
    with_template, bare, _ = folders
    tok = backends.load_tokenizer(with_template)
    fmt = prompt_format(tok)
    assert isinstance(fmt, TokenizerTemplate)
    assert isinstance(prompt_format(backends.load_tokenizer(bare)), ChatTemplate)
    # the exported template is the fallback written in Jinja: same text either way
    p, c = fmt.parts("Who?", "Iago")
    assert (p, c) == (ChatTemplate().prompt("Who?"), "Iago<eos>")
    assert ChatTemplate().parts("Who?", "Iago") == (p, "Iago")
    assert (
        tok.apply_chat_template([{"role": "user", "content": "Who?"}], tokenize=False) == "Q: Who?"
    )


def test_template_without_prefix_property_is_refused():
    class Odd:  # renders the user turn differently once an answer follows
        chat_template = "x"

        def apply_chat_template(self, messages, tokenize, add_generation_prompt):
            return "<gen>" if add_generation_prompt else "<full>"

    with pytest.raises(ValueError, match="not a prefix"):
        TokenizerTemplate(Odd()).parts("a", "b")


def _mlx_rows(examples, max_len):
    """What mlx_lm's trainer sees for our examples: (ids, mask of counted targets) per row."""
    import mlx.core as mx
    from mlx_lm.tuner.trainer import iterate_batches

    from ml2llm.finetune.backends import _cache, _MLXDataset

    rows = []
    for batch, lengths in iterate_batches(_cache(_MLXDataset(examples)), 1, max_len, seed=0):
        offset, length = (int(v) for v in np.array(lengths)[0])
        ids = np.array(batch)[0]
        steps = mx.arange(1, batch.shape[1])  # the mask _mlx_loss builds
        mask = np.array(mx.logical_and(steps >= offset, steps < length))
        default = np.array(mx.logical_and(steps >= offset, steps <= length))  # mlx_lm 0.32's
        rows.append((ids[:length].tolist(), mask, default, length))
    return rows


@pytest.mark.parametrize("which", ["chat_template", "fallback", "custom"])
def test_three_backends_see_identical_ids_and_loss_masks(folders, custom, which):
    pytest.importorskip("mlx_lm")
    from peft import LoraConfig, get_peft_model

    from ml2llm.finetune.lora import apply_lora
    from ml2llm.transformers import from_hf

    with_template, bare, data = folders
    folder = {"chat_template": with_template, "fallback": bare, "custom": custom}[which]
    max_len = 96
    hf, tok = backends.load_hf(folder)
    ours = from_hf(hf)
    apply_lora(ours, ["q_proj", "v_proj"], r=2, alpha=4)
    torch_tr, _, fmt = backends.sft_trainer(ours, tok, folder, data, max_len=max_len)
    assert fmt.name == ("fallback" if which == "fallback" else "chat_template")
    peft_model = get_peft_model(
        backends.load_hf(folder)[0], LoraConfig(r=2, target_modules=["q_proj", "v_proj"])
    )
    peft_tr, _, _ = backends.sft_trainer(peft_model, tok, folder, data, max_len=max_len)
    mlx_ex = backends.mlx_examples(tok, RECORDS, prompt_format(tok), max_len)

    assert torch_tr.train_examples == peft_tr.train_examples == mlx_ex
    first = tok.decode(mlx_ex[0][0])
    if which == "custom":
        assert first == f"User: {RECORDS[0]['prompt']}\nBot: Macbeth<eos>\n"
    else:  # the exported template is the fallback in Jinja: the same ids with or without it
        assert first == f"Q: {RECORDS[0]['prompt']}\nA: Macbeth<eos>"
    by_ids = {tuple(ids): labels for ids, labels in mlx_ex}
    rows = _mlx_rows(mlx_ex, max_len)
    assert sorted(tuple(r[0]) for r in rows) == sorted(by_ids)
    for ids, mask, default, length in rows:
        labels = np.array(by_ids[tuple(ids)])
        torch_mask = labels[1:] != -100  # sft_loss: logits[t] against labels[t + 1]
        assert torch_mask.any()
        np.testing.assert_array_equal(mask[: length - 1], torch_mask)
        assert not mask[length - 1 :].any()
        # mlx_lm's default loss also counts the first padding target (upstream off-by-one)
        assert default.sum() == mask.sum() + 1 and default[length - 1]


def test_identical_ids_match_mlx_lm_own_dataset(folders):
    """Our ids equal what ``mlx_lm lora --mask-prompt`` would build from the same records."""
    mlx_lm = pytest.importorskip("mlx_lm")
    from mlx_lm.tuner.datasets import CompletionsDataset

    with_template, _, _ = folders
    _, wrapper = mlx_lm.load(str(with_template))
    ref = CompletionsDataset(RECORDS, wrapper, "prompt", "completion", mask_prompt=True)
    tok = backends.load_tokenizer(with_template)
    for i, (ids, labels) in enumerate(backends.mlx_examples(tok, RECORDS, prompt_format(tok), 10**6)):  # fmt: skip
        ref_ids, ref_offset = ref.process(ref[i])
        assert ids == list(ref_ids)
        assert labels.count(-100) == ref_offset


def test_same_masked_loss_in_torch_and_mlx(folders):
    """Same weights, same ids: torch's sft_loss equals the MLX backend's loss."""
    mlx_lm = pytest.importorskip("mlx_lm")
    import mlx.core as mx

    from ml2llm.finetune.backends import _mlx_loss
    from ml2llm.finetune.sft import pad_batch, sft_loss

    with_template, _, _ = folders
    hf, tok = backends.load_hf(with_template)
    examples = backends.mlx_examples(tok, RECORDS, prompt_format(tok), 96)
    x, y, m = pad_batch(examples, tok.pad_token_id)
    with torch.no_grad():
        ref = float(sft_loss(hf(input_ids=x, attention_mask=m).logits, y))
    model, _ = mlx_lm.load(str(with_template))
    lengths = mx.array([[labels.count(-100), len(ids)] for ids, labels in examples])
    got, ntoks = _mlx_loss(model, mx.array(x.numpy()), lengths)
    assert int(ntoks) == int((y[:, 1:] != -100).sum())
    assert abs(float(got) - ref) < 1e-4, (float(got), ref)  # float32, two frameworks


def test_evaluation_prompts_use_the_same_format(folders, custom):
    from ml2llm.evaluation.harness import MLXAdapter, load_model

    for folder, expected in ((custom, "User: hi\nBot: "), (folders[1], "Q: hi\nA: ")):
        for backend in ("hf", "torch"):
            assert load_model(folder, backend=backend).template.prompt("hi") == expected
        if backend_has_mlx():
            assert MLXAdapter(folder).template.prompt("hi") == expected


def backend_has_mlx():
    import importlib.util

    return importlib.util.find_spec("mlx_lm") is not None


def test_eos_token_must_exist_or_be_named(folders, tmp_path, capsys):
    with_template, bare, data = folders
    no_eos = tmp_path / "no_eos"
    shutil.copytree(bare, no_eos)
    cfg = json.loads((no_eos / "tokenizer_config.json").read_text())
    cfg.pop("eos_token")
    (no_eos / "tokenizer_config.json").write_text(json.dumps(cfg))
    (no_eos / "special_tokens_map.json").write_text("{}")
    with pytest.raises(ValueError, match="has no EOS token.*--eos-token"):
        backends.load_tokenizer(no_eos)
    assert backends.load_tokenizer(no_eos, eos_token="<eos>").eos_token == "<eos>"
    with pytest.raises(ValueError, match="--eos-token '<nope>' is not a token"):
        backends.load_tokenizer(no_eos, eos_token="<nope>")
    for cmd in (
        ["finetune", "--model", str(no_eos), "--data", str(data), "--out", str(tmp_path / "o")],
        ["evaluate", str(no_eos), "--data", str(data), "--heldout", "none"],
        ["finetune", "--model", str(with_template), "--data", str(data), "--eos-token", "<x>"],
    ):
        assert cli.main(cmd) == 2
        err = capsys.readouterr().err
        assert "--eos-token" in err and err.strip().count("\n") == 0, err
    assert not (tmp_path / "o").exists() and not (tmp_path / ".o.partial").exists()


def test_encode_example_appends_eos_once():
    enc = lambda s: [ord(c) for c in s]

    class Tpl:  # a chat template whose answer already ends with EOS (chr(1))
        writes_eos = True

        def parts(self, p, c):
            return f"<{p}>", f"{c}\x01"

    ids, labels = encode_example(enc, "a", "b", eos_id=1, template=Tpl())
    assert ids == enc("<a>b") + [1] and labels == [-100] * 3 + enc("b") + [1]
    ids, _ = encode_example(enc, "a", "b\x01", eos_id=1)  # the fallback always appends EOS
    assert ids[-2:] == [1, 1]


@pytest.mark.slow
def test_mlx_trains_on_a_folder_without_chat_template(folders, tmp_path, capsys):
    pytest.importorskip("mlx_lm")
    _, bare, data = folders
    out = tmp_path / "mlx"
    argv = ["finetune", "--model", str(bare), "--data", str(data), "--backend", "mlx"]
    argv += ["--out", str(out), "--steps", "2", "--batch-size", "2", "--max-len", "96"]
    assert cli.main(argv) == 0, capsys.readouterr().err
    res = json.loads((out / "finetune_result.json").read_text())
    assert res["prompt_format"] == "fallback" and res["backend"] == "mlx"
    assert set(res) == set(backends.RESULT_KEYS)
    assert "[mlx] step 2/2  loss" in capsys.readouterr().out


def test_failed_run_leaves_no_out_folder_and_resumes_from_partial(folders, tmp_path, monkeypatch):
    """A failure never leaves ``--out``; with ``save_every`` the same call resumes."""
    with_template, _, data = folders
    out, partial = tmp_path / "lora", tmp_path / ".lora.partial"
    kw = dict(steps=4, batch_size=2, max_len=96, eval_every=2, log_every=2, r=2, alpha=4)
    real_report, lines = backends._Progress.report, []

    def crash_at_2(self, step, *a, **k):
        real_report(self, step, *a, **k)
        if step == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(backends._Progress, "report", crash_at_2)
    with pytest.raises(KeyboardInterrupt):
        backends.run_finetune("torch", with_template, data, out, log=lines.append, **kw)
    assert not out.exists() and not partial.exists()  # nothing to resume: cleaned up
    with pytest.raises(KeyboardInterrupt):
        backends.run_finetune("torch", with_template, data, out, log=lines.append, save_every=2, **kw)  # fmt: skip
    assert not out.exists() and (partial / "checkpoint").is_dir()
    monkeypatch.setattr(backends._Progress, "report", real_report)
    res = backends.run_finetune("torch", with_template, data, out, log=lines.append, save_every=2, **kw)  # fmt: skip
    assert any("resumed from" in line and "at step 2" in line for line in lines), lines
    assert [h["step"] for h in res["history"]] == [2, 4]  # the resumed steps are kept
    assert (out / "finetune_result.json").is_file() and (
        out / "adapter_model.safetensors"
    ).is_file()
    assert not partial.exists()
