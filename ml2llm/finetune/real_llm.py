"""Phase 3 on a real LLM: tune SmolLM2 three ways on one task and score every adapter alike.

:func:`tune_three_ways` writes the task's train/valid records once and trains the same LoRA
(rank, alpha, target modules, steps, batch, learning-rate schedule, token ids and prompt
mask) with each backend of :mod:`ml2llm.finetune.backends`: ``torch`` (our ``LoRALinear`` in
our ``Llama``), ``peft`` (PEFT on ``LlamaForCausalLM``) and ``mlx`` (``mlx_lm``). No backend
scores the test split itself; :func:`score_adapter` loads each adapter into *our* model (an
MLX adapter through :func:`~ml2llm.finetune.convert.mlx_to_peft`; the parity tests show the
logits agree) and measures strict exact match by
:func:`~ml2llm.finetune.play_task.greedy_exact`, so the three numbers differ only by training.

:func:`threads` picks a thread count: ``OMP_NUM_THREADS`` when set, else all cores up to 4.
On a shared machine one thread is often *faster* than two (measured here: 10x), because
spinning OpenMP threads compete with other processes.

What it does not do: hyper-parameter search, sampling, or tuning the MLX step to compute the
LM head at answer positions only (``mlx_lm`` computes the full logits).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

__all__ = ["QKVO", "score_adapter", "threads", "tune_three_ways"]

#: The attention projections that the issue's budget names (r = 8 on q/k/v/o).
QKVO = ("q_proj", "k_proj", "v_proj", "o_proj")


def threads() -> int:
    """``OMP_NUM_THREADS`` if set, else ``min(4, cores)``."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))


def _write(records, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({"prompt": r["prompt"], "completion": r["completion"]}) + "\n")


def tune_three_ways(
    model_dir,
    splits: dict,
    out_dir,
    backends=("torch", "peft", "mlx"),
    steps: int = 40,
    batch_size: int = 8,
    lr: float = 1e-3,
    r: int = 8,
    alpha: float = 16.0,
    targets=QKVO,
    max_len: int = 128,
    eval_every: int | None = None,
    seed: int = 0,
    log=print,
) -> dict[str, dict]:
    """Train one LoRA per backend on ``splits["train"]`` (validation on ``splits["valid"]``).

    Returns ``{backend: result}`` with the keys of
    :data:`~ml2llm.finetune.backends.RESULT_KEYS` plus ``adapter`` (the folder) and
    ``seconds_per_step``. ``mlx`` is skipped (with a log line) when ``mlx_lm`` is missing.
    """
    import importlib.util

    from ml2llm.finetune import backends as B

    out_dir = Path(out_dir)
    data = out_dir / "data"
    data.mkdir(parents=True, exist_ok=True)
    _write(splits["train"], data / "train.jsonl")
    _write(splits["valid"], data / "valid.jsonl")
    every = eval_every or steps
    common = dict(r=r, alpha=alpha, target_modules=tuple(targets), steps=steps,
                  batch_size=batch_size, lr=lr, max_len=max_len, seed=seed, log=log)  # fmt: skip
    results = {}
    for name in backends:
        if name == "mlx" and importlib.util.find_spec("mlx_lm") is None:
            if log:
                log("[mlx] mlx-lm is not installed: skipped")
            continue
        fn = {"torch": B.finetune_torch, "peft": B.finetune_peft, "mlx": B.finetune_mlx}[name]
        extra = {"eval_every": every, "eval_batches": 2}
        if name != "mlx":
            extra["log_every"] = every
        tic = time.perf_counter()
        res = fn(str(model_dir), data, out_dir / name, **common, **extra)
        res["adapter"] = str(out_dir / name)
        res["seconds_per_step"] = (time.perf_counter() - tic) / steps  # incl. loading
        results[name] = res
    return results


def score_adapter(model_dir, adapter, records, backend: str = "torch", batch_size: int = 16):
    """Strict exact match (0/1 per record) of ``adapter`` (or the base model when ``None``).

    The adapter is loaded into our ``Llama`` (``mlx`` adapters converted first), scored by
    :func:`~ml2llm.finetune.play_task.greedy_exact` with the tokenizer's chat template.
    """
    import tempfile

    from ml2llm.finetune.convert import mlx_to_peft
    from ml2llm.finetune.data import prompt_format
    from ml2llm.finetune.lora import load_adapter
    from ml2llm.finetune.play_task import greedy_exact
    from ml2llm.finetune.sft import Codec
    from ml2llm.models import load_scratch

    model, tok = load_scratch(str(model_dir), progress=False)
    if adapter is not None:
        if backend == "mlx":
            with tempfile.TemporaryDirectory() as tmp:
                load_adapter(model, mlx_to_peft(adapter, Path(tmp) / "peft"))
        else:
            load_adapter(model, adapter)
    return greedy_exact(model, Codec(tok), prompt_format(tok), records, batch_size)
