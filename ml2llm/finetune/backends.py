"""Fine-tuning backends behind ``ml2llm finetune``: ``torch`` (our LoRA), ``peft`` and ``mlx``.

All three read the same ``train/valid[/test].jsonl`` folder (see :mod:`ml2llm.finetune.data`)
and a Hugging Face model folder (or a hub id when the learner has the weights cached), and
all three train on **the same token ids with the same loss mask**:

- the tokenizer is the folder's (``AutoTokenizer``) for every backend;
- the prompt format is :func:`~ml2llm.finetune.data.prompt_format`: the folder's chat
  template when it has one, else the ``"Q: ...\\nA: ..." + EOS`` fallback;
- :func:`~ml2llm.finetune.data.encode_example` makes ``(input_ids, labels)``, truncated to
  ``min(max_len, block size)``.

Backends:

- :func:`finetune_torch`: loads the folder into **our** model (``from_hf``: GPT or Mistral,
  including a real Mistral-7B), applies :func:`~ml2llm.finetune.lora.apply_lora`, trains with
  :class:`~ml2llm.finetune.sft.SFTTrainer`, writes a PEFT-format adapter.
- :func:`finetune_peft`: ``AutoModelForCausalLM`` + ``peft.get_peft_model`` + the same trainer.
- :func:`finetune_mlx`: ``mlx_lm``'s LoRA layers and training loop
  (``mlx_lm.tuner.trainer.train``) fed with the ids above, like ``mlx_lm lora --mask-prompt``.
  Its loss counts answer tokens only; ``mlx_lm`` 0.32's default loss also counts one padding
  position per row (see ml-explore/mlx-lm PR #1697), so the backend passes its own.

Each returns the same result dict (:data:`RESULT_KEYS`), and :func:`run_finetune` (the CLI)
writes it as ``finetune_result.json`` next to the adapter. :func:`run_finetune` trains in a
``.<out>.partial`` folder and renames it to ``<out>`` only on success, so a failed run never
leaves a half-written or empty output folder (with ``save_every`` its checkpoint stays in the
partial folder, and the same command resumes from it).

Helpers for the offline pipeline: :func:`pretrain_char_model` (a tiny Mistral-architecture
character model on a Shakespeare slice, the project's "own" model in tests and quick mode)
and :func:`export_with_template` (Hugging Face export with an explicit chat template).

What it does not do: quantisation (use ``mlx_lm.convert -q`` or bitsandbytes), multi-GPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import torch

from ml2llm.finetune.data import ChatTemplate, encode_example, load_splits, prompt_format

__all__ = [
    "BACKENDS",
    "RESULT_KEYS",
    "export_with_template",
    "finetune_mlx",
    "fitting_splits",
    "finetune_peft",
    "finetune_torch",
    "load_hf",
    "load_tokenizer",
    "mlx_examples",
    "pretrain_char_model",
    "run_finetune",
    "sft_trainer",
]

BACKENDS = ("torch", "peft", "mlx")

#: Keys of the result every backend returns (and ``finetune_result.json`` holds).
RESULT_KEYS = (
    "status", "backend", "model", "data", "prompt_format", "eos_token", "config", "trainable",
    "history", "train_loss", "val_loss", "test", "seconds", "tokens_per_second",
)  # fmt: skip


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
    """:func:`~ml2llm.transformers.export_hf` with ``eos_token="<eos>"`` and ``template``'s Jinja.

    ``apply_chat_template`` (Hugging Face and ``mlx_lm``) then renders the same text as
    :meth:`ChatTemplate.prompt` (default :class:`ChatTemplate`).
    """
    from ml2llm.transformers import export_hf

    template = template or ChatTemplate()
    return Path(
        export_hf(model, tokenizer, directory, eos_token="<eos>", chat_template=template.jinja())
    )


def load_tokenizer(model_path, eos_token: str | None = None):
    """The folder's ``AutoTokenizer``, with its EOS checked (or set to ``eos_token``).

    Raises a one-line ``ValueError`` when the tokenizer has no EOS token and none is given,
    or when ``eos_token`` is not one of its tokens.
    """
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_path))
    _set_eos(tok, eos_token, model_path)
    return tok


def _set_eos(tok, eos_token, model_path) -> int:
    if eos_token is not None:
        if eos_token not in tok.get_vocab():
            raise ValueError(
                f"--eos-token {eos_token!r} is not a token of the tokenizer in {model_path}"
            )
        tok.eos_token = eos_token
    if tok.eos_token_id is None:
        raise ValueError(
            f"the tokenizer in {model_path} has no EOS token: re-export the model with "
            "`ml2llm export` (which adds one) or pass --eos-token TOKEN (one of its tokens)"
        )
    return int(tok.eos_token_id)


def load_hf(model_path, dtype="float32", eos_token: str | None = None):
    """``(AutoModelForCausalLM, AutoTokenizer)`` from a folder or cached hub id, offline-friendly.

    ``dtype`` defaults to float32, the precision our own models train and score in. Without
    it, transformers 5 loads a checkpoint in its stored dtype (SmolLM2's folder is bfloat16),
    and on a CPU without bfloat16 instructions PyTorch's bfloat16 matrix products fall back
    to a plain loop: a PEFT step on SmolLM2 took ~115 s instead of ~5 s, and trained in
    another precision than ours. ``dtype="auto"`` keeps the stored dtype (e.g. bfloat16 for a
    7B model on a GPU); a ``torch.dtype`` is passed through.
    """
    import torch
    from transformers import AutoModelForCausalLM

    if isinstance(dtype, str) and dtype != "auto":
        if not isinstance(getattr(torch, dtype, None), torch.dtype):
            raise ValueError(f"dtype must be 'auto' or a torch dtype name, got {dtype!r}")
        dtype = getattr(torch, dtype)
    tok = load_tokenizer(model_path, eos_token)
    model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=dtype)
    return model, tok


# ----------------------------------------------------------------------------- progress
class _Progress:
    """One line per report: step, train loss, val loss, learning rate and tokens/s.

    Tokens/s counts every token of the batches (prompt and answer): examples/s times the
    mean length of a training example, the same estimate for every backend.
    """

    def __init__(self, backend, steps, batch_size, mean_len, log):
        self.backend, self.steps, self.log = backend, steps, log
        self.tokens_per_step = batch_size * mean_len
        self.history: list[dict] = []
        self.train_seconds = 0.0
        self.trained_steps = 0

    def report(self, step, train_loss, seconds, n_steps, val_loss=None, lr=None):
        self.train_seconds += seconds
        self.trained_steps += n_steps
        tps = self.tokens_per_step * n_steps / seconds if seconds > 0 else float("nan")
        rec = {"step": int(step), "train_loss": float(train_loss), "tokens_per_second": tps}
        if val_loss is not None:
            rec["val_loss"] = float(val_loss)
        self.history.append(rec)
        if self.log:
            val = f"  val loss {val_loss:.4f}" if val_loss is not None else ""
            lr_s = f"  lr {lr:.2e}" if lr is not None else ""
            width = len(str(self.steps))
            self.log(
                f"[{self.backend}] step {step:>{width}}/{self.steps}  loss {train_loss:.4f}"
                f"{val}{lr_s}  {tps:,.0f} tok/s"
            )

    @property
    def tokens_per_second(self) -> float | None:
        if self.train_seconds <= 0:
            return None
        return self.tokens_per_step * self.trained_steps / self.train_seconds


def _result(backend, model_path, data_dir, template, tok, config, trainable, progress, val_loss, test, t0):  # fmt: skip
    history = progress.history
    return {
        "status": "ok",
        "backend": backend,
        "model": str(model_path),
        "data": str(data_dir),
        "prompt_format": getattr(template, "name", type(template).__name__),
        "eos_token": tok.eos_token,
        "config": config,
        "trainable": trainable,
        "history": history,
        "train_loss": history[-1]["train_loss"] if history else None,
        "val_loss": val_loss,
        "test": test,
        "seconds": time.perf_counter() - t0,
        "tokens_per_second": progress.tokens_per_second,
    }


def _block_size(model_path, max_len: int) -> int:
    """``min(max_len, the model's context length)``: every backend truncates to this."""
    cfg = json.loads((_model_dir(model_path) / "config.json").read_text(encoding="utf-8"))
    block = cfg.get("max_position_embeddings") or cfg.get("n_positions") or max_len
    return min(int(max_len), int(block))


def fitting_splits(data_dir, tok, template, max_len: int, log=None) -> dict:
    """The data splits without records whose answer starts beyond ``max_len`` tokens.

    Such a record would train on nothing (every label is -100) and turns a batch of them
    into a NaN loss. Every backend drops the same records; ``log`` gets a line per split.
    """
    splits = load_splits(data_dir)
    out = {}
    for name, records in splits.items():
        keep = [
            r for r in records
            if any(y != -100 for y in mlx_examples(tok, [r], template, max_len)[0][1])
        ]  # fmt: skip
        if name == "test":  # evaluation generates from the whole prompt: keep every record
            out[name] = records
            continue
        if len(keep) < len(records) and log:
            log(
                f"{name}: dropped {len(records) - len(keep)} of {len(records)} records whose "
                f"prompt fills all {max_len} tokens (raise --max-len)"
            )
        if not keep:
            raise ValueError(
                f"no {name} record fits in {max_len} tokens with room for its answer "
                "(raise --max-len, up to the model's context length)"
            )
        out[name] = keep
    return out


def _check_finite(value, what):
    import math

    if value is not None and not math.isfinite(value):
        raise ValueError(
            f"the {what} is {value}: training diverged (lower --lr) or no answer token "
            "survived truncation (raise --max-len)"
        )


# ----------------------------------------------------------------------------- torch / peft
def sft_trainer(model, tok, model_path, data_dir, out_dir=None, template=None, log=None, **sft_kwargs):  # fmt: skip
    """The :class:`~ml2llm.finetune.sft.SFTTrainer` the torch and peft backends train with.

    Returns ``(trainer, splits, template)``; ``trainer.train_examples`` are the ids and labels
    (the same as :func:`mlx_examples` gives the MLX backend).
    """
    from ml2llm.finetune.sft import Codec, SFTConfig, SFTTrainer

    template = template or prompt_format(tok)
    max_len = _block_size(model_path, sft_kwargs.pop("max_len", SFTConfig.max_len))
    cfg = SFTConfig(out_dir=str(out_dir) if out_dir else None, max_len=max_len, **sft_kwargs)
    splits = fitting_splits(data_dir, tok, template, max_len, log)
    trainer = SFTTrainer(model, Codec(tok), splits["train"], splits["valid"], cfg, template)
    return trainer, splits, template


def _train(backend, model, tok, model_path, data_dir, out_dir, sft_kwargs, template, log, t0, trainable):  # fmt: skip
    sft_kwargs = dict(sft_kwargs)
    log_every = sft_kwargs.pop("log_every", None)
    trainer, splits, template = sft_trainer(
        model, tok, model_path, data_dir, out_dir, template, log, **sft_kwargs
    )
    cfg = trainer.config
    if cfg.save_every and (Path(out_dir) / "checkpoint" / "state.json").is_file():
        trainer.resume()
        if log:
            log(f"[{backend}] resumed from {Path(out_dir) / 'checkpoint'} at step {trainer.step}")
    mean_len = sum(len(ids) for ids, _ in trainer.train_examples) / len(trainer.train_examples)
    progress = _Progress(backend, cfg.steps, min(cfg.batch_size, len(trainer.train_examples)), mean_len, log)  # fmt: skip
    every = log_every or cfg.eval_every or max(1, cfg.steps // 10)
    for h in trainer.history:  # the steps before a resume, at the same interval
        if h["step"] % every == 0:
            progress.history.append({k: h[k] for k in ("step", "train_loss", "val_loss") if k in h})
    while trainer.step < cfg.steps:
        n = min(every, cfg.steps - trainer.step)
        tic = time.perf_counter()
        trainer.train(steps=n)
        rec = trainer.history[-1]
        _check_finite(rec["train_loss"], "training loss")
        lr = trainer.lr_at(trainer.step - 1) if hasattr(trainer, "lr_at") else None
        progress.report(trainer.step, rec["train_loss"], time.perf_counter() - tic, n, rec.get("val_loss"), lr)  # fmt: skip
    val_loss = trainer.evaluate()
    _check_finite(val_loss, "validation loss")
    test = None
    if splits.get("test"):
        test = {k: v for k, v in trainer.accuracy(splits["test"]).items() if k != "answers"}
    from dataclasses import asdict

    config = {k: v for k, v in asdict(cfg).items() if k != "out_dir"}
    return _result(backend, model_path, data_dir, template, tok, config, trainable, progress, val_loss, test, t0)  # fmt: skip


def finetune_torch(
    model_path, data_dir, out_dir, r=8, alpha=16.0, target_modules=("q_proj", "v_proj"),
    template=None, eos_token=None, log=None, **sft_kwargs,
) -> dict:  # fmt: skip
    """Our LoRA on our model loaded from a Hugging Face folder; adapter -> ``out_dir``.

    ``sft_kwargs`` go to :class:`~ml2llm.finetune.sft.SFTConfig` (``steps``, ``batch_size``,
    ``lr``, ``max_len``, ``eval_every``, ...); ``log_every`` sets the progress interval and
    ``log`` (e.g. ``print``) receives one line per interval. Returns :data:`RESULT_KEYS`.
    """
    from ml2llm.finetune.lora import apply_lora, save_adapter, trainable_report
    from ml2llm.transformers import from_hf

    t0 = time.perf_counter()
    hf, tok = load_hf(model_path, eos_token=eos_token)
    model = from_hf(hf)
    del hf
    apply_lora(model, target_modules, r=r, alpha=alpha)
    report = trainable_report(model)
    trainable = {k: report[k] for k in ("trainable", "total", "percent")}
    result = _train("torch", model, tok, model_path, data_dir, out_dir, sft_kwargs, template, log, t0, trainable)  # fmt: skip
    result["config"].update({"r": r, "alpha": alpha, "targets": list(target_modules)})
    save_adapter(model, out_dir, base_model_name_or_path=str(model_path))
    return result


def finetune_peft(
    model_path, data_dir, out_dir, r=8, alpha=16.0, target_modules=("q_proj", "v_proj"),
    template=None, eos_token=None, log=None, **sft_kwargs,
) -> dict:  # fmt: skip
    """PEFT LoRA on a Hugging Face causal LM; ``save_pretrained`` -> ``out_dir``."""
    from peft import LoraConfig, get_peft_model

    t0 = time.perf_counter()
    hf, tok = load_hf(model_path, eos_token=eos_token)
    config = LoraConfig(
        r=r,
        lora_alpha=alpha,
        target_modules=list(target_modules),
        lora_dropout=0.0,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(hf, config)
    n_train, total = model.get_nb_trainable_parameters()
    trainable = {"trainable": n_train, "total": total, "percent": 100 * n_train / total}
    result = _train("peft", model, tok, model_path, data_dir, out_dir, sft_kwargs, template, log, t0, trainable)  # fmt: skip
    result["config"].update({"r": r, "alpha": alpha, "targets": list(target_modules)})
    model.save_pretrained(str(out_dir))
    return result


# ----------------------------------------------------------------------------- mlx
class _Example(list):
    """Token ids with the number of masked prompt tokens (``offset``), as ``mlx_lm`` expects."""

    offset = 0


class _MLXDataset:
    """``mlx_lm``'s dataset protocol (``process`` -> ``(ids, offset)``) over our examples."""

    def __init__(self, examples):
        self._data = []
        for ids, labels in examples:
            ex = _Example(ids)
            ex.offset = next((i for i, y in enumerate(labels) if y != -100), len(labels))
            self._data.append(ex)

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]

    def process(self, d):
        return list(d), d.offset


def mlx_examples(tok, records, template, max_len: int):
    """``(input_ids, labels)`` per record, truncated to ``max_len``: what every backend trains on.

    The same call that :class:`~ml2llm.finetune.sft.SFTTrainer` makes (``encode_example`` with
    the tokenizer's ids and EOS); :func:`finetune_mlx` hands these ids to ``mlx_lm``.
    """
    out = []
    for r in records:
        ids, labels = encode_example(
            lambda s: list(tok.encode(s, add_special_tokens=False)),
            r["prompt"], r["completion"], tok.eos_token_id, template,
        )  # fmt: skip
        out.append((ids[:max_len], labels[:max_len]))
    return out


def mlx_cpu_float32(model) -> bool:
    """Cast an MLX model's floating-point weights to float32 when MLX runs on the CPU.

    ``mlx_lm.load`` keeps a folder's stored dtype (SmolLM2's is bfloat16). On a CPU MLX has
    no fast bfloat16 product, and our model and PEFT train in float32 there: the same
    precision keeps the three backends comparable. Quantised models (``QuantizedLinear``
    weights are packed integers) and GPU (Metal) runs are left alone. Returns whether it cast.
    """
    import mlx.core as mx
    from mlx.utils import tree_flatten, tree_map

    if mx.default_device() != mx.cpu:
        return False
    params = tree_flatten(model.parameters())
    if any(not mx.issubdtype(v.dtype, mx.floating) for _, v in params):
        return False  # quantised: packed integer weights
    if all(v.dtype == mx.float32 for _, v in params):
        return False
    model.update(tree_map(lambda v: v.astype(mx.float32), model.parameters()))
    return True


def _mlx_loss(model, batch, lengths):
    """``mlx_lm``'s default loss, counting targets ``offset <= t < length`` (answer tokens only)."""
    import mlx.core as mx
    import mlx.nn as nn

    inputs, targets = batch[:, :-1], batch[:, 1:]
    logits = model(inputs)
    steps = mx.arange(1, targets.shape[1] + 1)
    mask = mx.logical_and(steps >= lengths[:, 0:1], steps < lengths[:, 1:])
    ce = nn.losses.cross_entropy(logits, targets) * mask
    ntoks = mask.sum()
    return ce.astype(mx.float32).sum() / ntoks, ntoks


def _mlx_lr(lr, steps):
    """The fine-tuning schedule of :class:`~ml2llm.finetune.sft.SFTConfig` (warmup + cosine,
    :func:`~ml2llm.training.optim.cosine_lr`) as an MLX schedule: ``step -> lr``."""
    import mlx.core as mx

    from ml2llm.finetune.sft import SFTConfig
    from ml2llm.training.optim import cosine_lr

    c = SFTConfig()
    table = [cosine_lr(i, lr, lr * c.min_lr_ratio, c.warmup, steps) for i in range(steps + 1)]
    values = mx.array(table, dtype=mx.float32)

    def schedule(step):
        return mx.take(values, mx.minimum(step, steps))

    schedule.table = table
    return schedule


def finetune_mlx(
    model_path, data_dir, out_dir, r=8, alpha=16.0, target_modules=("q_proj", "v_proj"),
    steps=200, batch_size=4, lr=1e-4, max_len=256, seed=0, num_layers=-1, eval_every=None,
    eval_batches=4, max_new_tokens=32, template=None, eos_token=None, log=None,
    timeout=None,
) -> dict:  # fmt: skip
    """LoRA with ``mlx_lm`` (Apple Silicon, or Linux CPU with ``mlx-lm[cpu]``); adapter -> ``out_dir``.

    Writes ``adapters.safetensors`` and ``adapter_config.json`` in ``mlx_lm``'s format
    (``mlx_lm.load(model, adapter_path=out_dir)`` and ``mlx_lm generate --adapter-path`` read
    it; :func:`~ml2llm.finetune.convert.mlx_to_peft` converts it). MLX multiplies the update
    by ``scale`` directly, so ``scale = alpha / r``; ``keys`` are module names relative to a
    transformer layer (``self_attn.q_proj``). ``timeout`` is accepted for compatibility and
    ignored (training runs in this process).
    """
    import importlib.util

    if importlib.util.find_spec("mlx_lm") is None:
        raise ValueError(
            "backend 'mlx' needs mlx-lm: pip install 'mlx-lm[cpu]' (or mlx-lm on a Mac)"
        )
    import io

    import mlx.core as mx
    import mlx.optimizers as optim
    import mlx_lm
    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.callbacks import TrainingCallback
    from mlx_lm.tuner.trainer import TrainingArgs, evaluate, train
    from mlx_lm.tuner.utils import linear_to_lora_layers

    from ml2llm.evaluation.harness import MLXAdapter

    t0 = time.perf_counter()
    tok = load_tokenizer(model_path, eos_token)
    template = template or prompt_format(tok)
    max_len = _block_size(model_path, max_len)
    block = _block_size(model_path, 10**9)
    splits = fitting_splits(data_dir, tok, template, max_len, log)
    model, _ = mlx_lm.load(str(model_path))
    mlx_cpu_float32(model)
    train_ex = mlx_examples(tok, splits["train"], template, max_len)
    valid_ex = mlx_examples(tok, splits["valid"], template, max_len)
    bs = min(batch_size, len(train_ex))
    val_bs = min(bs, len(valid_ex))

    keys = [
        f"self_attn.{t}" if t in ("q_proj", "k_proj", "v_proj", "o_proj") else f"mlp.{t}"
        for t in target_modules
    ]
    n_layers = len(model.layers) if num_layers in (-1, None) else int(num_layers)
    lora_parameters = {"rank": int(r), "scale": float(alpha) / int(r), "dropout": 0.0, "keys": keys}
    mx.random.seed(seed)
    np.random.seed(seed)
    model.freeze()
    linear_to_lora_layers(model, n_layers, lora_parameters)
    n_train = sum(v.size for _, v in tree_flatten(model.trainable_parameters()))
    total = sum(v.size for _, v in tree_flatten(model.parameters()))
    if n_train == 0:
        raise ValueError(f"no module of the model matches --targets {','.join(target_modules)}")
    trainable = {"trainable": int(n_train), "total": int(total), "percent": 100 * n_train / total}

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    adapter_config = {
        "model": str(model_path), "fine_tune_type": "lora", "num_layers": n_layers,
        "lora_parameters": lora_parameters, "seed": seed, "iters": steps,
        "batch_size": bs, "learning_rate": lr, "max_seq_length": max_len, "mask_prompt": True,
    }  # fmt: skip
    (out_dir / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2))

    mean_len = sum(len(ids) for ids, _ in train_ex) / len(train_ex)
    progress = _Progress("mlx", steps, bs, mean_len, log)
    every = eval_every or max(1, steps // 10)
    schedule = _mlx_lr(lr, steps)
    pending: dict = {}

    class Callback(TrainingCallback):
        def on_val_loss_report(self, info):
            pending["val"] = float(info["val_loss"])

        def on_train_loss_report(self, info):
            it = int(info["iteration"])
            n = it - (progress.history[-1]["step"] if progress.history else 0)
            # mlx_lm reports steps_per_report / (seconds since the last report)
            seconds = every / info["iterations_per_second"]
            val = pending.pop("val", None) if it % every == 0 or it == steps else None
            progress.report(it, info["train_loss"], seconds, n, val, schedule.table[it - 1])
            _check_finite(info["train_loss"], "training loss")

    args = TrainingArgs(
        batch_size=bs, iters=steps, val_batches=eval_batches if val_bs else 0,
        steps_per_report=every, steps_per_eval=every, steps_per_save=steps + 1,
        max_seq_length=max_len, adapter_file=str(out_dir / "adapters.safetensors"),
    )  # fmt: skip
    train_ds = _cache(_MLXDataset(train_ex))
    valid_ds = _cache(_MLXDataset(valid_ex)) if val_bs == bs else None
    if valid_ds is None and log:
        log(f"[mlx] valid.jsonl has fewer than {bs} records: no validation loss")
    # mlx_lm draws its own progress table on stdout; ours is the line per interval above
    real_stdout = sys.stdout
    if log:
        progress.log = lambda line: _on(real_stdout, log, line)
    with contextlib.redirect_stdout(io.StringIO()):
        train(
            model=model, optimizer=optim.AdamW(learning_rate=schedule, weight_decay=0.0),
            train_dataset=train_ds, val_dataset=valid_ds, args=args, loss=_mlx_loss,
            training_callback=Callback(), iterate_batches=_seeded_batches(seed),
        )  # fmt: skip
    val_loss = None
    if valid_ds is not None:
        val_loss = float(
            evaluate(model, valid_ds, bs, eval_batches, max_len, loss=_mlx_loss,
                     iterate_batches=_seeded_batches(seed))
        )  # fmt: skip
        _check_finite(val_loss, "validation loss")
    test = None
    if splits.get("test"):
        model.eval()
        lm = MLXAdapter(model_path, model=model, tokenizer=tok, template=template, block_size=block)
        answers = [
            c.text for c in lm.complete([r["prompt"] for r in splits["test"]], max_new_tokens)
        ]
        hits: dict[str, list[bool]] = {}
        for rec, a in zip(splits["test"], answers):
            hits.setdefault(rec.get("task") or "all", []).append(a == rec["completion"].strip())
        flat = [h for v in hits.values() for h in v]
        test = {
            "accuracy": sum(flat) / len(flat),
            "per_task": {k: sum(v) / len(v) for k, v in sorted(hits.items())},
        }
    config = {
        "steps": steps, "batch_size": bs, "lr": lr, "max_len": max_len, "seed": seed,
        "eval_every": every, "eval_batches": eval_batches, "max_new_tokens": max_new_tokens,
        "r": r, "alpha": alpha, "targets": list(target_modules), "num_layers": n_layers,
    }  # fmt: skip
    return _result("mlx", model_path, data_dir, template, tok, config, trainable, progress, val_loss, test, t0)  # fmt: skip


def _on(stream, log, line):
    with contextlib.redirect_stdout(stream):
        log(line)


def _seeded_batches(fixed_seed):
    """``mlx_lm``'s ``iterate_batches``, with every validation pass over the same batches.

    ``mlx_lm`` shuffles the validation batches with NumPy's global RNG, so each evaluation
    (and the final one) would average a different subset; a fixed seed makes them comparable,
    and the RNG state is put back so the training order does not depend on the evaluations.
    """
    import numpy as np
    from mlx_lm.tuner.trainer import iterate_batches

    def batches(dataset, batch_size, max_seq_length, loop=False, seed=None, comm_group=None):
        if loop:
            yield from iterate_batches(
                dataset, batch_size, max_seq_length, loop=True, seed=seed, comm_group=comm_group
            )
            return
        state = np.random.get_state()
        try:
            yield from iterate_batches(
                dataset, batch_size, max_seq_length, seed=fixed_seed, comm_group=comm_group
            )
        finally:
            np.random.set_state(state)

    return batches


def _cache(ds):
    from mlx_lm.tuner.datasets import CacheDataset

    return CacheDataset(ds)


def _model_dir(model_path) -> Path:
    """A local folder for ``model_path`` (a folder, or a hub id already in the cache)."""
    path = Path(model_path)
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(str(model_path), local_files_only=True))


# ----------------------------------------------------------------------------- the CLI's run
def run_finetune(backend: str, model_path, data_dir, out_dir, log=print, **kwargs) -> dict:
    """Train with ``backend`` into ``out_dir`` and write ``out_dir/finetune_result.json``.

    The run writes into ``.<name>.partial`` next to ``out_dir``; on success that folder
    replaces ``out_dir``. On failure it is removed, unless it holds a resumable checkpoint
    (``save_every``), which the same command then resumes; an existing ``out_dir`` from an
    earlier run is left as it was.
    """
    from ml2llm.io import atomic_write_text

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    out_dir = Path(out_dir)
    partial = out_dir.with_name(f".{out_dir.name}.partial")
    if partial.exists() and not (partial / "checkpoint" / "state.json").is_file():
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    fn = {"torch": finetune_torch, "peft": finetune_peft, "mlx": finetune_mlx}[backend]
    try:
        result = fn(model_path, data_dir, partial, log=log, **kwargs)
        atomic_write_text(partial / "finetune_result.json", json.dumps(result, indent=2))
    except BaseException:
        if not (partial / "checkpoint" / "state.json").is_file():
            shutil.rmtree(partial, ignore_errors=True)
        elif log:
            log(f"[{backend}] failed; checkpoint kept in {partial} (run again to resume)")
        raise
    old = out_dir.with_name(f".{out_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(partial, out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return result
