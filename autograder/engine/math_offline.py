"""Feedback pages that show formulas offline: markdown math becomes MathML, MathJax is dropped.

nbgrader's feedback template loads MathJax from a CDN, so without a network `$x^2$` stays raw
TeX. `OfflineMathHTMLExporter` renders the math of markdown (inline `$…$` and `\\(…\\)`, display
`$$…$$` and `\\[…\\]`, `\\begin{…}` environments) with latex2mathml, which browsers draw natively,
and removes the MathJax scripts. Markdown decides what is math, as for MathJax: `\\$`, code spans
and fenced code stay text. A formula latex2mathml cannot convert stays as its TeX source.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ElementTree

from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

try:
    from jinja2 import pass_context
except ImportError:  # jinja2 < 3
    from jinja2 import contextfilter as pass_context

logger = logging.getLogger(__name__)

_MTEXT = re.compile(r"(<mtext[^>]*>)([^<]*)(</mtext>)")
_TEXT_ESCAPE = re.compile(r"\\([_%$#&{}])")  # \_ in \text{...}: latex2mathml keeps the backslash
_MATHJAX = re.compile(r"(?:<!-- Loading mathjax macro -->\s*)?<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->\s*"
                      r"|<script[^>]*(?:mathjax|MathJax)[^>]*>.*?</script>\s*", re.DOTALL)


def to_mathml(tex: str, display: bool = False) -> str | None:
    """`tex` as a MathML `<math>` element, or None when latex2mathml cannot convert it.

    latex2mathml does not raise on what it does not know: it copies an unknown command into the
    output (`<mi>\\foo</mi>`) or an unsupported environment's `&` unescaped. Both count as failures.
    """
    from latex2mathml.converter import convert

    try:
        mathml = _MTEXT.sub(_unescape_text, convert(tex.strip(), display="block" if display else "inline"))
        texts = ElementTree.fromstring(mathml).itertext()  # not well-formed: ParseError
    except Exception:  # latex2mathml raises many kinds on malformed TeX
        return None
    return None if any("\\" in text for text in texts) else mathml


def _unescape_text(mtext: re.Match) -> str:
    text = _TEXT_ESCAPE.sub(lambda escape: "&amp;" if escape[1] == "&" else escape[1], mtext[2])
    return mtext[1] + text + mtext[3]


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with MathML for math; `fallbacks` collects what stayed TeX."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fallbacks: list[str] = []

    def _math(self, tex: str, display: bool, as_text: str) -> str:
        mathml = to_mathml(tex, display)
        if mathml is None:
            self.fallbacks.append(tex)
            logger.debug("formula left as TeX: %s", tex)
            return as_text
        return mathml

    def inline_math(self, body: str) -> str:
        return self._math(body, False, super().inline_math(body))

    def block_math(self, body: str) -> str:
        return self._math(body, True, super().block_math(body))

    def latex_environment(self, name: str, body: str) -> str:
        tex = f"\\begin{{{name}}}{body}\\end{{{name}}}"
        return self._math(tex, True, super().latex_environment(name, body))


class OfflineMathHTMLExporter(HTMLExporter):
    """HTMLExporter whose markdown math is MathML and whose page loads no MathJax."""

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        return _MATHJAX.sub("", output), resources
