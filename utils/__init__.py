"""The seed's documented helper API, as thin re-exports of the ``ml2llm`` library.

``utils.device``, ``utils.path_helpers``, ``utils.metrics``, ``utils.visualization`` and
``utils.data_generators`` keep the import paths the course material uses; the single
implementation of each lives in ``ml2llm``.
"""
