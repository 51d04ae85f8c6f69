"""Which cells grading may skip: the static analysis, the per-submission plan, restoring feedback."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.engine.cell_names import cell_names
from autograder.engine.skipping import MARK_KEY, NOT_RUN_TEXT, RESEED, SKIP_TAG, plan, problems, skip_cells


def demo(source: str):
    return new_code_cell(source, metadata={"tags": [SKIP_TAG]})


def graded(source: str, grade_id: str, solution: bool = False):
    meta = {"grade": not solution, "solution": solution, "locked": not solution, "grade_id": grade_id,
            "schema_version": 3, **({} if solution else {"points": 1})}
    return new_code_cell(source, metadata={"nbgrader": meta})


def notebook(*cells):
    return new_notebook(cells=[new_markdown_cell("# a lesson"), *cells])


IMPORTS = new_code_cell("import torch\nfrom dlcourse.checks.fitting import check_mse")
SOLUTION = graded("def mse(y_hat, y):\n    return ((y_hat - y) ** 2).mean()", "mse", solution=True)
TEST = graded("assert check_mse(mse)", "test_mse")


@pytest.mark.parametrize("source, binds, reads", [
    ("x = 1\nprint(y)", {"x"}, {"y", "print"}),
    ("import numpy as np\nfrom torch import nn", {"np", "nn"}, set()),
    ("def f(a, generator=None):\n    return a + g", {"f"}, {"g"}),  # parameters are not globals
    ("class A:\n    b = c", {"A"}, {"c"}),
    ("def f():\n    global q\n    q = 1", {"f", "q"}, set()),
    ("del z", {"z"}, set()),
    ("[v * k for v in range(3)]", set(), {"k", "range"}),
    ("%time f(x)", set(), {"f", "x", "get_ipython"}),
    ("%%timeit\ng(y)\n", set(), {"g", "y", "get_ipython"}),
])
def test_cell_names_binds_and_global_reads(source, binds, reads):
    """Are assignments, imports, defs and `global` binds, and only global names reads?"""
    names = cell_names(source)
    assert set(names.binds) == binds and set(names.reads) == reads and not names.opaque


@pytest.mark.parametrize("source, changed", [
    ("h[0] = 1", {"h"}), ("m.weight = 2", {"m"}), ("del d['k']", {"d"}), ("l.append(3)", {"l"}),
    ("train(model)", {"model"}), ("fit(X, y=target)", {"X", "target"}),
])
def test_cell_names_changes_in_place(source, changed):
    """Is a name whose object a cell may change in place (item, attribute, method, argument) caught?"""
    assert set(cell_names(source).touches(frozenset())) >= changed


@pytest.mark.parametrize("source", ["globals()[name]", "eval('x')", "exec(code)", "_", "Out[3]", "_12 + 1",
                                    "get_ipython().user_ns['x']", "!echo {x}", "sys._getframe().f_globals"])
def test_dynamic_namespace_access_is_opaque(source):
    """Does a lookup that no static check can follow say so?"""
    assert cell_names(source).opaque


@pytest.mark.parametrize("source", ["'h' in globals()", "globals()['h']", "globals().get('h')"])
def test_literal_namespace_lookup_reads_that_name(source):
    names = cell_names(source)
    assert "h" in names.reads and not names.opaque


@pytest.mark.parametrize("source", ["%matplotlib inline", "for _ in range(3):\n    pass", "!ls", "x +="])
def test_harmless_syntax_is_not_opaque(source):
    """Common magics, `_` as a loop variable and code that does not parse do not disable skipping."""
    assert not cell_names(source).opaque


@pytest.mark.parametrize("source, effect", [
    ("torch.set_default_dtype(torch.float64)", "set_default_dtype"), ("os.chdir('/tmp')", "chdir"),
    ("torch.save(model, 'model.pt')", "save"), ("open('log.txt', 'w').write('x')", "open for writing"),
    ("open(path, mode)", "open for writing"),
])
def test_process_settings_and_files_are_effects(source, effect):
    assert effect in cell_names(source).global_effects


def test_reading_a_file_or_saving_a_figure_is_no_effect():
    assert cell_names("data = open('x.csv').read()\nfig.savefig('a.png')").global_effects == ()


def test_course_style_notebook_has_no_problems():
    nb = notebook(IMPORTS, SOLUTION, TEST, demo("x = torch.randn(3)\nprint(mse(x, x))"))
    assert problems(nb) == []
    assert plan(nb, nb) == [4]


@pytest.mark.parametrize("demo_source, running_source, name", [
    ("data = torch.randn(3)", "def mse(y_hat, y):\n    return data.sum()", "data"),  # assigned
    ("import numpy as np", "def mse(y_hat, y):\n    return np.mean(y)", "np"),  # imported
    ("def helper(v):\n    return v", "def mse(y_hat, y):\n    return helper(y)", "helper"),  # defined
    ("table = {}", "table = {1: 2}\ndef mse(y_hat, y):\n    return table[1]", "table"),  # rebound
    ("table['k'] = 1", "table = {}\ndef mse(y_hat, y):\n    return table", "table"),  # item set
    ("config.scale = 2", "config = object()\ndef mse(y_hat, y):\n    return config", "config"),  # attribute
    ("history.append(1)", "history = []\ndef mse(y_hat, y):\n    return history", "history"),  # method
])
def test_problem_when_a_running_cell_reads_what_a_skipped_cell_binds(demo_source, running_source, name):
    """Can the dependency check fail? One case per way of binding or changing a name."""
    nb = notebook(IMPORTS, graded(running_source, "mse", solution=True), TEST, demo(demo_source))
    found = problems(nb)
    assert any(name in p and "cell 5" in p for p in found), found


def test_problem_when_a_graded_cell_is_tagged():
    tagged_test = graded("assert check_mse(mse)", "test_mse")
    tagged_test.metadata["tags"] = [SKIP_TAG]
    tagged_solution = graded(SOLUTION.source, "mse", solution=True)
    tagged_solution.metadata["tags"] = [SKIP_TAG]
    found = problems(notebook(IMPORTS, tagged_solution, tagged_test))
    assert sum("graded, solution or locked" in p for p in found) == 2, found


def test_problem_when_a_tagged_cell_changes_a_process_setting_or_a_file():
    found = problems(notebook(IMPORTS, SOLUTION, TEST, demo("torch.set_default_dtype(torch.float64)"),
                              demo("%%writefile answer.py\nanswer = 1")))
    assert any("set_default_dtype" in p for p in found) and any("no static check" in p for p in found), found


def test_plan_runs_a_tagged_cell_that_writes_a_file():
    """A student's code may read the file a demo writes: such a demo is never skipped."""
    nb = notebook(IMPORTS, SOLUTION, TEST, demo("import json\njson.dump({}, open('stats.json', 'w'))"),
                  demo("x = 1"))
    assert plan(nb, nb) == [5]


def test_problem_when_a_running_cell_reads_the_namespace_dynamically():
    found = problems(notebook(IMPORTS, SOLUTION, TEST, new_code_cell("print(eval('1'))"), demo("x = 1")))
    assert any("dynamically" in p for p in found), found


def test_plan_runs_a_demo_that_a_students_code_reads():
    """A student whose answer reads a demo's variable gets that demo, and what it needs, run."""
    official = notebook(IMPORTS, demo("data = torch.randn(3)"), demo("stats = data.mean()"),
                        SOLUTION, TEST, demo("figure = None"))
    submission = nbformat.from_dict(official)
    submission.cells[4] = graded("def mse(y_hat, y):\n    return stats", "mse", solution=True)
    assert plan(official, official) == [2, 3, 6]
    assert plan(submission, official) == [6]  # stats needs data: both run


def test_plan_never_skips_what_the_official_release_does_not_tag():
    official = notebook(IMPORTS, SOLUTION, TEST, demo("x = 1"))
    submission = nbformat.from_dict(official)
    submission.cells[4].source = "x = 2  # edited by the student"
    submission.cells.append(demo("y = 3"))  # a student's own tag
    assert plan(submission, official) == []


def test_plan_skips_nothing_when_a_student_cell_is_opaque():
    official = notebook(IMPORTS, SOLUTION, TEST, demo("x = 1"))
    submission = nbformat.from_dict(official)
    submission.cells.append(new_code_cell("print(globals()[input()])"))
    assert plan(submission, official) == []


def test_skip_cells_and_restore_round_trip():
    """Skipped cells are blank but the last before a running cell, which re-seeds; afterwards each
    shows its own source and "not run during grading"."""
    nb = notebook(IMPORTS, SOLUTION, TEST, demo("x = 1"), demo("y = 2"), new_markdown_cell("text"),
                  demo("z = 3"))
    skipped = skip_cells(nb, nb)
    assert skipped.originals == ["x = 1", "y = 2", "z = 3"]
    assert [nb.cells[i].source for i in (4, 5, 7)] == ["", "", RESEED]
    skipped.restore(nb)
    assert [nb.cells[i].source for i in (4, 5, 7)] == ["x = 1", "y = 2", "z = 3"]
    assert nb.cells[4].outputs[0].text == NOT_RUN_TEXT and nb.cells[4].execution_count is None
    assert not any(MARK_KEY in c.metadata for c in nb.cells)


def test_run_all_reseeds_after_each_run_of_skippable_cells_and_restore_removes_it():
    answer = graded("answer = 1", "answer", solution=True)
    nb = notebook(IMPORTS, SOLUTION, TEST, demo("x = 1"), demo("y = 2"), answer, demo("z = 3"))
    skipped = skip_cells(nb, nb, run_all=True)
    assert [c.source for c in nb.cells[4:]] == ["x = 1", "y = 2", RESEED, "answer = 1", "z = 3", RESEED]
    skipped.restore(nb)
    assert [c.source for c in nb.cells[4:]] == ["x = 1", "y = 2", "answer = 1", "z = 3"]


def test_restore_ignores_a_forged_mark():
    """A student cannot make the grader replace a cell of theirs: the mark's nonce is secret."""
    nb = notebook(IMPORTS, SOLUTION, TEST, demo("x = 1"))
    skipped = skip_cells(nb, nb)
    forged = new_code_cell("print('mine')", metadata={MARK_KEY: "0123456789abcdef:0"})
    nb.cells.append(forged)
    skipped.restore(nb)
    assert nb.cells[-1].source == "print('mine')" and not nb.cells[-1].get("outputs")
