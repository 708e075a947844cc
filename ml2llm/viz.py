"""Plotting helpers shared by the notebooks: loss curves, decision boundaries, loss surfaces.

Each function draws on a Matplotlib ``Axes`` (a new figure when ``ax`` is None) and returns
it, so notebooks can compose figures. Matplotlib is imported lazily.
"""

from __future__ import annotations

import numpy as np


def _ax(ax, figsize=(6, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_loss_curves(histories: dict, ax=None, log=True, title="Training loss", xlabel="iteration"):
    """One line per ``label -> losses``; non-finite values (divergence) are cut off."""
    ax = _ax(ax)
    for label, losses in histories.items():
        losses = np.asarray(losses, dtype=float)
        finite = np.isfinite(losses)
        ax.plot(np.flatnonzero(finite), losses[finite], label=str(label))
    if log:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel="loss", title=title)
    ax.legend(fontsize=8)
    return ax


def plot_decision_boundary(
    predict, X, y, ax=None, resolution=200, padding=0.5, title=None, proba=False, cmap="coolwarm"
):
    """Colour the plane by ``predict`` (labels, or P(class 1) when ``proba``) and scatter (X, y)."""
    ax = _ax(ax, (5, 4))
    X = np.asarray(X)
    x0 = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, resolution)
    x1 = np.linspace(X[:, 1].min() - padding, X[:, 1].max() + padding, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    Z = np.asarray(predict(np.column_stack([g0.ravel(), g1.ravel()]))).reshape(g0.shape)
    if proba:
        ax.contourf(g0, g1, Z, levels=20, cmap=cmap, alpha=0.6)
        ax.contour(g0, g1, Z, levels=[0.5], colors="k", linewidths=1)
    else:
        ax.contourf(g0, g1, Z, alpha=0.35, cmap=cmap)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, edgecolors="k", s=18)
    if title:
        ax.set_title(title)
    return ax


def plot_loss_surface(
    loss_fn,
    w_range,
    b_range,
    path=None,
    ax=None,
    resolution=120,
    levels=30,
    title="Loss surface",
    labels=("w", "b"),
):
    """Contours of ``loss_fn(w, b)`` over a grid, with an optional optimisation ``path``.

    ``path`` is a sequence of ``(w, b)`` points drawn as a line with markers.
    """
    ax = _ax(ax, (5.5, 4.5))
    ws = np.linspace(*w_range, resolution)
    bs = np.linspace(*b_range, resolution)
    W, B = np.meshgrid(ws, bs)
    Z = np.vectorize(loss_fn)(W, B)
    cs = ax.contour(
        W, B, Z, levels=np.geomspace(max(Z.min(), 1e-9), Z.max(), levels), cmap="viridis"
    )
    ax.clabel(cs, cs.levels[::4], fontsize=6, fmt="%.2g")
    if path is not None:
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], "r.-", ms=4, lw=1, label="GD path")
        ax.plot(path[-1, 0], path[-1, 1], "r*", ms=10)
        ax.legend(fontsize=8)
    ax.set(xlabel=labels[0], ylabel=labels[1], title=title)
    return ax


def plot_predictions(y_true, y_pred, ax=None, title="Predicted vs true"):
    """Scatter of predictions against targets with the identity line."""
    ax = _ax(ax, (4.5, 4.5))
    ax.scatter(y_true, y_pred, s=10, alpha=0.6)
    lo, hi = float(np.min([y_true, y_pred])), float(np.max([y_true, y_pred]))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set(xlabel="true", ylabel="predicted", title=title)
    return ax
