"""Errors the CLI turns into one line on stderr and exit code 2.

:class:`UsageError` is what commands raise for bad input. :func:`one_line` turns the other
exception types that bad input or a hostile environment produce (a full disk, a read-only
folder, a truncated safetensors file, a binary file, invalid or absurdly nested JSON, a
``ValueError`` from a library function) into a single line that names the file where the
exception knows it. ``ml2llm.cli.main`` prints that line and exits with code 2.

What it does not do: hide programming errors. ``TypeError``, ``AttributeError``,
``KeyError`` and the like still print a traceback, because they are bugs to report, not
input to fix.
"""

from __future__ import annotations

import errno


class UsageError(Exception):
    """Bad command-line input (unknown id, missing file, invalid value). Printed as one line."""


_OS_HINTS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "not a directory",
    errno.ENOENT: "no such file or directory",
}


def _first_line(text: str, limit: int = 300) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _is_safetensor_error(exc: BaseException) -> bool:
    return type(exc).__name__ == "SafetensorError" or "safetensors" in type(exc).__module__


def one_line(exc: BaseException) -> str | None:
    """A one-line message for an input/environment error, or None for a programming error."""
    import json

    if isinstance(exc, UsageError):
        return " ".join(str(exc).split()) or "invalid input"
    if isinstance(exc, OSError):
        what = _OS_HINTS.get(exc.errno) or exc.strerror or _first_line(exc) or type(exc).__name__
        where = exc.filename if exc.filename is not None else None
        if where is not None:
            return f"cannot use {where}: {what}"
        if exc.errno in _OS_HINTS:
            return f"{what} ({_first_line(exc)})"
        return _first_line(exc) or what
    if _is_safetensor_error(exc):
        text = str(exc)
        if "StorageFull" in text or "No space left" in text:
            return f"no space left on device while writing a safetensors file ({_first_line(text)})"
        return f"a safetensors file is truncated or corrupt ({_first_line(text)})"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to be a real file (refusing it)"
    if isinstance(exc, UnicodeDecodeError):
        return f"a file is not UTF-8 text (byte {exc.start}: {exc.reason})"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, (ValueError, OverflowError)):
        return _first_line(exc) or type(exc).__name__
    return None
