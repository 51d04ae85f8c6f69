"""What a notebook's path says about it, in each layout the grader recognizes.

Each `claim_*` function takes the path of a notebook relative to the input folder and returns a
`Claim`, or the reason (one line) why the path does not follow that layout:

- nbgrader: `<student>/<assignment>/<any>.ipynb` (what `nbgrader collect` writes), at any depth;
- flat: `<student>_<assignment>[anything].ipynb` (or `-` instead of `_`), or `<student>.ipynb`;
- Canvas bulk download: `<name>[_LATE]_<user id>_<file id>_<original name>`; a resubmitted file
  gets `-1`, `-2` ... before its extension; an anonymous one has `anon_<id>` for the user id;
- Moodle "Download all submissions": `<Full Name>_<participant id>_assignsubmission_file_/`
  folders holding the original files, or flat `<Full Name>_<id>_assignsubmission_file_<name>`;
- `--filename-regex`: named groups `student_id` (required), `assignment_id`, `timestamp`,
  `first_name`, `last_name`, `email`, `lms_id`, matched at the start of the relative path, as
  nbgrader's zip_collect does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from ..errors import UsageError
from .ids import id_from_folder, normalize_id

CANVAS = re.compile(r"^(?:(?P<name>.*?)_)??(?P<late>LATE_)?(?P<user>\d+|anon_[0-9A-Za-z]+)_"
                    r"(?P<file>\d+)_(?P<original>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_$")
MOODLE_FILE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_file_(?P<original>.+)$")
RESUBMISSION = re.compile(r"(?:-(\d+)| \((\d+)\))$")  #: "x-2", "x (2)": the copy number
REGEX_GROUPS = {"student_id", "assignment_id", "timestamp", "first_name", "last_name", "email", "lms_id"}


@dataclass(frozen=True)
class Claim:
    """Who a notebook belongs to and for which assignment, as its path tells."""

    student_id: str
    assignment: str                 #: "" when the path names no assignment of the course
    name: str = ""                  #: the student's name, where the LMS gives one
    lms_id: str = ""                #: Canvas user id or Moodle participant id
    late: bool = False              #: the LMS marked it late
    submitted_at: datetime | None = None
    rank: tuple = ()                #: among one student's files for one assignment, the highest is graded


class Layout:
    """The parsing context: the course's assignments and who the roster knows."""

    def __init__(self, assignments: list[str], known: dict[str, str] | None = None):
        self.assignments = assignments
        self.known = known or {}  #: "lms:<id>" or "name:<full name>" -> the roster's student id
        alternatives = "|".join(map(re.escape, sorted(assignments, key=len, reverse=True)))
        self.named = re.compile(r"(?<![0-9A-Za-z])(%s)(?![0-9A-Za-z])" % alternatives)
        self.flat_name = re.compile(r"^(?P<student>.+?)[_-](?P<assignment>%s)(?![0-9A-Za-z])(?P<rest>.*)$"
                                % alternatives)

    def assignment_in(self, text: str) -> str:
        """The one assignment id that `text` names ('' if none, or several)."""
        found = set(self.named.findall(text))
        return found.pop() if len(found) == 1 else ""

    def student(self, name: str, lms_id: str) -> str:
        """The roster's id for an LMS identity, else `<name>_<lms id>` (unique: the LMS id is)."""
        known = self.known.get(f"lms:{lms_id}") or self.known.get(f"name:{normalize_id(name)}")
        return known or normalize_id(f"{name}_{lms_id}" if name else lms_id)


def copy_number(stem: str) -> int:
    """0 for `hw`, 2 for `hw-2` or `hw (2)`: LMSs number a resubmitted file this way."""
    match = RESUBMISSION.search(stem)
    return int(match.group(1) or match.group(2)) if match else 0


def claim_nbgrader(path: PurePosixPath, layout: Layout) -> Claim | str:
    if len(path.parts) < 3 or path.parent.name not in layout.assignments:
        return "not in a <student>/<assignment>/ folder"
    assignment = path.parent.name
    preferred = path.stem == assignment  # a folder with several notebooks: the assignment's own first
    return Claim(id_from_folder(path.parent.parent.name), assignment,
                 rank=(preferred, copy_number(path.stem), path.name))


def claim_flat(path: PurePosixPath, layout: Layout) -> Claim:
    """`<student>_<assignment>...`; a name without an assignment is `<student>.ipynb` for no assignment
    (graded as `--assignment` when one is given, else an `invalid` row naming the file)."""
    match = layout.flat_name.match(path.stem)
    if not match:
        return Claim(normalize_id(path.stem), "", rank=(copy_number(path.stem), path.name))
    return Claim(normalize_id(match["student"]), match["assignment"],
                 rank=(copy_number(match["rest"]), path.name))


def claim_canvas(path: PurePosixPath, layout: Layout) -> Claim | str:
    match = CANVAS.match(path.name)
    if not match:
        return "not a Canvas download name (<name>[_LATE]_<user id>_<file id>_<file name>)"
    original = PurePosixPath(match["original"])
    student = match["user"] if match["user"].startswith("anon_") else layout.student(match["name"] or "", match["user"])
    return Claim(student, layout.assignment_in(original.stem), name=match["name"] or "",
                 lms_id="" if match["user"].startswith("anon_") else match["user"],
                 late=bool(match["late"]), rank=(int(match["file"]), copy_number(original.stem)))


def claim_moodle(path: PurePosixPath, layout: Layout) -> Claim | str:
    folder = MOODLE_FOLDER.match(path.parent.name) if len(path.parts) >= 2 else None
    if folder and folder["plugin"] != "file":
        return f"Moodle's {folder['plugin']} submission, not a file submission"
    match = folder or MOODLE_FILE.match(path.name)
    if not match:
        return "not a Moodle download name (<Full Name>_<id>_assignsubmission_file_)"
    original = path.stem if folder else PurePosixPath(match["original"]).stem
    return Claim(layout.student(match["name"], match["id"]), layout.assignment_in(original),
                 name=match["name"], lms_id=match["id"], rank=(copy_number(original), path.name))


def check_regex(pattern: str) -> re.Pattern:
    """Compile a --filename-regex, or raise ValueError saying what to fix."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise UsageError(f"--filename-regex {pattern!r} is not a regular expression: {error}") from None
    if "student_id" not in compiled.groupindex:
        raise UsageError(f"--filename-regex {pattern!r} needs a (?P<student_id>...) group")
    unknown = set(compiled.groupindex) - REGEX_GROUPS
    if unknown:
        raise UsageError(f"--filename-regex: unknown group(s) {sorted(unknown)}; use {sorted(REGEX_GROUPS)}")
    return compiled


def claim_regex(path: PurePosixPath, layout: Layout, pattern: re.Pattern) -> Claim | str:
    from .late import parse_timestamp

    match = pattern.match(str(path))
    if not match or not match["student_id"]:
        return f"does not match --filename-regex {pattern.pattern!r}"
    groups = {k: v or "" for k, v in match.groupdict().items()}
    assignment = groups.get("assignment_id", "")
    if assignment and assignment not in layout.assignments:
        return f"names assignment {assignment!r}, not one of {layout.assignments}"
    stamp = groups.get("timestamp", "")
    submitted = parse_timestamp(stamp) if stamp else None
    if stamp and submitted is None:
        return f"the timestamp {stamp!r} is not a date and time"
    name = " ".join(filter(None, (groups.get("first_name"), groups.get("last_name"))))
    return Claim(normalize_id(groups["student_id"]), assignment or layout.assignment_in(path.name),
                 name=name, lms_id=groups.get("lms_id", ""), submitted_at=submitted,
                 rank=(submitted.timestamp() if submitted else 0.0, copy_number(path.stem), path.name))


CLAIMS = {"nbgrader": claim_nbgrader, "flat": claim_flat, "canvas": claim_canvas, "moodle": claim_moodle}


def detect(notebooks: list[PurePosixPath], layout: Layout) -> str:
    """The layout of an input, from its notebooks' paths (see the module docstring)."""
    if any(isinstance(claim_nbgrader(p, layout), Claim) for p in notebooks):
        return "nbgrader"
    if any("_assignsubmission_" in str(p) for p in notebooks):
        return "moodle"
    if notebooks and all(isinstance(claim_canvas(p, layout), Claim) for p in notebooks):
        return "canvas"
    return "flat"
