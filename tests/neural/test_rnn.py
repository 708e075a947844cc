"""RNN: gradient checks, equality with torch.nn.RNN/LSTM/GRU in float64, vanishing gradients,
and the recall task. Tolerances as in test_layers.py: finite differences < 1e-6 relative,
PyTorch (same float64 maths, different order) < 1e-10 relative."""

import numpy as np
import pytest
import torch

from ml2llm.data.sequence_tasks import make_recall_task, recall_special_tokens, recall_vocab
from ml2llm.neural.gradcheck import check_module_gradients, numerical_gradient, relative_error
from ml2llm.neural.losses import SoftmaxCrossEntropy
from ml2llm.neural.optim import Adam
from ml2llm.neural.rnn import (
    GRU,
    LSTM,
    RNN,
    CharRNN,
    RNNClassifier,
    fit_sequence_classifier,
    hidden_gradient_norms,
    sample_text,
    softmax_temperature,
    train_char_rnn,
)

TOL = 1e-10


class _RNNOutputs:
    """Adapter so check_module_gradients sees a module returning only the hidden states."""

    def __init__(self, rnn, h0):
        self.rnn, self.h0 = rnn, h0

    def forward(self, x):
        return self.rnn.forward(x, self.h0)[0]

    def backward(self, g):
        return self.rnn.backward(g)[0]

    def named_parameters(self):
        return self.rnn.named_parameters()


def test_rnn_bptt_passes_gradient_check():
    rng = np.random.default_rng(0)
    rnn = RNN(3, 4, random_state=0)
    errors = check_module_gradients(
        _RNNOutputs(rnn, rng.normal(size=(2, 4))), rng.normal(size=(2, 6, 3))
    )
    assert max(errors.values()) < 1e-6, errors


def test_rnn_h0_and_last_state_gradients_by_finite_differences():
    rng = np.random.default_rng(1)
    rnn = RNN(2, 3, random_state=1)
    x, h0 = rng.normal(size=(2, 5, 2)), rng.normal(size=(2, 3))
    R, u = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 3))

    def loss():
        hs, h = rnn.forward(x, h0)
        return float(np.sum(hs * R) + np.sum(h * u))

    loss()
    _, dh0 = rnn.backward(R, u)
    assert relative_error(dh0, numerical_gradient(loss, h0)) < 1e-6


def test_rnn_outputs_and_gradients_equal_torch_rnn():
    torch.manual_seed(0)
    ref = torch.nn.RNN(4, 5, batch_first=True).double()
    rnn = RNN.from_torch(ref)
    rng = np.random.default_rng(2)
    x, h0, g, gl = (
        rng.normal(size=(3, 7, 4)),
        rng.normal(size=(3, 5)),
        rng.normal(size=(3, 7, 5)),
        rng.normal(size=(3, 5)),
    )
    hs, h = rnn.forward(x, h0)
    dx, dh0 = rnn.backward(g, gl)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    hst, ht = ref(xt, h0t)
    ((hst * torch.tensor(g)).sum() + (ht[0] * torch.tensor(gl)).sum()).backward()
    assert relative_error(hs, hst.detach().numpy()) < TOL
    assert relative_error(h, ht[0].detach().numpy()) < TOL
    assert relative_error(dx, xt.grad.numpy()) < TOL
    assert relative_error(dh0, h0t.grad[0].numpy()) < TOL
    assert relative_error(rnn.W_xh.grad, ref.weight_ih_l0.grad.numpy().T) < TOL
    assert relative_error(rnn.W_hh.grad, ref.weight_hh_l0.grad.numpy().T) < TOL
    assert relative_error(rnn.b.grad, ref.bias_ih_l0.grad.numpy()) < TOL  # ∂/∂b_ih = ∂/∂b_hh = ∂/∂b


@pytest.mark.parametrize("ours_cls, torch_cls", [(LSTM, torch.nn.LSTM), (GRU, torch.nn.GRU)])
def test_lstm_and_gru_forward_equal_torch(ours_cls, torch_cls):
    torch.manual_seed(1)
    ref = torch_cls(3, 6, batch_first=True).double()
    ours = ours_cls.from_torch(ref)
    x = np.random.default_rng(3).normal(size=(2, 9, 3))
    hs, _ = ours.forward(x)
    hst, _ = ref(torch.tensor(x))
    assert relative_error(hs, hst.detach().numpy()) < TOL


def test_gradients_vanish_with_distance_for_small_recurrent_weights():
    rnn = RNN(4, 32, random_state=0)
    rnn.W_hh.data *= 0.5 / np.linalg.norm(rnn.W_hh.data, 2)  # spectral norm 0.5 < 1
    norms = hidden_gradient_norms(rnn, np.random.default_rng(0).normal(size=(8, 30, 4)))
    # Each step back multiplies by at most 0.5 (times tanh' <= 1): 29 steps => <= 0.5**29.
    assert norms[0] <= norms[-1] * 0.5**29 * 1.0001
    assert np.all(np.diff(norms) > 0)  # monotone growth towards the loss
    rnn.W_hh.data *= 3.0 / 0.5  # spectral norm 3: gradients no longer vanish that fast
    big = hidden_gradient_norms(rnn, np.random.default_rng(0).normal(size=(8, 30, 4)))
    assert big[0] / big[-1] > 1e3 * norms[0] / norms[-1]


def test_char_rnn_gradients_equal_finite_differences_and_training_lowers_loss():
    text = "to be or not to be that is the question " * 40
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text])
    model = CharRNN(len(chars), hidden_size=8, embed_dim=4, random_state=0)
    batch = ids[:13].reshape(1, -1)
    loss_fn = SoftmaxCrossEntropy()

    def loss():
        logits, _ = model.forward(batch[:, :-1])
        return loss_fn.forward(logits.reshape(-1, len(chars)), batch[0, 1:])

    loss()
    logits, _ = model.forward(batch[:, :-1])
    loss_fn.forward(logits.reshape(-1, len(chars)), batch[0, 1:])
    model.backward(loss_fn.backward().reshape(logits.shape))
    for name, p in model.named_parameters():
        assert relative_error(p.grad, numerical_gradient(loss, p.data)) < 1e-6, name
    hist = train_char_rnn(
        model,
        ids,
        Adam(model.parameters(), lr=1e-2),
        n_steps=150,
        seq_len=16,
        batch_size=4,
        sample_every=150,
        sample_len=20,
        log=None,
    )
    assert np.mean(hist["loss"][-10:]) < 0.6 * np.mean(hist["loss"][:10])
    assert len(hist["samples"]) == 1 and len(hist["samples"][0][1]) == 20
    out = sample_text(model, [0], 30, temperature=0.5, random_state=0)
    assert len(out) == 30 and all(0 <= i < len(chars) for i in out)


def test_softmax_temperature_sharpens_and_flattens():
    z = np.array([2.0, 1.0, 0.0])
    assert (
        softmax_temperature(z, 0.1)[0]
        > softmax_temperature(z, 1.0)[0]
        > softmax_temperature(z, 10.0)[0]
    )
    assert np.allclose(softmax_temperature(z, 1.0), torch.softmax(torch.tensor(z), 0).numpy())


def test_recall_task_layout_and_determinism():
    X, y = make_recall_task(50, 7, vocab_size=5, seq_len=20, random_state=3)
    mark, query = recall_special_tokens(5)
    assert X.shape == (50, 20) and y.shape == (50,) and X.dtype == np.int64
    assert np.all(X[:, -1] == query) and np.all(X[:, -8] == y) and np.all(X[:, -9] == mark)
    assert recall_vocab(5) == 7 and X.max() < 7 and y.max() < 5
    assert np.sum(X == mark) == 50 and np.sum(X == query) == 50  # exactly one of each per row
    X2, y2 = make_recall_task(50, 7, vocab_size=5, seq_len=20, random_state=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    # Answers are uniform-ish: every content token appears (50 draws from 5, P(miss) < 1e-4).
    assert set(y.tolist()) == set(range(5))


def test_rnn_solves_short_recall_and_fails_long_recall():
    accs = {}
    for distance in (3, 40):
        X, y = make_recall_task(1500, distance, vocab_size=8, random_state=0)
        Xt, yt = make_recall_task(400, distance, vocab_size=8, random_state=1)
        model = RNNClassifier(recall_vocab(8), 8, hidden_size=32, embed_dim=8, random_state=0)
        fit_sequence_classifier(
            model, X, y, Adam(model.parameters(), lr=1e-2), epochs=5, batch_size=32
        )
        accs[distance] = float(np.mean(model.forward(Xt).argmax(1) == yt))
    assert accs[3] > 0.95
    assert accs[40] < 0.3  # chance is 1/8; 400 test samples: std of chance accuracy ~0.017


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: make_recall_task(10, 0), "distance must be an integer >= 1"),
        (lambda: make_recall_task(10, 5, seq_len=6), "seq_len must be an integer >= 7"),
        (lambda: make_recall_task(10, 5, vocab_size=1), "vocab_size must be an integer >= 2"),
        (lambda: make_recall_task(0, 5), "n_samples"),
        (lambda: RNN(3, 0), "hidden_size"),
        (lambda: RNN(3, 2).forward(np.ones((2, 5))), r"x must have shape \(batch, time, 3\)"),
        (lambda: RNN(3, 2).forward(np.ones((2, 5, 3)), np.ones((2, 3))), "h0 must have shape"),
        (lambda: softmax_temperature([1.0], 0), "temperature must be positive"),
        (
            lambda: train_char_rnn(
                CharRNN(3, 4, 2), np.zeros(10, int), None, seq_len=8, batch_size=4
            ),
            "too short",
        ),
    ],
)
def test_bad_input_raises_clear_value_error(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_char_rnn_loss_and_gradients_equal_torch_on_shakespeare():
    from ml2llm.data.shakespeare import load_corpus

    text = load_corpus()[:5000]
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text]).reshape(-1)[: 4 * 33].reshape(4, 33)
    V = len(chars)
    ours = CharRNN(V, hidden_size=24, embed_dim=10, random_state=0)
    emb = torch.nn.Embedding(V, 10).double()
    rnn = torch.nn.RNN(10, 24, batch_first=True).double()
    head = torch.nn.Linear(24, V).double()
    with torch.no_grad():
        emb.weight.copy_(torch.tensor(ours.embed.W.data))
        rnn.weight_ih_l0.copy_(torch.tensor(ours.rnn.W_xh.data.T))
        rnn.weight_hh_l0.copy_(torch.tensor(ours.rnn.W_hh.data.T))
        rnn.bias_ih_l0.copy_(torch.tensor(ours.rnn.b.data))
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(torch.tensor(ours.head.W.data.T))
        head.bias.copy_(torch.tensor(ours.head.b.data))
    loss_fn = SoftmaxCrossEntropy()
    logits, _ = ours.forward(ids[:, :-1])
    loss = loss_fn.forward(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
    ours.backward(loss_fn.backward().reshape(logits.shape))
    hs, _ = rnn(emb(torch.tensor(ids[:, :-1])))
    ref = torch.nn.functional.cross_entropy(
        head(hs).reshape(-1, V), torch.tensor(ids[:, 1:]).reshape(-1)
    )
    ref.backward()
    assert abs(loss - ref.item()) < 1e-12
    pairs = [
        (ours.embed.W.grad, emb.weight.grad.numpy()),
        (ours.rnn.W_xh.grad, rnn.weight_ih_l0.grad.numpy().T),
        (ours.rnn.W_hh.grad, rnn.weight_hh_l0.grad.numpy().T),
        (ours.rnn.b.grad, rnn.bias_ih_l0.grad.numpy()),
        (ours.head.W.grad, head.weight.grad.numpy().T),
        (ours.head.b.grad, head.bias.grad.numpy()),
    ]
    for a, b in pairs:
        assert relative_error(a, b) < TOL
