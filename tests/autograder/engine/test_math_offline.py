"""Feedback pages show formulas without a network: markdown math as MathML, no MathJax script."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbconvert.filters.markdown_mistune import MarkdownWithMath
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.config import course_config
from autograder.engine.math_offline import MathMLRenderer, OfflineMathHTMLExporter, to_mathml
from tests.paths import ROOT

MARKDOWN = r"""Inline $\hat y = Xw$ and display:

$$\mathcal{L}(w) = \frac{1}{N}\sum_{n=1}^{N} (x_n^\top w - y_n)^2 + \lambda \lVert w\rVert^2$$

A coffee costs \$3 and `price = "$5"` is code, $\text{weight\_decay}$ is text in math.

```python
print("$$ not math $$")
```
"""
SCRIPT_SRC = re.compile(r"<script[^>]*\bsrc\s*=", re.IGNORECASE)
SOURCE_FORMULAS_AT_LEAST = 300  # measured 361 in the five source notebooks
SOURCE_FALLBACKS = 0  # measured: every formula of the source notebooks converts


def feedback_page(nb) -> str:
    """`nb` rendered by the exporter nbgrader's GenerateFeedback gets from the course config."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    config = course_config(ROOT)
    converter = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config)
    exporter = converter.exporter_class(parent=converter, config=converter.config)  # as its start()
    assert isinstance(exporter, OfflineMathHTMLExporter)
    resources = {"nbgrader": {"notebook": "hw", "score": 1.0, "max_score": 2.0, "late_penalty": 0}}
    return exporter.from_notebook_node(nb, resources=resources)[0]


def _rendered(markdown: str) -> tuple[str, MathMLRenderer]:
    renderer = MathMLRenderer(escape=False)
    return MarkdownWithMath(renderer=renderer).render(markdown), renderer


def test_feedback_page_has_mathml_and_no_script_from_the_network():
    page = feedback_page(new_notebook(cells=[new_markdown_cell(MARKDOWN), new_code_cell("1 + 1")]))
    assert page.count("<math") == 3
    assert 'display="block"' in page
    assert "mathjax" not in page.lower()
    assert not SCRIPT_SRC.search(page), SCRIPT_SRC.search(page)
    assert r"$\hat y" not in page and r"$$\mathcal" not in page  # no TeX left for MathJax


def test_dollars_in_code_and_escaped_dollars_stay_text():
    html, renderer = _rendered(MARKDOWN)
    assert "costs $3" in html
    assert "<code>price = &quot;$5&quot;</code>" in html or '<code>price = "$5"</code>' in html
    assert "$$ not math $$" in html
    assert "<mtext>weight_decay</mtext>" in html  # \_ in \text is an underscore
    assert renderer.fallbacks == []


@pytest.mark.parametrize("tex", [r"\begin{aligned} a &= b \\ c &= d \end{aligned}",  # no such env
                                 r"\arg\min_w f(w)",  # unknown command, copied by latex2mathml
                                 r"\frac{1}{"])
def test_what_latex2mathml_cannot_convert_stays_tex(tex):
    assert to_mathml(tex, display=True) is None
    html, renderer = _rendered(f"Before\n\n$${tex}$$\n\nafter.")
    assert renderer.fallbacks == [tex] and "<math" not in html
    assert "$$" in html and "Before" in html and "after." in html


def test_latex_environment_outside_dollars_is_converted():
    html, renderer = _rendered(r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}")
    assert "<mtable" in html and renderer.fallbacks == []


def test_every_formula_of_the_source_notebooks_converts():
    """Each formula of source/*/*.ipynb becomes MathML; what falls back to TeX is counted."""
    formulas, fallbacks = 0, []
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                html, renderer = _rendered(cell.source)
                formulas += html.count("<math") + len(renderer.fallbacks)
                fallbacks += [f"{path.name}: {tex}" for tex in renderer.fallbacks]
    assert formulas >= SOURCE_FORMULAS_AT_LEAST
    assert len(fallbacks) <= SOURCE_FALLBACKS, "\n".join(fallbacks)


@pytest.mark.slow
def test_graded_examples_feedback_shows_formulas_offline(graded_examples):
    """Every page loads nothing from the network; each rendered notebook has MathML."""
    out, *_ = graded_examples
    pages = {page: page.read_text() for page in sorted((out / "feedback").rglob("*.html"))}
    for page, html in pages.items():
        assert "mathjax" not in html.lower() and not SCRIPT_SRC.search(html), page
    notebooks = [page for page, html in pages.items() if "text_cell_render" in html]
    assert len(notebooks) >= 4, "not counting the page for a file that could not be graded"
    assert all("<math" in pages[page] for page in notebooks)
