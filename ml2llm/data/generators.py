"""Synthetic datasets with known ground truth, all seeded by ``random_state``.

Each generator returns ``(X, y)`` as NumPy arrays. Regression generators can also return the
true coefficients, so a learner can see how close a fit gets to the truth.

Not here: real datasets (use ``sklearn.datasets`` loaders, which ship with scikit-learn).

>>> X, y = make_moons(n_samples=10, noise=0.0, random_state=0)
>>> X.shape, sorted(set(y.tolist()))
((10, 2), [0, 1])
"""

from __future__ import annotations

import numpy as np


def _rng(random_state):
    return np.random.default_rng(random_state)


def _check_n(n_samples, name="n_samples"):
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"{name} must be a positive integer, got {n_samples!r}")
    return int(n_samples)


def _check_noise(noise):
    if not isinstance(noise, (int, float)) or noise < 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")
    return float(noise)


def make_linear(
    n_samples=100,
    n_features=1,
    noise=1.0,
    coef=None,
    intercept=0.0,
    scale=1.0,
    random_state=None,
    return_coef=False,
):
    """``y = X @ coef + intercept + noise·ε`` with ``X ~ N(0, scale²)``.

    ``scale`` may be a per-feature array, which makes badly scaled features on purpose.
    """
    n = _check_n(n_samples)
    d = _check_n(n_features, "n_features")
    noise = _check_noise(noise)
    rng = _rng(random_state)
    coef = rng.uniform(-3, 3, size=d) if coef is None else np.asarray(coef, dtype=float)
    if coef.shape != (d,):
        raise ValueError(f"coef must have shape ({d},), got {coef.shape}")
    X = rng.normal(size=(n, d)) * np.asarray(scale, dtype=float)
    y = X @ coef + intercept + noise * rng.normal(size=n)
    return (X, y, coef) if return_coef else (X, y)


def make_polynomial(
    n_samples=100,
    degree=3,
    noise=0.1,
    x_range=(-1.0, 1.0),
    coef=None,
    random_state=None,
    return_coef=False,
):
    """1-D ``y = Σ_k coef[k] x^k + noise·ε`` with ``x`` uniform on ``x_range``."""
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    rng = _rng(random_state)
    coef = rng.uniform(-2, 2, size=degree + 1) if coef is None else np.asarray(coef, dtype=float)
    x = rng.uniform(*x_range, size=n)
    y = np.polyval(coef[::-1], x) + noise * rng.normal(size=n)
    X = x[:, None]
    return (X, y, coef) if return_coef else (X, y)


def make_blobs(
    n_samples=200,
    centers=3,
    n_features=2,
    cluster_std=1.0,
    center_box=(-6.0, 6.0),
    random_state=None,
):
    """Gaussian clusters; ``centers`` is a count or an array of centre coordinates."""
    n = _check_n(n_samples)
    rng = _rng(random_state)
    if isinstance(centers, (int, np.integer)):
        centers = rng.uniform(*center_box, size=(int(centers), n_features))
    centers = np.asarray(centers, dtype=float)
    k = len(centers)
    y = np.arange(n) % k
    rng.shuffle(y)
    X = centers[y] + cluster_std * rng.normal(size=(n, centers.shape[1]))
    return X, y


def make_moons(n_samples=200, noise=0.1, random_state=None):
    """Two interleaving half circles (a classic non-linear binary problem)."""
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    rng = _rng(random_state)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n1)
    X = np.vstack(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    y = np.r_[np.zeros(n0, int), np.ones(n1, int)]
    X = X + noise * rng.normal(size=X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_circles(n_samples=200, noise=0.05, factor=0.5, random_state=None):
    """A small circle (class 1) inside a large one (class 0); ``0 < factor < 1``."""
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    rng = _rng(random_state)
    n0 = n // 2
    n1 = n - n0
    t0 = rng.uniform(0, 2 * np.pi, n0)
    t1 = rng.uniform(0, 2 * np.pi, n1)
    X = np.vstack(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            factor * np.column_stack([np.cos(t1), np.sin(t1)]),
        ]
    )
    y = np.r_[np.zeros(n0, int), np.ones(n1, int)]
    X = X + noise * rng.normal(size=X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_spirals(n_samples=300, n_classes=3, noise=0.2, turns=1.0, random_state=None):
    """``n_classes`` interleaved spiral arms (cs231n style); hard for linear models."""
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    rng = _rng(random_state)
    y = np.arange(n) % n_classes
    r = np.empty(n)
    theta = np.empty(n)
    for k in range(n_classes):
        idx = np.flatnonzero(y == k)
        r[idx] = np.linspace(0.05, 1.0, len(idx))
        theta[idx] = (
            np.linspace(0, 2 * np.pi * turns, len(idx))
            + 2 * np.pi * k / n_classes
            + noise * rng.normal(size=len(idx))
        )
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_xor(n_samples=200, noise=0.1, random_state=None):
    """Points in the four quadrants; the label is 1 when x₁·x₂ < 0 (not linearly separable).

    Classes are balanced: half the points in quadrants I/III (label 0), half in II/IV.
    """
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    rng = _rng(random_state)
    y = rng.permutation(np.arange(n) % 2)
    s1 = rng.choice([-1.0, 1.0], size=n)
    s2 = np.where(y == 0, s1, -s1)
    X = rng.uniform(0.05, 1, size=(n, 2)) * np.column_stack([s1, s2])
    X = X + noise * rng.normal(size=X.shape)
    return X, y
