"""Plotting helpers (loss curves, decision boundaries, loss surfaces); see :mod:`ml2llm.viz`."""

from ml2llm.viz import (  # noqa: F401
    plot_decision_boundary,
    plot_loss_curves,
    plot_loss_surface,
    plot_predictions,
)
