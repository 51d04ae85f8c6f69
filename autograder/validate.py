"""`validate NOTEBOOK`: run a notebook top to bottom and report each graded test cell.

Unlike `nbgrader validate`, the exit code says whether every check passed. The notebook is
executed from a temporary copy, so the student's file is never modified.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .config import CELL_TIMEOUT_S
from .quickclient import QuickKernelManager
from .cells import grade_id_of, is_test_cell, last_error, points_of

logger = logging.getLogger(__name__)

PASSED, FAILED, NOT_ATTEMPTED, NOT_RUN = "passed", "failed", "not attempted", "not run"
SIGNS = {PASSED: "✅", FAILED: "❌", NOT_ATTEMPTED: "⬜", NOT_RUN: "…"}
#: how a check says that the fill-in above it is still the stub (see dlcourse.checks._core/answers)
NOT_ATTEMPTED_SIGNS = ("is not implemented yet", "not answered yet", "NotImplementedError")


@dataclass
class CheckOutcome:
    """One graded test cell after running the notebook."""

    grade_id: str
    points: float
    passed: bool
    message: str
    status: str = ""  #: PASSED, FAILED, NOT_ATTEMPTED or NOT_RUN (derived when left empty)

    def __post_init__(self):
        if not self.status:
            self.status = PASSED if self.passed else (
                NOT_ATTEMPTED if any(sign in self.message for sign in NOT_ATTEMPTED_SIGNS) else FAILED)


def run_notebook(path: Path, *, cell_timeout: int = CELL_TIMEOUT_S, cwd: Path | None = None,
                 quick: bool = False):
    """Execute a copy of the notebook at `path` (errors allowed); return the executed notebook.

    `quick`: leave out the cells grading leaves out (tagged skip-when-grading, see skipping.py).
    """
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    if quick:
        from .skipping import plan

        for index in plan(nb, nb):
            nb.cells[index].source = ""  # nbclient sends no empty cell to the kernel
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        work = Path(tmp)
        for sibling in Path(path).resolve().parent.iterdir():  # data files next to the notebook
            if sibling.is_file() and sibling.suffix != ".ipynb":
                shutil.copy(sibling, work)
        env_cwd = str(cwd or work)
        client = NotebookClient(nb, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": env_cwd}}, shutdown_kernel="immediate",
                                kernel_manager_class=QuickKernelManager)
        previous = os.environ.get("NBGRADER_EXECUTION")
        os.environ["NBGRADER_EXECUTION"] = "validate"
        try:
            client.execute(stderr=subprocess.DEVNULL)  # the kernel's own log, not cell output
        finally:
            if previous is None:
                os.environ.pop("NBGRADER_EXECUTION", None)
            else:
                os.environ["NBGRADER_EXECUTION"] = previous
    return nb


def check_outcomes(nb) -> list[CheckOutcome]:
    """Passed/failed with its message for each graded test cell of an executed notebook."""
    outcomes = []
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        message, status = last_error(cell), ""
        if cell.get("execution_count") is None and not message:
            message, status = "not run (an earlier cell timed out or the kernel died)", NOT_RUN
        outcomes.append(CheckOutcome(grade_id_of(cell) or "?", points_of(cell),
                                     not message, message, status))
    return outcomes


def validate(path: Path, *, cell_timeout: int = CELL_TIMEOUT_S, quick: bool = False) -> list[CheckOutcome]:
    """Run the notebook at `path` (`quick`: as grading does) and return the outcome of every graded test cell.

    Raises:
        ValueError: the notebook has no graded cells (nothing to validate).
    """
    path = Path(path)
    if not any(is_test_cell(cell) for cell in nbformat.read(path, as_version=4).cells):
        raise ValueError(f"{path.name} has no graded cells: is it an assignment of this course?")
    logger.info("running %s in a fresh kernel (at most %d s per cell)", path, cell_timeout)
    return check_outcomes(run_notebook(path, cell_timeout=cell_timeout, quick=quick))


def format_outcomes(outcomes: list[CheckOutcome]) -> str:
    """One line per check (passed, failed with its message, not attempted, not run), then a total."""
    lines = []
    for o in outcomes:
        lines.append(f"{SIGNS[o.status]} {o.grade_id} ({o.points:g} pt): {o.status}")
        if o.status in (FAILED, NOT_RUN):
            lines.append(f"     {o.message}")
    counts = {status: sum(o.status == status for o in outcomes) for status in SIGNS}
    total = f"{counts[PASSED]}/{len(outcomes)} checks passed"
    rest = ", ".join(f"{counts[s]} {s}" for s in (FAILED, NOT_ATTEMPTED, NOT_RUN) if counts[s])
    return "\n".join(lines + [total + (f" ({rest})" if rest else "")])
