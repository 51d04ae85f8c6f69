"""`make clean` and `make demo` never touch a course's grades or submissions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.autograder.test_course_root import copy_course
from tests.paths import tree_digest

GRADES = ("gradebook.db", "submitted", "autograded", "feedback", "grading-out")
GENERATED = ("demo-out", "solutions", "gradescope", "benchmarks/out")


@pytest.fixture
def course(tmp_path) -> Path:
    """A course copy with this environment, grades of its own and make's generated folders."""
    course = copy_course(tmp_path / "course", ("source", "nbgrader_config.py", "Makefile", "examples",
                                               "pyproject.toml"))
    (course / ".venv").symlink_to(Path(sys.prefix))
    (course / "gradebook.db").write_bytes(b"the instructor's gradebook")
    for folder in ("submitted", "autograded", "feedback"):
        (course / folder / "ann" / "01_fitting").mkdir(parents=True)
        (course / folder / "ann" / "01_fitting" / "01_fitting.ipynb").write_text(f"{folder} of ann")
    (course / "grading-out").mkdir()
    (course / "grading-out" / "grades.csv").write_text("student_id,score\nann,14\n")
    for folder in GENERATED:
        (course / folder).mkdir(parents=True, exist_ok=True)
        (course / folder / "generated.txt").write_text("x")
    return course


def grades_state(course: Path) -> dict:
    return {name: tree_digest(course / name) if (course / name).is_dir() else (course / name).read_bytes()
            for name in GRADES}


def make(course: Path, target: str) -> subprocess.CompletedProcess:
    # -o: the environment is installed already (the copy's pyproject.toml looks newer than its stamp)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["make", "-o", ".venv/.installed", target], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_clean_removes_only_what_make_generated(course):
    before = grades_state(course)
    run = make(course, "clean")
    assert run.returncode == 0, run.stderr
    assert grades_state(course) == before
    assert not any((course / folder).exists() for folder in GENERATED)
    assert "kept: gradebook.db, submitted/" in run.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_demo_grades_in_a_scratch_course(course):
    before, release = grades_state(course), course / "release"
    run = make(course, "demo")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert grades_state(course) == before and not release.exists()
    demo = course / "demo-out"
    assert (demo / "grades.csv").read_text(encoding="utf-8").count("\n") == 7  # header + six students
    assert (demo / "course" / "gradebook.db").is_file()
    assert (demo / "course" / "submitted" / "carol" / "01_fitting" / "01_fitting.ipynb").is_file()
