"""The class list: read strictly, every rostered student gets a row."""

from __future__ import annotations

import pytest

from autograder.flows.batch import ClassOptions, complete
from autograder.inputs.collect import Submission
from autograder.inputs.intake import Intake
from autograder.results import CellResult, SubmissionResult
from autograder.inputs.roster import RosterError, known_identities, load_roster, read_roster, save_roster

CELLS = {"test_a": 1.0, "test_b": 2.0}


def write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_excel_csv_with_bom_and_extra_columns(tmp_path):
    """Excel's "CSV UTF-8" (a BOM), Chinese names, first/last name columns, a column we do not know."""
    path = write(tmp_path, "Student_ID,First_Name,Last_Name,Email,lms_id,Notes\n"
                           "张伟,伟,张,zw@x.cn,1003,\nzoe,Zoë,Martin,,1001,\"likes, commas\"\n", "utf-8-sig")
    students = read_roster(path)
    assert list(students) == ["张伟", "zoe"]
    assert (students["zoe"].name, students["zoe"].lms_id, students["张伟"].email) == ("Zoë Martin", "1001", "zw@x.cn")
    assert known_identities(students) == {"name:伟 张": "张伟", "name:Zoë Martin": "zoe", "lms:1003": "张伟", "lms:1001": "zoe"}


@pytest.mark.parametrize("text, message", [
    ("id,name\nann,Ann\n", "no student_id column \\(its columns: id, name\\): add one"),
    ("student_id\nann\n\n ,\n", "row 3: empty student_id"),
    ("student_id\nann\nbob\nann\n", "'ann' appears twice \\(rows 2 and 4\\)"),
    ("student_id,lms_id\nann,7\nbob,7\n", "lms_id '7' is given to both 'ann' and 'bob'"),
])
def test_bad_rosters_say_what_to_fix(tmp_path, text, message):
    with pytest.raises(RosterError, match=message):
        read_roster(write(tmp_path, text))


def test_not_utf8_or_absent(tmp_path):
    with pytest.raises(RosterError, match='save it as "CSV UTF-8"'):
        read_roster(write(tmp_path, "student_id\nZoë\n", "latin-1"))
    with pytest.raises(RosterError, match="not found"):
        read_roster(tmp_path / "nope.csv")


def test_nfc_ids_match_submissions(tmp_path):
    import unicodedata

    students = read_roster(write(tmp_path, f"student_id\n{unicodedata.normalize('NFD', 'Zoë')}\n"))
    assert list(students) == ["Zoë"]


def test_absent_students_get_missing_rows_and_strangers_are_flagged(tmp_path):
    students = read_roster(write(tmp_path, "student_id,name\nann,Ann\nbob,Bob\n"))
    intake = Intake("nbgrader", [Submission("ann", "hw", tmp_path / "a.ipynb", origin="ann/hw/a.ipynb"),
                                 Submission("zed", "hw", tmp_path / "z.ipynb", origin="zed/hw/z.ipynb")])
    graded = [(s, SubmissionResult(s.student_id, "hw", "ok", cells=[CellResult("test_a", 1, 1, True)]))
              for s in intake.submissions]
    results = complete(graded, intake, students, ClassOptions(), lambda a: CELLS)
    assert [(r.student_id, r.status, r.on_roster, r.name, r.max_score) for r in results] == [
        ("ann", "ok", True, "Ann", 1.0), ("bob", "missing", True, "Bob", 3.0), ("zed", "ok", False, "", 1.0)]


def test_roster_is_kept_for_export_and_removed_without_one(tmp_path):
    students = read_roster(write(tmp_path, "student_id,lms_id\nann,1001\n"))
    save_roster(tmp_path, students)
    assert load_roster(tmp_path) == students
    save_roster(tmp_path, {})
    assert load_roster(tmp_path) == {}
