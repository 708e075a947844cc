"""Synthetic datasets with known ground truth; see :mod:`ml2llm.data.generators`."""

from ml2llm.data.generators import (  # noqa: F401
    make_blobs,
    make_circles,
    make_linear,
    make_moons,
    make_polynomial,
    make_spirals,
    make_xor,
)
