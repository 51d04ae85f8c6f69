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
])
def test_malformed_records_are_rejected(changes):
    with pytest.raises(ResultError):
        SubmissionResult.from_dict(_record(**changes))


def test_not_a_dict():
    with pytest.raises(ResultError):
        SubmissionResult.from_dict(["ok"])


def test_table_marks_ungradable_files_as_not_run():
    from autograder.export import format_table
    ok = SubmissionResult.from_dict(_record())
    bad = SubmissionResult.from_dict(_record(student_id="erin", status="invalid"))
    table = format_table([ok, bad])
    assert "erin" in table and "·" in table.splitlines()[2] and "✗" in table.splitlines()[1]
