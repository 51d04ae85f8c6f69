"""The pool that grades a batch's units: one slot per core (a warm or cold worker, with its sandbox
uid) or per Dask thread; each result is saved as soon as it is done (reuse.py)."""

from __future__ import annotations

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

from ..config import Limits
from ..engine.sandbox import FIRST_SANDBOX_UID
from ..engine.templates import Template, cached_template, grade_cells
from ..engine.worker import ColdRunner, Worker
from ..inputs.collect import Submission
from ..outputs.progress import Progress
from ..results import Status, SubmissionResult, UnitRequest, zero_cells
from .reuse import record_path, save, submission_digest

if TYPE_CHECKING:
    from ..engine.cluster import DaskRunner

logger = logging.getLogger(__name__)


@dataclass
class Slot:
    """One pool slot: its sandbox uid and what runs its units."""

    uid: int
    runner: Worker | ColdRunner | DaskRunner


@dataclass
class Pool:
    """Runs units on local warm or cold workers, or on a Dask cluster."""

    root: Path
    scratch: Path
    out: Path
    limits: Limits
    sandbox: bool
    warm: bool
    dask: str | None
    workers: int | None
    progress: bool
    run_all: bool = False       #: run the cells tagged skip-when-grading too
    keep_warm: float = 0.0      #: minutes the daemon keeps the warm workers (0: no daemon)

    def run(self, units: list[tuple[Submission, str]]) -> list[tuple[Submission, SubmissionResult]]:
        """Grade `units` (submission, key); each result is saved as soon as it is done."""
        done = [(s, self._unusable(s, key)) for s, key in units if s.status]
        gradable = [(s, key) for s, key in units if not s.status]
        if not gradable:
            return done
        needed = sorted({s.assignment for s, _ in gradable})
        slots = _slots(self.scratch, needed, self.workers, self.limits, self.sandbox, self.warm, self.dask,
                       self.keep_warm)
        templates = {a: cached_template(self.root, a, self.scratch / "templates" / a) for a in needed}
        if self.dask:
            _ship_templates(slots, templates)
        logger.info("grading %d submission(s) with %d %s%s", len(gradable), slots.qsize(),
                    f"Dask thread(s) at {self.dask}" if self.dask else "worker(s)" + (" (warm)" if self.warm else ""),
                    "" if self.sandbox else " WITHOUT a sandbox")
        bar = Progress(len(gradable), enabled=self.progress)
        try:
            with ThreadPoolExecutor(max_workers=slots.qsize()) as pool:
                futures = {pool.submit(self._grade_and_save, s, key, templates, slots): s for s, key in gradable}
                for future in as_completed(futures):
                    result = future.result()
                    done.append((futures[future], result))
                    bar.update(result)
                    logger.debug("graded %s %s: %g/%g %s in %.1f s", result.student_id, result.assignment,
                                 result.score, result.max_score, result.status, result.seconds)
        finally:
            _close(slots)
        bar.close()
        return done

    def _unusable(self, submission: Submission, key: str) -> SubmissionResult:
        detail = submission.detail
        result = SubmissionResult(submission.student_id, submission.assignment, submission.status, detail,
                                  zero_cells(grade_cells(self.root, submission.assignment) if submission.assignment
                                             else {}, detail), source=str(submission.path or ""), key=key)
        save(record_path(self.out, submission.folder, submission.assignment), result)
        return result

    def _grade_and_save(self, submission: Submission, key: str, templates, slots: queue.Queue) -> SubmissionResult:
        slot = slots.get()
        try:
            result = _grade_one(submission, templates, self.scratch, self.out, self.limits, self.sandbox, slot,
                                self.run_all)
        finally:
            slots.put(slot)
        result.digest, result.key = submission_digest(submission), key
        save(record_path(self.out, submission.folder, submission.assignment), result)
        return result


def _slots(scratch: Path, needed: list[str], workers: int | None, limits: Limits, sandbox: bool,
           warm: bool, dask: str | None, keep_warm: float = 0.0) -> queue.Queue:
    slots: queue.Queue = queue.Queue()
    if dask:
        from ..engine.cluster import DaskRunner

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


def _grade_one(submission: Submission, templates: dict[str, Template], scratch: Path, out: Path,
               limits: Limits, sandbox: bool, slot: Slot, run_all: bool = False) -> SubmissionResult:
    """Grade one submission; never raises: any failure becomes the result's status."""
    template = templates[submission.assignment]
    grade_cells = template.grade_cells
    # not named after the student: nbgrader's sqlite:/// URL of the unit's gradebook would decode a %
    (scratch / "units").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{submission.assignment}-", dir=scratch / "units"))
    # nbgrader files a student under a folder: the unit knows the student by the folder name
    given = dict(submission.notebooks) or {template.notebook_name: submission.path}
    request = UnitRequest(
        template=str(template.folder), assignment=submission.assignment, student_id=submission.folder,
        work=str(work / "course"), submission=str(submission.path.resolve()),
        notebooks=tuple((name, str(given[name].resolve()) if name in given else "") for name in template.notebooks),
        cells=template.notebooks, extra_files=tuple((rel, str(path.resolve())) for rel, path in submission.extra_files),
        limits=limits.to_dict(), sandbox=sandbox, uid=slot.uid, run_all=run_all)
    started = time.monotonic()
    try:
        result = slot.runner.run(request, work, limits.notebook_timeout_s) or _timed_out(request, limits)
    except Exception as error:  # the grader itself failed on this one: report, go on
        logger.exception("unit for %s failed", submission.student_id)
        result = SubmissionResult(submission.student_id, submission.assignment, Status.ERROR,
                                  f"grader failure: {error}", zero_cells(grade_cells, str(error)))
    result.seconds = time.monotonic() - started
    result.student_id, result.folder, result.source = submission.student_id, submission.folder, str(submission.path)
    result.sources = {name: str(path) for name, path in given.items()}
    for name in template.notebooks:
        _collect_files(work / "course", out, submission, name)
    return result


def _timed_out(request: UnitRequest, limits: Limits) -> SubmissionResult:
    detail = f"the notebook took longer than {limits.notebook_timeout_s} s in all"
    return SubmissionResult(request.student_id, request.assignment, Status.TIMEOUT, detail,
                            zero_cells(request.grade_cells, detail))


def _collect_files(course: Path, out: Path, submission: Submission, notebook_name: str) -> None:
    """Copy the unit's feedback HTML and autograded notebook into `out`."""
    html_name = Path(notebook_name).with_suffix(".html").name
    for kind, name in (("feedback", html_name), ("autograded", notebook_name)):
        source = course / kind / submission.folder / submission.assignment / name
        if source.exists():
            target = out / kind / submission.folder / submission.assignment / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
