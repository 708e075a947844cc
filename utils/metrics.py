"""Evaluation metrics written from scratch; see :mod:`ml2llm.metrics`."""

from ml2llm.metrics import accuracy, mae, mse, r2_score, rmse  # noqa: F401
