"""A class's batch around the grading units: what to grade or reuse, who is missing, who was late.

grade.py runs the units; this module decides which (a `Plan`), then completes the results: each
record gets the student's identity, lateness and penalty, and every rostered student without a
submission gets a `missing` row. `files.csv` lists every input file with what became of it.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import UsageError
from ..inputs.collect import Submission
from ..outputs.export import open_csv
from ..inputs.ids import normalize_id
from ..inputs.intake import Intake, IntakeOptions
from ..inputs.late import LatePolicy, iso, seconds_late
from ..results import Status, SubmissionResult, zero_cells
from .reuse import assignment_fingerprint, load_current, record_path, submission_digest, unit_key
from ..inputs.roster import Student

logger = logging.getLogger(__name__)

FILES_CSV = "files.csv"
NOT_SELECTED = "not selected (--student/--assignment), and no up-to-date result from an earlier run"


@dataclass(frozen=True)
class ClassOptions:
    """How a class's batch is read, selected, dated and written; defaults change nothing."""

    intake: IntakeOptions = IntakeOptions()
    roster: Path | None = None            #: CSV with a student_id column (roster.py)
    due: datetime | None = None           #: aware; submissions after it are late
    late_policy: LatePolicy | None = None  #: None: the course's plugin (nbgrader_config.py), else none
    due_dates: tuple[tuple[str, datetime], ...] = ()  #: per assignment, when `due` is None (gradebook)
    regrade: bool = False                 #: grade the selected units even if a result is up to date
    students: tuple[str, ...] = ()        #: grade only these students (all when empty)
    assignments: tuple[str, ...] = ()     #: grade only these assignments (all when empty)
    bom: bool = False                     #: CSVs start with a UTF-8 BOM (for Excel)

    def selects(self, submission: Submission) -> bool:
        return (not self.students or submission.student_id in self.students) and \
            (not self.assignments or submission.assignment in self.assignments)


@dataclass
class Plan:
    """Which submissions to grade now, which saved results to reuse, which to leave out."""

    to_grade: list[tuple[Submission, str]] = field(default_factory=list)  #: with their keys
    reused: list[tuple[Submission, SubmissionResult]] = field(default_factory=list)
    left_out: list[Submission] = field(default_factory=list)


def check_selection(options: ClassOptions, intake: Intake, roster: dict[str, Student], known: list[str]) -> None:
    """Refuse an --assignment the course lacks, or a --student neither the input nor the roster has."""
    unknown = sorted(set(options.assignments) - set(known))
    if unknown:
        raise UsageError(f"--assignment {', '.join(unknown)}: not an assignment of this course ({', '.join(known)})")
    present = {s.student_id for s in intake.submissions} | set(roster)
    absent = sorted(set(options.students) - present)
    if absent:
        raise UsageError(f"--student {', '.join(absent)}: no submission and no roster row for this id "
                         f"(ids are compared exactly, e.g. {', '.join(sorted(present)[:3])})")


def plan(intake: Intake, out: Path, root: Path, options: ClassOptions, settings: dict) -> Plan:
    """Key every submission (reuse.py) and decide: reuse its record, grade it, or leave it out."""
    fingerprints = {a: assignment_fingerprint(root, a) if a else "" for a in {s.assignment for s in intake.submissions}}
    result = Plan()
    for submission in intake.submissions:
        key = unit_key(submission_digest(submission), fingerprints[submission.assignment], settings)
        selected = options.selects(submission)
        previous = None if selected and options.regrade else \
            load_current(record_path(out, submission.folder, submission.assignment), key)
        if previous is not None:
            result.reused.append((submission, previous))
        elif selected:
            result.to_grade.append((submission, key))
        else:
            result.left_out.append(submission)
    logger.info("%d unit(s) to grade, %d up to date from an earlier run, %d not selected",
                len(result.to_grade), len(result.reused), len(result.left_out))
    return result


def complete(results: list[tuple[Submission, SubmissionResult]], intake: Intake, roster: dict[str, Student],
             options: ClassOptions, cells_of) -> list[SubmissionResult]:
    """Identity, lateness and penalty on every result, plus a `missing` row per absent rostered student.

    `cells_of(assignment)`: grade_id -> points of an assignment's graded cells.
    """
    completed = []
    for submission, result in results:
        _identify(result, submission, roster, intake.layout)
        _date(result, submission, options)
        completed.append(result)
    scope = options.assignments or sorted({s.assignment for s in intake.submissions if s.assignment})
    handed_in = {(s.student_id, s.assignment) for s in intake.submissions}
    for student in roster.values():
        for assignment in scope:
            if (student.student_id, assignment) not in handed_in:
                detail = "nothing was submitted (the student is on the roster)"
                completed.append(SubmissionResult(student.student_id, assignment, Status.MISSING, detail,
                                                  zero_cells(cells_of(assignment), detail), name=student.name,
                                                  lms_id=student.lms_id, on_roster=True))
    strangers = sorted({r.student_id for r in completed if r.on_roster is False})
    if strangers:
        logger.warning("graded, but not on the roster (on_roster = no in grades_totals.csv): %s", ", ".join(strangers))
    completed.sort(key=lambda r: (r.assignment, r.student_id))
    return completed


def _identify(result: SubmissionResult, submission: Submission, roster: dict[str, Student], layout: str) -> None:
    """Who the result belongs to; an id from an LMS download says which LMS (`canvas:1001`)."""
    student = roster.get(submission.student_id)
    result.student_id, result.folder, result.origin = submission.student_id, submission.folder, submission.origin
    result.name = submission.name or (student.name if student else "")
    lms_id = f"{layout}:{submission.lms_id}" if submission.lms_id and layout in ("canvas", "moodle") \
        else submission.lms_id
    result.lms_id = lms_id or (student.lms_id if student else "")
    result.on_roster = (student is not None) if roster else None


def _date(result: SubmissionResult, submission: Submission, options: ClassOptions) -> None:
    """submitted_at, late and the penalty, as nbgrader's AssignLatePenalties would set them."""
    result.submitted_at = iso(submission.submitted_at)
    late_by = seconds_late(submission.submitted_at, submission.late,
                           options.due or dict(options.due_dates).get(result.assignment))
    result.late = late_by != 0
    result.late_penalty = 0.0
    if not result.late or not result.status.graded:
        return
    policy = options.late_policy or LatePolicy()
    penalty = policy.penalty(result.score, result.max_score, late_by, student_id=result.folder)
    if penalty is None:
        return
    result.late_penalty = penalty
    when = "marked late by the LMS (time unknown: counted as 1 day)" if late_by is None else \
        f"{late_by / 3600:.1f} h late"
    note = f"{when}: late penalty {penalty:g} ({policy})"
    result.detail = f"{result.detail}; {note}" if result.detail else note


def write_files_csv(out: Path, intake: Intake, plan_: Plan, results: list[SubmissionResult], bom: bool) -> None:
    """Every file of the input: graded (with its status), or not graded and why."""
    status = {(r.student_id, r.assignment): r for r in results}
    reused = {(s.student_id, s.assignment) for s, _ in plan_.reused}
    rows = []
    for s in intake.submissions:
        result = status.get((s.student_id, s.assignment))
        if result is None:
            rows.append([s.origin, s.student_id, s.assignment, "not graded", NOT_SELECTED])
        else:
            again = " (saved result reused: nothing it depends on changed)" if (s.student_id, s.assignment) in reused else ""
            rows.append([s.origin, s.student_id, s.assignment, "graded", f"status {result.status}{again}"])
    rows += [[i.origin, i.student_id, i.assignment, "not graded", i.reason] for i in intake.listed]
    with open_csv(out / FILES_CSV, bom) as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "student_id", "assignment", "outcome", "reason"])
        writer.writerows(sorted(rows))


def selected_ids(values: list[str] | None) -> tuple[str, ...]:
    return tuple(normalize_id(v) for v in values or ())


def listed_only(intake: Intake, out: Path, bom: bool) -> None:
    """files.csv for an input that had nothing to grade (the error names it)."""
    out.mkdir(parents=True, exist_ok=True)
    write_files_csv(out, intake, Plan(), [], bom)

