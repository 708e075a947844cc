"""Evaluation harness for Project 17: base vs tuned, with statistics and a report.

- :mod:`~ml2llm.evaluation.metrics`: exact match, SQuAD token F1
- :mod:`~ml2llm.evaluation.stats`: bootstrap CIs, paired bootstrap, McNemar
- :mod:`~ml2llm.evaluation.behaviour`: format adherence, length, repetition
- :mod:`~ml2llm.evaluation.forgetting`: held-out perplexity (bits per character too)
- :mod:`~ml2llm.evaluation.harness`: model adapters (ours, Hugging Face, PEFT, MLX),
  :func:`evaluate`, :func:`compare`
- :mod:`~ml2llm.evaluation.report`: Markdown + HTML report with plots
"""

from ml2llm.evaluation.behaviour import follows_format, repetition_rate, response_length
from ml2llm.evaluation.forgetting import perplexity, shakespeare_heldout
from ml2llm.evaluation.harness import (
    CausalLMAdapter,
    Comparison,
    EvalResult,
    FunctionAdapter,
    compare,
    evaluate,
    load_model,
)
from ml2llm.evaluation.metrics import exact_match, normalize_answer, token_f1
from ml2llm.evaluation.report import write_report
from ml2llm.evaluation.stats import bootstrap_ci, mcnemar, paired_bootstrap

__all__ = [
    "CausalLMAdapter",
    "Comparison",
    "EvalResult",
    "FunctionAdapter",
    "bootstrap_ci",
    "compare",
    "evaluate",
    "exact_match",
    "follows_format",
    "load_model",
    "mcnemar",
    "normalize_answer",
    "paired_bootstrap",
    "perplexity",
    "repetition_rate",
    "response_length",
    "shakespeare_heldout",
    "token_f1",
    "write_report",
]
