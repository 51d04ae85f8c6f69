"""`validate --quick`: the student's check of what grading runs, without the demo cells."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.cli import main
from autograder.skipping import SKIP_TAG
from autograder.validate import validate


def _notebook(path, marker):
    test = new_code_cell("assert answer == 42", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "test_answer",
        "schema_version": 3}})
    demo = new_code_cell(f"open({str(marker)!r}, 'w').write('the demo ran')", metadata={"tags": [SKIP_TAG]})
    nbformat.write(new_notebook(cells=[new_code_cell("answer = 42"), demo, test]), path)
    return path


def test_quick_validate_skips_tagged_cells_and_reports_the_same(tmp_path):
    """Does --quick leave out the demo, and do the checks report what a full run reports?"""
    marker = tmp_path / "demo-ran.txt"
    path = _notebook(tmp_path / "a.ipynb", marker)
    quick = validate(path, quick=True)
    assert not marker.exists()
    full = validate(path)
    assert marker.exists()
    assert [(o.grade_id, o.status) for o in quick] == [(o.grade_id, o.status) for o in full] == \
        [("test_answer", "passed")]


def test_quick_validate_runs_a_demo_the_checks_need(tmp_path):
    """A student whose answer is computed in a demo cell still gets it computed."""
    marker = tmp_path / "demo-ran.txt"
    path = _notebook(tmp_path / "a.ipynb", marker)
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "answer = None"
    nb.cells[1].source += "\nanswer = 42"
    nbformat.write(nb, path)
    assert [o.status for o in validate(path, quick=True)] == ["passed"] and marker.exists()


def test_cli_quick_says_what_it_left_out(tmp_path, capsys):
    path = _notebook(tmp_path / "a.ipynb", tmp_path / "demo-ran.txt")
    assert main(["validate", "--quick", str(path)]) == 0
    assert "demo cells were not run" in capsys.readouterr().out
