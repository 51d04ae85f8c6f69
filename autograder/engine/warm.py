"""Warm kernels: one zygote per worker sandbox forks a pre-imported kernel for each submission.

`KernelHost` starts `python -m autograder.engine.zygote` inside the worker's sandbox (sandbox.wrap, with
the same mounts, uid and limits as a cold kernel) and talks to it over its stdin/stdout.
`ZygoteProcess` looks like a `subprocess.Popen` to jupyter_client, so the kernel manager can
poll, signal and kill a forked kernel as if it had started it itself (see kernel.py).
Each submission gets a fresh folder of its own under the sandbox's root (`new_unit`); afterwards
`finish_unit` kills every process left in the sandbox, empties /tmp and /dev/shm, removes that
folder from outside and checks that the root is empty again, so nothing of one student reaches
the next. Whatever cannot be removed ends the zygote: the next submission gets a new sandbox.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import itertools
import os

from ..errors import GraderError
from ..config import Limits
from .sandbox import prepare_scratch, remove_tree, wrap

START_TIMEOUT_S = 120  #: importing torch & co. on a busy machine
REPLY_TIMEOUT_S = 60


class ZygoteError(GraderError, RuntimeError):
    """The zygote died or answered nonsense; the worker starts a new one."""


class KernelHost:
    """The zygote of one worker, in that worker's sandbox rooted at `root` (its only writable folder)."""

    def __init__(self, root: Path, limits: Limits, uid: int | None, log: Path):
        self.root, self.limits, self.uid, self.log = Path(root), limits, uid, Path(log)
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._units = itertools.count(1)

    def __deepcopy__(self, memo) -> KernelHost:
        """A handle on a running zygote: a copy (traitlets copies config values) is the same handle."""
        return self

    def start(self) -> float:
        """Start the zygote and wait until it has imported everything; return the seconds it took."""
        started = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)  # the grader's: as root, student code cannot write here
        self._clear_root()
        command = wrap([sys.executable, "-m", "autograder.engine.zygote"], scratch=self.root,
                       limits=self.limits, uid=self.uid)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=log, text=True, bufsize=1)
        ready = self._read(START_TIMEOUT_S)
        if not ready.get("ready"):
            raise ZygoteError(f"the warm kernel factory did not start: {ready}")
        return time.monotonic() - started

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ask(self, **request) -> dict:
        with self._lock:
            if not self.alive():
                raise ZygoteError("the warm kernel factory is not running")
            try:
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError) as error:
                raise ZygoteError(f"the warm kernel factory is gone: {error}") from None
            return self._read(REPLY_TIMEOUT_S)

    def _read(self, timeout: float) -> dict:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.close()
            raise ZygoteError(f"no answer from the warm kernel factory (see {self.log})")
        try:
            return json.loads(line)
        except ValueError:
            self.close()
            raise ZygoteError(f"garbled answer from the warm kernel factory: {line[:100]!r}") from None

    def fork_kernel(self, connection_file: str, cwd: str, env: dict[str, str] | None = None) -> int:
        """A fresh kernel in folder `cwd`, with `env` added to its environment; its pid."""
        return int(self.ask(op="fork", connection_file=connection_file, cwd=cwd, env=env or {})["pid"])

    def poll(self, pid: int) -> int | None:
        try:
            return self.ask(op="poll", pid=pid)["returncode"]
        except ZygoteError:
            return -signal.SIGKILL  # the whole sandbox is gone, and the kernel with it

    def signal(self, pid: int, signum: int) -> None:
        try:
            self.ask(op="signal", pid=pid, signum=signum)
        except ZygoteError:
            pass

    def new_unit(self) -> Path:
        """A fresh, empty folder for one submission (the kernel's cwd and HOME), owned by the sandbox uid."""
        self._clear_root()
        folder = self.root / f"unit-{next(self._units)}"
        folder.mkdir()  # never an existing one
        prepare_scratch(folder, self.uid)
        return folder

    def finish_unit(self) -> int:
        """Kill every process left in the sandbox, empty its shared folders and the root; return how
        many processes were killed. Raise ZygoteError (the zygote is closed) when anything stays."""
        reply = self.ask(op="reset")
        try:
            self._clear_root()
        except OSError as error:
            self.close()
            raise ZygoteError(f"a submission left files the grader cannot remove: {error}") from None
        if not reply.get("ok"):
            self.close()
            raise ZygoteError(f"a submission left files in the sandbox: {reply.get('left')}")
        return int(reply.get("killed", 0))

    def _clear_root(self) -> None:
        for child in list(self.root.iterdir()):
            remove_tree(child)
        if any(self.root.iterdir()):
            raise OSError(f"{self.root} is not empty")

    def close(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()  # bubblewrap's init: the whole sandbox goes with it
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.process = None


class ZygoteProcess:
    """A forked kernel, with the part of the Popen interface jupyter_client uses."""

    stdin = stdout = stderr = None

    def __init__(self, host: KernelHost, pid: int):
        self.host, self.pid, self.returncode = host, pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.host.poll(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            self.host.signal(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)
