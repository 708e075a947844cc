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

``--smollm2``: the real SmolLM2-135M-Instruct (``ml2llm model get smollm2-135m-instruct``),
float32, r = 8 on q/k/v/o, batch 8 x 128 with the last ``--answer`` tokens of each row
supervised (an SFT batch: the prompt is masked). Variants, interleaved: ``ours`` (our Llama +
LoRA + :func:`~ml2llm.finetune.loss.supervised_loss`, what ``SFTTrainer`` runs),
``ours-full-head`` (the same with the full-logits ``sft_loss``), ``peft`` (PEFT on
``LlamaForCausalLM``, full logits: the reference) and ``peft-supervised`` (PEFT with the same
supervised-positions loss); plus ``mlx`` (``mlx_lm`` LoRA on the converted folder, float32,
its own CPU threads) when installed. Peak RSS per variant comes from a fresh subprocess that
loads the model and runs three steps: the high-water mark of the last two (Linux
``VmHWM`` after ``clear_refs``), i.e. the weights plus training, not the loading transients.

Run: ``python benchmarks/bench_lora.py [--quick] [--repeats R] [--threads N] [--gpu] [--smollm2]``.
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


def _smollm2_variants(names, r, alpha):
    from peft import LoraConfig, get_peft_model

    from ml2llm.models import ensure_model, load_pretrained, load_scratch

    folder = ensure_model("smollm2-135m-instruct", progress=False)
    models = {}
    if {"ours", "ours-full-head"} & set(names):
        ours, _ = load_scratch(folder, progress=False)
        apply_lora(ours, TARGETS, r=r, alpha=alpha)
        models["ours"] = models["ours-full-head"] = ours
    if {"peft", "peft-supervised"} & set(names):
        hf, _ = load_pretrained(folder, progress=False)
        peft = get_peft_model(hf, LoraConfig(r=r, lora_alpha=alpha, target_modules=TARGETS))
        models["peft"] = models["peft-supervised"] = peft
    return folder, models


def _smollm2_stepper(name, model, x, labels):
    from ml2llm.finetune.loss import supervised_loss

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    model.train()
    head_only = name in ("ours", "peft-supervised")

    def step():
        if head_only:
            loss = supervised_loss(model, x, labels)
        else:
            loss = sft_loss(causal_logits(model, x), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _mlx_stepper(folder, x, labels, r, alpha):
    import mlx.core as mx
    import mlx.nn as mnn
    import mlx.optimizers as optim
    from mlx_lm import load
    from mlx_lm.tuner.utils import linear_to_lora_layers

    from ml2llm.finetune.backends import _mlx_loss, mlx_cpu_float32

    model, _ = load(str(folder))
    mlx_cpu_float32(model)
    model.freeze()
    keys = [f"self_attn.{t}" for t in TARGETS]
    linear_to_lora_layers(
        model, len(model.layers), {"rank": r, "scale": alpha / r, "dropout": 0.0, "keys": keys}
    )
    model.train()
    opt = optim.AdamW(learning_rate=1e-4)
    batch = mx.array(x.numpy())
    first = int((labels[0] != -100).nonzero()[0])  # the first supervised position
    lengths = mx.array([[first, x.shape[1]]] * x.shape[0])
    loss_and_grad = mnn.value_and_grad(model, _mlx_loss)

    def step():
        (loss, _), grads = loss_and_grad(model, batch, lengths)
        opt.update(model, grads)
        mx.eval(model.parameters(), opt.state, loss)
        return loss.item()

    return step


def _smollm2_batch(args):
    B, T = (2, 32) if args.quick else (8, 128)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 49152, (B, T), generator=g)
    labels = x.clone()
    labels[:, : T - min(args.answer, T - 1)] = -100
    return x, labels


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb(variant, args) -> float:
    import json
    import subprocess

    cmd = [sys.executable, __file__, "--smollm2", "--rss-of", variant, "--threads", str(args.threads),
           "--answer", str(args.answer)] + (["--quick"] if args.quick else [])  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_rss_mb"]


def bench_smollm2(args) -> None:
    import importlib.util
    import json
    import resource

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, labels = _smollm2_batch(args)
    names = ["ours", "ours-full-head", "peft", "peft-supervised"]
    has_mlx = importlib.util.find_spec("mlx_lm") is not None
    if args.rss_of:  # child process: one variant, three steps, print peak RSS
        if args.rss_of == "mlx":
            from ml2llm.models import ensure_model

            step = _mlx_stepper(
                ensure_model("smollm2-135m-instruct", progress=False), x, labels, 8, 16
            )
        else:
            _, models = _smollm2_variants([args.rss_of], 8, 16)
            step = _smollm2_stepper(args.rss_of, models[args.rss_of], x, labels)
        gc.collect()
        step()  # the first step allocates the optimizer state and the autograd buffers
        loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        try:  # reset the high-water mark (Linux): the peak of training, not of loading
            Path("/proc/self/clear_refs").write_text("5")
            reset = True
        except OSError:
            reset = False
        for _ in range(2):
            step()
        peak = _vm_hwm_mb() if reset else loaded
        print(json.dumps({"variant": args.rss_of, "peak_rss_mb": peak, "load_peak_mb": loaded}))
        return
    folder, models = _smollm2_variants(names, 8, 16)
    steps = {k: _smollm2_stepper(k, models[k], x, labels) for k in names}
    if has_mlx:
        steps["mlx"] = _mlx_stepper(folder, x, labels, 8, 16)
    for s in steps.values():  # warm-up
        s()
    times = {k: [] for k in steps}
    for _ in range(args.repeats):
        for k, s in steps.items():
            t0 = time.perf_counter()
            s()
            times[k].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    B, T = x.shape
    print(f"CPU, {args.threads} torch thread(s): SmolLM2-135M-Instruct float32, batch {B}x{T} "
          f"({args.answer} supervised tokens per row), LoRA r=8 on {','.join(TARGETS)}, "
          f"{args.repeats} interleaved repeats")  # fmt: skip
    for k, v in med.items():
        rss = _peak_rss_mb(k, args) if args.rss else float("nan")
        print(f"  {k:16s} {v:8.2f} s/step  {B * T / v:8,.0f} tokens/s  peak RSS {rss:,.0f} MB")
    print(f"  ratio ours / peft:            {med['ours'] / med['peft']:.3f}  (goal <= 1.0)")
    print(f"  ratio ours / peft-supervised: {med['ours'] / med['peft-supervised']:.3f}")
    print(f"  ratio ours-full-head / peft:  {med['ours-full-head'] / med['peft']:.3f}")
    if "mlx" in med:
        print(f"  ratio ours / mlx:             {med['ours'] / med['mlx']:.3f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--gpu", action="store_true", help="Mistral-7B architecture on CUDA")
    parser.add_argument("--smollm2", action="store_true", help="the real SmolLM2-135M on CPU")
    parser.add_argument("--answer", type=int, default=8, help="--smollm2: supervised tokens/row")
    parser.add_argument("--rss", action="store_true", help="--smollm2: peak RSS per variant")
    parser.add_argument("--rss-of", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    if args.smollm2:
        bench_smollm2(args)
    else:
        bench_gpu(args) if args.gpu else bench_cpu(args)


if __name__ == "__main__":
    main()
