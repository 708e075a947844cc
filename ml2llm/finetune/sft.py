"""Supervised fine-tuning (SFT) with prompt masking, for our models and Hugging Face models.

- :class:`Codec` wraps a tokenizer (ours: ``CharTokenizer``/``BPETokenizer``; or a Hugging
  Face tokenizer) as ``encode``/``decode`` plus ``eos_id``/``pad_id``.
- :func:`pad_batch` right-pads examples (labels ``-100`` on padding, an attention mask);
  :func:`pack_examples` concatenates them into full ``block_size`` rows instead (no padding
  waste; an example may then attend to the one before it, the usual packing trade-off).
- :func:`sft_loss`: next-token cross-entropy where ``labels != -100`` — the completion only.
- :class:`SFTTrainer`: AdamW on the parameters that require grad (LoRA or full fine-tuning),
  warmup + cosine schedule, gradient clipping, eval loss and exact-match **task accuracy**
  (greedy decoding of held-out prompts), checkpoints and resume.

Models: ours return ``(logits, loss)`` from ``model(idx)``; Hugging Face models return an
object with ``.logits`` from ``model(input_ids=..., attention_mask=...)``. Both work.

What it does not do: distributed training, mixed precision, gradient accumulation,
sampling-based evaluation.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F

from ml2llm.finetune.data import ChatTemplate, encode_example

__all__ = [
    "Codec",
    "SFTConfig",
    "SFTTrainer",
    "causal_logits",
    "greedy_generate",
    "pack_examples",
    "pad_batch",
    "sft_loss",
    "task_accuracy",
]


class Codec:
    """``encode(str) -> ids`` (no special tokens), ``decode(ids)``, ``eos_id``, ``pad_id``."""

    def __init__(self, tokenizer, eos_token: str | None = None):
        self.tokenizer = tokenizer
        self.hf = hasattr(tokenizer, "apply_chat_template")
        if self.hf:
            eos = (
                tokenizer.eos_token_id
                if eos_token is None
                else tokenizer.convert_tokens_to_ids(eos_token)
            )
            pad = tokenizer.pad_token_id
        else:
            specials = list(getattr(tokenizer, "special_tokens", []) or [])
            name = eos_token or next(
                (t for t in ("<eos>", "<|endoftext|>", "</s>") if t in specials), None
            )
            eos = tokenizer.encode(name)[0] if name else None
            pad = None
        if eos is None:
            raise ValueError("the tokenizer has no EOS token: pass eos_token=... (e.g. '<eos>')")
        self.eos_id = int(eos)
        self.pad_id = int(pad) if pad is not None else self.eos_id

    def encode(self, text: str) -> list[int]:
        if self.hf:
            return list(self.tokenizer.encode(text, add_special_tokens=False))
        return list(self.tokenizer.encode(text))

    def decode(self, ids) -> str:
        ids = [int(i) for i in ids]
        if self.hf:
            return self.tokenizer.decode(ids, skip_special_tokens=True)
        return self.tokenizer.decode(ids)


def causal_logits(model, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None):
    """Logits ``[B, T, V]`` from our models or from a Hugging Face causal LM."""
    if (
        hasattr(model, "config")
        and hasattr(model.config, "model_type")
        or hasattr(model, "peft_config")
    ):
        return model(input_ids=input_ids, attention_mask=attention_mask).logits
    out = model(input_ids)
    return out[0] if isinstance(out, tuple) else out


def sft_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of ``logits[:, t]`` against ``labels[:, t+1]`` where not ``-100``."""
    if logits.shape[:2] != labels.shape:
        raise ValueError(
            f"labels must have shape {tuple(logits.shape[:2])}, got {tuple(labels.shape)}"
        )
    return F.cross_entropy(
        logits[:, :-1].reshape(-1, logits.size(-1)).float(),
        labels[:, 1:].reshape(-1),
        ignore_index=-100,
    )


def pad_batch(examples, pad_id: int):
    """Right-pad ``[(ids, labels), ...]`` to ``(input_ids, labels, attention_mask)`` tensors."""
    if not examples:
        raise ValueError("examples must not be empty")
    T = max(len(ids) for ids, _ in examples)
    x = torch.full((len(examples), T), int(pad_id), dtype=torch.long)
    y = torch.full((len(examples), T), -100, dtype=torch.long)
    mask = torch.zeros((len(examples), T), dtype=torch.long)
    for i, (ids, labels) in enumerate(examples):
        x[i, : len(ids)] = torch.tensor(ids)
        y[i, : len(labels)] = torch.tensor(labels)
        mask[i, : len(ids)] = 1
    return x, y, mask


def pack_examples(examples, block_size: int) -> list[tuple[list[int], list[int]]]:
    """Concatenate examples and cut into rows of exactly ``block_size`` tokens (rest dropped)."""
    if block_size < 2:
        raise ValueError(f"block_size must be >= 2, got {block_size}")
    ids, labels = [], []
    for a, b in examples:
        ids += list(a)
        labels += list(b)
    return [
        (ids[i : i + block_size], labels[i : i + block_size])
        for i in range(0, len(ids) - block_size + 1, block_size)
    ]


@torch.no_grad()
def greedy_generate(
    model, prompts: list[list[int]], max_new_tokens: int, eos_id: int, block_size=None
):
    """Greedy continuations (ids, EOS excluded) of each prompt; prompts of equal length are batched."""
    was_training = model.training
    model.eval()
    out: list[list[int] | None] = [None] * len(prompts)
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(prompts):
        groups.setdefault(len(p), []).append(i)
    for _, idx in sorted(groups.items()):
        x = torch.tensor([prompts[i] for i in idx], dtype=torch.long)
        x = x.to(next(model.parameters()).device)
        done = torch.zeros(len(idx), dtype=torch.bool, device=x.device)
        gen = []
        for _ in range(max_new_tokens):
            ctx = x if block_size is None else x[:, -block_size:]
            nxt = causal_logits(model, ctx)[:, -1].argmax(-1)
            gen.append(nxt)
            done |= nxt == eos_id
            x = torch.cat([x, nxt[:, None]], dim=1)
            if bool(done.all()):
                break
        g = torch.stack(gen, 1).tolist() if gen else [[] for _ in idx]
        for j, i in enumerate(idx):
            seq = g[j]
            out[i] = seq[: seq.index(eos_id)] if eos_id in seq else seq
    if was_training:
        model.train()
    return out


def task_accuracy(
    model, codec: Codec, records, template=None, max_new_tokens: int = 32, block_size=None
):
    """Exact-match accuracy of greedy answers (stripped) on ``records``; also per ``task``.

    Returns
    -------
    dict
        ``{"accuracy": float, "per_task": {task: float}, "answers": [str, ...]}``
    """
    template = template or ChatTemplate()
    if not records:
        raise ValueError("records must not be empty")
    prompts = [codec.encode(template.prompt(r["prompt"])) for r in records]
    gens = greedy_generate(model, prompts, max_new_tokens, codec.eos_id, block_size)
    answers = [codec.decode(g).strip() for g in gens]
    hits: dict[str, list[bool]] = {}
    for r, a in zip(records, answers):
        hits.setdefault(r.get("task") or "all", []).append(a == r["completion"].strip())
    flat = [h for v in hits.values() for h in v]
    return {
        "accuracy": sum(flat) / len(flat),
        "per_task": {k: sum(v) / len(v) for k, v in sorted(hits.items())},
        "answers": answers,
    }


@dataclass
class SFTConfig:
    """Hyper-parameters of :class:`SFTTrainer` (``steps`` optimizer steps of ``batch_size``)."""

    steps: int = 200
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 0.0
    warmup: int = 10
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    max_len: int = 256
    pack: bool = False
    eval_every: int = 50
    eval_batches: int = 4
    accuracy_every: int = 0
    accuracy_examples: int = 50
    max_new_tokens: int = 32
    save_every: int = 0
    out_dir: str | None = None
    seed: int = 0

    def __post_init__(self):
        for f in ("steps", "batch_size", "max_len", "eval_batches", "max_new_tokens"):
            v = getattr(self, f)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{f} must be a positive int, got {v!r}")
        for f in ("warmup", "eval_every", "accuracy_every", "save_every", "accuracy_examples"):
            v = getattr(self, f)
            if not isinstance(v, int) or v < 0:
                raise ValueError(f"{f} must be an int >= 0, got {v!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")


class SFTTrainer:
    """Prompt-masked supervised fine-tuning. See the module docstring.

    Parameters
    ----------
    model : nn.Module
        Ours or a Hugging Face causal LM; only parameters with ``requires_grad`` are trained
        (after :func:`~ml2llm.finetune.lora.apply_lora`: the adapters; otherwise everything).
    codec : Codec
    train, valid : list of dict
        ``{"prompt","completion"[,"task"]}`` records.
    config : SFTConfig
    template : ChatTemplate, optional
    """

    def __init__(
        self, model, codec: Codec, train, valid=None, config: SFTConfig | None = None, template=None
    ):
        if not train:
            raise ValueError("train must hold at least one record")
        self.model, self.codec = model, codec
        self.config = config or SFTConfig()
        self.template = template or ChatTemplate()
        self.train_records, self.valid_records = list(train), list(valid or [])
        self.block_size = getattr(getattr(model, "config", None), "block_size", None)
        max_len = min(self.config.max_len, self.block_size or self.config.max_len)
        self.max_len = max_len
        # packed rows are cut at max_len after concatenation, so examples stay whole here
        self.train_examples = [
            self._encode(r, truncate=not self.config.pack) for r in self.train_records
        ]
        self.valid_examples = [self._encode(r) for r in self.valid_records]
        if self.config.pack:
            self.train_examples = pack_examples(self.train_examples, max_len)
            if not self.train_examples:
                raise ValueError("too little data to fill one packed row of max_len tokens")
        self.params = [p for p in model.parameters() if p.requires_grad]
        if not self.params:
            raise ValueError("model has no trainable parameters (requires_grad=False everywhere)")
        self.optimizer = torch.optim.AdamW(
            self.params, lr=self.config.lr, weight_decay=self.config.weight_decay
        )
        self.step = 0
        self.history: list[dict] = []
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.device = next(model.parameters()).device

    def _encode(self, r, truncate: bool = True):
        ids, labels = encode_example(
            self.codec.encode, r["prompt"], r["completion"], self.codec.eos_id, self.template
        )
        if truncate:
            return ids[: self.max_len], labels[: self.max_len]
        return ids, labels

    def lr_at(self, step: int) -> float:
        c = self.config
        if step < c.warmup:
            return c.lr * (step + 1) / c.warmup
        t = (step - c.warmup) / max(1, c.steps - c.warmup)
        return c.lr * (
            c.min_lr_ratio + (1 - c.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))
        )

    def _batch(self, examples):
        x, y, m = pad_batch(examples, self.codec.pad_id)
        return x.to(self.device), y.to(self.device), m.to(self.device)

    def _loss(self, examples):
        x, y, m = self._batch(examples)
        return sft_loss(causal_logits(self.model, x, m), y)

    @torch.no_grad()
    def evaluate(self) -> float | None:
        """Mean masked loss over the first ``eval_batches`` validation batches."""
        if not self.valid_examples:
            return None
        was = self.model.training
        self.model.eval()
        bs, losses = self.config.batch_size, []
        for i in range(self.config.eval_batches):
            chunk = self.valid_examples[i * bs : (i + 1) * bs]
            if not chunk:
                break
            losses.append(float(self._loss(chunk)))
        self.model.train(was)
        return sum(losses) / len(losses)

    def accuracy(self, records=None) -> dict:
        """:func:`task_accuracy` on ``records`` (default: the first validation records)."""
        records = (
            records if records is not None else self.valid_records[: self.config.accuracy_examples]
        )
        return task_accuracy(
            self.model,
            self.codec,
            records,
            self.template,
            self.config.max_new_tokens,
            self.block_size,
        )

    def train(self, steps: int | None = None) -> list[dict]:
        """Train until ``config.steps`` (or ``steps`` more); returns the history."""
        c = self.config
        end = c.steps if steps is None else self.step + steps
        self.model.train()
        n = len(self.train_examples)
        while self.step < end:
            idx = torch.randint(n, (min(c.batch_size, n),), generator=self.generator).tolist()
            for g in self.optimizer.param_groups:
                g["lr"] = self.lr_at(self.step)
            loss = self._loss([self.train_examples[i] for i in idx])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if c.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.params, c.grad_clip)
            self.optimizer.step()
            self.step += 1
            rec = {"step": self.step, "train_loss": loss.item()}
            if c.eval_every and (self.step % c.eval_every == 0 or self.step == end):
                rec["val_loss"] = self.evaluate()
            if c.accuracy_every and (self.step % c.accuracy_every == 0 or self.step == end):
                rec["accuracy"] = self.accuracy()["accuracy"]
            self.history.append(rec)
            if c.out_dir and c.save_every and (self.step % c.save_every == 0 or self.step == end):
                self.save_checkpoint()
        return self.history

    # ------------------------------------------------------------------ checkpoints
    def _trainable_state(self):
        names = {id(p): n for n, p in self.model.named_parameters()}
        return {names[id(p)]: p.detach().cpu().contiguous() for p in self.params}

    def save_checkpoint(self, directory=None) -> Path:
        """Trainable weights, optimizer, step, sampler state and history -> ``<out_dir>/checkpoint``.

        Written to a temporary folder first and then renamed, so a crash leaves the previous
        checkpoint intact.
        """
        from safetensors.torch import save_file

        directory = Path(directory or Path(self.config.out_dir) / "checkpoint")
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        save_file(self._trainable_state(), str(tmp / "trainable.safetensors"))
        torch.save(
            {"optimizer": self.optimizer.state_dict(), "generator": self.generator.get_state()},
            tmp / "optimizer.pt",
        )
        state = {
            "step": self.step,
            "history": self.history,
            "config": asdict(self.config),
            "python_random": repr(random.getstate()),
        }
        (tmp / "state.json").write_text(json.dumps(state), encoding="utf-8")
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)
        return directory

    def load_checkpoint(self, directory=None) -> int:
        """Resume from :meth:`save_checkpoint`'s folder; returns the step reached."""
        from safetensors.torch import load_file

        directory = Path(directory or Path(self.config.out_dir) / "checkpoint")
        if not (directory / "state.json").is_file():
            raise ValueError(f"no SFT checkpoint in {directory}")
        weights = load_file(str(directory / "trainable.safetensors"))
        named = dict(self.model.named_parameters())
        missing = set(self._trainable_state()) - set(weights)
        if missing:
            raise ValueError(f"checkpoint lacks trainable parameters {sorted(missing)[:3]}")
        with torch.no_grad():
            for k, v in weights.items():
                named[k].copy_(v)
        extra = torch.load(directory / "optimizer.pt", weights_only=False)
        self.optimizer.load_state_dict(extra["optimizer"])
        self.generator.set_state(extra["generator"])
        state = json.loads((directory / "state.json").read_text(encoding="utf-8"))
        self.step, self.history = int(state["step"]), list(state["history"])
        return self.step


def config_from_dict(d: dict) -> SFTConfig:
    """:class:`SFTConfig` from a dict, ignoring unknown keys."""
    names = {f.name for f in fields(SFTConfig)}
    return SFTConfig(**{k: v for k, v in d.items() if k in names})
