"""Command line: `python -m autograder {release,grade,export,gradescope,validate,stop,solutions,translate}` (also `dlcourse-grade`).

Exit codes: 0 the command completed (a submission that scored 0 is still a completed batch),
1 the run failed (or, for validate, a check failed), 2 a usage or configuration error.
`-v` (before or after the command) shows progress lines, `-vv` also debug lines, nbgrader's own
log and the traceback of an error.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from pathlib import Path

from . import __version__
from .errors import GraderError

logger = logging.getLogger("autograder")


def _release(args) -> int:
    from .config import find_course_root
    from .flows.release import release

    from .flows.translate import LANGUAGES, build

    root = find_course_root(args.root)
    ids = release(root=root, assignment_ids=args.assignments or None)
    print(f"released {', '.join(ids)} into {root / 'release'}")
    for lang in LANGUAGES:
        editions = build(root, lang, only="release")
        print(f"built {len(editions)} {lang} edition(s): release/<id>/{lang}/<id>.ipynb")
    return 0


def _translate(args) -> int:
    from .config import find_course_root
    from .flows import translate

    root = find_course_root(args.root)
    if args.action == "build":
        editions = translate.build(root, args.lang)
        print(f"built {len(editions)} {args.lang} edition(s), e.g. {editions[0].relative_to(root)}")
        return 0
    chosen = [nb for nb in translate.sources(root) if not args.notebooks or
              any(nb.resolve() == Path(n).resolve() for n in args.notebooks)]
    if args.action in ("skeleton", "stamp"):
        for notebook in chosen:
            print(getattr(translate, args.action)(root, notebook, args.lang).relative_to(root))
        return 0
    found = [p for notebook in chosen for p in translate.problems(root, notebook, args.lang)]
    print("\n".join(found) if found else f"every {args.lang} translation is complete and current")
    return 1 if found else 0


def _grade(args) -> int:
    from .cli_class import class_options
    from .config import course_limits, find_course_root
    from .outputs.export import format_table
    from .flows.grade import grade
    from .config import LIMIT_NAMES

    out, root = Path(args.out), find_course_root(args.root)
    limits = course_limits(root, **{name: getattr(args, name) for name in LIMIT_NAMES
                                    if getattr(args, name) is not None})
    results = grade(submissions=Path(args.submissions), out=out, root=root,
                    workers=args.workers, limits=limits, sandbox=not args.no_sandbox,
                    warm=not args.cold, dask=args.dask, progress=not args.quiet,
                    gradebook=not args.no_gradebook, force_gradebook=args.force_gradebook,
                    options=class_options(args), run_all=args.run_all,
                    keep_warm=args.keep_warm if not args.cold else 0)
    print(format_table(results, symbols=sys.stdout.encoding.lower().startswith("utf")))
    print(f"\n{len(results)} submission(s) graded.\n"
          f"  grades:    {out / 'grades.csv'} (per test), {out / 'grades_totals.csv'} (for an LMS)\n"
          f"  report:    {out / 'report.html'} (also .md and .json)\n"
          f"  details:   {out / 'results.json'}, {out / 'files.csv'} (every input file)\n"
          f"  feedback:  {out / 'feedback'}/<student>/<assignment>/*.html")
    if args.keep_warm > 0 and not (args.cold or args.dask):
        print(f"\nThe grading workers stay warm for {args.keep_warm:g} min for your next run "
              "(python -m autograder stop ends them now).")
    return 0


def _validate(args) -> int:
    from .errors import NotFound
    from .flows.validate import format_outcomes, validate

    path = Path(args.notebook)
    if not path.is_file():
        raise NotFound(f"{path} not found: pass the path of your .ipynb file")
    import nbformat

    from dlcourse.i18n import language_of, localize, notebook_language

    outcomes = validate(path, cell_timeout=args.cell_timeout, quick=args.quick, keep_warm_minutes=args.keep_warm)
    with language_of(notebook_language(nbformat.read(path, as_version=4))):  # the notebook's language
        print(format_outcomes(outcomes))
        if args.quick:
            print(localize("(quick: the demo cells were not run, as when grading; "
                           "validate without --quick runs them too)"))
    return 0 if outcomes and all(o.passed for o in outcomes) else 1


def _solutions(args) -> int:
    from .config import find_course_root
    from .flows.solutions import write_solutions

    root = find_course_root(args.root)
    out = Path(args.out) if args.out else root / "solutions"
    ids = write_solutions(root=root, out=out)
    print(f"wrote the solutions of {', '.join(ids)} (hidden tests removed) into {out}")
    return 0


def _keep_warm_default() -> float:
    import os

    return float(os.environ.get("DLCOURSE_KEEP_WARM", 10))


def _stop(args) -> int:
    from .flows.keepwarm import stop_daemon

    print("stopped the warm grading workers" if stop_daemon() else "no warm grading workers were running")
    return 0


VERBOSE_HELP = "progress lines (-vv: also debug lines, nbgrader's log and tracebacks)"


def build_parser() -> argparse.ArgumentParser:
    from .cli_class import add_class_options, add_commands
    from .config import Limits

    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    # -v after the command too; its own dest, since a sub-command's defaults overwrite the main one's
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("-v", "--verbose", action="count", default=0, dest="verbose_after", help=VERBOSE_HELP)
    commands = parser.add_subparsers(dest="command", required=True)
    add_command = functools.partial(commands.add_parser, parents=[after])

    release = add_command("release", help="regenerate release/ from source/")
    release.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    release.add_argument("--root", default=".", help="the course folder (default: found from here)")
    release.set_defaults(run=_release)

    grade = add_command("grade", help="autograde a folder or .zip of submissions")
    grade.add_argument("submissions", help="<student>/<assignment>/*.ipynb, or flat "
                       "<student>_<assignment>.ipynb files, or a .zip of those")
    grade.add_argument("--out", required=True, help="folder for grades.csv, results.json, feedback/")
    grade.add_argument("--workers", type=int, default=None, help="parallel units (default: all cores)")
    add_limit_flags(grade)
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run student code without isolation, with your permissions (not recommended)")
    grade.add_argument("--dask", metavar="ADDRESS", default=None,
                       help="run the units on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.5:8786); "
                            "its workers need this package (it brings the sandbox's bwrap); --workers caps parallel units")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.add_argument("--no-gradebook", action="store_true",
                       help="do not merge the results into the course's nbgrader gradebook "
                            "(default: merge, so formgrader and `nbgrader export` see them)")
    grade.add_argument("--force-gradebook", action="store_true",
                       help="replace submissions an instructor already graded by hand in the gradebook")
    grade.add_argument("--cold", action="store_true",
                       help="start a fresh grader process and kernel per notebook (slower; default: "
                            "warm workers whose sandboxed kernel factory forks pre-imported kernels)")
    grade.add_argument("--keep-warm", type=float, metavar="MINUTES", default=_keep_warm_default(),
                       help="keep the warm workers this long for the next grade run, in a daemon of "
                            "yours (default 10, or $DLCOURSE_KEEP_WARM; 0: stop them at the end)")
    grade.add_argument("--run-all", action="store_true",
                       help="also run the cells tagged skip-when-grading (slower; the scores are the same)")
    grade.add_argument("--root", default=".", help="the course folder (default: found from here)")
    add_class_options(grade)
    grade.set_defaults(run=_grade)
    add_commands(add_command)

    validate = add_command("validate", help="run a notebook and report every visible check")
    validate.add_argument("notebook", help="the .ipynb file to check")
    cell_timeout = Limits.cell_timeout_s.default_value
    validate.add_argument("--cell-timeout", type=int, default=cell_timeout,
                          help=f"seconds per cell (default {cell_timeout})")
    validate.add_argument("--quick", action="store_true",
                          help="run only what your grade depends on: skip the demo cells, as grading does; "
                               "the run is handed to a warm grading worker with torch & co. imported")
    validate.add_argument("--keep-warm", type=float, metavar="MINUTES", default=_keep_warm_default(),
                          help="with --quick: keep that worker this long for your next validate, in a "
                               "daemon of yours (default 10, or $DLCOURSE_KEEP_WARM; 0: a fresh kernel)")
    validate.set_defaults(run=_validate)

    stop = add_command("stop", help="stop the warm workers kept after grade and validate --quick (--keep-warm)")
    stop.set_defaults(run=_stop)

    translate = add_command("translate", help="translated editions: status, skeleton, build")
    translate.add_argument("action", choices=("status", "skeleton", "stamp", "build"),
                           help="status: what is missing or stale; skeleton: add blocks for new cells; "
                                "stamp: mark the translations current (after updating them); "
                                "build: write notebooks/<lang>/ and release/<id>/<lang>/")
    translate.add_argument("notebooks", nargs="*", help="English notebooks (default: all)")
    translate.add_argument("--lang", default="zh", help="language (default zh)")
    translate.add_argument("--root", default=".", help="the course folder (default: found from here)")
    translate.set_defaults(run=_translate)

    solutions = add_command("solutions", help="write the notebooks with solutions, without hidden tests")
    solutions.add_argument("--out", default=None, help="output folder (default: solutions/ in the course)")
    solutions.add_argument("--root", default=".", help="the course folder (default: found from here)")
    solutions.set_defaults(run=_solutions)
    return parser


def add_limit_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per trait of config.Limits (its `flag` tag and help). A flag left out leaves the
    course's `c.Limits.<name>` in nbgrader_config.py, else the trait's default (config.course_limits)."""
    from .config import LIMIT_NAMES, Limits

    for name in LIMIT_NAMES:
        trait = Limits.class_traits()[name]
        default = trait.default_value
        if name == "cell_timeout_s":
            default = f"the course's Execute.timeout, else {default}"
        parser.add_argument(trait.metadata["flag"], dest=name, type=int, default=None, metavar="N",
                            help=f"{trait.help} (default: c.Limits.{name} in nbgrader_config.py, else {default})")


def configure_logging(verbosity: int) -> None:
    """Warnings only; 1: our progress lines (INFO); 2+: debug, nbgrader's own log included."""
    logging.basicConfig(level=logging.DEBUG if verbosity >= 2 else logging.WARNING,
                        format="%(message)s", stream=sys.stderr)
    logger.setLevel((logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)])
    # nbgrader logs through traitlets' logger, with a handler of its own
    logging.getLogger("traitlets").setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verbosity = args.verbose + args.verbose_after
    configure_logging(verbosity)
    try:
        return args.run(args)
    except Exception as error:  # one line, and the exit code our own errors carry (errors.py)
        if verbosity >= 2:
            raise
        unexpected = type(error).__module__ == "builtins"  # not one of ours: a bug, say which
        print(f"error: {type(error).__name__}: {error} (-vv shows the traceback)" if unexpected
              else f"error: {error}", file=sys.stderr)
        return error.exit_code if isinstance(error, GraderError) else 1
