"""LoRA training-step time: our LoRA against Hugging Face PEFT, side by side.

One LoRA training step = forward + prompt-masked loss + backward + AdamW step on the adapter
parameters, batch ``B x T`` of random tokens. Three variants, all with the same random
Mistral-architecture weights and the same rank/targets:

- ``ours``: :class:`ml2llm.transformers.Mistral` + :func:`ml2llm.finetune.lora.apply_lora`;
- ``ours-on-hf``: Hugging Face ``MistralForCausalLM`` + our ``apply_lora`` (isolates the LoRA
  layer from the model code);
- ``peft``: ``MistralForCausalLM`` + ``peft.get_peft_model`` (the reference).

Timings are interleaved (round-robin) so a busy machine slows all variants alike; each
number is the median of ``--repeats`` steps after warm-up. Printed: median seconds per step,
tokens/s and the ratio ours / PEFT (goal <= 1.1).

``--gpu``: a Mistral-7B-architecture model (random weights, bf16, 32 layers, 4096 wide,
GQA 32/8, SwiGLU 14336), batch 4 x 512, r = 16 on q/k/v/o; additionally reports peak CUDA
memory per variant (each variant measured alone). Needs a CUDA GPU with >= 40 GB.

Run: ``python benchmarks/bench_lora.py [--quick] [--repeats R] [--threads N] [--gpu]``.
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import transformers

from ml2llm.finetune.lora import apply_lora
from ml2llm.finetune.sft import causal_logits, sft_loss
from ml2llm.transformers.hf import mistral_from_hf

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]


def _hf_config(quick: bool, gpu: bool):
    if gpu:
        return transformers.MistralConfig(
            vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
            num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=4096,
        )  # fmt: skip
    width = 128 if quick else 256
    return transformers.MistralConfig(
        vocab_size=512, hidden_size=width, intermediate_size=int(width * 8 / 3),
        num_hidden_layers=2 if quick else 4, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=512, tie_word_embeddings=False,
    )  # fmt: skip


def _variants(hf_model, r, alpha):
    from peft import LoraConfig, get_peft_model

    ours = mistral_from_hf(hf_model)
    apply_lora(ours, TARGETS, r=r, alpha=alpha)
    ours_hf = copy.deepcopy(hf_model)
    apply_lora(ours_hf, TARGETS, r=r, alpha=alpha)
    peft = get_peft_model(
        copy.deepcopy(hf_model), LoraConfig(r=r, lora_alpha=alpha, target_modules=TARGETS)
    )
    return {"ours": ours, "ours-on-hf": ours_hf, "peft": peft}


def _stepper(model, x, labels, dtype):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    model.train()

    def step():
        with torch.autocast(x.device.type, dtype=dtype, enabled=dtype is not None):
            loss = sft_loss(causal_logits(model, x), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        return loss.item()

    return step


def bench_cpu(args) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = _hf_config(args.quick, gpu=False)
    hf_model = transformers.MistralForCausalLM(cfg)
    B, T = (4, 64) if args.quick else (8, 128)
    x = torch.randint(0, cfg.vocab_size, (B, T))
    labels = x.clone()
    labels[:, : T // 2] = -100  # the first half plays the prompt
    models = _variants(hf_model, args.rank, 2 * args.rank)
    steps = {k: _stepper(m, x, labels, None) for k, m in models.items()}
    for s in steps.values():  # warm-up
        s()
        s()
    times = {k: [] for k in steps}
    for _ in range(args.repeats):
        for k, s in steps.items():
            t0 = time.perf_counter()
            s()
            times[k].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    n_params = sum(p.numel() for p in hf_model.parameters())
    print(
        f"CPU, {args.threads} thread(s): Mistral-arch {n_params / 1e6:.1f}M params, "
        f"batch {B}x{T}, LoRA r={args.rank} on {','.join(TARGETS)}, {args.repeats} interleaved repeats"
    )
    for k, v in med.items():
        print(f"  {k:11s} {v * 1e3:8.1f} ms/step  {B * T / v:10,.0f} tokens/s")
    print(f"  ratio ours / peft:       {med['ours'] / med['peft']:.3f}  (goal <= 1.1)")
    print(f"  ratio ours-on-hf / peft: {med['ours-on-hf'] / med['peft']:.3f}")


def bench_gpu(args) -> None:
    if not torch.cuda.is_available():
        raise SystemExit("--gpu needs a CUDA GPU")
    from peft import LoraConfig, get_peft_model

    from ml2llm.transformers import Mistral
    from ml2llm.transformers.hf import mistral_config_from_hf

    cfg = _hf_config(False, gpu=True)
    B, T = 4, 512
    dev = torch.device("cuda")
    x = torch.randint(0, cfg.vocab_size, (B, T), device=dev)
    labels = x.clone()
    labels[:, : T // 2] = -100
    results = {}
    for name in ("peft", "ours"):
        torch.manual_seed(0)
        with dev:
            if name == "peft":
                model = transformers.MistralForCausalLM(cfg).to(torch.bfloat16)
                model = get_peft_model(
                    model, LoraConfig(r=16, lora_alpha=32, target_modules=TARGETS)
                )
            else:
                model = Mistral(mistral_config_from_hf(cfg)).to(torch.bfloat16)
                apply_lora(model, TARGETS, r=16, alpha=32)
        for p in model.parameters():  # fp32 adapters, bf16 frozen base, as PEFT does
            if p.requires_grad:
                p.data = p.data.float()
        step = _stepper(model, x, labels, torch.bfloat16)
        step()
        step()
        torch.cuda.reset_peak_memory_stats()
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        results[name] = (statistics.median(times), torch.cuda.max_memory_allocated() / 1e9)
        del model, step
        gc.collect()
        torch.cuda.empty_cache()
    print(
        f"GPU {torch.cuda.get_device_name()}: Mistral-7B arch, bf16 autocast, batch {B}x{T}, r=16 q,k,v,o"
    )
    for k, (t, mem) in results.items():
        print(f"  {k:5s} {t:.3f} s/step  {B * T / t:8,.0f} tokens/s  peak {mem:.1f} GB")
    print(f"  ratio ours / peft: time {results['ours'][0] / results['peft'][0]:.3f}, "
          f"memory {results['ours'][1] / results['peft'][1]:.3f}")  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--gpu", action="store_true", help="Mistral-7B architecture on CUDA")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    bench_gpu(args) if args.gpu else bench_cpu(args)


if __name__ == "__main__":
    main()
