"""Neural networks from scratch in NumPy (Projects 11.5 and 11.75).

Every layer has an explicit ``forward`` and ``backward``; parameters are :class:`Parameter`
objects holding ``data`` and ``grad`` arrays, so optimizers and the gradient checker work on any
layer. Everything is float64 by default, which is what lets the tests prove gradients equal
PyTorch autograd to 1e-6 and better.

Modules: :mod:`~ml2llm.neural.init` (Xavier/He), :mod:`~ml2llm.neural.layers` (Linear,
activations, Dropout, BatchNorm1d, Embedding, Sequential), :mod:`~ml2llm.neural.losses`
(softmax cross-entropy), :mod:`~ml2llm.neural.optim` (SGD, momentum, Adam, clipping),
:mod:`~ml2llm.neural.gradcheck` (centred differences), :mod:`~ml2llm.neural.model` (MLP builder,
per-layer statistics), :mod:`~ml2llm.neural.train` (mini-batch training loop),
:mod:`~ml2llm.neural.lr_finder` (learning-rate range test), :mod:`~ml2llm.neural.rnn` (vanilla
RNN with BPTT, LSTM forward, char-RNN, sequence classifier).

Not here: convolutions, GPUs, automatic differentiation (Phase 2 switches to PyTorch for that).
"""
