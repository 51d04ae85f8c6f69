"""A warm grading worker: one long-lived process grades many submissions, one at a time.

    python -m autograder.worker CONFIG_JSON      (started by `Worker`, never by hand)

It imports nbgrader once and keeps a `warm.KernelHost` (a zygote in this worker's sandbox), so
a submission costs neither a Python start, nor nbgrader's imports, nor a kernel start, nor
importing torch. Requests arrive one per line on stdin ({"request": path of a UnitRequest JSON
written by the parent, "result": where to write the result}); each reply is one line on stdout naming the result file. The parent
enforces the notebook's wall-time limit by killing the worker's process group (sandbox included)
and starts a fresh worker for the next submission.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

from .errors import GraderError
from .results import ResultError, SubmissionResult, UnitRequest


def read_result(path: Path, who: str) -> SubmissionResult:
    """The result record a grading process wrote to `path` (plain JSON, validated; never unpickled)."""
    try:
        return SubmissionResult.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, ResultError) as error:
        raise GraderError(f"{who} returned an unusable result: {error}") from None


class ColdRunner:
    """`--cold`: a fresh `python -m autograder.unit` process, and kernel, per submission."""

    def run(self, request: UnitRequest, work: Path, timeout: float) -> SubmissionResult | None:
        """Grade one request; None when it ran past `timeout` (the unit and its kernel were killed)."""
        request_path, result_path, log_path = work / "request.json", work / "result.json", work / "unit.log"
        request_path.write_text(json.dumps(request.to_dict()))
        with open(log_path, "w") as log:
            process = subprocess.Popen([sys.executable, "-m", "autograder.unit", str(request_path),
                                        str(result_path)], stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return None
        if process.returncode != 0 or not result_path.exists():
            tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise GraderError(f"grading unit exited with code {process.returncode}: {tail[0][:300]}")
        return read_result(result_path, "grading unit")

    def stop(self) -> None:
        """Nothing outlives a unit."""


class WorkerDied(GraderError, RuntimeError):
    """The worker process ended without answering (its log's last line says why)."""


class Worker:
    """The parent's handle on one warm worker process (one per pool slot or Dask worker)."""

    def __init__(self, home: Path, uid: int | None, limits: dict, sandbox: bool):
        self.home = Path(home)  #: private folder: the worker's log and its sandbox root
        self.config = {"kernel_root": str(self.home / "sandbox"), "uid": uid, "limits": limits,
                       "sandbox": sandbox, "log": str(self.home / "zygote.log")}
        self.process: subprocess.Popen | None = None
        self.starts = 0  #: processes started so far (the daemon's status reports it)

    def _start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / "worker.log", "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "autograder.worker", json.dumps(self.config)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                            text=True, bufsize=1, start_new_session=True)
        self.starts += 1

    def start(self) -> None:
        """Start the worker now (it starts its zygote at once) rather than at its first request."""
        if self.process is None or self.process.poll() is not None:
            self._start()

    def run(self, request: UnitRequest, work: Path, timeout: float) -> SubmissionResult | None:
        """Grade one request; None when it ran past `timeout` (the worker was killed)."""
        self.start()
        request_path, result_path = work / "request.json", work / "result.json"
        request_path.write_text(json.dumps(request.to_dict()))
        try:
            self.process.stdin.write(json.dumps({"request": str(request_path), "result": str(result_path)}) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.stop()
            raise WorkerDied(self._log_tail()) from None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.stop()
            return None
        if not self.process.stdout.readline():
            self.stop()
            raise WorkerDied(self._log_tail())
        return read_result(result_path, "grading worker")

    def _log_tail(self) -> str:
        lines = (self.home / "worker.log").read_text(errors="replace").strip().splitlines()
        return f"grading worker exited: {(lines or ['no output'])[-1][:300]}"

    def stop(self) -> None:
        """Kill the worker, its zygote and every kernel (one process group, one sandbox)."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None


def cache_templates() -> None:
    """Compile nbconvert's Jinja templates once per worker, not once per feedback page."""
    import jinja2
    from nbconvert.exporters.templateexporter import TemplateExporter

    class MemoryBytecodeCache(jinja2.BytecodeCache):
        def __init__(self):
            self.store: dict[str, bytes] = {}

        def load_bytecode(self, bucket):
            if bucket.key in self.store:
                bucket.bytecode_from_string(self.store[bucket.key])

        def dump_bytecode(self, bucket):
            self.store[bucket.key] = bucket.bytecode_to_string()

    cache, create = MemoryBytecodeCache(), TemplateExporter._create_environment

    def create_cached(self):
        environment = create(self)
        environment.bytecode_cache = cache
        return environment

    TemplateExporter._create_environment = create_cached


def _started_host(config: dict, host):
    """The worker's zygote, (re)started if needed; None without a sandbox (or not alive when it
    could not start: the submission then gets a cold sandboxed kernel)."""
    from .sandbox import Limits
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


def serve(config: dict) -> int:
    """The worker's loop (in the worker process)."""
    from concurrent.futures import ThreadPoolExecutor

    from .warm import ZygoteError

    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # nbgrader's prints go to the log, never into the replies
    with ThreadPoolExecutor(1) as importer:  # nbgrader & co. while the zygote imports torch & co.
        imported = importer.submit(importlib.import_module, "autograder.unit")
        host = _started_host(config, None)  # in this thread: bwrap dies with the thread that started it
        imported.result()
    from .fastpages import render_each_cell_once, skip_needless_soup
    from .unit import grade_unit

    cache_templates()
    skip_needless_soup()
    render_each_cell_once()
    for line in sys.stdin:
        paths = json.loads(line)
        request = UnitRequest.from_dict(json.loads(Path(paths["request"]).read_text()))
        request = request.with_changes(uid=config["uid"])  # this worker's sandbox uid, whoever sent it
        host = _started_host(config, host)
        warm = host is not None and host.alive()
        try:
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
