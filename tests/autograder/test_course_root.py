"""Any course folder as --root: a copy of the course elsewhere, graded with this environment."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

COURSE_PARTS = ("source", "answer_key", "dlcourse", "autograder", "nbgrader_config.py", "pyproject.toml")


def copy_course(target: Path, parts: tuple[str, ...] = COURSE_PARTS) -> Path:
    """A copy of the course without .venv or .git, as an instructor's own repository would be."""
    target.mkdir(parents=True)
    for part in parts:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(source, target / part)
    return target


def test_sandbox_imports_the_packages_the_grader_imported():
    """Does the kernel get a PYTHONPATH holding the folders the grader's own packages came from?"""
    from autograder.config import Limits
    from autograder.engine.sandbox import package_search_path, wrap

    command = wrap(["python"], scratch=Path("/tmp/scratch"), limits=Limits(), uid=None)
    at = command.index("PYTHONPATH")
    assert command[at - 1] == "--setenv"
    import autograder
    import dlcourse

    expected = {str(Path(m.__file__).resolve().parent.parent) for m in (autograder, dlcourse)}
    assert set(command[at + 1].split(os.pathsep)) == expected == set(package_search_path().split(os.pathsep))


@pytest.mark.slow
def test_a_copy_of_the_course_grades_like_the_original(tmp_path):
    """Run from a course copy (its packages shadow the installed ones): does a full solution get 14/14?

    Before the fix the kernel died at the imports cell: the grader imported the copy's packages,
    only those were mounted, and the sandboxed kernel looked for the installed ones.
    """
    course = copy_course(tmp_path / "course-copy")
    subs = tmp_path / "subs" / "ann" / "01_fitting"
    subs.mkdir(parents=True)
    shutil.copyfile(ROOT / "examples" / "submissions" / "alice" / "01_fitting" / "01_fitting.ipynb",
                    subs / "01_fitting.ipynb")
    command = [sys.executable, "-m", "autograder", "grade", "../subs", "--out", "../out",
               "--root", "../course-copy", "--workers", "1", "--no-gradebook", "--quiet"]
    run = subprocess.run(command, cwd=course, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, shlex.join(command) + "\n" + run.stderr[-3000:]
    [result] = json.loads((tmp_path / "out" / "results.json").read_text())
    assert (result["student_id"], result["status"], result["score"]) == ("ann", "ok", 14), result["detail"]
