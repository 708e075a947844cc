"""``ml2llm`` — the command line for the curriculum.

    ml2llm list [--phase P]            the whole path, from curriculum.toml
    ml2llm status                      the path with your progress (checks passed)
    ml2llm check ID [--notebook NB]    run your notebook, record which checks pass
    ml2llm solution ID [--force]       write the solution notebook beside yours
    ml2llm run [ID|all] [--quick]      execute ready projects, write reports/index.html
    ml2llm progress ID --note TEXT     append a dated entry to MY_PROGRESS_LOG.md (git-ignored)
    ml2llm device                      the compute backend that will be used
    ml2llm data shakespeare            build the offline Shakespeare corpus
    ml2llm notebooks [--check]         regenerate learner notebooks from their sources

More subcommands are plugged in from :mod:`ml2llm.commands`. Every error is one line on
stderr with exit code 2: :class:`~ml2llm.errors.UsageError`, and the input/environment errors
that :func:`ml2llm.errors.one_line` knows (``OSError`` such as a full disk, a truncated
safetensors file, bad JSON, ``ValueError``). ``ML2LLM_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import tempfile
from pathlib import Path

from ml2llm.errors import UsageError, one_line


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are a single line (no usage dump) and exit with code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


# ----------------------------------------------------------------- helpers
def _curriculum():
    from ml2llm.manifest import load_manifest

    return load_manifest()


def _project(pid):
    from ml2llm.manifest import UnknownProjectError

    try:
        return _curriculum().get(pid)
    except UnknownProjectError as exc:
        raise UsageError(str(exc)) from None


def _require_ready(project):
    if not project.ready:
        raise UsageError(
            f"project {project.id} is planned, not built yet; ready ones: "
            + ", ".join(p.id for p in _curriculum().ready())
        )


def _bar(done, total, width=12):
    if total == 0:
        return " " * width
    filled = round(width * done / total)
    return "█" * filled + "░" * (width - filled)


# ----------------------------------------------------------------- commands
def cmd_list(args) -> int:
    cur = _curriculum()
    phase = None
    for p in cur.projects:
        if args.phase and args.phase not in p.phase:
            continue
        if p.phase != phase:
            phase = p.phase
            print(f"\n{cur.phase_title(phase)}")
        mark = "●" if p.ready else "○"
        print(f"  {mark} {p.id:>5}  {p.title}  ({p.hours:g} h, {p.status})")
    ready = len(cur.ready())
    print(f"\n{ready}/{len(cur.projects)} projects ready · ● ready ○ planned")
    return 0


def cmd_status(args) -> int:
    from ml2llm.progress import load_progress, passed_checks

    cur = _curriculum()
    data = load_progress()
    phase, total_done, total = None, 0, 0
    for p in cur.projects:
        if p.phase != phase:
            phase = p.phase
            print(f"\n{cur.phase_title(phase)}")
        done = len(passed_checks(p, data))
        total_done += done
        total += len(p.checks)
        if not p.ready:
            print(f"  {p.id:>5}  {'(planned)':>12}        {p.title}")
            continue
        flag = "✓" if p.checks and done == len(p.checks) else " "
        print(
            f"  {p.id:>5}  {_bar(done, len(p.checks))} {done:>2}/{len(p.checks):<2} {flag} {p.title}"
        )
    print(f"\n{total_done}/{total} checks passed across the ready projects.")
    print(
        "Record progress with `ml2llm check ID`; write notes with `ml2llm progress ID --note ...`."
    )
    return 0


def cmd_check(args) -> int:
    import nbformat

    from ml2llm.notebooks.execute import execute_notebook
    from ml2llm.progress import record_checks

    project = _project(args.id)
    _require_ready(project)
    path = Path(args.notebook) if args.notebook else project.notebook_path()
    if not path.is_file():
        raise UsageError(f"notebook not found: {path}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        raise UsageError(f"cannot read notebook {path}: {exc}") from None
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "checks.jsonl"
        log.touch()
        print(f"Running {path.name} (quick mode: {not args.full}) …", flush=True)
        # subtle: run in the project folder even for a notebook saved elsewhere, so the
        # notebook's repo-root lookup and relative paths behave as in Jupyter.
        execute_notebook(
            nb,
            cwd=project.path(),
            quick=not args.full,
            allow_errors=True,
            extra_env={"ML2LLM_CHECK_LOG": str(log)},
        )
        seen = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            seen[rec["id"]] = rec["status"]
    results = {cid: seen.get(cid, "not run") for cid in project.checks}
    record_checks(project, results)
    symbols = {"passed": "✓", "todo": "…", "not run": "·"}
    for cid, status in results.items():
        print(f"  {symbols.get(status, '✗')} {cid}: {status}")
    done = sum(s == "passed" for s in results.values())
    print(
        f"Project {project.id}: {done}/{len(results)} checks passed (recorded in .ml2llm/progress.json)."
    )
    return 0 if done == len(results) else 1


def cmd_solution(args) -> int:
    from ml2llm.notebooks.source import solution_notebook, write_notebook

    project = _project(args.id)
    _require_ready(project)
    out = Path(args.out) if args.out else project.solution_path()
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; pass --force to overwrite it")
    write_notebook(solution_notebook(project.source_path()), out)
    print(f"wrote {out}")
    return 0


def cmd_run(args) -> int:
    from tqdm import tqdm

    from ml2llm.report import run_project, save_runs, write_index

    cur = _curriculum()
    if args.id in (None, "all"):
        projects = cur.ready()
    else:
        project = _project(args.id)
        _require_ready(project)
        projects = [project]
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to output folder {out}: {exc.strerror}") from None
    quick = args.quick or os.environ.get("ML2LLM_QUICK") == "1"
    runs = []
    bar = tqdm(projects, desc="projects", unit="nb", file=sys.stdout, disable=args.no_progress)
    for p in bar:
        bar.set_postfix_str(p.id)
        run = run_project(p, out, quick=quick)
        runs.append(run)
        state = "ok" if run.ok else f"FAILED ({run.error})"
        tqdm.write(
            f"  {p.id:>5} {p.title[:60]:60s} {run.seconds:6.1f} s  {len(run.figures)} figures  {state}",
            file=sys.stdout,
        )
    merged = save_runs(out, runs)
    index = write_index(out, cur, merged, quick)
    failed = [r.id for r in runs if not r.ok]
    print(f"wrote {index} ({len(runs) - len(failed)}/{len(runs)} projects ran cleanly)")
    return 1 if failed else 0


def cmd_progress(args) -> int:
    from ml2llm.progress import append_log_entry

    project = _project(args.id)
    note = args.note
    if note is None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not (editor and sys.stdin.isatty()):
            raise UsageError(
                "give your notes with --note TEXT (or set $EDITOR in an interactive shell)"
            )
        import shlex
        import subprocess

        with tempfile.NamedTemporaryFile("w+", suffix=".md", delete=False) as fh:
            fh.write(f"<!-- notes on project {project.id}; save and close -->\n")
            name = fh.name
        subprocess.run([*shlex.split(editor), name], check=False)
        note = "\n".join(
            line for line in Path(name).read_text().splitlines() if not line.startswith("<!--")
        )
        os.unlink(name)
    if not note.strip():
        raise UsageError("the note is empty; nothing was written")
    if args.hours is not None and args.hours < 0:
        raise UsageError(f"--hours must be >= 0, got {args.hours}")
    path = append_log_entry(project, note, args.hours)
    print(f"appended an entry for project {project.id} to {path}")
    return 0


def cmd_device(args) -> int:
    from ml2llm.device import BackendError, backend_info

    try:
        print(backend_info())
    except BackendError as exc:
        raise UsageError(str(exc)) from None
    return 0


def cmd_data(args) -> int:
    from ml2llm.data.shakespeare import CorpusNotFoundError, prepare_corpus

    try:
        info = prepare_corpus(
            Path(args.out) if args.out else None, online=args.online, force=args.force
        )
    except CorpusNotFoundError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write the corpus: {exc}") from None
    works = f", {info['works']} works" if info["works"] else ""
    print(f"{info['path']}: {info['chars']:,} characters{works} ({info['source']})")
    return 0


def cmd_notebooks(args) -> int:
    from ml2llm.notebooks.source import is_in_sync, learner_notebook, write_notebook

    cur = _curriculum()
    projects = [_project(i) for i in args.ids] if args.ids else cur.ready()
    stale = []
    for p in projects:
        if not p.source_path().exists():
            if args.ids:
                raise UsageError(f"project {p.id} has no notebook source at {p.source_path()}")
            continue
        if is_in_sync(p.source_path(), p.notebook_path()):
            continue
        stale.append(p.id)
        if not args.check:
            write_notebook(learner_notebook(p.source_path()), p.notebook_path())
            print(f"regenerated {p.notebook_path()}")
    from ml2llm.readme import generated_files, render, sync_readme

    for path, phase in generated_files():
        text = path.read_text(encoding="utf-8")
        if render(text, cur, phase) != text:
            stale.append(f"the table in {path.name if phase is None else phase + '/README.md'}")
            if not args.check:
                sync_readme(path, phase)
                print(f"updated the generated table in {path}")
    if args.check and stale:
        print(
            f"out of sync with their sources: {', '.join(stale)} (run `make notebooks`)",
            file=sys.stderr,
        )
        return 1
    if not stale:
        print("all learner notebooks are in sync with their sources")
    return 0


# ----------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ml2llm", description="The learning-ml-to-llm curriculum tool.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("list", help="show the curriculum")
    p.add_argument("--phase", help="only phases whose id contains this text")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("status", help="show the curriculum with your progress")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("check", help="run your notebook for project ID and record passed checks")
    p.add_argument("id")
    p.add_argument("--notebook", help="notebook to run (default: the project's learner notebook)")
    p.add_argument("--full", action="store_true", help="full mode instead of quick mode")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("solution", help="write the solution notebook for project ID")
    p.add_argument("id")
    p.add_argument("--out", help="output path (default: <notebook>_solution.ipynb beside it)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_solution)

    p = sub.add_parser("run", help="execute ready projects and write reports/index.html")
    p.add_argument("id", nargs="?", default="all", help="a project id or 'all' (default)")
    p.add_argument("--quick", action="store_true", help="quick mode: small data, few steps")
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("progress", help="append a dated entry to PROGRESS_LOG.md")
    p.add_argument("id")
    p.add_argument("--note", help="your notes (default: open $EDITOR)")
    p.add_argument("--hours", type=float, help="time spent, in hours")
    p.set_defaults(func=cmd_progress)

    p = sub.add_parser("device", help="show the compute backend")
    p.set_defaults(func=cmd_device)

    p = sub.add_parser("data", help="prepare datasets")
    p.add_argument("dataset", choices=["shakespeare"])
    p.add_argument("--out", help="output file (default: data/raw/shakespeare.txt)")
    p.add_argument("--online", action="store_true", help="try downloading tiny-shakespeare first")
    p.add_argument("--force", action="store_true", help="rebuild an existing file")
    p.set_defaults(func=cmd_data)

    p = sub.add_parser("notebooks", help="regenerate learner notebooks from their sources")
    p.add_argument("ids", nargs="*", help="project ids (default: all ready projects)")
    p.add_argument("--check", action="store_true", help="only report notebooks out of sync")
    p.set_defaults(func=cmd_notebooks)

    import ml2llm.commands as plugins

    for info in sorted(pkgutil.iter_modules(plugins.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"ml2llm.commands.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def _quiet_library_progress_bars() -> None:
    """Hugging Face's own progress bars ("Loading weights", "Writing model shards") go to
    stderr; when stderr is not a terminal they would surround the one-line error there."""
    if sys.stderr.isatty():
        return
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules:  # imported before us: switch its flag directly
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except Exception:  # an old or partial transformers: the bars are cosmetic
            pass


def main(argv=None) -> int:
    _quiet_library_progress_bars()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"ml2llm: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ml2llm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `ml2llm list | head`
        sys.stderr.close()
        return 0
    except Exception as exc:
        # Bad input or a hostile environment (full disk, read-only folder, truncated or
        # binary file, invalid JSON, a ValueError from a library call): one line, exit 2.
        # Programming errors (TypeError, KeyError ...) keep their traceback.
        message = one_line(exc)
        if message is None or os.environ.get("ML2LLM_DEBUG") == "1":
            raise
        print(f"ml2llm: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
