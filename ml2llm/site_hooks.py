r"""MkDocs hooks of the course site (loaded by the ``hooks:`` entry that :mod:`ml2llm.site`
writes into the generated ``mkdocs.yml``; not imported by the package itself).

- :func:`on_page_content`: links in notebook pages are written for the repository
  (``../../../docs/GLOSSARY.md#lora``); mkdocs-jupyter leaves them as they are, so they are
  rewritten here to the built page (``../../../../docs/GLOSSARY/#lora``) through MkDocs' own
  file table. Markdown pages need nothing: MkDocs rewrites their links itself.
- :func:`on_post_page`: load the vendored MathJax 2 (``assets/mathjax``) by a path relative to
  each page, so the site works offline, from any folder and from ``file://``. Notebook pages
  get it in place of mkdocs-jupyter's placeholder URL, with ``$…$`` turned on (as nbconvert's
  own configuration does); markdown pages that contain ``pymdownx.arithmatex`` math (generic
  mode: ``\(…\)`` in ``span.arithmatex``, so ``<`` arrives unescaped) get it with a
  configuration that typesets only those spans, so a stray ``$`` in prose stays text.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

from mkdocs.utils import get_relative_url

from ml2llm.site import MATHJAX_URL_PLACEHOLDER

MATHJAX_QUERY = "?config=TeX-AMS-MML_HTMLorMML-full,Safe"
_LINK = re.compile(r'(?P<attr>href|src)="(?P<url>[^"#][^"]*)"')

MARKDOWN_MATHJAX_CONFIG = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {
    inlineMath: [["\\\\(", "\\\\)"]],
    displayMath: [["\\\\[", "\\\\]"]],
    ignoreClass: ".*",
    processClass: "arithmatex"
  },
  messageStyle: "none",
  "HTML-CSS": {availableFonts: [], webFont: "STIX-Web", imageFont: null}
});
</script>"""

NOTEBOOK_MATHJAX_CONFIG = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {
    inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]],
    displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  messageStyle: "none",
  "HTML-CSS": {availableFonts: [], webFont: "STIX-Web", imageFont: null}
});
</script>"""


def _is_notebook(page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


def rewrite_links(html: str, page, files) -> str:
    """Point repository-relative links of a notebook page at the built pages."""
    here = posixpath.dirname(page.file.src_uri)

    def repl(match):
        url = match.group("url")
        parts = urlsplit(url)
        if parts.scheme or url.startswith("/") or not parts.path:
            return match.group(0)
        path = posixpath.normpath(posixpath.join(here, unquote(parts.path)))
        candidates = [path]
        if parts.path.endswith("/") or "." not in posixpath.basename(path):
            candidates += [f"{path}/README.md", f"{path}/index.md"]
        for candidate in candidates:
            target = files.get_file_from_path(candidate)
            if target is not None:
                new = target.url_relative_to(page.file)
                if parts.fragment:
                    new += "#" + parts.fragment
                return f'{match.group("attr")}="{new}"'
        return match.group(0)  # unknown: left for the crawl to report

    return _LINK.sub(repl, html)


def _subsequence(words: list[str], of: list[str]) -> bool:
    it = iter(of)
    return all(w in it for w in words)


def fix_toc_anchors(html: str, page) -> None:
    """mkdocs-jupyter's table of contents slugs a heading without its inline code
    (``…-hugging-face-and`` for "Hugging Face `tokenizers` and `transformers`") while the
    heading's id keeps it: point each such entry at the next heading id, in page order, whose
    words contain the entry's words in order."""
    ids = re.findall(r'<h[1-6][^>]*\sid="([^"]+)"', html)
    position = 0

    def visit(items):
        nonlocal position
        for item in items:
            if item.id in ids:
                position = ids.index(item.id) + 1
            else:
                words = item.id.split("-")
                for k in range(position, len(ids)):
                    if _subsequence(words, ids[k].split("-")):
                        item.id, position = ids[k], k + 1
                        break
            visit(item.children)

    visit(page.toc)


def on_page_content(html, page, config, files):
    if _is_notebook(page):
        fix_toc_anchors(html, page)
        return rewrite_links(html, page, files)
    return html


def on_post_page(output, page, config):
    src = get_relative_url("assets/mathjax/MathJax.js", page.url) + MATHJAX_QUERY
    if _is_notebook(page):
        return output.replace(
            f'<script src="{MATHJAX_URL_PLACEHOLDER}">',
            f'{NOTEBOOK_MATHJAX_CONFIG}\n<script src="{src}">',
        )
    if 'class="arithmatex"' in output:
        return output.replace(
            "</body>", f'{MARKDOWN_MATHJAX_CONFIG}\n<script src="{src}"></script>\n</body>', 1
        )
    return output
