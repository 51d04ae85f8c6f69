"""`validate --quick`: the student's check of what grading runs, without the demo cells."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.cli import main
from autograder.skipping import SKIP_TAG
from autograder.validate import check_outcomes, run_notebook

MARK = "the demo ran"  # printed, not written: a tagged cell that writes a file is never skipped


def _notebook(path):
    test = new_code_cell("assert answer == 42", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "test_answer",
        "schema_version": 3}})
    demo = new_code_cell(f"print({MARK!r})", metadata={"tags": [SKIP_TAG]})
    nbformat.write(new_notebook(cells=[new_code_cell("answer = 42"), demo, test]), path)
    return path


def _demo_ran(nb) -> bool:
    return any(MARK in o.get("text", "") for o in nb.cells[1].get("outputs", []))


def test_quick_validate_skips_tagged_cells_and_reports_the_same(tmp_path):
    """Does --quick leave out the demo, and do the checks report what a full run reports?"""
    path = _notebook(tmp_path / "a.ipynb")
    quick, full = run_notebook(path, quick=True), run_notebook(path)
    assert not _demo_ran(quick) and _demo_ran(full)
    assert [(o.grade_id, o.status) for o in check_outcomes(quick)] == \
        [(o.grade_id, o.status) for o in check_outcomes(full)] == [("test_answer", "passed")]


def test_quick_validate_runs_a_demo_the_checks_need(tmp_path):
    """A student whose answer is computed in a demo cell still gets it computed."""
    path = _notebook(tmp_path / "a.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "answer = None"
    nb.cells[1].source += "\nanswer = 42"
    nbformat.write(nb, path)
    quick = run_notebook(path, quick=True)
    assert [o.status for o in check_outcomes(quick)] == ["passed"] and _demo_ran(quick)


def test_cli_quick_says_what_it_left_out(tmp_path, capsys):
    path = _notebook(tmp_path / "a.ipynb")
    assert main(["validate", "--quick", str(path)]) == 0
    assert "demo cells were not run" in capsys.readouterr().out
