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
    """Mean loss over ``batches`` val batches at fixed random offsets (the same for every model).

    The batches are drawn once per folder and cached; they are evaluated 20 at a time as one
    big batch (the mean of equal-sized batch means is the mean over all of them), which is
    several times faster on a CPU than 200 small forward passes.
    """
    import torch

    key = (str(data_dir), block_size, batches, batch_size)
    if key not in _VAL_CACHE:
        gen = torch.Generator().manual_seed(2024)
        pairs = [memmap_batch(data_dir, "val", block_size, batch_size, gen) for _ in range(batches)]
        _VAL_CACHE[key] = [
            (
                torch.cat([x for x, _ in pairs[i : i + 20]]),
                torch.cat([y for _, y in pairs[i : i + 20]]),
            )
            for i in range(0, batches, 20)
        ]
    was_training = model.training
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in _VAL_CACHE[key]:
            total += float(model(x, y)[1]) * len(x)
    model.train(was_training)
    return total / (batches * batch_size)


_VAL_CACHE: dict = {}


def trainer_steps(trainer, steps: int) -> list[float]:
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        loss, _ = trainer.train_step()
        loss.item()
        times.append(time.perf_counter() - t0)
    return times


# ------------------------------------------------------------------------- time to loss
TARGETS = (1.88, 1.80, 1.70, 1.60)
RECIPE_YAML = ROOT / "configs" / "shakespeare_cpu_recipe.yaml"


class ReferenceRun:
    """nanoGPT's baby run, steppable in chunks: GPT 4 x 128, AdamW, cosine LR, batch 12.

    The same loop as :func:`reference_loop` (memmap re-opened per batch, prefetch, clip),
    with its state kept between calls so that chunks of it can be interleaved with others.
    """

    name = "nanoGPT-style"

    def __init__(self, data_dir: Path, cfg, vocab_size: int, seed: int):
        import torch

        from ml2llm.training.models import build_model

        torch.manual_seed(seed)
        self.model = build_model(cfg, vocab_size)
        self.cfg, self.data_dir, self.it, self.seconds = cfg, data_dir, 0, 0.0
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        rest = [p for p in self.model.parameters() if p.dim() < 2]
        self.opt = torch.optim.AdamW(
            [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": rest}],
            lr=cfg.lr,
            betas=(cfg.beta1, cfg.beta2),
            weight_decay=0.0,
        )
        self.gen = torch.Generator().manual_seed(seed)
        self.batch = self._get_batch()

    @property
    def max_steps(self) -> int:
        return self.cfg.max_steps

    def _get_batch(self):
        cfg = self.cfg
        return memmap_batch(self.data_dir, "train", cfg.block_size, cfg.batch_size, self.gen)

    def advance(self, steps: int) -> None:
        import torch

        from ml2llm.training.optim import cosine_lr

        cfg = self.cfg
        t0 = time.perf_counter()
        for _ in range(steps):
            lr = cosine_lr(self.it, cfg.lr, cfg.final_lr, cfg.warmup_steps, cfg.max_steps)
            for g in self.opt.param_groups:
                g["lr"] = lr
            x, y = self.batch
            _, loss = self.model(x, y)
            self.batch = self._get_batch()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
            self.opt.step()
            self.opt.zero_grad(set_to_none=True)
            loss.item()
            self.it += 1
        self.seconds += time.perf_counter() - t0


class TrainerRun:
    """``ml2llm pretrain``'s :class:`Trainer` for one config, steppable in chunks."""

    def __init__(self, name: str, cfg, text: str):
        from ml2llm.training.trainer import Trainer

        self.name, self.cfg = name, cfg
        self.trainer = Trainer(cfg, text=text, log=lambda *_: None)
        self.model, self.it, self.seconds = self.trainer.raw_model, 0, 0.0

    @property
    def max_steps(self) -> int:
        return self.cfg.max_steps

    def advance(self, steps: int) -> None:
        t0 = time.perf_counter()
        for _ in range(steps):
            loss, _ = self.trainer.train_step()
            loss.item()
        self.it = self.trainer.step
        self.seconds += time.perf_counter() - t0

    def close(self) -> None:
        self.trainer.close()


def time_to(curve, target: float) -> float | None:
    """Training seconds at which the val curve ``[(seconds, val), ...]`` first reaches
    ``target`` (linear interpolation between evaluations); None if it never does."""
    prev = None
    for sec, val in curve:
        if val <= target:
            if prev is None or prev[1] == val:
                return sec
            (s0, v0) = prev
            return s0 + (sec - s0) * (v0 - target) / (v0 - val)
        prev = (sec, val)
    return None


def run_interleaved(runs, data_dir: Path, eval_every, chunk: int, eval_batches: int, log=print):
    """Advance every run ``chunk`` steps in turn until all finish; evaluate each on the same
    ``eval_batches`` fixed val batches every ``eval_every[i]`` steps (not timed).

    Returns one curve ``[(train_seconds, step, val), ...]`` per run.
    """
    curves = [[] for _ in runs]
    while any(r.it < r.max_steps for r in runs):
        for i, r in enumerate(runs):
            if r.it >= r.max_steps:
                continue
            stop = min(r.max_steps, r.it + chunk)
            while r.it < stop:
                nxt = min(stop, (r.it // eval_every[i] + 1) * eval_every[i])
                r.advance(nxt - r.it)
                if r.it % eval_every[i] == 0 or r.it == r.max_steps:
                    val = fixed_val_loss(r.model, data_dir, 64, eval_batches)
                    curves[i].append((r.seconds, r.it, val))
        log(
            "  "
            + "; ".join(
                f"{r.name} step {r.it} {r.seconds:.0f} s val {c[-1][2]:.3f}"
                for r, c in zip(runs, curves)
                if c
            )
        )
    return curves


def ms_per_step(make_runs, steps: int, repeats: int = 3) -> list[float]:
    """Median ms/step of freshly built runs, measured in interleaved chunks (calibration)."""
    runs = make_runs()
    for r in runs:
        r.advance(3)  # warm-up
    per = [[] for _ in runs]
    for _ in range(repeats):
        for i, r in enumerate(runs):
            t0 = r.seconds
            r.advance(steps)
            per[i].append(1000 * (r.seconds - t0) / steps)
    for r in runs:
        if hasattr(r, "close"):
            r.close()
    return [statistics.median(p) for p in per]


def parse_rows(specs) -> list[tuple[str, dict]]:
    """``["name:key=value,key=value", ...]`` -> ``[(name, overrides), ...]`` (config-coerced)."""
    from ml2llm.training.config import coerce

    rows = []
    for spec in specs or []:
        name, _, body = spec.partition(":")
        over = {}
        for item in filter(None, body.split(",")):
            key, _, value = item.partition("=")
            over[key.strip()] = coerce(key.strip(), value.strip())
        rows.append((name, over))
    return rows


def time_to_loss(args, text: str, base, out: Path) -> dict:
    """The headline: nanoGPT-style baby run vs the recipe at equal wall time, several seeds,
    then one row per ``--row`` (recipe with some switches changed), each at equal time too."""
    import torch

    from ml2llm.training.config import load_config

    quick = args.quick
    ref_steps = 20 if quick else base.max_steps
    eval_batches = 10 if quick else 200
    recipe_path = Path(args.recipe) if args.recipe else RECIPE_YAML
    recipe = load_config(
        recipe_path,
        overrides={"device": "cpu", "progress": False, "sample_tokens": 0, "eval_iters": 1},
    )
    ref_cfg = load_config(overrides={**base.to_dict(), "max_steps": ref_steps})
    rows = [("recipe", {})] + parse_rows(args.row)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    # data folder (char vocabulary) shared by every run's evaluation and the reference loop
    prep = TrainerRun(
        "prep", load_config(overrides={**ref_cfg.to_dict(), "out_dir": str(out / "prep")}), text
    )
    data_dir, vocab = out / "prep" / "data", prep.trainer.vocab_size
    prep.close()

    def cfg_for(over: dict, seed: int, steps: int | None, tag: str):
        d = {**recipe.to_dict(), **over, "seed": seed, "out_dir": str(out / tag)}
        if steps is not None:
            d["max_steps"] = steps
        if quick:
            d["warmup_steps"] = min(d["warmup_steps"], 2)
            d["seq_len_warmup"] = min(d["seq_len_warmup"], 4)
        return load_config(overrides=d)

    # calibration: ms/step of every row vs the reference, interleaved, to give every row the
    # step budget that takes the reference run's wall time
    calib_steps = 5 if quick else 15

    def make(over):
        return lambda: [
            ReferenceRun(data_dir, ref_cfg, vocab, 0),
            # full-length rows: a sequence-length schedule is timed at its final length
            TrainerRun("row", cfg_for({**over, "seq_len_warmup": 0}, 0, None, "calib"), text),
        ]

    budgets = {}
    for name, over in rows:
        ref_ms, row_ms = ms_per_step(make(over), calib_steps, 2 if quick else 3)
        if "max_steps" in over:
            budgets[name] = over["max_steps"]
        else:
            equal = args.budget_fraction * ref_steps * ref_ms / row_ms
            budgets[name] = max(10, int(round(equal / 10)) * 10)
        print(
            f"calibration {name}: {row_ms:.1f} ms/step vs reference {ref_ms:.1f} ms/step "
            f"-> {budgets[name]} steps in the reference's {ref_steps}-step time",
            flush=True,
        )
    report = {"rows": {}, "load": [os.getloadavg()[0]]}
    # headline: reference vs recipe, seeds interleaved
    for name, over in rows:
        n_seeds = len(seeds) if name == "recipe" else max(1, min(len(seeds), args.row_seeds))
        for seed in seeds[:n_seeds]:
            runs = [TrainerRun(name, cfg_for(over, seed, budgets[name], f"{name}_{seed}"), text)]
            if name == "recipe" and not args.no_reference:
                runs.insert(0, ReferenceRun(data_dir, ref_cfg, vocab, seed))
            every = [max(1, r.max_steps // (4 if quick else 10)) for r in runs]
            print(f"{name}, seed {seed}: load {os.getloadavg()[0]:.1f}", flush=True)
            curves = run_interleaved(runs, data_dir, every, 5 if quick else 100, eval_batches)
            report["load"].append(os.getloadavg()[0])
            for r, c in zip(runs, curves):
                key = "nanoGPT-style" if isinstance(r, ReferenceRun) else name
                report["rows"].setdefault(key, []).append(
                    {
                        "seed": seed,
                        "steps": r.max_steps,
                        "seconds": r.seconds,
                        "ms_per_step": 1000 * r.seconds / r.max_steps,
                        "final": c[-1][2],
                        "best": min(v for _, _, v in c),
                        "curve": [(round(s, 2), st, round(v, 4)) for s, st, v in c],
                        **{f"t{t}": time_to([(s, v) for s, _, v in c], t) for t in TARGETS},
                    }
                )
                if hasattr(r, "close"):
                    r.close()
            torch.manual_seed(0)
    summary = summarize(report)
    report["summary"] = summary
    if args.json:
        from ml2llm.io import atomic_write_text

        atomic_write_text(args.json, json.dumps(report, indent=1))
    return report


def _median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(report: dict) -> dict:
    """Print the table (medians over seeds) and return it as a dict."""
    out = {}
    ref = report["rows"].get("nanoGPT-style")
    ref_final = statistics.median(r["final"] for r in ref) if ref else None
    ref_sec = statistics.median(r["seconds"] for r in ref) if ref else None
    fmt = lambda v: "-" if v is None else f"{v:.0f}"
    print(
        f"time to loss, medians over seeds; load average {min(report['load']):.1f}-"
        f"{max(report['load']):.1f} (shared machine)",
        flush=True,
    )
    head = "| run | seeds | steps | ms/step | train s | final val | Δ vs nanoGPT | " + " | ".join(
        f"s to {t}" for t in TARGETS
    )
    print(head + " |", flush=True)
    for name, rs in report["rows"].items():
        row = {
            "seeds": len(rs),
            "steps": rs[0]["steps"],
            "ms_per_step": statistics.median(r["ms_per_step"] for r in rs),
            "seconds": statistics.median(r["seconds"] for r in rs),
            "final": statistics.median(r["final"] for r in rs),
            "finals": [round(r["final"], 4) for r in rs],
            **{
                f"t{t}": _median_or_none([r[f"t{t}"] for r in rs])
                if sum(r[f"t{t}"] is not None for r in rs) * 2 > len(rs)
                else None
                for t in TARGETS
            },
        }
        out[name] = row
        delta = "" if ref_final is None else f"{row['final'] - ref_final:+.3f}"
        print(
            f"| {name} | {row['seeds']} | {row['steps']} | {row['ms_per_step']:.1f} | "
            f"{row['seconds']:.0f} | {row['final']:.3f} ({', '.join(f'{v:.3f}' for v in row['finals'])}) | {delta} | "
            + " | ".join(fmt(row[f"t{t}"]) for t in TARGETS)
            + " |",
            flush=True,
        )
    if ref_sec is not None:
        print(f"nanoGPT-style baby run: {ref_sec:.0f} s of training (median)", flush=True)
    return out


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
    parser.add_argument(
        "--time-to-loss",
        action="store_true",
        help="only the time-to-loss comparison: nanoGPT-style baby run vs the recipe "
        "(configs/shakespeare_cpu_recipe.yaml) at equal wall time, interleaved, several seeds",
    )
    parser.add_argument(
        "--recipe", help="recipe YAML (default configs/shakespeare_cpu_recipe.yaml)"
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the headline comparison")
    parser.add_argument(
        "--row",
        action="append",
        help="an ablation row 'name:key=value,key=value' (the recipe with these overrides, "
        "at the reference's wall time unless max_steps is given); repeatable",
    )
    parser.add_argument("--row-seeds", type=int, default=1, help="seeds per ablation row")
    parser.add_argument("--first-seed", type=int, default=0, help="first seed (then +1, +2 ...)")
    parser.add_argument(
        "--budget-fraction",
        type=float,
        default=1.0,
        help="train every row for this fraction of the reference run's wall time (ablations)",
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="rows only: the reference loop is timed for calibration but not trained",
    )
    parser.add_argument("--json", help="write the full report (curves included) here")
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

    if args.time_to_loss:
        time_to_loss(args, text, base, out)
        return 0

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
