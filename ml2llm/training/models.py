"""Model factory: a :class:`~ml2llm.training.config.TrainConfig` to a GPT or Mistral model.

The architectures are Project 12's :class:`ml2llm.transformers.gpt.GPT` (GPT-2 style) and
Project 12.5's :class:`ml2llm.transformers.llama.Mistral` (RoPE, RMSNorm, SwiGLU, GQA). Both
take ``forward(idx, targets=None) -> (logits, loss)`` and a ``kv_cache`` keyword, which is all
the trainer and the sampler need.

Also here: :func:`flops_per_token` and :func:`estimate_mfu` (model FLOPs utilisation, the
PaLM-paper estimate nanoGPT uses) and a table of peak bf16 FLOP/s of common GPUs.
"""

from __future__ import annotations

# Dense bf16 tensor-core peaks (no sparsity), FLOP/s; matched against the CUDA device name.
PEAK_FLOPS = {
    "H200": 989e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "L4": 121e12,
    "A10": 125e12,
    "4090": 165e12,
    "3090": 71e12,
    "V100": 125e12,
    "T4": 65e12,
}


def model_config(cfg, vocab_size: int):
    """The architecture config (GPTConfig / MistralConfig) for a run config and vocabulary."""
    from ml2llm.transformers.config import GPTConfig, MistralConfig

    common = dict(
        vocab_size=int(vocab_size),
        block_size=cfg.block_size,
        n_layer=cfg.n_layer,
        n_head=cfg.n_head,
        n_embd=cfg.n_embd,
        dropout=cfg.dropout,
    )
    if cfg.model == "gpt":
        return GPTConfig(**common, bias=cfg.bias)
    if cfg.model == "mistral":
        return MistralConfig(
            **common,
            n_kv_head=cfg.n_kv_head,
            qk_norm=getattr(cfg, "qk_norm", False),
            mlp=getattr(cfg, "mlp", "swiglu"),
            tie_word_embeddings=bool(getattr(cfg, "tie_embeddings", None)),
        )
    raise ValueError(f"model={cfg.model!r} is invalid: expected gpt or mistral")


def build_model(cfg, vocab_size: int):
    """A freshly initialised model for ``cfg`` (uses the current torch RNG state)."""
    from ml2llm.transformers.gpt import GPT
    from ml2llm.transformers.llama import Mistral

    arch = model_config(cfg, vocab_size)
    return GPT(arch) if cfg.model == "gpt" else Mistral(arch)


def count_params(model, non_embedding: bool = True) -> int:
    """Parameters (tied weights once); without the embeddings by default (scaling-law convention)."""
    if hasattr(model, "num_params"):
        return int(model.num_params(non_embedding=non_embedding))
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def flops_per_token(n_params: int, n_layer: int, n_embd: int, block_size: int) -> float:
    """Training FLOPs per token: ``6 N + 12 L d T`` (forward + backward, attention included)."""
    return 6.0 * n_params + 12.0 * n_layer * n_embd * block_size


def peak_flops_for(device) -> float | None:
    """Peak bf16 FLOP/s of a known CUDA GPU, else None (CPU/MPS: no reliable figure)."""
    import torch

    if getattr(device, "type", str(device)) != "cuda" or not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name(device)
    for key, value in PEAK_FLOPS.items():
        if key in name:
            return value
    return None


def estimate_mfu(tokens_per_s: float, flops_token: float, peak_flops: float | None) -> float | None:
    """Achieved FLOP/s over peak FLOP/s, or None when the peak is unknown."""
    if not peak_flops:
        return None
    return tokens_per_s * flops_token / peak_flops


def model_flops_utilization(
    n_params: int,
    n_layer: int,
    n_embd: int,
    block_size: int,
    tokens_per_s: float,
    peak_flops: float,
) -> float:
    """MFU = tokens/s x training FLOPs per token / peak FLOP/s (Project 14's exercise)."""
    if peak_flops <= 0:
        raise ValueError(f"peak_flops must be > 0, got {peak_flops!r}")
    return tokens_per_s * flops_per_token(n_params, n_layer, n_embd, block_size) / peak_flops
