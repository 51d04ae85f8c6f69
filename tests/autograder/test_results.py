"""Result records coming back from a grading unit are validated, never trusted."""

from __future__ import annotations

import pytest

from autograder.results import CellResult, ResultError, SubmissionResult


def _record(**changes):
    base = SubmissionResult("alice", "01_fitting", "ok",
                            cells=[CellResult("test_a", 1.0, 1.0, True), CellResult("test_b", 0.0, 2.0, False, "m")])
    return {**base.to_dict(), **changes}


def test_round_trip():
    result = SubmissionResult.from_dict(_record())
    assert (result.score, result.max_score) == (1.0, 3.0)


@pytest.mark.parametrize("changes", [
    {"status": "hacked"},
    {"cells": [{"grade_id": "test_a", "points": 5, "max_points": 1, "passed": True}]},
    {"cells": [{"grade_id": "test_a"}]},
    {"student_id": None} | {"assignment": None, "status": None},
    {"late_penalty": 5.0},  # more than the score
])
def test_malformed_records_are_rejected(changes):
    with pytest.raises(ResultError):
        SubmissionResult.from_dict(_record(**changes))


def test_class_fields_round_trip():
    """Identity, lateness and the penalty survive results.json; older records without them still load."""
    record = _record(student_id="Zoë/2", folder="", lms_id="canvas:1001", submitted_at="2025-03-01T12:30:00+00:00",
                     late=True, late_penalty=0.5, on_roster=False, name="Zoë")
    result = SubmissionResult.from_dict(record)
    assert (result.folder, result.final_score, result.late, result.on_roster) == ("Zoë%2F2", 0.5, True, False)
    old = {k: v for k, v in _record().items() if k not in ("folder", "late", "late_penalty", "on_roster", "key")}
    assert SubmissionResult.from_dict(old).on_roster is None


def test_not_a_dict():
    with pytest.raises(ResultError):
        SubmissionResult.from_dict(["ok"])


def test_table_marks_ungradable_files_as_not_run():
    from autograder.outputs.export import format_table
    ok = SubmissionResult.from_dict(_record())
    bad = SubmissionResult.from_dict(_record(student_id="erin", status="invalid"))
    table = format_table([ok, bad])
    assert "erin" in table and "·" in table.splitlines()[2] and "✗" in table.splitlines()[1]


def test_table_columns_align_for_chinese_student_ids():
    """A Chinese character takes two monospace columns: padding by characters would misalign them."""
    from dlcourse.i18n import display_width
    from autograder.outputs.export import format_table

    rows = [SubmissionResult.from_dict(_record(student_id=sid)) for sid in ("张伟", "alice", "李小龙同学")]
    lines = format_table(rows).splitlines()
    starts = {display_width(line[:line.index(marker)])
              for line, marker in zip(lines, ("assignment", *(r.assignment for r in rows)))}
    assert len(starts) == 1, lines
