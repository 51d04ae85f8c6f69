"""Grade a folder (or .zip) of submissions: one isolated unit per notebook, run in parallel."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .batch import FILES_CSV, ClassOptions, Plan, check_selection, complete, plan, write_files_csv
from ..inputs.collect import Submission
from ..config import assignments, course_config
from ..outputs.export import write_outputs
from ..inputs.intake import Intake, IntakeError, take_in
from ..outputs.progress import Progress
from ..results import Status, SubmissionResult, UnitRequest, zero_cells
from .reuse import record_path, save, submission_digest
from ..inputs.roster import known_identities, read_roster, save_roster
from ..engine.sandbox import FIRST_SANDBOX_UID, Limits, check_available
from ..engine.templates import Template, cached_template, flat_cells, notebook_cells
from ..engine.worker import ColdRunner, Worker

if TYPE_CHECKING:
    from ..engine.cluster import DaskRunner

logger = logging.getLogger(__name__)


@dataclass
class Slot:
    """One pool slot: its sandbox uid and what runs its units."""

    uid: int
    runner: Worker | ColdRunner | DaskRunner


def grade_cells(root: Path, assignment: str) -> dict[str, float]:
    """The assignment's graded cells (results.cell_key -> points), in notebook order (from source/)."""
    return flat_cells(notebook_cells(root / "source" / assignment))


def grade(*, submissions: Path, out: Path, root: Path, workers: int | None = None,
          limits: Limits = Limits(), sandbox: bool = True, warm: bool = True,
          dask: str | None = None, progress: bool = True, gradebook: bool = False,
          force_gradebook: bool = False, options: ClassOptions = ClassOptions(), run_all: bool = False,
          keep_warm: float = 0.0) -> list[SubmissionResult]:
    """Grade every submission under `submissions`; write grades, feedback and the report to `out`.

    Units run on a local pool of `workers` slots (default: all cores), each a warm worker
    (`warm`) or a fresh process per unit, or on the Dask cluster at `dask`. A unit finished in an
    earlier run into the same `out` is reused when nothing it depends on changed (reuse.py), so
    an interrupted batch resumes where it stopped. `options`: intake, roster, due date, late
    policy, selection (batch.ClassOptions). With `gradebook`, the results are also merged into
    the course's nbgrader gradebook (see gradebook.py). Cells tagged skip-when-grading are not
    run unless `run_all` (see skipping.py). With `keep_warm` (minutes), warm workers come from this
    user's grading daemon and stay ready for the next run (daemon.py).
    """
    if sandbox and not dask:
        check_available()  # on a cluster, each worker checks its own machine
    out, root = Path(out), Path(root)
    roster = read_roster(options.roster) if options.roster else {}
    options = course_defaults(root, options)
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch_name:
        scratch = Path(scratch_name)
        intake = _take_in(Path(submissions), root, scratch, out, options, roster)
        check_selection(options, intake, roster, assignments(root))
        todo = plan(intake, out, root, options, {"limits": limits.to_dict(), "sandbox": sandbox})
        pool = Pool(root, scratch, out, limits, sandbox, warm, dask, workers, progress, run_all, keep_warm)
        fresh = pool.run(todo.to_grade)
        results = complete(todo.reused + fresh, intake, roster, options, lambda a: grade_cells(root, a))
        cells = {a: grade_cells(root, a) for a in sorted({r.assignment for r in results if r.assignment})}
        write_outputs(out, results, cells, options.bom)
        write_files_csv(out, intake, todo, results, options.bom)
        save_roster(out, roster)
        if gradebook:  # inside: files unpacked from a .zip still exist
            _merge(root, out, results, force_gradebook, roster, options.due)
    return results


def course_defaults(root: Path, options: ClassOptions) -> ClassOptions:
    """What the options leave open, as the course's nbgrader setup says: its late-penalty plugin
    (nbgrader_config.py) and each assignment's due date (its gradebook)."""
    from nbgrader.coursedir import CourseDirectory

    from ..inputs.late import course_due_dates, course_policy

    policy = options.late_policy if options.late_policy is not None else course_policy(root)
    dues = () if options.due else tuple(course_due_dates(CourseDirectory(config=course_config(root)).db_url).items())
    return replace(options, late_policy=policy, due_dates=dues)


def _take_in(submissions: Path, root: Path, scratch: Path, out: Path, options: ClassOptions,
             roster: dict) -> Intake:
    """The input's submissions; when nothing can be graded, files.csv says why for each file."""
    try:
        names = {a: sorted(p.name for p in (root / "source" / a).glob("*.ipynb")) for a in assignments(root)}
        return take_in(submissions, assignments(root), scratch, options.intake, known_identities(roster), names)
    except IntakeError as error:
        if error.intake is not None and (error.intake.listed or error.intake.submissions):
            out.mkdir(parents=True, exist_ok=True)
            write_files_csv(out, error.intake, Plan(), [], options.bom)
            raise IntakeError(f"{error} (each file's reason: {out / FILES_CSV})") from None
        raise


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


def _merge(root: Path, out: Path, results: list[SubmissionResult], force: bool, roster: dict,
           due) -> None:
    from ..outputs.gradebook import GradebookError, merge_results

    try:
        report = merge_results(root, out, results, force=force, roster=roster, due=due)
    except GradebookError as error:  # the grades are written; say why formgrader lacks them
        logger.warning("not merged into nbgrader's gradebook: %s", error)
        return
    logger.info("nbgrader's gradebook: %s", report.summary())


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
