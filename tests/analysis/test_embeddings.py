"""Embedding geometry against scikit-learn (PCA, cosine similarity, nearest neighbours)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.neighbors import NearestNeighbors

from ml2llm.analysis import embeddings as E


def test_pca_matches_sklearn_on_digits():
    X = load_digits().data[:300]  # 300 x 64 real pixel vectors
    proj, ratio = E.pca(X, 5)
    ref = PCA(n_components=5, svd_solver="full").fit(X)
    # both are an SVD in float64: agreement to ~1e-10; components agree up to sign
    np.testing.assert_allclose(ratio, ref.explained_variance_ratio_, rtol=1e-10)
    ref_proj = ref.transform(X)
    signs = np.sign((proj * ref_proj).sum(axis=0))
    np.testing.assert_allclose(proj, ref_proj * signs, atol=1e-8)
    assert np.all(np.diff(ratio) <= 0)


def test_cosine_and_nearest_match_sklearn():
    X = load_digits().data[:200] + 0.1  # no all-zero row
    np.testing.assert_allclose(E.cosine_similarity_matrix(X), cosine_similarity(X), atol=1e-12)
    nn = NearestNeighbors(n_neighbors=6, metric="cosine", algorithm="brute").fit(X)
    _, ref = nn.kneighbors(X[17:18])
    idx, sims = E.nearest_tokens(X, 17, k=5)
    assert 17 not in idx
    assert set(idx) == set(ref[0]) - {17}
    assert np.all(np.diff(sims) <= 0)


def test_group_similarity_on_built_clusters():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 3
    X = np.concatenate([c + rng.normal(size=(10, 16)) for c in centres])
    labels = [i // 10 for i in range(30)]
    g = E.group_similarity(X, labels)
    assert g["gap"] == pytest.approx(g["within"] - g["between"])
    assert g["within"] > 0.8 and g["gap"] > 0.5  # tight clusters: cos ~ 0.9 within
    # shuffled labels destroy the structure
    g2 = E.group_similarity(X, list(rng.permutation(labels)))
    assert abs(g2["gap"]) < 0.2
    # a tiny example computed by hand: rows 0,1 the same direction, row 2 orthogonal
    small = E.group_similarity(
        np.array([[1.0, 0], [2.0, 0], [0, 1.0], [5.0, 5.0]]), ["a", "a", "b", None]
    )
    assert small["within"] == pytest.approx(1.0) and small["between"] == pytest.approx(0.0)


def test_bad_input():
    with pytest.raises(ValueError, match="n_components"):
        E.pca(np.ones((5, 3)), 4)
    with pytest.raises(ValueError, match="2-D"):
        E.cosine_similarity_matrix(np.ones(3))
    with pytest.raises(ValueError, match="index"):
        E.nearest_tokens(np.ones((4, 2)), 4)
    with pytest.raises(ValueError, match="labels"):
        E.group_similarity(np.ones((3, 2)), [0, 1])
