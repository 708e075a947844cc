"""Head scores on hand-built models whose answers are known (tests/analysis/constructed.py)."""

import numpy as np
import pytest
import torch

from ml2llm.analysis import attention as A
from tests.analysis.constructed import induction_circuit, one_layer


def uniform_prev_score(T):
    # a uniform causal head gives 1/(t+1) to position t-1; mean over t = 1..T-1
    return sum(1.0 / (t + 1) for t in range(1, T)) / (T - 1)


def random_ids(V, T, n, seed=0):
    return torch.as_tensor(np.random.default_rng(seed).integers(0, V, size=(n, T)))


def test_attention_maps_shape_rows_and_causality():
    model = one_layer(V=8, T=16)
    maps = A.attention_maps(model, random_ids(8, 16, 3))
    assert maps.shape == (1, 3, 2, 16, 16)
    assert torch.allclose(maps.sum(-1), torch.ones(1, 3, 2, 16), atol=1e-6)
    assert float(torch.triu(maps, diagonal=1).abs().max()) == 0.0  # nothing from the future


def test_previous_token_head_scores_high_and_uniform_head_low():
    T = 32
    maps = A.attention_maps(one_layer(V=8, T=T), random_ids(8, T, 4)).numpy()
    score = A.previous_token_score(maps).mean(axis=1)[0]  # (n_head,)
    assert score[0] > 0.99  # attention logit gap ~80 nats: essentially all mass on t-1
    # the uniform head's score is the harmonic-number formula, to float32 precision
    assert score[1] == pytest.approx(uniform_prev_score(T), abs=1e-5)
    assert score[1] < 0.15


def test_previous_token_score_counts_from_t1_not_t0():
    # a head that attends only to itself: score 0 (the diagonal is not "previous")
    eye = np.eye(6)
    assert A.previous_token_score(eye) == 0.0
    shifted = np.eye(6, k=-1)
    shifted[0, 0] = 1.0
    assert A.previous_token_score(shifted) == 1.0


def test_induction_circuit_is_found_and_only_there():
    V, T, period = 16, 32, 12
    model = induction_circuit(V, T)
    rep = A.repeated_random_tokens(V, period, batch=6, seed=3)
    maps = A.attention_maps(model, rep).numpy()
    ind = A.induction_score(maps, period).mean(axis=1)  # (layer, head)
    prev = A.previous_token_score(maps).mean(axis=1)
    assert ind[1, 0] > 0.9, ind  # the induction head
    assert ind[0, 0] < 0.05 and ind[0, 1] < 0.1 and ind[1, 1] < 0.1, ind
    assert prev[0, 0] > 0.99 and prev[1, 0] < 0.2, prev  # the two heads are different kinds


def test_induction_score_on_random_sequences_is_not_high():
    # the same circuit on non-repeating text has nothing to copy: the score is not induction
    V, T, period = 16, 32, 12
    model = induction_circuit(V, T)
    rng = np.random.default_rng(0)
    seq = torch.as_tensor(
        np.stack(
            [rng.permutation(V)[:12].tolist() + rng.permutation(V)[:12].tolist() for _ in range(4)]
        )
    )
    ind = A.induction_score(A.attention_maps(model, seq).numpy(), period).mean(axis=1)
    assert ind[1, 0] < 0.5


def test_positional_score_separates_position_heads_from_content_heads():
    V, T = 8, 24
    model = one_layer(V=V, T=T, second="same_token")
    maps = A.attention_maps(model, random_ids(V, T, 8, seed=1)).numpy()  # (1, S, H, T, T)
    pos = A.positional_score(np.moveaxis(maps, 1, 0))[0]
    assert pos[0] > 0.99  # previous-token head: the same map for every sequence
    assert pos[1] < 0.8, pos  # same-token head: the map follows the tokens
    uni = A.positional_score(
        np.moveaxis(A.attention_maps(one_layer(V, T), random_ids(V, T, 5)).numpy(), 1, 0)
    )[0, 1]
    assert uni == pytest.approx(1.0, abs=1e-6)


def test_head_scores_of_random_init_gpt_look_uniform():
    from ml2llm.transformers.config import GPTConfig
    from ml2llm.transformers.gpt import GPT

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=20, block_size=32, n_layer=2, n_head=2, n_embd=32))
    s = A.head_scores(model, n_seq=4)
    assert set(s) == {"previous_token", "induction", "positional"}
    # std-0.02 weights: attention logits ~1e-3, so every head is uniform to within ~1%
    assert np.allclose(s["previous_token"], uniform_prev_score(32), atol=0.01)
    assert np.all(s["induction"] < 0.1) and np.all(s["positional"] > 0.98)


def test_head_scores_of_hand_built_model():
    s = A.head_scores(induction_circuit(16, 32), period=12, n_seq=4)
    assert s["induction"].shape == (2, 2)
    assert s["induction"][1, 0] > 0.9 and s["previous_token"][0, 0] > 0.99


def test_repeated_random_tokens():
    rep = A.repeated_random_tokens(50, 10, batch=3, seed=1)
    assert rep.shape == (3, 20) and rep.dtype == np.int64
    assert np.array_equal(rep[:, :10], rep[:, 10:])
    assert all(len(set(row[:10])) == 10 for row in rep)  # distinct within a period
    assert not np.array_equal(rep[0], rep[1])


def test_bad_input():
    with pytest.raises(ValueError, match="attn"):
        A.previous_token_score(np.ones((3, 4)))
    with pytest.raises(ValueError, match="period"):
        A.induction_score(np.ones((2, 6, 6)), 4)
    with pytest.raises(ValueError, match="S >= 2"):
        A.positional_score(np.ones((1, 4, 4)))
    with pytest.raises(ValueError, match="period"):
        A.repeated_random_tokens(10, 0)
