"""Notebook sources → learner and solution notebooks, and their execution.

- :mod:`ml2llm.notebooks.source`: read a jupytext percent source, strip or keep solutions.
- :mod:`ml2llm.notebooks.execute`: run a notebook in a fresh kernel (quick mode for CI).
"""
