"""The class list (`--roster FILE`): who should submit, and how the LMS knows each student.

A CSV (UTF-8, with or without a BOM, as Excel saves it) with a `student_id` column, and optionally
`name` (or `first_name` and `last_name`), `email`, `lms_id` (the Canvas user id, or a Moodle
participant id), `section`, `sis_user_id`, `sis_login_id`. Other columns are ignored. Ids are
compared in Unicode NFC; an empty or repeated id is an error naming the rows.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import UsageError
from .ids import normalize_id

ROSTER_JSON = "roster.json"  #: the roster as read, kept in OUT for `export`
OPTIONAL = ("name", "first_name", "last_name", "email", "lms_id", "section", "sis_user_id", "sis_login_id")


class RosterError(UsageError):
    """The roster file cannot be used as it is; the message says what to fix."""


@dataclass(frozen=True)
class Student:
    """One row of the roster."""

    student_id: str
    name: str = ""                   #: the full name (or first_name and last_name joined)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_id: str = ""
    section: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""


def read_roster(path: Path) -> dict[str, Student]:
    """The roster's students by id, in file order; raise RosterError naming the problem and the fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"roster {path} not found: pass the path of a CSV file with a student_id column") from None
    except UnicodeDecodeError:
        raise RosterError(f"roster {path} is not UTF-8 text: save it as \"CSV UTF-8\" and try again") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
    if "student_id" not in columns:
        raise RosterError(f"roster {path} has no student_id column (its columns: "
                          f"{', '.join(reader.fieldnames or []) or 'none'}): add one")
    students: dict[str, Student] = {}
    rows: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        value = {key: normalize_id(row.get(columns[key]) or "") if key in columns else ""
                 for key in ("student_id", *OPTIONAL)}
        student_id = value["student_id"]
        if not student_id:
            raise RosterError(f"roster {path}, row {line}: empty student_id; fill it in or delete the row")
        if student_id in students:
            raise RosterError(f"roster {path}: student_id {student_id!r} appears twice (rows {rows[student_id]} "
                              f"and {line}); each student must have one row")
        name = value["name"] or " ".join(filter(None, (value["first_name"], value["last_name"])))
        students[student_id] = Student(student_id, name, value["first_name"], value["last_name"], value["email"],
                                       value["lms_id"], value["section"], value["sis_user_id"],
                                       value["sis_login_id"])
        rows[student_id] = line
    _refuse_shared_lms_ids(path, students)
    return students


def _refuse_shared_lms_ids(path: Path, students: dict[str, Student]) -> None:
    owners: dict[str, str] = {}
    for student in students.values():
        if student.lms_id and owners.setdefault(student.lms_id, student.student_id) != student.student_id:
            raise RosterError(f"roster {path}: lms_id {student.lms_id!r} is given to both "
                              f"{owners[student.lms_id]!r} and {student.student_id!r}")


def known_identities(students: dict[str, Student]) -> dict[str, str]:
    """LMS identities -> roster id: "lms:<id>" for every LMS id, "name:<name>" for unique names."""
    names: dict[str, list[str]] = {}
    for student in students.values():
        if student.name:
            names.setdefault(student.name, []).append(student.student_id)
    known = {f"name:{name}": ids[0] for name, ids in names.items() if len(ids) == 1}
    known.update({f"lms:{s.lms_id}": s.student_id for s in students.values() if s.lms_id})
    return known


def save_roster(out: Path, students: dict[str, Student]) -> None:
    """Keep the roster beside the results for `export` (none given: remove an earlier run's)."""
    if not students:
        (out / ROSTER_JSON).unlink(missing_ok=True)
        return
    (out / ROSTER_JSON).write_text(json.dumps([asdict(s) for s in students.values()], ensure_ascii=False,
                                              indent=1), encoding="utf-8")


def load_roster(out: Path) -> dict[str, Student]:
    """The roster a batch was graded with ({} when none was given)."""
    path = out / ROSTER_JSON
    if not path.is_file():
        return {}
    return {row["student_id"]: Student(**row) for row in json.loads(path.read_text(encoding="utf-8"))}
