"""Build the browsable course site (MkDocs Material + mkdocs-jupyter), offline.

The site holds the README (home page), the guides in ``docs/``, every phase and project page,
and one notebook page per ready project. Sources are staged into ``build/site_src`` with
repository-relative paths kept, so the links that work on GitHub work on the site.

- **Notebook pages** are the *learner* notebook: every exercise cell shows its stub, with the
  reference solution folded behind a labelled spoiler (``<details>``, closed). The other code
  cells carry the outputs of the executed solution notebook in ``reports/notebooks/<id>.ipynb``
  (written by ``make test``, ``ml2llm run`` and :func:`refresh_executed`) where that cell's
  code is unchanged; without one the page has no outputs.
- :func:`refresh_executed` re-runs (quick mode) exactly the notebooks whose source changed
  since their executed copy was made: a copy is current when its cells' code equals the
  solution notebook rendered from today's source (a hash of the cell sources).
- **Math** renders offline with MathJax 2.7 vendored by the ``jupyter-server-mathjax`` package
  (copied into ``assets/mathjax``), on notebook pages (``$…$`` in markdown cells) and on
  markdown pages (``pymdownx.arithmatex``); :mod:`ml2llm.site_hooks` wires it per page.
- **Links** in notebook pages (``../../../docs/GLOSSARY.md#term``) are rewritten to the built
  pages by the same hooks; ``mkdocs build --strict`` checks the markdown pages and
  :func:`crawl` checks every internal link and anchor of the built HTML.

What it does not do: serve the site, or execute notebooks unless asked (``make docs`` asks).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ml2llm.manifest import load_manifest
from ml2llm.paths import repo_root

TOP_LEVEL_DOCS = (
    "GETTING_STARTED_PLAN.md",
    "classical_ml_learning_path.md",
    "complete_ml_learning_path_with_pretraining.md",
    "mistral_mlx_learning_project.md",
    "PROGRESS_LOG.md",
    "LICENSE",
    "curriculum.toml",
)

LEARNING_PATHS = (
    ("Phase 1 in depth", "classical_ml_learning_path.md"),
    ("Projects 12–17 in depth", "complete_ml_learning_path_with_pretraining.md"),
    ("Fine-tuning a real Mistral 7B", "mistral_mlx_learning_project.md"),
)

#: words that title-casing would spoil in nav titles made from file names
ACRONYMS = {"mlops": "MLOps", "ai": "AI", "ml": "ML", "llm": "LLM", "gpu": "GPU", "cli": "CLI"}

#: MathJax 2 parts the site needs (input TeX, HTML-CSS output with its web fonts)
MATHJAX_PARTS = (
    "MathJax.js",
    "LICENSE",
    "config",
    "extensions",
    "jax/input/TeX",
    "jax/output/HTML-CSS",
    "jax/element",
    "fonts/HTML-CSS/STIX-Web/woff",
)
MATHJAX_URL_PLACEHOLDER = "ml2llm-mathjax-url"
SPOILER_CLASS = "ml2llm-spoiler"


# ----------------------------------------------------------------- markdown fixes
def _fix_folder_links(text: str) -> str:
    # [x](some/folder/) → [x](some/folder/README.md); keeps anchors and external links
    def repl(match):
        label, target = match.group(1), match.group(2)
        if re.match(r"^[a-z]+:", target) or not target.endswith("/"):
            return match.group(0)
        return f"[{label}]({target}README.md)"

    return re.sub(r"\[([^\]]*)\]\(([^)\s]+)\)", repl, text)


def _fix_table_code_pipes(text: str) -> str:
    """GitHub needs ``\\|`` for a pipe inside code in a table; Python-Markdown shows the
    backslash (it already keeps pipes inside backticks), so drop it there."""

    def fix_row(line):
        if not line.lstrip().startswith("|"):
            return line
        return re.sub(r"`[^`]*`", lambda m: m.group(0).replace("\\|", "|"), line)

    return "\n".join(fix_row(line) for line in text.split("\n"))


def _fix_emoji(text: str) -> str:
    """The status column's ✅ becomes a Material icon (inline SVG, no emoji font needed)."""
    return text.replace("✅", ":material-check-circle:")


def fix_markdown(text: str) -> str:
    """Every staging fix for a markdown page, in order."""
    return _fix_emoji(_fix_table_code_pipes(_fix_folder_links(text)))


def nav_title(path: Path) -> str:
    """``MLOPS_PROFESSIONAL_GUIDE.md`` → ``MLOps Professional Guide``."""
    words = path.stem.replace("-", "_").split("_")
    return " ".join(ACRONYMS.get(w.lower(), w.capitalize()) for w in words if w)


# ----------------------------------------------------------------- notebooks
def _code_digest(nb) -> str:
    """Hash of the code cells' sources (what decides whether outputs are still valid)."""
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps(code).encode()).hexdigest()


def _read_notebook(path: Path):
    import nbformat

    return nbformat.read(str(path), as_version=4)


def is_current(executed_path: Path, project) -> bool:
    """True when ``executed_path`` was run from the project's current source."""
    from ml2llm.notebooks.source import solution_notebook

    if not executed_path.exists():
        return False
    try:
        executed = _read_notebook(executed_path)
    except Exception:  # unreadable or truncated: re-run it
        return False
    return _code_digest(executed) == _code_digest(solution_notebook(project.source_path()))


def refresh_executed(projects, executed_dir: Path, quick: bool = True, log=print) -> dict:
    """Execute (quick mode by default) every project whose executed notebook is missing or
    stale; reuse the others. Returns ``{"reused": [...], "executed": [...], "failed": [...]}``.
    """
    from ml2llm.notebooks.execute import execute_notebook
    from ml2llm.notebooks.source import solution_notebook
    from ml2llm.report import save_executed

    projects = list(projects)
    stale = [p for p in projects if not is_current(executed_dir / f"{p.id}.ipynb", p)]
    reused = [p.id for p in projects if p not in stale]
    log(
        f"notebooks: {len(reused)} of {len(projects)} executed notebooks are current "
        f"(source unchanged) and reused; {len(stale)} to run "
        f"({'quick' if quick else 'full'} mode)"
    )
    done, failed = [], []
    for k, p in enumerate(stale, start=1):
        log(f"  [{k}/{len(stale)}] {p.id} {p.title} ...", end="", flush=True)
        start = time.perf_counter()
        nb = solution_notebook(p.source_path())
        result = execute_notebook(nb, cwd=p.path(), quick=quick)
        seconds = time.perf_counter() - start
        if result.ok:
            save_executed(nb, executed_dir, p.id)
            done.append(p.id)
            log(f" done in {seconds:.0f} s", flush=True)
        else:
            failed.append(p.id)
            log(f" FAILED after {seconds:.0f} s: {result.error}", flush=True)
    return {"reused": reused, "executed": done, "failed": failed}


def page_notebook(project, executed_path: Path | None = None):
    """The notebook published on the site: the learner notebook, each exercise followed by
    its folded reference solution, and the executed outputs of unchanged non-exercise cells."""
    import nbformat

    from ml2llm.notebooks.source import learner_notebook, solution_notebook

    learner = learner_notebook(project.source_path())
    solution = {c.id: c for c in solution_notebook(project.source_path()).cells}
    executed = {}
    if executed_path is not None and executed_path.exists():
        try:
            executed = {c.get("id"): c for c in _read_notebook(executed_path).cells}
        except Exception:  # unreadable: publish without outputs
            executed = {}
    cells = []
    for cell in learner.cells:
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        ref = solution.get(cell.id)
        if ref is not None and ref.source != cell.source:  # an exercise cell
            label = next(
                (m for m in re.findall(r'NotImplementedError\("([^"]+)"\)', cell.source)),
                "this exercise",
            )
            spoiler = nbformat.v4.new_markdown_cell(
                f'<details class="{SPOILER_CLASS}"><summary>Spoiler: reference solution for '
                f"{html.escape(label)} (try it yourself first)</summary>\n"
                f'<pre><code class="language-python">{html.escape(ref.source)}</code></pre>\n'
                "</details>"
            )
            spoiler["id"] = f"{cell.id}-solution"
            cells.append(spoiler)
            continue
        run = executed.get(cell.id)
        if run is not None and run.get("source") == cell.source:
            cell.outputs = run.get("outputs", [])
            cell.execution_count = run.get("execution_count")
    learner.cells = cells
    return learner


# ----------------------------------------------------------------- staging and config
def _copy_mathjax(dest: Path) -> None:
    try:
        import jupyter_server_mathjax
    except ImportError as exc:  # pragma: no cover - requirements.txt pins it
        raise RuntimeError(
            "jupyter-server-mathjax is not installed: run `make setup` (the site vendors its "
            "MathJax so that math renders offline)"
        ) from exc
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    for part in MATHJAX_PARTS:
        src = static / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("a11y"))
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / part)


def stage(out: Path, executed_dir: Path | None = None) -> dict:
    """Copy the site's sources into ``out``; returns what was staged."""
    import nbformat

    root = repo_root()
    cur = load_manifest()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    def put(src: Path, rel: str, text_fix=True):
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".md" and text_fix:
            dst.write_text(fix_markdown(src.read_text(encoding="utf-8")), encoding="utf-8")
        else:
            shutil.copyfile(src, dst)

    put(root / "README.md", "index.md")
    for name in TOP_LEVEL_DOCS:
        if (root / name).exists():
            put(root / name, name)
    for doc in sorted((root / "docs").glob("*.md")):
        put(doc, f"docs/{doc.name}")
    executed, learner = [], []
    for phase, _ in cur.phases:
        readme = root / "projects" / phase / "README.md"
        if readme.exists():
            put(readme, f"projects/{phase}/README.md")
    for p in cur.ready():
        folder = p.path(root)
        for f in folder.iterdir():
            if f.is_file() and f.suffix in {".md", ".py"} and not f.name.startswith("."):
                put(f, f"{p.folder}/{f.name}")
        nb_path = executed_dir / f"{p.id}.ipynb" if executed_dir else None
        has_outputs = nb_path is not None and nb_path.exists()
        page = page_notebook(p, nb_path if has_outputs else None)
        dst = out / p.folder / p.notebook
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(nbformat.writes(page), encoding="utf-8")
        (executed if has_outputs else learner).append(p.id)
    _copy_mathjax(out / "assets" / "mathjax")
    return {"executed": executed, "learner": learner}


def _config(cur) -> str:
    nav = [
        "  - Home: index.md",
        "  - Getting started: GETTING_STARTED_PLAN.md",
        "  - Learning paths:",
        *[f"      - {t}: {f}" for t, f in LEARNING_PATHS if (repo_root() / f).exists()],
        "  - Guides:",
    ]
    nav += [
        f'      - "{nav_title(p)}": docs/{p.name}'
        for p in sorted((repo_root() / "docs").glob("*.md"))
    ]
    for phase, title in cur.phases:
        nav.append(f'  - "{title}":')
        nav.append(f"      - Overview: projects/{phase}/README.md")
        for p in cur.ready():
            if p.phase == phase:
                nav.append(f'      - "{p.id} {p.title}":')
                nav.append(f"          - About: {p.folder}/README.md")
                nav.append(f"          - Notebook: {p.folder}/{p.notebook}")
    nav.append("  - Progress log: PROGRESS_LOG.md")
    hooks = Path(__file__).with_name("site_hooks.py")
    return "\n".join(
        [
            "site_name: learning-ml-to-llm",
            "site_description: From linear regression to LoRA, built from scratch",
            "docs_dir: content",
            "theme:",
            "  name: material",
            "  font: false",  # no web fonts: the site works offline
            "  features: [navigation.sections, search.suggest, content.code.copy]",
            f"hooks: [{json.dumps(str(hooks))}]",
            "plugins:",
            "  - search",
            "  - mkdocs-jupyter:",
            "      include: ['*.ipynb']",
            "      execute: false",
            "      include_source: true",
            f"      custom_mathjax_url: {MATHJAX_URL_PLACEHOLDER}",
            "markdown_extensions:",
            "  - tables",
            "  - admonition",
            "  - pymdownx.details",
            "  - pymdownx.arithmatex: {generic: true}",
            "  - toc:",  # GitHub's anchors, so the links that work on GitHub work here
            "      slugify: !!python/object/apply:pymdownx.slugs.slugify {kwds: {case: lower}}",
            "  - pymdownx.emoji:",
            "      emoji_index: !!python/name:material.extensions.emoji.twemoji",
            "      emoji_generator: !!python/name:material.extensions.emoji.to_svg",
            "validation:",
            "  omitted_files: info",
            "  absolute_links: warn",
            "  unrecognized_links: warn",
            "  anchors: warn",
            "nav:",
            *nav,
            "",
        ]
    )


def build(
    site_dir: Path,
    executed_dir: Path | None = None,
    strict: bool = True,
    log=print,
    work_dir: Path | None = None,
) -> int:
    """Stage into ``work_dir`` (default ``build/site_src``), run ``mkdocs build`` and crawl
    the result; returns 0 when all went well."""
    src = Path(work_dir) if work_dir is not None else repo_root() / "build" / "site_src"
    info = stage(src / "content", executed_dir)
    (src / "mkdocs.yml").write_text(_config(load_manifest()), encoding="utf-8")
    if info["learner"]:
        log(
            f"note: no executed notebook for {', '.join(info['learner'])}: their pages have no "
            "outputs (`make docs` runs them first)"
        )
    log(f"building the site with mkdocs into {site_dir} ...", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "-q",
        "-f",
        str(src / "mkdocs.yml"),
        "-d",
        str(site_dir.resolve()),
    ]
    if strict:
        cmd.append("--strict")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    code = subprocess.run(cmd, cwd=src, env=env).returncode
    if code != 0:
        return code
    report = crawl(site_dir)
    log(
        f"crawl: {report['pages']} pages, {report['links']} internal links, "
        f"{len(report['broken'])} broken"
    )
    for page, href, why in report["broken"][:50]:
        log(f"  {page}: {href} ({why})")
    return 1 if report["broken"] and strict else 0


# ----------------------------------------------------------------- crawl
class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        for key in ("href", "src"):
            if a.get(key) and tag in {"a", "img", "script", "link", "iframe", "source"}:
                self.links.append(a[key])


def _internal(href: str) -> bool:
    scheme = urlsplit(href).scheme
    return not scheme and not href.startswith("//")


def crawl(site_dir: Path) -> dict:
    """Every internal ``href``/``src`` of every built page: does the file exist, and does the
    page have the ``#anchor``? Returns ``{"pages", "links", "broken": [(page, href, why)]}``."""
    site_dir = Path(site_dir)
    pages = {}
    for path in sorted(site_dir.rglob("*.html")):
        parser = _PageParser()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        pages[path.relative_to(site_dir).as_posix()] = parser
    broken, n_links = [], 0
    for rel, parser in pages.items():
        if rel == "404.html":  # its links are root-absolute by design (any URL may show it)
            continue
        base = posixpath.dirname(rel)
        for href in parser.links:
            if not _internal(href):
                continue
            n_links += 1
            parts = urlsplit(href)
            target = (
                rel
                if not parts.path
                else posixpath.normpath(posixpath.join(base, unquote(parts.path)))
            )
            if target.startswith(".."):
                broken.append((rel, href, "points outside the site"))
                continue
            file = site_dir / target
            if file.is_dir():
                file = file / "index.html"
                target = posixpath.join(target, "index.html")
            if not file.exists():
                broken.append((rel, href, "404"))
                continue
            anchor = unquote(parts.fragment)
            if anchor and target.endswith(".html"):
                ids = pages[posixpath.normpath(target)].ids
                if anchor not in ids:
                    broken.append((rel, href, f"no anchor #{anchor}"))
    return {"pages": len(pages), "links": n_links, "broken": broken}
