"""Classical ML estimators written from scratch with scikit-learn's estimator API."""
