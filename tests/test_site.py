"""The course site: staging fixes, spoilers, reuse of executed notebooks, and the built site
itself — every internal link and anchor resolves, and math is typeset in a real browser.

The built-site tests share one build (module fixture, one xdist group) made from the learner
notebooks without executing anything (``executed_dir=None``), so they take about half a
minute of CPU; ``make docs`` in CI builds the full site with outputs and crawls it again.
The browser test needs Debian's ``chromium``: it skips with a reason on a developer machine
without it and fails under ``CI=true`` (``.ci/run`` installs it).
"""

import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from functools import partial
from pathlib import Path

import nbformat
import pytest
import yaml

from ml2llm.manifest import load_manifest
from ml2llm.site import (
    SPOILER_CLASS,
    _config,
    _fix_folder_links,
    _fix_table_code_pipes,
    build,
    crawl,
    fix_markdown,
    nav_title,
    page_notebook,
    refresh_executed,
    stage,
)

CUR = load_manifest()
P01 = CUR.get("01")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Loader(yaml.SafeLoader):
    """mkdocs.yml holds ``!!python/…`` tags (slugify, emoji); read them as plain values."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: suffix)


# ----------------------------------------------------------------- staging
def test_folder_links_point_at_readmes():
    text = "[P1](projects/x/) [ext](https://a.b/) [doc](docs/GLOSSARY.md#lora)"
    assert (
        _fix_folder_links(text)
        == "[P1](projects/x/README.md) [ext](https://a.b/) [doc](docs/GLOSSARY.md#lora)"
    )


def test_escaped_pipes_in_table_code_are_unescaped_and_status_emoji_is_an_icon():
    row = "| **CLI** | `finetune --backend torch\\|peft\\|mlx` | a \\| b |"
    assert (
        _fix_table_code_pipes(row) == "| **CLI** | `finetune --backend torch|peft|mlx` | a \\| b |"
    )
    assert _fix_table_code_pipes("not a table `a\\|b`") == "not a table `a\\|b`"
    assert fix_markdown("| 01 | x | ✅ ready |") == "| 01 | x | :material-check-circle: ready |"


def test_nav_titles_keep_acronyms():
    assert nav_title(Path("docs/MLOPS_PROFESSIONAL_GUIDE.md")) == "MLOps Professional Guide"
    assert nav_title(Path("docs/RESPONSIBLE_AI_GUIDE.md")) == "Responsible AI Guide"
    assert nav_title(Path("docs/TESTING_GUIDE.md")) == "Testing Guide"


def test_stage_and_config(tmp_path):
    info = stage(tmp_path / "content", executed_dir=None)
    assert set(info["learner"]) == {p.id for p in CUR.ready()}
    content = tmp_path / "content"
    assert (content / "index.md").exists()
    assert (content / "docs" / "GLOSSARY.md").exists()
    assert (content / "assets" / "mathjax" / "MathJax.js").exists()  # bundled: no CDN
    for p in CUR.ready():
        assert (content / p.folder / p.notebook).exists()
    config = yaml.load(_config(CUR), Loader=_Loader)
    flat = str(config["nav"])
    for p in CUR.ready():
        assert f"{p.folder}/{p.notebook}" in flat
    assert "MLOps Professional Guide" in flat and "Responsible AI Guide" in flat
    assert config["theme"]["font"] is False  # offline
    assert not re.search(r"https?://", _config(CUR))  # nothing is loaded from the network


def _with_outputs(nb):
    """A stand-in for an executed solution notebook: every code cell printed its id."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"ran {cell.id}")]
    return nb


def test_page_notebook_folds_solutions_and_keeps_outputs_of_unchanged_cells(tmp_path):
    from ml2llm.notebooks.source import learner_notebook, solution_notebook

    solution = _with_outputs(solution_notebook(P01.source_path()))
    learner = learner_notebook(P01.source_path())
    exercise_ids = {
        c.id
        for c, s in zip(learner.cells, solution.cells)
        if c.cell_type == "code" and c.source != s.source
    }
    assert exercise_ids
    changed = next(c for c in solution.cells if c.cell_type == "code" and c.id not in exercise_ids)
    changed.source += "\n# edited since the run"  # its output is stale: not shown
    path = tmp_path / "01.ipynb"
    path.write_text(nbformat.writes(solution), encoding="utf-8")

    page = page_notebook(P01, path)
    by_id = {c.id: c for c in page.cells}
    for cid in exercise_ids:
        assert "NotImplementedError" in by_id[cid].source and not by_id[cid].get("outputs")
        spoiler = by_id[f"{cid}-solution"]
        assert spoiler.source.startswith(f'<details class="{SPOILER_CLASS}"><summary>Spoiler')
        assert "<details open" not in spoiler.source  # folded until clicked
    solutions = [c.source for c in solution.cells if c.id in exercise_ids]
    visible = "\n".join(c.source for c in page.cells if not c.id.endswith("-solution"))
    assert not any(s in visible for s in solutions)  # answers only inside the spoilers
    for c in page.cells:
        if c.cell_type == "code" and c.id not in exercise_ids:
            expected = [] if c.id == changed.id else [f"ran {c.id}"]
            assert [o["text"] for o in c.outputs] == expected, c.id


def test_refresh_executed_reuses_current_notebooks_and_runs_stale_ones(tmp_path, monkeypatch):
    from ml2llm.notebooks import execute
    from ml2llm.notebooks.source import solution_notebook

    p01, p02 = CUR.get("01"), CUR.get("02")
    current = solution_notebook(p01.source_path())
    (tmp_path / "01.ipynb").write_text(nbformat.writes(current), encoding="utf-8")
    stale = solution_notebook(p02.source_path())
    last_code = [c for c in stale.cells if c.cell_type == "code"][-1]
    last_code.source += "\n# an older version of the source"
    (tmp_path / "02.ipynb").write_text(nbformat.writes(stale), encoding="utf-8")

    ran = []

    def fake_execute(nb, cwd, quick=True, **kw):
        ran.append((Path(cwd).name, quick))
        return execute.ExecutionResult(notebook=nb, seconds=0.0, ok=True)

    monkeypatch.setattr(execute, "execute_notebook", fake_execute)
    lines = []
    result = refresh_executed([p01, p02], tmp_path, log=lambda *a, **k: lines.append(" ".join(a)))
    assert result == {"reused": ["01"], "executed": ["02"], "failed": []}
    assert ran == [(p02.path().name, True)]
    assert "1 of 2 executed notebooks are current" in lines[0] and "[1/1] 02" in lines[1]
    # now both are current: nothing runs
    ran.clear()
    assert refresh_executed([p01, p02], tmp_path, log=lambda *a, **k: None)["reused"] == [
        "01",
        "02",
    ]
    assert ran == []


def test_crawl_reports_missing_pages_and_anchors(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<h2 id="here">x</h2>', encoding="utf-8")
    (tmp_path / "index.html").write_text(
        '<a href="a/">ok</a><a href="a/#here">ok</a><a href="a/#gone">bad anchor</a>'
        '<a href="b/">404</a><a href="https://example.org/x">external</a><a href="#top">self</a>'
        '<span id="top"></span>',
        encoding="utf-8",
    )
    report = crawl(tmp_path)
    assert report["pages"] == 2 and report["links"] == 5
    assert sorted((h, why) for _, h, why in report["broken"]) == [
        ("a/#gone", "no anchor #gone"),
        ("b/", "404"),
    ]


# ----------------------------------------------------------------- the built site
pytestmark_site = pytest.mark.xdist_group("course_site")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("site_src")
    out = tmp_path_factory.mktemp("site")
    lines = []
    code = build(
        out,
        executed_dir=None,
        strict=True,
        log=lambda *a, **k: lines.append(" ".join(a)),
        work_dir=work,
    )
    if not (out / "index.html").exists():  # no site at all: every test here fails on this
        pytest.fail("site build failed:\n" + "\n".join(lines))
    return {"dir": out, "code": code, "log": "\n".join(lines)}


@pytestmark_site
def test_strict_build_succeeds_and_crawl_finds_no_broken_internal_links_or_anchors(built):
    assert built["code"] == 0, built["log"]  # mkdocs --strict, then the crawl
    report = crawl(built["dir"])
    print(f"crawl: {report['pages']} pages, {report['links']} internal links")
    assert report["pages"] >= 2 * len(CUR.ready())  # an About page and a notebook per project
    assert report["links"] > 1000
    assert report["broken"] == [], "\n".join(f"{p}: {h} ({w})" for p, h, w in report["broken"])
    remote = re.compile(r'<(?:script|link)\b[^>]*(?:src|href)="(?:https?:)?//[^"]+"')
    for page in built["dir"].rglob("*.html"):  # offline: no script or stylesheet from the web
        assert not remote.search(page.read_text(encoding="utf-8")), page


@pytest.fixture
def site(built):
    return built["dir"]


@pytestmark_site
def test_notebook_pages_link_to_built_pages_and_fold_solutions(site):
    page = (site / P01.folder / Path(P01.notebook).stem / "index.html").read_text(encoding="utf-8")
    assert "GLOSSARY.md" not in page  # repository links were rewritten to pages
    assert re.search(r'href="(\.\./)+docs/GLOSSARY/#[\w-]+"', page)
    assert page.count(f'<details class="{SPOILER_CLASS}">') >= 3
    assert "ml2llm-mathjax-url" not in page and 'src=""' not in page
    assert "assets/mathjax/MathJax.js?config=" in page


@pytestmark_site
def test_markdown_pages_render_cosmetics(site):
    p16 = next(p for p in CUR.ready() if p.id == "16")
    about = (site / p16.folder / "index.html").read_text(encoding="utf-8")
    assert "torch\\|peft" not in about and "torch|peft|mlx" in about
    home = (site / "index.html").read_text(encoding="utf-8")
    ready = sum(p.ready for p in CUR.projects)
    assert "✅" not in home and home.count('<span class="twemoji"><svg') >= ready
    assert "MLOps Professional Guide" in home and "Responsible AI Guide" in home


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI") == "true":
        pytest.fail("headless Chromium is required in CI: apt-get install chromium (.ci/run does)")
    pytest.skip("chromium is not installed (Debian: apt-get install chromium); CI runs this test")


def _dump_dom(browser, url, tmp_path) -> str:
    cmd = [
        browser,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=30000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytestmark_site
@pytest.mark.parametrize(
    "page,kind",
    [(f"{P01.folder}/{Path(P01.notebook).stem}/", "notebook"), ("docs/GLOSSARY/", "markdown")],
    ids=["notebook-01", "markdown-glossary"],
)
def test_math_is_typeset_in_headless_chromium(site, page, kind, tmp_path):
    browser = _chromium()
    source = (site / page / "index.html").read_text(encoding="utf-8")
    handler = partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dom = _dump_dom(browser, f"http://127.0.0.1:{server.server_port}/{page}", tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    typeset = len(re.findall(r'id="MathJax-Element-\d+-Frame"', dom))
    errors = re.findall(r"&lt;merror&gt;|<merror[ >]|class=\"MathJax_Error\"", dom)
    if kind == "markdown":
        expected = source.count('class="arithmatex"')
        assert expected >= 20, "the glossary should hold math"
        assert typeset == expected, f"{typeset} of {expected} formulas typeset"
    else:
        assert typeset >= 20, f"only {typeset} formulas typeset on the notebook page"
    assert not errors, f"MathJax reported TeX errors: {errors[:3]}"
    print(json.dumps({"page": page, "typeset": typeset}))
