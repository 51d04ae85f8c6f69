"""The grading unit: grade one notebook in a private nbgrader course folder, in its own process.

    python -m autograder.unit REQUEST.json RESULT.json

The parent writes the request, runs this module under a wall-time limit and reads back the
result as plain JSON (validated by `SubmissionResult.from_dict`). Nothing is unpickled.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

from .config import course_config
from . import verdicts
from .feedback import strip_ansi
from .kernel import KERNEL_DIED, GuardedExecute, SandboxedKernelManager
from .privatedb import write_without_sync
from .release import venv_on_path
from .results import CellResult, SubmissionResult, zero_cells
from .sandbox import Limits, prepare_scratch, remove_tree
from .sanitize import is_test_cell, sanitize
from .skipping import RESEED, Skipped, skip_cells
from .timing import Clock, cell_breakdown

TIMEOUT_ERRORS = {"CellTimeoutError", "TimeoutError"}
#: how a limit shows in a cell's error: the exception name or a piece of its message
LIMIT_SIGNS = {"memory": ("MemoryError", "can't allocate memory"),
               "process": ("Resource temporarily unavailable", "can't start new thread"),
               "file-size": ("File too large",)}
LEDGER_MARK = "DLCOURSE-LEDGER "
#: prepended to every submission: identical results when a submission is graded twice; plain
#: tracebacks (IPython's default context mode takes ~85 ms per error, ~2 s for an untouched stub)
SEED_CELL = RESEED + '\nget_ipython().run_line_magic("xmode", "Plain")'
#: appended to every submission: which check suites passed, in which cells (see _core.ledger)
LEDGER_CELL = ("import json as _json_, dlcourse.checks._core as _core_\n"
               f"print({LEDGER_MARK!r} + _json_.dumps([_core_._execution_count(), _core_.ledger()]))")


def prepare(request: dict, nb) -> tuple[list[str], Skipped]:
    """Lay out work/{gradebook.db, source/<a>/, submitted/<student>/<a>/<nb>.ipynb}.

    The submission `nb` (as read from the student's file) has its graded cells restored from the
    official release (see sanitize.py), the cells its grade does not depend on replaced (see
    skipping.py; all run with `run_all`), and is written into the private copy; the student's
    file is never touched. Returns the tampering flags and the skipped cells.
    """
    work, template = Path(request["work"]), Path(request["template"])
    assignment, student = request["assignment"], request["student_id"]
    (work / "source").mkdir(parents=True, exist_ok=True)
    shutil.copytree(template / "source" / assignment, work / "source" / assignment, dirs_exist_ok=True)
    shutil.copyfile(template / "gradebook.db", work / "gradebook.db")
    official = nbformat.read(template / "release" / assignment / request["notebook_name"], as_version=4)
    flags = sanitize(nb, official)
    skipped = skip_cells(nb, official, run_all=request.get("run_all", False))
    nb.cells.insert(0, nbformat.v4.new_code_cell(SEED_CELL))
    nb.cells.append(nbformat.v4.new_code_cell(LEDGER_CELL))
    target = work / "submitted" / student / assignment / request["notebook_name"]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return flags, skipped


def prepare_sandbox(request: dict, host=None) -> None:
    """The kernel's only writable folder: the released assignment's files, nothing else.

    With a warm `host` (warm.KernelHost) the folder lies in the host's sandbox, whose zygote
    forks the kernel; else a cold kernel starts in a sandbox of its own.
    """
    scratch = host.new_unit() if host is not None else Path(request["work"]) / "kernel"
    release = Path(request["template"]) / "release" / request["assignment"]
    shutil.copytree(release, scratch, ignore=shutil.ignore_patterns("*.ipynb"), dirs_exist_ok=True)
    prepare_scratch(scratch, request.get("uid"))  # before any student code runs there
    SandboxedKernelManager.settings = {"scratch": str(scratch), "uid": request.get("uid"),
                                       "limits": request["limits"], "host": host}


def read_notebook(path: Path):
    """(the notebook, '') if `path` is a readable notebook, else (None, why not in one line)."""
    try:
        text = path.read_bytes().decode("utf-8")
        json.loads(text)  # for a precise message: nbformat's says only "not JSON"
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except UnicodeDecodeError:
        return None, "not a text file (is it really an .ipynb saved from Jupyter?)"
    except json.JSONDecodeError as error:
        return None, (f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
                      "the file may be truncated or edited outside Jupyter")
    except nbformat.ValidationError as error:
        return None, f"not a valid notebook: {error.message[:200]}"
    except Exception as error:  # nbformat raises several types for malformed files
        return None, f"not a valid notebook: {type(error).__name__}: {str(error)[:200]}"
    return nb, ""


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
            messages[cell.metadata["nbgrader"]["grade_id"]] = (strip_ansi(f"{errors[-1].ename}: {errors[-1].evalue}")
                                          if errors else "")
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


def strip_course_cells(nb):
    """Remove the seed and ledger cells added by `prepare`; return the ledger cell (None if absent).

    Feedback then shows only the student's cells, and cell numbers are the student's.
    """
    if nb.cells and nb.cells[0].source == SEED_CELL:
        nb.cells.pop(0)
    return nb.cells.pop() if nb.cells and nb.cells[-1].source == LEDGER_CELL else None


def verify_ledger(nb, ledger_cell) -> list[str]:
    """Grade ids of test cells that passed with fewer passed check suites than `assert check_` lines."""
    outputs = ledger_cell.outputs if ledger_cell else []
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    report = next((ln for ln in text.splitlines() if ln.startswith(LEDGER_MARK)), None)
    counts: list = []
    if report is not None and ledger_cell.get("execution_count") is not None:
        try:  # IPython's counter during a cell may be ahead of the cell's number: align on this cell
            own_count, entries = json.loads(report[len(LEDGER_MARK):])
            offset = own_count - ledger_cell.execution_count
            counts = [entry[1] - offset for entry in entries]
        except (ValueError, TypeError, IndexError):
            report = None
    unproven = []
    for cell in nb.cells:
        passed = not any(o.output_type == "error" for o in cell.get("outputs", []))
        if is_test_cell(cell) and passed:
            # every `assert check_...` of the official cell must have left a passed suite behind
            kernel_source = verdicts.plan(cell.source).kernel_source  # what the kernel ran of it
            needed = sum(line.lstrip().startswith("assert check_") for line in kernel_source.splitlines())
            if report is None or counts.count(cell.get("execution_count")) < needed:
                unproven.append(cell.metadata["nbgrader"]["grade_id"])
    return unproven


def score_cells(nb, work: Path, request: dict, messages: dict[str, str],
                unproven: list[str]) -> list[CellResult]:
    """Each graded cell's points, decided by the grader, never by what the cell displayed.

    A test cell earns its points when it ran and raised nothing (and, for `assert check_` lines,
    its checks are on the ledger); otherwise 0. nbgrader would read a number, or any text, from a
    test cell's first result and score it: a cell that prints "✅" through the displayhook and then
    fails would get full points. Other graded cells (manually graded answers) keep nbgrader's
    score, None when they await a human. The unit's gradebook gets the same scores, so the
    feedback page and the results never disagree.
    """
    from nbgrader.api import Gradebook

    ran = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if is_test_cell(c)}
    notebook = Path(request["notebook_name"]).stem
    cells = []
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gradebook:
        submitted = gradebook.find_submission_notebook(notebook, request["assignment"], request["student_id"])
        grades = {g.name: g for g in submitted.grades}
        for grade_id, points in request["grade_cells"].items():
            grade, cell = grades.get(grade_id), ran.get(grade_id)
            message = messages.get(grade_id, "test cell missing")
            if cell is None:  # not a test cell: nbgrader's own score (manual grading)
                score = float(grade.score or 0.0) if grade is not None else 0.0
            else:
                if cell.get("execution_count") is None and not message:
                    message = "not run"
                if grade_id in unproven:
                    message = ("tampering detected: this cell passed without any check running in it "
                               "(a check helper was replaced)")
                score = points if not message else 0.0
                if grade is not None:
                    grade.auto_score = score
            cells.append(CellResult(grade_id, score, points, passed=score >= points and not message,
                                    message=message))
        gradebook.db.commit()
    return cells


def grade_unit(request: dict, host=None) -> dict:
    """Grade the submission described by `request`; return a SubmissionResult as a dict.

    `host`: a started warm.KernelHost whose zygote forks the kernel (see worker.py).
    """
    from nbgrader.apps import NbGraderAPI

    started, clock = time.monotonic(), Clock()
    result = SubmissionResult(request["student_id"], request["assignment"], "ok",
                              source=request["submission"])
    nb, problem = read_notebook(Path(request["submission"]))
    if problem:
        result.status, result.detail = "invalid", problem
        result.cells = zero_cells(request["grade_cells"], problem)
        return {**result.to_dict(), "seconds": time.monotonic() - started}
    result.flags, skipped = prepare(request, nb)
    limits = Limits(**request["limits"])
    GuardedExecute.output_limit_bytes = limits.output_kb * 1024
    if request["sandbox"]:
        prepare_sandbox(request, host)
    else:
        SandboxedKernelManager.settings = None
    work = Path(request["work"])
    write_without_sync(work)  # the unit's gradebook is a throwaway copy
    venv_on_path()
    api = NbGraderAPI(config=course_config(work, limits.cell_timeout_s, private=True))
    prepared = time.monotonic()
    clock.lap("prepare")
    outcome = api.autograde(request["assignment"], request["student_id"], force=True, create=True)
    clock.split("cells", GuardedExecute.marks, "nbgrader_before", "nbgrader_after")
    if not outcome["success"]:
        log = f"{outcome.get('error', '')}\n{outcome.get('log', '')}"
        result.status, result.detail = "error", _last_error_line(log)
        result.cells = zero_cells(request["grade_cells"], result.detail)
        return {**result.to_dict(), "seconds": time.monotonic() - started}
    autograded = work / "autograded" / request["student_id"] / request["assignment"] / request["notebook_name"]
    executed = nbformat.read(autograded, as_version=4)
    result.cell_seconds = execution_seconds(executed)
    breakdown = {**cell_breakdown(executed, {SEED_CELL, LEDGER_CELL}),
                 "skipped": len(skipped.originals)}
    skipped.restore(executed)  # feedback shows each skipped cell's source, "not run during grading"
    ledger_cell = strip_course_cells(executed)
    autograded.chmod(0o644)  # nbgrader leaves it read-only (444): only root could rewrite it
    nbformat.write(executed, autograded)  # what feedback is made from
    unproven = verify_ledger(executed, ledger_cell)
    messages, timed_out, died, limit = cell_messages(executed)
    if died:  # the ledger cell never ran: nothing to verify against
        unproven = []
    result.cells = score_cells(executed, work, request, messages, unproven)
    for cell in result.cells:
        if "tampering detected" in cell.message:
            result.flags.append(f"{cell.grade_id}: {cell.message.split('tampering detected: ', 1)[-1]}")
    if died:
        cause = f"after {limit}" if limit else "(os._exit, a segfault, or a CPU, memory or process limit)"
        result.status = "crashed"
        result.detail = f"the kernel died in {died} {cause}; the checks before it kept their points"
    elif timed_out:
        result.status = "timeout"
        result.detail = f"a cell ran longer than {limits.cell_timeout_s} s and was interrupted"
    elif result.flags:
        result.status, result.detail = "tampered", "; ".join(result.flags)
    if limit and not result.detail:
        result.detail = limit
    graded = time.monotonic()
    clock.lap("scoring")
    if request["sandbox"] and host is None:
        remove_tree(work / "kernel")  # the cold kernel's folder: nothing of it stays behind
    feedback = api.generate_feedback(request["assignment"], request["student_id"], force=True)
    if not feedback["success"]:
        result.detail = (result.detail + "; " if result.detail else "") + "no feedback generated"
    clock.lap("feedback")
    result.phases = {**clock.phases, **breakdown}
    print(f"timing {request['student_id']}: prepare {prepared - started:.2f} s, autograde "
          f"{graded - prepared:.2f} s (cells {result.cell_seconds:.2f} s), feedback "
          f"{time.monotonic() - graded:.2f} s", file=sys.stderr, flush=True)
    return {**result.to_dict(), "seconds": time.monotonic() - started}


def _last_error_line(log: str) -> str:
    """The most telling line of nbgrader's log: the last `SomethingError: message`, if any."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit): ", line)]
    return (errors or lines or ["unknown error"])[-1][:300]


def main(argv: list[str] | None = None) -> int:
    request_path, result_path = (argv or sys.argv[1:])[:2]
    request = json.loads(Path(request_path).read_text())
    Path(result_path).write_text(json.dumps(grade_unit(request)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
