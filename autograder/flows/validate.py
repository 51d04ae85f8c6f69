"""`validate NOTEBOOK`: run a notebook top to bottom and report each graded test cell.

Unlike `nbgrader validate`, the exit code says whether every check passed. The notebook is
executed from a temporary copy, so the student's file is never modified.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse.checks.protocol import (FAILED, NOT_ATTEMPTED, NOT_RUN, PASSED, SIGNS,
                                      CheckStatus, combine, read_ledger)

from dlcourse.i18n import localize

from ..errors import GraderError, UsageError
from ..config import CELL_TIMEOUT_S, Limits
from ..engine.validation import LEDGER_KEY, run_notebook
from ..cells import grade_id_of, is_test_cell, last_error, points_of

logger = logging.getLogger(__name__)

__all__ = ["CheckOutcome", "LEDGER_KEY", "check_outcomes", "format_outcomes", "run_notebook", "run_warm",
           "validate"]


@dataclass
class CheckOutcome:
    """One graded test cell after running the notebook."""

    grade_id: str
    points: float
    status: CheckStatus  #: PASSED, FAILED, NOT_ATTEMPTED or NOT_RUN
    message: str         #: the cell's last error ('' when passed)

    @property
    def passed(self) -> bool:
        return self.status == PASSED


def run_warm(path: Path, *, cell_timeout: int, keep_warm_minutes: float):
    """`run_notebook(path, quick=True)` in a warm worker of this user's grading daemon (daemon.py;
    started if none runs, kept `keep_warm_minutes` after): its zygote has torch, scikit-learn and
    the course imported, so the kernel starts with them. None when no daemon can serve (no sandbox
    on this machine, say): the caller starts a fresh kernel.
    """
    from ..engine.sandbox import check_available

    limits = Limits()
    try:
        check_available()  # first: off Linux, the daemon's modules (fcntl, Unix sockets) may not import
        from .keepwarm import lease_workers

        [runner] = lease_workers(1, limits.to_dict(), True, keep_warm_minutes * 60)
    except (GraderError, OSError) as error:  # SandboxUnavailable, DaemonUnavailable
        logger.info("running in a fresh kernel: no warm worker (%s)", error)
        return None
    from ..engine.worker import WorkerDied
    from .daemon import DaemonUnavailable

    logger.info("running %s in a warm grading worker (at most %d s per cell)", path, cell_timeout)
    try:
        with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
            report = runner.validate(Path(path).resolve(), Path(tmp), cell_timeout, limits.notebook_timeout_s)
            if report is None:
                raise GraderError(f"{Path(path).name} ran longer than {limits.notebook_timeout_s} s "
                                  "and was stopped: run validate without --quick to see which cell is slow")
            return read_warm_run(report)
    except (DaemonUnavailable, WorkerDied) as error:
        logger.warning("running in a fresh kernel: the warm worker failed (%s)", error)
        return None
    finally:
        runner.stop()


def read_warm_run(report: Path):
    """The executed notebook a worker wrote (worker_main._validate); GraderError with its reason if it
    could not run the notebook."""
    data = json.loads(report.read_text())
    if "notebook" not in data:
        raise GraderError(f"the notebook could not be run: {data.get('error', 'no reason given')}")
    return nbformat.from_dict(data["notebook"])


def check_outcomes(nb) -> list[CheckOutcome]:
    """Passed/failed with its message for each graded test cell of an executed notebook."""
    ledger = read_ledger(nb.metadata.get(LEDGER_KEY))
    outcomes = []
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        message = last_error(cell)
        if cell.get("execution_count") is None and not message:
            message, status = "not run (an earlier cell timed out or the kernel died)", NOT_RUN
        else:
            status = cell_status(cell, ledger)
        outcomes.append(CheckOutcome(grade_id_of(cell) or "?", points_of(cell), status, message))
    return outcomes


def cell_status(cell, ledger) -> CheckStatus:
    """PASSED when the cell raised nothing; NOT_ATTEMPTED when its suites say so (protocol.combine
    of those run in it, from the ledger) or it raised NotImplementedError itself; else FAILED."""
    errors = [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]
    if not errors:
        return PASSED
    suites = ledger.statuses_in(cell.get("execution_count")) if ledger is not None else []
    if "NotImplementedError" in errors or combine(suites, unknown=FAILED) == NOT_ATTEMPTED:
        return NOT_ATTEMPTED
    return FAILED


def validate(path: Path, *, cell_timeout: int = CELL_TIMEOUT_S, quick: bool = False,
             keep_warm_minutes: float = 0.0) -> list[CheckOutcome]:
    """Run the notebook at `path` (`quick`: as grading does) and return the outcome of every graded test cell.

    With `quick` and `keep_warm_minutes`, a warm worker of the grading daemon runs it (run_warm).

    Raises:
        ValueError: the notebook has no graded cells (nothing to validate).
    """
    path = Path(path)
    if not any(is_test_cell(cell) for cell in nbformat.read(path, as_version=4).cells):
        raise UsageError(f"{path.name} has no graded cells: is it an assignment of this course?")
    executed = None
    if quick and keep_warm_minutes > 0:
        executed = run_warm(path, cell_timeout=cell_timeout, keep_warm_minutes=keep_warm_minutes)
    if executed is None:
        logger.info("running %s in a fresh kernel (at most %d s per cell)", path, cell_timeout)
        executed = run_notebook(path, cell_timeout=cell_timeout, quick=quick)
    return check_outcomes(executed)


def format_outcomes(outcomes: list[CheckOutcome]) -> str:
    """One line per check (passed, failed with its message, not attempted, not run), then a total."""
    lines = []
    for o in outcomes:
        lines.append(localize(f"{SIGNS[o.status]} {o.grade_id} ({o.points:g} pt): {o.status}"))
        if o.status in (FAILED, NOT_RUN):
            # a failure's message comes from the kernel, already in the notebook's language
            lines.append(f"     {localize(o.message) if o.status == NOT_RUN else o.message}")
    counts = {status: sum(o.status == status for o in outcomes) for status in SIGNS}
    total = f"{counts[PASSED]}/{len(outcomes)} checks passed"
    rest = ", ".join(f"{counts[s]} {s}" for s in (FAILED, NOT_ATTEMPTED, NOT_RUN) if counts[s])
    return "\n".join(lines + [localize(total + (f" ({rest})" if rest else ""))])
