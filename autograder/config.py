"""The course's nbgrader configuration, shared by nbgrader_config.py and the autograder."""

from __future__ import annotations

import logging
from pathlib import Path

from traitlets.config import Config

COURSE_ID = "dlcourse"
CELL_TIMEOUT_S = 60


def apply_course_config(c: Config, root: Path | str | None = None,
                        cell_timeout: int = CELL_TIMEOUT_S, private: bool = False) -> Config:
    """Set the course's options on an nbgrader `Config` (in place) and return it."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests,
                                        GetGrades, IgnorePattern, LimitOutput, SaveAutoGrades)

    from .feedback import ScrubTestTracebacks
    from .kernel import GuardedExecute
    from .math_offline import OfflineMathHTMLExporter

    if root is not None:  # else nbgrader's default: the current directory
        c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    if private:  # a course folder of the autograder's own: quiet, and nbgrader's exchange inside it
        c.Application.log_level = c.NbGraderAPI.log_level = logging.WARNING
        (Path(root) / "exchange").mkdir(parents=True, exist_ok=True)
        c.Exchange.root = str(Path(root) / "exchange")
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.Execute.timeout = cell_timeout
    # nbgrader's steps, with Execute replaced: output cap, seeding, points kept when the kernel dies
    c.Autograde.autograde_preprocessors = [GuardedExecute, IgnorePattern, ClearMetadataPreprocessor,
                                           LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                           CheckCellMetadata]
    c.GuardedExecute.timeout = cell_timeout
    # feedback never shows hidden tests: not their source, not their traceback lines
    c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, ScrubTestTracebacks,
                                        CSSHTMLHeaderPreprocessor]
    # formulas as MathML: the page needs no MathJax from a CDN
    c.GenerateFeedback.exporter_class = OfflineMathHTMLExporter
    return c


def find_course_root(start: Path | str = ".") -> Path:
    """The nearest folder at or above `start` holding nbgrader_config.py and source/."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    raise FileNotFoundError(
        f"no course found at or above {start}: run this inside the course repository "
        "(the folder with nbgrader_config.py and source/)")


def assignments(root: Path) -> list[str]:
    """Assignment ids of the course, in course order (the names of source/'s folders)."""
    return sorted(p.name for p in (root / "source").iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def course_config(root: Path | str, cell_timeout: int = CELL_TIMEOUT_S,
                  private: bool = False) -> Config:
    """A fresh `Config` for a course rooted at `root` (`private`: a scratch copy of the autograder's)."""
    return apply_course_config(Config(), root, cell_timeout, private)
