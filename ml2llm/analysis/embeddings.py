"""Embedding geometry: PCA, cosine similarity, nearest tokens, similarity within groups.

A random-init embedding matrix is isotropic noise: every pair of tokens has cosine
similarity near 0 and no direction explains much variance. Pretraining arranges it: tokens
used alike (vowels, upper- and lower-case of one letter, punctuation) move together. These
functions measure that.

- :func:`pca` — projection on the top principal components and their explained-variance
  ratios (the same numbers as :class:`sklearn.decomposition.PCA`, up to each component's sign).
- :func:`cosine_similarity_matrix` — all pairwise cosines of the rows.
- :func:`nearest_tokens` — the ``k`` rows most cosine-similar to one row.
- :func:`group_similarity` — mean cosine within groups of tokens versus between them.

What it does not do: t-SNE/UMAP, or analogies (those need a word-level vocabulary).

>>> import numpy as np
>>> cosine_similarity_matrix(np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]]))[0]
array([1., 1., 0.])
"""

from __future__ import annotations

import numpy as np


def _matrix(E, name="E"):
    if hasattr(E, "detach"):
        E = E.detach().cpu().numpy()
    E = np.asarray(E, dtype=np.float64)
    if E.ndim != 2 or E.shape[0] < 1:
        raise ValueError(f"{name} must be a 2-D array (n_tokens, dim), got shape {E.shape}")
    if not np.all(np.isfinite(E)):
        raise ValueError(f"{name} must hold finite numbers")
    return E


def pca(E, n_components: int = 2):
    """``(projected (n, k), explained_variance_ratio (k,))`` of the centred rows of ``E``.

    Signs are fixed so the largest-magnitude loading of each component is positive.
    """
    E = _matrix(E)
    k = n_components
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= min(E.shape):
        raise ValueError(f"n_components must be an int in [1, {min(E.shape)}], got {k!r}")
    X = E - E.mean(axis=0)
    _, s, vt = np.linalg.svd(X, full_matrices=False)
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1
    vt = vt * signs[:, None]
    var = s**2
    total = var.sum()
    ratio = var / total if total > 0 else np.zeros_like(var)
    return X @ vt[:k].T, ratio[:k]


def cosine_similarity_matrix(E, eps: float = 1e-12):
    """``S[i, j] = E_i · E_j / (|E_i| |E_j|)`` (rows of zero norm get similarity 0)."""
    E = _matrix(E)
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    U = E / np.maximum(norms, eps)
    return U @ U.T


def nearest_tokens(E, index: int, k: int = 5):
    """``(indices, similarities)`` of the ``k`` rows most cosine-similar to row ``index``.

    The row itself is excluded; ties are broken by the lower index.
    """
    E = _matrix(E)
    n = E.shape[0]
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise ValueError(f"index must be an int in [0, {n}), got {index!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < n:
        raise ValueError(f"k must be an int in [1, {n - 1}], got {k!r}")
    sims = cosine_similarity_matrix(E)[index]
    order = [j for j in np.lexsort((np.arange(n), -sims)) if j != index][:k]
    return np.array(order), sims[order]


def group_similarity(E, labels) -> dict:
    """Mean cosine similarity of pairs in the same group and of pairs in different groups.

    ``labels`` gives one group per row; rows labelled ``None`` are left out. Returns
    ``{"within": float, "between": float, "gap": within - between}``.
    """
    E = _matrix(E)
    labels = list(labels)
    if len(labels) != E.shape[0]:
        raise ValueError(
            f"labels must have one entry per row of E ({E.shape[0]}), got {len(labels)}"
        )
    keep = [i for i, lab in enumerate(labels) if lab is not None]
    lab = np.array([labels[i] for i in keep], dtype=object)
    S = cosine_similarity_matrix(E[keep])
    same = lab[:, None] == lab[None, :]
    off = ~np.eye(len(keep), dtype=bool)
    if not (same & off).any() or not (~same).any():
        raise ValueError("labels must give at least one pair within a group and one between groups")
    within = float(S[same & off].mean())
    between = float(S[~same].mean())
    return {"within": within, "between": between, "gap": within - between}
