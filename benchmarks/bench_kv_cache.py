"""KV-cache speed-up of greedy generation: ours vs Hugging Face ``MistralForCausalLM``.

Side by side in one process: one randomly initialised Mistral-architecture model (built from a
config, offline) copied into :class:`ml2llm.transformers.Mistral` with identical weights. For
each number of new tokens we time greedy generation

- ours with the KV cache (``generate(..., use_cache=True)``) and without it;
- Hugging Face ``generate(do_sample=False)`` with its cache and without it (``use_cache=False``);

and assert that all four produce the same tokens. Each timing is the median of ``--repeats``
runs after one warm-up; printed: the cached/uncached speed-up of each implementation and the
ratio ours-cached / HF-cached (time; below 1 means ours is faster).

Threads: ``torch.set_num_threads(--threads)`` (default 1). ``--quick`` uses a smaller model and
fewer lengths. Run: ``python benchmarks/bench_kv_cache.py [--quick] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers

from ml2llm.transformers.hf import mistral_from_hf


def _median_time(fn, repeats: int):
    fn()  # warm-up
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    width = 128 if args.quick else 256
    cfg = transformers.MistralConfig(
        vocab_size=512,
        hidden_size=width,
        intermediate_size=int(width * 8 / 3),
        num_hidden_layers=4,
        num_attention_heads=8,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=None,
        eos_token_id=None,
        attn_implementation="sdpa",
    )
    hf = transformers.MistralForCausalLM(cfg).eval()
    ours = mistral_from_hf(hf).eval()
    prompt = torch.randint(0, 512, (1, 16), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(prompt)
    lengths = [32, 128] if args.quick else [32, 128, 256]
    print(
        f"model: Mistral-style, 4 layers, width {width}, GQA 8→2; threads={args.threads}, "
        f"median of {args.repeats}"
    )
    print(
        f"{'new':>5} | {'ours cached':>11} {'ours full':>10} {'speed-up':>8} | "
        f"{'HF cached':>10} {'HF full':>9} {'speed-up':>8} | ours/HF (cached)"
    )

    def ours_gen(n, cache):
        return ours.generate(prompt, n, temperature=0, use_cache=cache)

    def hf_gen(n, cache):
        return hf.generate(
            prompt,
            attention_mask=mask,
            max_new_tokens=n,
            min_new_tokens=n,
            do_sample=False,
            use_cache=cache,
        )

    with torch.no_grad():
        for n in lengths:
            t_oc, a = _median_time(partial(ours_gen, n, True), args.repeats)
            t_of, b = _median_time(partial(ours_gen, n, False), args.repeats)
            t_hc, c = _median_time(partial(hf_gen, n, True), args.repeats)
            t_hf, d = _median_time(partial(hf_gen, n, False), args.repeats)
            assert torch.equal(a, b) and torch.equal(a, c) and torch.equal(a, d), "tokens differ"
            print(
                f"{n:>5} | {t_oc:>10.3f}s {t_of:>9.3f}s {t_of / t_oc:>7.1f}x | "
                f"{t_hc:>9.3f}s {t_hf:>8.3f}s {t_hf / t_hc:>7.1f}x | {t_oc / t_hc:.2f}"
            )


if __name__ == "__main__":
    main()
