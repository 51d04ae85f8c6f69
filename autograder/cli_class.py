"""Command-line pieces for a real class: intake, roster and late options of `grade` (cli.py adds them)."""

from __future__ import annotations

import argparse
from pathlib import Path

def add_class_options(grade: argparse.ArgumentParser) -> None:
    """Options of `grade` for LMS downloads, the roster, due dates and regrading."""
    from .intake import LAYOUTS

    grade.add_argument("--roster", metavar="CSV", default=None,
                       help="class list with a student_id column (optional: name, email, lms_id, section, "
                            "sis_user_id, sis_login_id); absent students get a 'missing' row")
    grade.add_argument("--due", metavar="DATETIME", default=None,
                       help="due date, ISO 8601 with a time zone (2025-03-01T23:59+01:00); later submissions are late")
    grade.add_argument("--late-penalty", metavar="POLICY", default="none",
                       help="none (default), zero, per-day:N (points) or per-day:N%% (of the maximum), per "
                            "started day late, applied as nbgrader's late-submission plugin does")
    grade.add_argument("--layout", choices=LAYOUTS, default="auto",
                       help="how the input is laid out (default: recognized from the file names)")
    grade.add_argument("--filename-regex", metavar="REGEX", default="",
                       help="named groups student_id (required), assignment_id, timestamp, first_name, "
                            "last_name, email, lms_id; matched at the start of each file's relative path")
    grade.add_argument("--assignment", action="append", metavar="ID",
                       help="grade only this assignment (repeatable); with one, files whose name names no "
                            "assignment are taken as this one (an LMS download for one assignment)")
    grade.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    grade.add_argument("--regrade", action="store_true",
                       help="grade the selected submissions again even if their saved result is up to date")
    grade.add_argument("--bom", action="store_true", help="start the CSVs with a UTF-8 BOM (for Excel)")


def class_options(args: argparse.Namespace):
    """The batch.ClassOptions the `grade` arguments ask for."""
    from .batch import ClassOptions, selected_ids
    from .intake import IntakeOptions
    from .late import LatePolicy, parse_due

    chosen = tuple(args.assignment or ())
    intake = IntakeOptions(layout=args.layout, filename_regex=args.filename_regex,
                           default_assignment=chosen[0] if len(chosen) == 1 else "")
    return ClassOptions(intake=intake, roster=Path(args.roster) if args.roster else None,
                        due=parse_due(args.due) if args.due else None,
                        late_policy=LatePolicy.parse(args.late_penalty), regrade=args.regrade,
                        students=selected_ids(args.student), assignments=chosen, bom=args.bom)
