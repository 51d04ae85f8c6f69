"""Scores from an executed notebook: each graded cell's points and the submission's status,
decided by the grader from the cells' errors and the checks it ran, never from what a cell displayed."""

from __future__ import annotations

from pathlib import Path

from dlcourse.checks.protocol import read_ledger, tampering

from ..cells import grade_id_of, is_test_cell, last_error
from ..results import CellResult, Status, UnitRequest, cell_key
from ..trusted import verdicts
from .kernel import KERNEL_DIED

TIMEOUT_ERRORS = {"CellTimeoutError", "TimeoutError"}
#: how a limit shows in a cell's error: the exception name or a piece of its message
LIMIT_SIGNS = {"memory": ("MemoryError", "can't allocate memory"),
               "process": ("Resource temporarily unavailable", "can't start new thread"),
               "file-size": ("File too large",)}
MANUAL = "awaits manual grading"


def cell_messages(nb) -> tuple[dict[str, str], bool, str, str]:
    """Per graded test cell, the last error line ('' if none); whether a cell timed out; where
    the kernel died ('' if it did not); which limit a cell hit ('' if none)."""
    messages, timed_out, died, limit = {}, False, "", ""
    for index, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        timed_out |= any(o.ename in TIMEOUT_ERRORS for o in errors)
        limit = limit or next((f"the {name} limit was hit in cell {index + 1}"
                               for o in errors for name, signs in LIMIT_SIGNS.items()
                               if o.ename in signs or any(sign in str(o.get("evalue", "")) for sign in signs)), "")
        if not died and any(o.ename == KERNEL_DIED for o in errors):
            first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
            died = f"cell {index + 1} ({first_line.strip()[:60]!r})"
        if is_test_cell(cell):
            messages[grade_id_of(cell)] = last_error(cell)
    return messages, timed_out, died, limit


def execution_seconds(nb) -> float:
    """Seconds the kernel spent in the notebook's cells (nbclient's per-cell timestamps)."""
    from datetime import datetime

    total = 0.0
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        try:
            start = datetime.fromisoformat(timing["iopub.status.busy"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
        except (KeyError, ValueError, AttributeError):
            continue
        total += max(0.0, (end - start).total_seconds())
    return total


def checks_needed(cell) -> int:
    """How many `assert check_...` lines of a test cell the kernel runs (each must leave a passed suite)."""
    kernel_source = verdicts.plan(cell.source).kernel_source
    return sum(line.lstrip().startswith("assert check_") for line in kernel_source.splitlines())


def uses_ledger(official) -> bool:
    """Whether the course's test cells call check helpers (dlcourse.checks): only then is the ledger kept."""
    return any(is_test_cell(cell) and checks_needed(cell) for cell in official.cells)


def verify_ledger(nb, ledger_cell) -> list[str]:
    """Grade ids of test cells that passed with fewer passed check suites than `assert check_` lines."""
    ledger = read_ledger(ledger_cell)
    unproven = []
    for cell in nb.cells:
        passed = not any(o.output_type == "error" for o in cell.get("outputs", []))
        if is_test_cell(cell) and passed:
            # every `assert check_...` of the official cell must have left a passed suite behind
            needed = checks_needed(cell)
            if needed and (ledger is None or ledger.passed.count(cell.get("execution_count")) < needed):
                unproven.append(grade_id_of(cell))
    return unproven


def score_cells(nb, work: Path, request: UnitRequest, messages: dict[str, str],
                unproven: list[str], name: str | None = None) -> list[CellResult]:
    """Each graded cell's points, decided by the grader, never by what the cell displayed.

    A test cell earns its points when it ran and raised nothing (and, for `assert check_` lines,
    its checks are on the ledger); otherwise 0. nbgrader would read a number, or any text, from a
    test cell's first result and score it: a cell that prints "✅" through the displayhook and then
    fails would get full points. Other graded cells (manually graded answers) keep nbgrader's
    score, None when they await a human. The unit's gradebook gets the same scores, so the
    feedback page and the results never disagree.
    """
    from nbgrader.api import Gradebook

    ran = {grade_id_of(c): c for c in nb.cells if is_test_cell(c)}
    name = name or request.notebook_name
    notebook, several = Path(name).stem, request.several
    cells = []
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gradebook:
        submitted = gradebook.find_submission_notebook(notebook, request.assignment, request.student_id)
        grades = {g.name: g for g in submitted.grades}
        for grade_id, points in request.cells[name].items():
            grade, cell = grades.get(grade_id), ran.get(grade_id)
            message = messages.get(grade_id, "test cell missing")
            manual = False
            if cell is None:  # not a test cell: nbgrader's own score, None while it awaits a human
                manual = grade is not None and bool(grade.needs_manual_grade)
                score = 0.0 if manual or grade is None else float(grade.score or 0.0)
                message = MANUAL if manual else ("" if grade is not None else message)
            else:
                if cell.get("execution_count") is None and not message:
                    message = "not run"
                if grade_id in unproven:
                    message = tampering("this cell passed without any check running in it "
                                        "(a check helper was replaced)")
                score = points if not message else 0.0
                if grade is not None:
                    grade.auto_score = score
            cells.append(CellResult(cell_key(name, grade_id, several), score, points,
                                    passed=score >= points and not message, message=message, manual=manual))
        gradebook.db.commit()
    return cells


def decide_status(*, died: str, timed_out: bool, limit: str, flags: list[str], not_graded: list[str],
                  cell_timeout_s: int) -> tuple[Status, str]:
    """The status and detail of a submission whose notebooks ran: the kernel died (`died`: where,
    '' if it did not) before a cell timed out, before tampering (`flags`); the limit a cell hit
    and the assignment's notebooks not submitted (`not_graded`) are added to the detail."""
    if died:
        cause = f"after {limit}" if limit else "(os._exit, a segfault, or a CPU, memory or process limit)"
        status, detail = Status.CRASHED, f"the kernel died in {died} {cause}; the checks before it kept their points"
    elif timed_out:
        status, detail = Status.TIMEOUT, f"a cell ran longer than {cell_timeout_s} s and was interrupted"
    elif flags:
        status, detail = Status.TAMPERED, "; ".join(flags)
    else:
        status, detail = Status.OK, ""
    for note in ([limit] if limit else []) + not_graded:
        detail = f"{detail}; {note}" if detail else note
    return status, detail
