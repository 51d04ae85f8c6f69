"""What the grader takes in: one `Submission` per student and assignment, and every other file of
the input `Listed` with the reason it is not graded. Finding them is intake.py's job; nothing here
or there modifies a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import UsageError
from .ids import folder_name
from ..results import Status


class CollectError(UsageError):
    """The submissions path cannot be read, or holds nothing to grade."""


@dataclass(frozen=True)
class Submission:
    """A notebook to grade, or the reason there is none."""

    student_id: str
    assignment: str
    path: Path | None        #: the submitted notebook (None when missing)
    status: Status | None = None  #: why it cannot be graded (MISSING or INVALID); None: it can
    detail: str = ""         #: what is wrong with it, when it cannot be graded
    origin: str = ""         #: where it was found, relative to the input (inside the .zip)
    name: str = ""           #: the student's name, when the LMS gives one
    lms_id: str = ""         #: Canvas user id or Moodle participant id, from the file name
    late: bool = False       #: the LMS marked it late (its time may be unknown)
    submitted_at: datetime | None = None
    #: (the release's notebook name, the file graded as it); empty: `path` as the assignment's only one
    notebooks: tuple[tuple[str, Path], ...] = ()
    #: the student's other files beside the notebooks (nbgrader's layout): (relative path, file)
    extra_files: tuple[tuple[str, Path], ...] = ()

    @property
    def problem(self) -> str:
        """'' when it can be graded, else `status: detail` (for people: lists of files)."""
        return f"{self.status}: {self.detail}" if self.status else ""

    @property
    def folder(self) -> str:
        """The folder name of the student's files (ids.folder_name)."""
        return folder_name(self.student_id)


@dataclass(frozen=True)
class Listed:
    """A file of the input that is not graded, and why."""

    origin: str
    reason: str
    student_id: str = ""
    assignment: str = ""


def discover(path: Path, assignments: list[str], scratch: Path) -> list[Submission]:
    """All submissions under `path` (a folder or a .zip) for the known `assignments`."""
    from .intake import take_in

    return take_in(path, assignments, scratch).submissions
