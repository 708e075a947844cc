"""The simulated bias–variance decomposition matches analytic expectations."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.linear_model import Ridge as SkRidge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from threadpoolctl import threadpool_limits

from ml2llm.classical.bias_variance import (
    bias_variance,
    decompose,
    estimator_fit_predict,
    learning_curve,
    polynomial_fit_predict,
    simulate_predictions,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with threadpool_limits(1):
        yield


def wave(x):
    return np.sin(2.5 * x) + 0.5 * x


def test_ols_fixed_design_variance_is_sigma2_p_over_n():
    # Theory: with a fixed design and the correct model (p parameters), the in-sample
    # prediction covariance is σ²H (H the hat matrix), whose mean diagonal is σ²·p/n, and the
    # bias is 0.
    n, sigma, degree = 20, 0.5, 2
    x = np.linspace(-1, 1, n)
    f = lambda t: 1.0 - t + 2 * t**2
    res = decompose(
        polynomial_fit_predict(degree),
        f,
        x,
        n_train=n,
        n_datasets=4000,
        noise_std=sigma,
        seed=0,
        x_train=x,
    )
    expected = sigma**2 * (degree + 1) / n  # 0.0375
    # Monte-Carlo relative standard error of a variance from 4000 draws ≈ √(2/4000) = 2.2%;
    # 8% is > 3 standard errors.
    assert res.variance == pytest.approx(expected, rel=0.08)
    assert res.bias2 < 1e-4  # only Monte-Carlo error in the mean: ≈ variance/4000


def test_constant_model_bias_and_variance():
    # Degree 0 predicts mean(y). Fixed design x: bias² = mean_x (f(x) − mean f(x_train))²
    # exactly, variance = σ²/n exactly.
    n, sigma = 25, 0.4
    x = np.linspace(-1, 1, n)
    res = decompose(
        polynomial_fit_predict(0),
        wave,
        x,
        n_train=n,
        n_datasets=3000,
        noise_std=sigma,
        seed=1,
        x_train=x,
    )
    assert res.bias2 == pytest.approx(np.mean((wave(x) - wave(x).mean()) ** 2), rel=0.01)
    assert res.variance == pytest.approx(sigma**2 / n, rel=0.1)  # 3000 draws: SE 2.6%


@pytest.mark.parametrize("degree", [1, 3, 6])
def test_decomposition_identity_recovers_known_noise(degree):
    # E(y − ŷ)² = bias² + variance + σ²: the fresh-target error minus the estimated bias² and
    # variance must recover the known σ² = 0.09. Monte-Carlo SE of the mean squared error
    # over 400 × 40 draws ≈ 0.003; tolerance 0.015 (5 SE).
    x_test = np.linspace(-0.9, 0.9, 40)
    res = decompose(
        polynomial_fit_predict(degree),
        wave,
        x_test,
        n_train=30,
        n_datasets=400,
        noise_std=0.3,
        seed=degree,
    )
    assert res.expected_mse - res.bias2 - res.variance == pytest.approx(0.09, abs=0.015)
    assert abs(res.residual) < 0.015


def test_bias_falls_and_variance_rises_with_degree():
    x_test = np.linspace(-0.9, 0.9, 40)
    res = [
        decompose(
            polynomial_fit_predict(p),
            wave,
            x_test,
            n_train=30,
            n_datasets=300,
            noise_std=0.3,
            seed=5,
        )
        for p in (0, 1, 3, 8)
    ]
    bias2 = [r.bias2 for r in res]
    var = [r.variance for r in res]
    assert bias2[0] > bias2[1] > bias2[2]  # measured 1.07 > 0.056 > 0.0006
    # degrees 1 and 3 have similar variance (≈ 0.012); degree 8 is ~20× larger (≈ 0.24)
    assert var[3] > 5 * max(var[1], var[2]) and var[0] < var[3]


def test_train_error_expectation_on_learning_curve():
    # For the correct linear model with p = 2 parameters, E[train MSE on m points] =
    # σ²(1 − p/m) (residual degrees of freedom), and E[val MSE] > σ².
    sigma, p, reps = 0.5, 2, 400
    sizes = [4, 8, 32]
    tr_sum, va_sum = np.zeros(3), np.zeros(3)
    rng = np.random.default_rng(7)
    line = lambda t: 2.0 * t - 1.0
    for _ in range(reps):
        x = rng.uniform(-1, 1, 32)
        xv = rng.uniform(-1, 1, 200)
        tr, va = learning_curve(
            polynomial_fit_predict(1),
            x,
            line(x) + sigma * rng.normal(size=32),
            xv,
            line(xv) + sigma * rng.normal(size=200),
            sizes,
        )
        tr_sum += tr
        va_sum += va
    expected = sigma**2 * (1 - p / np.array(sizes))  # [0.125, 0.1875, 0.234]
    np.testing.assert_allclose(tr_sum / reps, expected, rtol=0.1)  # SE ≤ 4% at m=4
    assert np.all(va_sum / reps > sigma**2) and np.all(np.diff(va_sum) < 0)


def test_fit_predict_helpers_equal_sklearn():
    rng = np.random.default_rng(0)
    x, xn = rng.uniform(-1, 1, 30), np.linspace(-1, 1, 11)
    y = wave(x) + 0.3 * rng.normal(size=30)
    np.testing.assert_allclose(
        polynomial_fit_predict(1)(x, y, xn),
        estimator_fit_predict(LinearRegression())(x, y, xn),
        rtol=1e-10,
    )
    sk = make_pipeline(PolynomialFeatures(5, include_bias=False), SkRidge(alpha=0.1))
    np.testing.assert_allclose(
        polynomial_fit_predict(5, alpha=0.1)(x, y, xn),
        estimator_fit_predict(sk)(x, y, xn),
        rtol=1e-8,
    )


def test_functions_on_small_inputs():
    assert bias_variance(np.array([[1.0, 2.0], [3.0, 2.0]]), np.array([2.0, 1.0])) == (0.5, 0.5)
    p = simulate_predictions(polynomial_fit_predict(0), wave, np.zeros(3), 5, 4, 0.1, seed=0)
    assert p.shape == (4, 3) and np.all(p[:, 0] == p[:, 1])  # a constant model
    again = simulate_predictions(polynomial_fit_predict(0), wave, np.zeros(3), 5, 4, 0.1, seed=0)
    np.testing.assert_array_equal(p, again)  # a seed reproduces the run


def test_bad_input():
    f, x = wave, np.linspace(-1, 1, 5)
    with pytest.raises(ValueError, match="degree must be a non-negative integer"):
        polynomial_fit_predict(-1)
    with pytest.raises(ValueError, match="alpha must be a non-negative number"):
        polynomial_fit_predict(2, alpha=-1.0)
    with pytest.raises(ValueError, match="n_datasets must be a positive integer"):
        decompose(polynomial_fit_predict(1), f, x, n_datasets=0)
    with pytest.raises(ValueError, match="noise_std must be a non-negative number"):
        decompose(polynomial_fit_predict(1), f, x, noise_std=-0.1)
    with pytest.raises(ValueError, match="x_test must be a non-empty 1-D array"):
        decompose(polynomial_fit_predict(1), f, np.ones((2, 2)))
