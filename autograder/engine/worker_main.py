"""The warm worker's side (in its own process): the loop that grades one request after another.

    python -m autograder.engine.worker_main CONFIG_JSON      (started by `worker.Worker`, never by hand)

Requests arrive one per line on stdin ({"request": path of a UnitRequest JSON written by the
parent, "result": where to write the result}); each reply is one line on stdout naming the result
file. The worker keeps a `warm.KernelHost` (a zygote in its sandbox), the trusted checks with torch
imported, nbconvert's renderings of cells it has seen (fastpages.py) and nbgrader's metadata
validator (fastnbgrader.py). worker.py holds the parent's handle, as warm.py does for zygote.py.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
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
    from .unit import grade_unit

    skip_needless_soup()
    render_each_cell_once()
    validate_metadata_once_per_schema()
    for line in sys.stdin:
        paths = json.loads(line)
        request = UnitRequest.from_dict(json.loads(Path(paths["request"]).read_text()))
        request = request.with_changes(uid=config["uid"])  # this worker's sandbox uid, whoever sent it
        host = _started_host(config, host)
        warm = host is not None and host.alive()
        try:
            if os.environ.get("DLCOURSE_PROFILE_UNITS"):  # benchmarks: where a unit's time goes
                import cProfile
                profile = cProfile.Profile()
                result = profile.runcall(grade_unit, request, host if warm else None)
                profile.dump_stats(Path(os.environ["DLCOURSE_PROFILE_UNITS"]) / f"{request.student_id}.prof")
            else:
                result = grade_unit(request, host if warm else None)  # no zygote: a cold sandboxed kernel
        finally:
            if warm:
                try:
                    host.finish_unit()
                except ZygoteError as error:  # closed: a fresh one for the next submission
                    print(f"warm kernel factory discarded: {error}", file=sys.stderr, flush=True)
        Path(paths["result"]).write_text(json.dumps(result))
        replies.write(paths["result"] + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(serve(json.loads(sys.argv[1])))
