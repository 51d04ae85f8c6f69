"""Every assignment tags its demos `skip-when-grading`, and skipping them cannot change a grade."""

from __future__ import annotations

import nbformat
import pytest

from autograder.config import assignments
from autograder.engine.skipping import is_graded, is_tagged, plan, problems
from tests.paths import ROOT

ASSIGNMENTS = assignments(ROOT)
SUMMARY = "from dlcourse.checks.selfcheck import summary"


def _read(folder: str, assignment: str):
    return nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)


@pytest.mark.parametrize("folder", ["source", "release"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_running_cell_reads_what_a_skipped_cell_binds(assignment, folder):
    """Does the static dependency check pass (solutions in source/, stubs in release/)?"""
    nb = _read(folder, assignment)
    assert problems(nb) == []
    assert plan(nb, nb) == [i for i, c in enumerate(nb.cells) if is_tagged(c)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_demo_cell_is_tagged(assignment):
    """Policy: a code cell is graded, the imports, the self-check summary, or a demo that grading skips."""
    untagged = [c.source.splitlines()[0] for c in _read("source", assignment).cells
                if c.cell_type == "code" and not is_graded(c) and not is_tagged(c)
                and not c.source.startswith(SUMMARY)]
    assert untagged == [], f"tag these cells 'skip-when-grading' (see docs/authoring.md): {untagged}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_keeps_the_tags(assignment):
    """nbgrader carries cell tags into release/: the grader matches skipped cells against it."""
    tagged = [[c.source for c in _read(folder, assignment).cells if is_tagged(c)]
              for folder in ("source", "release")]
    assert tagged[0] and tagged[0] == tagged[1]
