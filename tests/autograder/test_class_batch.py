"""A real class through `grade`: Unicode ids, a roster, a due date, regrading, selection."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.flows.batch import ClassOptions
from autograder.cli import main
from autograder.config import COURSE_ID
from autograder.flows.grade import grade
from autograder.inputs.late import LatePolicy, parse_due
from tests.autograder.tiny_course import answered, hand_in, make_course, write_source
from tests.paths import ROOT, tree_digest


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("tiny") / "course")


@pytest.fixture
def course(released, tmp_path) -> Path:
    return Path(shutil.copytree(released, tmp_path / "course"))


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def files_outcomes(out: Path) -> dict[str, str]:
    return {row["file"]: f"{row['outcome']}: {row['reason']}" for row in read_csv(out / "files.csv")}


@pytest.mark.slow
def test_unicode_ids_roster_and_due_date(course, tmp_path):
    """Accent-only-different and Chinese ids stay apart; the roster adds the absent student; late
    work is flagged and penalized per started day, and the gradebook records it."""
    subs = tmp_path / "subs"
    times = {"Zoë": "2025-03-01 11:59:00 UTC", "Zoé": "2025-03-01 12:30:00 UTC", "张伟": "2025-03-03 13:00:00 UTC"}
    for student, a in [("Zoë", 1), ("Zoé", 0), ("张伟", 1), ("a%b", 1)]:
        hand_in(subs / student / "hw1" / "hw1.ipynb", answered(course, "hw1", a=a))
        if student in times:
            (subs / student / "hw1" / "timestamp.txt").write_text(times[student])
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,email\nZoë,Zoë Martin,zm@x.org\nZoé,Zoé Roux,\n张伟,张伟,\n李娜,李娜,\n",
                      encoding="utf-8-sig")
    before = tree_digest(subs)
    options = ClassOptions(roster=roster, due=parse_due("2025-03-01T13:00+01:00"),
                           late_policy=LatePolicy.parse("per-day:1"))
    grade(submissions=subs, out=tmp_path / "out", root=course, workers=1, progress=False, gradebook=True,
          options=options)
    rows = [(r["student_id"], r["status"], r["score"], r["late_penalty"], r["final_score"], r["submitted_at"], r["late"])
            for r in read_csv(tmp_path / "out" / "grades.csv")]
    assert rows == [("Zoé", "ok", "2", "1", "1", "2025-03-01T12:30:00+00:00", "yes"),
                    ("Zoë", "ok", "3", "0", "3", "2025-03-01T11:59:00+00:00", "no"),
                    ("a%b", "ok", "3", "0", "3", "", "no"),
                    ("张伟", "ok", "3", "3", "0", "2025-03-03T13:00:00+00:00", "yes"),
                    ("李娜", "missing", "0", "0", "0", "", "no")]
    totals = {r["student_id"]: (r["hw1"], r["late"], r["on_roster"]) for r in read_csv(tmp_path / "out" / "grades_totals.csv")}
    assert totals == {"a%b": ("3", "no", "no"), "Zoé": ("1", "yes", "yes"), "Zoë": ("3", "no", "yes"),
                      "张伟": ("0", "yes", "yes"), "李娜": ("0", "no", "yes")}
    for folder in ("a%25b", "Zoé", "Zoë", "张伟"):
        assert (tmp_path / "out" / "feedback" / folder / "hw1" / "hw1.html").is_file(), folder
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        assert gb.find_student("Zoë").email == "zm@x.org"
        assert gb.find_submission("hw1", "Zoé").late_submission_penalty == 1.0
        assert gb.find_submission("hw1", "Zoé").total_seconds_late == 30 * 60
        assert gb.find_submission("hw1", "a%25b").score == 3.0
        assert sorted(s.id for s in gb.students) == sorted(["a%25b", "Zoé", "Zoë", "张伟", "李娜"])
    assert tree_digest(subs) == before


@pytest.mark.slow
def test_regrade_after_a_hidden_test_changes(course, tmp_path):
    """A fixed hidden test regrades that assignment's units only; --regrade with a selection forces one."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    hand_in(subs / "ann" / "hw1" / "hw1.ipynb", answered(course, "hw1"))
    hand_in(subs / "ann" / "hw2" / "hw2.ipynb", answered(course, "hw2"))
    hand_in(subs / "bob" / "hw1" / "hw1.ipynb", answered(course, "hw1", b=3))

    def run(**options) -> dict:
        results = grade(submissions=subs, out=out, root=course, workers=1, progress=False,
                        options=ClassOptions(**options))
        return {(r.student_id, r.assignment): r.score for r in results}

    assert run() == {("ann", "hw1"): 3, ("ann", "hw2"): 3, ("bob", "hw1"): 1}
    write_source(course, "hw1", hidden_b=3)  # the instructor "fixes" the hidden check of b
    assert run() == {("ann", "hw1"): 1, ("ann", "hw2"): 3, ("bob", "hw1"): 1}
    outcomes = files_outcomes(out)
    assert outcomes["ann/hw2/hw2.ipynb"] == "graded: status ok (saved result reused: nothing it depends on changed)"
    assert outcomes["ann/hw1/hw1.ipynb"] == "graded: status ok"
    assert run(students=("ann",), assignments=("hw2",), regrade=True) == \
        {("ann", "hw1"): 1, ("ann", "hw2"): 3, ("bob", "hw1"): 1}
    outcomes = files_outcomes(out)
    assert outcomes["ann/hw2/hw2.ipynb"] == "graded: status ok"
    assert outcomes["bob/hw1/hw1.ipynb"].endswith("(saved result reused: nothing it depends on changed)")


def test_selection_is_checked_before_grading(course, tmp_path):
    hand_in(tmp_path / "subs" / "ann" / "hw1" / "hw1.ipynb", answered(course, "hw1"))
    for options, message in [(ClassOptions(assignments=("hw9",)), "--assignment hw9: not an assignment"),
                             (ClassOptions(students=("anne",)), "--student anne: no submission")]:
        with pytest.raises(ValueError, match=message):
            grade(submissions=tmp_path / "subs", out=tmp_path / "out", root=course, sandbox=False, options=options)


def test_nothing_to_grade_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "pdfs").mkdir()
    (tmp_path / "pdfs" / "ann_01_fitting.pdf").write_text("%PDF")
    for folder in ("empty", "pdfs"):
        code = main(["grade", str(tmp_path / folder), "--out", str(tmp_path / f"out-{folder}"),
                     "--root", str(ROOT), "--no-sandbox", "--quiet"])
        error = capsys.readouterr().err.strip()
        assert code == 2 and error.startswith("error: nothing to grade") and "\n" not in error, error
    assert json.dumps(files_outcomes(tmp_path / "out-pdfs"), ensure_ascii=False) == \
        json.dumps({"ann_01_fitting.pdf": "not graded: not a notebook (.pdf)"})
