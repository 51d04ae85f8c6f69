"""`python -m autograder solutions`: solution notebooks for self-learners, without hidden tests."""

from __future__ import annotations

import shutil

import nbformat
import pytest

from autograder.cli import main
from autograder.config import assignments
from autograder.flows.solutions import MARKER, SolutionsError, without_hidden_tests, write_solutions
from autograder.flows.validate import validate
from tests.paths import ROOT
from tests.notebook_tools import nbgrader_meta

ASSIGNMENTS = assignments(ROOT)


@pytest.fixture(scope="module")
def solutions(tmp_path_factory):
    out = tmp_path_factory.mktemp("course") / "solutions"
    assert write_solutions(root=ROOT, out=out) == ASSIGNMENTS
    return out


def _solution_code(cell) -> list[str]:
    lines = []
    for block in cell.source.split("### BEGIN SOLUTION")[1:]:
        lines += [ln for ln in block.split("### END SOLUTION")[0].splitlines() if ln.strip()]
    return lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_hidden_test_survives(solutions, assignment):
    path = solutions / assignment / f"{assignment}.ipynb"
    text = path.read_text()
    for marker in ("HIDDEN TESTS", "hidden=True", "check_answer("):
        assert marker not in text, marker
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    hidden = {ln.strip() for c in source.cells for block in c.source.split("### BEGIN HIDDEN TESTS")[1:]
              for ln in block.split("### END HIDDEN TESTS")[0].splitlines() if ln.strip()}
    assert hidden and not [ln for ln in hidden if ln in text]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_visible_checks_and_metadata_are_kept(solutions, assignment):
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    written = nbformat.read(solutions / assignment / f"{assignment}.ipynb", as_version=4)
    assert [c.get("id") for c in written.cells] == [c.get("id") for c in source.cells]
    for before, after in zip(source.cells, written.cells):
        assert nbgrader_meta(after) == nbgrader_meta(before)
        if nbgrader_meta(before).get("solution"):
            assert after.source == before.source and _solution_code(after)
        elif "### BEGIN HIDDEN TESTS" in before.source:
            assert after.source == before.source.split("### BEGIN HIDDEN TESTS")[0].rstrip("\n")
        else:
            assert after.source == before.source
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None


def test_other_files_of_an_assignment_are_copied(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "source" / "01_fitting", course / "source" / "01_fitting")
    (course / "source" / "01_fitting" / "table.csv").write_text("x,y\n1,2\n")
    (course / "source" / "01_fitting" / ".ipynb_checkpoints").mkdir()
    write_solutions(root=course, out=course / "solutions")
    folder = course / "solutions" / "01_fitting"
    assert sorted(p.name for p in folder.iterdir()) == ["01_fitting.ipynb", "table.csv"]
    assert (folder / "table.csv").read_text() == "x,y\n1,2\n"


def test_refuses_a_folder_it_did_not_create(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    with pytest.raises(SolutionsError, match="was not written by"):
        write_solutions(root=ROOT, out=out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_rewrites_its_own_folder(tmp_path):
    out = tmp_path / "solutions"
    out.mkdir()  # an empty folder is fine
    write_solutions(root=ROOT, out=out)
    (out / "01_fitting" / "stale.txt").write_text("from an old run")
    write_solutions(root=ROOT, out=out)
    assert (out / MARKER).is_file() and not (out / "01_fitting" / "stale.txt").exists()


@pytest.mark.parametrize("text", [
    "a\n### BEGIN HIDDEN TESTS\nb\n",
    "a\n### END HIDDEN TESTS\n",
    "### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n",
])
def test_unpaired_markers_are_an_error(text):
    with pytest.raises(SolutionsError):
        without_hidden_tests(text)


def test_hidden_block_is_dropped_with_its_markers():
    text = "assert check_f(f)\n### BEGIN HIDDEN TESTS\nassert check_f(f, hidden=True)\n### END HIDDEN TESTS"
    assert without_hidden_tests(text) == "assert check_f(f)"


def test_cli_writes_and_says_where(tmp_path, capsys):
    out = tmp_path / "sol"
    assert main(["solutions", "--out", str(out), "--root", str(ROOT)]) == 0
    assert str(out) in capsys.readouterr().out
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("")
    assert main(["solutions", "--out", str(tmp_path / "other"), "--root", str(ROOT)]) == 2
    assert "not written by" in capsys.readouterr().err


@pytest.mark.slow
def test_a_solution_notebook_passes_every_visible_check(solutions):
    outcomes = validate(solutions / "01_fitting" / "01_fitting.ipynb")
    assert outcomes and all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]
