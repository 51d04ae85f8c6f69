"""Due dates, submission times and late penalties, as nbgrader's late-submission plugin applies them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from autograder.flows.batch import ClassOptions, complete
from autograder.inputs.collect import Submission
from autograder.inputs.intake import Intake
from autograder.inputs.late import LatePolicy, parse_due, parse_timestamp, seconds_late
from autograder.results import CellResult, SubmissionResult

DUE = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)


def test_due_needs_a_time_zone():
    assert parse_due("2025-03-01T13:00+01:00") == DUE == parse_due("2025-03-01T12:00Z")
    with pytest.raises(ValueError, match="no time zone: add one, e.g. 2025-03-01T12:00\\+01:00"):
        parse_due("2025-03-01T12:00")
    with pytest.raises(ValueError, match="not an ISO 8601"):
        parse_due("next friday")


def test_timestamps_read_as_nbgrader_does():
    assert parse_timestamp("2025-03-01 12:00:00.000000 UTC") == DUE
    assert parse_timestamp("2025-03-01 13:00:00 +0100") == DUE
    assert parse_timestamp("2025-03-01 12:00:00") == DUE  # no zone: UTC
    assert parse_timestamp("2025-03-01-12-00-00") == DUE  # zip_collect's example
    assert parse_timestamp("yesterday-ish") is None


def test_seconds_late():
    assert seconds_late(DUE - timedelta(seconds=1), False, DUE) == 0
    assert seconds_late(DUE + timedelta(minutes=30), False, DUE) == 1800
    assert seconds_late(None, True, DUE) is None      # LATE marker, time unknown
    assert seconds_late(None, False, DUE) == 0
    assert seconds_late(DUE + timedelta(days=9), False, None) == 0  # no due date: never late by time


@pytest.mark.parametrize("policy, score, late_by, penalty", [
    ("none", 10, 3600, None), ("zero", 10, 3600, 10), ("zero", 10, 0, None),
    ("per-day:2", 10, 1, 2), ("per-day:2", 10, 86400, 2), ("per-day:2", 10, 86401, 4),
    ("per-day:10%", 10, 3 * 86400, 3), ("per-day:2", 3, 5 * 86400, 3), ("per-day:2", 10, None, 2),
])
def test_penalties_stay_within_the_score(policy, score, late_by, penalty):
    assert LatePolicy.parse(policy).penalty(score, 20 if "%" not in policy else 10, late_by) == penalty


def test_bad_policy_says_what_to_write():
    with pytest.raises(ValueError, match="use none, zero, per-day:N"):
        LatePolicy.parse("10%")


def test_submissions_around_the_due_date():
    """On time, 30 min late, 2 days late, marked LATE by the LMS, unreadable (not penalized)."""
    at = {"on_time": DUE - timedelta(minutes=1), "half_hour": DUE + timedelta(minutes=30),
          "two_days": DUE + timedelta(days=2), "marked": None, "unreadable": DUE + timedelta(days=1)}
    submissions = [Submission(s, "hw", None, submitted_at=t, late=s == "marked") for s, t in at.items()]
    graded = [(s, SubmissionResult(s.student_id, "hw", "invalid" if s.student_id == "unreadable" else "ok",
                                   cells=[CellResult("test_a", 8.0, 10.0, False)])) for s in submissions]
    options = ClassOptions(due=DUE, late_policy=LatePolicy.parse("per-day:1"))
    results = complete(graded, Intake("nbgrader", submissions), {}, options, lambda a: {})
    assert [(r.student_id, r.late, r.late_penalty, r.final_score, r.submitted_at) for r in results] == [
        ("half_hour", True, 1.0, 7.0, "2025-03-01T12:30:00+00:00"),
        ("marked", True, 1.0, 7.0, ""),
        ("on_time", False, 0.0, 8.0, "2025-03-01T11:59:00+00:00"),
        ("two_days", True, 2.0, 6.0, "2025-03-03T12:00:00+00:00"),
        ("unreadable", True, 0.0, 8.0, "2025-03-02T12:00:00+00:00")]
    assert "marked late by the LMS (time unknown: counted as 1 day)" in results[1].detail
