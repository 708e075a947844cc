"""Convert a GGUF file into a Hugging Face model folder (``config.json``, safetensors, tokenizer).

``transformers`` reads GGUF files (with the ``gguf`` package installed) and dequantizes
them into a float model, but refuses to ``save_pretrained`` such a model. So the converter
loads the GGUF model, copies its state dict into a fresh ``LlamaForCausalLM(config)`` (or
``MistralForCausalLM``) without the GGUF quantization marker, and saves that, in bf16 by
default, next to the tokenizer (with its chat template) and the generation config.

It writes into ``out_dir`` as given; the atomic publish (temporary folder + rename) and the
checksums live in :mod:`ml2llm.models.store`. Only Llama/Mistral GGUF files are supported.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path

from ml2llm.models.registry import ModelError

_ARCHS = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM"}


def sha256_file(path, progress: bool = False, desc: str | None = None) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks (optional tqdm bar in bytes)."""
    path = Path(path)
    digest = hashlib.sha256()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=desc or f"checksum {path.name}",
        )
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()
    return digest.hexdigest()


@contextlib.contextmanager
def _quiet_transformers(progress: bool):
    """Silence transformers' warnings, and its progress bars (stderr) unless ``progress``.

    Some of its bars (GGUF dequantization) ignore ``disable_progress_bar``, so without
    ``progress`` stderr is redirected for the duration.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with contextlib.ExitStack() as stack:
            if not progress:
                stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
            yield
    finally:
        hf_logging.set_verbosity(verbosity)


def convert_gguf(gguf_path, out_dir, *, dtype="bfloat16", progress: bool = True) -> Path:
    """Write the Hugging Face folder equal to ``gguf_path`` (dequantized) into ``out_dir``.

    Parameters
    ----------
    gguf_path : path-like
        A Llama- or Mistral-architecture GGUF file.
    out_dir : path-like
        Folder to write (created; existing files with the same names are overwritten).
    dtype : {"bfloat16", "float16", "float32"}
        Storage dtype of the saved weights (bf16: 270 MB for SmolLM2-135M).
    progress : bool
        Show the dequantization progress bar.

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    import torch

    if dtype not in ("bfloat16", "float16", "float32"):
        raise ValueError(f"dtype must be 'bfloat16', 'float16' or 'float32', got {dtype!r}")
    try:
        import gguf  # noqa: F401  (transformers needs it to read the file)
    except ImportError:
        raise ModelError(
            "reading GGUF files needs the gguf package: run `pip install gguf==0.19.0`"
        ) from None
    import transformers

    gguf_path = Path(gguf_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _quiet_transformers(progress):
        _convert(transformers, torch, gguf_path, out_dir, dtype)
    return out_dir


def _convert(transformers, torch, gguf_path: Path, out_dir: Path, dtype: str) -> None:
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            gguf_path.parent, gguf_file=gguf_path.name
        )
        loaded = transformers.AutoModelForCausalLM.from_pretrained(
            gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32
        )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot read GGUF file {gguf_path}: {first}") from None
    model_type = loaded.config.model_type
    if model_type not in _ARCHS:
        raise ModelError(
            f"{gguf_path.name} holds a {model_type!r} model; only llama and mistral convert"
        )
    config = loaded.config
    for attr in ("quantization_config", "_name_or_path"):
        if hasattr(config, attr):
            delattr(config, attr)
    config.dtype = dtype
    config.architectures = [_ARCHS[model_type]]
    fresh = getattr(transformers, _ARCHS[model_type])(config)
    state = loaded.state_dict()
    del loaded
    missing, unexpected = fresh.load_state_dict(state, strict=False)
    # lm_head.weight is absent from a tied GGUF state dict: tie_weights() restores it
    missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
    if missing or unexpected:
        raise ModelError(
            f"{gguf_path.name}: weights do not match the config (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]})"
        )
    del state
    fresh.tie_weights()
    fresh = fresh.to(getattr(torch, dtype))
    fresh.generation_config = _generation_config(config)
    fresh.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    _legacy_rope_keys(out_dir / "config.json")


def _legacy_rope_keys(config_path: Path) -> None:
    """Also write ``rope_theta`` at the top level of ``config.json``.

    transformers 5 saves RoPE as ``rope_parameters: {rope_theta: ...}``; ``mlx_lm`` and older
    transformers read the top-level ``rope_theta`` and would silently fall back to 10,000
    (SmolLM2 uses 100,000). transformers reads either form.
    """
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config.pop("_model_name_or_path", None)
    rope = config.get("rope_parameters") or {}
    if "rope_theta" in rope:
        config.setdefault("rope_theta", rope["rope_theta"])
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _generation_config(config):
    """A plain generation config with the model's special token ids (no sampling defaults)."""
    from transformers import GenerationConfig

    return GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=getattr(config, "pad_token_id", None),
    )
