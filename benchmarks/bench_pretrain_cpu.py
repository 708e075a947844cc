"""CPU pretraining benchmark: nanoGPT's "baby" Shakespeare run with ``ml2llm pretrain``'s trainer.

Two measurements, one process:

1. **Time per step, side by side.** The trainer's ``train_step`` (schedule, memory-mapped
   batches, accumulation, clipping, AdamW) against a nanoGPT-style reference loop written
   below (``np.memmap`` re-opened per batch as nanoGPT does, LR set by hand, clip, AdamW),
   both on the same model (the project's GPT, 4 layers x 128, 4 heads, block 64, batch 12).
   Interleaved repeats of ``--steps-per-repeat`` steps; the median ratio is printed.
2. **The full run** (``--full-steps``, default 2000, lr 1e-3 with cosine decay to 1e-4, no
   dropout, char-level, 90/10 split): final validation loss, ms/step and tokens/s.
   nanoGPT's figure for this configuration is val 1.88 (about 48 ms/step on a 2-core machine).

Data: ``../shared/data/tinyshakespeare.txt`` (or ``--data``) when present, else the first
1.1 MB of the offline Shakespeare corpus. ``--quick`` runs a few seconds (no accuracy target).
Threads: ``--threads`` (default 2) sets ``torch.set_num_threads``; timings on a shared machine
are noisy, so the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def find_data(explicit: str | None) -> tuple[str | None, str]:
    if explicit:
        return explicit, explicit
    for candidate in (
        ROOT.parent / "shared" / "data" / "tinyshakespeare.txt",
        ROOT / "data" / "raw" / "tinyshakespeare.txt",
    ):
        if candidate.is_file():
            return str(candidate), str(candidate)
    return None, "offline Shakespeare corpus (first 1.1 MB)"


def memmap_batch(data_dir: Path, split: str, block_size: int, batch_size: int, generator=None):
    """nanoGPT's ``get_batch``: ``(x, y)`` windows at random offsets of ``{split}.bin``.

    The memmap is re-opened on every call, as nanoGPT does (it avoids a memory leak there).
    """
    import numpy as np
    import torch

    dtype = np.dtype(json.loads((data_dir / "meta.json").read_text())["dtype"])
    data = np.memmap(data_dir / f"{split}.bin", dtype=dtype, mode="r")
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([torch.from_numpy(data[i : i + block_size].astype(np.int64)) for i in ix])
    y = torch.stack(
        [torch.from_numpy(data[i + 1 : i + 1 + block_size].astype(np.int64)) for i in ix]
    )
    return x, y


def reference_loop(data_dir: Path, model, steps: int, cfg, seed: int = 0) -> list[float]:
    """nanoGPT's train.py inner loop, reduced to what one CPU step does. Returns seconds per step."""
    import torch

    from ml2llm.training.optim import cosine_lr

    torch.manual_seed(seed)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=(cfg.beta1, cfg.beta2),
    )

    def get_batch():
        return memmap_batch(data_dir, "train", cfg.block_size, cfg.batch_size)

    times = []
    x, y = get_batch()
    for it in range(steps):
        t0 = time.perf_counter()
        lr = cosine_lr(it, cfg.lr, cfg.final_lr, cfg.warmup_steps, cfg.max_steps)
        for g in opt.param_groups:
            g["lr"] = lr
        _, loss = model(x, y)
        x, y = get_batch()  # prefetch the next batch, as nanoGPT does
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss.item()  # nanoGPT reads the loss every log step; on CPU this costs nothing
        times.append(time.perf_counter() - t0)
    return times


def fixed_val_loss(
    model, data_dir: Path, block_size: int, batches: int = 200, batch_size: int = 12
) -> float:
    """Mean loss over ``batches`` val batches at fixed random offsets (the same for every model)."""
    import torch

    gen = torch.Generator().manual_seed(2024)
    model.eval()
    losses = []
    with torch.no_grad():
        for _ in range(batches):
            x, y = memmap_batch(data_dir, "val", block_size, batch_size, generator=gen)
            losses.append(float(model(x, y)[1]))
    model.train()
    return statistics.fmean(losses)


def trainer_steps(trainer, steps: int) -> list[float]:
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        loss, _ = trainer.train_step()
        loss.item()
        times.append(time.perf_counter() - t0)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: tiny step counts")
    parser.add_argument("--data", help="UTF-8 text (default: tiny-shakespeare when present)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--repeats", type=int, default=None, help="side-by-side repeats")
    parser.add_argument("--steps-per-repeat", type=int, default=None)
    parser.add_argument(
        "--full-steps", type=int, default=None, help="steps of the full run (default 2000)"
    )
    parser.add_argument(
        "--compare-full",
        action="store_true",
        help="also train the nanoGPT-style loop for the full run (same seed) and compare both "
        "models on the same 200 val batches",
    )
    parser.add_argument(
        "--seed", type=int, default=1337, help="seed of the full run (nanoGPT's: 1337)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    from ml2llm.training.config import load_config
    from ml2llm.training.data import read_text
    from ml2llm.training.models import build_model
    from ml2llm.training.trainer import Trainer

    torch.set_num_threads(args.threads)
    repeats = args.repeats or (2 if args.quick else 5)
    per_repeat = args.steps_per_repeat or (5 if args.quick else 40)
    full_steps = args.full_steps or (10 if args.quick else 2000)
    data_path, data_name = find_data(args.data)
    text = read_text(data_path) if data_path else read_text(None)[:1_115_394]
    out = Path(tempfile.mkdtemp(prefix="bench_pretrain_"))
    base = load_config(
        ROOT / "configs" / "shakespeare_char_baby.yaml",
        overrides={"device": "cpu", "progress": False, "sample_tokens": 0, "seed": args.seed},
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{args.threads} threads, load average {os.getloadavg()[0]:.1f} (shared machine: timings are noisy)",
        flush=True,
    )
    print(f"data: {data_name}, {len(text):,} characters", flush=True)

    # -- 1. side by side: time per step -------------------------------------------------
    cfg = load_config(overrides={**base.to_dict(), "out_dir": str(out / "side")})
    trainer = Trainer(cfg, text=text, log=lambda *_: None)
    ref_model = build_model(cfg, trainer.vocab_size)
    trainer_steps(trainer, 3)
    reference_loop(out / "side" / "data", ref_model, 3, cfg)  # warm up both
    ours, theirs, ratios = [], [], []
    for _ in range(repeats):
        a = statistics.median(trainer_steps(trainer, per_repeat))
        b = statistics.median(reference_loop(out / "side" / "data", ref_model, per_repeat, cfg))
        ours.append(a)
        theirs.append(b)
        ratios.append(a / b)
        print(
            f"  repeat: trainer {1000 * a:.1f} ms/step, reference {1000 * b:.1f} ms/step",
            flush=True,
        )
    print(
        f"time per step, median of {repeats} x {per_repeat} steps: trainer {1000 * statistics.median(ours):.1f} ms, "
        f"nanoGPT-style loop {1000 * statistics.median(theirs):.1f} ms, "
        f"ratio trainer/reference {statistics.median(ratios):.3f} (per repeat: {', '.join(f'{r:.2f}' for r in ratios)})",
        flush=True,
    )

    # -- 2. the full run ------------------------------------------------------------------
    cfg = load_config(
        overrides={
            **base.to_dict(),
            "out_dir": str(out / "full"),
            "max_steps": full_steps,
            "eval_interval": min(250, full_steps),
            "eval_iters": 2 if args.quick else base.eval_iters,
        }
    )
    trainer = Trainer(cfg, text=text, log=lambda *_: None)
    t0 = time.perf_counter()
    result = trainer.train()
    wall = time.perf_counter() - t0
    print(
        f"full run: {full_steps} steps in {wall:.0f} s wall (evaluation included); "
        f"{result.ms_per_step:.1f} ms/step, {result.tokens_per_s:,.0f} tokens/s (training steps only); "
        f"val loss {result.final_val:.4f} (best {result.best_val:.4f}); target <= 1.88 for 2000 steps",
        flush=True,
    )
    print(f"loss curve: {out / 'full' / 'loss_curve.png'}", flush=True)
    if args.compare_full:
        torch.manual_seed(cfg.seed)
        ref_model = build_model(cfg, trainer.vocab_size)
        t0 = time.perf_counter()
        reference_loop(out / "full" / "data", ref_model, full_steps, cfg, seed=cfg.seed)
        ref_wall = time.perf_counter() - t0
        n = 10 if args.quick else 200
        ours_val = fixed_val_loss(trainer.raw_model, out / "full" / "data", cfg.block_size, n)
        ref_val = fixed_val_loss(ref_model, out / "full" / "data", cfg.block_size, n)
        print(
            f"same {n} val batches: trainer {ours_val:.4f}, nanoGPT-style loop {ref_val:.4f} "
            f"(loop trained in {ref_wall:.0f} s, no evals)",
            flush=True,
        )
    if not args.quick and full_steps >= 2000 and result.final_val > 1.88:
        print("NOTE: val loss above nanoGPT's 1.88", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
