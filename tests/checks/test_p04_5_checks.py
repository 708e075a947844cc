"""Project 04.5 checks pass correct code and catch typical wrong code with the right hint."""

import numpy as np

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def simulate(fit_predict, f, x_test, n_train, n_datasets, noise_std, seed=None):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_datasets):
        x = rng.uniform(-1.0, 1.0, size=n_train)
        noise = rng.standard_normal(n_train)
        rows.append(fit_predict(x, f(x) + noise_std * noise, x_test))
    return np.vstack(rows)


def bias_variance(predictions, f_true):
    n_datasets = predictions.shape[0]
    mean_pred = predictions.sum(axis=0) / n_datasets
    bias2 = np.sum((mean_pred - f_true) ** 2) / f_true.size
    variance = np.sum((predictions - mean_pred) ** 2) / predictions.size
    return bias2, variance


def learning_curve(fit_predict, x_train, y_train, x_val, y_val, sizes):
    out = np.zeros((2, len(sizes)))
    for k, m in enumerate(sizes):
        out[0, k] = np.mean((fit_predict(x_train[:m], y_train[:m], x_train[:m]) - y_train[:m]) ** 2)
        out[1, k] = np.mean((fit_predict(x_train[:m], y_train[:m], x_val) - y_val) ** 2)
    return out[0], out[1]


REFERENCES = {
    "p04_5.simulate": simulate,
    "p04_5.bias_variance": bias_variance,
    "p04_5.learning_curve": learning_curve,
}


# --- typical mistakes ------------------------------------------------------------------
def simulate_one_dataset(fit_predict, f, x_test, n_train, n_datasets, noise_std, seed=None):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n_train)
    y = f(x) + noise_std * rng.normal(size=n_train)
    return np.array([fit_predict(x, y, x_test) for _ in range(n_datasets)])


def simulate_reseeded(fit_predict, f, x_test, n_train, n_datasets, noise_std, seed=None):
    preds = []
    for _ in range(n_datasets):
        rng = np.random.default_rng(seed)  # same numbers every time
        x = rng.uniform(-1, 1, n_train)
        preds.append(fit_predict(x, f(x) + noise_std * rng.normal(size=n_train), x_test))
    return np.array(preds)


def simulate_noiseless(fit_predict, f, x_test, n_train, n_datasets, noise_std, seed=None):
    rng = np.random.default_rng(seed)
    preds = []
    for _ in range(n_datasets):
        x = rng.uniform(-1, 1, n_train)
        rng.normal(size=n_train)
        preds.append(fit_predict(x, f(x), x_test))
    return np.array(preds)


def bv_sample_variance(predictions, f_true):
    m = predictions.mean(axis=0)
    return np.mean((m - f_true) ** 2), np.mean(predictions.var(axis=0, ddof=1))


def bv_bias_is_total(predictions, f_true):
    return np.mean((predictions - f_true) ** 2), np.mean(predictions.var(axis=0))


def bv_variance_over_points(predictions, f_true):
    m = predictions.mean(axis=0)
    return np.mean((m - f_true) ** 2), np.mean(np.var(predictions, axis=1))


def lc_train_on_everything(fit_predict, x_train, y_train, x_val, y_val, sizes):
    tr = [np.mean((fit_predict(x_train[:m], y_train[:m], x_train) - y_train) ** 2) for m in sizes]
    va = [np.mean((fit_predict(x_train[:m], y_train[:m], x_val) - y_val) ** 2) for m in sizes]
    return np.array(tr), np.array(va)


def lc_off_by_one(fit_predict, x_train, y_train, x_val, y_val, sizes):
    return learning_curve(fit_predict, x_train, y_train, x_val, y_val, [m + 1 for m in sizes])


MISTAKES = {
    "p04_5.simulate": [
        (simulate_one_dataset, "fresh training set"),
        (simulate_reseeded, "fresh training set"),
        (simulate_noiseless, "add the noise"),
    ],
    "p04_5.bias_variance": [
        (bv_sample_variance, "ddof=0"),
        (bv_bias_is_total, "average over datasets first"),
        (bv_variance_over_points, "across training sets"),
    ],
    "p04_5.learning_curve": [
        (lc_train_on_everything, "m samples the model was fitted on"),
        (lc_off_by_one, "off by one"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
