"""Helpers for tests: read a course notebook, run its solution code in-process."""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.cells import is_test_cell, meta_of  # noqa: F401  (is_test_cell re-exported for the tests)

ROOT = Path(__file__).resolve().parent.parent


def source_notebook(assignment: str):
    return nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def nbgrader_meta(cell) -> dict:
    return meta_of(cell)




def solution_namespace(assignment: str) -> dict:
    """Run the imports cell and every solution cell that defines a function; return the globals.

    That is the instructor's solution as plain Python functions, without the experiments.
    """
    nb = source_notebook(assignment)
    namespace: dict = {}
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    exec(compile(code_cells[0].source, f"{assignment}:imports", "exec"), namespace)
    for cell in code_cells:
        if nbgrader_meta(cell).get("solution") and "def " in cell.source:
            exec(compile(cell.source, f"{assignment}:{nbgrader_meta(cell)['grade_id']}", "exec"),
                 namespace)
    return namespace
