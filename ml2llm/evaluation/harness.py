"""Run models over held-out instruction tasks and compare two of them, with statistics.

**Models.** The harness needs only a small interface (:class:`LanguageModel`):
``complete(prompts, max_new_tokens) -> [Completion]`` (greedy answers and whether each
stopped at end-of-sequence), and for perplexity ``encode``/``decode``/``window_nll`` and
``block_size``. Adapters:

- :class:`CausalLMAdapter` — our ``GPT``/``Mistral`` (with or without LoRA) or any Hugging
  Face causal LM (including a ``peft`` ``PeftModel``), plus its tokenizer; prompts are
  formatted as in training (:func:`~ml2llm.finetune.data.prompt_format`: the tokenizer's
  chat template when it has one, else the ``"Q: ...\nA: "`` fallback).
- :class:`MLXAdapter` — an ``mlx_lm`` model (optionally with an adapter folder).
- :class:`FunctionAdapter` — any ``generate(prompt, max_new_tokens) -> str`` function (and an
  optional ``nll(ids)``), e.g. a baseline that always answers "Hamlet".
- :func:`load_model` picks one from a path: a Hugging Face folder, a PEFT adapter folder
  (ours or PEFT's: ``adapter_config.json`` naming its base), or an MLX adapter folder.

**Evaluation.** :func:`evaluate` scores every record (exact match, token F1, format, length,
stop, repetition), summarises per task with bootstrap CIs and, given held-out text, measures
perplexity (:mod:`~ml2llm.evaluation.forgetting`). :func:`compare` pairs two evaluations of
the *same records*: per-task differences with paired-bootstrap CIs, McNemar on exact match,
the perplexity difference (paired over windows), behaviour deltas and side-by-side samples.

What it does not do: sampling-based evaluation (decoding is greedy, so runs are
deterministic), LLM-as-judge, batching across prompts of different lengths.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ml2llm.evaluation.behaviour import follows_format, repetition_rate, response_length
from ml2llm.evaluation.metrics import exact_match, token_f1
from ml2llm.evaluation.stats import bootstrap_ci, mcnemar, paired_bootstrap

__all__ = [
    "CausalLMAdapter",
    "Comparison",
    "Completion",
    "EvalResult",
    "FunctionAdapter",
    "MLXAdapter",
    "compare",
    "evaluate",
    "load_model",
]

METRICS = ("exact_match", "f1", "format", "stopped", "length", "repetition")


@dataclass(frozen=True)
class Completion:
    """A generated answer and whether the model ended it itself (EOS within the budget)."""

    text: str
    stopped: bool


# ----------------------------------------------------------------------------- adapters
class CausalLMAdapter:
    """Our models or Hugging Face/PEFT causal LMs behind the harness interface.

    Parameters
    ----------
    model : nn.Module
        ``model(idx)`` returning ``(logits, loss)`` (ours) or a Hugging Face causal LM.
    tokenizer : our ``CharTokenizer``/``BPETokenizer`` or a Hugging Face tokenizer
    template : ChatTemplate or TokenizerTemplate, optional
        Default: :func:`~ml2llm.finetune.data.prompt_format` of ``tokenizer``, the format the
        fine-tuning backends train on.
    name : str
    eos_token : str, optional
        Default: the tokenizer's (``<eos>`` for ours).
    """

    def __init__(self, model, tokenizer, template=None, name: str = "model", eos_token=None):
        from ml2llm.finetune.data import prompt_format
        from ml2llm.finetune.sft import Codec

        self.model, self.name = model, name
        self.codec = Codec(tokenizer, eos_token)
        self.template = template or prompt_format(tokenizer)
        cfg = getattr(model, "config", None)
        self.block_size = int(
            getattr(cfg, "block_size", None) or getattr(cfg, "max_position_embeddings", 0) or 1024
        )

    def encode(self, text: str) -> list[int]:
        return self.codec.encode(text)

    def decode(self, ids) -> str:
        return self.codec.decode(ids)

    def _logits(self, x):
        from ml2llm.finetune.sft import causal_logits

        return causal_logits(self.model, x)

    def complete(self, prompts: list[str], max_new_tokens: int) -> list[Completion]:
        """Greedy answers; prompts of the same token length are decoded as one batch.

        Our models decode with a KV cache when prompt and answer fit in ``block_size`` (the
        same tokens, one new position per step instead of the whole sequence).
        """
        import torch

        from ml2llm.transformers.generation import _ours
        from ml2llm.transformers.kv_cache import KVCache

        ours = _ours(self.model)
        encoded = [self.encode(self.template.prompt(p)) for p in prompts]
        out: list[Completion | None] = [None] * len(prompts)
        groups: dict[int, list[int]] = {}
        for i, ids in enumerate(encoded):
            groups.setdefault(len(ids), []).append(i)
        was = self.model.training
        self.model.eval()
        device = next(self.model.parameters()).device
        eos = self.codec.eos_id
        with torch.no_grad():
            for _, idx in sorted(groups.items()):
                x = torch.tensor([encoded[i] for i in idx], dtype=torch.long, device=device)
                done = torch.zeros(len(idx), dtype=torch.bool, device=device)
                new = []
                fits = x.shape[1] + max_new_tokens <= self.block_size
                cache = KVCache(self.model.config.n_layer) if ours and fits else None
                step_input = x
                for _ in range(max_new_tokens):
                    if cache is None:
                        logits = self._logits(x[:, -self.block_size :])
                    else:
                        logits = self.model(step_input, kv_cache=cache)[0]
                    nxt = logits[:, -1].argmax(-1)
                    new.append(nxt)
                    done |= nxt == eos
                    x = torch.cat([x, nxt[:, None]], dim=1)
                    step_input = nxt[:, None]
                    if bool(done.all()):
                        break
                rows = torch.stack(new, 1).tolist() if new else [[] for _ in idx]
                for j, i in enumerate(idx):
                    seq = rows[j]
                    stopped = eos in seq
                    seq = seq[: seq.index(eos)] if stopped else seq
                    out[i] = Completion(self.decode(seq).strip(), stopped)
        self.model.train(was)
        return out

    def window_nll(self, ids) -> np.ndarray:
        """NLL (nats) of ``ids[1:]`` given the preceding ids (one window <= block_size + 1)."""
        import torch
        import torch.nn.functional as F

        with torch.no_grad():
            device = next(self.model.parameters()).device
            x = torch.tensor([list(ids)], dtype=torch.long, device=device)
            was = self.model.training
            self.model.eval()
            logits = self._logits(x[:, :-1]).float()
            self.model.train(was)
            nll = F.cross_entropy(logits[0], x[0, 1:], reduction="none")
        return nll.cpu().numpy()


class FunctionAdapter:
    """Wrap ``generate(prompt, max_new_tokens) -> str`` (and optionally perplexity functions).

    ``stopped`` is True when the answer is shorter than ``max_new_tokens`` words, the best a
    text-only function can tell.
    """

    def __init__(self, generate, name: str = "function", encode=None, decode=None, window_nll=None, block_size=None):  # fmt: skip
        if not callable(generate):
            raise ValueError("generate must be callable: generate(prompt, max_new_tokens) -> str")
        self.generate, self.name = generate, name
        self.encode, self.decode, self.window_nll = encode, decode, window_nll
        self.block_size = block_size

    def complete(self, prompts, max_new_tokens):
        out = []
        for p in prompts:
            text = self.generate(p, max_new_tokens)
            if not isinstance(text, str):
                raise ValueError(f"generate must return a str, got {type(text).__name__}")
            out.append(Completion(text.strip(), len(text.split()) < max_new_tokens))
        return out


class MLXAdapter:
    """An ``mlx_lm`` model (``mlx_lm.load(path, adapter_path=...)``) behind the same interface.

    The tokenizer is the folder's ``AutoTokenizer`` (as in every fine-tuning backend) and
    prompts use the same :func:`~ml2llm.finetune.data.prompt_format`; decoding is greedy.
    ``model``/``tokenizer`` may be passed in (an MLX model being trained) instead of loaded.
    """

    def __init__(self, path, adapter_path=None, template=None, name: str = "mlx", block_size: int | None = None, eos_token=None, model=None, tokenizer=None):  # fmt: skip
        from ml2llm.finetune.backends import load_tokenizer
        from ml2llm.finetune.data import prompt_format

        if model is None:
            import mlx_lm

            from ml2llm.finetune.backends import mlx_cpu_float32

            model, _ = mlx_lm.load(
                str(path), adapter_path=str(adapter_path) if adapter_path else None
            )
            mlx_cpu_float32(model)  # scored in the precision it trained in on a CPU
        self.model = model
        self.tokenizer = tokenizer if tokenizer is not None else load_tokenizer(path, eos_token)
        self.name, self.template = name, template or prompt_format(self.tokenizer)
        cfg_path = Path(path) / "config.json"
        cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
        self.block_size = int(
            block_size or cfg.get("max_position_embeddings") or cfg.get("n_positions") or 1024
        )
        self.eos_id = self.tokenizer.eos_token_id

    def encode(self, text):
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def decode(self, ids):
        return self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=True)

    def complete(self, prompts, max_new_tokens):
        import mlx.core as mx

        out = []
        for p in prompts:
            ids = self.encode(self.template.prompt(p))
            new, stopped = [], False
            for _ in range(max_new_tokens):
                logits = self.model(mx.array([ids[-self.block_size :]]))
                nxt = int(mx.argmax(logits[0, -1]).item())
                if nxt == self.eos_id:
                    stopped = True
                    break
                new.append(nxt)
                ids.append(nxt)
            out.append(Completion(self.decode(new).strip(), stopped))
        return out

    def window_nll(self, ids):
        import mlx.core as mx

        x = mx.array([list(ids)])
        logits = self.model(x[:, :-1]).astype(mx.float32)[0]
        logp = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        tgt = mx.array(list(ids)[1:])
        return -np.array(mx.take_along_axis(logp, tgt[:, None], axis=-1)[:, 0])


def load_model(path, backend: str = "auto", name: str | None = None, template=None, eos_token=None):  # fmt: skip
    """An adapter for a model folder.

    Parameters
    ----------
    path : str or Path
        A Hugging Face model folder (``config.json``), a PEFT-format adapter folder
        (``adapter_config.json`` whose ``base_model_name_or_path`` names the base folder;
        written by ``ml2llm finetune --backend torch|peft``) or an MLX adapter folder
        (``adapters.safetensors``; its ``adapter_config.json`` names the base ``model``).
    backend : {"auto", "hf", "torch", "peft", "mlx"}
        ``auto``: ``mlx`` for MLX adapter folders, ``peft`` for PEFT adapters, else ``hf``
        (transformers). ``torch`` loads the weights into our own ``GPT``/``Mistral`` and
        applies adapters with our LoRA.
    template : optional
        Default: the prompt format the model was tuned on
        (:func:`~ml2llm.finetune.data.prompt_format` of the base folder's tokenizer).
    eos_token : str, optional
        The end-of-answer token, for a tokenizer that does not name one.
    """
    path = Path(path)
    backends = ("auto", "hf", "torch", "peft", "mlx")
    if backend not in backends:
        raise ValueError(f"backend must be one of {backends}, got {backend!r}")
    if not path.is_dir():
        raise ValueError(
            f"model path {path} is not a folder (expected a Hugging Face model or adapter folder)"
        )
    name = name or path.name
    adapter_cfg = path / "adapter_config.json"
    is_mlx = (path / "adapters.safetensors").is_file()
    base, adapter = path, None
    if adapter_cfg.is_file():
        cfg = json.loads(adapter_cfg.read_text(encoding="utf-8"))
        base_name = cfg.get("model") if is_mlx else cfg.get("base_model_name_or_path")
        if not base_name:
            raise ValueError(f"{adapter_cfg} does not name its base model")
        base, adapter = Path(base_name), path
        if not base.exists() and (path.parent / base_name).exists():
            base = path.parent / base_name  # a relative base path, written from elsewhere
    elif not (path / "config.json").is_file():
        raise ValueError(
            f"{path} has neither config.json (a model) nor adapter_config.json (an adapter)"
        )
    if backend == "auto":
        backend = "mlx" if is_mlx else ("peft" if adapter is not None else "hf")
    if backend == "mlx":
        return MLXAdapter(base, adapter, template=template, name=name, eos_token=eos_token)
    if is_mlx:  # an MLX adapter for a torch backend: convert it to PEFT format first
        import tempfile

        from ml2llm.finetune.convert import mlx_to_peft

        adapter = mlx_to_peft(path, Path(tempfile.mkdtemp(prefix="ml2llm_mlx2peft_")), str(base))
    from ml2llm.finetune.backends import load_hf

    hf, tok = load_hf(base, eos_token=eos_token)
    if backend == "torch":
        from ml2llm.transformers import from_hf

        model = from_hf(hf)
        if adapter is not None:
            from ml2llm.finetune.lora import load_adapter

            load_adapter(model, adapter)  # applies our LoRA with the adapter's r and alpha
    elif adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(hf, str(adapter))
    else:
        model = hf
    model.eval()
    return CausalLMAdapter(model, tok, template=template, name=name)


# ----------------------------------------------------------------------------- evaluate
@dataclass
class EvalResult:
    """Per-example rows, per-task summaries (with CIs) and optional perplexity."""

    name: str
    rows: list[dict]
    summary: dict
    perplexity: dict | None = None
    config: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path) -> Path:
        from ml2llm.io import atomic_write_text

        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1))
        return path

    @classmethod
    def load(cls, path) -> EvalResult:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    def scores(self, metric: str, task: str | None = None) -> np.ndarray:
        """Per-example ``metric`` values (all tasks, or one)."""
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        return np.array([float(r[metric]) for r in self.rows if task in (None, r["task"])])


def _check_records(records):
    if not isinstance(records, (list, tuple)) or not records:
        raise ValueError(
            "records must be a non-empty list of {'prompt','completion'[,'task']} dicts"
        )
    for i, r in enumerate(records):
        if (
            not isinstance(r, dict)
            or not isinstance(r.get("prompt"), str)
            or not isinstance(r.get("completion"), str)
        ):
            raise ValueError(f"records[{i}] must be a dict with str 'prompt' and 'completion'")


def _check_prompt_lengths(lm, records) -> None:
    """Refuse a prompt that leaves no room in the context for a single answer token.

    Generation would otherwise keep only the prompt's *last* ``block_size`` tokens, silently
    dropping the instruction at its start, and score the model on a question it never saw.
    """
    block = getattr(lm, "block_size", None)
    template = getattr(lm, "template", None)
    if not block or template is None or not hasattr(lm, "encode"):
        return
    for i, r in enumerate(records):
        n = len(lm.encode(template.prompt(r["prompt"])))
        if n >= block:
            raise ValueError(
                f"records[{i}]: the prompt is {n} tokens with its template, and the model's "
                f"context is {block} tokens, leaving no room for an answer: shorten the prompt"
            )


def _summarise(rows, n_resamples, confidence, seed) -> dict:
    tasks = sorted({r["task"] for r in rows})
    out = {}
    for task in [*tasks, "all"]:
        sel = [r for r in rows if task == "all" or r["task"] == task]
        entry = {"n": len(sel)}
        for m in METRICS:
            ci = bootstrap_ci(
                [float(r[m]) for r in sel],
                n_resamples=n_resamples,
                confidence=confidence,
                seed=seed,
            )
            entry[m] = ci.to_dict()
        out[task] = entry
    return out


def evaluate(
    lm,
    records,
    max_new_tokens: int = 32,
    heldout_text: str | None = None,
    max_windows: int | None = None,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    format_rules: dict | None = None,
) -> EvalResult:
    """Evaluate ``lm`` on ``records`` (and perplexity on ``heldout_text`` if given).

    Parameters
    ----------
    lm : an adapter (:class:`CausalLMAdapter`, :class:`MLXAdapter`, :class:`FunctionAdapter`)
    records : list of dict
        ``{"prompt", "completion", "task"}`` (Project 16's test split); ``task`` defaults to
        ``"all"``.
    max_new_tokens : int
        Generation budget; an answer that has not emitted EOS by then did not stop.
    heldout_text : str, optional
        Original-domain text for the forgetting measurement.
    n_resamples, confidence, seed
        Bootstrap settings for the per-task CIs.
    format_rules : dict, optional
        ``{task: answer -> bool}``; default :data:`~ml2llm.evaluation.behaviour.FORMAT_RULES`.
    """
    from ml2llm.evaluation.forgetting import perplexity

    _check_records(records)
    if (
        isinstance(max_new_tokens, bool)
        or not isinstance(max_new_tokens, int)
        or max_new_tokens < 1
    ):
        raise ValueError(f"max_new_tokens must be a positive int, got {max_new_tokens!r}")
    if not hasattr(lm, "complete"):
        raise ValueError(
            "lm must be an adapter with complete(prompts, max_new_tokens); see load_model"
        )
    _check_prompt_lengths(lm, records)
    completions = lm.complete([r["prompt"] for r in records], max_new_tokens)
    rows = []
    for r, c in zip(records, completions):
        task = r.get("task") or "all"
        rows.append(
            {
                "task": task,
                "prompt": r["prompt"],
                "reference": r["completion"],
                "prediction": c.text,
                "exact_match": exact_match(c.text, r["completion"]),
                "f1": token_f1(c.text, r["completion"]),
                "format": float(follows_format(c.text, task, format_rules)),
                "stopped": float(c.stopped),
                "length": float(response_length(c.text)),
                "repetition": repetition_rate(c.text),
            }
        )
    ppl = None
    if heldout_text is not None:
        if not callable(getattr(lm, "window_nll", None)) or not callable(
            getattr(lm, "encode", None)
        ):
            raise ValueError("heldout_text needs an lm with encode() and window_nll() (perplexity)")
        ppl = perplexity(lm, heldout_text, max_windows=max_windows)
    config = {
        "max_new_tokens": max_new_tokens,
        "n_resamples": n_resamples,
        "confidence": confidence,
        "seed": seed,
    }
    return EvalResult(
        getattr(lm, "name", "model"),
        rows,
        _summarise(rows, n_resamples, confidence, seed),
        ppl,
        config,
    )


# ----------------------------------------------------------------------------- compare
@dataclass
class Comparison:
    """Paired comparison of two :class:`EvalResult` on the same records (tuned minus base)."""

    base: EvalResult
    tuned: EvalResult
    tasks: dict
    perplexity: dict | None
    samples: list[dict]

    def to_dict(self) -> dict:
        return {
            "base": self.base.to_dict(),
            "tuned": self.tuned.to_dict(),
            "tasks": self.tasks,
            "perplexity": self.perplexity,
            "samples": self.samples,
        }

    def save(self, path) -> Path:
        from ml2llm.io import atomic_write_text

        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1))
        return path

    def table(self) -> list[dict]:
        """One row per task: EM and F1 of both models, differences, CIs and p-values."""
        out = []
        for task, t in self.tasks.items():
            out.append(
                {
                    "task": task,
                    "n": t["n"],
                    "em_base": t["base"]["exact_match"]["estimate"],
                    "em_tuned": t["tuned"]["exact_match"]["estimate"],
                    "em_diff": t["diff"]["exact_match"]["estimate"],
                    "em_diff_low": t["diff"]["exact_match"]["low"],
                    "em_diff_high": t["diff"]["exact_match"]["high"],
                    "mcnemar_p": t["mcnemar"]["pvalue"],
                    "f1_base": t["base"]["f1"]["estimate"],
                    "f1_tuned": t["tuned"]["f1"]["estimate"],
                    "f1_diff": t["diff"]["f1"]["estimate"],
                    "f1_p": t["diff"]["f1"]["pvalue"],
                }
            )
        return out


def compare(
    base: EvalResult, tuned: EvalResult, n_samples: int = 6, alpha: float = 0.05
) -> Comparison:
    """Pair ``base`` and ``tuned`` example by example (they must hold the same prompts).

    Per task and metric: both summaries, the paired-bootstrap difference (tuned - base) with
    its CI and p-value, McNemar's exact test on exact match, and ``significant`` (McNemar's
    p < ``alpha``). Perplexity: both models, and the paired bootstrap of the per-window NLL
    difference when both were measured on the same windows. ``samples``: the first
    ``n_samples`` prompts of each task side by side.
    """
    if not isinstance(base, EvalResult) or not isinstance(tuned, EvalResult):
        raise ValueError("base and tuned must be EvalResult objects from evaluate()")
    if [r["prompt"] for r in base.rows] != [r["prompt"] for r in tuned.rows]:
        raise ValueError("base and tuned must be evaluated on the same records in the same order")
    cfg = base.config
    n_res, conf, seed = (
        cfg.get("n_resamples", 2000),
        cfg.get("confidence", 0.95),
        cfg.get("seed", 0),
    )
    tasks = {}
    for task in [*sorted({r["task"] for r in base.rows}), "all"]:
        key = None if task == "all" else task
        diff = {
            m: paired_bootstrap(
                base.scores(m, key), tuned.scores(m, key), n_res, conf, seed
            ).to_dict()
            for m in METRICS
        }
        mc = mcnemar(base.scores("exact_match", key), tuned.scores("exact_match", key))
        tasks[task] = {
            "n": int(base.scores("exact_match", key).size),
            "base": base.summary[task],
            "tuned": tuned.summary[task],
            "diff": diff,
            "mcnemar": mc.to_dict(),
            "significant": mc.pvalue < alpha,
        }
    ppl = None
    if base.perplexity and tuned.perplexity:
        ppl = {"base": base.perplexity, "tuned": tuned.perplexity}
        wa, wb = base.perplexity["window_nll"], tuned.perplexity["window_nll"]
        if len(wa) == len(wb) and len(wa) > 0:
            ppl["nll_diff"] = paired_bootstrap(wa, wb, n_res, conf, seed).to_dict()
    samples, seen = [], {}
    for rb, rt in zip(base.rows, tuned.rows):
        if seen.get(rb["task"], 0) < n_samples:
            seen[rb["task"]] = seen.get(rb["task"], 0) + 1
            samples.append(
                {
                    "task": rb["task"],
                    "prompt": rb["prompt"],
                    "reference": rb["reference"],
                    "base": rb["prediction"],
                    "tuned": rt["prediction"],
                }
            )
    return Comparison(base, tuned, tasks, ppl, samples)
