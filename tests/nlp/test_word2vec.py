"""Skip-gram with negative sampling vs gensim Word2Vec on the offline Shakespeare corpus."""

import numpy as np
import pytest

from ml2llm.data.shakespeare import load_corpus
from ml2llm.nlp.word2vec import (
    NegativeSampler,
    SkipGramNS,
    context_pairs,
    keep_probability,
    negative_distribution,
    scatter_add,
    sgns_loss_and_grads,
    tokenize_lines,
)

gensim_models = pytest.importorskip("gensim.models")


@pytest.fixture(scope="module")
def sentences():
    return tokenize_lines(load_corpus()[:800_000])


@pytest.fixture(scope="module")
def gensim_vocab(sentences):
    g = gensim_models.Word2Vec(sg=1, min_count=5, sample=1e-3, ns_exponent=0.75, workers=1)
    g.build_vocab(sentences)
    return g


def test_vocab_and_keep_probability_equal_gensim(sentences, gensim_vocab):
    m = SkipGramNS(min_count=5).build_vocab(sentences)
    wv = gensim_vocab.wv
    assert set(m.vocab_) == set(wv.index_to_key)  # same min_count filter on the same tokens
    assert all(m.counts_[m.index_[w]] == wv.get_vecattr(w, "count") for w in wv.index_to_key)
    ours = keep_probability(m.counts_, 1e-3)
    theirs = np.array([wv.get_vecattr(w, "sample_int") for w in m.vocab_]) / 2**32
    # gensim stores round(p * 2^32) as an int: agreement to 1 unit in 2^32 (~2.3e-10)
    np.testing.assert_allclose(ours, theirs, atol=3e-10)
    assert ours.min() < 0.25 and ours.max() == 1.0  # "the" is kept only ~20% of the time


def test_negative_distribution_equals_gensim_cum_table(sentences, gensim_vocab):
    wv = gensim_vocab.wv
    counts = np.array([wv.get_vecattr(w, "count") for w in wv.index_to_key], dtype=float)
    ours = negative_distribution(counts, 0.75)
    cum = gensim_vocab.cum_table.astype(float)
    theirs = np.diff(np.r_[0.0, cum]) / cum[-1]
    # gensim rounds the cumulative sums to ints in [0, 2^31 - 1]: error ~1 / 2^31 per entry
    np.testing.assert_allclose(ours, theirs, atol=2e-9)


def test_negative_sampler_frequencies():
    counts = np.array([1000.0, 100.0, 10.0, 1.0])
    sampler = NegativeSampler(counts)
    draws = sampler.sample(400_000, np.random.default_rng(0))
    freq = np.bincount(draws, minlength=4) / len(draws)
    p = negative_distribution(counts)
    # 400k draws: standard error sqrt(p(1-p)/n) <= 8e-4; 5 sigma = 4e-3
    np.testing.assert_allclose(freq, p, atol=4e-3)
    assert abs(freq[0] - counts[0] / counts.sum()) > 0.05  # clearly not the raw unigram


def test_dynamic_window_weights_near_words_more():
    rng = np.random.default_rng(0)
    n, W = 20_000, 5
    c, o = context_pairs(np.arange(n), rng.integers(1, W + 1, size=n))
    dist = np.abs(c - o)
    freq = np.bincount(dist, minlength=W + 1)[1:] / (2 * n)
    # offset k is used when b >= k: probability (W - k + 1) / W
    np.testing.assert_allclose(freq, (W - np.arange(1, W + 1) + 1) / W, atol=0.01)


def test_sgns_gradients_by_finite_differences():
    rng = np.random.default_rng(1)
    v, u = rng.normal(size=(2, 3, 4))
    neg = rng.normal(size=(3, 2, 4))
    _, grads = sgns_loss_and_grads(v, u, neg)
    for x, g in zip((v, u, neg), grads):
        num = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + 1e-6
            lp = sgns_loss_and_grads(v, u, neg)[0]
            x[i] = old - 1e-6
            lm = sgns_loss_and_grads(v, u, neg)[0]
            x[i] = old
            num[i] = (lp - lm) / 2e-6
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)  # float64 central differences


def test_fast_update_equals_simple_update():
    rng = np.random.default_rng(2)
    m = SkipGramNS(vector_size=6, min_count=1)
    m.vectors_ = rng.normal(size=(7, 6)).astype(np.float32)
    m.context_vectors_ = rng.normal(size=(7, 6)).astype(np.float32)
    m.loss_history_, m._n_updates = [], 0
    c, o = np.array([0, 0, 3, 5]), np.array([1, 2, 1, 1])
    neg = rng.integers(0, 7, size=(4, 3))
    V0, U0 = m.vectors_.astype(float), m.context_vectors_.astype(float)
    _, (dv, du, dn) = sgns_loss_and_grads(V0[c], U0[o], U0[neg])
    V1 = scatter_add(V0, c, -0.1 * dv)
    U1 = scatter_add(U0, np.r_[o, neg.ravel()], -0.1 * np.r_[du, dn.reshape(-1, 6)])
    m._update(c, o, neg, 0.1)
    np.testing.assert_allclose(m.vectors_, V1, rtol=1e-5, atol=1e-6)  # float32 storage
    np.testing.assert_allclose(m.context_vectors_, U1, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_neighbours_agree_with_gensim_about_as_well_as_gensim_with_itself(sentences):
    kw = dict(vector_size=32, window=5, negative=5, sample=1e-3, min_count=5, epochs=3)
    ours = SkipGramNS(**kw, random_state=0).fit(sentences)
    g0 = gensim_models.Word2Vec(sentences, sg=1, workers=1, seed=0, **kw)
    g1 = gensim_models.Word2Vec(sentences, sg=1, workers=1, seed=1, **kw)
    words = ours.vocab_[40:240:10]  # 20 frequent content words

    def top(model, w):
        if isinstance(model, SkipGramNS):
            return {x for x, _ in model.most_similar(w, 10)}
        return {x for x, _ in model.wv.most_similar(w, topn=10)}

    ours_vs_g = np.mean([len(top(ours, w) & top(g0, w)) / 10 for w in words])
    g_vs_g = np.mean([len(top(g0, w) & top(g1, w)) / 10 for w in words])
    # two gensim seeds share ~50% of top-10 neighbours on this slice; ours must reach 70% of that
    assert ours_vs_g >= 0.7 * g_vs_g, (ours_vs_g, g_vs_g)
    assert ours_vs_g > 0.25
    assert ours.loss_history_[-1] < 0.75 * ours.loss_history_[0]  # 4.16 (= 6 ln 2) at init


@pytest.mark.parametrize(
    "fn, match",
    [
        (lambda: negative_distribution(np.array([])), "non-empty"),
        (lambda: keep_probability(np.array([1.0, 0.0])), "positive"),
        (lambda: context_pairs(np.arange(3), np.ones(2, int)), "same length"),
        (lambda: SkipGramNS(window=0).fit([["a", "b"]]), "window"),
        (lambda: SkipGramNS(min_count=5).fit([["a", "b"]]), "min_count"),
        (lambda: SkipGramNS().fit("a text, not sentences"), "list of token lists"),
        (
            lambda: SkipGramNS(min_count=1, epochs=1).fit([["a", "b"]]).most_similar("zzz"),
            "not in the vocabulary",
        ),
        (lambda: tokenize_lines(3), "text must be a str"),
    ],
)
def test_bad_input_gives_clear_value_error(fn, match):
    with pytest.raises(ValueError, match=match):
        fn()
