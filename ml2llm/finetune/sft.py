"""Supervised fine-tuning (SFT) with prompt masking, for our models and Hugging Face models.

- :class:`Codec` wraps a tokenizer (ours: ``CharTokenizer``/``BPETokenizer``; or a Hugging
  Face tokenizer) as ``encode``/``decode`` plus ``eos_id``/``pad_id``.
- :func:`pad_batch` right-pads examples (labels ``-100`` on padding, an attention mask);
  :func:`pack_examples` concatenates them into full ``block_size`` rows instead (no padding
  waste; an example may then attend to the one before it, the usual packing trade-off).
- :func:`sft_loss`: next-token cross-entropy where ``labels != -100`` — the completion only.
  :class:`SFTTrainer` computes the same loss with the LM head at those positions only
  (:func:`ml2llm.finetune.loss.supervised_loss`).
- :class:`SFTTrainer`: AdamW on the parameters that require grad (LoRA or full fine-tuning),
  eval loss and exact-match **task accuracy** (greedy decoding of held-out prompts by the one
  :func:`~ml2llm.transformers.generation.generate`), checkpoints and resume. It reuses the
  pretraining pieces: :func:`~ml2llm.training.optim.build_optimizer`, the warmup + cosine
  schedule :func:`~ml2llm.training.optim.cosine_lr`, :func:`~ml2llm.training.optim.set_lr` /
  :func:`~ml2llm.training.optim.apply_gradients`, and the run checkpoint of
  :mod:`ml2llm.training.checkpoint` (safetensors + JSON; nothing is unpickled).

Models: ours return ``(logits, loss)`` from ``model(idx)``; Hugging Face models return an
object with ``.logits`` from ``model(input_ids=..., attention_mask=...)``. Both work.

What it does not do: distributed training, mixed precision, gradient accumulation,
sampling-based evaluation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F

from ml2llm.finetune.data import ChatTemplate, encode_example
from ml2llm.finetune.loss import find_head, supervised_loss
from ml2llm.training.checkpoint import CheckpointError, restore_run, save_run
from ml2llm.training.optim import apply_gradients, build_optimizer, cosine_lr, set_lr
from ml2llm.transformers.generation import causal_logits, generate

__all__ = [
    "Codec",
    "SFTConfig",
    "SFTTrainer",
    "causal_logits",
    "greedy_completions",
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
            specials = dict(getattr(tokenizer, "special_tokens", None) or {})  # {token: id}
            name = eos_token or next(
                (t for t in ("<eos>", "<|endoftext|>", "</s>") if t in specials), None
            )
            if name is not None and name not in specials:
                raise ValueError(
                    f"eos_token {name!r} is not one of the tokenizer's {list(specials)}"
                )
            eos = specials[name] if name else None
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


def greedy_completions(
    model, prompts: list[list[int]], max_new_tokens: int, eos_id: int, block_size=None
) -> list[list[int]]:
    """Greedy continuations (ids, EOS excluded) of each prompt, by
    :func:`ml2llm.transformers.generation.generate`; prompts of equal length are batched."""
    out: list[list[int]] = [[] for _ in prompts]
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(prompts):
        groups.setdefault(len(p), []).append(i)
    device = next(model.parameters()).device
    for n, idx in sorted(groups.items()):
        x = torch.tensor([prompts[i] for i in idx], dtype=torch.long, device=device)
        y = generate(model, x, max_new_tokens, temperature=0, eos_id=eos_id, block_size=block_size)
        for j, i in enumerate(idx):
            seq = y[j, n:].tolist()
            out[i] = seq[: seq.index(eos_id)] if eos_id in seq else seq
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
    gens = greedy_completions(model, prompts, max_new_tokens, codec.eos_id, block_size)
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
        self.optimizer = build_optimizer(
            model, self.config.lr, self.config.weight_decay, betas=(0.9, 0.999)
        )
        self.step = 0
        self.history: list[dict] = []
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.device = next(model.parameters()).device
        try:  # ml2llm.finetune.loss needs a module named lm_head (ours, HF and PEFT have one)
            find_head(model)
            self._head_only_supervised = True
        except ValueError:
            self._head_only_supervised = False

    def _encode(self, r, truncate: bool = True):
        ids, labels = encode_example(
            self.codec.encode, r["prompt"], r["completion"], self.codec.eos_id, self.template
        )
        if truncate:
            return ids[: self.max_len], labels[: self.max_len]
        return ids, labels

    def lr_at(self, step: int) -> float:
        """Warmup then cosine decay to ``lr * min_lr_ratio``: the trainer's
        :func:`~ml2llm.training.optim.cosine_lr`."""
        c = self.config
        return cosine_lr(step, c.lr, c.lr * c.min_lr_ratio, c.warmup, c.steps)

    def _batch(self, examples):
        x, y, m = pad_batch(examples, self.codec.pad_id)
        return x.to(self.device), y.to(self.device), m.to(self.device)

    def _loss(self, examples):
        x, y, m = self._batch(examples)
        if self._head_only_supervised and bool((y[:, 1:] != -100).any()):
            # the LM head at supervised positions only: the same loss, far fewer logits
            return supervised_loss(self.model, x, y, m)
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
            set_lr(self.optimizer, self.lr_at(self.step))
            loss = self._loss([self.train_examples[i] for i in idx])
            if not torch.isfinite(loss):
                raise ValueError(
                    f"the training loss is {loss.item()} at step {self.step + 1}: lower lr "
                    "(or LoRA alpha) and check the data; nothing was saved for this step"
                )
            loss.backward()
            apply_gradients(self.optimizer, self.params, c.grad_clip)
            self.step += 1
            rec = {"step": self.step, "train_loss": loss.item()}
            if c.eval_every and (self.step % c.eval_every == 0 or self.step == end):
                rec["val_loss"] = self.evaluate()
            if c.accuracy_every and (self.step % c.accuracy_every == 0 or self.step == end):
                rec["accuracy"] = self.accuracy()["accuracy"]
            self.history.append(rec)
            if c.out_dir and c.save_every and (self.step % c.save_every == 0 or self.step == end):
                self.save()
        return self.history

    # ------------------------------------------------------------------ checkpoints
    def save(self) -> Path:
        """Write ``<out_dir>/checkpoint``: the run-checkpoint format of pretraining
        (:func:`ml2llm.training.checkpoint.save_run`) with only the trainable tensors.

        Safetensors and JSON only, swapped in atomically (a crash keeps the previous one).
        """
        if not self.config.out_dir:
            raise ValueError("config.out_dir must be set to save a checkpoint")
        state = {
            "kind": "sft",
            "step": self.step,
            "config": asdict(self.config),
            "history": {"records": self.history},
        }
        return save_run(
            self.config.out_dir,
            self.model,
            self.optimizer,
            state,
            data_generator=self.generator,
            trainable_only=True,
        )

    def resume(self, directory=None) -> int:
        """Continue from :meth:`save`'s checkpoint; returns the step reached.

        Raises :class:`~ml2llm.training.checkpoint.CheckpointError` (one line) when the folder
        holds no valid checkpoint or it does not fit the model. Nothing is unpickled.
        """
        meta = restore_run(
            directory or self.config.out_dir,
            self.model,
            self.optimizer,
            data_generator=self.generator,
            trainable_only=True,
        )
        if meta.get("kind") != "sft":
            raise CheckpointError(f"{meta['path']} is a pretraining checkpoint, not a fine-tune")
        self.step = int(meta["step"])
        self.history = list(meta.get("history", {}).get("records", []))
        return self.step


def config_from_dict(d: dict) -> SFTConfig:
    """:class:`SFTConfig` from a dict, ignoring unknown keys."""
    names = {f.name for f in fields(SFTConfig)}
    return SFTConfig(**{k: v for k, v in d.items() if k in names})
