"""Feedback preprocessing: keep the check's message, drop traceback lines of test cells."""

from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor

from .sanitize import is_test_cell

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


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


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes from a traceback line."""
    return _ANSI.sub("", text)
