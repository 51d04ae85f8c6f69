"""The parent's handles on grading processes: `ColdRunner` (one unit process per submission) and
`Worker` (one warm worker process, see worker_main.py, grading many submissions in turn).

A warm worker imports nbgrader once and keeps a zygote in its sandbox, so a submission costs
neither a Python start, nor nbgrader's imports, nor a kernel start, nor importing torch. The
parent writes each request (a UnitRequest) as JSON and sends its path and the result's, one JSON
line per request, on the worker's stdin; the worker answers one line on stdout naming the result
file. The parent enforces the notebook's wall-time limit by killing the worker's process group
(sandbox included) and starts a fresh worker for the next submission. A worker also runs
`validate --quick` for a student (a `validate` job: the notebook run in a kernel its zygote forks).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import GraderError
from ..results import ResultError, SubmissionResult, UnitRequest

GRADE_RESULT = "result.json"  #: what a worker writes for a grading request (a SubmissionResult)
VALIDATE_REPORT = "validate.json"  #: what a worker writes for a `validate` job


def read_result(path: Path, who: str) -> SubmissionResult:
    """The result record a grading process wrote to `path` (plain JSON, validated; never unpickled)."""
    try:
        return SubmissionResult.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, ResultError) as error:
        raise GraderError(f"{who} returned an unusable result: {error}") from None


class ColdRunner:
    """`--cold`: a fresh `python -m autograder.engine.unit` process, and kernel, per submission."""

    def run(self, request: UnitRequest, work: Path, timeout: float) -> SubmissionResult | None:
        """Grade one request; None when it ran past `timeout` (the unit and its kernel were killed)."""
        request_path, result_path, log_path = work / "request.json", work / GRADE_RESULT, work / "unit.log"
        request_path.write_text(json.dumps(request.to_dict()))
        with open(log_path, "w") as log:
            process = subprocess.Popen([sys.executable, "-m", "autograder.engine.unit", str(request_path),
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
            self.process = subprocess.Popen([sys.executable, "-m", "autograder.engine.worker_main", json.dumps(self.config)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                            text=True, bufsize=1, start_new_session=True)
        self.starts += 1

    def start(self) -> None:
        """Start the worker now (it starts its zygote at once) rather than at its first request."""
        if self.process is None or self.process.poll() is not None:
            self._start()

    def run(self, request: UnitRequest, work: Path, timeout: float) -> SubmissionResult | None:
        """Grade one request; None when it ran past `timeout` (the worker was killed)."""
        request_path, result_path = work / "request.json", work / GRADE_RESULT
        request_path.write_text(json.dumps(request.to_dict()))
        if not self._ask({"request": str(request_path), "result": str(result_path)}, timeout):
            return None
        return read_result(result_path, "grading worker")

    def validate(self, notebook: Path, work: Path, cell_timeout: int, timeout: float) -> Path | None:
        """Run `notebook` as `validate --quick` does, in a kernel forked from the worker's zygote;
        the path of its report (flows/validate.read_warm_run), or None when it ran past `timeout`."""
        report = work / VALIDATE_REPORT
        job = {"notebook": str(notebook), "cell_timeout": cell_timeout}
        return report if self._ask({"validate": job, "result": str(report)}, timeout) else None

    def _ask(self, job: dict, timeout: float) -> bool:
        """Send one job; True once the worker has answered, False when it ran past `timeout`."""
        self.start()
        try:
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.stop()
            raise WorkerDied(self._log_tail()) from None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.stop()
            return False
        if not self.process.stdout.readline():
            self.stop()
            raise WorkerDied(self._log_tail())
        return True

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
