"""Shared tiny setup for the trainer tests: a real Shakespeare slice and a seconds-long config."""

from __future__ import annotations

from pathlib import Path

from ml2llm.data.shakespeare import load_corpus
from ml2llm.training.config import load_config

ROOT = Path(__file__).resolve().parents[2]
TINY_YAML = ROOT / "configs" / "tiny_test.yaml"


def text(n_chars: int = 20_000) -> str:
    """The first ``n_chars`` characters of the offline Shakespeare corpus."""
    return load_corpus()[:n_chars]


def tiny_config(out_dir, **overrides):
    """configs/tiny_test.yaml with ``out_dir`` and ``overrides``."""
    return load_config(TINY_YAML, overrides={"out_dir": str(out_dir), **overrides})
