"""A cell's nbgrader metadata, read in one place (autograder/cells.py)."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder import cells


def _cell(source="x = 1", kind="code", **meta):
    make = new_code_cell if kind == "code" else new_markdown_cell
    return make(source, metadata={"nbgrader": meta} if meta else {})


def test_roles_of_test_answer_manual_and_ordinary_cells():
    """Is a test cell told apart from an answer, a manually graded answer and an ordinary cell?"""
    test = _cell(grade=True, solution=False, locked=True, grade_id="test_a", points=2)
    answer = _cell(grade=False, solution=True, grade_id="mse")
    manual = _cell("text", kind="markdown", grade=True, solution=True, grade_id="q1", points="3")
    plain = _cell()
    assert [cells.is_test_cell(c) for c in (test, answer, manual, plain)] == [True, False, False, False]
    assert [cells.is_graded(c) for c in (test, answer, manual, plain)] == [True, True, True, False]
    assert cells.grade_id_of(test) == "test_a" and cells.grade_id_of(plain) is None
    assert cells.grade_points(new_notebook(cells=[test, answer, manual, plain])) == {"test_a": 2.0, "q1": 3.0}
    assert list(cells.solution_cells(new_notebook(cells=[test, answer, manual]))) == ["mse", "q1"]
    assert not cells.has_meta(plain) and cells.meta_of(plain) == {}


def test_damaged_and_old_metadata():
    """Does a null entry read as none, and do old schemas (flags left out, points as text) compare equal?"""
    damaged = {"cell_type": "code", "metadata": {"nbgrader": None}, "source": ""}
    assert cells.meta_of(damaged) == {} and not cells.is_test_cell(damaged) and cells.has_meta(damaged)
    old = {"grade": True, "grade_id": "t", "points": "1"}
    new = {"grade": True, "solution": False, "locked": False, "task": False, "grade_id": "t", "points": 1.0,
           "checksum": "abc", "schema_version": 3}
    assert cells.grading(old) == cells.grading(new)
    assert cells.is_inert({"grade": False, "solution": False}) and not cells.is_inert(old)


def test_writing_and_dropping_the_entry():
    """Is the entry set as a copy, and dropped without a trace?"""
    cell, meta = _cell(), {"grade": True, "grade_id": "t"}
    cells.set_meta(cell, meta)
    meta["grade_id"] = "changed"
    assert cells.grade_id_of(cell) == "t"
    cells.drop_meta(cell)
    assert not cells.has_meta(cell)


def test_last_error_and_tags():
    """The last error as one uncoloured line, '' without one; the cell's Jupyter tags."""
    cell = _cell()
    cell.outputs = [new_output("error", ename="ValueError", evalue="first", traceback=[]),
                    new_output("error", ename="AssertionError", evalue="\x1b[31mmse\x1b[0m: wrong", traceback=[])]
    assert cells.last_error(cell) == "AssertionError: mse: wrong"
    assert cells.last_error(_cell()) == ""
    tagged = new_code_cell("plot()", metadata={"tags": ["skip-when-grading"]})
    assert cells.tags_of(tagged) == ["skip-when-grading"] and cells.tags_of(_cell()) == []
