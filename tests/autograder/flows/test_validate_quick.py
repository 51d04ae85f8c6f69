"""`validate --quick`: the student's check of what grading runs, without the demo cells."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.cli import main
from autograder.engine.skipping import SKIP_TAG
from autograder.flows.validate import check_outcomes, run_notebook

DEMO = 1  #: the demo cell's index in _notebook


def _notebook(path, demo: str = "print('the demo ran')", answer: str = "answer = 42"):
    test = new_code_cell("assert answer == 42", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "test_answer",
        "schema_version": 3}})
    cells = [new_code_cell(answer), new_code_cell(demo, metadata={"tags": [SKIP_TAG]}), test]
    nbformat.write(new_notebook(cells=cells), path)
    return path


def _ran(nb) -> bool:
    return nb.cells[DEMO].get("execution_count") is not None


def test_quick_validate_skips_tagged_cells_and_reports_the_same(tmp_path):
    """Does --quick leave out the demo, and do the checks report what a full run reports?"""
    path = _notebook(tmp_path / "a.ipynb")
    quick, full = run_notebook(path, quick=True), run_notebook(path)
    assert not _ran(quick) and _ran(full)
    assert [(o.grade_id, o.status) for o in check_outcomes(quick)] == \
        [(o.grade_id, o.status) for o in check_outcomes(full)] == [("test_answer", "passed")]


def test_quick_validate_runs_a_demo_the_checks_need(tmp_path):
    """A student whose answer is computed in a demo cell still gets it computed."""
    path = _notebook(tmp_path / "a.ipynb", demo="answer = 42", answer="answer = None")
    quick = run_notebook(path, quick=True)
    assert _ran(quick) and [o.status for o in check_outcomes(quick)] == ["passed"]


def test_cli_quick_says_what_it_left_out(tmp_path, capsys):
    assert main(["validate", "--quick", str(_notebook(tmp_path / "a.ipynb"))]) == 0
    assert "demo cells were not run" in capsys.readouterr().out
