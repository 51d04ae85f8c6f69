"""A warm kernel factory that runs INSIDE one worker's sandbox (see warm.py).

    python -m autograder.engine.zygote      (started by KernelHost through sandbox.wrap)

It imports what every notebook of the course imports (torch, numpy, matplotlib, scikit-learn,
IPython, ipykernel, the course's package) once, then forks one fresh kernel process per
submission. A forked kernel starts with those modules already loaded, so no student pays for
them; it shares no state with other students: it is a copy-on-write copy of the pristine
zygote, its HOME and working folder are a fresh folder the grader made for that submission (and
removes after it), and between submissions `reset` kills every process in the sandbox but the
zygote and empties /tmp and /dev/shm.

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
  {"op": "fork", "connection_file": F, "cwd": D, "env": {...}} -> {"pid": P}   (env: optional)
  {"op": "poll", "pid": P}                       -> {"returncode": None | int}
  {"op": "signal", "pid": P, "signum": S}         -> {"ok": true}
  {"op": "reset"}                                -> {"ok": bool, "killed": N, "left": [path, ...]}
The zygote is not dumpable, so student code (same uid) can neither ptrace it nor read its memory
or file descriptors; the control pipe is closed in every kernel.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import time
from pathlib import Path

from .sandbox import home_variables, remove_tree

PR_SET_DUMPABLE = 4
ZYGOTE_HOME = "/tmp/.zygote"  #: the zygote's own HOME: in the sandbox's /tmp, emptied at every reset
WRITABLE_SHARED = ("/tmp", "/dev/shm")


def preload() -> None:
    """Import everything a course notebook imports; touch nothing that starts threads."""
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import IPython  # noqa: F401
    import ipykernel.debugger  # noqa: F401  (debugpy: ~1 s of every kernel start)
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import IPython.core.debugger  # noqa: F401  (with pdb and the completer: imported by every kernel)
    import IPython.core.completerlib  # noqa: F401
    import IPython.extensions.storemagic  # noqa: F401
    import tornado.platform.asyncio  # noqa: F401
    import matplotlib  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import matplotlib_inline.backend_inline  # noqa: F401
    import numpy  # noqa: F401
    import sklearn.datasets  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import torch

    torch.set_num_threads(1)  # no OpenMP pool in the zygote: it would not survive fork
    import torch.nn  # noqa: F401
    import torch.nn.functional  # noqa: F401
    import torch.optim  # noqa: F401
    import torch._dynamo  # noqa: F401  (with sympy: imported by the first optimizer or meta tensor, ~1.4 s)

    import dlcourse.data  # noqa: F401
    import dlcourse.plot  # noqa: F401
    import dlcourse.labs.fitting  # noqa: F401
    import dlcourse.models  # noqa: F401
    from dlcourse.i18n import LANGUAGES, catalog
    for lang in LANGUAGES[1:]:  # the message catalogs, parsed once (a Chinese notebook's kernel needs them)
        catalog(lang)
    # not dlcourse.checks: its integrity snapshot must see the kernel's builtins (exit, display, ...),
    # so it is taken in the kernel; and not the labs, which import the checks



def run_kernel(connection_file: str, cwd: str, control: list[int], env: dict[str, str] | None = None) -> None:
    """In the forked child: become an ordinary IPython kernel for one submission; never returns."""
    try:
        for fd in control:
            os.close(fd)
        os.setsid()
        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 1)  # the kernel itself is an ordinary process
        devnull = os.open(os.devnull, os.O_RDWR)
        log = os.open(os.path.join(cwd, ".kernel", "kernel.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False, buffering=1)
        sys.stderr = open(2, "w", closefd=False, buffering=1)
        os.chdir(cwd)
        os.environ.update(home_variables(cwd))  # cwd: a folder the grader made for this submission
        os.environ.update({str(k): str(v) for k, v in (env or {}).items()})
        sys.path[0:1] = [cwd] if sys.path and sys.path[0] in ("", os.getcwd()) else [cwd, *sys.path[:1]]
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(["-f", connection_file, "--HistoryManager.enabled=False"])
        app.start()
        os._exit(0)
    except BaseException:  # noqa: BLE001 - the child must never return into the zygote's loop
        import traceback

        traceback.print_exc()
        os._exit(1)


def reset() -> tuple[int, list[str]]:
    """Kill every process of this sandbox except the zygote; empty /tmp and /dev/shm.

    Return how many processes were killed and what could not be removed (empty when clean).
    The submission's own folder is removed by the grader, outside the sandbox.
    """
    killed = len(_other_pids())
    for _ in range(100):
        try:
            os.kill(-1, signal.SIGKILL)  # atomic against fork; never the zygote or the sandbox's init
        except ProcessLookupError:
            pass
        while True:  # reap our own children
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if not _other_pids():
            break
        time.sleep(0.01)
    _remove_sysv_ipc()
    mounts = _mount_points()
    left = []
    for folder in WRITABLE_SHARED:
        _empty(Path(folder), mounts)
        left += [str(p) for p in _leftovers(Path(folder), mounts)]
    return killed, left


def _remove_sysv_ipc() -> None:
    """Shared memory, semaphores and message queues outlive processes: remove this sandbox's."""
    libc, ipc_rmid = ctypes.CDLL(None, use_errno=True), 0
    removers = {"shm": lambda i: libc.shmctl(i, ipc_rmid, None), "sem": lambda i: libc.semctl(i, 0, ipc_rmid),
                "msg": lambda i: libc.msgctl(i, ipc_rmid, None)}
    for kind, remove in removers.items():
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            remove(int(line.split()[1]))


def _mount_points() -> set[Path]:
    points = set()
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if len(fields) > 4:
            points.add(Path(fields[4].replace("\\040", " ")))
    return points


def _empty(folder: Path, mounts: set[Path]) -> None:
    """Delete what `folder` holds, but never a mount point (the sandbox's read-only binds).

    Folders are made writable first: student code runs as this uid and may have left read-only
    ones to keep its files for the next student.
    """
    for child in folder.iterdir() if folder.is_dir() and not folder.is_symlink() else []:
        if child in mounts:
            continue
        if any(child in m.parents for m in mounts):
            _empty(child, mounts)
        elif child.is_dir() and not child.is_symlink():
            _try(remove_tree, child)  # what is left is reported by the caller
        else:
            _try(child.unlink, missing_ok=True)


def _try(action, *args, **kwargs) -> None:
    try:
        action(*args, **kwargs)
    except OSError:
        pass  # what is left is reported by _leftovers


def _leftovers(folder: Path, mounts: set[Path]) -> list[Path]:
    """What `folder` still holds besides mount points and the folders leading to them."""
    left = []
    for child in folder.iterdir() if folder.is_dir() and not folder.is_symlink() else []:
        if child in mounts:
            continue
        if any(child in m.parents for m in mounts):
            left += _leftovers(child, mounts)
        else:
            left.append(child)
    return left


def _other_pids() -> list[int]:
    """Live processes of this sandbox other than its init and the zygote."""
    me = os.getpid()
    return [int(entry) for entry in os.listdir("/proc")
            if entry.isdigit() and int(entry) not in (1, me) and _is_process(entry)]


def _is_process(pid: str) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def serve() -> int:
    control_in, control_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray prints go to the log, never into the protocol
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0)
    os.makedirs(ZYGOTE_HOME, exist_ok=True)
    os.environ.update(home_variables(ZYGOTE_HOME))  # its cwd, the sandbox's root, is not its to write
    preload()
    reader = os.fdopen(control_in, "r", buffering=1)
    writer = os.fdopen(control_out, "w", buffering=1)
    writer.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    children: dict[int, int | None] = {}
    for line in reader:
        request = json.loads(line)
        op = request.get("op")
        if op == "fork":
            pid = os.fork()
            if pid == 0:
                run_kernel(request["connection_file"], request["cwd"], [control_in, control_out], request.get("env"))
            children[pid] = None
            reply = {"pid": pid}
        elif op == "poll":
            pid = int(request["pid"])
            if children.get(pid) is None:
                try:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        children[pid] = os.waitstatus_to_exitcode(status)
                except ChildProcessError:  # not ours, or reaped by a reset
                    children[pid] = -signal.SIGKILL
            reply = {"returncode": children.get(pid)}
        elif op == "signal":
            try:
                os.kill(int(request["pid"]), int(request["signum"]))
            except ProcessLookupError:
                pass
            reply = {"ok": True}
        elif op == "reset":
            killed, left = reset()
            reply = {"ok": not left, "killed": killed, "left": left[:20]}
            children.clear()
        else:
            reply = {"error": f"unknown op {op!r}"}
        writer.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(serve())
