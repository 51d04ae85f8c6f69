"""grade's side of the grading daemon (daemon.py): lease its warm workers, start it when needed.

`kept_warm` gives grade.py one `DaemonRunner` per pool slot (used like a local worker.Worker), or
nothing when no daemon can serve, so that grade starts workers of its own. A daemon is started
(detached, one per user and environment, under a lock) when none answers, or when the one that
answers runs other code or worker settings: that one steps aside and exits once its leases are back.
"""

from __future__ import annotations

import fcntl
import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..errors import GraderError
from .daemon import DaemonUnavailable, fingerprint, private_folder, socket_path

logger = logging.getLogger(__name__)

START_TIMEOUT_S = 30


class DaemonRunner:
    """One leased warm worker of the daemon; used by grade.py like a local Worker."""

    def __init__(self, limits: dict, sandbox: bool, idle_s: float, own: str):
        for _ in range(3):  # a daemon may step aside or close between connecting and leasing
            self.sock = _connect(own, idle_s)
            self.stream = self.sock.makefile("rwb")
            reply = self._ask({"op": "lease", "fingerprint": own, "limits": limits, "sandbox": sandbox,
                               "idle": idle_s})
            if reply.get("ok"):
                self.uid, self.warm = reply["uid"], reply["warm"]
                return
            self.stop()
            time.sleep(0.1)
        raise DaemonUnavailable(f"the grading daemon refused a worker: {reply.get('why') or reply.get('error')}")

    def _ask(self, message: dict) -> dict:
        self.stream.write((json.dumps(message) + "\n").encode())
        self.stream.flush()
        line = self.stream.readline()
        if not line:
            raise GraderError("the grading daemon closed the connection (see its log in "
                               f"{private_folder()})")
        return json.loads(line)

    def run(self, request, work: Path, timeout: float):
        """As worker.Worker.run, in the daemon's worker."""
        from ..engine.worker import GRADE_RESULT, read_result

        done = self._job({"op": "run", "request": request.to_dict(), "work": str(work), "timeout": timeout})
        return read_result(work / GRADE_RESULT, "grading worker") if done else None

    def validate(self, notebook: Path, work: Path, cell_timeout: int, timeout: float) -> Path | None:
        """As worker.Worker.validate, in the daemon's worker."""
        from ..engine.worker import VALIDATE_REPORT

        done = self._job({"op": "validate", "notebook": str(notebook), "work": str(work),
                          "cell_timeout": cell_timeout, "timeout": timeout})
        return work / VALIDATE_REPORT if done else None

    def _job(self, message: dict) -> bool:
        """Have the worker do one job; False when it ran past its timeout (WorkerDied if it died)."""
        from ..engine.worker import WorkerDied

        reply = self._ask(message)
        if reply.get("error"):
            raise WorkerDied(reply["error"])
        return bool(reply.get("done"))

    def stop(self) -> None:
        """Give the worker back (it stays warm in the daemon)."""
        for closing in (getattr(self, "stream", None), self.sock):
            try:
                closing.close()
            except (OSError, AttributeError):
                pass


def _connect(own: str, idle_s: float) -> socket.socket:
    """A connection to a daemon with this code, started if there is none (or a stale one)."""
    path = socket_path()
    for attempt in range(2):
        sock = _try_connect(path)
        if sock is not None:
            if attempt or _current(sock, own):
                return sock
            sock.close()  # stale: it has freed the socket; start ours
        with open(path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one client starts the daemon, the others wait
            sock = _try_connect(path)
            if sock is None:
                _start(path, idle_s)
                sock = _wait_for(path)
            if _current(sock, own):
                return sock
            sock.close()
    raise DaemonUnavailable("could not reach a grading daemon with this code")


def _current(sock: socket.socket, own: str) -> bool:
    with sock.makefile("rwb") as stream:  # closing the file leaves the socket open
        stream.write(b'{"op": "status"}\n')
        stream.flush()
        line = stream.readline()
        current = bool(line) and json.loads(line).get("fingerprint") == own
        if not current and line:  # a lease with our fingerprint makes a stale daemon step aside
            stream.write((json.dumps({"op": "lease", "fingerprint": own}) + "\n").encode())
            stream.flush()
            stream.readline()
    return current


def _try_connect(path: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.connect(str(path))
        return sock
    except OSError:
        sock.close()
        return None


def _start(path: Path, idle_s: float) -> None:
    log = open(path.with_suffix(".log"), "ab")
    subprocess.Popen([sys.executable, "-m", "autograder.flows.daemon", str(idle_s)], stdin=subprocess.DEVNULL,
                     stdout=log, stderr=log, start_new_session=True, cwd="/")
    log.close()


def _wait_for(path: Path) -> socket.socket:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        sock = _try_connect(path)
        if sock is not None:
            return sock
        time.sleep(0.05)
    raise DaemonUnavailable(f"the grading daemon did not start (see {path.with_suffix('.log')})")


def lease_workers(count: int, limits: dict, sandbox: bool, idle_s: float) -> list[DaemonRunner]:
    """`count` warm workers of this user's daemon (started if needed); all or none."""
    own, runners = fingerprint(), []
    try:
        for _ in range(count):
            runners.append(DaemonRunner(limits, sandbox, idle_s, own))
    except (GraderError, OSError, ValueError, RuntimeError) as error:  # DaemonUnavailable too
        for runner in runners:
            runner.stop()
        raise DaemonUnavailable(str(error)) from None
    return runners


def kept_warm(count: int, limits: dict, sandbox: bool, idle_s: float) -> list[DaemonRunner]:
    """Like lease_workers, or [] (with a warning) when no daemon can serve: grade starts local workers."""
    try:
        return lease_workers(count, limits, sandbox, idle_s)
    except DaemonUnavailable as error:
        logger.warning("no warm workers kept between runs (%s): using workers of this run only", error)
        return []


def daemon_status() -> dict | None:
    """What this user's daemon for this environment says of itself (daemon.py's status), or None."""
    sock = _try_connect(socket_path())
    if sock is None:
        return None
    with sock, sock.makefile("rwb") as stream:
        stream.write(b'{"op": "status"}\n')
        stream.flush()
        line = stream.readline()
    return json.loads(line) if line else None


def stop_daemon() -> bool:
    """Stop this user's daemon for this environment; False if none was running."""
    try:
        sock = _try_connect(socket_path())
    except DaemonUnavailable:
        return False
    if sock is None:
        return False
    with sock, sock.makefile("rwb") as stream:
        stream.write(b'{"op": "stop"}\n')
        stream.flush()
        stream.readline()
    return True
