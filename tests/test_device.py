"""Backend selection (utils.device = ml2llm.device) and scripts/verify_device.py."""

import random
import subprocess
import sys

import numpy as np
import pytest

from ml2llm.paths import repo_root
from utils import device


def test_cpu_here_and_tensor_matmul(monkeypatch):
    monkeypatch.delenv("LEARNING_ML_BACKEND", raising=False)
    assert device.backend_name() == "cpu"  # no GPU and no Metal on CI
    a = device.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(np.asarray((a @ a).tolist()), [[7.0, 10.0], [15.0, 22.0]])


@pytest.mark.parametrize("value", ["bogus", "CUDA2", "tpu"])
def test_unknown_backend_lists_valid_values(monkeypatch, value):
    monkeypatch.setenv("LEARNING_ML_BACKEND", value)
    with pytest.raises(device.BackendError, match="valid values: mlx, cuda, mps, cpu"):
        device.backend_name()


def test_unavailable_backend_is_an_error(monkeypatch):
    monkeypatch.setenv("LEARNING_ML_BACKEND", "cuda")
    with pytest.raises(device.BackendError, match="not available"):
        device.backend_name()


def test_ensure_seed_reproduces_all_generators():
    torch = pytest.importorskip("torch")
    device.ensure_seed(123)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    device.ensure_seed(123)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first
    with pytest.raises(ValueError, match="seed"):
        device.ensure_seed(-1)


def test_move_to_nested_structures():
    torch = pytest.importorskip("torch")
    moved = device.move_to({"a": [torch.ones(2)], "b": (torch.zeros(1), 3)}, torch.device("cpu"))
    assert moved["a"][0].device.type == "cpu" and moved["b"][1] == 3


def test_numpy_only_fallback(monkeypatch):
    import ml2llm.device as d

    monkeypatch.setattr(d, "_torch", lambda: None)
    monkeypatch.setattr(d, "_mlx_core", lambda: None)
    monkeypatch.delenv("LEARNING_ML_BACKEND", raising=False)

    assert d.get_device() == "cpu"
    assert isinstance(d.tensor([1.0, 2.0]), np.ndarray)
    assert "arrays=numpy" in d.backend_info()


def test_verify_device_script():
    script = repo_root() / "scripts" / "verify_device.py"
    ok = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LEARNING_ML_BACKEND": "cpu"},
    )
    assert (
        ok.returncode == 0
        and "backend=cpu" in ok.stdout
        and "[[7.0, 10.0], [15.0, 22.0]]" in ok.stdout
    )
    bad = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LEARNING_ML_BACKEND": "bogus"},
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "valid values" in bad.stderr
