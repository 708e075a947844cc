"""Get a pretrained model once, then load it: :func:`ensure_model`, :func:`load_pretrained`,
:func:`load_scratch`.

``ensure_model("smollm2-135m-instruct")`` converts the GGUF file that a pip package ships
into a Hugging Face folder under ``data/models/<name>/`` (git-ignored; ``ML2LLM_MODELS_DIR``
or ``models_dir=`` moves it). The conversion

- checks the disk space first and the source checksum before converting;
- writes into a temporary folder beside the target and renames it into place, so a
  half-written folder never carries the model's name;
- writes ``manifest.json`` (the source and every file's size and SHA-256) last; a folder
  whose manifest is missing or whose files do not match it is converted again;
- holds a file lock, so pytest-xdist workers and notebooks that ask at once convert once.

A second call only reads the manifest and compares file sizes (milliseconds);
:func:`verify_model` recomputes the checksums.

Any other Hugging Face folder (a real ``mistralai/Mistral-7B-Instruct-v0.3`` download, a
folder written by ``save_pretrained``) is used in place by path: the same loaders accept it.
Nothing is downloaded. Every failure is a :class:`~ml2llm.models.registry.ModelError` with a
one-line message.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from ml2llm.models.convert import _quiet_transformers, convert_gguf, sha256_file
from ml2llm.models.registry import REGISTRY, ModelError, ModelSpec, get_spec, known_names

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
SUPPORTED_TYPES = ("llama", "mistral")
_WEIGHT_GLOBS = ("*.safetensors", "pytorch_model*.bin")


def default_models_dir() -> Path:
    """``$ML2LLM_MODELS_DIR`` if set, else ``data/models`` under the repository root."""
    env = os.environ.get("ML2LLM_MODELS_DIR")
    if env:
        return Path(env).expanduser().resolve()
    from ml2llm.paths import repo_root

    return repo_root() / "data" / "models"


# --------------------------------------------------------------------------- manifest
def _file_records(folder: Path) -> dict:
    return {
        p.name: {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST
    }


def read_manifest(folder) -> dict | None:
    """The manifest of a converted folder, or ``None`` if absent, unreadable or stale.

    Stale means a listed file is missing or has another size than recorded.
    """
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("format") != FORMAT_VERSION or not files:
            return None
        for name, rec in files.items():
            if (Path(folder) / name).stat().st_size != rec["bytes"]:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest


def verify_model(folder) -> None:
    """Recompute every file's SHA-256 against the manifest; :class:`ModelError` on a mismatch."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        raise ModelError(f"{folder} has no valid {MANIFEST}: convert it with `ml2llm model get`")
    for name, rec in manifest["files"].items():
        if sha256_file(folder / name) != rec["sha256"]:
            raise ModelError(
                f"{folder / name} is corrupt (checksum mismatch): delete {folder} and run "
                "`ml2llm model get` again"
            )


# --------------------------------------------------------------------------- ensure
def _check_disk(spec: ModelSpec, models_dir: Path) -> None:
    need = int(spec.converted_bytes * 1.1)
    free = shutil.disk_usage(models_dir).free
    if free < need:
        raise ModelError(
            f"not enough disk space to convert {spec.name}: it needs about {need / 1e6:.0f} MB "
            f"in {models_dir}, {free / 1e6:.0f} MB are free (set ML2LLM_MODELS_DIR elsewhere)"
        )


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _convert_into(spec: ModelSpec, target: Path, progress: bool) -> None:
    """Convert ``spec`` and publish it at ``target`` atomically (caller holds the lock)."""
    source = spec.source_path()
    models_dir = target.parent
    _check_disk(spec, models_dir)
    digest = sha256_file(source, progress=progress, desc=f"checksum {source.name}")
    if digest != spec.sha256:
        raise ModelError(
            f"{source} is corrupt (checksum mismatch: expected {spec.sha256[:12]}…, got "
            f"{digest[:12]}…): reinstall it with `{spec.pip_command} --force-reinstall`"
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}.tmp-", dir=models_dir))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the published folder is not
        if progress:
            print(f"converting {source.name} -> {target} (once)", flush=True)
        convert_gguf(source, tmp, dtype="bfloat16", progress=progress)
        manifest = {
            "format": FORMAT_VERSION,
            "name": spec.name,
            "license": spec.license,
            "source": {
                "package": f"{spec.pip_name}=={spec.version}",
                "file": spec.filename,
                "sha256": spec.sha256,
            },
            "dtype": "bfloat16",
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": _file_records(tmp),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if target.exists():  # a stale or broken folder: move it aside, then delete it
            stale = models_dir / f".{spec.name}.stale-{uuid.uuid4().hex[:8]}"
            os.replace(target, stale)
            _remove(stale)
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


def _check_folder(path: Path) -> Path:
    """``path`` if it is a Llama/Mistral Hugging Face folder, else a one-line ModelError."""
    if not path.is_dir():
        raise ModelError(f"{path} is a file, not a model folder or a known model name")
    config_path = path / "config.json"
    if not config_path.is_file():
        raise ModelError(f"{path} is not a Hugging Face model folder: it has no config.json")
    try:
        model_type = json.loads(config_path.read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError) as exc:
        raise ModelError(f"{config_path} is not valid JSON: {exc}") from None
    if model_type not in SUPPORTED_TYPES:
        raise ModelError(
            f"{path} holds a {model_type!r} model; supported: {', '.join(SUPPORTED_TYPES)}"
        )
    if not any(any(path.glob(g)) for g in _WEIGHT_GLOBS):
        raise ModelError(f"{path} is not a Hugging Face model folder: it has no weights file")
    return path


def ensure_model(name_or_path, *, models_dir=None, progress: bool = True) -> Path:
    """The Hugging Face folder of a known model (converted once) or of a given folder.

    Parameters
    ----------
    name_or_path : str or path-like
        A name from :func:`~ml2llm.models.registry.known_names` (``"smollm2-135m-instruct"``)
        or the path of a Llama/Mistral Hugging Face folder, which is returned as is.
    models_dir : path-like, optional
        Where converted models live (default :func:`default_models_dir`).
    progress : bool
        Show progress bars while converting.

    Returns
    -------
    pathlib.Path
        The folder to pass to ``from_pretrained`` or ``mlx_lm.load``.

    Raises
    ------
    ModelError
        Unknown name, missing package, corrupt source file, too little disk space, or a
        folder that is not a Llama/Mistral model.
    """
    if isinstance(name_or_path, os.PathLike) or (
        isinstance(name_or_path, str) and name_or_path not in REGISTRY
    ):
        path = Path(name_or_path).expanduser()
        if path.exists():
            return _check_folder(path.resolve())
        if isinstance(name_or_path, os.PathLike):
            raise ModelError(f"model folder {path} does not exist")
        raise ModelError(
            f"{name_or_path!r} is neither a known model ({', '.join(known_names())}) nor an "
            "existing folder (nothing is downloaded: pass the path of a local model folder)"
        )
    if not isinstance(name_or_path, str):
        raise ModelError(
            f"name_or_path must be a model name or a folder path, got {type(name_or_path).__name__}"
        )
    spec = get_spec(name_or_path)
    models_dir = Path(models_dir).expanduser() if models_dir else default_models_dir()
    target = models_dir / spec.name
    if read_manifest(target) is not None:
        return target
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot create the models folder {models_dir}: {exc}") from None
    from filelock import FileLock

    with FileLock(str(models_dir / f".{spec.name}.lock")):
        if read_manifest(target) is None:  # another process may have finished meanwhile
            _convert_into(spec, target, progress)
    return target


# --------------------------------------------------------------------------- load
def load_pretrained(name_or_path, *, dtype=None, models_dir=None, progress: bool = True):
    """``(model, tokenizer)``: a Hugging Face ``LlamaForCausalLM``/``MistralForCausalLM``.

    Parameters
    ----------
    name_or_path : str or path-like
        As in :func:`ensure_model`.
    dtype : torch.dtype, optional
        Weights dtype (default ``torch.float32``; the stored bf16 weights are upcast exactly).
    models_dir, progress
        As in :func:`ensure_model`.

    Returns
    -------
    model : transformers.PreTrainedModel
        In eval mode.
    tokenizer : transformers.PreTrainedTokenizerBase
        With the chat template when the model has one.
    """
    import torch
    import transformers

    folder = ensure_model(name_or_path, models_dir=models_dir, progress=progress)
    dtype = torch.float32 if dtype is None else dtype
    with _quiet_transformers(progress=False):
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    return model.eval(), tokenizer


def load_scratch(name_or_path, *, dtype=None, models_dir=None, progress: bool = True):
    """``(model, tokenizer)`` with the from-scratch :class:`~ml2llm.transformers.Llama`.

    The weights are read from the folder's safetensors straight into the model (built on the
    ``meta`` device, so no second copy of the weights is made). The result equals
    ``ml2llm.transformers.from_hf(load_pretrained(...)[0])``.
    """
    import transformers

    folder = ensure_model(name_or_path, models_dir=models_dir, progress=progress)
    model = scratch_model(folder, dtype=dtype)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    return model.eval(), tokenizer


def scratch_model(folder, dtype=None):
    """Our :class:`~ml2llm.transformers.Llama` from a Hugging Face folder's config and
    safetensors (no tokenizer, no conversion: ``folder`` must already be a model folder).

    The safetensors are memory-mapped and assigned to a model built on the ``meta`` device,
    so in the stored dtype the weights are never copied: pages are read as they are used.
    """
    import torch
    import transformers
    from safetensors.torch import load_file

    from ml2llm.transformers import Llama
    from ml2llm.transformers.hf import mistral_config_from_hf

    folder = _check_folder(Path(folder))
    dtype = torch.float32 if dtype is None else dtype
    hf_config = transformers.AutoConfig.from_pretrained(folder)
    try:
        config = mistral_config_from_hf(hf_config)
    except ValueError as exc:
        raise ModelError(f"{folder}: {exc}") from None
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ModelError(f"{folder} has no safetensors weights (only those load from scratch)")
    state = {}
    for f in files:
        state.update(load_file(f))
    state = {k: v.to(dtype) for k, v in state.items()}
    if config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    with torch.device("meta"):
        model = Llama(config)
    expected = model.state_dict()
    if config.tie_word_embeddings:
        expected.pop("lm_head.weight", None)
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    bad = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or bad:
        raise ModelError(
            f"{folder}: weights do not match config.json (missing {missing[:3]}, unexpected "
            f"{unexpected[:3]}, wrong shape {bad[:3]})"
        )
    model.load_state_dict(state, strict=False, assign=True)
    if config.tie_word_embeddings:
        model.lm_head.weight = model.model.embed_tokens.weight
    return model.eval()
