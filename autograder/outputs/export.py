"""Views of the results: grades.csv, grades_totals.csv, results.json, feedback for ungradable
files, the class report (report.py) and a text table."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Mapping
from pathlib import Path

from dlcourse.i18n import display_width, pad

from .report import assignment_cells, write_report
from .report_render import render_page
from ..results import Status, SubmissionResult

logger = logging.getLogger(__name__)

TOTALS_CSV = "grades_totals.csv"


def grade_columns(grade_cell_sets: list[dict[str, float]]) -> list[str]:
    """The union of graded cell ids, in assignment then notebook order."""
    columns: list[str] = []
    for cells in grade_cell_sets:
        columns += [c for c in cells if c not in columns]
    return columns


def _number(value: float) -> str:
    return f"{value:g}"


def open_csv(path: Path, bom: bool = False):
    """A CSV file for writing, UTF-8; `bom`: with a byte order mark, so Excel reads it as UTF-8."""
    return open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8")


def _yes(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "no")


def write_grades_csv(path: Path, results: list[SubmissionResult], columns: list[str], bom: bool = False) -> None:
    """student_id, assignment, one column per graded cell, score, max_score, status, then the
    late penalty, the final score (score - penalty), submitted_at and late."""
    with open_csv(path, bom) as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "assignment", *columns, "score", "max_score", "status",
                         "late_penalty", "final_score", "submitted_at", "late"])
        for r in results:
            points = {c.grade_id: "" if c.manual else _number(c.points) for c in r.cells}  # manual: not graded yet
            writer.writerow([r.student_id, r.assignment, *(points.get(c, "") for c in columns),
                             _number(r.score), _number(r.max_score), r.status, _number(r.late_penalty),
                             _number(r.final_score), r.submitted_at, _yes(r.late)])


def _decimal(value: float) -> str:
    """A number as an LMS reads it: no exponent, no trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def write_totals_csv(path: Path, results: list[SubmissionResult],
                     max_points: Mapping[str, float], bom: bool = False) -> None:
    """student_id, one column per assignment (its final score), total, max, submitted_at (the
    latest), late (any assignment late), on_roster: one row per student.

    A student with no record for an assignment gets 0 for it, and `max` still counts it. Files
    that name no assignment are left out (they are in the report's Needs attention list).
    """
    by_student: dict[str, dict[str, SubmissionResult]] = {}
    for r in results:
        if r.assignment in max_points:
            kept = by_student.setdefault(r.student_id, {}).get(r.assignment)
            if kept is None or r.final_score > kept.final_score:
                by_student[r.student_id][r.assignment] = r
    with open_csv(path, bom) as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", *max_points, "total", "max", "submitted_at", "late", "on_roster"])
        for student_id in sorted(by_student):
            records = by_student[student_id]
            scores = [records[a].final_score if a in records else 0.0 for a in max_points]
            rostered = {r.on_roster for r in records.values()} - {None}
            writer.writerow([student_id, *map(_decimal, scores), _decimal(sum(scores)),
                             _decimal(sum(max_points.values())),
                             max((r.submitted_at for r in records.values()), default=""),
                             _yes(any(r.late for r in records.values())),
                             _yes(rostered.pop() if rostered else None)])


def write_status_feedback(out: Path, result: SubmissionResult) -> None:
    """A short feedback page for a submission that produced none (invalid, missing, timeout...)."""
    folder = out / "feedback" / result.folder / (result.assignment or "unknown")
    if folder.exists() and any(folder.glob("*.html")):
        return
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{result.assignment or 'submission'}.html"
    page = render_page("status_feedback.html.j2", assignment=result.assignment, student_id=result.student_id,
                       score=_number(result.score), max_score=_number(result.max_score),
                       meaning=result.status.meaning, detail=result.detail)
    (folder / name).write_text(page, encoding="utf-8")


def write_outputs(out: Path, results: list[SubmissionResult], grade_cells: Mapping[str, dict[str, float]],
                  bom: bool = False) -> None:
    """Write grades.csv, grades_totals.csv, results.json, the missing feedback pages and the report.

    `grade_cells`: {assignment: {grade_id: points}}; an assignment found only in the results gets
    the cells of its records (report.assignment_cells).
    """
    cells = assignment_cells(results, grade_cells)
    out.mkdir(parents=True, exist_ok=True)
    columns = grade_columns(list(cells.values()))
    write_grades_csv(out / "grades.csv", results, columns, bom)
    write_totals_csv(out / TOTALS_CSV, results, {a: sum(c.values()) for a, c in cells.items()}, bom)
    (out / "results.json").write_text(json.dumps([r.to_dict() for r in results], indent=1, ensure_ascii=False),
                                      encoding="utf-8")
    for result in results:
        if result.status != Status.OK:
            write_status_feedback(out, result)
    try:
        write_report(out, results, cells)
    except Exception:  # the grades are written; a broken report must not lose them
        logger.exception("could not write the class report")


def format_table(results: list[SubmissionResult], symbols: bool = True, width: int = 120) -> str:
    """Students x graded cells as text: ✓ passed, ✗ failed, ? awaits a manual grade, · not run (the
    file could not be graded).

    Column headers are the grade ids without "test_"; if that is wider than `width`, they are
    numbered and a legend follows the table.
    """
    columns = grade_columns([{c.grade_id: c.max_points for c in r.cells} for r in results])
    names = [c.removeprefix("test_") for c in columns]
    mark = {True: "✓", False: "✗"} if symbols else {True: "+", False: "x"}
    def render(headers: list[str]) -> list[str]:
        rows = [["student", "assignment", *headers, "score", "status"]]
        for r in results:
            cells = {c.grade_id: "·" if not r.status.graded else "?" if c.manual else mark[c.passed]
                     for c in r.cells}
            rows.append([r.student_id, r.assignment or "?", *(cells.get(c, "·") for c in columns),
                         f"{_number(r.score)}/{_number(r.max_score)}", r.status])
        widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        return ["  ".join(pad(cell, w) for cell, w in zip(row, widths)).rstrip() for row in rows]

    lines = render(names)
    if max(map(display_width, lines)) > width:
        lines = render([str(i) for i in range(1, len(names) + 1)])
        lines += [""] + ["  ".join(f"{i}={name}" for i, name in enumerate(names, start=1))]
    return "\n".join(lines)
