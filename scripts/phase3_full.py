"""Full-mode Phase 3 figures on SmolLM2-135M-Instruct, for the README (run on a quiet machine).

What it does, in one process:

1. builds the play task (:mod:`ml2llm.finetune.play_task`: 600 train / 60 valid / 240 test
   lines, disjoint, stratified);
2. scores the base model (strict exact match, teacher-forced greedy);
3. trains LoRA r = 8 on q/k/v/o with each backend (torch = ours, peft, mlx) on the same ids
   and settings (:func:`ml2llm.finetune.real_llm.tune_three_ways`) and scores each adapter
   in our model;
4. prints base -> tuned exact match per backend with 95 % bootstrap CIs, the paired-bootstrap
   CI of the difference and McNemar's exact p, val loss, tokens/s and s/step;
5. forgetting for our adapter: the everyday questions (base vs tuned) and perplexity on
   held-out modern English (paired bootstrap over windows);
6. with ``--notebooks``: runs Projects 16 and 17 in full mode (``ml2llm run``) and times them
   (goals: 16 <= 20 min, 17 <= 10 min on 2 cores).

Everything goes to stdout and ``--out`` (``phase3_full.json``). Usage::

    OMP_NUM_THREADS=2 .venv/bin/python scripts/phase3_full.py --out reports/phase3_full
    OMP_NUM_THREADS=2 .venv/bin/python scripts/phase3_full.py --notebooks   # + 16 and 17

Quick check of the script itself: ``--steps 2 --n-train 48 --n-test 24 --backends torch``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLX_DISABLE_COMPILE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _ci(r) -> str:
    return f"{r.estimate:.3f} [{r.low:.3f}, {r.high:.3f}]"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--n-train", type=int, default=600)
    p.add_argument("--n-valid", type=int, default=60)
    p.add_argument("--n-test", type=int, default=240)
    p.add_argument("--backends", default="torch,peft,mlx")
    p.add_argument("--out", default=str(ROOT / "reports" / "phase3_full"))
    p.add_argument("--notebooks", action="store_true", help="also run 16 and 17 in full mode")
    a = p.parse_args(argv)

    import numpy as np
    import torch

    from ml2llm.evaluation import CausalLMAdapter
    from ml2llm.evaluation.forgetting import perplexity
    from ml2llm.evaluation.stats import bootstrap_ci, mcnemar, paired_bootstrap
    from ml2llm.finetune.lora import load_adapter
    from ml2llm.finetune.play_task import (
        GENERAL_PROMPTS,
        build_play_task,
        modern_text,
        score_general,
    )
    from ml2llm.finetune.real_llm import score_adapter, threads, tune_three_ways
    from ml2llm.models import ensure_model, load_scratch

    torch.set_num_threads(threads())
    t_all = time.perf_counter()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    model_dir = ensure_model("smollm2-135m-instruct", progress=False)
    splits = build_play_task(a.n_train, a.n_valid, a.n_test, seed=0)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    print(f"machine: {machine}; task sizes { {k: len(v) for k, v in splits.items()} }")

    tic = time.perf_counter()
    base = np.array(score_adapter(model_dir, None, splits["test"]))
    print(f"base exact {_ci(bootstrap_ci(base))}  ({time.perf_counter() - tic:.0f} s)")
    results = tune_three_ways(
        model_dir, splits, out / "adapters", backends=a.backends.split(","), steps=a.steps,
        batch_size=a.batch_size, lr=a.lr, eval_every=max(1, a.steps // 4),
    )  # fmt: skip
    report = {"machine": machine, "settings": vars(a), "base_exact": base.tolist(), "backends": {}}
    print("\n| backend | base exact [95% CI] | tuned exact [95% CI] | difference [95% CI] | "
          "McNemar p | val loss | tokens/s | s/step |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name, res in results.items():
        hits = np.array(score_adapter(model_dir, res["adapter"], splits["test"], backend=name))
        diff, mc = paired_bootstrap(base, hits), mcnemar(base, hits)
        print(f"| {name} | {_ci(bootstrap_ci(base))} | {_ci(bootstrap_ci(hits))} | {_ci(diff)} | "
              f"{mc.pvalue:.2g} | {res['val_loss']:.3f} | {res['tokens_per_second'] or 0:.0f} | "
              f"{res['seconds_per_step']:.1f} |")  # fmt: skip
        report["backends"][name] = {
            "exact": hits.tolist(), "diff": diff.to_dict(), "mcnemar_p": mc.pvalue,
            "val_loss": res["val_loss"], "tokens_per_second": res["tokens_per_second"],
            "seconds_per_step": res["seconds_per_step"], "seconds": res["seconds"],
        }  # fmt: skip

    if "torch" in results:  # forgetting, on our adapter
        model, tok = load_scratch(model_dir, progress=False)
        base_lm = CausalLMAdapter(model, tok, name="base")
        prompts = [q for q, _ in GENERAL_PROMPTS]
        text = modern_text(6000)
        said_b = [c.text for c in base_lm.complete(prompts, 32)]
        ppl_b = perplexity(base_lm, text, block_size=256)
        load_adapter(model, results["torch"]["adapter"])
        tuned_lm = CausalLMAdapter(model, tok, name="tuned")
        said_t = [c.text for c in tuned_lm.complete(prompts, 32)]
        ppl_t = perplexity(tuned_lm, text, block_size=256)
        d = paired_bootstrap(ppl_b["window_nll"], ppl_t["window_nll"])
        gb, gt = score_general(said_b), score_general(said_t)
        print(f"\nforgetting (torch adapter): everyday questions {sum(gb)}/{len(gb)} -> "
              f"{sum(gt)}/{len(gt)}; modern-English perplexity {ppl_b['perplexity']:.2f} -> "
              f"{ppl_t['perplexity']:.2f} (mean NLL difference per window {_ci(d)})")  # fmt: skip
        for q, sb, st in zip(prompts, said_b, said_t):
            print(f"  {q}\n    base : {sb!r}\n    tuned: {st!r}")
        report["forgetting"] = {
            "general_base": gb, "general_tuned": gt, "ppl_base": ppl_b["perplexity"],
            "ppl_tuned": ppl_t["perplexity"], "nll_diff": d.to_dict(),
        }  # fmt: skip
    report["seconds"] = time.perf_counter() - t_all
    print(f"\nwall time {report['seconds'] / 60:.1f} min ({machine})")

    if a.notebooks:
        env = {k: v for k, v in os.environ.items() if k != "ML2LLM_QUICK"}
        for pid, goal in (("16", 20), ("17", 10)):
            tic = time.perf_counter()
            rc = subprocess.call(
                [sys.executable, "-m", "ml2llm.cli", "run", pid, "--no-progress",
                 "--out", str(out / "notebooks")], env=env, cwd=ROOT,
            )  # fmt: skip
            minutes = (time.perf_counter() - tic) / 60
            report[f"notebook_{pid}_minutes"] = minutes
            print(f"Project {pid} full mode: exit {rc}, {minutes:.1f} min (goal <= {goal} min)")
    (out / "phase3_full.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {out / 'phase3_full.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
