"""The course's nbgrader configuration, shared by nbgrader_config.py and the autograder."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from traitlets import Int
from traitlets.config import Config, Configurable

from .errors import NotFound


class Limits(Configurable):
    """Per-submission limits. Each is a trait: set it in the course's nbgrader_config.py
    (`c.Limits.memory_mb = 2048`) or with the grade command's flag, generated from the trait
    (its `flag` tag and help; cli.add_limit_flags). Plain data across processes: `to_dict()`,
    `Limits(**data)`."""

    cell_timeout_s = Int(60, help="wall seconds per cell; the cell is interrupted, later cells run").tag(
        config=True, flag="--cell-timeout")
    notebook_timeout_s = Int(600, help="wall seconds per notebook; the unit is killed").tag(
        config=True, flag="--notebook-timeout")
    cpu_s = Int(600, help="CPU seconds per notebook (RLIMIT_CPU)").tag(config=True, flag="--cpu")
    memory_mb = Int(4096, help="MB of address space per kernel process (RLIMIT_AS)").tag(config=True, flag="--memory")
    processes = Int(256, help="processes and threads of student code (RLIMIT_NPROC)").tag(
        config=True, flag="--processes")
    file_size_mb = Int(64, help="MB per file written (RLIMIT_FSIZE)").tag(config=True, flag="--file-size")
    output_kb = Int(256, help="KB of output kept per cell; the rest is dropped with a note").tag(
        config=True, flag="--output")

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in LIMIT_NAMES}

    def with_changes(self, **changes: int) -> Limits:
        return Limits(**{**self.to_dict(), **changes})

    def __eq__(self, other) -> bool:
        return isinstance(other, Limits) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.to_dict().items())))

    def __repr__(self) -> str:
        return f"Limits({', '.join(f'{k}={v}' for k, v in self.to_dict().items())})"


#: the limits in the order the command line and the records show them
LIMIT_NAMES = ("cell_timeout_s", "notebook_timeout_s", "cpu_s", "memory_mb", "processes", "file_size_mb", "output_kb")


COURSE_ID = "dlcourse"
CONFIG_FILE = "nbgrader_config.py"
CELL_TIMEOUT_S = Limits.cell_timeout_s.default_value  #: one place states it: Limits


def apply_course_config(c: Config, root: Path | str | None = None,
                        cell_timeout: int = CELL_TIMEOUT_S, private: bool = False) -> Config:
    """Set this course's options and the grader's additions on an nbgrader `Config` (in place)."""
    c.CourseDirectory.course_id = COURSE_ID
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    return apply_grader_additions(c, root, cell_timeout, private)


def apply_grader_additions(c: Config, root: Path | str | None = None, cell_timeout: int | None = CELL_TIMEOUT_S,
                           private: bool = False) -> Config:
    """The grader's steps, layered over any course's options: Execute replaced by GuardedExecute,
    feedback without hidden tests, offline math; `private`: a course folder of the grader's own."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests,
                                        GetGrades, IgnorePattern, LimitOutput, SaveAutoGrades)

    from .engine.feedback import FeedbackExporter, ScrubTestTracebacks
    from .engine.kernel import GuardedExecute

    if root is not None:  # else nbgrader's default: the current directory
        c.CourseDirectory.root = str(root)
    if private:  # a course folder of the autograder's own: quiet, its own gradebook and exchange
        c.Application.log_level = c.NbGraderAPI.log_level = logging.WARNING
        (Path(root) / "exchange").mkdir(parents=True, exist_ok=True)
        c.Exchange.root = str(Path(root) / "exchange")
        c.CourseDirectory.db_url = f"sqlite:///{Path(root) / 'gradebook.db'}"
        for step in ("source", "release", "submitted", "autograded", "feedback"):
            c.CourseDirectory[f"{step}_directory"] = step
        c.CourseDirectory.student_id_exclude = ""
        # lateness is the batch's to decide (batch.py, with the course's plugin): none in a unit
        c.AssignLatePenalties.plugin_class = "nbgrader.plugins.LateSubmissionPlugin"
        c.LateSubmissionPlugin.penalty_method = "none"
    if cell_timeout is not None:
        c.Execute.timeout = c.GuardedExecute.timeout = cell_timeout
    # nbgrader's steps, with Execute replaced: output cap, seeding, points kept when the kernel dies
    c.Autograde.autograde_preprocessors = [GuardedExecute, IgnorePattern, ClearMetadataPreprocessor,
                                           LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                           CheckCellMetadata]
    # the notebook validated once after nbgrader's steps, not after each (nbconvert's option)
    c.Exporter.optimistic_validation = True
    # feedback never shows hidden tests: not their source, not their traceback lines
    c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, ScrubTestTracebacks,
                                        CSSHTMLHeaderPreprocessor]
    # formulas as MathML: the page needs no MathJax from a CDN; templates compiled once per process
    c.GenerateFeedback.exporter_class = FeedbackExporter
    return c


def load_course_config(folder: Path | str) -> Config:
    """The course's own `nbgrader_config.py` in `folder`, as nbgrader loads it (empty when absent)."""
    import sys

    from traitlets.config.loader import PyFileConfigLoader

    folder = Path(folder).resolve()
    if not (folder / CONFIG_FILE).is_file():
        return Config()
    sys.path.insert(0, str(folder))  # as for nbgrader run in the course: its own modules import
    try:
        return PyFileConfigLoader(CONFIG_FILE, str(folder)).load_config()
    finally:
        sys.path.remove(str(folder))


def course_limits(root: Path | str, **given: int):
    """The grading limits (Limits): those `given` (the command line's flags), then the
    course's `c.Limits` in nbgrader_config.py, then the defaults; with no cell timeout given or
    configured, the course's `Execute.timeout` (course_cell_timeout)."""
    config = load_course_config(root)
    limits = Limits(config=config, **given)
    if "cell_timeout_s" not in given and "cell_timeout_s" not in config.get("Limits", {}):
        limits.cell_timeout_s = course_cell_timeout(root, limits.notebook_timeout_s)
    return limits


def course_cell_timeout(folder: Path | str, notebook_timeout: int) -> int:
    """Seconds per cell: the course's `Execute.timeout` (no limit: the whole notebook's), else ours."""
    execute = load_course_config(folder).get("Execute", {})
    if "timeout" not in execute:
        return CELL_TIMEOUT_S
    timeout = execute["timeout"]
    return int(timeout) if timeout is not None and timeout > 0 else notebook_timeout


def find_course_root(start: Path | str = ".") -> Path:
    """The nearest folder at or above `start` holding nbgrader_config.py and source/."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    raise NotFound(
        f"no course found at or above {start}: run this inside the course repository "
        "(the folder with nbgrader_config.py and source/)")


def assignments(root: Path) -> list[str]:
    """Assignment ids of the course, in course order (the names of source/'s folders)."""
    return sorted(p.name for p in (root / "source").iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def course_config(root: Path | str, cell_timeout: int | None = CELL_TIMEOUT_S, private: bool = False,
                  course: Path | str | None = None) -> Config:
    """A fresh `Config` for a course rooted at `root`: the `nbgrader_config.py` of `course` (default:
    `root`; a private folder has none unless given), then the grader's additions over it.
    `private`: a scratch copy of the autograder's. With no course config: this course's options."""
    course = course if course is not None else (None if private else root)
    if course is None or not (Path(course) / CONFIG_FILE).is_file():
        return apply_course_config(Config(), root, cell_timeout, private)
    c = load_course_config(course)
    return apply_grader_additions(c, root, cell_timeout, private)


def course_id(root: Path | str) -> str:
    """The course id the course's nbgrader_config.py sets (nbgrader's default: none)."""
    return str(course_config(root).CourseDirectory.get("course_id", ""))


def venv_on_path() -> None:
    """nbgrader calls the `alembic` executable when it creates a gradebook: put ours on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
