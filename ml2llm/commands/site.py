"""``ml2llm site``: build the static course site (see :mod:`ml2llm.site`)."""

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
    p.add_argument("--no-strict", action="store_true", help="do not treat warnings as errors")
    p.set_defaults(func=run)


def run(args) -> int:
    for module in ("mkdocs", "material", "mkdocs_jupyter"):
        if importlib.util.find_spec(module) is None:
            raise UsageError(
                f"{module} is not installed: run `make setup` (requirements.txt lists it)"
            )
    from ml2llm.paths import repo_root
    from ml2llm.site import build

    executed = Path(args.executed)
    if not executed.is_absolute():
        executed = repo_root() / executed
    code = build(Path(args.out), executed if executed.is_dir() else None, strict=not args.no_strict)
    if code == 0:
        print(f"site written to {args.out}/index.html")
    return code
