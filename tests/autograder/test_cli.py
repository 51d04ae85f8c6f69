"""`python -m autograder`: where -v goes and what it shows, validate on a non-assignment, release."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.cli import main
from tests.paths import ROOT


def _autograder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real entry point, in a process of its own (so its logging is not pytest's)."""
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def _notebook(path: Path, graded: bool) -> Path:
    cells = [new_markdown_cell("# Notes"), new_code_cell("answer = 42")]
    if graded:
        cells.append(new_code_cell("assert answer == 42", metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "test_answer",
            "schema_version": 3}}))
    nbformat.write(new_notebook(cells=cells), path)
    return path


@pytest.mark.parametrize("argv", [["-v", "grade"], ["grade", "-v"], ["grade", "--verbose"]])
def test_verbose_is_accepted_before_and_after_the_command(argv, tmp_path, capsys):
    """Does -v parse in both places (a usage error would exit through argparse instead)?"""
    assert main([*argv, str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "missing does not exist" in capsys.readouterr().err


def test_verbose_counts_on_both_sides_of_the_command(tmp_path):
    """Is `-v grade -v` the same as -vv, which shows the traceback of an error?"""
    with pytest.raises(Exception, match="does not exist"):
        main(["-v", "grade", "-v", str(tmp_path / "missing"), "--out", str(tmp_path / "out")])


def test_validate_without_graded_cells_says_so_and_exits_2(tmp_path, capsys):
    """A notebook with no graded cell is not an assignment: one clear line, exit 2, nothing run."""
    notes = _notebook(tmp_path / "notes.ipynb", graded=False)
    assert main(["validate", str(notes)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: notes.ipynb has no graded cells: is it an assignment of this course?\n"


@pytest.mark.slow
@pytest.mark.parametrize("flags, shown", [([], False), (["-v", "validate"], True),
                                          (["validate", "-v"], True)], ids=["quiet", "before", "after"])
def test_verbose_shows_progress_lines(flags, shown, tmp_path):
    """Does -v, before or after the command, add progress lines on stderr (and only -v)?"""
    notebook = _notebook(tmp_path / "tiny.ipynb", graded=True)
    run = _autograder(*(flags or ["validate"]), str(notebook), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1/1 checks passed" in run.stdout
    assert ("running " in run.stderr and "in a fresh kernel" in run.stderr) == shown, run.stderr


@pytest.mark.slow
def test_release_on_a_fresh_machine_prints_no_exchange_error(tmp_path):
    """Does release, which needs no exchange, stay quiet about nbgrader's missing exchange?"""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "source" / "01_fitting", course / "source" / "01_fitting")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    run = _autograder("release", "01_fitting", cwd=course)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Unwritable" not in run.stdout + run.stderr
    assert run.stderr == "", run.stderr  # nothing but warnings without -v, and there are none
    assert run.stdout.startswith("released 01_fitting into")
    assert (course / "release" / "01_fitting" / "01_fitting.ipynb").is_file()
