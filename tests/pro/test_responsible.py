"""ml2llm.pro.responsible against fairlearn, shap, scikit-learn and first principles."""

import numpy as np
import pytest

from ml2llm.classical.logistic_regression import LogisticRegression
from ml2llm.pro import responsible as r


@pytest.fixture(scope="module")
def loans():
    X, y, group, y_fair = r.make_loans(1500, bias=1.0, random_state=0)
    clf = LogisticRegression().fit(X, y)
    return X, y, group, y_fair, clf


def test_fairness_metrics_equal_fairlearn(loans):
    fm = pytest.importorskip("fairlearn.metrics")
    X, y, group, y_fair, clf = loans
    pred = clf.predict(X)
    rng = np.random.default_rng(0)
    three = rng.integers(0, 3, len(y))
    for s in (group, three, np.where(group == 1, "b", "a")):
        # same counts divided the same way: equal to floating-point rounding
        assert r.demographic_parity_difference(pred, s) == pytest.approx(
            fm.demographic_parity_difference(y, pred, sensitive_features=s), abs=1e-12
        )
        assert r.equalized_odds_difference(y_fair, pred, s) == pytest.approx(
            fm.equalized_odds_difference(y_fair, pred, sensitive_features=s), abs=1e-12
        )
    # the model learned the historical bias: group 1 is approved far less often
    assert r.demographic_parity_difference(pred, group) > 0.15


def test_reweighing_makes_label_independent_of_group(loans):
    X, y, group, _, _ = loans
    w = r.reweighing_weights(y, group)
    for g in (0, 1):
        m = group == g
        # weighted positive rate in each group equals the overall positive rate
        assert np.average(y[m], weights=w[m]) == pytest.approx(y.mean(), rel=1e-12)
        assert w[m].sum() == pytest.approx(m.sum(), rel=1e-12)


def test_mitigations_reduce_disparity(loans):
    X, y, group, _, clf = loans
    before = r.demographic_parity_difference(clf.predict(X), group)
    reweighed = LogisticRegression().fit(X, y, sample_weight=r.reweighing_weights(y, group))
    # measured: 0.17 -> 0.12; reweighing balances P(Y | A) but the other features still
    # carry part of the bias, so it is a partial fix (the notebook shows this)
    assert r.demographic_parity_difference(reweighed.predict(X), group) < 0.8 * before
    assert abs(reweighed.coef_[0, -1]) < 0.8 * abs(clf.coef_[0, -1])
    scores = clf.predict_proba(X)[:, 1]
    t = r.group_thresholds(scores, group, rate=0.4)
    pred = r.apply_group_thresholds(scores, group, t)
    # quantile thresholds hit the target rate up to ties (continuous scores: 1 sample)
    for g in (0, 1):
        assert abs(pred[group == g].mean() - 0.4) <= 1.5 / (group == g).sum()
    t_eo = r.group_thresholds(scores, group, rate=0.8, y_true=y)
    pred = r.apply_group_thresholds(scores, group, t_eo)
    for g in (0, 1):
        assert (
            abs(pred[(group == g) & (y == 1)].mean() - 0.8) <= 1.5 / ((group == g) & (y == 1)).sum()
        )


def test_permutation_importance_agrees_with_sklearn(loans):
    from sklearn.inspection import permutation_importance

    X, y, _, _, clf = loans
    ours = r.permutation_importance(lambda A, b: clf.score(A, b), X, y, n_repeats=20)
    ref = permutation_importance(clf, X, y, n_repeats=20, random_state=0)
    # different random shuffles: compare means within 4 combined standard errors (+ 0.002)
    se = np.sqrt((ours["importances_std"] ** 2 + ref.importances_std**2) / 20)
    assert np.all(np.abs(ours["importances_mean"] - ref.importances_mean) <= 4 * se + 2e-3)
    assert np.argmax(ours["importances_mean"]) == np.argmax(ref.importances_mean)
    # fixed permutations: identical to the explicit definition
    perms = np.array([np.roll(np.arange(len(y)), k) for k in (1, 7)])
    fixed = r.permutation_importance(lambda A, b: clf.score(A, b), X, y, permutations=perms)
    Xp = X.copy()
    Xp[:, 0] = X[perms[1], 0]
    assert fixed["importances"][0, 1] == clf.score(X, y) - clf.score(Xp, y)


def test_kernel_shap_equals_shap_kernel_explainer(loans):
    shap = pytest.importorskip("shap")
    X, y, _, _, _ = loans
    clf = LogisticRegression().fit(X[:, :4], y)

    def f(Z):
        return clf.predict_proba(Z)[:, 1]

    background = X[:25, :4]
    explainer = shap.KernelExplainer(f, background)
    for i in (100, 200, 300):
        phi, phi0 = r.kernel_shap(f, X[i, :4], background)
        ref = explainer.shap_values(X[i : i + 1, :4], nsamples=2**4 + 50, silent=True)[0]
        # both enumerate all 14 proper coalitions and solve the same least squares: 1e-8
        assert phi == pytest.approx(ref, abs=1e-8)
        assert phi0 == pytest.approx(float(explainer.expected_value), abs=1e-12)
        assert phi.sum() + phi0 == pytest.approx(f(X[i : i + 1, :4])[0], abs=1e-12)


def test_kernel_shap_of_linear_model_is_exact():
    rng = np.random.default_rng(1)
    B, x, w = rng.normal(size=(30, 5)), rng.normal(size=5), rng.normal(size=5)
    phi, phi0 = r.kernel_shap(lambda Z: Z @ w + 2.0, x, B)
    # for a linear model the SHAP value is w_j (x_j − E[b_j]) exactly
    assert phi == pytest.approx(w * (x - B.mean(axis=0)), abs=1e-10)
    assert phi0 == pytest.approx(B.mean(axis=0) @ w + 2.0, abs=1e-12)


def test_randomized_response_is_unbiased_and_private():
    truth = (np.random.default_rng(2).uniform(size=200_000) < 0.3).astype(int)
    noisy = r.randomized_response(truth, p_truth=0.5, random_state=3)
    # standard error of the estimate: sqrt(0.25/n)/p ≈ 0.0022; allow 4 of them
    assert r.rr_estimate(noisy, 0.5) == pytest.approx(0.3, abs=0.009)
    # P(yes | truth yes) / P(yes | truth no) = (p + (1-p)/2) / ((1-p)/2) = e^eps
    assert np.exp(r.rr_epsilon(0.5)) == pytest.approx(0.75 / 0.25)


def test_per_example_gradients_average_to_the_batch_gradient():
    from ml2llm.neural.losses import SoftmaxCrossEntropy
    from ml2llm.neural.model import make_mlp

    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(16, 3)), rng.integers(0, 3, 16)
    net = make_mlp([3, 8, 3], random_state=0)
    per = r.per_example_gradients(net, X, y)
    loss = SoftmaxCrossEntropy()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    for p, g in zip(net.parameters(), per):
        assert g.shape == (16, *p.shape)
        assert g.mean(axis=0) == pytest.approx(p.grad, abs=1e-12)


def test_dp_aggregate_bounds_each_example_and_epsilon_matches_rdp():
    G = np.random.default_rng(5).normal(size=(50, 7)) * 10
    out = r.dp_aggregate(G, clip_norm=1.0, noise_multiplier=0.0, noise=np.zeros(7))
    # replacing one example moves the sum by at most 2C: the sensitivity DP relies on
    G2 = G.copy()
    G2[0] = -1000.0
    out2 = r.dp_aggregate(G2, clip_norm=1.0, noise_multiplier=0.0, noise=np.zeros(7))
    assert np.linalg.norm((out - out2) * 50) <= 2.0 + 1e-12
    # zCDP closed form = RDP curve eps(a) = T a / (2 s^2) + log(1/d)/(a-1) minimised over a
    alphas = np.linspace(1.001, 500, 2_000_000)
    for sigma, steps in [(1.0, 10), (4.0, 200), (20.0, 500)]:
        rdp = steps * alphas / (2 * sigma**2) + np.log(1e5) / (alphas - 1)
        assert r.dp_epsilon(sigma, steps, 1e-5) == pytest.approx(rdp.min(), rel=1e-4)


def test_membership_auc_equals_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(6)
    a, b = rng.exponential(0.5, 300), rng.exponential(1.0, 200)
    res = r.membership_inference(a, b)
    labels = np.r_[np.ones(300), np.zeros(200)]
    assert res["auc"] == pytest.approx(roc_auc_score(labels, -np.r_[a, b]), abs=1e-12)
    assert 0 < res["advantage"] < 1


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: r.demographic_parity_difference([0, 2], [0, 1]), "y_pred must hold only 0 and 1"),
        (
            lambda: r.equalized_odds_difference([0, 1], [0, 1], [0]),
            r"sensitive must have shape \(2,\)",
        ),
        (lambda: r.group_thresholds([0.1, 0.2], [0, 1], rate=1.5), "rate must be in"),
        (lambda: r.apply_group_thresholds([0.1, 0.2], [0, 1], {0: 0.5}), "no entry for group"),
        (lambda: r.kernel_shap(lambda Z: Z[:, 0], np.ones(3), np.ones((4, 2))), "same M"),
        (lambda: r.dp_aggregate(np.ones((3, 2)), 0.0, 1.0, np.zeros(2)), "clip_norm must be"),
        (lambda: r.dp_epsilon(1.0, 0, 1e-5), "steps must be"),
        (
            lambda: r.permutation_importance(None, np.ones((3, 2)), None, permutations=[[0, 1]]),
            "permutations must have shape",
        ),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
