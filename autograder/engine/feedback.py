"""Feedback pages: test cells keep the check's message without traceback lines, and the page's
exporter compiles nbconvert's Jinja templates once per process, not once per page."""

from __future__ import annotations

import jinja2
from nbgrader.preprocessors import NbGraderPreprocessor

from ..cells import is_test_cell, strip_ansi
from .math_offline import OfflineMathHTMLExporter

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


class FeedbackExporter(OfflineMathHTMLExporter):
    """The feedback page's exporter (`c.GenerateFeedback.exporter_class`): offline math, and one
    compilation of each template per process. nbgrader builds a new exporter, and so a new Jinja
    environment, for every page; their environments share one bytecode cache."""

    @property
    def environment(self) -> jinja2.Environment:
        environment = super().environment
        environment.bytecode_cache = TEMPLATE_BYTECODE
        return environment
