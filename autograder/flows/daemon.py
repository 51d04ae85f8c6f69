"""Warm workers that outlive a `grade` run: start-up is paid once, not once per run.

    python -m autograder.flows.daemon      (started by `grade` on demand, never by hand)

The daemon owns warm workers (worker.Worker: a grading process and its sandboxed zygote, torch
imported). A `grade` run leases one per pool slot over a Unix socket in a private folder (0700,
checked; peers must have the daemon's uid), sends each request there and reads the result where
the worker wrote it, as with a local worker. Released workers wait for the next run; after
`idle` seconds without a lease the daemon stops them and exits. A daemon whose code or settings
differ from the client's (a fingerprint of the package files and DLCOURSE_* variables) steps
aside: it frees the socket, finishes its leases and exits, and the client starts a fresh one
(keepwarm.py is the client's side).

Protocol, one JSON object per line each way:
  {"op": "lease", "fingerprint": F, "limits": {...}, "sandbox": bool, "idle": S}
      -> {"ok": true, "uid": U, "warm": bool} | {"ok": false, "why": "stale" | text}
  {"op": "run", "request": {...}, "work": PATH, "timeout": S} -> {"done": bool, "error": text | null}
  {"op": "validate", "notebook": PATH, "work": PATH, "cell_timeout": S, "timeout": S} -> the same
      (validate --quick: the worker writes the executed notebook into work, see worker.Worker.validate)
  {"op": "status"} -> {"workers": [...], "fingerprint": F}       {"op": "stop"} -> {"ok": true}
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import socketserver
import stat
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..errors import GraderError
from ..engine.sandbox import FIRST_SANDBOX_UID

logger = logging.getLogger(__name__)

RUNTIME_VARIABLE = "DLCOURSE_RUNTIME_DIR"  #: the private folder (default: $XDG_RUNTIME_DIR or /tmp)
FIRST_DAEMON_SLOT = 200  #: sandbox uids 61200.. (61000.. local pool, 61100.. Dask)
_OWN_SETTINGS = {RUNTIME_VARIABLE, "DLCOURSE_KEEP_WARM", "DLCOURSE_CACHE"}


class DaemonUnavailable(GraderError, RuntimeError):
    """No daemon could be reached or started; the caller grades with local workers."""


def private_folder() -> Path:
    """This user's folder for daemons: created 0700, refused if anyone else could enter it."""
    base = os.environ.get(RUNTIME_VARIABLE) or os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "dlcourse-grader" if base else Path(f"/tmp/dlcourse-grader-{os.getuid()}")
    try:
        folder.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise DaemonUnavailable(f"refusing {folder}: it must be a folder of yours that no one else can enter")
    return folder


def _environment_key() -> str:
    return hashlib.sha256(f"{sys.executable}\n{Path(__file__).parent}".encode()).hexdigest()[:12]


def fingerprint() -> str:
    """Changes when the grader's or the course package's code, Python, or a DLCOURSE_* setting does."""
    digest = hashlib.sha256(sys.executable.encode())
    for package in ("autograder", "dlcourse"):
        root = Path(__import__(package).__file__).parent
        for path in sorted(root.rglob("*.py")):
            info = path.stat()
            digest.update(f"{path}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    for name in sorted(os.environ):  # what the workers see; not the daemon's own settings
        if (name.startswith("DLCOURSE_") or name == "OMP_NUM_THREADS") and name not in _OWN_SETTINGS:
            digest.update(f"{name}={os.environ[name]}\n".encode())
    return digest.hexdigest()[:16]


def socket_path() -> Path:
    return private_folder() / f"{_environment_key()}.sock"


# -- the daemon -------------------------------------------------------------------------------------

class _Pool:
    """The daemon's workers, each leased to at most one client at a time."""

    def __init__(self, home: Path):
        self.home, self.lock = home, threading.Lock()
        self.workers: list = []          # worker.Worker
        self.slots: dict[int, int] = {}  # id(worker) -> its slot (its sandbox uid's offset)
        self.leased: set[int] = set()    # ids of leased workers
        self.idle_s, self.last_release = 600.0, time.monotonic()
        self.closing = False

    def lease(self, limits: dict, sandbox: bool):
        """(a worker, whether it was running already); None when the daemon is closing."""
        from ..engine.worker import Worker

        with self.lock:
            if self.closing:
                return None, False
            for worker in self.workers:
                if id(worker) not in self.leased and worker.config["limits"] == limits \
                        and worker.config["sandbox"] == sandbox:
                    self.leased.add(id(worker))
                    return worker, worker.process is not None and worker.process.poll() is None
            used = set(self.slots.values())
            slot = next(i for i in range(len(self.workers) + 1) if i not in used)
            worker = Worker(self.home / "workers" / str(slot), FIRST_SANDBOX_UID + FIRST_DAEMON_SLOT + slot,
                            limits, sandbox)
            self.slots[id(worker)] = slot
            self.workers.append(worker)
            self.leased.add(id(worker))
        worker.start()  # the zygote imports while the client builds its templates
        return worker, False

    def release(self, worker) -> None:
        with self.lock:
            self.leased.discard(id(worker))
            self.last_release = time.monotonic()

    def close_if_idle(self, idle_s: float) -> bool:
        """Refuse leases from now on if none is out and none was for `idle_s` seconds."""
        with self.lock:
            self.closing = self.closing or (not self.leased and time.monotonic() - self.last_release > idle_s)
            return self.closing

    def stop(self) -> None:
        with self.lock:
            for worker in self.workers:
                worker.stop()
            self.workers.clear()


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: _Server = self.server
        peer_uid = struct.unpack("3i", self.connection.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]
        if peer_uid != os.getuid():
            return
        worker = None
        try:
            for line in self.rfile:
                try:
                    reply, worker = server.answer(json.loads(line), worker)
                except Exception as error:  # a malformed message: say so, keep serving
                    logger.exception("cannot answer %r", line[:200])
                    reply = {"ok": False, "done": False, "error": f"grading daemon: {type(error).__name__}: {error}"}
                self.wfile.write((json.dumps(reply) + "\n").encode())
                self.wfile.flush()
        except (OSError, ValueError) as error:
            logger.info("client gone: %s", error)
        finally:
            if worker is not None:
                server.pool.release(worker)


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, home: Path):
        self.path, self.pool, self.own = path, _Pool(home), fingerprint()
        self.stepped_aside = False
        super().__init__(str(path), _Handler)

    def answer(self, message: dict, worker):
        op = message.get("op")
        if op == "lease":
            if message.get("fingerprint") != self.own:
                self.step_aside()
                return {"ok": False, "why": "stale"}, worker
            if worker is not None:
                self.pool.release(worker)
            self.pool.idle_s = float(message.get("idle", self.pool.idle_s))
            worker, warm = self.pool.lease(message["limits"], bool(message["sandbox"]))
            if worker is None:
                return {"ok": False, "why": "closing"}, None
            return {"ok": True, "uid": worker.config["uid"], "warm": warm}, worker
        if op in ("run", "validate") and worker is not None:
            return self._run(worker, message), worker
        if op == "status":
            return {"fingerprint": self.own, "pid": os.getpid(),
                    "workers": [{"uid": w.config["uid"], "starts": w.starts,
                                 "pid": w.process.pid if w.process else None} for w in self.pool.workers]}, worker
        if op == "stop":
            threading.Thread(target=self.shutdown, daemon=True).start()
            return {"ok": True}, worker
        return {"error": f"unknown or out-of-order op {op!r}"}, worker

    @staticmethod
    def _run(worker, message: dict) -> dict:
        from ..results import UnitRequest
        from ..engine.worker import WorkerDied

        work, timeout = Path(message["work"]), float(message["timeout"])
        try:
            if message["op"] == "validate":
                result = worker.validate(Path(message["notebook"]), work, int(message["cell_timeout"]), timeout)
            else:
                result = worker.run(UnitRequest.from_dict(message["request"]), work, timeout)
        except WorkerDied as error:
            return {"done": False, "error": str(error)}
        return {"done": result is not None, "error": None}

    def step_aside(self) -> None:
        """Free the socket for a fresh daemon; this one exits once its leases are back."""
        with self.pool.lock:
            if not self.stepped_aside:
                self.stepped_aside = True
                Path(self.path).unlink(missing_ok=True)


def serve(idle_s: float) -> int:
    """Run the daemon until it has been idle for `idle_s` seconds or is told to stop."""
    path = socket_path()
    if _alive(path):
        return 0  # another daemon won the race
    path.unlink(missing_ok=True)
    # the workers' sandboxes: a short private path (a kernel's socket paths must stay under 108 bytes)
    home = Path(tempfile.mkdtemp(prefix="dlcourse-daemon-"))
    server = _Server(path, home)
    server.pool.idle_s = idle_s
    os.chmod(path, 0o600)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    watcher = threading.Thread(target=_watch, args=(server,), daemon=True)
    watcher.start()
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.pool.stop()
        server.server_close()
        if not server.stepped_aside:
            path.unlink(missing_ok=True)
        shutil.rmtree(home, ignore_errors=True)
    return 0


def _watch(server: _Server) -> None:
    while True:
        time.sleep(0.5)
        if server.pool.close_if_idle(0.0 if server.stepped_aside else server.pool.idle_s):
            server.step_aside()  # new clients start a fresh daemon rather than wait for this one
            server.shutdown()
            return


def _alive(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as probe:
            probe.connect(str(path))
        return True
    except OSError:
        return False


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    raise SystemExit(serve(float(sys.argv[1]) if len(sys.argv) > 1 else 600.0))
