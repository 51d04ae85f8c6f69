"""The results model: one record per graded cell and per submission; every export renders it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum

from .errors import UsageError
from .inputs.ids import folder_name


class Status(StrEnum):
    """Why a submission has the score it has (a str: records and CSV files hold its value)."""

    OK = "ok"
    TAMPERED = "tampered"
    INVALID = "invalid"
    MISSING = "missing"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    ERROR = "error"

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]

    @property
    def executed(self) -> bool:
        """The notebook ran (maybe not to its end): its cells' results mean something."""
        return self in (Status.OK, Status.TAMPERED, Status.TIMEOUT, Status.CRASHED)

    @property
    def graded(self) -> bool:
        """The submission got a score; not so for a missing, unreadable or ungradable one."""
        return self not in (Status.INVALID, Status.MISSING, Status.ERROR)


_MEANINGS = {
    Status.OK: "graded",
    Status.TAMPERED: "graded against the official cells; tampering was found (see flags)",
    Status.INVALID: "not a readable notebook",
    Status.MISSING: "no notebook found for this assignment",
    Status.TIMEOUT: "a time limit was hit",
    Status.CRASHED: "the kernel died",
    Status.ERROR: "the grader could not grade it",
}
#: each status's meaning, in report order
STATUSES = {status.value: status.meaning for status in Status}


#: optional text fields of a record (older records lack them)
TEXT_FIELDS = ("digest", "key", "folder", "origin", "name", "lms_id", "submitted_at")


class ResultError(UsageError):
    """A result record does not have the expected form."""


@dataclass
class CellResult:
    """One graded test cell of one submission."""

    grade_id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""  #: the check's message when the cell failed
    manual: bool = False  #: awaits a human's grade (a written answer): 0 points until then, not a 0


@dataclass
class SubmissionResult:
    """One student's notebook for one assignment."""

    student_id: str
    assignment: str
    status: Status
    detail: str = ""                 #: what went wrong, for a status other than ok
    cells: list[CellResult] = field(default_factory=list)
    seconds: float = 0.0             #: wall time spent grading it
    cell_seconds: float = 0.0        #: of which the kernel ran the cells and the grader the checks
    source: str = ""                 #: the submitted file, as found
    flags: list[str] = field(default_factory=list)  #: tampering found and repaired
    digest: str = ""                 #: sha256 of the submitted file
    phases: dict[str, float] = field(default_factory=dict)  #: seconds per phase (see timing.py)
    key: str = ""                    #: what the result depends on, for reusing it (reuse.py)
    folder: str = ""                 #: the folder of the student's files (ids.folder_name)
    origin: str = ""                 #: the file as found in the input, relative to it
    name: str = ""                   #: the student's name, from the LMS or the roster
    lms_id: str = ""                 #: Canvas user id or Moodle participant id
    submitted_at: str = ""           #: ISO 8601 in UTC; '' when unknown
    late: bool = False               #: after the due date, or marked late by the LMS
    late_penalty: float = 0.0        #: points taken off for lateness (late.py)
    on_roster: bool | None = None    #: None when no roster was given
    sources: dict[str, str] = field(default_factory=dict)  #: notebook name -> the submitted file graded as it

    def __post_init__(self):
        self.status = Status(self.status)
        if not self.folder and self.student_id:
            self.folder = folder_name(self.student_id)

    @property
    def score(self) -> float:
        return sum(cell.points for cell in self.cells)

    @property
    def final_score(self) -> float:
        """The score after the late penalty: what goes to the LMS."""
        return self.score - self.late_penalty

    @property
    def max_score(self) -> float:
        return sum(cell.max_points for cell in self.cells)

    def to_dict(self) -> dict:
        return {**asdict(self), "score": self.score, "max_score": self.max_score,
                "final_score": self.final_score}

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionResult:
        """Build a result from plain data, checking every field's type (data may come from a unit)."""
        if not isinstance(data, dict):
            raise ResultError(f"a result must be an object, got {type(data).__name__}")
        if "status" in data and str(data["status"]) not in STATUSES:
            raise ResultError(f"unknown status {str(data['status'])!r}")
        try:
            cells = [CellResult(grade_id=str(c["grade_id"]), points=float(c["points"]),
                                max_points=float(c["max_points"]), passed=bool(c["passed"]),
                                message=str(c.get("message", "")), manual=bool(c.get("manual", False)))
                     for c in data.get("cells", [])]
            result = cls(student_id=str(data["student_id"]), assignment=str(data["assignment"]),
                         status=str(data["status"]), detail=str(data.get("detail", "")),
                         cells=cells, seconds=float(data.get("seconds", 0.0)),
                         cell_seconds=float(data.get("cell_seconds", 0.0)),
                         source=str(data.get("source", "")),
                         flags=[str(f) for f in data.get("flags", [])],
                         **{name: str(data.get(name, "")) for name in TEXT_FIELDS},
                         late=bool(data.get("late", False)),
                         late_penalty=float(data.get("late_penalty", 0.0)),
                         on_roster=None if data.get("on_roster") is None else bool(data["on_roster"]),
                         phases={str(k): float(v) for k, v in (data.get("phases") or {}).items()},
                         sources={str(k): str(v) for k, v in (data.get("sources") or {}).items()})
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ResultError(f"malformed result: {error!r}") from None
        if not 0 <= result.late_penalty <= max(result.score, 0.0):
            raise ResultError(f"late penalty {result.late_penalty} outside [0, {result.score}]")
        for cell in result.cells:
            if not 0 <= cell.points <= cell.max_points:
                raise ResultError(f"{cell.grade_id}: points {cell.points} outside [0, {cell.max_points}]")
        return result


def zero_cells(grade_cells: dict[str, float], message: str) -> list[CellResult]:
    """Every graded cell at 0 points, e.g. for a submission that could not run."""
    return [CellResult(grade_id, 0.0, points, False, message) for grade_id, points in grade_cells.items()]


def cell_key(notebook: str, grade_id: str, several: bool) -> str:
    """A graded cell's id in the results: its grade_id, as `<notebook>/<grade_id>` when the
    assignment has several notebooks (nbgrader's grade ids are unique per notebook only, and
    never contain a `/`)."""
    return f"{notebook.removesuffix('.ipynb')}/{grade_id}" if several else grade_id


def split_key(key: str) -> tuple[str, str]:
    """(notebook stem or '', grade_id) of a `cell_key`."""
    notebook, _, grade_id = key.rpartition("/")
    return notebook, grade_id


@dataclass(frozen=True)
class UnitRequest:
    """What a grading unit needs to grade one submission (every notebook of its assignment).

    It crosses process boundaries as plain JSON (`to_dict`/`from_dict`): grade.py writes it, a
    worker, a Dask worker or a cold `python -m autograder.engine.unit` reads it. Paths are of the machine
    that runs the unit (cluster.py rewrites them there with `replace`).
    """

    template: str                    #: the assignment's template: a private course folder (templates.Template)
    assignment: str
    student_id: str                  #: the folder name the unit files the student under (ids.folder_name)
    work: str                        #: the unit's private course folder
    notebooks: tuple[tuple[str, str], ...]  #: (release name, submitted file or '' when missing)
    cells: dict[str, dict[str, float]]      #: notebook name -> {grade_id: points}, in notebook order
    limits: dict                     #: config.Limits as a dict
    sandbox: bool = True
    submission: str = ""             #: the submitted file as found (the first notebook)
    extra_files: tuple[tuple[str, str], ...] = ()  #: the student's other files: (relative path, file)
    uid: int | None = None           #: the sandbox uid of the slot that runs it
    run_all: bool = False            #: run the cells tagged skip-when-grading too

    @property
    def notebook_name(self) -> str:
        return self.notebooks[0][0]

    @property
    def several(self) -> bool:
        return len(self.cells) > 1

    @property
    def grade_cells(self) -> dict[str, float]:
        """Every graded cell of the assignment (ids as in the results: cell_key) -> points."""
        return {cell_key(name, g, self.several): p for name, cells in self.cells.items() for g, p in cells.items()}

    def with_changes(self, **changes) -> UnitRequest:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> UnitRequest:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        return cls(**{**data, "notebooks": tuple(tuple(pair) for pair in data["notebooks"]),
                      "extra_files": tuple(tuple(pair) for pair in data.get("extra_files", ()))})
