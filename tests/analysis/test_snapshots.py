"""Weight snapshots taken during a short run."""

import numpy as np
import pytest
import torch

from ml2llm.analysis.snapshots import load_snapshot, train_with_snapshots
from ml2llm.training.models import build_model


def test_snapshots_are_the_init_and_the_end_and_training_learns():
    ids = np.tile(np.arange(10), 200)  # a deterministic cycle: easy to learn
    cfg = dict(n_layer=1, n_head=2, n_embd=16, block_size=16, batch_size=8, lr=1e-2, warmup_steps=0)
    run = train_with_snapshots(
        ids, vocab_size=10, steps=40, snapshot_steps=[0, 20, 40], seed=3, **cfg
    )
    assert sorted(run["snapshots"]) == [0, 20, 40]
    torch.manual_seed(3)
    fresh = build_model(run["cfg"], 10)
    for k, v in fresh.state_dict().items():
        assert torch.equal(run["snapshots"][0][k], v), k  # step 0 = the seeded initialisation
    for k, v in run["model"].state_dict().items():
        assert torch.equal(run["snapshots"][40][k], v), k
    assert run["loss"][-5:].mean() < 0.5 * run["loss"][:5].mean()  # ln 10 = 2.3 -> well below
    mid = load_snapshot(run["cfg"], 10, run["snapshots"][20])
    assert not torch.equal(mid.lm_head.weight, run["model"].lm_head.weight)


def test_bad_input():
    with pytest.raises(ValueError, match="snapshot_steps"):
        train_with_snapshots(np.arange(100), vocab_size=100, steps=5, snapshot_steps=[6])
    with pytest.raises(ValueError, match="steps"):
        train_with_snapshots(np.arange(100), vocab_size=100, steps=0)
