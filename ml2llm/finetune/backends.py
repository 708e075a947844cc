"""Fine-tuning backends behind ``ml2llm finetune``: ``torch`` (our LoRA), ``peft`` and ``mlx``.

All three read the same ``train/valid[/test].jsonl`` folder (see :mod:`ml2llm.finetune.data`)
and a Hugging Face model folder (or, for ``peft``/``mlx``, a hub id when the learner has the
weights cached):

- :func:`finetune_torch`: loads the folder into **our** model (``from_hf``: GPT or Mistral,
  including a real Mistral-7B), applies :func:`~ml2llm.finetune.lora.apply_lora`, trains with
  :class:`~ml2llm.finetune.sft.SFTTrainer`, writes a PEFT-format adapter.
- :func:`finetune_peft`: ``AutoModelForCausalLM`` + ``peft.get_peft_model`` + the same trainer.
- :func:`finetune_mlx`: runs ``python -m mlx_lm lora --train --mask-prompt`` on the folder.

Helpers for the offline pipeline: :func:`pretrain_char_model` (a tiny Mistral-architecture
character model on a Shakespeare slice, the project's "own" model in tests and quick mode)
and :func:`export_with_template` (Hugging Face export plus the chat template MLX needs).

What it does not do: quantisation (use ``mlx_lm.convert -q`` or bitsandbytes), multi-GPU.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch

from ml2llm.finetune.data import ChatTemplate, load_splits

__all__ = [
    "export_with_template",
    "finetune_mlx",
    "finetune_peft",
    "finetune_torch",
    "load_hf",
    "pretrain_char_model",
]

BACKENDS = ("torch", "peft", "mlx")


def pretrain_char_model(
    text: str,
    extra_chars: str = "",
    steps: int = 300,
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    block_size: int = 128,
    batch_size: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
):
    """Train a tiny Mistral-architecture character model on ``text``; returns ``(model, tok, losses)``.

    The tokenizer has ``<eos>`` as id 0 and every character of ``text + extra_chars``.
    """
    from ml2llm.nlp import CharTokenizer
    from ml2llm.transformers import Mistral, MistralConfig

    if len(text) < block_size + 2:
        raise ValueError(f"text must be longer than block_size + 1 = {block_size + 1} characters")
    torch.manual_seed(seed)
    tok = CharTokenizer(sorted(set(text) | set(extra_chars)), special_tokens=["<eos>"])
    cfg = MistralConfig(
        vocab_size=tok.vocab_size, block_size=block_size, n_layer=n_layer, n_head=n_head,
        n_embd=n_embd, tie_word_embeddings=False,
    )  # fmt: skip
    model = Mistral(cfg)
    data = torch.tensor(tok.encode(text), dtype=torch.long)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for step in range(steps):
        ix = torch.randint(len(data) - block_size - 1, (batch_size,), generator=g)
        x = torch.stack([data[i : i + block_size] for i in ix])
        y = torch.stack([data[i + 1 : i + 1 + block_size] for i in ix])
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / 20)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    model.eval()
    return model, tok, losses


def export_with_template(model, tokenizer, directory, template: ChatTemplate | None = None) -> Path:
    """:func:`~ml2llm.transformers.export_hf` with ``eos_token="<eos>"`` plus a chat template.

    ``mlx_lm lora`` formats ``{"prompt","completion"}`` records with the tokenizer's chat
    template, so the exported folder carries :meth:`ChatTemplate.jinja` in
    ``tokenizer_config.json``; HF and MLX then see the same text as our trainer.
    """
    from ml2llm.transformers import export_hf

    template = template or ChatTemplate()
    directory = export_hf(model, tokenizer, directory, eos_token="<eos>")
    path = Path(directory) / "tokenizer_config.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    cfg["chat_template"] = template.jinja()
    path.write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    return Path(directory)


def load_hf(model_path, dtype=None):
    """``(AutoModelForCausalLM, AutoTokenizer)`` from a folder or cached hub id, offline-friendly."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = {"dtype": dtype} if dtype is not None else {}
    model = AutoModelForCausalLM.from_pretrained(str(model_path), **kwargs)
    tok = AutoTokenizer.from_pretrained(str(model_path))
    return model, tok


def _train(model, tokenizer, data_dir, out_dir, sft_kwargs, template):
    from ml2llm.finetune.sft import Codec, SFTConfig, SFTTrainer

    splits = load_splits(data_dir)
    cfg = SFTConfig(out_dir=str(out_dir), **sft_kwargs)
    trainer = SFTTrainer(model, Codec(tokenizer), splits["train"], splits["valid"], cfg, template)
    if cfg.save_every and (Path(out_dir) / "checkpoint" / "state.json").is_file():
        trainer.load_checkpoint()
    trainer.train()
    result = {"history": trainer.history, "val_loss": trainer.evaluate()}
    if "test" in splits and splits["test"]:
        result["test"] = {
            k: v for k, v in trainer.accuracy(splits["test"]).items() if k != "answers"
        }
    return trainer, result


def finetune_torch(
    model_path, data_dir, out_dir, r=8, alpha=16.0, target_modules=("q_proj", "v_proj"),
    template=None, **sft_kwargs,
) -> dict:  # fmt: skip
    """Our LoRA on our model loaded from a Hugging Face folder; adapter -> ``out_dir``."""
    from ml2llm.finetune.lora import apply_lora, save_adapter, trainable_report
    from ml2llm.transformers import from_hf

    hf, tok = load_hf(model_path)
    model = from_hf(hf)
    del hf
    apply_lora(model, target_modules, r=r, alpha=alpha)
    report = trainable_report(model)
    trainer, result = _train(model, tok, data_dir, out_dir, sft_kwargs, template)
    save_adapter(model, out_dir, base_model_name_or_path=str(model_path))
    return {"backend": "torch", "trainable": report, **result}


def finetune_peft(
    model_path, data_dir, out_dir, r=8, alpha=16.0, target_modules=("q_proj", "v_proj"),
    template=None, **sft_kwargs,
) -> dict:  # fmt: skip
    """PEFT LoRA on a Hugging Face causal LM; ``save_pretrained`` -> ``out_dir``."""
    from peft import LoraConfig, get_peft_model

    hf, tok = load_hf(model_path)
    config = LoraConfig(
        r=r,
        lora_alpha=alpha,
        target_modules=list(target_modules),
        lora_dropout=0.0,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(hf, config)
    trainable, total = model.get_nb_trainable_parameters()
    trainer, result = _train(model, tok, data_dir, out_dir, sft_kwargs, template)
    model.save_pretrained(str(out_dir))
    report = {"trainable": trainable, "total": total, "percent": 100 * trainable / total}
    return {"backend": "peft", "trainable": report, **result}


def mlx_command(
    model_path, data_dir, out_dir, r=8, alpha=16.0, target_modules=("q_proj", "v_proj"),
    steps=200, batch_size=4, lr=1e-4, max_len=256, seed=0, num_layers=-1,
) -> tuple[list[str], dict]:  # fmt: skip
    """The ``mlx_lm lora`` command line and YAML config for the same LoRA as ours.

    MLX multiplies the update by ``scale`` directly, so ``scale = alpha / r``; ``keys`` are
    module names relative to a transformer layer (``self_attn.q_proj``).
    """
    keys = [
        f"self_attn.{t}" if t in ("q_proj", "k_proj", "v_proj", "o_proj") else f"mlp.{t}"
        for t in target_modules
    ]
    config = {"lora_parameters": {"rank": r, "scale": alpha / r, "dropout": 0.0, "keys": keys}}
    cmd = [
        sys.executable, "-m", "mlx_lm", "lora", "--model", str(model_path), "--train",
        "--data", str(data_dir), "--adapter-path", str(out_dir), "--iters", str(steps),
        "--batch-size", str(batch_size), "--learning-rate", str(lr), "--mask-prompt",
        "--num-layers", str(num_layers), "--max-seq-length", str(max_len), "--seed", str(seed),
        "--steps-per-report", str(max(1, steps // 4)), "--steps-per-eval", str(steps),
        "--val-batches", "2", "--save-every", str(steps),
    ]  # fmt: skip
    return cmd, config


def finetune_mlx(model_path, data_dir, out_dir, timeout: float | None = None, **kwargs) -> dict:
    """Run ``mlx_lm lora`` (Apple Silicon, or Linux CPU with ``mlx-lm[cpu]``)."""
    import importlib.util
    import os

    if importlib.util.find_spec("mlx_lm") is None:
        raise ValueError(
            "backend 'mlx' needs mlx-lm: pip install 'mlx-lm[cpu]' (or mlx-lm on a Mac)"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd, config = mlx_command(model_path, data_dir, out_dir, **kwargs)
    cfg_path = out_dir / "mlx_lora_config.yaml"
    cfg_path.write_text(json.dumps(config), encoding="utf-8")  # JSON is valid YAML
    cmd += ["-c", str(cfg_path)]
    env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"mlx_lm lora failed (exit {proc.returncode}): {tail[0]}")
    return {"backend": "mlx", "command": cmd, "log": proc.stdout}
