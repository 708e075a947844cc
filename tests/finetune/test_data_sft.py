"""Instruction data, prompt masking, the SFT trainer (loss, packing, resume) and the CLI."""

import json

import pytest
import torch

from ml2llm import cli
from ml2llm.finetune.data import (
    ChatTemplate,
    build_tasks,
    encode_example,
    load_plays,
    load_records,
    load_splits,
    parse_play,
    write_splits,
)
from ml2llm.finetune.sft import (
    Codec,
    SFTConfig,
    SFTTrainer,
    pack_examples,
    pad_batch,
    sft_loss,
    task_accuracy,
)

PLAYS = {"macbeth": "Macbeth", "othello": "Othello"}


@pytest.fixture(scope="module")
def splits():
    return build_tasks(load_plays(PLAYS), n_per_task=60, seed=1)


def test_parse_play_speeches():
    text = "ACT I.\n\nBer.\nWho's there?\n\nFRAN.\nNay, answer me.\nStand!\n\n[Exit.]\n"
    assert parse_play(text) == [("Ber", ["Who's there?"]), ("Fran", ["Nay, answer me.", "Stand!"])]


def test_build_tasks_splits_are_disjoint(splits):
    assert {len(splits[s]) for s in ("train", "valid", "test")} != {0}
    tasks = {r["task"] for r in splits["train"]}
    assert tasks == {"play", "speaker", "next_line", "upper", "reverse", "question"}
    answers = [r["completion"] for r in splits["train"] if r["task"] == "question"]
    assert answers.count("yes") == answers.count("no") > 0  # balanced yes/no

    def quoted(r):
        return r["prompt"].split('"')[1]

    train_lines = {quoted(r) for r in splits["train"]}
    test_lines = {quoted(r) for r in splits["test"]}
    assert not train_lines & test_lines  # no test line was seen in a training prompt
    for r in splits["train"]:
        if r["task"] == "upper":
            assert r["completion"] == quoted(r).upper()
        if r["task"] == "reverse":
            assert r["completion"].split() == quoted(r).split()[::-1]
        if r["task"] == "question":
            assert r["completion"] == ("yes" if quoted(r).endswith("?") else "no")
        if r["task"] == "play":
            assert r["completion"] in PLAYS.values()
    with pytest.raises(ValueError, match="tasks must be"):
        build_tasks(load_plays(PLAYS), tasks=("sing",))
    with pytest.raises(ValueError, match="fractions"):
        build_tasks(load_plays(PLAYS), fractions=(0.5, 0.5))


def test_write_and_load_both_formats(splits, tmp_path):
    write_splits(splits, tmp_path / "c")
    write_splits(splits, tmp_path / "m", fmt="chat")
    first = json.loads((tmp_path / "m" / "train.jsonl").read_text().splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
    a, b = load_splits(tmp_path / "c"), load_splits(tmp_path / "m")
    assert a == b and a["test"] == splits["test"]
    alpaca = tmp_path / "alpaca.json"
    alpaca.write_text(json.dumps([{"instruction": "Add", "input": "2+2", "output": "4"}]))
    assert load_records(alpaca)[0] == {"prompt": "Add\n\n2+2", "completion": "4", "task": None}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x"}\n')
    with pytest.raises(ValueError, match="prompt/completion, messages, or instruction"):
        load_records(bad)
    bad.write_text("{oops\n")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_records(bad)
    with pytest.raises(ValueError, match="has no train.jsonl"):
        load_splits(tmp_path)
    with pytest.raises(ValueError, match="fmt must be"):
        write_splits(splits, tmp_path, fmt="xml")


def test_prompt_masking_by_hand():
    enc = lambda s: [ord(c) for c in s]
    ids, labels = encode_example(enc, "hi", "yo", eos_id=0, template=ChatTemplate("Q:", "|A:"))
    assert ids == enc("Q:hi|A:yo") + [0]
    assert labels == [-100] * len("Q:hi|A:") + enc("yo") + [0]


def test_chat_template_matches_hf_and_mlx_offset(own_export):
    from transformers import AutoTokenizer

    _, tok, hf_dir = own_export
    hf_tok = AutoTokenizer.from_pretrained(hf_dir)
    msgs = [{"role": "user", "content": "Who?"}, {"role": "assistant", "content": "Iago"}]
    full = hf_tok.apply_chat_template(msgs, tokenize=False)
    prompt = hf_tok.apply_chat_template(msgs[:1], tokenize=False, add_generation_prompt=True)
    t = ChatTemplate()
    assert full == t.prompt("Who?") + "Iago<eos>"
    assert prompt == t.prompt("Who?")  # mlx_lm's --mask-prompt offset = our prompt length
    codec = Codec(hf_tok)
    assert codec.encode("Who?") == tok.encode("Who?") and codec.eos_id == Codec(tok).eos_id


def test_sft_loss_only_on_completion():
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 11)
    labels = torch.tensor([[-100, -100, -100, 4, 5, 0], [-100, -100, 7, 0, -100, -100]])
    terms = []
    for b in range(2):
        for t in range(5):
            if labels[b, t + 1] != -100:
                terms.append(-torch.log_softmax(logits[b, t], -1)[labels[b, t + 1]])
    torch.testing.assert_close(sft_loss(logits, labels), torch.stack(terms).mean())
    with pytest.raises(ValueError, match="labels must have shape"):
        sft_loss(logits, labels[:, :3])


def test_pad_and_pack():
    ex = [([1, 2, 3], [-100, 2, 3]), ([4, 5], [-100, 5])]
    x, y, m = pad_batch(ex, pad_id=9)
    assert x.tolist() == [[1, 2, 3], [4, 5, 9]]
    assert y.tolist() == [[-100, 2, 3], [-100, 5, -100]]
    assert m.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert pack_examples(ex, 2) == [([1, 2], [-100, 2]), ([3, 4], [3, -100])]


def _records(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    words = ["the king", "my lord", "good night", "sweet love"]
    out = []
    for _ in range(n):
        w = words[int(torch.randint(4, (1,), generator=g))]
        out.append({"prompt": f'Uppercase: "{w}"', "completion": w.upper(), "task": "upper"})
    return out


def test_sft_learns_and_resume_is_exact(own_export, tmp_path):
    import copy

    from ml2llm.finetune.lora import apply_lora

    model, tok, _ = own_export
    codec = Codec(tok)
    train, valid = _records(64), _records(16, seed=1)

    def make(out_dir):
        m = copy.deepcopy(model)
        torch.manual_seed(0)  # LoRA's A is drawn from the global generator
        apply_lora(m, ["q_proj", "v_proj", "up_proj", "down_proj"], r=4, alpha=8)
        cfg = SFTConfig(
            steps=40, batch_size=8, lr=1e-2, eval_every=40, save_every=20, out_dir=str(out_dir)
        )
        return SFTTrainer(m, codec, train, valid, cfg)

    a = make(tmp_path / "a")
    before = a.evaluate()
    a.train()
    assert (
        a.history[-1]["val_loss"] < 0.8 * before
    )  # four answers to learn: the loss falls by > 20 %
    b = make(tmp_path / "b")
    b.train(steps=20)  # saves a checkpoint at step 20
    c = make(tmp_path / "b")
    assert c.resume() == 20
    c.train()
    # same data order, same optimizer state: the resumed run equals the uninterrupted one
    assert [h["train_loss"] for h in c.history] == pytest.approx(
        [h["train_loss"] for h in a.history], rel=1e-5
    )
    acc = task_accuracy(a.model, codec, valid, max_new_tokens=12)
    assert set(acc) == {"accuracy", "per_task", "answers"} and len(acc["answers"]) == 16


def test_sft_config_and_trainer_errors(own_export):
    model, tok, _ = own_export
    with pytest.raises(ValueError, match="steps must be a positive int"):
        SFTConfig(steps=0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        SFTConfig(lr=0)
    frozen = torch.nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        SFTTrainer(frozen, Codec(tok), _records(2))
    with pytest.raises(ValueError, match="train must hold"):
        SFTTrainer(model, Codec(tok), [])


# ----------------------------------------------------------------------------- CLI
@pytest.mark.parametrize(
    "extra,fragment",
    [
        (["--backend", "jax"], "--backend must be one of torch, peft, mlx"),
        (["--rank", "0"], "--rank must be >= 1"),
        (["--data", "/nonexistent/dir"], "does not exist"),
        (["--model", "/nonexistent/model"], "--model folder /nonexistent/model does not exist"),
        (["--model", "DATA"], "has no config.json"),
    ],
)
def test_cli_errors(extra, fragment, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.jsonl").write_text('{"prompt": "a", "completion": "b"}\n')
    (data / "valid.jsonl").write_text('{"prompt": "a", "completion": "b"}\n')
    extra = [str(data) if e == "DATA" else e for e in extra]
    argv = ["finetune", "--model", str(tmp_path), "--data", str(data)] + extra
    (tmp_path / "config.json").write_text("{}")
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and err.strip().count("\n") == 0


def test_cli_missing_valid(tmp_path, capsys):
    (tmp_path / "train.jsonl").write_text("{}\n")
    code = cli.main(["finetune", "--model", "x/y", "--data", str(tmp_path)])
    assert code == 2 and "has no valid.jsonl" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_torch_and_peft_end_to_end(own_export, splits, tmp_path, capsys):
    _, _, hf_dir = own_export
    small = {k: v[:16] for k, v in splits.items()}
    write_splits(small, tmp_path / "data")
    for backend in ("torch", "peft"):
        out = tmp_path / backend
        argv = ["finetune", "--model", str(hf_dir), "--data", str(tmp_path / "data")]
        argv += ["--backend", backend, "--out", str(out), "--steps", "4", "--batch-size", "4"]
        assert cli.main(argv) == 0, capsys.readouterr().err
        assert (out / "adapter_model.safetensors").is_file()
        res = json.loads((out / "finetune_result.json").read_text())
        assert 0 <= res["test"]["accuracy"] <= 1
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_mlx_backend_and_conversion(own_export, splits, tmp_path, capsys):
    pytest.importorskip("mlx_lm")
    from ml2llm.finetune.convert import mlx_to_peft
    from ml2llm.finetune.lora import load_adapter, lora_modules

    model, _, hf_dir = own_export
    write_splits({k: v[:16] for k, v in splits.items()}, tmp_path / "data")
    argv = ["finetune", "--model", str(hf_dir), "--data", str(tmp_path / "data")]
    argv += ["--backend", "mlx", "--out", str(tmp_path / "mlx"), "--steps", "3"]
    argv += ["--batch-size", "2", "--rank", "4", "--alpha", "8", "--lr", "1e-2"]
    assert cli.main(argv) == 0, capsys.readouterr().err
    mlx_to_peft(tmp_path / "mlx", tmp_path / "peft")
    import copy

    ours = copy.deepcopy(model)
    names = load_adapter(ours, tmp_path / "peft")
    assert len(names) == 2 * 2  # q_proj, v_proj in both layers (--num-layers -1)
    # three MLX steps at lr 1e-2 moved B away from its zero init
    assert any(float(m.lora_B.abs().max()) > 0 for m in lora_modules(ours).values())


def test_sft_packing_and_accuracy_during_training(own_export):
    import copy

    from ml2llm.finetune.lora import apply_lora

    model, tok, _ = own_export
    m = copy.deepcopy(model)
    torch.manual_seed(0)
    apply_lora(m, ["q_proj", "v_proj"], r=2, alpha=4)
    cfg = SFTConfig(steps=4, batch_size=2, max_len=32, pack=True, eval_every=2, accuracy_every=4)
    cfg.accuracy_examples, cfg.max_new_tokens = 4, 4
    tr = SFTTrainer(m, Codec(tok), _records(20), _records(4, seed=2), cfg)
    assert {len(ids) for ids, _ in tr.train_examples} == {32}  # every packed row is full
    n_tokens = sum(
        len(encode_example(Codec(tok).encode, r["prompt"], r["completion"], 0)[0])
        for r in _records(20)
    )
    assert len(tr.train_examples) == n_tokens // 32
    tr.train()
    assert "val_loss" in tr.history[1] and 0.0 <= tr.history[-1]["accuracy"] <= 1.0
