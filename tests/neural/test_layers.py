"""Layers: gradient checks for every layer, and equality with PyTorch autograd in float64.

Tolerances: a centred difference with h = 1e-6 in float64 has truncation error ~h² and
round-off ~1e-16/h, so a correct gradient shows relative error ~1e-9; we require < 1e-6 (a
wrong gradient is off by > 1e-2). PyTorch comparisons run the same float64 arithmetic in a
different order, so they agree to ~1e-13; we require 1e-10 relative (well inside the 1e-6 the
issue asks for).
"""

import numpy as np
import pytest
import torch

from ml2llm.neural.gradcheck import check_module_gradients, numerical_gradient, relative_error
from ml2llm.neural.layers import (
    BatchNorm1d,
    Dropout,
    Embedding,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    count_parameters,
    summary,
)
from ml2llm.neural.losses import SoftmaxCrossEntropy, log_softmax, softmax
from ml2llm.neural.model import make_mlp

GRAD_TOL = 1e-6  # centred differences, see module docstring
TORCH_TOL = 1e-10  # same float64 maths in a different order


@pytest.fixture(autouse=True, scope="module")
def _float64_default():
    # subtle: a module-level set_default_dtype would leak float64 into every later test
    # of the same (xdist) worker; scope it to this module and restore it.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize(
    "layer",
    [
        Linear(5, 3, random_state=0),
        Linear(5, 3, init="torch", random_state=1),
        ReLU(),
        LeakyReLU(0.1),
        Tanh(),
        Sigmoid(),
        BatchNorm1d(5),
        BatchNorm1d(5).eval(),
        Sequential(Linear(5, 4, random_state=2), Tanh(), Linear(4, 2, random_state=3)),
    ],
    ids=[
        "linear",
        "linear-torch-init",
        "relu",
        "leaky",
        "tanh",
        "sigmoid",
        "bn-train",
        "bn-eval",
        "seq",
    ],
)
def test_every_layer_passes_gradient_check(layer):
    x = _x((6, 5))
    x[np.abs(x) < 1e-3] += 0.01  # keep ReLU kinks away from the finite-difference step
    if isinstance(layer, BatchNorm1d):
        layer.gamma.data = _x(5, 7)
        layer.beta.data = _x(5, 8)
    errors = check_module_gradients(layer, x)
    # BatchNorm's input gradient is a difference of nearly equal terms (it sums to zero over the
    # batch), so round-off in the finite difference is ~10x larger relative to it; its exact
    # equality with PyTorch (1e-10) is tested below.
    tol = 1e-5 if isinstance(layer, BatchNorm1d) and layer.training else GRAD_TOL
    assert max(errors.values()) < tol, errors


def test_gradient_check_catches_a_wrong_backward():
    class BadTanh(Tanh):
        def backward(self, grad_out):
            return grad_out * (1 - self._y)  # forgot the square

    assert check_module_gradients(BadTanh(), _x((4, 3)))["input"] > 1e-2


def test_dropout_with_fixed_mask_passes_gradient_check_and_is_inverted():
    d = Dropout(0.3, random_state=0)
    x = np.ones((2000, 10))
    out = d.forward(x)
    assert set(np.unique(out)) <= {0.0, 1 / 0.7}
    # Expected value preserved: mean of 20000 Bernoulli(0.7)/0.7 has std ~0.005.
    assert abs(out.mean() - 1.0) < 0.03
    mask = d._mask
    d.forward = lambda x_: x_ * mask  # freeze the mask for the finite differences
    g = _x((2000, 10), 1)
    assert np.array_equal(d.backward(g), g * mask)
    d.eval()
    d.forward = Dropout.forward.__get__(d)
    assert np.array_equal(d.forward(x), x)


def test_embedding_gradient_accumulates_repeated_ids():
    emb = Embedding(5, 3, random_state=0)
    ids = np.array([[1, 1, 4], [0, 1, 2]])
    out = emb.forward(ids)
    g = _x(out.shape)
    emb.backward(g)
    W = _t(emb.W.data)
    (torch.nn.functional.embedding(torch.tensor(ids), W) * torch.tensor(g)).sum().backward()
    assert relative_error(emb.W.grad, W.grad.numpy()) < TORCH_TOL


def test_linear_and_activations_equal_torch():
    x = _x((7, 5))
    lin = Linear(5, 4, init="torch", random_state=0)
    xt, W, b = _t(x), _t(lin.W.data.T.copy()), _t(lin.b.data)
    for ours, theirs in [
        (ReLU(), torch.relu),
        (Tanh(), torch.tanh),
        (Sigmoid(), torch.sigmoid),
        (LeakyReLU(0.05), lambda z: torch.nn.functional.leaky_relu(z, 0.05)),
    ]:
        net = Sequential(lin, ours)
        out = net.forward(x)
        g = _x(out.shape, 1)
        dx = net.backward(g)
        for t in (xt, W, b):
            t.grad = None
        yt = theirs(torch.nn.functional.linear(xt, W, b))
        (yt * torch.tensor(g)).sum().backward()
        assert relative_error(out, yt.detach().numpy()) < TORCH_TOL
        assert relative_error(dx, xt.grad.numpy()) < TORCH_TOL
        assert relative_error(lin.W.grad, W.grad.numpy().T) < TORCH_TOL
        assert relative_error(lin.b.grad, b.grad.numpy()) < TORCH_TOL


def test_relu_gradient_at_zero_is_zero_like_torch():
    x = np.array([[-1.0, 0.0, 2.0]])
    r = ReLU()
    r.forward(x)
    xt = _t(x)
    torch.relu(xt).sum().backward()
    assert np.array_equal(r.backward(np.ones_like(x)), xt.grad.numpy())


def test_batchnorm_equals_torch_in_train_and_eval_mode():
    x = _x((16, 6)) * 3 + 1
    ours = BatchNorm1d(6)
    theirs = torch.nn.BatchNorm1d(6).double()
    ours.gamma.data = _x(6, 1)
    ours.beta.data = _x(6, 2)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.gamma.data))
        theirs.bias.copy_(torch.tensor(ours.beta.data))
    xt = _t(x)
    g = _x((16, 6), 3)
    out = ours.forward(x)
    dx = ours.backward(g)
    yt = theirs(xt)
    (yt * torch.tensor(g)).sum().backward()
    assert relative_error(out, yt.detach().numpy()) < TORCH_TOL
    assert relative_error(dx, xt.grad.numpy()) < TORCH_TOL
    assert relative_error(ours.gamma.grad, theirs.weight.grad.numpy()) < TORCH_TOL
    assert relative_error(ours.running_var, theirs.running_var.numpy()) < TORCH_TOL
    assert relative_error(ours.running_mean, theirs.running_mean.numpy()) < TORCH_TOL
    ours.eval()
    theirs.eval()
    assert relative_error(ours.forward(x), theirs(torch.tensor(x)).detach().numpy()) < TORCH_TOL


def test_softmax_cross_entropy_equals_torch_and_is_stable():
    logits = _x((9, 4)) * 5
    logits[0] += 1000.0  # overflow for a naive exp
    y = np.array([0, 1, 2, 3, 0, 1, 2, 3, 3])
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(logits, y)
    lt = _t(logits)
    ref = torch.nn.functional.cross_entropy(lt, torch.tensor(y))
    ref.backward()
    assert np.isfinite(loss)
    assert abs(loss - ref.item()) < 1e-12 * max(1.0, abs(ref.item()))
    assert relative_error(loss_fn.backward(), lt.grad.numpy()) < TORCH_TOL
    assert np.allclose(softmax(logits).sum(axis=1), 1.0)
    assert (
        relative_error(log_softmax(logits), torch.log_softmax(torch.tensor(logits), 1).numpy())
        < TORCH_TOL
    )


def test_whole_mlp_gradients_equal_torch_autograd_on_digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:128] / 16.0, y[:128]
    net = make_mlp([64, 32, 16, 10], activation="tanh", init="xavier", random_state=0)
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(net.forward(X), y)
    net.backward(loss_fn.backward())
    lins = [layer for layer in net.layers if isinstance(layer, Linear)]
    params = [(_t(lin.W.data.T.copy()), _t(lin.b.data)) for lin in lins]
    h = torch.tensor(X)
    for k, (W, b) in enumerate(params):
        h = torch.nn.functional.linear(h, W, b)
        if k < len(params) - 1:
            h = torch.tanh(h)
    ref = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    ref.backward()
    assert abs(loss - ref.item()) < 1e-12
    for lin, (W, b) in zip(lins, params):
        assert relative_error(lin.W.grad, W.grad.numpy().T) < TORCH_TOL
        assert relative_error(lin.b.grad, b.grad.numpy()) < TORCH_TOL


def test_numerical_gradient_is_centred_and_restores_input():
    x = np.array([0.3, -1.2, 2.0])
    before = x.copy()
    g = numerical_gradient(lambda: float(np.sum(np.sin(x) * x**2)), x)
    exact = np.cos(before) * before**2 + 2 * before * np.sin(before)
    assert np.array_equal(x, before)
    assert relative_error(g, exact) < 1e-9  # centred: O(h²) truncation


def test_summary_and_parameter_count():
    net = make_mlp([64, 32, 10], random_state=0)
    assert count_parameters(net) == 64 * 32 + 32 + 32 * 10 + 10
    text = summary(net)
    assert "2,410" in text and "W(64, 32)" in text


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: Linear(0, 3), "in_features"),
        (lambda: Linear(3, 2, init="bogus"), "init must be one of"),
        (lambda: Dropout(1.0), "p must be a probability"),
        (lambda: make_mlp([3]), "sizes must be"),
        (lambda: make_mlp([3, 2], activation="swish"), "activation must be one of"),
        (lambda: Linear(3, 2).forward(np.ones((4, 5))), "last dimension in_features=3"),
        (
            lambda: SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.array([0.0, 1.0])),
            "y must be an integer",
        ),
        (lambda: SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.array([0, 3])), r"\[0, 3\)"),
        (lambda: Embedding(4, 2).forward(np.array([4])), r"ids must lie in \[0, 4\)"),
        (lambda: numerical_gradient(lambda: 0.0, [1.0]), "x must be a float ndarray"),
    ],
)
def test_bad_input_raises_clear_value_error(build, match):
    with pytest.raises(ValueError, match=match):
        build()
