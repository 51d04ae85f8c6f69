"""A feedback page draws its formulas in Chromium with the network cut off (MathML, no MathJax)."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from tests.autograder.engine.test_math_offline import MARKDOWN, feedback_page

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_feedback_formulas_render_offline(page, artifacts, tmp_path):
    remote = []

    def offline(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            remote.append(route.request.url)
            route.abort()
    page.route("**/*", offline)
    path = tmp_path / "feedback.html"
    path.write_text(feedback_page(new_notebook(cells=[new_markdown_cell(MARKDOWN)])))
    page.goto(path.as_uri())
    boxes = page.eval_on_selector_all(
        "math", "ms => ms.map(m => { const r = m.getBoundingClientRect();"
                " return [r.width, r.height, m.getAttribute('display')]; })")
    page.screenshot(path=str(artifacts / "feedback-math.png"), full_page=True)
    assert len(boxes) == 3 and all(width > 0 and height > 0 for width, height, _ in boxes), boxes
    inline = max(height for _, height, display in boxes if display == "inline")
    block = max(height for _, height, display in boxes if display == "block")
    assert block > inline, "the display formula (a sum over a fraction) is laid out as math, not text"
    assert "\\frac" not in page.inner_text("body")
    assert remote == [], remote
