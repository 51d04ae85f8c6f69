"""Grade a folder (or .zip) of submissions: one isolated unit per notebook, run in parallel."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .collect import Submission, discover
from .config import assignments, course_config
from .export import write_outputs
from .release import ReleaseError, venv_on_path
from .results import ResultError, SubmissionResult, zero_cells
from .sandbox import FIRST_SANDBOX_UID, Limits, check_available

logger = logging.getLogger(__name__)

UNITS_DIR = ".units"  #: OUT/.units/<student>__<assignment>.json: finished units, for resuming


@dataclass(frozen=True)
class Template:
    """A released assignment in a private course folder, with its gradebook, ready to copy."""

    assignment: str
    folder: Path
    notebook_name: str
    grade_cells: dict[str, float]  #: grade_id -> points, in notebook order


def build_template(root: Path, assignment: str, folder: Path) -> Template:
    """Copy source/<assignment> into `folder` and let nbgrader record its cells in a gradebook."""
    from nbgrader.apps import NbGraderAPI

    shutil.copytree(root / "source" / assignment, folder / "source" / assignment)
    venv_on_path()
    outcome = NbGraderAPI(config=course_config(folder, private=True)).generate_assignment(assignment, force=True)
    if not outcome["success"]:
        raise ReleaseError(f"cannot prepare {assignment}: {outcome.get('error', '')}")
    notebooks = sorted((folder / "source" / assignment).glob("*.ipynb"))
    nb = nbformat.read(notebooks[0], as_version=4)
    grade_cells = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
                   for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    return Template(assignment, folder, notebooks[0].name, grade_cells)


def grade(*, submissions: Path, out: Path, root: Path, workers: int | None = None,
          limits: Limits = Limits(), sandbox: bool = True) -> list[SubmissionResult]:
    """Grade every submission under `submissions`; write grades.csv, results.json and feedback to `out`.

    Units already finished in an earlier run into the same `out` (same student, assignment and
    file content) are reused, so an interrupted batch resumes where it stopped.
    """
    if sandbox:
        check_available()
    workers = workers or os.cpu_count() or 1
    out = Path(out)
    (out / UNITS_DIR).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch_name:
        scratch = Path(scratch_name)
        found = discover(Path(submissions), assignments(root), scratch)
        needed = sorted({s.assignment for s in found if s.assignment})
        templates = {a: build_template(root, a, scratch / "templates" / a) for a in needed}
        logger.info("grading %d submission(s) with %d worker(s)%s", len(found), workers,
                    "" if sandbox else " WITHOUT a sandbox")
        uids: queue.Queue = queue.Queue()
        for slot in range(workers):
            uids.put(FIRST_SANDBOX_UID + slot)
        results = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_grade_or_reuse, s, templates, scratch, out, limits, sandbox, uids)
                       for s in found]
            for done, future in enumerate(as_completed(futures), start=1):
                result = future.result()
                results.append(result)
                logger.info("graded %s %s: %g/%g %s (%d/%d)", result.student_id, result.assignment,
                            result.score, result.max_score, result.status, done, len(found))
    results.sort(key=lambda r: (r.assignment, r.student_id))
    write_outputs(out, results, [templates[a].grade_cells for a in sorted(templates)])
    return results


def _digest(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.is_file() else ""


def _grade_or_reuse(submission: Submission, templates, scratch: Path, out: Path, limits: Limits,
                    sandbox: bool, uids: queue.Queue) -> SubmissionResult:
    """A finished unit from an earlier run, or a fresh grading; the record is written atomically."""
    record = out / UNITS_DIR / f"{submission.student_id}__{submission.assignment or 'unknown'}.json"
    digest = _digest(submission.path)
    if record.exists():
        try:
            previous = SubmissionResult.from_dict(json.loads(record.read_text()))
            if previous.digest == digest:
                return previous
        except (ValueError, ResultError):
            pass  # unreadable record (killed while writing is impossible: rename is atomic)
    uid = uids.get()
    try:
        result = _grade_one(submission, templates, scratch, out, limits, sandbox, uid)
    finally:
        uids.put(uid)
    result.digest = digest
    partial = record.with_suffix(".tmp")
    partial.write_text(json.dumps(result.to_dict()))
    partial.replace(record)
    return result


def _grade_one(submission: Submission, templates: dict[str, Template], scratch: Path, out: Path,
               limits: Limits, sandbox: bool, uid: int) -> SubmissionResult:
    """Grade one submission; never raises: any failure becomes the result's status."""
    template = templates.get(submission.assignment)
    grade_cells = template.grade_cells if template else {}
    if submission.problem:
        status, _, detail = submission.problem.partition(": ")
        return SubmissionResult(submission.student_id, submission.assignment, status, detail,
                                zero_cells(grade_cells, detail), source=str(submission.path or ""))
    work = scratch / "units" / f"{submission.student_id}__{submission.assignment}"
    work.mkdir(parents=True)
    request = {"template": str(template.folder), "assignment": submission.assignment,
               "notebook_name": template.notebook_name, "student_id": submission.student_id,
               "submission": str(submission.path.resolve()), "work": str(work / "course"),
               "grade_cells": grade_cells, "limits": limits.to_dict(), "sandbox": sandbox, "uid": uid}
    started = time.monotonic()
    try:
        result = _run_unit(request, work, limits.notebook_timeout_s)
    except Exception as error:  # the grader itself failed on this one: report, go on
        logger.exception("unit for %s failed", submission.student_id)
        result = SubmissionResult(submission.student_id, submission.assignment, "error",
                                  f"grader failure: {error}", zero_cells(grade_cells, str(error)))
    result.seconds = time.monotonic() - started
    result.source = str(submission.path)
    _collect_files(work / "course", out, submission, template.notebook_name)
    return result


def _run_unit(request: dict, work: Path, notebook_timeout: int) -> SubmissionResult:
    request_path, result_path, log_path = work / "request.json", work / "result.json", work / "unit.log"
    request_path.write_text(json.dumps(request))
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "autograder.unit", str(request_path),
                                    str(result_path)], stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            process.wait(timeout=notebook_timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the unit and its kernel
            process.wait()
            detail = f"the notebook took longer than {notebook_timeout} s in all"
            return SubmissionResult(request["student_id"], request["assignment"], "timeout", detail,
                                    zero_cells(request["grade_cells"], detail))
    if process.returncode != 0 or not result_path.exists():
        tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"grading unit exited with code {process.returncode}: {tail[0][:300]}")
    try:
        return SubmissionResult.from_dict(json.loads(result_path.read_text()))
    except (ValueError, ResultError) as error:
        raise RuntimeError(f"grading unit returned an unusable result: {error}") from None


def _collect_files(course: Path, out: Path, submission: Submission, notebook_name: str) -> None:
    """Copy the unit's feedback HTML and autograded notebook into `out`."""
    html_name = Path(notebook_name).with_suffix(".html").name
    for kind, name in (("feedback", html_name), ("autograded", notebook_name)):
        source = course / kind / submission.student_id / submission.assignment / name
        if source.exists():
            target = out / kind / submission.student_id / submission.assignment / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
