"""The warm worker's side (in its own process): the loop that grades one request after another.

    python -m autograder.engine.worker_main CONFIG_JSON      (started by `worker.Worker`, never by hand)

Jobs arrive one per line on stdin ({"request": path of a UnitRequest JSON written by the parent,
"result": where to write the result}, or {"validate": {"notebook": path, "cell_timeout": s},
"result": ...} for `validate --quick`); each reply is one line on stdout naming the result file.
The worker keeps a `warm.KernelHost` (a zygote in its sandbox), the trusted checks with torch
imported, nbconvert's renderings of cells it has seen (fastpages.py) and nbgrader's metadata
validator (fastnbgrader.py). worker.py holds the parent's handle, as warm.py does for zygote.py.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from functools import partial
from pathlib import Path

from ..results import UnitRequest


def _started_host(config: dict, host):
    """The worker's zygote, (re)started if needed; None without a sandbox (or not alive when it
    could not start: the submission then gets a cold sandboxed kernel)."""
    from ..config import Limits
    from .warm import KernelHost, ZygoteError

    if not config["sandbox"] or (host is not None and host.alive()):
        return host
    host = KernelHost(Path(config["kernel_root"]), Limits(**config["limits"]), config["uid"], Path(config["log"]))
    try:
        print(f"warm kernel factory ready in {host.start():.1f} s", file=sys.stderr, flush=True)
    except ZygoteError as error:
        print(f"warm kernel factory failed: {error}", file=sys.stderr, flush=True)
        host.close()
    return host


def _import_grading() -> None:
    """What grading a unit imports, so that a worker's first submission does not pay for it."""
    importlib.import_module("autograder.engine.unit")
    from .kernel import trusted_checks

    trusted_checks()


def _grade(job: dict, host, config: dict) -> dict:
    """Grade the request the parent wrote, in a kernel forked from `host` (None: a cold sandboxed kernel)."""
    from .unit import grade_unit

    request = UnitRequest.from_dict(json.loads(Path(job["request"]).read_text()))
    request = request.with_changes(uid=config["uid"])  # this worker's sandbox uid, whoever sent it
    if os.environ.get("DLCOURSE_PROFILE_UNITS"):  # benchmarks: where a unit's time goes
        import cProfile
        profile = cProfile.Profile()
        result = profile.runcall(grade_unit, request, host)
        profile.dump_stats(Path(os.environ["DLCOURSE_PROFILE_UNITS"]) / f"{request.student_id}.prof")
        return result
    return grade_unit(request, host)


def _validate(job: dict, host, config: dict) -> dict:
    """`validate --quick` of a student's notebook in a kernel forked from the zygote (with torch & co.
    imported): the executed notebook, or why it could not run."""
    from .validation import run_notebook
    from .warm import ZygoteError

    run = partial(run_notebook, Path(job["notebook"]), cell_timeout=int(job["cell_timeout"]), quick=True)
    try:
        try:
            nb = run(host=host, uid=config["uid"], limits=config["limits"])
        except ZygoteError as error:  # the zygote is gone: the student still gets an answer
            print(f"validate in a fresh kernel: {error}", file=sys.stderr, flush=True)
            nb = run()
    except Exception as error:  # noqa: BLE001 - said to the student, the worker keeps serving
        return {"error": f"{type(error).__name__}: {error}"[:500]}
    return {"notebook": nb}


def serve(config: dict) -> int:
    """The worker's loop (in the worker process)."""
    from concurrent.futures import ThreadPoolExecutor

    from .warm import ZygoteError

    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # nbgrader's prints go to the log, never into the replies
    with ThreadPoolExecutor(1) as importer:  # nbgrader, torch & the checks while the zygote imports its own
        imported = importer.submit(_import_grading)
        host = _started_host(config, None)  # in this thread: bwrap dies with the thread that started it
        imported.result()
    from .fastnbgrader import validate_metadata_once_per_schema
    from .fastpages import render_each_cell_once, skip_needless_soup

    skip_needless_soup()
    render_each_cell_once()
    validate_metadata_once_per_schema()
    for line in sys.stdin:
        job = json.loads(line)
        host = _started_host(config, host)
        warm = host is not None and host.alive()
        try:
            if "validate" in job:
                result = _validate(job["validate"], host if warm else None, config)
            else:
                result = _grade(job, host if warm else None, config)
        finally:
            if warm:
                try:
                    host.finish_unit()
                except ZygoteError as error:  # closed: a fresh one for the next submission
                    print(f"warm kernel factory discarded: {error}", file=sys.stderr, flush=True)
        Path(job["result"]).write_text(json.dumps(result))
        replies.write(job["result"] + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(serve(json.loads(sys.argv[1])))
