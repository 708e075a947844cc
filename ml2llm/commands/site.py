"""``ml2llm site``: build the static course site (see :mod:`ml2llm.site`).

``--run-stale`` first executes, with progress, every notebook whose executed copy in
``--executed`` is missing or older than its source, and reuses the others (``make docs``
passes it). Without it the site uses whatever executed notebooks exist.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ml2llm.errors import UsageError


def register(subparsers):
    p = subparsers.add_parser("site", help="build the static course site (MkDocs) into --out")
    p.add_argument("--out", default="site", help="output folder (default: site)")
    p.add_argument(
        "--executed", default="reports/notebooks", help="folder of executed notebooks <id>.ipynb"
    )
    p.add_argument(
        "--run-stale",
        action="store_true",
        help="first execute the notebooks whose source changed since their executed copy",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="with --run-stale: run notebooks in full mode (default: quick mode)",
    )
    p.add_argument("--no-strict", action="store_true", help="do not treat warnings as errors")
    p.set_defaults(func=run)


def run(args) -> int:
    for module in ("mkdocs", "material", "mkdocs_jupyter", "jupyter_server_mathjax"):
        if importlib.util.find_spec(module) is None:
            raise UsageError(
                f"{module} is not installed: run `make setup` (requirements.txt lists it)"
            )
    from ml2llm.manifest import load_manifest
    from ml2llm.paths import repo_root
    from ml2llm.site import build, refresh_executed

    executed = Path(args.executed)
    if not executed.is_absolute():
        executed = repo_root() / executed
    if executed.exists() and not executed.is_dir():
        raise UsageError(f"--executed {args.executed} is not a folder")
    if args.run_stale:
        executed.mkdir(parents=True, exist_ok=True)
        result = refresh_executed(load_manifest().ready(), executed, quick=not args.full)
        if result["failed"]:
            print(
                f"warning: {len(result['failed'])} notebook(s) failed ({', '.join(result['failed'])}); "
                "their pages keep the outputs of their last good run, if any"
            )
    code = build(Path(args.out), executed if executed.is_dir() else None, strict=not args.no_strict)
    if code == 0:
        print(f"site written to {args.out}/index.html")
    return code
