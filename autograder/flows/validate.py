"""`validate NOTEBOOK`: run a notebook top to bottom and report each graded test cell.

Unlike `nbgrader validate`, the exit code says whether every check passed. The notebook is
executed from a temporary copy, so the student's file is never modified.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse.checks.protocol import (FAILED, LEDGER_CELL, NOT_ATTEMPTED, NOT_RUN, PASSED, SIGNS,
                                      CheckStatus, combine, read_ledger)

from dlcourse.i18n import localize

from ..errors import GraderError, UsageError
from ..config import CELL_TIMEOUT_S, Limits
from ..engine.quickclient import QuickKernelManager
from ..cells import grade_id_of, is_test_cell, last_error, points_of

logger = logging.getLogger(__name__)

CELL_TIMED_OUT = "CellTimeoutError"
#: where run_notebook keeps the ledger cell's outputs (dlcourse.checks.protocol) for check_outcomes
LEDGER_KEY = "dlcourse_ledger"


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


def run_notebook(path: Path, *, cell_timeout: int = CELL_TIMEOUT_S, quick: bool = False, host=None,
                 uid: int | None = None, limits: dict | None = None):
    """Execute a copy of the notebook at `path` (errors allowed); return the executed notebook,
    with the report of its check suites (the ledger cell, run last) in its metadata.

    `quick`: leave out the cells grading leaves out (tagged skip-when-grading, see skipping.py).
    `host`: a started warm.KernelHost (a grading worker's zygote): the kernel is forked from it,
    in its sandbox (sandbox `uid`, `limits`), with the course's imports done; else a fresh kernel.
    As when grading, a cell past `cell_timeout` is interrupted and the next cells run; when the
    kernel dies, the cell it died in says so and the cells after it stay unrun.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(path, as_version=4)
    if quick:
        from ..engine.skipping import plan

        for index in plan(nb, nb):
            nb.cells[index].source = ""  # nbclient sends no empty cell to the kernel
    nb.cells.append(nbformat.v4.new_code_cell(LEDGER_CELL))
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        work = host.new_unit() if host is not None else Path(tmp)
        for sibling in Path(path).resolve().parent.iterdir():  # data files next to the notebook
            if sibling.is_file() and sibling.suffix != ".ipynb":
                shutil.copy(sibling, work)
        km = None
        if host is not None:
            from ..engine.kernel import SandboxedKernelManager

            km = SandboxedKernelManager(kernel_name="python3", scratch=str(work), uid=uid, host=host,
                                        limits=limits or Limits().to_dict(),
                                        kernel_env={"NBGRADER_EXECUTION": "validate"})
        running = [-1]  # the cell being run: where a kernel that died is said to have died
        client = NotebookClient(nb, km=km, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": str(work)}}, shutdown_kernel="immediate",
                                kernel_manager_class=QuickKernelManager, interrupt_on_timeout=True,
                                error_on_timeout=_error(CELL_TIMED_OUT, f"this cell ran longer than {cell_timeout} s "
                                                        "and was interrupted (--cell-timeout)"),
                                on_cell_execute=lambda cell, cell_index: running.__setitem__(0, cell_index))
        previous = os.environ.get("NBGRADER_EXECUTION")
        os.environ["NBGRADER_EXECUTION"] = "validate"
        try:
            client.execute(stderr=subprocess.DEVNULL)  # the kernel's own log, not cell output
        except DeadKernelError:  # os._exit, a crash, memory: the cells after it did not run
            if running[0] >= 0:
                nb.cells[running[0]].outputs.append(nbformat.v4.new_output(
                    "error", **_error("KernelDied", "the kernel died while running this cell")))
        finally:
            if previous is None:
                os.environ.pop("NBGRADER_EXECUTION", None)
            else:
                os.environ["NBGRADER_EXECUTION"] = previous
    nb.metadata[LEDGER_KEY] = nb.cells.pop()
    return nb


def _error(ename: str, evalue: str) -> dict:
    return {"ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


def run_warm(path: Path, *, cell_timeout: int, keep_warm_minutes: float):
    """`run_notebook(path, quick=True)` in a warm worker of this user's grading daemon (daemon.py;
    started if none runs, kept `keep_warm_minutes` after): its zygote has torch, scikit-learn and
    the course imported, so the kernel starts with them. None when no daemon can serve (no sandbox
    on this machine, say): the caller starts a fresh kernel.
    """
    from ..engine.sandbox import check_available
    from ..engine.worker import WorkerDied
    from .daemon import DaemonUnavailable
    from .keepwarm import lease_workers

    try:
        check_available()
        [runner] = lease_workers(1, Limits().to_dict(), True, keep_warm_minutes * 60)
    except (GraderError, OSError) as error:  # SandboxUnavailable, DaemonUnavailable
        logger.info("running in a fresh kernel: no warm worker (%s)", error)
        return None
    try:
        with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
            report = runner.validate(Path(path).resolve(), Path(tmp), cell_timeout, Limits().notebook_timeout_s)
            if report is None:
                raise GraderError(f"{Path(path).name} ran longer than {Limits().notebook_timeout_s} s "
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
    logger.info("running %s (at most %d s per cell)", path, cell_timeout)
    executed = None
    if quick and keep_warm_minutes > 0:
        executed = run_warm(path, cell_timeout=cell_timeout, keep_warm_minutes=keep_warm_minutes)
    if executed is None:
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
