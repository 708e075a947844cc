"""In CI (``CI=true``) a parity test whose reference package is missing fails, not skips."""

import os
import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).with_name("conftest.py")
TESTS = """
import pytest

def test_reference_missing():
    pytest.importorskip("surely_not_an_installed_package_xyz")

def test_other_skip():
    pytest.skip("a skip that is not about a package")
"""
MODULE_LEVEL = 'import pytest\npytest.importorskip("surely_not_an_installed_package_xyz")\n\ndef test_x():\n    pass\n'


def _run(tmp_path, ci: bool) -> str:
    (tmp_path / "conftest.py").write_text(CONFTEST.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "test_a.py").write_text(TESTS, encoding="utf-8")
    (tmp_path / "test_b.py").write_text(MODULE_LEVEL, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "--continue-on-collection-errors",
         "-rA", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    return out.stdout


def test_missing_reference_package_fails_in_ci(tmp_path):
    out = _run(tmp_path, ci=True)
    assert "FAILED test_a.py::test_reference_missing" in out
    assert "ERROR test_b.py" in out  # a module-level importorskip fails its collection
    assert "SKIPPED" in out and "not about a package" in out  # other skips stay skips


def test_missing_reference_package_skips_locally(tmp_path):
    out = _run(tmp_path, ci=False)
    assert "FAILED" not in out and "ERROR" not in out
    assert out.count("SKIPPED") == 3
