"""Intake never loses a student: every input file is a submission or listed with its reason."""

from __future__ import annotations

import os
import unicodedata
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from autograder.inputs.intake import IntakeError, IntakeOptions, take_in

ASSIGNMENTS = ["01_fitting", "02_weight_decay"]


def make(root: Path, *names: str, text: str = "{}") -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def rows(intake) -> list[tuple]:
    return [(s.student_id, s.assignment, s.origin, s.late, s.lms_id, s.problem.split(":")[0])
            for s in intake.submissions]


def accounted(intake) -> set[str]:
    return {s.origin for s in intake.submissions} | {item.origin for item in intake.listed}


def test_accent_only_different_ids_are_two_students(tmp_path):
    """Zoë and Zoé (and an NFD-named file, as macOS writes them) are kept apart, never merged."""
    nfd = unicodedata.normalize("NFD", "Zoë")
    make(tmp_path, "Zoé_01_fitting.ipynb", f"{nfd}_02_weight_decay.ipynb", "Zoë_01_fitting.ipynb")
    intake = take_in(tmp_path, ASSIGNMENTS, tmp_path / "scratch")
    found = sorted((s.student_id, s.assignment, s.folder) for s in intake.submissions)
    assert found == [("Zoé", "01_fitting", "Zoé"), ("Zoë", "01_fitting", "Zoë"), ("Zoë", "02_weight_decay", "Zoë")]
    assert intake.layout == "flat" and not intake.listed


def test_chinese_flat_names_are_three_students(tmp_path):
    make(tmp_path, "张伟_01_fitting.ipynb", "李娜_01_fitting.ipynb", "王芳-01_fitting.ipynb")
    intake = take_in(tmp_path, ASSIGNMENTS, tmp_path / "scratch")
    assert rows(intake) == [("张伟", "01_fitting", "张伟_01_fitting.ipynb", False, "", ""),
                            ("李娜", "01_fitting", "李娜_01_fitting.ipynb", False, "", ""),
                            ("王芳", "01_fitting", "王芳-01_fitting.ipynb", False, "", "")]


def test_ids_that_cannot_be_folders_are_mapped_and_kept(tmp_path):
    """A roster id like `a/b` cannot come from a file name, but one with % or a space can."""
    make(tmp_path, "50%_01_fitting.ipynb", "Ann Lee_01_fitting.ipynb")
    found = {s.student_id: s.folder for s in take_in(tmp_path, ASSIGNMENTS, tmp_path / "s").submissions}
    assert found == {"50%": "50%25", "Ann Lee": "Ann%20Lee"}


def canvas_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("smithjohn_LATE_1001_5001_01_fitting.ipynb", "{}")
        zf.writestr("leeann_1002_6001_01_fitting.ipynb", "{}")
        zf.writestr("leeann_1002_6002_01_fitting-1.ipynb", "{}")   # her resubmission
        zf.writestr("leeann_1002_6003_notes.pdf", "%PDF")
        zf.writestr("张伟_1003_7001_homework.ipynb", "{}")          # renamed: names no assignment
        zf.writestr("__MACOSX/._leeann_1002_6001_01_fitting.ipynb", "junk")
        zf.writestr("../escape_1004_8001_01_fitting.ipynb", "{}")
    return path


def test_canvas_zip_with_late_and_resubmission(tmp_path):
    """LATE is kept, the resubmission (-1, newer file id) is graded and the first one listed."""
    archive = canvas_zip(tmp_path / "submissions.zip")
    intake = take_in(archive, ASSIGNMENTS, tmp_path / "scratch")
    assert intake.layout == "canvas"
    assert rows(intake) == [
        ("leeann_1002", "01_fitting", "submissions.zip/leeann_1002_6002_01_fitting-1.ipynb", False, "1002", ""),
        ("smithjohn_1001", "01_fitting", "submissions.zip/smithjohn_LATE_1001_5001_01_fitting.ipynb", True, "1001", ""),
        ("张伟_1003", "", "submissions.zip/张伟_1003_7001_homework.ipynb", False, "1003", "invalid")]
    listed = {item.origin: item.reason.split(":")[0] for item in intake.listed}
    assert listed == {"submissions.zip/leeann_1002_6001_01_fitting.ipynb": "superseded",
                      "submissions.zip/leeann_1002_6003_notes.pdf": "not a notebook (.pdf)",
                      "submissions.zip/__MACOSX/._leeann_1002_6001_01_fitting.ipynb": "ignored",
                      "submissions.zip/../escape_1004_8001_01_fitting.ipynb": "unsafe path in the archive"}
    assert not (tmp_path / "escape_1004_8001_01_fitting.ipynb").exists()


def test_canvas_download_for_one_assignment(tmp_path):
    """--assignment names the assignment of files renamed by students; a roster maps Canvas ids."""
    archive = canvas_zip(tmp_path / "submissions.zip")
    intake = take_in(archive, ASSIGNMENTS, tmp_path / "scratch", IntakeOptions(default_assignment="01_fitting"),
                     known={"lms:1003": "zhang.wei", "lms:1001": "jsmith"})
    assert [(s.student_id, s.assignment, s.problem) for s in intake.submissions] == \
        [("jsmith", "01_fitting", ""), ("leeann_1002", "01_fitting", ""), ("zhang.wei", "01_fitting", "")]


def test_student_named_files_for_one_assignment(tmp_path):
    """A folder of <student>.ipynb files is one assignment's when --assignment names it."""
    make(tmp_path, "ann.ipynb", "bob_01_fitting.ipynb")
    intake = take_in(tmp_path, ASSIGNMENTS, tmp_path / "s", IntakeOptions(default_assignment="01_fitting"))
    assert [(s.student_id, s.assignment, s.problem) for s in intake.submissions] == \
        [("ann", "01_fitting", ""), ("bob", "01_fitting", "")]


def test_moodle_folders(tmp_path):
    make(tmp_path, "Ann Lee_1234567_assignsubmission_file_/01_fitting.ipynb",
         "Ann Lee_1234567_assignsubmission_onlinetext_/onlinetext.html",
         "Zoë Brown_7654321_assignsubmission_file_/01_fitting (1).ipynb",
         "Zoë Brown_7654321_assignsubmission_file_/01_fitting.ipynb",
         "Zoë Brown_7654321_assignsubmission_file_/data.csv")
    intake = take_in(tmp_path, ASSIGNMENTS, tmp_path / "scratch")
    assert intake.layout == "moodle"
    assert rows(intake) == [
        ("Ann Lee_1234567", "01_fitting", "Ann Lee_1234567_assignsubmission_file_/01_fitting.ipynb", False, "1234567", ""),
        ("Zoë Brown_7654321", "01_fitting", "Zoë Brown_7654321_assignsubmission_file_/01_fitting (1).ipynb",
         False, "7654321", "")]
    listed = {item.origin: item.reason.split(" ")[0] for item in intake.listed}
    assert listed == {"Ann Lee_1234567_assignsubmission_onlinetext_/onlinetext.html": "not",
                      "Zoë Brown_7654321_assignsubmission_file_/01_fitting.ipynb": "superseded:",
                      "Zoë Brown_7654321_assignsubmission_file_/data.csv": "not"}


def test_moodle_names_map_to_the_roster(tmp_path):
    make(tmp_path, "Ann Lee_1234567_assignsubmission_file_01_fitting.ipynb")
    [submission] = take_in(tmp_path, ASSIGNMENTS, tmp_path / "s", known={"name:Ann Lee": "alee"}).submissions
    assert (submission.student_id, submission.assignment, submission.lms_id) == ("alee", "01_fitting", "1234567")


def test_filename_regex_with_named_groups(tmp_path):
    make(tmp_path, "ps1_bitdiddle_attempt_2016-01-30-15-00-00_01_fitting.ipynb",
         "ps1_bitdiddle_attempt_2016-01-30-16-00-00_01_fitting.ipynb", "ps1_hacker_01_fitting.ipynb")
    regex = r"ps1_(?P<student_id>[a-z]+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<assignment_id>\w+?)\.ipynb"
    intake = take_in(tmp_path, ASSIGNMENTS, tmp_path / "s", IntakeOptions(filename_regex=regex))
    [submission] = intake.submissions
    assert (submission.student_id, submission.assignment, submission.submitted_at) == \
        ("bitdiddle", "01_fitting", datetime(2016, 1, 30, 16, tzinfo=timezone.utc))
    assert {i.origin: i.reason.split(" ")[0] for i in intake.listed} == {
        "ps1_bitdiddle_attempt_2016-01-30-15-00-00_01_fitting.ipynb": "superseded:",
        "ps1_hacker_01_fitting.ipynb": "does"}


@pytest.mark.parametrize("regex, message", [("(", "not a regular expression"), ("(?P<name>.*)", "student_id"),
                                            ("(?P<student_id>.*)(?P<color>x)", "unknown group")])
def test_bad_filename_regex_says_what_to_fix(tmp_path, regex, message):
    make(tmp_path, "a_01_fitting.ipynb")
    with pytest.raises(ValueError, match=message):
        take_in(tmp_path, ASSIGNMENTS, tmp_path / "s", IntakeOptions(filename_regex=regex))


def test_nbgrader_layout_one_level_too_high(tmp_path):
    """The parent of submissions/ (with other files beside it) still finds every student."""
    make(tmp_path, "submissions/alice/01_fitting/01_fitting.ipynb", "submissions/alice/01_fitting/timestamp.txt",
         "submissions/bob/01_fitting/scratch.ipynb", "submissions/bob/01_fitting/01_fitting.ipynb",
         "submissions/frank/01_fitting/README.txt", "build_submissions.py", "notes.ipynb")
    (tmp_path / "submissions/alice/01_fitting/timestamp.txt").write_text("2025-03-01 12:00:00.000000 UTC")
    intake = take_in(tmp_path, ASSIGNMENTS, tmp_path / "s")
    assert intake.layout == "nbgrader"
    assert rows(intake) == [
        ("alice", "01_fitting", "submissions/alice/01_fitting/01_fitting.ipynb", False, "", ""),
        ("bob", "01_fitting", "submissions/bob/01_fitting/01_fitting.ipynb", False, "", ""),
        ("frank", "01_fitting", "submissions/frank/01_fitting/", False, "", "missing")]
    assert intake.submissions[0].submitted_at == datetime(2025, 3, 1, 12, tzinfo=timezone.utc)
    assert {i.origin: i.reason.split(":")[0] for i in intake.listed} == {
        "build_submissions.py": "not a notebook (.py)", "notes.ipynb": "not in a <student>/<assignment>/ folder",
        "submissions/alice/01_fitting/timestamp.txt": "used",
        "submissions/bob/01_fitting/scratch.ipynb": "superseded",
        "submissions/frank/01_fitting/README.txt": "not a notebook (.txt)"}


def test_every_file_is_accounted_for(tmp_path):
    make(tmp_path, "a_01_fitting.ipynb", "a_01_fitting-2.ipynb", "b.ipynb", "c.txt", ".ipynb_checkpoints/x.ipynb")
    os.symlink("/etc/passwd", tmp_path / "link_01_fitting.ipynb")
    intake = take_in(tmp_path, ASSIGNMENTS, tmp_path / "scratch")
    on_disk = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if not p.is_dir() and "scratch" not in p.parts}
    assert accounted(intake) == on_disk
    assert [(s.origin, s.problem[:7]) for s in intake.submissions] == [("a_01_fitting-2.ipynb", ""), ("b.ipynb", "invalid")]


def test_an_empty_zip_names_the_zip(tmp_path):
    with zipfile.ZipFile(tmp_path / "download.zip", "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(IntakeError, match=r"nothing to grade in .*download\.zip \(flat layout\): 1 not a notebook"):
        take_in(tmp_path / "download.zip", ASSIGNMENTS, tmp_path / "s")


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(IntakeError, match="is empty"):
        take_in(tmp_path / "empty", ASSIGNMENTS, tmp_path / "s")


def test_nothing_gradable_is_one_clear_error(tmp_path):
    make(tmp_path, "grades.pdf", "notes.ipynb")
    with pytest.raises(IntakeError, match=r"nothing to grade in .* \(flat layout\): .*not a notebook"):
        take_in(tmp_path, ASSIGNMENTS, tmp_path / "s")


def test_unknown_layout_is_refused(tmp_path):
    make(tmp_path, "a_01_fitting.ipynb")
    with pytest.raises(ValueError, match="--layout 'blackboard'"):
        take_in(tmp_path, ASSIGNMENTS, tmp_path / "s", IntakeOptions(layout="blackboard"))
