"""Command-line pieces for a real class: intake, roster and late options of `grade`, and the
`export` and `gradescope` commands (cli.py registers them)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import UsageError

EXPORT_TARGETS = ("canvas", "moodle", "gradescope")


def add_class_options(grade: argparse.ArgumentParser) -> None:
    """Options of `grade` for LMS downloads, the roster, due dates and regrading."""
    from .inputs.intake import LAYOUTS

    grade.add_argument("--roster", metavar="CSV", default=None,
                       help="class list with a student_id column (optional: name, email, lms_id, section, "
                            "sis_user_id, sis_login_id); absent students get a 'missing' row")
    grade.add_argument("--due", metavar="DATETIME", default=None,
                       help="due date, ISO 8601 with a time zone (2025-03-01T23:59+01:00); later submissions "
                            "are late (default: each assignment's due date in the course's gradebook)")
    grade.add_argument("--late-penalty", metavar="POLICY", default=None,
                       help="none, zero, per-day:N (points) or per-day:N%% (of the maximum), per started day "
                            "late, applied as nbgrader's late-submission plugin does (default: the plugin "
                            "the course's nbgrader_config.py sets, else none)")
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
    from .flows.batch import ClassOptions, selected_ids
    from .inputs.intake import IntakeOptions
    from .inputs.late import LatePolicy, parse_due

    chosen = tuple(args.assignment or ())
    intake = IntakeOptions(layout=args.layout, filename_regex=args.filename_regex,
                           default_assignment=chosen[0] if len(chosen) == 1 else "")
    return ClassOptions(intake=intake, roster=Path(args.roster) if args.roster else None,
                        due=parse_due(args.due) if args.due else None,
                        late_policy=LatePolicy.parse(args.late_penalty) if args.late_penalty else None, regrade=args.regrade,
                        students=selected_ids(args.student), assignments=chosen, bom=args.bom)


def _export(args) -> int:
    from .outputs.lms import export

    written = export(Path(args.graded), Path(args.out), to=args.to, bom=args.bom,
                     columns=dict(_pair(c) for c in args.column or ()))
    print(f"wrote {len(written)} file(s) for {args.to} into {args.out}")
    return 0


def _pair(text: str) -> tuple[str, str]:
    assignment, sep, header = text.partition("=")
    if not sep or not assignment or not header:
        raise UsageError(f"--column {text!r}: write ASSIGNMENT=HEADER, e.g. 01_fitting='Homework 1 (4567)'")
    return assignment, header


def _gradescope(args) -> int:
    from .config import find_course_root
    from .flows.gradescope import build_autograder, run_autograder

    if args.action == "build":
        root = find_course_root(args.root)
        for path in build_autograder(root=root, out=Path(args.out), assignments=args.assignments or None):
            print(f"wrote {path}")
        return 0
    return run_autograder(Path(args.dir), assignment=args.assignment)


def add_commands(add_command) -> None:
    """`export` and `gradescope`; `add_command` is the parser's sub-command factory (see cli.py)."""
    export = add_command("export", help="turn a graded OUT folder into an LMS's import files")
    export.add_argument("graded", metavar="GRADED", help="the --out folder of a finished `grade` run")
    export.add_argument("--to", choices=EXPORT_TARGETS, required=True, help="the LMS to import into")
    export.add_argument("--out", required=True, help="folder for the import files")
    export.add_argument("--column", action="append", metavar="ASSIGNMENT=HEADER",
                        help="Canvas column header of an assignment, e.g. 01_fitting='Homework 1 (4567)' "
                             "(default: the assignment id)")
    export.add_argument("--bom", action="store_true", help="start the CSVs with a UTF-8 BOM (for Excel)")
    export.set_defaults(run=_export)

    gradescope = add_command("gradescope", help="build or run a Gradescope autograder")
    gradescope.add_argument("action", choices=("build", "run"),
                            help="build: one autograder zip per assignment; run: what run_autograder calls")
    gradescope.add_argument("assignments", nargs="*", help="build: assignment ids (default: all)")
    gradescope.add_argument("--out", default="gradescope", help="build: folder for the zips (default gradescope/)")
    gradescope.add_argument("--root", default=".", help="build: the course folder (default: found from here)")
    gradescope.add_argument("--dir", default="/autograder", help="run: Gradescope's folder (default /autograder)")
    gradescope.add_argument("--assignment", default=None, help="run: the assignment this autograder grades")
    gradescope.set_defaults(run=_gradescope)
