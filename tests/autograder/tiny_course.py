"""A tiny course for tests that really grade: two assignments of two one-line exercises each.

Grading one of its notebooks takes a few seconds (no training, only the seed cell's imports), so
tests can grade several students and regrade them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from tests.paths import ROOT

ANSWER = "def {name}():\n    ### BEGIN SOLUTION\n    return {value}\n    ### END SOLUTION"
HIDDEN = "assert {name}() == {value}\n### BEGIN HIDDEN TESTS\nassert {name}() + 0 == {hidden}\n### END HIDDEN TESTS"


def _cell(kind: str, source: str, grade_id: str, points: int = 0):
    meta = {"grade": kind == "test", "solution": kind == "answer", "locked": kind == "test",
            "grade_id": grade_id, "schema_version": 3}
    if points:
        meta["points"] = points
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def write_source(root: Path, assignment: str, hidden_b: int = 2) -> None:
    """source/<assignment>/<assignment>.ipynb: a() == 1 (1 point), b() == 2 (2 points, hidden check `hidden_b`)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Implement `a` and `b`."),
                _cell("answer", ANSWER.format(name="a", value=1), "a"),
                _cell("test", "assert a() == 1", "test_a", 1),
                _cell("answer", ANSWER.format(name="b", value=2), "b"),
                _cell("test", HIDDEN.format(name="b", value=2, hidden=hidden_b), "test_b", 2)]
    (root / "source" / assignment).mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, root / "source" / assignment / f"{assignment}.ipynb")


def make_course(root: Path, assignments: tuple[str, ...] = ("hw1", "hw2")) -> Path:
    """A released course folder (source/, release/, gradebook.db, nbgrader_config.py)."""
    from autograder.flows.release import release

    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    for assignment in assignments:
        write_source(root, assignment)
    release(root=root, assignment_ids=list(assignments))
    return root


def answered(course: Path, assignment: str, a: int = 1, b: int = 2):
    """The released notebook with `a` and `b` filled in to return the given values."""
    nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    values = {"a": a, "b": b}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = f"def {grade_id}():\n    return {values[grade_id]}"
    return nb


def hand_in(path: Path, nb) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
