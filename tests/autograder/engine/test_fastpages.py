"""Feedback pages rendered with the worker's shortcuts are the pages nbconvert renders without them."""

from __future__ import annotations

import nbconvert.exporters.html as html_exporter
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters.html import HTMLExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.engine.fastpages import render_each_cell_once, skip_needless_soup
from autograder.engine.math_offline import OfflineMathHTMLExporter


def _notebook(answer: str):
    return new_notebook(cells=[
        new_markdown_cell("# Exercise\n\nImplement `mse(y_hat, y)`: the mean of $(\\hat y - y)^2$."),
        new_code_cell("import torch\n%matplotlib inline"),
        new_code_cell(answer, outputs=[new_output("stream", name="stdout", text="hello\n")]),
        new_code_cell("assert check_mse(mse)", outputs=[new_output("error", ename="AssertionError",
                                                                  evalue="mse: value", traceback=["x"])]),
    ])


def _pages():
    with_image = _notebook("plt.plot([1, 2])")
    with_image.cells[2].outputs.append(new_output("display_data", data={"image/png": "iVBORw0KGgo="}))
    return [_notebook("def mse(y_hat, y):\n    return ((y_hat - y) ** 2).mean()"), _notebook("mse = None"),
            with_image]


def _render(pages, exporter=HTMLExporter) -> list[str]:
    return [exporter(template_name="classic").from_notebook_node(nb)[0] for nb in pages]


@pytest.fixture
def restored(monkeypatch):
    """The shortcuts patch nbconvert for the whole process: put the originals back afterwards."""
    monkeypatch.setattr(Highlight2HTML, "__call__", Highlight2HTML.__call__)
    monkeypatch.setattr(HTMLExporter, "markdown2html", HTMLExporter.markdown2html)
    monkeypatch.setattr(OfflineMathHTMLExporter, "markdown2html", OfflineMathHTMLExporter.markdown2html)
    monkeypatch.setattr(html_exporter, "BeautifulSoup", html_exporter.BeautifulSoup)


def test_rendering_each_cell_once_changes_no_page(restored):
    """Same HTML from the cache (first and repeated renderings) as from nbconvert itself?"""
    pages = _pages()
    skip_needless_soup()
    plain = _render(pages)
    offline = _render(pages, OfflineMathHTMLExporter)  # the feedback pages' exporter: MathML
    assert offline != plain
    render_each_cell_once()
    for _ in range(2):  # the second round comes from the cache
        assert _render(pages) == plain
        assert _render(pages, OfflineMathHTMLExporter) == offline


def test_skipped_soup_pass_only_changes_the_serialization(restored):
    """Without images, the page is what BeautifulSoup would have written, but for its formatting;
    with an image, the soup pass still runs (alt text)."""
    pages = _pages()
    plain = _render(pages)
    skip_needless_soup()
    fast = _render(pages)
    assert [str(BeautifulSoup(page, "html.parser")) for page in fast[:2]] == plain[:2]
    assert fast[2] == plain[2] and "No description has been provided" in fast[2]


def test_feedback_exporters_share_compiled_templates(monkeypatch):
    """Does a second exporter (nbgrader makes one per page) load its templates from the shared
    bytecode cache instead of compiling them, and render the same page as nbconvert's exporter?"""
    from autograder.engine.feedback import TEMPLATE_BYTECODE, FeedbackExporter
    page = _notebook("mse = None")
    first = FeedbackExporter(template_name="classic").from_notebook_node(page)[0]
    assert TEMPLATE_BYTECODE.store  # every template the page needed
    compiled = []
    monkeypatch.setattr(TEMPLATE_BYTECODE, "dump_bytecode", lambda bucket: compiled.append(bucket.key))
    second = FeedbackExporter(template_name="classic")
    assert second.environment.bytecode_cache is TEMPLATE_BYTECODE
    assert second.from_notebook_node(page)[0] == first
    assert compiled == []  # loaded, not compiled again
    assert OfflineMathHTMLExporter(template_name="classic").from_notebook_node(page)[0] == first
