"""Shared fixtures: offline HF, one thread, token ids from real Shakespeare text."""

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLX_DISABLE_COMPILE", "1")


@pytest.fixture(scope="session")
def shakespeare_text():
    from ml2llm.data.shakespeare import load_corpus

    return load_corpus()[:20000]


@pytest.fixture(scope="session")
def char_ids(shakespeare_text):
    """(4, 24) windows of character ids from the corpus, vocabulary of 97 or fewer ids."""
    chars = sorted(set(shakespeare_text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in shakespeare_text[:5000]])
    starts = [0, 1000, 2000, 3000]
    return torch.stack([data[s : s + 24] for s in starts]), len(chars)
