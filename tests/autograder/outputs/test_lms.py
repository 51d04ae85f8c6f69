"""Grades back to the LMS: Canvas's gradebook import CSV, Moodle's grading worksheet, Gradescope's
results.json, each checked against the rules of the importer that reads it."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest

from autograder.cli import main
from autograder.outputs.export import write_outputs
from autograder.outputs.lms import write_moodle
from autograder.results import CellResult, SubmissionResult
from autograder.inputs.roster import Student, save_roster

CELLS = {"test_a": 1.0, "test_b": 2.0}
GRADESCOPE_TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
                  "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
                   "tags", "visibility", "extra_data"}


def result(student, status="ok", a=1.0, b=2.0, **fields) -> SubmissionResult:
    cells = [CellResult("test_a", a, 1.0, a == 1.0), CellResult("test_b", b, 2.0, b == 2.0, "" if b == 2.0 else "b: wrong")]
    return SubmissionResult(student, fields.pop("assignment", "01_fitting"), status, cells=cells, seconds=4.4, **fields)


@pytest.fixture
def graded(tmp_path):
    """A batch: a Canvas download (LATE, a Chinese name), a roster with SIS ids, missing and error rows."""
    results = [result("smithjohn_1001", b=0.0, lms_id="canvas:1001", name="smithjohn", late=True, late_penalty=0.5),
               result("张伟", lms_id="canvas:1003", name="张伟"),
               result("ann", status="missing", a=0, b=0),
               result("bob", status="error", a=0, b=0),
               result("zed"),
               result("张伟", assignment="02_weight_decay", b=1.0)]
    roster = {"ann": Student("ann", name="Ann Lee", email="ann@x.org", lms_id="1002", section="A",
                             sis_user_id="S-2", sis_login_id="alee"),
              "bob": Student("bob", name="Bob Wu", lms_id="1004"),
              "张伟": Student("张伟", name="张伟", sis_user_id="S-3")}
    out = tmp_path / "graded"
    write_outputs(out, results, {"01_fitting": CELLS, "02_weight_decay": CELLS})
    save_roster(out, roster)
    return out


def read(path, encoding="utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding=encoding), newline="")))


def canvas_accepts_header(row: list[str]) -> bool:
    """Canvas's GradebookImporter#header?: Student, ID, then SIS User ID + SIS Login ID, then Section."""
    return (len(row) > 3 and "Student" in row[0] and "ID" in row[1] and "SIS User ID" in row[2]
            and "SIS Login ID" in row[3] and "Section" in row[4])


def test_canvas_gradebook_csv(graded, tmp_path, caplog):
    assert main(["export", str(graded), "--to", "canvas", "--out", str(tmp_path / "lms"),
                 "--column", "01_fitting=Homework 1 (4567)"]) == 0
    rows = read(tmp_path / "lms" / "canvas_grades.csv")
    assert canvas_accepts_header(rows[0])
    assert rows == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 1 (4567)", "02_weight_decay"],
                    ["Points Possible", "", "", "", "", "3", "3"],
                    ["Ann Lee", "1002", "S-2", "alee", "A", "", ""],       # missing: Canvas keeps its own
                    ["Bob Wu", "1004", "", "", "", "", ""],                # error: no number until regraded
                    ["smithjohn", "1001", "", "", "", "0.5", ""],          # 1 point, late penalty 0.5
                    ["zed", "", "", "", "", "3", ""],
                    ["张伟", "1003", "S-3", "", "", "3", "2"]]
    assert "no Canvas ID or SIS id for 1 student(s) (zed)" in caplog.text


def test_bom_for_excel(graded, tmp_path):
    main(["export", str(graded), "--to", "canvas", "--out", str(tmp_path / "lms"), "--bom"])
    raw = (tmp_path / "lms" / "canvas_grades.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfStudent,") and "张伟".encode() in raw
    assert read(tmp_path / "lms" / "canvas_grades.csv", "utf-8-sig")[0][0] == "Student"


def test_moodle_grading_worksheet(tmp_path):
    """One worksheet per assignment; Moodle finds the participant by `Participant <id>`, reads Grade
    and `Last modified (grade)`, and never sees a Feedback comments column to overwrite."""
    results = [result("Ann Lee_1234567", lms_id="moodle:1234567", name="Ann Lee", submitted_at="2025-03-01T11:00:00+00:00"),
               result("Zoë Brown_7654321", lms_id="moodle:7654321", name="Zoë Brown", b=1.0),
               result("smithjohn_1001", lms_id="canvas:1001"),            # a Canvas id is no Moodle id
               result("cara", status="missing", a=0, b=0)]
    now = datetime(2025, 3, 2, 9, 30, tzinfo=timezone.utc)
    [path], left_out = write_moodle(results, {"cara": Student("cara", name="Cara", lms_id="555")}, tmp_path, now=now)
    rows = read(path)
    assert path.name == "moodle_01_fitting.csv"
    assert rows == [["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                     "Grade can be changed", "Last modified (submission)", "Last modified (grade)"],
                    ["Participant 1234567", "Ann Lee", "", "Submitted for grading", "3.00", "3.00", "Yes",
                     "2025-03-01T11:00:00+00:00", "2025-03-02T09:30:00+00:00"],
                    ["Participant 7654321", "Zoë Brown", "", "Submitted for grading", "2.00", "3.00", "Yes", "",
                     "2025-03-02T09:30:00+00:00"],
                    ["Participant 555", "Cara", "", "No submission", "", "3.00", "Yes", "", "2025-03-02T09:30:00+00:00"]]
    assert left_out == ["smithjohn_1001/01_fitting"]
    assert all(row[0][len("Participant "):].isdigit() for row in rows[1:])  # what Moodle's importer strips


def test_gradescope_results_json(graded, tmp_path):
    assert main(["export", str(graded), "--to", "gradescope", "--out", str(tmp_path / "gs")]) == 0
    written = sorted(p.relative_to(tmp_path / "gs").as_posix() for p in (tmp_path / "gs").rglob("results.json"))
    assert written == ["01_fitting/bob/results.json", "01_fitting/smithjohn_1001/results.json",
                       "01_fitting/zed/results.json", "01_fitting/张伟/results.json",
                       "02_weight_decay/张伟/results.json"]  # ann is missing: nothing to upload
    data = json.loads((tmp_path / "gs" / "01_fitting" / "smithjohn_1001" / "results.json").read_text(encoding="utf-8"))
    assert set(data) <= GRADESCOPE_TOP and all(set(t) <= GRADESCOPE_TEST for t in data["tests"])
    assert data["score"] == 0.5 and data["execution_time"] == 4
    assert [(t["name"], t["score"], t["max_score"], t["status"], t["output"], t["visibility"]) for t in data["tests"]] == [
        ("test_a", 1.0, 1.0, "passed", "passed", "visible"), ("test_b", 0.0, 2.0, "failed", "b: wrong", "visible")]
    assert "late penalty: -0.5 (score 1, final 0.5)" in data["output"]


def test_export_needs_a_graded_folder(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--to", "canvas", "--out", str(tmp_path / "x")]) == 2
    assert "results.json not found: pass the --out folder of a finished `grade` run" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", str(tmp_path), "--to", "blackboard", "--out", str(tmp_path / "x")])


def test_bad_column_mapping(graded, tmp_path, capsys):
    assert main(["export", str(graded), "--to", "canvas", "--out", str(tmp_path / "x"), "--column", "01_fitting"]) == 2
    assert "write ASSIGNMENT=HEADER" in capsys.readouterr().err
    assert main(["export", str(graded), "--to", "canvas", "--out", str(tmp_path / "x"), "--column", "09_x=Y"]) == 2
    assert "no such assignment" in capsys.readouterr().err
