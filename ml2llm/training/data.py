"""Training data: tokenise a text once, store the ids as memory-mapped ``.bin`` files, sample batches.

:func:`prepare_data` reads a UTF-8 text (default: the offline Shakespeare corpus), splits it
90/10 (``val_fraction``) into train and validation, encodes both with a char or BPE
tokenizer and writes ``train.bin``/``val.bin`` (uint16, or uint32 for vocabularies over
65 535) plus ``meta.json`` and the tokenizer. A second call with the same text and tokenizer
settings reuses the files. :class:`TokenBatches` memory-maps them and draws random windows
with its own ``torch.Generator``, so the data position is one state that a checkpoint saves.

Batches are drawn for the *global* batch (every micro-step of every process) and each process
takes its own slice: a run on N processes sees exactly the windows a single-process run with
an N-times larger batch sees. That is what makes the DDP-equality test possible.

What it does not do: document boundaries, packing, or streaming datasets larger than disk.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ml2llm.io import atomic_write_bytes, atomic_write_text

MIN_CHARS = 100


class DataError(ValueError):
    """The data cannot be used for training (empty, too small, not UTF-8 ...)."""


# ---------------------------------------------------------------------- tokenizers
def build_tokenizer(kind: str, text: str, vocab_size: int = 512):
    """A tokenizer fitted on ``text``: Project 13's ``CharTokenizer`` (``"char"``) or
    byte-level ``BPETokenizer`` with ``vocab_size`` ids (``"bpe"``)."""
    from ml2llm.nlp import BPETokenizer, CharTokenizer

    if kind == "char":
        return CharTokenizer.train(text)
    if kind == "bpe":
        return BPETokenizer.train(text, vocab_size=vocab_size)
    raise DataError(f"tokenizer={kind!r} is invalid: expected char or bpe")


def load_tokenizer(path: str | Path, kind: str = "char"):
    """Load a tokenizer saved by :func:`prepare_data` (``tokenizer.json``)."""
    from ml2llm.nlp import BPETokenizer, CharTokenizer

    path = Path(path)
    if not path.exists():
        raise DataError(f"tokenizer file not found: {path}")
    if kind not in ("char", "bpe"):
        raise DataError(f"tokenizer={kind!r} is invalid: expected char or bpe")
    return (CharTokenizer if kind == "char" else BPETokenizer).load(path)


# ---------------------------------------------------------------------- preparing data
def read_text(path: str | Path | None) -> str:
    """The training text: ``path`` (must be UTF-8) or the offline Shakespeare corpus."""
    if path is None:
        from ml2llm.data.shakespeare import load_corpus

        return load_corpus()
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"data file {path} is not UTF-8 text (bad byte at offset {exc.start})"
        ) from None


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """First ``1 - val_fraction`` of the characters for training, the rest for validation."""
    if not 0 < val_fraction < 1:
        raise DataError(f"val_fraction={val_fraction!r} is invalid: expected a number in (0, 1)")
    n = int(len(text) * (1 - val_fraction))
    return text[:n], text[n:]


def train_val_split(ids, val_fraction: float = 0.1):
    """First ``int(n * (1 - val_fraction))`` ids for training, the rest for validation.

    Contiguous, not shuffled: neighbouring windows overlap, so a random split would leak
    validation text into training.
    """
    ids = np.asarray(ids)
    if not 0 < val_fraction < 1:
        raise DataError(f"val_fraction={val_fraction!r} is invalid: expected a number in (0, 1)")
    n = int(len(ids) * (1 - val_fraction))
    return ids[:n], ids[n:]


def make_batch(data, offsets, block_size: int):
    """``x[b] = data[o : o + T]`` and ``y[b] = data[o + 1 : o + 1 + T]`` for each offset ``o``
    (int64 arrays of shape ``(len(offsets), T)``): ``y`` is ``x`` shifted by one token."""
    data = np.asarray(data)
    offsets = np.asarray(offsets, dtype=np.int64)
    if offsets.size and (offsets.min() < 0 or offsets.max() + block_size + 1 > len(data)):
        raise DataError(
            f"offsets must lie in [0, len(data) - block_size - 1] = [0, {len(data) - block_size - 1}]"
        )
    idx = offsets[:, None] + np.arange(block_size + 1)
    chunk = data[idx].astype(np.int64)
    return chunk[:, :-1], chunk[:, 1:]


def _dtype_for(vocab_size: int):
    return np.uint16 if vocab_size <= 65535 else np.uint32


def prepare_data(
    out_dir: str | Path,
    text: str | None = None,
    data_path: str | Path | None = None,
    tokenizer: str = "char",
    bpe_vocab_size: int = 512,
    val_fraction: float = 0.1,
    block_size: int | None = None,
) -> dict:
    """Tokenise once into ``out_dir`` and return the meta dict (reused when up to date).

    Raises :class:`DataError` for an empty or too small text and when ``block_size`` does not
    leave at least one window in each split.
    """
    out_dir = Path(out_dir)
    if text is None:
        text = read_text(data_path)
    if len(text.strip()) == 0:
        raise DataError(f"data {'file ' + str(data_path) if data_path else 'text'} is empty")
    if len(text) < MIN_CHARS:
        raise DataError(f"data has {len(text)} characters: need at least {MIN_CHARS} to train")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    settings = {
        "sha256": digest,
        "tokenizer": tokenizer,
        "val_fraction": val_fraction,
        "bpe_vocab_size": bpe_vocab_size if tokenizer == "bpe" else None,
    }
    meta_path = out_dir / "meta.json"
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError:
            meta = {}
        if all(meta.get(k) == v for k, v in settings.items()) and all(
            (out_dir / f).exists() for f in ("train.bin", "val.bin", "tokenizer.json")
        ):
            _check_block(meta, block_size)
            return meta
    train_text, val_text = split_text(text, val_fraction)
    tok = build_tokenizer(tokenizer, train_text if tokenizer == "bpe" else text, bpe_vocab_size)
    dtype = _dtype_for(tok.vocab_size)
    meta = dict(
        settings,
        vocab_size=int(tok.vocab_size),
        dtype=np.dtype(dtype).name,
        chars=len(text),
        source=str(data_path) if data_path else "shakespeare corpus",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", train_text), ("val", val_text)):
        ids = np.asarray(tok.encode(part), dtype=dtype)
        meta[f"{name}_tokens"] = int(ids.size)
        atomic_write_bytes(out_dir / f"{name}.bin", ids.tobytes())
    tok.save(out_dir / "tokenizer.json")
    _check_block(meta, block_size)
    atomic_write_text(meta_path, json.dumps(meta, indent=2))
    return meta


def _check_block(meta: dict, block_size: int | None) -> None:
    if block_size is None:
        return
    smallest = min(meta["train_tokens"], meta["val_tokens"])
    if block_size + 1 > smallest:
        raise DataError(
            f"block_size={block_size} is larger than the data: the smaller split has "
            f"{smallest} tokens, need at least block_size + 1"
        )


# ---------------------------------------------------------------------- batches
class TokenBatches:
    """Random ``(x, y)`` windows from the memory-mapped splits of a prepared data folder.

    ``get(split)`` returns this process's micro-batches for one optimisation step: a list of
    ``grad_accum`` pairs of int64 tensors of shape ``(batch_size, block_size)``.
    """

    def __init__(
        self,
        data_dir: str | Path,
        batch_size: int,
        block_size: int,
        grad_accum: int = 1,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ):
        import torch

        data_dir = Path(data_dir)
        meta = json.loads((data_dir / "meta.json").read_text(encoding="utf-8"))
        self.meta = meta
        self.splits = {
            s: np.memmap(data_dir / f"{s}.bin", dtype=np.dtype(meta["dtype"]), mode="r")
            for s in ("train", "val")
        }
        _check_block(meta, block_size)
        self.batch_size, self.block_size, self.grad_accum = batch_size, block_size, grad_accum
        self.rank, self.world_size = rank, world_size
        self.generator = torch.Generator().manual_seed(seed)

    def offsets(self, split: str, n: int, generator=None):
        import torch

        data = self.splits[split]
        return torch.randint(
            len(data) - self.block_size, (n,), generator=generator or self.generator
        )

    def windows(self, split: str, offsets):
        """Stack ``data[i : i + T]`` and ``data[i + 1 : i + 1 + T]`` for each offset."""
        import torch

        x, y = make_batch(self.splits[split], np.asarray(offsets), self.block_size)
        return torch.from_numpy(x), torch.from_numpy(y)

    def get(self, split: str = "train", generator=None):
        B, W, A = self.batch_size, self.world_size, self.grad_accum
        ix = self.offsets(split, A * W * B, generator)
        out = []
        for m in range(A):
            start = (m * W + self.rank) * B
            out.append(self.windows(split, ix[start : start + B]))
        return out

    # the data position, for checkpoints
    def state(self):
        return self.generator.get_state()

    def set_state(self, state) -> None:
        self.generator.set_state(state)
