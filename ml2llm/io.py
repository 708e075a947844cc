"""Atomic file writes, and a cheap check that a safetensors file is complete.

:func:`atomic_write_bytes` / :func:`atomic_write_text`: a crash or Ctrl-C never leaves a
half-written file behind (same-folder temporary file, fsync, rename). The new file gets the
usual permissions: those of the file it replaces, else ``0o666`` minus the umask (a bare
``tempfile.mkstemp`` would leave it at ``0o600``).

:func:`check_safetensors` reads only the header of a ``.safetensors`` file and raises a
``ValueError`` naming the file when it is empty, truncated, zeroed or not safetensors at all,
before a loader fails deep inside with a message that names nothing.

What it does not do: lock files (see :class:`ml2llm.training.checkpoint.RunLock`) or verify
tensor values.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path


def default_mode(kind: str = "file") -> int:
    """Permissions a new file (``0o666``) or folder (``0o777``) gets under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if kind == "dir" else 0o666) & ~mask


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (same-folder temp file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = default_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
            # a full disk fails in write(), whose error names no file: name the target
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    return path


def check_safetensors(path: str | os.PathLike) -> None:
    """Raise ``ValueError`` naming ``path`` unless its header is valid and its data complete.

    A safetensors file is an 8-byte little-endian header length, a JSON header mapping each
    tensor to ``data_offsets`` in the byte buffer that follows, then that buffer. Reads the
    header only, so it costs microseconds even for a 14 GB file.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise ValueError(f"{path} is not a safetensors file: empty or truncated")
            (n,) = struct.unpack("<Q", head)
            if n == 0 or n > min(100_000_000, size - 8):
                raise ValueError(
                    f"{path} is not a safetensors file: truncated, zeroed or corrupt header"
                )
            header = json.loads(fh.read(n).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError(f"{path} is not a safetensors file: corrupt header") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path} is not a safetensors file: corrupt header")
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2):
            raise ValueError(f"{path} is not a safetensors file: bad entry {name!r}")
        end = max(end, int(offsets[1]))
    if size < 8 + n + end:
        raise ValueError(f"{path} is truncated: {size:,} bytes, the header needs {8 + n + end:,}")
