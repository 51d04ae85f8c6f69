"""An unfilled released notebook, run top to bottom, fails only where the student has work to do.

Every error output must be the stub's NotImplementedError or a check saying "not implemented
yet" / "not answered yet" (dlcourse/checks/_core.py `run_suite`, answers.py `check_choice`),
never a follow-on error of a demo cell that uses an unfilled function (NameError, ValueError...).
"""

from __future__ import annotations

import os
import subprocess

import nbformat
import pytest

from autograder.config import assignments
from tests.paths import ROOT

ASSIGNMENTS = assignments(ROOT)
UNFILLED_MARKERS = ("not implemented yet", "not answered yet")
CELL_TIMEOUT_S = 120


def _run_as_a_student(path):
    """Execute the notebook in a fresh python3 kernel, in its own folder, errors allowed."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    previous = os.environ.pop("NBGRADER_EXECUTION", None)  # a student's kernel, not the grader's
    try:
        client.execute(stderr=subprocess.DEVNULL)
    finally:
        if previous is not None:
            os.environ["NBGRADER_EXECUTION"] = previous
    return nb


def is_unfilled_exercise(error) -> bool:
    """True for the stub's own error, or a check reporting an exercise not attempted yet."""
    if error.ename == "NotImplementedError":
        return True
    if error.ename in ("AssertionError", "NotImplementedYet"):
        return any(marker in error.evalue for marker in UNFILLED_MARKERS)
    return False


def follow_on_errors(nb) -> list[str]:
    """'cell N `first line`: Name: message' for every error output that is not an unfilled exercise."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error" and not is_unfilled_exercise(output):
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                found.append(f"cell {index} `{first_line}`: {output.ename}: {output.evalue[:200]}")
    return found


def test_the_filter_accepts_only_unfilled_exercises():
    def error(ename, evalue):
        return nbformat.from_dict({"output_type": "error", "ename": ename, "evalue": evalue,
                                   "traceback": []})

    assert is_unfilled_exercise(error("NotImplementedError", ""))
    assert is_unfilled_exercise(error("AssertionError",
                                      "mse is not implemented yet: fill in the cell above, then run it."))
    assert is_unfilled_exercise(error("AssertionError", "q1: not answered yet: set q1 to one of [1, 2]"))
    assert not is_unfilled_exercise(error("AssertionError", "mse: value: expected 1, got 2. Hint: ..."))
    assert not is_unfilled_exercise(error("NameError", "name 'histories' is not defined"))
    assert not is_unfilled_exercise(error("ValueError", "x and y must have same first dimension"))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_unfilled_release_fails_only_at_the_exercises(assignment):
    path = ROOT / "release" / assignment / f"{assignment}.ipynb"
    nb = _run_as_a_student(path)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors, "the unfilled notebook raised nothing: are the stubs still stubs?"
    unexpected = follow_on_errors(nb)
    assert not unexpected, (f"release/{assignment}: errors a student cannot act on:\n"
                            + "\n".join(unexpected))
