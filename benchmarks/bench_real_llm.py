"""The real SmolLM2-135M-Instruct in our from-scratch ``Llama`` vs Hugging Face ``LlamaForCausalLM``.

Four measurements, each printed with its goal (issue "a real pretrained LLM"):

1. **forward**: logits of a ``batch × seq`` batch (default 8 × 256, float32, CPU), ours vs
   HF, interleaved (ours, HF, ours, HF …), median of ``--repeats``. Goal: ≤ 1.05×.
2. **generate**: greedy cached generation of ``--new-tokens`` (default 128) after a chat
   prompt, ours vs HF ``generate`` (EOS ignored, so both make every token), interleaved,
   median; the tokens must be identical. Goal: ≤ 1.0×.
3. **memory**: peak resident memory added by loading the model in bf16 and generating
   ``--new-tokens`` tokens, each implementation in a fresh subprocess (Linux ``VmHWM``
   minus the RSS after the imports and the tokenizer), against bf16 weights + the KV cache
   that generation needs (from :mod:`ml2llm.models.footprint`). Goal: ≤ 1.2×. The figure
   with the tokenizer (HF's fast tokenizer holds about 100 MiB for 49k tokens) is printed
   too.
4. **model get**: ``ml2llm model get smollm2-135m-instruct`` into an empty folder (convert)
   and again (warm), as subprocesses.

Both models load from the same converted folder (bf16 on disk, upcast to float32 exactly).
Threads: ``torch.set_num_threads(--threads)`` (default 1). ``--quick``: 2 × 32 forward,
8 new tokens, 1 repeat, no cold conversion (a smoke test: seconds once the model is
converted). Run: ``python benchmarks/bench_real_llm.py [--quick] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

NAME = "smollm2-135m-instruct"
QUESTION = "Write a short poem about the sea."


def _interleaved(fns: dict, repeats: int) -> dict:
    """Median seconds of each function, called in turn ``repeats`` times after a warm-up."""
    for fn in fns.values():
        fn()
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def _chat_prompt(tok):
    import torch

    enc = tok.apply_chat_template(
        [{"role": "user", "content": QUESTION}], add_generation_prompt=True
    )
    ids = enc["input_ids"] if hasattr(enc, "keys") else enc
    return torch.tensor([list(ids)])


# ----------------------------------------------------------------------- memory (child)
def _rss_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process in KiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _memory_child(impl: str, models_dir: str, new_tokens: int, threads: int) -> None:
    import torch
    import transformers

    import ml2llm.models as models

    torch.set_num_threads(threads)
    folder = models.ensure_model(NAME, models_dir=models_dir, progress=False)
    base = _rss_kib("VmRSS")
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    after_tok = _rss_kib("VmRSS")
    if impl == "ours":
        model = models.store.scratch_model(folder, dtype=torch.bfloat16)
    else:
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16)
    prompt = _chat_prompt(tok)
    with torch.no_grad():
        if impl == "ours":
            out = model.generate(prompt, new_tokens, temperature=0)
        else:
            out = model.generate(
                prompt,
                attention_mask=torch.ones_like(prompt),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
            )
    peak = _rss_kib("VmHWM")
    result = {
        "model": (peak - after_tok) * 1024,
        "with_tokenizer": (peak - base) * 1024,
        "tokens": int(out.shape[1]),
    }
    print(json.dumps(result), flush=True)


def _memory(impl: str, models_dir: Path, new_tokens: int, threads: int) -> dict:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--memory-child",
            impl,
            "--models-dir",
            str(models_dir),
            "--new-tokens",
            str(new_tokens),
            "--threads",
            str(threads),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": str(threads)},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"memory run for {impl} failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _model_get(models_dir: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ml2llm.cli", "model", "get", NAME, "--quiet"]
        + ["--models-dir", str(models_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ml2llm model get failed: {proc.stderr.strip()}")
    return time.perf_counter() - t0


# ----------------------------------------------------------------------------- main
def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--models-dir", default=None, help="default: data/models")
    parser.add_argument("--skip-cold", action="store_true", help="do not time a conversion")
    parser.add_argument("--memory-child", choices=["ours", "hf"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        _memory_child(args.memory_child, args.models_dir, args.new_tokens, args.threads)
        return {}
    if args.quick:
        args.repeats, args.batch, args.seq, args.new_tokens = 1, 2, 32, 8
        args.skip_cold = True

    import torch

    import ml2llm.models as models
    from ml2llm.models.footprint import kv_cache_bytes

    torch.set_num_threads(args.threads)
    models_dir = Path(args.models_dir) if args.models_dir else models.default_models_dir()
    folder = models.ensure_model(NAME, models_dir=models_dir)
    hf, tok = models.load_pretrained(folder)
    ours, _ = models.load_scratch(folder)
    config = json.loads((folder / "config.json").read_text())
    print(
        f"SmolLM2-135M-Instruct ({ours.num_params() / 1e6:.1f}M params), float32, CPU, "
        f"threads={args.threads}, median of {args.repeats}, interleaved"
    )
    ratios = {}

    # 1. forward
    ids = torch.randint(0, config["vocab_size"], (args.batch, args.seq))
    ids = ids.to(torch.long)
    with torch.no_grad():
        t = _interleaved(
            {"ours": lambda: ours(ids)[0], "hf": lambda: hf(input_ids=ids).logits}, args.repeats
        )
    ratios["forward"] = t["ours"] / t["hf"]
    tok_s = args.batch * args.seq / t["ours"]
    print(
        f"forward {args.batch}x{args.seq}: ours {t['ours']:.3f}s ({tok_s:.0f} tok/s), HF "
        f"{t['hf']:.3f}s -> ours/HF {ratios['forward']:.2f}x (goal <= 1.05)"
    )

    # 2. cached generation
    prompt = _chat_prompt(tok)
    mask = torch.ones_like(prompt)
    n = args.new_tokens
    outs = {}

    def gen_ours():
        outs["ours"] = ours.generate(prompt, n, temperature=0)

    def gen_hf():
        outs["hf"] = hf.generate(
            prompt, attention_mask=mask, max_new_tokens=n, min_new_tokens=n, do_sample=False
        )

    with torch.no_grad():
        t = _interleaved({"ours": gen_ours, "hf": gen_hf}, args.repeats)
    assert torch.equal(outs["ours"], outs["hf"]), "greedy tokens differ"
    ratios["generate"] = t["ours"] / t["hf"]
    print(
        f"generate {n} tokens after a {prompt.shape[1]}-token chat prompt: ours {t['ours']:.2f}s "
        f"({n / t['ours']:.1f} tok/s), HF {t['hf']:.2f}s -> ours/HF {ratios['generate']:.2f}x "
        "(goal <= 1.0); tokens identical"
    )

    # 3. memory, bf16, each in a fresh process
    weights = sum(
        r["bytes"]
        for name, r in models.read_manifest(folder)["files"].items()
        if name.endswith(".safetensors")
    )
    cache = kv_cache_bytes(config, prompt.shape[1] + n, bytes_per_value=2)
    budget = weights + cache
    for impl in ("ours", "hf"):
        mem = _memory(impl, folder.parent, n, args.threads)
        ratios[f"memory_{impl}"] = mem["model"] / budget
        ratios[f"memory_{impl}_with_tokenizer"] = mem["with_tokenizer"] / budget
        print(
            f"peak RSS added by load + generate ({impl}, bf16): model {mem['model'] / 2**20:.0f} MiB"
            f" vs bf16 weights {weights / 2**20:.0f} MiB + KV cache {cache / 2**20:.1f} MiB -> "
            f"{ratios[f'memory_{impl}']:.2f}x"
            + (" (goal <= 1.2)" if impl == "ours" else "")
            + f"; with the tokenizer {mem['with_tokenizer'] / 2**20:.0f} MiB "
            f"({ratios[f'memory_{impl}_with_tokenizer']:.2f}x)"
        )

    # 4. ml2llm model get: cold (convert into an empty folder) and warm
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) if not args.skip_cold else folder.parent
        cold = None if args.skip_cold else _model_get(target)
        warm = _model_get(target)
    if cold is not None:
        ratios["get_cold_s"] = cold
        print(f"`ml2llm model get` cold (convert): {cold:.1f}s")
    ratios["get_warm_s"] = warm
    print(f"`ml2llm model get` warm: {warm:.2f}s (process start and imports included)")
    return ratios


if __name__ == "__main__":
    main()
