"""Grades back into an LMS: `python -m autograder export GRADED --to canvas|moodle|gradescope --out DIR`.

Every file is a rendering of GRADED/results.json (and GRADED/roster.json when `grade --roster` was
used); nothing is graded again. Scores are final scores (after a late penalty). A student with no
submission (`missing`) or whose file the grader could not grade (`error`) gets no number: the LMS
keeps what it has (and applies its own missing-work policy).

- Canvas: the gradebook import CSV (Grades > Import): `Student, ID, SIS User ID, SIS Login ID,
  Section`, a `Points Possible` row, one column per assignment. Canvas matches a row by `ID` (its
  user id, from the file names of a Canvas download or the roster's lms_id), then by the SIS ids,
  then by name. A column named `Title (assignment id)` updates that Canvas assignment; a bare title
  matches an assignment of that name or creates one.
- Moodle: one grading worksheet per assignment (Assignment > Upload grading worksheet, with
  "Offline grading worksheet" feedback enabled): `Identifier` is `Participant <id>` from the
  download's folder names; the other columns as in Moodle's own worksheet. There is no
  "Feedback comments" column, so comments you wrote in Moodle are never replaced.
- Gradescope: one `results.json` per submission, `<assignment>/<student folder>/results.json`, in
  Gradescope's autograder format (`tests` with name, score, max_score, status, output, visibility;
  the final score in `score`).
"""

from __future__ import annotations

import csv
import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from ..errors import NotFound, UsageError
from .export import open_csv
from ..results import SubmissionResult
from ..inputs.roster import Student, load_roster

logger = logging.getLogger(__name__)

NO_NUMBER = {"missing", "error"}  #: statuses that leave the LMS's grade as it is


def lms_id_for(result: SubmissionResult, student: Student | None, lms: str) -> str:
    """The student's id in `lms`: from the download's names (prefixed `canvas:`/`moodle:`), else the roster's."""
    prefix, sep, value = result.lms_id.partition(":")
    if sep and prefix in ("canvas", "moodle"):
        if prefix == lms:
            return value
    elif result.lms_id:
        return result.lms_id
    return student.lms_id if student else ""


def load_results(graded: Path) -> list[SubmissionResult]:
    path = Path(graded) / "results.json"
    if not path.is_file():
        raise NotFound(f"{path} not found: pass the --out folder of a finished `grade` run")
    return [SubmissionResult.from_dict(r) for r in json.loads(path.read_text(encoding="utf-8"))]


def best_results(results: list[SubmissionResult]) -> dict[tuple[str, str], SubmissionResult]:
    """One result per (student, assignment): the highest final score, as grades_totals.csv counts."""
    best: dict[tuple[str, str], SubmissionResult] = {}
    for r in results:
        if r.assignment and (best.get((r.student_id, r.assignment)) is None or
                             r.final_score > best[(r.student_id, r.assignment)].final_score):
            best[(r.student_id, r.assignment)] = r
    return best


def _points(result: SubmissionResult | None, digits: int | None = None) -> str:
    if result is None or result.status in NO_NUMBER:
        return ""
    value = result.final_score
    return f"{value:.{digits}f}" if digits is not None else f"{value:.6f}".rstrip("0").rstrip(".")


def write_canvas(results: list[SubmissionResult], roster: dict[str, Student], path: Path, bom: bool = False,
                 columns: dict[str, str] | None = None) -> list[str]:
    """Canvas's gradebook import CSV; returns the ids of students Canvas may not match (no ID, no SIS id)."""
    best = best_results(results)
    assignments = sorted({a for _, a in best})
    maxima = {a: max(r.max_score for (_, ra), r in best.items() if ra == a) for a in assignments}
    unmatched = []
    with open_csv(path, bom) as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         *((columns or {}).get(a, a) for a in assignments)])
        writer.writerow(["Points Possible", "", "", "", "", *(_points_possible(maxima[a]) for a in assignments)])
        for student_id in sorted({s for s, _ in best}):
            records = [best.get((student_id, a)) for a in assignments]
            student = roster.get(student_id)
            some = next(r for r in records if r is not None)
            canvas_id = next((lms_id_for(r, student, "canvas") for r in records if r and lms_id_for(r, student, "canvas")), "")
            sis_user, sis_login = (student.sis_user_id, student.sis_login_id) if student else ("", "")
            if not (canvas_id or sis_user or sis_login):
                unmatched.append(student_id)
            writer.writerow([(student.name if student else "") or some.name or student_id, canvas_id, sis_user,
                             sis_login, student.section if student else "", *map(_points, records)])
    return unmatched


def _points_possible(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)"]


def write_moodle(results: list[SubmissionResult], roster: dict[str, Student], folder: Path, bom: bool = False,
                 now: datetime | None = None) -> tuple[list[Path], list[str]]:
    """One grading worksheet per assignment; returns the files and the students left out (no participant id)."""
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    written, left_out = [], []
    best = best_results(results)
    for assignment in sorted({a for _, a in best}):
        path = folder / f"moodle_{assignment}.csv"
        with open_csv(path, bom) as handle:
            writer = csv.writer(handle)
            writer.writerow(MOODLE_COLUMNS)
            for (student_id, a), r in sorted(best.items()):
                if a != assignment:
                    continue
                student = roster.get(student_id)
                participant = lms_id_for(r, student, "moodle")
                if not participant:
                    left_out.append(f"{student_id}/{a}")
                    continue
                writer.writerow([f"Participant {participant}", (student.name if student else "") or r.name or student_id,
                                 student.email if student else "",
                                 "No submission" if r.status == "missing" else "Submitted for grading",
                                 _points(r, 2), f"{r.max_score:.2f}", "Yes", r.submitted_at, stamp])
        written.append(path)
    return written, left_out


def gradescope_results(result: SubmissionResult) -> dict:
    """Gradescope's results.json for one submission."""
    tests = [{"name": cell.grade_id, "score": cell.points, "max_score": cell.max_points,
              "status": "passed" if cell.passed else "failed",
              "output": cell.message or ("passed" if cell.passed else "failed"), "visibility": "visible"}
             for cell in result.cells]
    lines = [f"status: {result.status}" + (f" ({result.detail})" if result.detail else "")]
    if result.late:
        lines.append(f"late: submitted {result.submitted_at or 'after the due date'}")
    if result.late_penalty:
        lines.append(f"late penalty: -{result.late_penalty:g} (score {result.score:g}, final {result.final_score:g})")
    return {"score": result.final_score, "execution_time": round(result.seconds), "output": "\n".join(lines),
            "visibility": "visible", "tests": tests}


def write_gradescope(results: list[SubmissionResult], folder: Path) -> list[Path]:
    written = []
    for r in results:
        if r.status == "missing" or not r.assignment:
            continue
        path = folder / r.assignment / r.folder / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope_results(r), indent=1, ensure_ascii=False), encoding="utf-8")
        written.append(path)
    return written


def export(graded: Path, out: Path, *, to: str, bom: bool = False, columns: dict[str, str] | None = None) -> list[Path]:
    """Write `to`'s import files for the batch graded into `graded`; return their paths."""
    results, roster = load_results(graded), load_roster(graded)
    unknown = sorted(set(columns or {}) - {r.assignment for r in results})
    if unknown:
        raise UsageError(f"--column for {', '.join(unknown)}: no such assignment in {graded}/results.json")
    out.mkdir(parents=True, exist_ok=True)
    if to == "canvas":
        path = out / "canvas_grades.csv"
        unmatched = write_canvas(results, roster, path, bom, columns)
        if unmatched:
            logger.warning("no Canvas ID or SIS id for %d student(s) (%s): Canvas will match them by name; "
                           "give a roster with an lms_id column to be sure", len(unmatched), ", ".join(unmatched[:5]))
        return [path]
    if to == "moodle":
        written, left_out = write_moodle(results, roster, out, bom)
        if left_out:
            logger.warning("left out of the worksheets, no Moodle participant id (grade a Moodle download, "
                           "or give a roster with lms_id): %s", ", ".join(left_out[:10]))
        return written
    if to == "gradescope":
        return write_gradescope(results, out)
    raise UsageError(f"--to {to!r}: use canvas, moodle or gradescope")
