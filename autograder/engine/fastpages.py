"""Feedback pages without repeated work: the same cells highlighted once, no needless re-parse.

- nbconvert's HTMLExporter parses every page it renders with BeautifulSoup's pure-Python parser,
  only to add alt text to images and tab stops to JupyterLab-template cells, then serializes it
  again: a fifth of a grading unit's own time for a typical page. A feedback page (nbgrader's
  classic-based template) with no image has neither, so the rendered HTML is returned as it is.
- Syntax highlighting (pygments) and markdown rendering (mistune) are most of the rest, and most
  cells of a class's notebooks are the same (instructions, checks, demos): a worker renders each
  distinct cell once.
"""

from __future__ import annotations

_NEEDS_SOUP = ("<img", "jp-Notebook")
_RENDERED_CELLS = 4096  #: distinct cells a worker keeps rendered


class _PageAsIs:
    """The part of BeautifulSoup's interface HTMLExporter uses, for a page it would not change."""

    def __init__(self, html: str):
        self.html = html

    def select(self, selector: str) -> list:
        return []

    def __str__(self) -> str:
        return self.html


def skip_needless_soup() -> None:
    """Let HTMLExporter parse a page only when it may edit it (in this process)."""
    import nbconvert.exporters.html as html_exporter
    from bs4 import BeautifulSoup

    def soup(html: str, features: str | None = None):
        if any(sign in html for sign in _NEEDS_SOUP):
            return BeautifulSoup(html, features=features)
        return _PageAsIs(html)

    html_exporter.BeautifulSoup = soup


def render_each_cell_once() -> None:
    """Memoize nbconvert's code highlighting and markdown rendering (pure functions of the cell's
    text and the exporter's settings; markdown with attachments or embedded images is not cached)."""
    import json

    from jinja2 import pass_context
    from nbconvert.exporters.html import HTMLExporter
    from nbconvert.filters.highlight import Highlight2HTML

    from .math_offline import OfflineMathHTMLExporter

    highlight = Highlight2HTML.__call__
    cache: dict = {}

    def remembered(key, compute):
        if key not in cache:
            if len(cache) >= _RENDERED_CELLS:
                cache.clear()
            cache[key] = compute()
        return cache[key]

    def cached_highlight(self, source, language=None, metadata=None):
        key = ("code", source, language, self.pygments_lexer, (metadata or {}).get("magics_language"),  # all it reads
               json.dumps(self.extra_formatter_options, sort_keys=True, default=str))
        return remembered(key, lambda: highlight(self, source, language, metadata))

    def cached_markdown(exporter: type, markdown):
        @pass_context
        def cached(self, context, source):
            if context.get("cell", {}).get("attachments") or self.embed_images:  # reads more than the text
                return markdown(self, context, source)
            key = ("markdown", exporter.__name__, source, self.anchor_link_text, self.exclude_anchor_links,
                   json.dumps(self.lexer_options, sort_keys=True, default=str))
            return remembered(key, lambda: markdown(self, context, source))
        return cached

    Highlight2HTML.__call__ = cached_highlight
    for exporter in (HTMLExporter, OfflineMathHTMLExporter):  # the feedback pages' own renders math itself
        exporter.markdown2html = cached_markdown(exporter, exporter.__dict__["markdown2html"])
