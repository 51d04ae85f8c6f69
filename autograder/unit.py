"""The grading unit: grade one notebook in a private nbgrader course folder, in its own process.

    python -m autograder.unit REQUEST.json RESULT.json

The parent writes the request, runs this module under a wall-time limit and reads back the
result as plain JSON (validated by `SubmissionResult.from_dict`). Nothing is unpickled.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import nbformat

from .config import course_config
from .feedback import strip_ansi
from .release import venv_on_path
from .results import CellResult, SubmissionResult, zero_cells

TIMEOUT_ERRORS = {"CellTimeoutError", "TimeoutError"}


def prepare(request: dict) -> Path:
    """Lay out work/{gradebook.db, source/<a>/, submitted/<student>/<a>/<nb>.ipynb}; return the copy."""
    work, template = Path(request["work"]), Path(request["template"])
    assignment, student = request["assignment"], request["student_id"]
    (work / "source").mkdir(parents=True, exist_ok=True)
    shutil.copytree(template / "source" / assignment, work / "source" / assignment, dirs_exist_ok=True)
    shutil.copyfile(template / "gradebook.db", work / "gradebook.db")
    target = work / "submitted" / student / assignment / request["notebook_name"]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(request["submission"], target)  # a copy: the student's file is never touched
    return target


def read_notebook(path: Path) -> str:
    """'' if `path` is a readable notebook, else why not (one line)."""
    try:
        text = path.read_bytes().decode("utf-8")
        json.loads(text)
        nbformat.validate(nbformat.reads(text, as_version=4))
    except UnicodeDecodeError:
        return "not a text file (is it really an .ipynb saved from Jupyter?)"
    except json.JSONDecodeError as error:
        return (f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
                "the file may be truncated or edited outside Jupyter")
    except nbformat.ValidationError as error:
        return f"not a valid notebook: {error.message[:200]}"
    except Exception as error:  # nbformat raises several types for malformed files
        return f"not a valid notebook: {type(error).__name__}: {str(error)[:200]}"
    return ""


def cell_messages(autograded: Path) -> tuple[dict[str, str], bool]:
    """Per graded test cell, the last error line ('' if none); and whether any cell timed out."""
    nb = nbformat.read(autograded, as_version=4)
    messages, timed_out = {}, False
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        timed_out |= any(o.ename in TIMEOUT_ERRORS for o in errors)
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            messages[meta["grade_id"]] = (strip_ansi(f"{errors[-1].ename}: {errors[-1].evalue}")
                                          if errors else "")
    return messages, timed_out


def read_grades(work: Path, request: dict) -> list[CellResult]:
    """The scores nbgrader stored, in the assignment's cell order."""
    from nbgrader.api import Gradebook

    notebook = Path(request["notebook_name"]).stem
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gradebook:
        submitted = gradebook.find_submission_notebook(notebook, request["assignment"],
                                                       request["student_id"])
        scores = {g.name: (float(g.score or 0.0), float(g.max_score)) for g in submitted.grades}
    return [CellResult(grade_id, *scores.get(grade_id, (0.0, points)), passed=False)
            for grade_id, points in request["grade_cells"].items()]


def grade_unit(request: dict) -> dict:
    """Grade the submission described by `request`; return a SubmissionResult as a dict."""
    from nbgrader.apps import NbGraderAPI

    started = time.monotonic()
    result = SubmissionResult(request["student_id"], request["assignment"], "ok",
                              source=request["submission"])
    problem = read_notebook(Path(request["submission"]))
    if problem:
        result.status, result.detail = "invalid", problem
        result.cells = zero_cells(request["grade_cells"], problem)
        return {**result.to_dict(), "seconds": time.monotonic() - started}
    prepare(request)
    work = Path(request["work"])
    venv_on_path()
    api = NbGraderAPI(config=course_config(work, request["cell_timeout"], private=True))
    outcome = api.autograde(request["assignment"], request["student_id"], force=True, create=True)
    if not outcome["success"]:
        log = f"{outcome.get('error', '')}\n{outcome.get('log', '')}"
        died = "DeadKernelError" in log or "Kernel died" in log
        result.status = "crashed" if died else "error"
        result.detail = ("the kernel died while running the notebook (os._exit, a segfault or "
                         "running out of memory)" if died else _last_error_line(log))
        result.cells = zero_cells(request["grade_cells"], result.detail)
    else:
        autograded = (work / "autograded" / request["student_id"] / request["assignment"]
                      / request["notebook_name"])
        messages, timed_out = cell_messages(autograded)
        result.cells = read_grades(work, request)
        for cell in result.cells:
            cell.message = messages.get(cell.grade_id, "test cell missing")
            cell.passed = cell.points >= cell.max_points and not cell.message
        if timed_out:
            result.status = "timeout"
            result.detail = f"a cell ran longer than {request['cell_timeout']} s and was interrupted"
        feedback = api.generate_feedback(request["assignment"], request["student_id"], force=True)
        if not feedback["success"]:
            result.detail = (result.detail + "; " if result.detail else "") + "no feedback generated"
    return {**result.to_dict(), "seconds": time.monotonic() - started}


def _last_error_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["unknown error"])[-1][:300]


def main(argv: list[str] | None = None) -> int:
    request_path, result_path = (argv or sys.argv[1:])[:2]
    request = json.loads(Path(request_path).read_text())
    Path(result_path).write_text(json.dumps(grade_unit(request)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
