"""The grading unit: grade one notebook in a private nbgrader course folder, in its own process.

    python -m autograder.engine.unit REQUEST.json RESULT.json

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

from dlcourse.checks import hidden
from dlcourse.checks.protocol import LEDGER_CELL, tampering_in

from ..config import course_config, venv_on_path
from .kernel import GuardedExecute
from .privatedb import write_without_sync
from ..results import CellResult, Status, SubmissionResult, UnitRequest, cell_key, zero_cells
from ..config import Limits
from .sandbox import prepare_scratch, remove_tree
from .sanitize import sanitize
from .scoring import cell_messages, decide_status, execution_seconds, score_cells, uses_ledger, verify_ledger
from .skipping import RESEED, Skipped, skip_cells
from .timing import Clock, cell_breakdown

#: prepended to every submission: identical results when a submission is graded twice; plain
#: tracebacks (IPython's default context mode takes ~85 ms per error, ~2 s for an untouched stub)
SEED_CELL = RESEED + '\nget_ipython().run_line_magic("xmode", "Plain")'
#: appended to a submission whose tests call check helpers: LEDGER_CELL (dlcourse.checks.protocol)


def prepare_course(request: UnitRequest) -> None:
    """Lay out work/{gradebook.db, source/<a>/} and the student's other files in submitted/."""
    work, template = Path(request.work), Path(request.template)
    assignment = request.assignment
    (work / "source").mkdir(parents=True, exist_ok=True)
    shutil.copytree(template / "source" / assignment, work / "source" / assignment, dirs_exist_ok=True)
    shutil.copyfile(template / "gradebook.db", work / "gradebook.db")
    folder = work / "submitted" / request.student_id / assignment
    folder.mkdir(parents=True, exist_ok=True)
    _copy_extra_files(request, folder)


def _copy_extra_files(request: UnitRequest, folder: Path) -> None:
    """The student's non-notebook files (nbgrader's layout), read from the input, copied into `folder`."""
    for relative, path in request.extra_files:
        target = folder / relative
        if Path(path).is_file() and target.resolve().is_relative_to(folder.resolve()):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def prepare(request: UnitRequest, nb, name: str | None = None) -> tuple[list[str], Skipped]:
    """Write the submission `nb` of notebook `name` into work/submitted/<student>/<a>/<name>.

    The submission `nb` (as read from the student's file) has its graded cells restored from the
    official release (see sanitize.py), the cells its grade does not depend on replaced (see
    skipping.py; all run with `run_all`), and is written into the private copy; the student's
    file is never touched. Returns the tampering flags and the skipped cells.
    """
    name = name or request.notebook_name
    work, template = Path(request.work), Path(request.template)
    if not (work / "gradebook.db").is_file():
        prepare_course(request)
    official = nbformat.read(template / "release" / request.assignment / name, as_version=4)
    flags = sanitize(nb, official)
    skipped = skip_cells(nb, official, run_all=request.run_all)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SEED_CELL))
    if uses_ledger(official):
        nb.cells.append(nbformat.v4.new_code_cell(LEDGER_CELL))
    target = work / "submitted" / request.student_id / request.assignment / name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return flags, skipped


def prepare_sandbox(request: UnitRequest, host=None, excluded: tuple[str, ...] = ()) -> Path:
    """The kernel's only writable folder: the student's other files, then the released
    assignment's files over them (not those the course lists in `Autograde.exclude_overwriting`),
    as nbgrader's autograde lays out its folder.

    With a warm `host` (warm.KernelHost) the folder lies in the host's sandbox, whose zygote
    forks the kernel; else a cold kernel starts in a sandbox of its own.
    """
    scratch = host.new_unit() if host is not None else Path(request.work) / "kernel"
    scratch.mkdir(parents=True, exist_ok=True)
    _copy_extra_files(request, scratch)
    release = Path(request.template) / "release" / request.assignment
    kept = {str(Path(e)) for e in excluded}

    def ignore(folder, names):
        relative = Path(folder).relative_to(release)
        return [n for n in names if n.endswith(".ipynb") or str(relative / n) in kept]

    shutil.copytree(release, scratch, ignore=ignore, dirs_exist_ok=True)
    prepare_scratch(scratch, request.uid)  # before any student code runs there
    return scratch


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


def strip_course_cells(nb):
    """Remove the seed and ledger cells added by `prepare`; return the ledger cell (None if absent).

    Feedback then shows only the student's cells, and cell numbers are the student's.
    """
    if nb.cells and nb.cells[0].source == SEED_CELL:
        nb.cells.pop(0)
    return nb.cells.pop() if nb.cells and nb.cells[-1].source == LEDGER_CELL else None


def grade_unit(request: UnitRequest, host=None) -> dict:
    """Grade the submission described by `request` (every notebook of the assignment at once, in
    one nbgrader autograde); return a SubmissionResult as a dict.

    `host`: a started warm.KernelHost whose zygote forks the kernel (see worker.py).
    """
    from nbgrader.apps import NbGraderAPI

    started, clock = time.monotonic(), Clock()
    notebooks, several = request.notebooks, request.several
    result = SubmissionResult(request.student_id, request.assignment, Status.OK,
                              source=request.submission)
    read = {name: read_notebook(Path(path)) if path else (None, "") for name, path in notebooks}
    problems = {name: problem for name, (_, problem) in read.items() if problem}
    present = {name: nb for name, (nb, _) in read.items() if nb is not None}
    if not present:
        problem = "; ".join(f"{name}: {why}" if several else why for name, why in problems.items()) or \
            "no notebook of the assignment was submitted"
        result.status, result.detail = Status.INVALID, problem
        result.cells = zero_cells(request.grade_cells, problem)
        return result.to_dict()
    prepare_course(request)
    hidden.use(Path(request.template) / hidden.PACKAGE)  # the hidden checks, never from the sandbox
    skipped = {}
    for name, nb in present.items():
        flags, skipped[name] = prepare(request, nb, name)
        result.flags += [f"{Path(name).stem}: {flag}" if several else flag for flag in flags]
    limits = Limits(**request.limits)
    work = Path(request.work)
    config = course_config(work, limits.cell_timeout_s, private=True, course=Path(request.template))
    config.GuardedExecute.output_limit_bytes = limits.output_kb * 1024
    if request.sandbox:
        excluded = tuple(config.Autograde.get("exclude_overwriting", {}).get(request.assignment, ()))
        scratch = prepare_sandbox(request, host, excluded)
        config.SandboxedKernelManager.update(scratch=str(scratch), uid=request.uid, limits=request.limits, host=host)
    write_without_sync(work)  # the unit's gradebook is a throwaway copy
    venv_on_path()
    api = NbGraderAPI(config=config)
    prepared = time.monotonic()
    clock.lap("prepare")
    GuardedExecute.check_seconds = 0.0
    outcome = api.autograde(request.assignment, request.student_id, force=True, create=True)
    clock.split("cells", GuardedExecute.marks, "nbgrader_before", "nbgrader_after")
    if not outcome["success"]:
        log = f"{outcome.get('error', '')}\n{outcome.get('log', '')}"
        result.status, result.detail = Status.ERROR, _last_error_line(log)
        result.cells = zero_cells(request.grade_cells, result.detail)
        return result.to_dict()
    breakdown: dict[str, float] = {}
    died, timed_out, limit = "", False, ""
    cells_by_notebook = {}
    for name in present:
        executed, notebook_breakdown, ledger_cell = _finish_notebook(work, request, name, skipped[name])
        result.cell_seconds += execution_seconds(executed)
        breakdown = {k: breakdown.get(k, 0.0) + v for k, v in notebook_breakdown.items()}
        unproven = verify_ledger(executed, ledger_cell)
        messages, notebook_timed_out, notebook_died, notebook_limit = cell_messages(executed)
        if notebook_died:  # the ledger cell never ran: nothing to verify against
            unproven = []
            died = died or (f"{name}, {notebook_died}" if several else notebook_died)
        timed_out = timed_out or notebook_timed_out
        limit = limit or notebook_limit
        cells_by_notebook[name] = score_cells(executed, work, request, messages, unproven, name)
    for name, cells in request.cells.items():
        if name not in present:
            why = f"{name}: {problems[name]}" if name in problems else f"{name} was not submitted"
            cells_by_notebook[name] = [CellResult(cell_key(name, g, several), 0.0, p, False, why)
                                       for g, p in cells.items()]
    breakdown["checks_grader"] = GuardedExecute.check_seconds
    result.cell_seconds += GuardedExecute.check_seconds  # the checks are work the grade depends on
    result.cells = [cell for name in request.cells for cell in cells_by_notebook[name]]
    for cell in result.cells:
        what = tampering_in(cell.message)
        if what is not None:
            result.flags.append(f"{cell.grade_id}: {what}")
    not_graded = [f"{name}: {problems.get(name) or 'not submitted'}" for name in request.cells
                  if name not in present]
    result.status, result.detail = decide_status(died=died, timed_out=timed_out, limit=limit, flags=result.flags,
                                                 not_graded=not_graded, cell_timeout_s=limits.cell_timeout_s)
    graded = time.monotonic()
    clock.lap("scoring")
    if request.sandbox and host is None:
        remove_tree(work / "kernel")  # the cold kernel's folder: nothing of it stays behind
    feedback = api.generate_feedback(request.assignment, request.student_id, force=True)
    if not feedback["success"]:
        result.detail = (result.detail + "; " if result.detail else "") + "no feedback generated"
    clock.lap("feedback")
    result.phases = {**clock.phases, **breakdown}
    print(f"timing {request.student_id}: prepare {prepared - started:.2f} s, autograde "
          f"{graded - prepared:.2f} s (cells {result.cell_seconds:.2f} s), feedback "
          f"{time.monotonic() - graded:.2f} s", file=sys.stderr, flush=True)
    return result.to_dict()


def _finish_notebook(work: Path, request: UnitRequest, name: str, skipped: Skipped):
    """The executed notebook `name` as feedback should show it (skipped cells restored, the
    grader's own cells removed, written back), its seconds per kind of cell, and its ledger cell."""
    autograded = work / "autograded" / request.student_id / request.assignment / name
    executed = nbformat.read(autograded, as_version=4)
    breakdown = {**cell_breakdown(executed, {SEED_CELL, LEDGER_CELL}), "skipped": len(skipped.originals)}
    skipped.restore(executed)  # feedback shows each skipped cell's source, "not run during grading"
    ledger_cell = strip_course_cells(executed)
    autograded.chmod(0o644)  # nbgrader leaves it read-only (444): only root could rewrite it
    nbformat.write(executed, autograded)  # what feedback is made from
    return executed, breakdown, ledger_cell


def _last_error_line(log: str) -> str:
    """The most telling line of nbgrader's log: the last `SomethingError: message`, if any."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit): ", line)]
    return (errors or lines or ["unknown error"])[-1][:300]


def main(argv: list[str] | None = None) -> int:
    request_path, result_path = (argv or sys.argv[1:])[:2]
    request = UnitRequest.from_dict(json.loads(Path(request_path).read_text()))
    Path(result_path).write_text(json.dumps(grade_unit(request)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
