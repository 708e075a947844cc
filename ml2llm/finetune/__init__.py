"""Phase 3 fine-tuning (Project 16): LoRA from scratch, instruction data, SFT, backends.

- :mod:`~ml2llm.finetune.lora`: :class:`LoRALinear`, :func:`apply_lora`, merge/unmerge,
  PEFT-format adapters
- :mod:`~ml2llm.finetune.data`: Shakespeare instruction tasks, JSONL/Alpaca loaders, chat
  template, prompt masking
- :mod:`~ml2llm.finetune.sft`: prompt-masked SFT trainer (padding or packing, eval loss,
  task accuracy, checkpoints and resume)
- :mod:`~ml2llm.finetune.backends`: ``torch`` (our LoRA), ``peft`` and ``mlx`` backends
- :mod:`~ml2llm.finetune.convert`: MLX <-> PEFT/PyTorch adapter conversion
"""

from ml2llm.finetune.lora import (
    LoRALinear,
    apply_lora,
    load_adapter,
    merge_and_unload,
    merge_lora,
    save_adapter,
    trainable_report,
    unmerge_lora,
)

__all__ = [
    "LoRALinear",
    "apply_lora",
    "load_adapter",
    "merge_and_unload",
    "merge_lora",
    "save_adapter",
    "trainable_report",
    "unmerge_lora",
]
