"""Merge a batch's results into the course's nbgrader gradebook, as `nbgrader autograde` would.

The grader scores each notebook in a private course folder with a gradebook of its own; this
module records the results in the course's gradebook (`<root>/gradebook.db` by default) and lays
out the files where the formgrader, `nbgrader export` and `nbgrader generate_feedback` look:

    <root>/submitted/<student>/<assignment>/<nb>.ipynb    a copy of the file as submitted
    <root>/autograded/<student>/<assignment>/<nb>.ipynb   the executed notebook, from OUT
    <root>/feedback/<student>/<assignment>/<nb>.html      the feedback page, from OUT

each folder with the submission's `timestamp.txt`. A student's folder and gradebook id are the
folder name of their id (ids.py); the roster's names, email and LMS id go into the gradebook's
student record. A submission with manual grades or comments is left alone unless `force` is given.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..cells import solution_cells
from ..errors import GraderError
from ..config import course_config
from .gradebook_files import lay_out_files, read_executed, submission_time
from ..results import SubmissionResult, split_key

#: statuses that leave nothing to record
NOT_MERGED = {"missing": "no notebook submitted",
              "error": "the grader could not grade it (see results.json); regrade it first"}
MANUAL_KEPT = "has manual grades or comments (force=True replaces them)"


class GradebookError(GraderError, RuntimeError):
    """The gradebook cannot take these results; nothing was changed."""


@dataclass
class MergeReport:
    """What a merge did, per "student/assignment"."""

    db_url: str
    merged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  #: (student/assignment, why)
    replaced_manual: list[str] = field(default_factory=list)      #: merged over manual grades (force)

    def summary(self) -> str:
        """One log line: how many were merged, and who was skipped why."""
        line = f"gradebook {self.db_url}: merged {len(self.merged)}"
        if self.replaced_manual:
            line += f" (manual grades replaced for {_names(self.replaced_manual)})"
        if self.skipped:
            by_why: dict[str, list[str]] = defaultdict(list)
            for key, why in self.skipped:
                by_why[why].append(key)
            line += f"; skipped {len(self.skipped)}: " + "; ".join(
                f"{_names(keys)}: {why}" for why, keys in by_why.items())
        return line


def _names(keys: list[str], shown: int = 5) -> str:
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return ", ".join(keys[:shown]) + more


def merge_results(root: Path, out: Path, results: list[SubmissionResult], db_url: str | None = None,
                  force: bool = False, roster: dict | None = None, due: datetime | None = None) -> MergeReport:
    """Record `results` (graded into `out`) in the course's gradebook and lay out their files.

    Each gradable submission replaces the student's earlier one for that assignment (its
    extension and flags are kept), unless that one has manual grades or comments and `force` is
    False. `roster` (roster.Student by id) fills in the students' names, email and LMS id; `due`
    (aware) becomes the assignments' due date, so the formgrader shows who was late. Raises
    GradebookError, before changing anything, when the gradebook is missing or does not match the
    assignments' graded cells.
    """
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    root, out = Path(root).resolve(), Path(out)
    coursedir = CourseDirectory(config=course_config(root))
    db_url = db_url or coursedir.db_url
    _require_gradebook_file(db_url)
    report = MergeReport(db_url)
    mergeable = []
    for result in results:
        why = _why_not_merged(result)
        if why:
            report.skipped.append((f"{result.student_id}/{result.assignment or '?'}", why))
        else:
            mergeable.append(result)
    with Gradebook(db_url, coursedir.course_id) as gb:
        notebooks = {a: _check_assignment(gb, root, a, [r for r in mergeable if r.assignment == a])
                     for a in sorted({r.assignment for r in mergeable})}
        _record_class(gb, results, mergeable, list(notebooks), roster or {}, due)
        for result in mergeable:
            key = f"{result.student_id}/{result.assignment}"
            if _has_manual_entries(gb, result):
                if not force:
                    report.skipped.append((key, MANUAL_KEPT))
                    continue
                report.replaced_manual.append(key)
            timestamp = submission_time(result)
            names = notebooks[result.assignment]
            lay_out_files(coursedir, out, result, names, timestamp)
            _record(gb, result, names, timestamp, {n: read_executed(out, result, n) for n in names})
            report.merged.append(key)
    return report


def _require_gradebook_file(db_url: str) -> None:
    """Refuse to create an empty gradebook: only `release` knows the assignments' cells."""
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and not Path(db_url[len(prefix):]).is_file():
        raise GradebookError(f"no gradebook at {db_url[len(prefix):]}: run `python -m autograder "
                             "release` in the course folder first (it creates gradebook.db)")


def _why_not_merged(result: SubmissionResult) -> str:
    if result.status in NOT_MERGED:
        return NOT_MERGED[result.status]
    if not result.assignment:
        return "the assignment is unknown (file name)"
    if not Path(result.source).is_file():
        return ("the submitted file is gone (a .zip is unpacked only while grading runs); "
                "merge from a folder of submissions")
    return ""


def _check_assignment(gb, root: Path, assignment: str, results: list[SubmissionResult]) -> list[str]:
    """The graded notebooks' names (those of source/, as the grader grades them), once the
    gradebook is known to hold every result's cells."""
    from nbgrader.api import MissingEntry

    rerelease = f"run `python -m autograder release {assignment}` (or nbgrader generate_assignment), then merge again"
    try:
        db_assignment = gb.find_assignment(assignment)
    except MissingEntry:
        raise GradebookError(f"the gradebook has no assignment {assignment!r}: {rerelease}") from None
    names = sorted(p.stem for p in (root / "source" / assignment).glob("*.ipynb"))
    known = {nb.name: nb for nb in db_assignment.notebooks}
    absent = [name for name in names if name not in known]
    if absent or not names:
        raise GradebookError(f"the gradebook's {assignment} has no notebook "
                             f"{(absent or ['?'])[0]!r}: {rerelease}")
    several = len(names) > 1
    points = {(name if several else "", cell.name): float(cell.max_score)
              for name in names for cell in known[name].grade_cells}
    for result in results:
        for cell in result.cells:
            if points.get(split_key(cell.grade_id)) != cell.max_points:
                raise GradebookError(
                    f"the gradebook's {assignment} is out of date: it has no graded cell "
                    f"{cell.grade_id!r} worth {cell.max_points:g} point(s): {rerelease}")
    return names


def _record_class(gb, results: list[SubmissionResult], mergeable: list[SubmissionResult],
                  assignments: list[str], roster: dict, due: datetime | None) -> None:
    """The due date of each assignment, and each student (a missing one too: nbgrader export lists a 0)."""
    if due is not None:
        for assignment in assignments:
            gb.update_or_create_assignment(assignment, duedate=due.astimezone(timezone.utc).replace(tzinfo=None))
    merging = {id(r) for r in mergeable}
    for result in results:
        if id(result) in merging or result.status == "missing":
            _update_student(gb, result, roster.get(result.student_id))


def _update_student(gb, result: SubmissionResult, student) -> None:
    """Create the student (id: their folder name) or fill in what the roster or the LMS tells."""
    first, last = (student.first_name, student.last_name) if student else ("", "")
    if not (first or last) and (student.name if student else result.name):
        *given, family = (student.name if student else result.name).split(" ")
        first, last = " ".join(given), family
    known = {"first_name": first, "last_name": last, "email": student.email if student else "",
             "lms_user_id": result.lms_id.partition(":")[2] or result.lms_id or (student.lms_id if student else "")}
    gb.update_or_create_student(result.folder, **{k: v for k, v in known.items() if v})


def _has_manual_entries(gb, result: SubmissionResult) -> bool:
    """Whether the earlier submission has a manual score, extra credit or a manual comment."""
    from nbgrader.api import MissingEntry

    try:
        submission = gb.find_submission(result.assignment, result.folder)
    except MissingEntry:
        return False
    return any(grade.manual_score is not None or grade.extra_credit is not None
               for nb in submission.notebooks for grade in nb.grades) or \
        any(comment.manual_comment for nb in submission.notebooks for comment in nb.comments)


def _record(gb, result: SubmissionResult, names: list[str], timestamp: str | None, executed: dict) -> None:
    """Replace the student's submission with this one: what nbgrader's autograde and its
    SaveAutoGrades and AssignLatePenalties steps write. A cell awaiting a manual grade keeps no
    score (needs manual grade); a notebook not submitted scores 0, as in nbgrader."""
    from nbgrader.api import MissingEntry, TaskCell
    from sqlalchemy.exc import SAWarning

    student, assignment = result.folder, result.assignment
    extension, flagged = None, {}
    try:
        earlier = gb.find_submission(assignment, student)
        extension, flagged = earlier.extension, {nb.name: nb.flagged for nb in earlier.notebooks}
        gb.remove_submission(assignment, student)
    except MissingEntry:
        pass
    with warnings.catch_warnings():  # nbgrader's add_submission trips SQLAlchemy's autoflush notes
        warnings.simplefilter("ignore", SAWarning)
        submission = gb.add_submission(assignment, student, timestamp=timestamp, extension=extension)
    several = len(names) > 1
    cells: dict[str, dict] = defaultdict(dict)
    for cell in result.cells:
        notebook, grade_id = split_key(cell.grade_id)
        cells[notebook if several else names[0]][grade_id] = cell
    for nb in submission.notebooks:
        nb.flagged = flagged.get(nb.name, False)
        # what AssignLatePenalties stores: None unless a late notebook got a penalty (late.py)
        nb.late_submission_penalty = result.late_penalty if nb.name == names[0] and result.late_penalty else None
        for grade in nb.grades:
            cell = cells[nb.name].get(grade.name)
            grade.auto_score = None if cell is None or cell.manual else cell.points
            grade.needs_manual_grade = grade.auto_score is None
        answers = solution_cells(executed.get(nb.name) or {"cells": []})
        for comment in nb.comments:
            answer = answers.get(comment.name)
            unchanged = answer is not None and not isinstance(comment.cell, TaskCell) and \
                _checksum(answer) == gb.find_source_cell(comment.name, nb.name, assignment).checksum
            comment.auto_comment = "No response." if unchanged else None
    gb.db.commit()


def _checksum(cell) -> str:
    from nbgrader.utils import compute_checksum

    return compute_checksum(cell)
