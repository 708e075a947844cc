"""Data preparation: tokenised once, memory-mapped, clear errors for unusable data."""

import json

import numpy as np
import pytest
import torch

from ml2llm.nlp import CharTokenizer
from ml2llm.training.data import DataError, TokenBatches, prepare_data, read_text
from tests.training.tiny import text


def test_prepare_once_and_memmap_round_trip(tmp_path):
    corpus = text(5000)
    meta = prepare_data(tmp_path, text=corpus, block_size=16)
    tok = CharTokenizer.train(corpus)
    assert meta["vocab_size"] == tok.vocab_size and meta["dtype"] == "uint16"
    train = np.memmap(tmp_path / "train.bin", dtype=np.uint16, mode="r")
    val = np.memmap(tmp_path / "val.bin", dtype=np.uint16, mode="r")
    assert len(train) == 4500 and len(val) == 500  # the 90/10 split of the characters
    assert tok.decode(train.tolist()) + tok.decode(val.tolist()) == corpus
    stamp = (tmp_path / "train.bin").stat().st_mtime_ns
    assert prepare_data(tmp_path, text=corpus) == meta  # reused, not rewritten
    assert (tmp_path / "train.bin").stat().st_mtime_ns == stamp
    prepare_data(tmp_path, text=corpus[:4000])  # different text: rebuilt
    assert json.loads((tmp_path / "meta.json").read_text())["train_tokens"] == 3600


def test_batches_are_shifted_windows_and_reproducible(tmp_path):
    prepare_data(tmp_path, text=text(3000))
    b = TokenBatches(tmp_path, batch_size=3, block_size=8, grad_accum=2, seed=0)
    micro = b.get()
    assert len(micro) == 2
    x, y = micro[0]
    assert x.shape == y.shape == (3, 8) and x.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])  # y is x shifted by one token
    state = b.state()
    again = b.get()
    b.set_state(state)
    assert all(torch.equal(p[0], q[0]) for p, q in zip(again, b.get()))  # the data position


def test_global_batch_is_shared_across_ranks(tmp_path):
    prepare_data(tmp_path, text=text(3000))
    whole = TokenBatches(tmp_path, batch_size=4, block_size=8, seed=3).get()[0][0]
    parts = [
        TokenBatches(tmp_path, batch_size=2, block_size=8, seed=3, rank=r, world_size=2).get()[0][0]
        for r in range(2)
    ]
    assert torch.equal(torch.cat(parts), whole)


def test_bad_data(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    with pytest.raises(DataError, match="empty"):
        prepare_data(tmp_path / "d1", text=read_text(empty), data_path=empty)
    with pytest.raises(DataError, match="need at least 100"):
        prepare_data(tmp_path / "d2", text="to be or not to be")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café ".encode("latin-1") * 50)
    with pytest.raises(DataError, match="not UTF-8"):
        read_text(latin1)
    with pytest.raises(DataError, match="not found"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(DataError, match="block_size=600 is larger than the data"):
        prepare_data(tmp_path / "d3", text=text(2000), block_size=600)
