"""Run a notebook as `validate` does (flows/validate.py): a copy, top to bottom, the checks in its kernel.

The kernel is a fresh one, or one forked from a grading worker's zygote (`validate --quick` in a
warm worker of the daemon, worker_main._validate).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat

from dlcourse.checks.protocol import LEDGER_CELL

from ..config import CELL_TIMEOUT_S, Limits

CELL_TIMED_OUT = "CellTimeoutError"
KERNEL_ENV = {"NBGRADER_EXECUTION": "validate"}  #: what a validate kernel is told of its run
#: where run_notebook keeps the ledger cell's outputs (dlcourse.checks.protocol) for check_outcomes
LEDGER_KEY = "dlcourse_ledger"


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

    from .quickclient import QuickKernelManager

    nb = nbformat.read(path, as_version=4)
    if quick:
        from .skipping import plan

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
            from .kernel import SandboxedKernelManager

            km = SandboxedKernelManager(kernel_name="python3", scratch=str(work), uid=uid, host=host,
                                        limits=limits or Limits().to_dict(),
                                        kernel_env=KERNEL_ENV)
        running = [-1]  # the cell being run: where a kernel that died is said to have died
        client = NotebookClient(nb, km=km, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": str(work)}}, shutdown_kernel="immediate",
                                kernel_manager_class=QuickKernelManager, interrupt_on_timeout=True,
                                error_on_timeout=_error(CELL_TIMED_OUT, f"this cell ran longer than {cell_timeout} s "
                                                        "and was interrupted (--cell-timeout)"),
                                on_cell_execute=lambda cell, cell_index: running.__setitem__(0, cell_index))
        try:  # stderr: the kernel's own log, not cell output
            client.execute(stderr=subprocess.DEVNULL, env={**os.environ, **KERNEL_ENV})
        except DeadKernelError:  # os._exit, a crash, memory: the cells after it did not run
            if running[0] >= 0:
                nb.cells[running[0]].outputs.append(nbformat.v4.new_output(
                    "error", **_error("KernelDied", "the kernel died while running this cell")))
    nb.metadata[LEDGER_KEY] = nb.cells.pop()
    return nb


def _error(ename: str, evalue: str) -> dict:
    return {"ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}
