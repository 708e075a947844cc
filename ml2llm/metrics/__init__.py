"""Evaluation metrics written from scratch (NumPy). Regression metrics live in
:mod:`ml2llm.metrics.regression`; classification metrics (Project 07) in
:mod:`ml2llm.metrics.classification`."""

from ml2llm.metrics.classification import (
    UndefinedMetricWarning,
    accuracy_score,
    auc,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from ml2llm.metrics.regression import mae, mse, r2_score, rmse

__all__ = [
    "mae",
    "mse",
    "r2_score",
    "rmse",
    "accuracy",
    "UndefinedMetricWarning",
    "accuracy_score",
    "auc",
    "average_precision_score",
    "brier_score_loss",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "precision_recall_curve",
    "precision_recall_fscore_support",
    "precision_score",
    "recall_score",
    "roc_auc_score",
    "roc_curve",
]


def accuracy(y_true, y_pred):
    """Fraction of exact matches."""
    import numpy as np

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}"
        )
    return float(np.mean(y_true == y_pred))
