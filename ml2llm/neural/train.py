"""A mini-batch training loop for classifiers built from :mod:`ml2llm.neural.layers`.

``fit_classifier(model, X, y, optimizer, ...)`` shuffles with a seeded generator, runs
forward → loss → backward → (clip) → step per mini-batch, and returns a history of per-step
losses and per-epoch accuracies. Dropout/BatchNorm are put in training mode for the updates and
evaluation mode for :func:`predict`.

>>> import numpy as np
>>> from ml2llm.neural.model import make_mlp
>>> from ml2llm.neural.optim import Adam
>>> X = np.random.default_rng(0).normal(size=(64, 2)); y = (X[:, 0] > 0).astype(int)
>>> net = make_mlp([2, 16, 2], random_state=0)
>>> hist = fit_classifier(net, X, y, Adam(net.parameters(), lr=0.05), epochs=20, batch_size=16)
>>> accuracy(net, X, y) > 0.9
True
"""

from __future__ import annotations

import numpy as np

from ml2llm.neural.losses import SoftmaxCrossEntropy, softmax
from ml2llm.neural.optim import clip_grad_norm

__all__ = ["accuracy", "fit_classifier", "iterate_minibatches", "predict", "predict_proba"]


def iterate_minibatches(n, batch_size, rng):
    """Index arrays covering ``range(n)`` in a random order, ``batch_size`` at a time."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def _check_xy(X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n_samples, n_features), got shape {X.shape}")
    if y.shape != (X.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(
            f"y must be an integer array of shape ({X.shape[0]},), got {y.dtype} {y.shape}"
        )
    return X, y


def fit_classifier(
    model,
    X,
    y,
    optimizer,
    epochs=10,
    batch_size=64,
    X_val=None,
    y_val=None,
    clip=None,
    random_state=0,
    callback=None,
):
    """Train ``model`` (logits out) with softmax cross-entropy; returns a history dict.

    History keys: ``loss`` (every step), ``epoch_loss``, ``train_acc`` and, with validation
    data, ``val_acc`` (every epoch). ``clip`` is a max gradient norm. ``callback(epoch, history)``
    runs after each epoch; returning ``True`` stops training.
    """
    X, y = _check_xy(X, y)
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    rng = np.random.default_rng(random_state)
    loss_fn = SoftmaxCrossEntropy()
    hist = {"loss": [], "epoch_loss": [], "train_acc": [], "val_acc": []}
    for epoch in range(epochs):
        model.train()
        losses = []
        for idx in iterate_minibatches(len(X), batch_size, rng):
            logits = model.forward(X[idx])
            loss = loss_fn.forward(logits, y[idx])
            model.backward(loss_fn.backward())
            if clip is not None:
                clip_grad_norm(model.parameters(), clip)
            optimizer.step()
            losses.append(loss)
        hist["loss"].extend(losses)
        hist["epoch_loss"].append(float(np.mean(losses)))
        hist["train_acc"].append(accuracy(model, X, y))
        if X_val is not None:
            hist["val_acc"].append(accuracy(model, X_val, y_val))
        if callback is not None and callback(epoch, hist):
            break
    model.eval()
    return hist


def predict_proba(model, X, batch_size=1024):
    """Class probabilities in evaluation mode (restores the previous mode)."""
    was_training = model.training
    model.eval()
    try:
        out = [
            softmax(model.forward(np.asarray(X[i : i + batch_size], dtype=float)))
            for i in range(0, len(X), batch_size)
        ]
    finally:
        model.train(was_training)
    return np.concatenate(out)


def predict(model, X):
    return predict_proba(model, X).argmax(axis=1)


def accuracy(model, X, y):
    return float(np.mean(predict(model, X) == np.asarray(y)))
