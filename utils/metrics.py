"""Evaluation metrics written from scratch; see :mod:`ml2llm.metrics`."""

from ml2llm.metrics import (  # noqa: F401
    accuracy,
    accuracy_score,
    auc,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    mae,
    mse,
    precision_recall_curve,
    precision_recall_fscore_support,
    precision_score,
    r2_score,
    recall_score,
    rmse,
    roc_auc_score,
    roc_curve,
)
