"""MLOps from scratch (Project P2): tracking, A/B statistics, power, peeking, drift.

- **Tracking** over MLflow with a *local* store (a SQLite file; no server):
  :func:`local_tracking_uri`, :func:`track_run` (parameters, metric histories, tags, and the
  model saved as JSON by :func:`ml2llm.classical.penguins.save_model` as an artifact),
  :func:`compare_runs` (one row per run, best first) and :func:`register_model` (a registry
  version pointing at a run's artifact, with an alias such as ``"champion"``). MLflow is imported
  only inside these functions, so the statistics below stay fast to import. Browse a store
  with ``mlflow ui --backend-store-uri sqlite:///path/to/mlflow.db``.
- **A/B tests:** :func:`two_proportion_ztest` (pooled standard error, like
  ``statsmodels.stats.proportion.proportions_ztest``), :func:`power_two_proportions` and
  :func:`sample_size_two_proportions` (normal approximation on Cohen's arcsine effect size
  :func:`cohens_h`, like ``statsmodels.stats.power.NormalIndPower``), and
  :func:`simulate_peeking` (how stopping at the first significant look inflates the
  false-positive rate).
- **Drift:** :func:`psi` (population stability index on quantile bins of the reference),
  :func:`ks_2sample` (two-sample Kolmogorov–Smirnov statistic and asymptotic p-value, like
  ``scipy.stats.ks_2samp(..., method="asymp")`` up to its finite-sample correction) and
  :func:`drift_report` (both over a sequence of batches, with alert thresholds).

Not here: sequential tests that *fix* peeking (alpha spending, mSPRT), multi-armed bandits,
multivariate drift detectors, and remote tracking servers or artifact stores.

>>> z, p = two_proportion_ztest(100, 1000, 130, 1000)
>>> round(z, 3), round(p, 4)
(2.103, 0.0355)
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from scipy import stats

__all__ = [
    "cohens_h",
    "compare_runs",
    "drift_report",
    "kolmogorov_sf",
    "ks_2sample",
    "local_tracking_uri",
    "peeking_rates",
    "power_two_proportions",
    "psi",
    "register_model",
    "sample_size_two_proportions",
    "simulate_peeking",
    "track_run",
    "two_proportion_ztest",
]

_ALTERNATIVES = ("two-sided", "larger", "smaller")


# ----------------------------------------------------------------- validation helpers
def _check_prob(value, name, open_interval=True):
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number in (0, 1), got {value!r}")
    if not (0 < value < 1) if open_interval else not (0 <= value <= 1):
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return float(value)


def _check_count(value, name, minimum=0):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_alternative(alternative):
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}")


# ----------------------------------------------------------------- A/B statistics
def two_proportion_ztest(successes_a, n_a, successes_b, n_b, alternative="two-sided"):
    """Two-proportion z-test of B against A with the pooled standard error.

    .. math:: z = \\frac{\\hat p_B - \\hat p_A}{\\sqrt{\\hat p(1-\\hat p)(1/n_A + 1/n_B)}},
       \\qquad \\hat p = \\frac{x_A + x_B}{n_A + n_B}

    ``alternative``: ``"two-sided"`` (p_B ≠ p_A), ``"larger"`` (p_B > p_A) or ``"smaller"``.
    Returns ``(z, p_value)``. Equals ``proportions_ztest([x_B, x_A], [n_B, n_A])``.
    """
    n_a, n_b = _check_count(n_a, "n_a", 1), _check_count(n_b, "n_b", 1)
    x_a, x_b = _check_count(successes_a, "successes_a"), _check_count(successes_b, "successes_b")
    if x_a > n_a or x_b > n_b:
        raise ValueError(
            f"successes cannot exceed trials: got successes_a={x_a}/{n_a}, successes_b={x_b}/{n_b}"
        )
    _check_alternative(alternative)
    pooled = (x_a + x_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        raise ValueError("all trials succeeded or all failed: the z-test is undefined")
    z = (x_b / n_b - x_a / n_a) / se
    if alternative == "two-sided":
        p = 2 * stats.norm.sf(abs(z))
    elif alternative == "larger":
        p = stats.norm.sf(z)
    else:
        p = stats.norm.cdf(z)
    return float(z), float(p)


def cohens_h(p1, p2):
    """Cohen's effect size for two proportions: ``2 asin(sqrt(p2)) − 2 asin(sqrt(p1))``."""
    p1, p2 = _check_prob(p1, "p1", False), _check_prob(p2, "p2", False)
    return 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))


def power_two_proportions(p1, p2, n_per_group, alpha=0.05):
    """Power of the two-sided two-proportion test with ``n_per_group`` users in each arm.

    Normal approximation on the arcsine scale (the variance of ``2 asin(sqrt(p̂))`` is ``1/n``):

    .. math:: \\text{power} = \\Phi(|h|\\sqrt{n/2} - z_{1-\\alpha/2})
                             + \\Phi(-|h|\\sqrt{n/2} - z_{1-\\alpha/2})
    """
    h = abs(cohens_h(p1, p2))
    if isinstance(n_per_group, bool) or not isinstance(n_per_group, Real) or n_per_group <= 0:
        raise ValueError(f"n_per_group must be a positive number, got {n_per_group!r}")
    alpha = _check_prob(alpha, "alpha")
    crit = stats.norm.isf(alpha / 2)
    shift = h * math.sqrt(n_per_group / 2)
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def sample_size_two_proportions(p1, p2, alpha=0.05, power=0.8):
    """Smallest whole number of users per arm that reaches ``power`` (two-sided test).

    Closed form ``n = 2 ((z_{1-α/2} + z_{power}) / h)²``, rounded up; it ignores the far tail,
    which adds less than 1e-3 to the power once the power is above 0.5.
    """
    h = abs(cohens_h(p1, p2))
    if h == 0:
        raise ValueError("p1 and p2 are equal: no sample size detects a zero effect")
    alpha, power = _check_prob(alpha, "alpha"), _check_prob(power, "power")
    n = 2 * ((stats.norm.isf(alpha / 2) + stats.norm.ppf(power)) / h) ** 2
    return int(math.ceil(n - 1e-9))


def simulate_peeking(
    p=0.1, n_per_look=200, n_looks=10, n_experiments=2000, alpha=0.05, random_state=0
):
    """False-positive rate of A/A tests analysed once at the end vs at every look.

    Both arms have the same conversion rate ``p`` (no real effect). Each experiment adds
    ``n_per_look`` users per arm between looks. Returns a dict: ``fpr_final`` (reject only at
    the last look: close to ``alpha``), ``fpr_peeking`` (reject at the first look with
    p < alpha: inflated), ``fpr_by_looks`` (peeking rate when stopping after 1..n_looks looks)
    and ``p_values`` of shape ``(n_experiments, n_looks)``.
    """
    p = _check_prob(p, "p")
    alpha = _check_prob(alpha, "alpha")
    n_per_look = _check_count(n_per_look, "n_per_look", 1)
    n_looks = _check_count(n_looks, "n_looks", 1)
    n_experiments = _check_count(n_experiments, "n_experiments", 1)
    rng = np.random.default_rng(random_state)
    xa = rng.binomial(n_per_look, p, size=(n_experiments, n_looks)).cumsum(axis=1)
    xb = rng.binomial(n_per_look, p, size=(n_experiments, n_looks)).cumsum(axis=1)
    n = n_per_look * np.arange(1, n_looks + 1)
    pooled = (xa + xb) / (2 * n)
    se = np.sqrt(pooled * (1 - pooled) * (2 / n))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (xb - xa) / n / se, 0.0)
    pvals = 2 * stats.norm.sf(np.abs(z))
    fpr_final, fpr_peeking = peeking_rates(pvals, alpha)
    ever = np.logical_or.accumulate(pvals < alpha, axis=1)
    return {
        "fpr_final": fpr_final,
        "fpr_peeking": fpr_peeking,
        "fpr_by_looks": ever.mean(axis=0),
        "p_values": pvals,
    }


def peeking_rates(p_values, alpha=0.05):
    """``(fpr_final, fpr_peeking)`` from p-values of shape ``(n_experiments, n_looks)``.

    ``fpr_final``: fraction of experiments significant at the last look (the planned
    analysis). ``fpr_peeking``: fraction significant at *any* look (stop at the first win).
    """
    p_values = np.asarray(p_values, dtype=float)
    if p_values.ndim != 2 or p_values.size == 0:
        raise ValueError(
            f"p_values must be a 2-D array (n_experiments, n_looks), got {p_values.shape}"
        )
    alpha = _check_prob(alpha, "alpha")
    significant = p_values < alpha
    return float(significant[:, -1].mean()), float(significant.any(axis=1).mean())


# ----------------------------------------------------------------- drift
def _as_1d(x, name):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    return x


def psi(expected, actual, n_bins=10, eps=1e-4):
    """Population stability index of ``actual`` against the reference sample ``expected``.

    Bin edges are the reference's quantiles (so each bin holds about ``1/n_bins`` of it), the
    outer edges are open (±inf); bin fractions are clipped below at ``eps`` so an empty bin
    does not give an infinite index:

    .. math:: \\mathrm{PSI} = \\sum_k (a_k - e_k) \\ln(a_k / e_k)

    Rule of thumb: < 0.1 stable, 0.1–0.2 watch, > 0.2 act.
    """
    expected, actual = _as_1d(expected, "expected"), _as_1d(actual, "actual")
    if isinstance(n_bins, bool) or not isinstance(n_bins, Integral) or n_bins < 2:
        raise ValueError(f"n_bins must be an integer >= 2, got {n_bins!r}")
    edges = np.quantile(expected, np.linspace(0, 1, n_bins + 1)[1:-1])
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=n_bins)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=n_bins)
    e = np.clip(e / e.sum(), eps, None)
    a = np.clip(a / a.sum(), eps, None)
    return float(np.sum((a - e) * np.log(a / e)))


def kolmogorov_sf(x, terms=100):
    """P(K > x) for the Kolmogorov distribution: ``2 Σ_{k≥1} (−1)^{k−1} exp(−2k²x²)``."""
    x = float(x)
    if x <= 0:
        return 1.0
    k = np.arange(1, terms + 1)
    return float(np.clip(2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k**2 * x**2)), 0.0, 1.0))


def ks_2sample(a, b):
    """Two-sample Kolmogorov–Smirnov test: ``(D, p_value)``.

    ``D = max_x |F_a(x) − F_b(x)|`` over all observed points (the empirical CDFs only jump
    there); the p-value is the asymptotic ``P(K > D sqrt(n m / (n + m)))``.
    """
    a, b = np.sort(_as_1d(a, "a")), np.sort(_as_1d(b, "b"))
    pts = np.concatenate([a, b])
    fa = np.searchsorted(a, pts, side="right") / a.size
    fb = np.searchsorted(b, pts, side="right") / b.size
    d = float(np.max(np.abs(fa - fb)))
    en = a.size * b.size / (a.size + b.size)
    return d, kolmogorov_sf(d * math.sqrt(en))


def drift_report(reference, batches, psi_warn=0.1, psi_alert=0.2, ks_alpha=0.01, n_bins=10):
    """PSI and KS of each batch against ``reference``, with a status per batch.

    Returns a dict of arrays over time: ``psi``, ``ks_stat``, ``ks_p`` and ``status``
    (``"ok"``, ``"warn"`` when PSI > ``psi_warn`` or the KS p-value < ``ks_alpha``,
    ``"alert"`` when PSI > ``psi_alert``). With large batches the KS test flags tiny, harmless
    shifts; PSI's thresholds are about size of effect, which is why both are reported.
    """
    if not 0 < psi_warn < psi_alert:
        raise ValueError(f"need 0 < psi_warn < psi_alert, got {psi_warn!r} and {psi_alert!r}")
    _check_prob(ks_alpha, "ks_alpha")
    batches = list(batches)
    if not batches:
        raise ValueError("batches must hold at least one batch")
    out = {"psi": [], "ks_stat": [], "ks_p": [], "status": []}
    for batch in batches:
        value = psi(reference, batch, n_bins=n_bins)
        d, p = ks_2sample(reference, batch)
        status = (
            "alert" if value > psi_alert else "warn" if value > psi_warn or p < ks_alpha else "ok"
        )
        for key, v in zip(out, (value, d, p, status)):
            out[key].append(v)
    return {k: np.array(v) for k, v in out.items()}


# ----------------------------------------------------------------- tracking (MLflow, local)
def local_tracking_uri(directory):
    """``sqlite:///<directory>/mlflow.db`` (the directory is created). No server needed."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'mlflow.db'}"


def _client(tracking_uri):
    if not isinstance(tracking_uri, str) or not tracking_uri:
        raise ValueError(f"tracking_uri must be a non-empty string, got {tracking_uri!r}")
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _experiment_id(client, name, tracking_uri):
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    location = None
    if tracking_uri.startswith("sqlite:///"):  # keep artifacts next to the database
        location = (Path(tracking_uri[len("sqlite:///") :]).parent / "artifacts" / name).as_uri()
    return client.create_experiment(name, artifact_location=location)


def track_run(
    tracking_uri,
    experiment,
    params,
    metrics,
    history=None,
    model=None,
    tags=None,
    run_name=None,
):
    """Log one training run; returns its run id.

    ``params`` and ``metrics`` are flat dicts (final values); ``history`` maps a metric name
    to a sequence logged step by step (a learning curve); ``model`` is a fitted pipeline saved
    with :func:`ml2llm.classical.penguins.save_model` as artifact ``model/model.json``.
    """
    if not isinstance(params, dict) or not isinstance(metrics, dict):
        raise ValueError("params and metrics must be dicts of name -> value")
    client = _client(tracking_uri)
    exp_id = _experiment_id(client, experiment, tracking_uri)
    run = client.create_run(exp_id, run_name=run_name, tags=dict(tags or {}))
    run_id = run.info.run_id
    status = "FAILED"
    try:
        for key, value in params.items():
            client.log_param(run_id, key, value)
        for key, value in metrics.items():
            client.log_metric(run_id, key, float(value))
        for key, values in (history or {}).items():
            for step, value in enumerate(values):
                client.log_metric(run_id, key, float(value), step=step)
        if model is not None:
            import tempfile

            from ml2llm.classical.penguins import save_model

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.json"
                save_model(model, path, metadata={"run_id": run_id, **dict(params)})
                client.log_artifact(run_id, str(path), artifact_path="model")
        status = "FINISHED"
    finally:
        client.set_terminated(run_id, status=status)
    return run_id


def compare_runs(tracking_uri, experiment, metric, maximize=True):
    """Runs of ``experiment`` as a list of dicts (run id, name, params, metrics), best first."""
    client = _client(tracking_uri)
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        raise ValueError(f"experiment {experiment!r} does not exist in {tracking_uri}")
    order = "DESC" if maximize else "ASC"
    runs = client.search_runs([exp.experiment_id], order_by=[f"metrics.`{metric}` {order}"])
    return [
        {
            "run_id": r.info.run_id,
            "run_name": r.info.run_name,
            "params": dict(r.data.params),
            "metrics": dict(r.data.metrics),
        }
        for r in runs
    ]


def register_model(tracking_uri, run_id, name, alias="champion", artifact_path="model"):
    """Register a run's model artifact as a new version of ``name`` and point ``alias`` at it.

    Returns the version number (``int``). Retrieve it later with
    ``MlflowClient(...).get_model_version_by_alias(name, alias)``.
    """
    client = _client(tracking_uri)
    try:
        client.get_registered_model(name)
    except Exception:  # not registered yet
        client.create_registered_model(name)
    source = f"{client.get_run(run_id).info.artifact_uri}/{artifact_path}"
    version = client.create_model_version(name, source=source, run_id=run_id)
    if alias:
        client.set_registered_model_alias(name, alias, version.version)
    return int(version.version)
