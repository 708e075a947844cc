"""Pretraining: configuration, data, optimisation, checkpoints, sampling and the trainer.

- :mod:`ml2llm.training.config` — :class:`TrainConfig` (defaults < YAML < ``--key value``).
- :mod:`ml2llm.training.data` — tokenise once into memory-mapped ``.bin`` files; batches.
- :mod:`ml2llm.training.optim` — AdamW groups, warmup + cosine / WSD schedules, clipping,
  LR range test, power-law fit (Project 13.5).
- :mod:`ml2llm.training.checkpoint` — atomic safetensors + JSON checkpoints.
- :mod:`ml2llm.training.sampling` — temperature, top-k, top-p with the KV cache.
- :mod:`ml2llm.training.trainer` — :class:`Trainer` (Project 14); ``ml2llm pretrain`` wraps it.

Import the submodules directly; nothing heavy is imported here.
"""
