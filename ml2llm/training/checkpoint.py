"""Checkpoints that survive crashes: safetensors tensors, JSON metadata, atomic replacement.

A checkpoint is a folder ``<run>/checkpoint/`` with

- ``model.safetensors`` + ``ml2llm_config.json`` — the model format of
  :mod:`ml2llm.transformers.checkpoint` (tied weights stored once), so
  ``load_model(<run>/checkpoint)`` works; a fine-tuning run stores only the trained tensors;
- ``optimizer.safetensors`` — the optimizer's per-parameter tensors (AdamW's moments, step);
- ``state.json`` — the run config, the model config, step, data position (the batch
  sampler's generator state), RNG states (python, numpy, torch, cuda), the loss history,
  optimizer hyper-parameters, grad-scaler state, and the SHA-256 of both tensor files.

:func:`save_run` writes everything into a fresh temporary folder next to the target,
fsyncs it, then swaps it in with two renames (old -> ``checkpoint.old``, new -> ``checkpoint``)
and deletes the old one. A failure or Ctrl-C before the swap leaves the previous checkpoint
untouched and the temporary folder removed; between the two renames :func:`find_checkpoint`
falls back to ``checkpoint.old``. :func:`restore_run` verifies the checksums and the model
config and raises :class:`CheckpointError` (one clear line) for a corrupt, truncated or
mismatched checkpoint.

What it does not do: keep several checkpoints (only the latest), or shard huge models.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np

FORMAT = "ml2llm.checkpoint"
VERSION = 1
NAME = "checkpoint"
FILES = ("model.safetensors", "optimizer.safetensors", "state.json")


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or does not match the model being loaded."""


class CheckpointWriteError(CheckpointError, OSError):
    """Saving failed (full disk, read-only folder); the previous checkpoint is intact."""


# what a damaged (hand-edited, truncated) field raises when it is used
_DAMAGE = (ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError, OverflowError)


# ---------------------------------------------------------------------- helpers
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _state_digest(meta: dict) -> str:
    """SHA-256 of ``state.json``'s content (canonical JSON, without the digest itself)."""
    text = json.dumps({k: v for k, v in meta.items() if k != "state_sha256"}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _non_finite(model) -> str | None:
    """The name of the first floating-point tensor of ``model`` holding NaN or inf, or None."""
    import torch

    for name, t in model.state_dict().items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            return name
    return None


def _check_state_fields(meta: dict, ckpt: Path) -> None:
    """Types of the fields a loader relies on (a hand edit can break any of them)."""

    def bad(what):
        raise CheckpointError(f"checkpoint {ckpt} is corrupt: state.json {what}")

    step = meta.get("step", 0)
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        bad(f"has step={step!r}, expected a non-negative integer")
    files = meta.get("files", {})
    if not isinstance(files, dict) or not set(files) <= set(FILES[:2]):
        bad("has a bad 'files' entry")
    for key in ("config", "model_config", "history", "rng"):
        if key in meta and not isinstance(meta[key], dict):
            bad(f"has a bad {key!r} entry (expected a mapping)")


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _b64(t) -> str:
    return base64.b64encode(t.cpu().numpy().tobytes()).decode("ascii")


def _unb64(text: str):
    import torch

    return torch.from_numpy(np.frombuffer(base64.b64decode(text), dtype=np.uint8).copy())


def unwrap(model):
    """The plain module under DDP and ``torch.compile`` wrappers."""
    model = getattr(model, "module", model)  # DistributedDataParallel
    return getattr(model, "_orig_mod", model)  # torch.compile


def rng_state(data_generator=None) -> dict:
    """Every RNG a training step touches, JSON-serialisable."""
    import torch

    py = random.getstate()
    np_state = np.random.get_state()
    state = {
        "python": [py[0], list(py[1]), py[2]],
        "numpy": [
            np_state[0],
            np_state[1].tolist(),
            int(np_state[2]),
            int(np_state[3]),
            float(np_state[4]),
        ],
        "torch": _b64(torch.get_rng_state()),
        "cuda": [_b64(s) for s in torch.cuda.get_rng_state_all()]
        if torch.cuda.is_available()
        else [],
    }
    if data_generator is not None:
        state["data"] = _b64(data_generator.get_state())
    return state


def set_rng_state(state: dict, data_generator=None) -> None:
    """Restore what :func:`rng_state` saved."""
    import torch

    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state((n[0], np.array(n[1], dtype=np.uint32), n[2], n[3], n[4]))
    torch.set_rng_state(_unb64(state["torch"]))
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([_unb64(s) for s in state["cuda"]])
    if data_generator is not None and "data" in state:
        data_generator.set_state(_unb64(state["data"]))


def _optimizer_tensors(optimizer) -> tuple[dict, dict]:
    """Split ``optimizer.state_dict()`` into a flat tensor dict and a JSON-able rest."""
    import torch

    sd = optimizer.state_dict()
    tensors, scalars = {}, {}
    for pid, st in sd["state"].items():
        for key, value in st.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{pid}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{pid}.{key}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _optimizer_state_dict(tensors: dict, meta: dict) -> dict:
    state: dict = {}
    for name, value in list(tensors.items()) + list(meta["scalars"].items()):
        pid, key = name.split(".", 1)
        state.setdefault(int(pid), {})[key] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def _trainable(model) -> dict:
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def _save_weights(model, directory: Path, trainable_only: bool) -> None:
    """The model format (:func:`ml2llm.transformers.checkpoint.save_model`), or only the
    trainable tensors (fine-tuning: the LoRA adapters of any model, ours or Hugging Face's)."""
    from safetensors.torch import save_file

    from ml2llm.transformers.checkpoint import CONFIG, save_model

    if trainable_only:
        state = {n: p.detach().cpu().contiguous() for n, p in _trainable(model).items()}
        save_file(state, str(directory / "model.safetensors"))
    else:
        save_model(model, directory)  # model.safetensors + ml2llm_config.json
        _fsync(directory / CONFIG)


def _load_weights(model, ckpt: Path, trainable_only: bool) -> None:
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from ml2llm.transformers.checkpoint import load_model_weights

    try:
        if not trainable_only:
            load_model_weights(model, ckpt)
            return
        state, want = load_file(str(ckpt / "model.safetensors")), _trainable(model)
        if set(state) != set(want):
            raise ValueError(
                f"missing {sorted(set(want) - set(state))[:3]}, "
                f"unexpected {sorted(set(state) - set(want))[:3]}"
            )
        with torch.no_grad():
            for name, value in state.items():
                want[name].copy_(value)
    except (SafetensorError, ValueError, RuntimeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise CheckpointError(f"checkpoint {ckpt} does not fit this model: {first}") from None


# ---------------------------------------------------------------------- save / find / load
def save_run(
    run_dir: str | Path,
    model,
    optimizer=None,
    state: dict | None = None,
    scaler=None,
    data_generator=None,
    trainable_only: bool = False,
) -> Path:
    """Atomically write ``<run_dir>/checkpoint`` and return its path. See the module docstring.

    The weights are the model format of :mod:`ml2llm.transformers.checkpoint`; with
    ``trainable_only`` only the parameters that require grad are stored (fine-tuning).

    ``state`` holds JSON-serialisable extras (step, config, history ...); RNG states are added
    here. The previous checkpoint stays intact if anything fails before the final rename.
    """
    from safetensors import SafetensorError
    from safetensors.torch import save_file

    from ml2llm.io import default_mode

    run_dir = Path(run_dir)
    bad = _non_finite(unwrap(model))
    if bad:
        raise CheckpointError(
            f"refusing to checkpoint non-finite weights ({bad} holds NaN or inf); "
            f"the previous checkpoint in {run_dir} is kept"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    final, old = run_dir / NAME, run_dir / f"{NAME}.old"
    tmp = Path(tempfile.mkdtemp(prefix=f".{NAME}.", suffix=".tmp", dir=run_dir))
    try:
        os.chmod(tmp, default_mode("dir"))  # mkdtemp makes it 0o700
        _save_weights(unwrap(model), tmp, trainable_only)
        opt_meta = None
        if optimizer is not None:
            tensors, opt_meta = _optimizer_tensors(optimizer)
            save_file(tensors, str(tmp / "optimizer.safetensors"))
        else:
            save_file({}, str(tmp / "optimizer.safetensors"))
        meta = dict(state or {})
        meta.update(
            format=FORMAT,
            version=VERSION,
            optimizer=opt_meta,
            scaler=scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
            rng=rng_state(data_generator),
            files={name: _sha256(tmp / name) for name in FILES[:2]},
        )
        meta["state_sha256"] = _state_digest(meta)
        (tmp / "state.json").write_text(json.dumps(meta), encoding="utf-8")
        for name in FILES:
            _fsync(tmp / name)
        if old.exists():
            shutil.rmtree(old)
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    except (OSError, SafetensorError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        from ml2llm.errors import one_line

        raise CheckpointWriteError(
            f"cannot write the checkpoint in {run_dir} ({one_line(exc)}); "
            "the previous checkpoint is kept"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def find_checkpoint(run_dir: str | Path) -> Path:
    """The checkpoint folder of ``run_dir`` (or ``run_dir`` itself if it is one)."""
    run_dir = Path(run_dir)
    for candidate in (run_dir, run_dir / NAME, run_dir / f"{NAME}.old"):
        if (candidate / "state.json").is_file():
            return candidate
    raise CheckpointError(f"no checkpoint in {run_dir} (expected {run_dir / NAME}/state.json)")


def read_state(ckpt: str | Path) -> dict:
    """``state.json`` of a checkpoint, after verifying both tensor files' checksums."""
    ckpt = find_checkpoint(ckpt)
    try:
        meta = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise CheckpointError(
            f"checkpoint {ckpt} is corrupt: state.json is not valid JSON"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{ckpt} is not an ml2llm checkpoint (state.json has no format {FORMAT!r})"
        )
    if meta.get("version") != VERSION:
        raise CheckpointError(
            f"checkpoint {ckpt} has version {meta.get('version')}, expected {VERSION}"
        )
    digest = meta.pop("state_sha256", None)
    if digest is not None and digest != _state_digest(meta):
        raise CheckpointError(
            f"checkpoint {ckpt} is corrupt: state.json does not match its checksum "
            "(was it edited by hand?)"
        )
    _check_state_fields(meta, ckpt)
    for name, digest in meta.get("files", {}).items():
        path = ckpt / name
        if not path.is_file():
            raise CheckpointError(f"checkpoint {ckpt} is incomplete: {name} is missing")
        if _sha256(path) != digest:
            raise CheckpointError(
                f"checkpoint {ckpt} is corrupt: {name} does not match its checksum"
            )
    meta["path"] = str(ckpt)
    return meta


def check_compatible(meta: dict, expected_model: dict) -> None:
    """Raise :class:`CheckpointError` listing every model setting that differs."""
    saved = meta.get("model_config", {})
    diffs = [
        f"{k}: checkpoint {saved.get(k)!r} vs config {v!r}"
        for k, v in expected_model.items()
        if saved.get(k) != v
    ]
    if diffs:
        raise CheckpointError(
            f"checkpoint {meta.get('path')} does not match this model ({'; '.join(diffs)})"
        )


def restore_run(
    run_dir: str | Path,
    model,
    optimizer=None,
    scaler=None,
    data_generator=None,
    expected_model: dict | None = None,
    restore_rng: bool = True,
    trainable_only: bool = False,
) -> dict:
    """Load weights (and optimizer, scaler, RNG and data position) in place; return ``state.json``.

    Nothing is unpickled: tensors are safetensors, everything else JSON. ``trainable_only``
    matches :func:`save_run`'s (only the parameters that require grad were stored).

    ``expected_model`` (e.g. ``cfg.model_dict() | {"vocab_size": V}``) is compared with the
    saved model config first, so a mismatch is reported by name rather than as a tensor error.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    meta = read_state(run_dir)
    ckpt = Path(meta["path"])
    if expected_model is not None:
        check_compatible(meta, expected_model)
    _load_weights(unwrap(model), ckpt, trainable_only)
    if optimizer is not None and meta.get("optimizer") is not None:
        try:
            tensors = load_file(str(ckpt / "optimizer.safetensors"))
            optimizer.load_state_dict(_optimizer_state_dict(tensors, meta["optimizer"]))
        except (SafetensorError, *_DAMAGE) as exc:
            raise CheckpointError(
                f"checkpoint {ckpt}: optimizer state does not fit ({exc})"
            ) from None
    try:
        if scaler is not None and meta.get("scaler"):
            scaler.load_state_dict(meta["scaler"])
        if restore_rng and "rng" in meta:
            set_rng_state(meta["rng"], data_generator)
    except _DAMAGE as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"checkpoint {ckpt} is corrupt: its RNG or loss-scaler state cannot be restored "
            f"({first})"
        ) from None
    return meta


# ---------------------------------------------------------------------- one writer per run
LOCK_NAME = ".lock"
_HELD: dict[str, object] = {}  # resolved run dir -> open lock file of this process


class RunLock:
    """An exclusive lock on a run folder, so two processes never write one run at once.

    ``fcntl.flock`` (``msvcrt.locking`` on Windows) on ``<run_dir>/.lock``: the operating
    system drops it when the process dies, even by SIGKILL, so a stale lock cannot block the
    next run. Re-entrant within one process (a notebook may build two trainers on one folder).
    :meth:`acquire` raises :class:`CheckpointError` when another process holds it.
    """

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.key = str(self.run_dir.resolve())

    def acquire(self) -> RunLock:
        if self.key in _HELD:
            return self
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / LOCK_NAME
        fh = open(path, "a+")
        try:
            _lock_file(fh)
        except OSError:
            try:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
            except OSError:  # Windows: the holder's locked byte cannot be read
                holder = "another process"
            fh.close()
            raise CheckpointError(
                f"{self.run_dir} is in use by another run ({holder}); wait for it to finish "
                "or choose another out_dir"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        _HELD[self.key] = fh
        return self

    def release(self) -> None:
        fh = _HELD.pop(self.key, None)
        if fh is not None:
            fh.close()  # closing the file drops the lock

    @property
    def held(self) -> bool:
        return self.key in _HELD


def _lock_file(fh) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_orphans(run_dir: str | Path) -> list[Path]:
    """Delete the temporary folders and files a killed save left in ``run_dir``.

    Call it only while holding the :class:`RunLock` (another run's live temporary folder
    looks the same). Returns what was removed.
    """
    run_dir = Path(run_dir)
    removed = []
    if not run_dir.is_dir():
        return removed
    for p in run_dir.glob(".*.tmp*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed
