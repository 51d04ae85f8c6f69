"""`validate NOTEBOOK`: run a notebook top to bottom and report each graded test cell.

Unlike `nbgrader validate`, the exit code says whether every check passed. The notebook is
executed from a temporary copy, so the student's file is never modified.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .config import CELL_TIMEOUT_S
from .feedback import strip_ansi
from .sanitize import is_test_cell


@dataclass
class CheckOutcome:
    """One graded test cell after running the notebook."""

    grade_id: str
    points: float
    passed: bool
    message: str


def run_notebook(path: Path, *, cell_timeout: int = CELL_TIMEOUT_S, cwd: Path | None = None):
    """Execute a copy of the notebook at `path` (errors allowed); return the executed notebook."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        work = Path(tmp)
        for sibling in Path(path).resolve().parent.iterdir():  # data files next to the notebook
            if sibling.is_file() and sibling.suffix != ".ipynb":
                shutil.copy(sibling, work)
        env_cwd = str(cwd or work)
        client = NotebookClient(nb, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": env_cwd}})
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
        meta = cell.metadata["nbgrader"]
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        message = strip_ansi(f"{errors[-1].ename}: {errors[-1].evalue}") if errors else ""
        if cell.get("execution_count") is None and not errors:
            message = "not run (an earlier cell timed out or the kernel died)"
        outcomes.append(CheckOutcome(meta.get("grade_id", "?"), float(meta.get("points", 0)),
                                     not message, message))
    return outcomes


def validate(path: Path, *, cell_timeout: int = CELL_TIMEOUT_S) -> list[CheckOutcome]:
    """Run the notebook at `path` and return the outcome of every graded test cell."""
    return check_outcomes(run_notebook(Path(path), cell_timeout=cell_timeout))


def format_outcomes(outcomes: list[CheckOutcome]) -> str:
    """One line per check, then a total, as shown to a student."""
    lines = []
    for o in outcomes:
        lines.append(f"{'✅' if o.passed else '❌'} {o.grade_id} ({o.points:g} pt)"
                     + ("" if o.passed else f"\n     {o.message}"))
    passed = sum(o.passed for o in outcomes)
    lines.append(f"{passed}/{len(outcomes)} checks passed")
    return "\n".join(lines)
