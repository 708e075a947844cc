"""The professional extension's library (Projects P1–P4).

- :mod:`ml2llm.pro.testing` — data validation, invariance/directional tests and training-code
  tests for the curriculum's own estimators (P1).
- :mod:`ml2llm.pro.mlops` — MLflow tracking in a local store, A/B test statistics, power,
  the peeking problem, drift monitoring with PSI and KS (P2).
- :mod:`ml2llm.pro.responsible` — fairness metrics and mitigation, permutation importance,
  Kernel SHAP, randomized response, DP-SGD and membership inference (P3).
- :mod:`ml2llm.pro.capstone` — the shipping checklist and the worked penguins example (P4).
"""
