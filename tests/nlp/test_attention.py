"""NumPy attention vs torch SDPA and nn.MultiheadAttention (same inputs, copied weights).

Tolerances: everything runs in float64 on both sides, so forward and backward agree to ~1e-12;
we allow 1e-9 (rtol and atol) for summation-order differences. Gradient checks use central
differences with h = 1e-6 in float64: truncation + rounding error ~1e-8 relative.
"""

import numpy as np
import pytest
import torch

from ml2llm.nlp.attention import (
    MultiHeadAttention,
    attention_backward,
    causal_mask,
    merge_heads,
    padding_mask,
    scaled_dot_product_attention,
    softmax,
    split_heads,
)

TOL = dict(rtol=1e-9, atol=1e-9)


def _t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _numgrad(f, x, h=1e-6):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def test_softmax_is_stable_and_matches_torch():
    x = np.array([[1000.0, 1001.0, 999.0], [-1e4, 0.0, 3.0]])
    ours = softmax(x)
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, torch.softmax(_t(x), -1).numpy(), **TOL)
    assert np.allclose(softmax(x, axis=0).sum(0), 1)
    assert (softmax(np.zeros(3), where=np.zeros(3, bool)) == 0).all()


def test_causal_and_padding_masks():
    m = causal_mask(4)
    assert m.dtype == bool and m[0].tolist() == [True, False, False, False] and m[3].all()
    assert causal_mask(2, 4).tolist() == [[True, True, True, False], [True, True, True, True]]
    pm = padding_mask(np.array([2, 4]), 4)
    assert pm.shape == (2, 1, 1, 4) and pm[0, 0, 0].tolist() == [True, True, False, False]


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_forward_backward_equal_torch(causal):
    rng = np.random.default_rng(0)
    B, H, T, d = 3, 2, 6, 5
    q, k, v = rng.normal(size=(3, B, H, T, d))
    lengths = np.array([6, 4, 5])
    mask = padding_mask(lengths, T)  # right padding: query rows always see key 0
    out, w = scaled_dot_product_attention(q, k, v, mask=mask, causal=causal)
    tq, tk, tv = _t(q, True), _t(k, True), _t(v, True)
    tmask = torch.tensor(mask & (causal_mask(T) if causal else True))
    tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tmask)
    np.testing.assert_allclose(out, tout.detach().numpy(), **TOL)
    dout = rng.normal(size=out.shape)
    tout.backward(_t(dout))
    for ours, theirs in zip(attention_backward(dout, q, k, v, w), (tq, tk, tv)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), **TOL)
    assert np.allclose(w[1, :, :, 4:], 0)  # padded keys get no weight


def test_sdpa_cross_attention_shapes_and_torch():
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 7, 4)), rng.normal(size=(2, 7, 9))
    out, w = scaled_dot_product_attention(q, k, v, causal=True)
    ref = torch.nn.functional.scaled_dot_product_attention(
        _t(q), _t(k), _t(v), attn_mask=torch.tensor(causal_mask(3, 7))
    )
    assert out.shape == (2, 3, 9) and w.shape == (2, 3, 7)
    np.testing.assert_allclose(out, ref.numpy(), **TOL)


def test_attention_backward_gradient_check():
    rng = np.random.default_rng(2)
    q, k, v = rng.normal(size=(3, 2, 4, 3))
    c = rng.normal(size=(2, 4, 3))
    mask = causal_mask(4)

    def loss():
        return float(np.sum(scaled_dot_product_attention(q, k, v, mask=mask)[0] * c))

    _, w = scaled_dot_product_attention(q, k, v, mask=mask)
    grads = attention_backward(c, q, k, v, w)
    for x, g in zip((q, k, v), grads):
        np.testing.assert_allclose(g, _numgrad(loss, x), rtol=1e-6, atol=1e-8)


def test_split_merge_heads_round_trip():
    x = np.arange(2 * 3 * 8, dtype=float).reshape(2, 3, 8)
    h = split_heads(x, 4)
    assert h.shape == (2, 4, 3, 2) and h[0, 1, 0].tolist() == [2.0, 3.0]
    np.testing.assert_array_equal(merge_heads(h), x)


@pytest.mark.parametrize("self_attn", [True, False])
def test_multihead_equals_torch_forward_and_backward(self_attn):
    torch.manual_seed(0)
    D, H, B, T, S = 8, 2, 3, 5, 5 if self_attn else 7
    tm = torch.nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # non-zero biases so a bias bug cannot hide
        tm.in_proj_bias.normal_()
        tm.out_proj.bias.normal_()
    ours = MultiHeadAttention.from_torch(tm)
    rng = np.random.default_rng(3)
    xq = rng.normal(size=(B, T, D))
    xkv = xq if self_attn else rng.normal(size=(B, S, D))
    lengths = np.array([S, S - 1, S - 2])
    causal = self_attn
    out = ours.forward(xq, None if self_attn else xkv, mask=padding_mask(lengths, S), causal=causal)
    txq = _t(xq, True)
    txkv = txq if self_attn else _t(xkv, True)
    kpm = torch.tensor(~padding_mask(lengths, S)[:, 0, 0, :])  # torch MHA: True = ignore
    am = torch.tensor(~causal_mask(T, S)) if causal else None
    tout, tw = tm(txq, txkv, txkv, key_padding_mask=kpm, attn_mask=am, average_attn_weights=False)
    np.testing.assert_allclose(out, tout.detach().numpy(), **TOL)
    np.testing.assert_allclose(ours.weights_, tw.detach().numpy(), **TOL)
    dout = rng.normal(size=out.shape)
    tout.backward(_t(dout))
    dxq, dxkv = ours.backward(dout)
    np.testing.assert_allclose(dxq, txq.grad.numpy(), **TOL)
    if not self_attn:
        np.testing.assert_allclose(dxkv, txkv.grad.numpy(), **TOL)
    D_ = D
    W = tm.in_proj_weight.grad.numpy()
    bgrad = tm.in_proj_bias.grad.numpy()
    for i, n in enumerate("qkv"):
        np.testing.assert_allclose(ours.grads[f"W_{n}"], W[i * D_ : (i + 1) * D_].T, **TOL)
        np.testing.assert_allclose(ours.grads[f"b_{n}"], bgrad[i * D_ : (i + 1) * D_], **TOL)
    np.testing.assert_allclose(ours.grads["W_o"], tm.out_proj.weight.grad.numpy().T, **TOL)
    np.testing.assert_allclose(ours.grads["b_o"], tm.out_proj.bias.grad.numpy(), **TOL)


def test_multihead_gradient_check_on_parameters():
    mha = MultiHeadAttention(4, 2, random_state=0)
    rng = np.random.default_rng(4)
    x, c = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    for key in mha.params:
        mha.params[key] = mha.params[key] + 0.1 * rng.normal(size=mha.params[key].shape)

    def loss():
        return float(np.sum(mha.forward(x, causal=True) * c))

    loss()
    dx, _ = mha.backward(c)
    grads = dict(mha.grads)
    np.testing.assert_allclose(dx, _numgrad(loss, x), rtol=1e-6, atol=1e-8)
    for key in ("W_q", "b_k", "W_v", "W_o"):
        np.testing.assert_allclose(
            grads[key], _numgrad(loss, mha.params[key]), rtol=1e-6, atol=1e-8
        )


@pytest.mark.parametrize(
    "fn, match",
    [
        (
            lambda: scaled_dot_product_attention(np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 3))),
            "last dimension",
        ),
        (
            lambda: scaled_dot_product_attention(np.ones((2, 3)), np.ones((4, 3)), np.ones((5, 3))),
            "number of keys",
        ),
        (
            lambda: scaled_dot_product_attention(
                np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), mask=np.ones((2, 2))
            ),
            "boolean",
        ),
        (
            lambda: scaled_dot_product_attention(
                np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), mask=np.ones((3, 3), bool)
            ),
            "broadcast",
        ),
        (lambda: split_heads(np.ones((1, 2, 6)), 4), "n_heads"),
        (lambda: causal_mask(0), "positive int"),
        (lambda: MultiHeadAttention(6, 4), "dividing"),
        (lambda: MultiHeadAttention(4, 2).forward(np.ones((1, 2, 3))), "d_model=4"),
        (lambda: MultiHeadAttention(4, 2).backward(np.ones((1, 2, 4))), "forward before backward"),
    ],
)
def test_bad_input_gives_clear_value_error(fn, match):
    with pytest.raises(ValueError, match=match):
        fn()
