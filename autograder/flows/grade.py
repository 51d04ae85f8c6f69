"""Grade a folder (or .zip) of submissions: one isolated unit per notebook, run in parallel (pool.py)."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import replace
from pathlib import Path

from ..config import Limits, assignments, course_config
from ..engine.sandbox import check_available
from ..engine.templates import grade_cells
from ..inputs.intake import Intake, IntakeError, take_in
from ..inputs.roster import known_identities, read_roster, save_roster
from ..outputs.export import write_outputs
from ..results import SubmissionResult
from .batch import FILES_CSV, ClassOptions, Plan, check_selection, complete, plan, write_files_csv
from .pool import Pool

logger = logging.getLogger(__name__)


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


def _merge(root: Path, out: Path, results: list[SubmissionResult], force: bool, roster: dict,
           due) -> None:
    from ..outputs.gradebook import GradebookError, merge_results

    try:
        report = merge_results(root, out, results, force=force, roster=roster, due=due)
    except GradebookError as error:  # the grades are written; say why formgrader lacks them
        logger.warning("not merged into nbgrader's gradebook: %s", error)
        return
    logger.info("nbgrader's gradebook: %s", report.summary())


