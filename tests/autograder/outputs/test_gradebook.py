"""Merging the autograder's results into nbgrader's gradebook (autograder/outputs/gradebook.py).

Fast tests use a two-exercise assignment released by nbgrader into a temporary course. Slow
tests merge the graded examples into a temporary copy of this course, then ask stock nbgrader
(`nbgrader export`, the formgrader's API, `nbgrader autograde`) what it sees. The repository's
own gradebook.db is never opened.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc

from autograder.config import COURSE_ID, course_config
from autograder.outputs.gradebook import MANUAL_KEPT, GradebookError, merge_results
from autograder.flows.release import release
from autograder.results import CellResult, SubmissionResult, zero_cells
from tests.paths import ROOT, tree_digest

STEPS = ("submitted", "autograded", "feedback")
ANSWER = "def {name}():\n    ### BEGIN SOLUTION\n    return {value}\n    ### END SOLUTION"


def db_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def db_state(root: Path) -> tuple:
    """Everything the merge writes, without generated ids: students, submissions, grades, comments."""
    with Gradebook(db_url(root), COURSE_ID) as gb:
        rows = [(sub.student.id, sub.name, sub.timestamp, sub.extension, nb.name, nb.flagged,
                 nb.late_submission_penalty,
                 sorted((g.name, g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
                        for g in nb.grades),
                 sorted((c.name, c.auto_comment or "", c.manual_comment or "") for c in nb.comments))
                for student in gb.students for sub in student.submissions for nb in sub.notebooks]
        return sorted(s.id for s in gb.students), sorted(rows, key=repr)


def files_state(root: Path) -> dict:
    return {step: tree_digest(root / step) for step in STEPS if (root / step).exists()}


def grade_of(root: Path, student: str, cell: str, assignment: str = "hw", notebook: str = "hw"):
    with Gradebook(db_url(root), COURSE_ID) as gb:
        grade = gb.find_grade(cell, notebook, assignment, student)
        return grade.auto_score, grade.manual_score, grade.needs_manual_grade


# --- a tiny released assignment: two answers, two test cells (1 and 2 points) -------------------

def _nbgrader_cell(kind: str, source: str, grade_id: str, points: int = 0):
    meta = {"grade": kind == "test", "solution": kind == "answer", "locked": kind == "test",
            "grade_id": grade_id, "schema_version": 3}
    if points:
        meta["points"] = points
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


@pytest.fixture(scope="module")
def released_hw(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hw_course")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Implement `a` and `b`."),
                _nbgrader_cell("answer", ANSWER.format(name="a", value=1), "a"),
                _nbgrader_cell("test", "assert a() == 1", "test_a", 1),
                _nbgrader_cell("answer", ANSWER.format(name="b", value=2), "b"),
                _nbgrader_cell("test", "assert b() == 2", "test_b", 2)]
    (root / "source" / "hw").mkdir(parents=True)
    nbformat.write(nb, root / "source" / "hw" / "hw.ipynb")
    release(root=root, assignment_ids=["hw"])
    return root


@pytest.fixture
def hw(released_hw, tmp_path) -> Path:
    """A fresh copy of the released tiny course (its gradebook knows `hw`, no student yet)."""
    course = tmp_path / "course"
    shutil.copytree(released_hw, course)
    return course


def submit(course: Path, tmp: Path, student: str, answered: bool = True, b_points: float = 2.0,
           status: str = "ok", feedback: str = "feedback") -> SubmissionResult:
    """A student's file in tmp/subs, its 'graded' files in tmp/out, and its result record."""
    nb = nbformat.read(course / "release" / "hw" / "hw.ipynb", as_version=4)
    if answered:
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = cell.source.replace("raise NotImplementedError()", "return 0")
    source = tmp / "subs" / student / "hw" / "hw.ipynb"
    source.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, source)
    (source.parent / "timestamp.txt").write_text("2025-03-01 09:30:00.000000 UTC")  # as nbgrader collect writes
    graded = tmp / "out" / "autograded" / student / "hw"
    graded.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, graded / "hw.ipynb")
    (tmp / "out" / "feedback" / student / "hw").mkdir(parents=True, exist_ok=True)
    (tmp / "out" / "feedback" / student / "hw" / "hw.html").write_text(f"<p>{feedback}</p>")
    cells = [CellResult("test_a", 1.0, 1.0, True), CellResult("test_b", b_points, 2.0, b_points == 2.0)]
    return SubmissionResult(student, "hw", status, cells=cells, source=str(source))


def test_scores_comments_and_files_are_recorded_as_nbgrader_would(hw, tmp_path):
    """Per-cell auto scores, "No response." for untouched answers, three folders with one timestamp."""
    results = [submit(hw, tmp_path, "alice"), submit(hw, tmp_path, "bob", answered=False, b_points=0)]
    before = tree_digest(tmp_path / "subs")
    report = merge_results(hw, tmp_path / "out", results, db_url=db_url(hw))
    assert report.merged == ["alice/hw", "bob/hw"] and not report.skipped
    assert grade_of(hw, "alice", "test_b") == (2.0, None, False)
    assert grade_of(hw, "bob", "test_b") == (0.0, None, False)
    with Gradebook(db_url(hw), COURSE_ID) as gb:
        assert gb.find_submission("hw", "alice").score == 3.0
        assert gb.find_comment("a", "hw", "hw", "alice").auto_comment is None
        assert gb.find_comment("a", "hw", "hw", "bob").auto_comment == "No response."
        timestamp = gb.find_submission("hw", "alice").timestamp
    for step, name in zip(STEPS, ["hw.ipynb", "hw.ipynb", "hw.html"]):
        folder = hw / step / "alice" / "hw"
        assert (folder / name).is_file(), step
        assert parse_utc((folder / "timestamp.txt").read_text()) == timestamp, step
    assert (hw / "submitted/alice/hw/hw.ipynb").read_bytes() == Path(results[0].source).read_bytes()
    assert tree_digest(tmp_path / "subs") == before  # the student's files are only read


def test_merging_twice_changes_nothing(hw, tmp_path):
    results = [submit(hw, tmp_path, "alice"), submit(hw, tmp_path, "bob", b_points=0)]
    merge_results(hw, tmp_path / "out", results, db_url=db_url(hw))
    first = db_state(hw), files_state(hw)
    report = merge_results(hw, tmp_path / "out", results, db_url=db_url(hw))
    assert report.merged == ["alice/hw", "bob/hw"]
    assert (db_state(hw), files_state(hw)) == first


def test_a_new_result_replaces_the_earlier_submission_and_keeps_its_extension(hw, tmp_path):
    merge_results(hw, tmp_path / "out", [submit(hw, tmp_path, "alice", b_points=0, feedback="old")],
                  db_url=db_url(hw))
    with Gradebook(db_url(hw), COURSE_ID) as gb:
        gb.grant_extension("hw", "alice", days=2)
    (hw / "feedback/alice/hw/stale.html").write_text("from an earlier grading")
    merge_results(hw, tmp_path / "out", [submit(hw, tmp_path, "alice", b_points=2, feedback="new")],
                  db_url=db_url(hw))
    assert grade_of(hw, "alice", "test_b") == (2.0, None, False)
    with Gradebook(db_url(hw), COURSE_ID) as gb:
        assert len(gb.student_submissions("alice")) == 1
        assert gb.find_submission("hw", "alice").extension.days == 2
    assert sorted(p.name for p in (hw / "feedback/alice/hw").iterdir()) == ["hw.html", "timestamp.txt"]
    assert "new" in (hw / "feedback/alice/hw/hw.html").read_text()


@pytest.mark.parametrize("entry", ["manual_score", "extra_credit", "manual_comment"])
def test_manual_grading_is_kept_unless_forced(hw, tmp_path, entry):
    """Is a submission the instructor graded by hand left alone, and replaced only with force?"""
    merge_results(hw, tmp_path / "out", [submit(hw, tmp_path, "alice", b_points=0)], db_url=db_url(hw))
    with Gradebook(db_url(hw), COURSE_ID) as gb:
        if entry == "manual_comment":
            gb.find_comment("b", "hw", "hw", "alice").manual_comment = "see me"
        else:
            setattr(gb.find_grade("test_b", "hw", "hw", "alice"), entry, 1.5)
        gb.db.commit()
    kept = db_state(hw), files_state(hw)
    regraded = [submit(hw, tmp_path, "alice", b_points=2, feedback="regraded")]
    report = merge_results(hw, tmp_path / "out", regraded, db_url=db_url(hw))
    assert report.skipped == [("alice/hw", MANUAL_KEPT)] and not report.merged
    assert "alice/hw" in report.summary()
    assert (db_state(hw), files_state(hw)) == kept
    report = merge_results(hw, tmp_path / "out", regraded, db_url=db_url(hw), force=True)
    assert report.merged == report.replaced_manual == ["alice/hw"]
    assert grade_of(hw, "alice", "test_b") == (2.0, None, False)


def test_each_status(hw, tmp_path):
    """invalid/timeout/crashed/tampered are recorded with the CSV's points; missing and error are not."""
    ok = [submit(hw, tmp_path, name, b_points=points, status=status)
          for name, points, status in [("tim", 0, "timeout"), ("cris", 0, "crashed"), ("tam", 2, "tampered")]]
    erin = tmp_path / "subs" / "erin" / "hw" / "hw.ipynb"
    erin.parent.mkdir(parents=True)
    erin.write_bytes(b'{"cells": [')  # not JSON: no autograded notebook, a status feedback page
    (tmp_path / "out/feedback/erin/hw").mkdir(parents=True)
    (tmp_path / "out/feedback/erin/hw/hw.html").write_text("could not be graded")
    zeros = zero_cells({"test_a": 1.0, "test_b": 2.0}, "not JSON")
    results = ok + [
        SubmissionResult("erin", "hw", "invalid", cells=zeros, source=str(erin)),
        SubmissionResult("frank", "hw", "missing", cells=zeros),
        SubmissionResult("gil", "hw", "error", cells=zeros, source=str(erin)),
        SubmissionResult("notes", "", "invalid", source=str(erin)),
        SubmissionResult("zoe", "hw", "ok", cells=zeros, source=str(tmp_path / "unzipped" / "gone.ipynb")),
    ]
    report = merge_results(hw, tmp_path / "out", results, db_url=db_url(hw))
    assert report.merged == ["tim/hw", "cris/hw", "tam/hw", "erin/hw"]
    assert [key for key, _ in report.skipped] == ["frank/hw", "gil/hw", "notes/?", "zoe/hw"]
    with Gradebook(db_url(hw), COURSE_ID) as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions("hw")}
        students = {s.id for s in gb.students}
    assert scores == {"tim": 1.0, "cris": 1.0, "tam": 3.0, "erin": 0.0}
    assert students == {"tim", "cris", "tam", "erin", "frank"}  # frank: listed by export with 0
    assert grade_of(hw, "erin", "test_a") == (0.0, None, False)
    assert (hw / "submitted/erin/hw/hw.ipynb").read_bytes() == b'{"cells": ['
    assert sorted(p.name for p in (hw / "autograded/erin/hw").iterdir()) == []  # no time known: none written
    assert (hw / "feedback/erin/hw/hw.html").is_file()
    summary = report.summary()
    assert summary.count("\n") == 0 and "merged 4" in summary and "skipped 4" in summary


def test_mapped_ids_roster_and_late_penalty_are_recorded(hw, tmp_path):
    """An id that cannot be a folder merges under its folder name; the roster fills in the student;
    the due date and the late penalty are stored where nbgrader's AssignLatePenalties puts them."""
    from autograder.inputs.late import parse_due
    from autograder.inputs.roster import Student

    result = submit(hw, tmp_path, "a%2Fb")  # the grader's files lie under the folder name
    result.student_id, result.folder, result.lms_id = "a/b", "a%2Fb", "canvas:1001"
    result.submitted_at, result.late, result.late_penalty = "2025-03-01T12:30:00+00:00", True, 1.0
    roster = {"a/b": Student("a/b", name="Ann Lee", first_name="Ann", last_name="Lee", email="ann@x.org")}
    merge_results(hw, tmp_path / "out", [result], db_url=db_url(hw), roster=roster,
                  due=parse_due("2025-03-01T13:00+01:00"))
    with Gradebook(db_url(hw), COURSE_ID) as gb:
        student = gb.find_student("a%2Fb")
        assert (student.first_name, student.last_name, student.email, student.lms_user_id) == \
            ("Ann", "Lee", "ann@x.org", "1001")
        submission = gb.find_submission("hw", "a%2Fb")
        assert (submission.total_seconds_late, submission.late_submission_penalty, submission.score) == \
            (1800, 1.0, 3.0)
    assert (hw / "submitted" / "a%2Fb" / "hw" / "hw.ipynb").is_file()


def test_a_course_without_a_gradebook_is_refused_and_none_is_created(hw, tmp_path):
    (hw / "gradebook.db").unlink()
    with pytest.raises(GradebookError, match="python -m autograder release"):
        merge_results(hw, tmp_path / "out", [submit(hw, tmp_path, "alice")])
    assert not (hw / "gradebook.db").exists() and not (hw / "submitted").exists()


@pytest.mark.parametrize("problem", ["unknown assignment", "new cell", "other points"])
def test_a_gradebook_that_does_not_match_is_refused_before_any_change(hw, tmp_path, problem):
    good = submit(hw, tmp_path, "alice")
    bad = submit(hw, tmp_path, "bob")
    if problem == "unknown assignment":
        (hw / "source" / "hw2").mkdir()
        shutil.copyfile(hw / "source/hw/hw.ipynb", hw / "source/hw2/hw2.ipynb")
        bad.assignment = "hw2"
    elif problem == "new cell":
        bad.cells.append(CellResult("test_c", 1.0, 1.0, True))
    else:
        bad.cells[1].max_points = 5.0
    before = db_state(hw)
    with pytest.raises(GradebookError, match="python -m autograder release"):
        merge_results(hw, tmp_path / "out", [good, bad], db_url=db_url(hw))
    assert db_state(hw) == before and not (hw / "submitted").exists()


def test_grading_the_course_folders_in_place_leaves_them_as_they_are(hw, tmp_path):
    """`grade submitted --out <root>`: the source and OUT are the course's own folders."""
    result = submit(hw, tmp_path, "alice")
    for step, name in [("submitted", "hw.ipynb"), ("autograded", "hw.ipynb"), ("feedback", "hw.html")]:
        origin = tmp_path / ("subs" if step == "submitted" else f"out/{step}") / "alice" / "hw" / name
        (hw / step / "alice" / "hw").mkdir(parents=True)
        shutil.copyfile(origin, hw / step / "alice" / "hw" / name)
    (hw / "submitted/alice/hw/timestamp.txt").write_text("2025-03-01 09:30:00.000000 UTC")
    result.source = str(hw / "submitted/alice/hw/hw.ipynb")
    before = tree_digest(hw / "submitted")
    merge_results(hw, hw, [result], db_url=db_url(hw))
    assert tree_digest(hw / "submitted") == before
    assert (hw / "autograded/alice/hw/hw.ipynb").is_file() and (hw / "feedback/alice/hw/hw.html").is_file()
    with Gradebook(db_url(hw), COURSE_ID) as gb:  # the timestamp nbgrader collect wrote is used
        assert gb.find_submission("hw", "alice").timestamp == parse_utc("2025-03-01 09:30:00 UTC")


# --- the graded examples, merged into a temporary copy of this course -------------------------

@pytest.fixture(scope="module")
def graded(request, tmp_path_factory) -> tuple[Path, list[SubmissionResult]]:
    """(OUT, results) for examples/submissions: the shared sandboxed run where bubblewrap works."""
    from autograder.flows.grade import grade
    from autograder.engine.sandbox import SandboxUnavailable, check_available

    try:
        check_available()
        out = request.getfixturevalue("graded_examples")[0]
    except SandboxUnavailable:
        submissions = tmp_path_factory.mktemp("subs") / "submissions"
        shutil.copytree(ROOT / "examples" / "submissions", submissions)
        out = tmp_path_factory.mktemp("graded")
        grade(submissions=submissions, out=out, root=ROOT, workers=2, sandbox=False)
    results = [SubmissionResult.from_dict(r) for r in json.loads((out / "results.json").read_text())]
    return out, results


@pytest.fixture(scope="module")
def released_course(tmp_path_factory) -> Path:
    """A copy of this course with 01_fitting released into its own new gradebook."""
    root = tmp_path_factory.mktemp("course")
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(ROOT / "source", root / "source")
    shutil.copytree(ROOT / "release", root / "release")
    release(root=root, assignment_ids=["01_fitting"])
    return root


@pytest.fixture(scope="module")
def merged_course(released_course, graded, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("merged") / "course"
    shutil.copytree(released_course, root)
    out, results = graded
    report = merge_results(root, out, results)
    assert sorted(report.merged) == [f"{s}/01_fitting" for s in ["alice", "bob", "carol", "dave", "erin"]]
    assert report.skipped == [("frank/01_fitting", "no notebook submitted")]
    return root


def nbgrader_export(root: Path) -> dict[tuple[str, str], float]:
    """`nbgrader export` run in `root`: (student, assignment) -> score."""
    target = root / "export.csv"
    subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", str(target)], cwd=root,
                   check=True, capture_output=True)
    return {(row["student_id"], row["assignment"]): float(row["score"])
            for row in csv.DictReader(open(target))}


@pytest.mark.slow
def test_nbgrader_export_totals_equal_grades_csv(merged_course, graded):
    out, _ = graded
    expected = {(row["student_id"], row["assignment"]): float(row["score"])
                for row in csv.DictReader(open(out / "grades.csv"))}
    assert nbgrader_export(merged_course) == expected


@pytest.mark.slow
def test_gradebook_and_formgrader_show_each_cells_score(merged_course, graded):
    from nbgrader.apps import NbGraderAPI

    _, results = graded
    with Gradebook(db_url(merged_course), COURSE_ID) as gb:
        for result in results:
            if result.status == "missing":
                continue
            for cell in result.cells:
                grade = gb.find_grade(cell.grade_id, "01_fitting", "01_fitting", result.student_id)
                assert (grade.auto_score, grade.needs_manual_grade) == (cell.points, False), \
                    (result.student_id, cell.grade_id)
    api = NbGraderAPI(config=course_config(merged_course))
    listed = {s["student"]: (s["autograded"], s["score"]) for s in api.get_submissions("01_fitting")}
    assert listed == {r.student_id: (True, r.score) for r in results if r.status != "missing"}
    reviewable = {s["student"] for s in api.get_notebook_submissions("01_fitting", "01_fitting")}
    assert reviewable == {"alice", "bob", "carol", "dave"}  # erin's file is not a notebook


@pytest.mark.slow
def test_merging_the_examples_twice_is_idempotent(merged_course, graded, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(merged_course, root)
    before = db_state(root), files_state(root)
    merge_results(root, *graded)
    assert (db_state(root), files_state(root)) == before


@pytest.mark.slow
def test_a_manual_grade_survives_a_regrade_and_shows_in_the_export(merged_course, graded, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(merged_course, root)
    with Gradebook(db_url(root), COURSE_ID) as gb:  # what the formgrader does when a grader edits a score
        grade = gb.find_grade("test_poly_features", "01_fitting", "01_fitting", "dave")
        grade.manual_score, grade.needs_manual_grade = 1.0, False
        gb.db.commit()
    report = merge_results(root, *graded)
    assert ("dave/01_fitting", MANUAL_KEPT) in report.skipped
    assert nbgrader_export(root)[("dave", "01_fitting")] == 13.0


@pytest.mark.slow
def test_same_rows_as_stock_nbgrader_autograde(released_course, merged_course, tmp_path):
    """Does stock `nbgrader autograde` of carol's file write exactly what the merge wrote?"""
    root = tmp_path / "course"
    shutil.copytree(released_course, root)
    shutil.copytree(merged_course / "submitted" / "carol", root / "submitted" / "carol")
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "01_fitting", "--student", "carol"],
                   cwd=root, check=True, capture_output=True)
    merged = [row for row in db_state(merged_course)[1] if row[0] == "carol"]
    assert db_state(root)[1] == merged
