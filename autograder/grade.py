"""Grade a folder (or .zip) of submissions: one isolated unit per notebook, run in parallel."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from .collect import Submission, discover
from .config import assignments, course_config
from .export import write_outputs
from .progress import Progress
from .release import ReleaseError, venv_on_path
from .results import ResultError, SubmissionResult, zero_cells
from .sandbox import FIRST_SANDBOX_UID, Limits, check_available
from .templates import cached_template
from .worker import ColdRunner, Worker

if TYPE_CHECKING:
    from .cluster import DaskRunner

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


@dataclass
class Slot:
    """One pool slot: its sandbox uid and what runs its units."""

    uid: int
    runner: Worker | ColdRunner | DaskRunner


def grade(*, submissions: Path, out: Path, root: Path, workers: int | None = None,
          limits: Limits = Limits(), sandbox: bool = True, warm: bool = True,
          dask: str | None = None, progress: bool = True, gradebook: bool = False,
          force_gradebook: bool = False, run_all: bool = False,
          keep_warm: float = 0.0) -> list[SubmissionResult]:
    """Grade every submission under `submissions`; write grades, feedback and the report to `out`.

    Units run on a local pool of `workers` slots (default: all cores), each a warm worker
    (`warm`) or a fresh process per unit, or on the Dask cluster at `dask`. Units already
    finished in an earlier run into the same `out` (same student, assignment and file content)
    are reused, so an interrupted batch resumes where it stopped. With `gradebook`, the results
    are also merged into the course's nbgrader gradebook (see gradebook.py). Cells tagged
    skip-when-grading are not run unless `run_all` (see skipping.py). With `keep_warm` (minutes),
    warm workers come from this user's grading daemon and stay ready for the next run (daemon.py).
    """
    if sandbox and not dask:
        check_available()  # on a cluster, each worker checks its own machine
    out = Path(out)
    (out / UNITS_DIR).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch_name:
        scratch = Path(scratch_name)
        found = discover(Path(submissions), assignments(root), scratch)
        needed = sorted({s.assignment for s in found if s.assignment})
        slots = _slots(scratch, needed, workers, limits, sandbox, warm, dask, keep_warm)
        templates = {a: cached_template(root, a, scratch / "templates" / a) for a in needed}
        if dask:
            _ship_templates(slots, templates)
        logger.info("grading %d submission(s) with %d %s%s", len(found), slots.qsize(),
                    f"Dask thread(s) at {dask}" if dask else "worker(s)" + (" (warm)" if warm else ""),
                    "" if sandbox else " WITHOUT a sandbox")
        bar = Progress(len(found), enabled=progress)
        results = []
        try:
            with ThreadPoolExecutor(max_workers=slots.qsize()) as pool:
                futures = [pool.submit(_grade_or_reuse, s, templates, scratch, out, limits, sandbox, slots,
                                       run_all) for s in found]
                for future in as_completed(futures):
                    result = future.result()
                    results.append(result)
                    bar.update(result)
                    logger.debug("graded %s %s: %g/%g %s in %.1f s", result.student_id, result.assignment,
                                 result.score, result.max_score, result.status, result.seconds)
        finally:
            _close(slots)
        bar.close()
        results.sort(key=lambda r: (r.assignment, r.student_id))
        write_outputs(out, results, {a: templates[a].grade_cells for a in sorted(templates)})
        if gradebook:  # inside: files unpacked from a .zip still exist
            _merge(root, out, results, force_gradebook)
    return results


def _merge(root: Path, out: Path, results: list[SubmissionResult], force: bool) -> None:
    from .gradebook import GradebookError, merge_results

    try:
        report = merge_results(root, out, results, force=force)
    except GradebookError as error:  # the grades are written; say why formgrader lacks them
        logger.warning("not merged into nbgrader's gradebook: %s", error)
        return
    logger.info("nbgrader's gradebook: %s", report.summary())


def _slots(scratch: Path, needed: list[str], workers: int | None, limits: Limits, sandbox: bool,
           warm: bool, dask: str | None, keep_warm: float = 0.0) -> queue.Queue:
    slots: queue.Queue = queue.Queue()
    if dask:
        from .cluster import DaskRunner

        runner = DaskRunner(dask)
        for _ in range(workers or runner.threads()):
            slots.put(Slot(0, runner))
        return slots
    if warm and keep_warm > 0:
        from .keepwarm import kept_warm

        for runner in kept_warm(workers or os.cpu_count() or 1, limits.to_dict(), sandbox, keep_warm * 60):
            slots.put(Slot(runner.uid, runner))
        if not slots.empty():
            return slots
    for index in range(workers or os.cpu_count() or 1):
        uid = FIRST_SANDBOX_UID + index
        if warm:
            runner = Worker(scratch / "workers" / str(index), uid, limits.to_dict(), sandbox)
            runner.start()  # its zygote imports torch & co. while the templates are built
        else:
            runner = ColdRunner()
        slots.put(Slot(uid, runner))
    return slots


def _ship_templates(slots: queue.Queue, templates: dict) -> None:
    slot = slots.get()
    slot.runner.ship(templates)
    slots.put(slot)


def _close(slots: queue.Queue) -> None:
    """Stop every runner once (Dask slots share one)."""
    runners = {}
    while not slots.empty():
        runner = slots.get().runner
        runners[id(runner)] = runner
    for runner in runners.values():
        runner.stop()


def _digest(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.is_file() else ""


def _grade_or_reuse(submission: Submission, templates, scratch: Path, out: Path, limits: Limits,
                    sandbox: bool, slots: queue.Queue, run_all: bool = False) -> SubmissionResult:
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
    slot = slots.get()
    try:
        result = _grade_one(submission, templates, scratch, out, limits, sandbox, slot, run_all)
    finally:
        slots.put(slot)
    result.digest = digest
    partial = record.with_suffix(".tmp")
    partial.write_text(json.dumps(result.to_dict()))
    partial.replace(record)
    return result


def _grade_one(submission: Submission, templates: dict[str, Template], scratch: Path, out: Path,
               limits: Limits, sandbox: bool, slot: Slot, run_all: bool = False) -> SubmissionResult:
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
               "grade_cells": grade_cells, "limits": limits.to_dict(), "sandbox": sandbox, "uid": slot.uid,
               "run_all": run_all}
    started = time.monotonic()
    try:
        result = slot.runner.run(request, work, limits.notebook_timeout_s) or _timed_out(request, limits)
    except Exception as error:  # the grader itself failed on this one: report, go on
        logger.exception("unit for %s failed", submission.student_id)
        result = SubmissionResult(submission.student_id, submission.assignment, "error",
                                  f"grader failure: {error}", zero_cells(grade_cells, str(error)))
    result.seconds = time.monotonic() - started
    result.source = str(submission.path)
    _collect_files(work / "course", out, submission, template.notebook_name)
    return result


def _timed_out(request: dict, limits: Limits) -> SubmissionResult:
    detail = f"the notebook took longer than {limits.notebook_timeout_s} s in all"
    return SubmissionResult(request["student_id"], request["assignment"], "timeout", detail,
                            zero_cells(request["grade_cells"], detail))


def _collect_files(course: Path, out: Path, submission: Submission, notebook_name: str) -> None:
    """Copy the unit's feedback HTML and autograded notebook into `out`."""
    html_name = Path(notebook_name).with_suffix(".html").name
    for kind, name in (("feedback", html_name), ("autograded", notebook_name)):
        source = course / kind / submission.student_id / submission.assignment / name
        if source.exists():
            target = out / kind / submission.student_id / submission.assignment / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
