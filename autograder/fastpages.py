"""Feedback pages without a needless second pass over their HTML.

nbconvert's HTMLExporter parses every page it renders with BeautifulSoup's pure-Python parser,
only to add alt text to images and tab stops to JupyterLab-template cells, then serializes it
again: a fifth of a grading unit's own time for a typical page. A feedback page (nbgrader's
classic-based template) with no image has neither, so the rendered HTML is returned as it is.
"""

from __future__ import annotations

_NEEDS_SOUP = ("<img", "jp-Notebook")


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
