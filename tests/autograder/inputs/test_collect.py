"""Finding submissions in nbgrader's layout, flat LMS exports and zip files."""

from __future__ import annotations

import zipfile

import pytest

from autograder.inputs.collect import CollectError, discover

ASSIGNMENTS = ["01_fitting", "02_weight_decay"]


def test_nbgrader_layout(tmp_path):
    (tmp_path / "alice" / "01_fitting").mkdir(parents=True)
    (tmp_path / "alice" / "01_fitting" / "01_fitting.ipynb").write_text("{}")
    (tmp_path / "bob" / "01_fitting").mkdir(parents=True)
    found = discover(tmp_path, ASSIGNMENTS, tmp_path / "scratch")
    assert [(s.student_id, s.assignment, bool(s.path), s.problem.split(":")[0]) for s in found] == \
        [("alice", "01_fitting", True, ""), ("bob", "01_fitting", False, "missing")]


def test_nbgrader_layout_accepts_a_renamed_notebook(tmp_path):
    folder = tmp_path / "alice" / "01_fitting"
    folder.mkdir(parents=True)
    (folder / "01_fitting (1).ipynb").write_text("{}")
    [submission] = discover(tmp_path, ASSIGNMENTS, tmp_path / "scratch")
    assert submission.path.name == "01_fitting (1).ipynb" and not submission.problem


def test_flat_lms_names(tmp_path):
    for name in ["alice_01_fitting.ipynb", "smith_bob_12345_02_weight_decay-1.ipynb", "notes.ipynb"]:
        (tmp_path / name).write_text("{}")
    found = {(s.student_id, s.assignment): s for s in discover(tmp_path, ASSIGNMENTS, tmp_path / "s")}
    assert ("alice", "01_fitting") in found
    assert ("smith_bob_12345", "02_weight_decay") in found
    assert found[("notes", "")].problem.startswith("invalid: cannot tell the assignment")


def test_zip_is_extracted_safely(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("alice_01_fitting.ipynb", "{}")
        zf.writestr("../evil_01_fitting.ipynb", "{}")
        zf.writestr("__MACOSX/._alice_01_fitting.ipynb", "junk")
    found = discover(archive, ASSIGNMENTS, tmp_path / "scratch")
    assert [(s.student_id, s.assignment) for s in found] == [("alice", "01_fitting")]
    assert not (tmp_path / "evil_01_fitting.ipynb").exists()


def test_bad_paths_give_clear_errors(tmp_path):
    with pytest.raises(CollectError, match="does not exist"):
        discover(tmp_path / "nope", ASSIGNMENTS, tmp_path)
    (tmp_path / "grades.txt").write_text("x")
    with pytest.raises(CollectError, match="not a .zip"):
        discover(tmp_path / "grades.txt", ASSIGNMENTS, tmp_path)



def test_ids_are_never_mangled(tmp_path):
    """Names safe_id once turned into `Zo_O_Brien` (and merged) are kept as given."""
    for name in ["Zoë O'Brien_01_fitting.ipynb", "Zoé O'Brien_01_fitting.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert sorted(s.student_id for s in discover(tmp_path, ASSIGNMENTS, tmp_path / "s")) == \
        ["Zoé O'Brien", "Zoë O'Brien"]
