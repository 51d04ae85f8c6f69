"""nbgrader's own test courses, graded twice: by stock `nbgrader autograde` and by this grader.

A scenario is built the way nbgrader 0.9.6's `tests/apps/test_nbgrader_autograde.py` builds it,
from the notebooks installed with nbgrader (`nbgrader/tests/apps/files/`): a course folder with
`source/ps1/`, an `nbgrader_config.py` (with the scenario's lines), `nbgrader generate_assignment`,
and `submitted/<student>/ps1/` folders. The course is copied before grading; stock nbgrader grades
one copy in place, `python -m autograder grade submitted --root COPY` the other (merging into its
gradebook), and `gradebook_view` reads what each recorded.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbgrader

FILES = Path(nbgrader.__file__).parent / "tests" / "apps" / "files"
DUE = "2015-02-02 14:58:23.948203 America/Los_Angeles"


@dataclass
class Scenario:
    """A course of nbgrader's fixtures: source notebooks, course files, submissions."""

    sources: dict[str, str]                     #: notebook name in source/ps1 -> fixture file
    students: dict[str, dict[str, str]]         #: student -> {file name in submitted/<s>/ps1: fixture}
                                                #: (or "release:NAME", the course's released notebook)
    config: str = ""                            #: lines added to nbgrader_config.py
    course_files: dict[str, str] = field(default_factory=dict)  #: course-root file -> fixture or text
    source_files: dict[str, str] = field(default_factory=dict)  #: other files of source/ps1 -> fixture
    timestamps: dict[str, str] = field(default_factory=dict)    #: student -> timestamp.txt text
    duedate: str = DUE


def nbgrader_cli(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`nbgrader ARGS` run in `course` with this environment's Python (and its kernel)."""
    env_bin = str(Path(sys.executable).parent)
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                         env={**_env(), "PATH": env_bin + ":" + _env().get("PATH", "")}, timeout=600)
    if check and run.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    return run


def _env() -> dict:
    import os

    return dict(os.environ)


def _fixture_or_text(value: str) -> bytes:
    """A fixture's bytes, or `value` itself when it is a file's text (several lines)."""
    return value.encode() if "\n" in value or not (FILES / value).is_file() else (FILES / value).read_bytes()


def build(scenario: Scenario, course: Path) -> Path:
    """The course folder, released, with its submissions (nothing graded yet)."""
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n" + scenario.config + "\n")
    for name, value in scenario.course_files.items():
        (course / name).write_bytes(_fixture_or_text(value))
    for name, fixture in scenario.sources.items():
        shutil.copyfile(FILES / fixture, course / "source" / "ps1" / name)
    for name, fixture in scenario.source_files.items():
        (course / "source" / "ps1" / name).parent.mkdir(parents=True, exist_ok=True)
        (course / "source" / "ps1" / name).write_bytes(_fixture_or_text(fixture))
    nbgrader_cli(course, "db", "assignment", "add", "ps1", "--duedate", scenario.duedate)
    for student in scenario.students:
        nbgrader_cli(course, "db", "student", "add", student)
    nbgrader_cli(course, "generate_assignment", "ps1")
    for student, files in scenario.students.items():
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True, exist_ok=True)
        for name, fixture in files.items():  # "release:NAME": the course's released notebook
            released = course / "release" / "ps1" / fixture.removeprefix("release:")
            (folder / name).write_bytes(released.read_bytes() if fixture.startswith("release:")
                                        else _fixture_or_text(fixture))
        if student in scenario.timestamps:
            (folder / "timestamp.txt").write_text(scenario.timestamps[student])
    return course


def grade_stock(course: Path) -> subprocess.CompletedProcess:
    return nbgrader_cli(course, "autograde", "ps1", check=False)


def grade_ours(course: Path, *extra: str) -> subprocess.CompletedProcess:
    """`python -m autograder grade submitted --root COURSE`, merged into the course's gradebook
    (`--input FOLDER` among `extra`: grade that folder instead of submitted/)."""
    extra_args = list(extra)
    submissions = "submitted"
    if "--input" in extra_args:
        at = extra_args.index("--input")
        submissions = extra_args.pop(at + 1)
        extra_args.pop(at)
    return subprocess.run([sys.executable, "-m", "autograder", "grade", submissions, "--root", ".",
                           "--out", "grader-out", "--workers", "1", "--keep-warm", "0", "--quiet", *extra_args],
                          cwd=course, capture_output=True, text=True, timeout=600)


def gradebook_view(course: Path) -> dict:
    """Per student: per notebook, each graded cell's (auto_score, needs_manual_grade), the notebook's
    late penalty; and the submission's seconds late."""
    from nbgrader.api import Gradebook, MissingEntry

    view = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in gb.students:
            try:
                submission = gb.find_submission("ps1", student.id)
            except MissingEntry:
                continue
            view[student.id] = {
                "late": submission.total_seconds_late > 0,
                "notebooks": {nb.name: {"penalty": nb.late_submission_penalty,
                                        "cells": {g.name: (g.auto_score, bool(g.needs_manual_grade))
                                                  for g in nb.grades}}
                              for nb in submission.notebooks}}
    return view


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` (and its mode), by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def differences(stock: dict, ours: dict) -> list[str]:
    """Where the two gradebooks disagree: a student, a notebook, a cell's score or mark, a penalty."""
    found = []
    for student in sorted(set(stock) | set(ours)):
        if student not in stock or student not in ours:
            found.append(f"{student}: graded by {'stock only' if student in stock else 'the grader only'}")
            continue
        if stock[student]["late"] != ours[student]["late"]:
            found.append(f"{student}: late {stock[student]['late']} (stock) vs {ours[student]['late']}")
        for name, notebook in stock[student]["notebooks"].items():
            mine = ours[student]["notebooks"].get(name)
            if mine is None:
                found.append(f"{student}/{name}: not in the grader's gradebook")
                continue
            if notebook["penalty"] != mine["penalty"]:
                found.append(f"{student}/{name}: late penalty {notebook['penalty']} (stock) vs {mine['penalty']}")
            for cell, value in notebook["cells"].items():
                if mine["cells"].get(cell) != value:
                    found.append(f"{student}/{name}/{cell}: {value} (stock) vs {mine['cells'].get(cell)}")
    return found
