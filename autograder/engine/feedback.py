"""Feedback pages: test cells keep the check's message without traceback lines, and the page's
exporter compiles nbconvert's Jinja templates once per process, not once per page."""

from __future__ import annotations

import re

import jinja2
from nbgrader.preprocessors import NbGraderPreprocessor

from dlcourse.i18n import localize, notebook_language

from ..cells import is_test_cell, strip_ansi
from .math_offline import OfflineMathHTMLExporter
from .skipping import NOT_RUN_TEXT

__all__ = ["FeedbackExporter", "ScrubTestTracebacks", "strip_ansi"]


class ScrubTestTracebacks(NbGraderPreprocessor):
    """Replace the traceback of every graded test cell by its last line (`Error: message`).

    nbgrader's ClearHiddenTests removes hidden test source, but a traceback still quotes the
    hidden line that failed; the check's message alone is what the student needs.
    """

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources



class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept in this process (jinja2 checks each against its source)."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


#: shared by every feedback exporter of this process (a warm worker renders many pages)
TEMPLATE_BYTECODE = MemoryBytecodeCache()


#: the words of nbgrader's feedback template (feedback/index.html.j2), as they appear in the page
PAGE_WORDS = ("Score", "Test cell", "Coding free-response", "Written response", "Task",
              "Late submission penalty", "Student's answer", "Top", "Comments")


def localize_page(page: str, lang: str) -> str:
    """The feedback page's own words (nbgrader's template) and the skipped cells' note in `lang`."""
    if lang == "en":
        return page
    for word in PAGE_WORDS:
        translated = localize(word, lang)
        if translated != word:
            page = re.sub(rf"(?<=[>(\s]){re.escape(word)}(?=[:<)])", translated, page)
    note = NOT_RUN_TEXT.strip()
    return page.replace(note, localize(note, lang))


class FeedbackExporter(OfflineMathHTMLExporter):
    """The feedback page's exporter (`c.GenerateFeedback.exporter_class`): offline math, one
    compilation of each template per process (nbgrader builds a new exporter, and so a new Jinja
    environment, for every page; their environments share one bytecode cache), and the page's
    words in the notebook's language (dlcourse.i18n)."""

    @property
    def environment(self) -> jinja2.Environment:
        environment = super().environment
        environment.bytecode_cache = TEMPLATE_BYTECODE
        return environment

    def from_notebook_node(self, nb, resources=None, **kw):
        page, resources = super().from_notebook_node(nb, resources, **kw)
        return localize_page(page, notebook_language(nb)), resources
