"""Source and release notebooks: they run, they grade, they stay in sync, stubs fail."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.config import assignments
from autograder.flows.validate import validate
from tests.paths import ROOT
from tests.notebook_tools import is_test_cell, nbgrader_meta

ASSIGNMENTS = assignments(ROOT)
NBGRADER = str(Path(sys.executable).parent / "nbgrader")


def _course_copy(tmp_path: Path, assignment: str) -> Path:
    """A minimal copy of the course (config + one source folder) to run stock nbgrader in."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "source" / assignment, tmp_path / "source" / assignment)
    return tmp_path


def _nbgrader(course: Path, *args: str) -> None:
    done = subprocess.run([NBGRADER, *args], cwd=course, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _volatile_free(nb):
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def test_assignments_exist():
    assert "01_fitting" in ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_what_nbgrader_generates_now(assignment, tmp_path):
    course = _course_copy(tmp_path, assignment)
    _nbgrader(course, "generate_assignment", assignment, "--force")
    for generated in (course / "release" / assignment).iterdir():
        committed = ROOT / "release" / assignment / generated.name
        assert committed.exists(), f"release/{assignment}/{generated.name} missing: run `make release`"
        if generated.suffix == ".ipynb":
            assert _volatile_free(_read(generated)) == _volatile_free(_read(committed)), \
                f"release/{assignment} is out of date: run `make release`"
        else:
            assert generated.read_bytes() == committed.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_gets_full_points_from_stock_nbgrader(assignment, tmp_path):
    """The instructor's notebook, submitted as a student, runs without error and scores full marks."""
    course = _course_copy(tmp_path, assignment)
    _nbgrader(course, "generate_assignment", assignment, "--force")
    submitted = course / "submitted" / "instructor" / assignment
    shutil.copytree(course / "source" / assignment, submitted)
    _nbgrader(course, "autograde", assignment)
    graded = _read(course / "autograded" / "instructor" / assignment / f"{assignment}.ipynb")
    for cell in graded.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", (cell.source[:80], output.get("evalue"))
            if is_test_cell(cell):
                assert output.get("name") != "stderr", f"stderr in {nbgrader_meta(cell)['grade_id']}"
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(assignment, "instructor")
        assert submission.score == submission.max_score > 0


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_fails_on_the_released_stub(assignment):
    outcomes = validate(ROOT / "release" / assignment / f"{assignment}.ipynb")
    assert outcomes and not any(o.passed for o in outcomes)
    for outcome in outcomes:  # a friendly message, not a NameError or a crash
        assert "not implemented yet" in outcome.message or "not answered yet" in outcome.message, outcome


@pytest.mark.parametrize("folder", ["source", "release", "notebooks"])
def test_committed_notebooks_have_no_outputs(folder):
    for path in (ROOT / folder).rglob("*.ipynb"):
        nb = _read(path)
        assert not any(c.get("outputs") or c.get("execution_count") for c in nb.cells
                       if c.cell_type == "code"), f"{path}: clear the outputs before committing"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_test_cells_end_with_assert_and_have_hidden_tests(assignment):
    """A test cell ending in a bare expression can score full points even when False."""
    nb = _read(ROOT / "source" / assignment / f"{assignment}.ipynb")
    tests = [c for c in nb.cells if is_test_cell(c)]
    assert tests
    for cell in tests:
        last_statement = ast.parse(cell.source).body[-1]
        assert isinstance(last_statement, ast.Assert), nbgrader_meta(cell)["grade_id"]
        assert "### BEGIN HIDDEN TESTS" in cell.source, nbgrader_meta(cell)["grade_id"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_hidden_tests_or_solutions(assignment):
    text = (ROOT / "release" / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN HIDDEN TESTS", "hidden=True", "BEGIN SOLUTION", "check_answer("):
        assert marker not in text, marker
