"""The grading daemon: warm workers kept between `grade` runs, private to their user."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest

from autograder.flows import daemon, keepwarm
from autograder.flows.grade import grade
from tests.paths import ROOT


def _wait_until(condition, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def runtime(monkeypatch):
    folder = Path(tempfile.mkdtemp(prefix="rt-"))
    monkeypatch.setenv(daemon.RUNTIME_VARIABLE, str(folder))
    yield folder
    keepwarm.stop_daemon()
    shutil.rmtree(folder, ignore_errors=True)


def test_private_folder_is_refused_when_others_can_enter(runtime):
    """Would a folder that another user can enter (or plant a socket in) be used?"""
    (runtime / "dlcourse-grader").mkdir(parents=True, mode=0o755)
    os.chmod(runtime / "dlcourse-grader", 0o755)
    with pytest.raises(daemon.DaemonUnavailable, match="no one else can enter"):
        daemon.private_folder()


def test_private_folder_is_created_private(runtime):
    assert daemon.private_folder().stat().st_mode & 0o777 == 0o700


def test_fingerprint_follows_the_workers_settings(monkeypatch):
    """A worker started under other settings (a bwrap, thread count) must not be reused."""
    before = daemon.fingerprint()
    monkeypatch.setenv("DLCOURSE_BWRAP", "/usr/bin/bwrap")
    assert daemon.fingerprint() != before
    monkeypatch.delenv("DLCOURSE_BWRAP")
    monkeypatch.setenv("DLCOURSE_KEEP_WARM", "3")  # the daemon's own setting
    assert daemon.fingerprint() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="needs another uid to connect as")
def test_other_users_cannot_connect(runtime):
    [runner] = keepwarm.lease_workers(1, {"cell_timeout_s": 60}, sandbox=False, idle_s=60)
    runner.stop()
    pid = os.fork()
    if pid == 0:  # the child becomes nobody and knocks
        code = 1
        try:
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(str(daemon.socket_path()))
        except PermissionError:
            code = 0
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


@pytest.mark.slow
def test_second_run_reuses_the_warm_worker_and_idle_daemon_exits(runtime, tmp_path):
    """Does a second `grade` within minutes find the same worker process, already started?"""
    submissions = tmp_path / "subs"
    shutil.copytree(ROOT / "examples" / "submissions" / "alice", submissions / "alice")
    first = grade(submissions=submissions, out=tmp_path / "out1", root=ROOT, workers=1, progress=False,
                  keep_warm=0.05)  # 3 s of idleness, then the daemon exits
    workers = keepwarm.daemon_status()["workers"]
    second = grade(submissions=submissions, out=tmp_path / "out2", root=ROOT, workers=1, progress=False,
                   keep_warm=0.05)
    assert keepwarm.daemon_status()["workers"] == workers and workers[0]["starts"] == 1
    assert [(r.student_id, r.score) for r in first] == [(r.student_id, r.score) for r in second] == \
        [("alice", 14.0)]
    assert _wait_until(lambda: not daemon.socket_path().exists()), "the idle daemon did not exit"


@pytest.mark.slow
def test_daemon_with_other_code_steps_aside(runtime, monkeypatch):
    [runner] = keepwarm.lease_workers(1, {"cell_timeout_s": 60}, sandbox=False, idle_s=60)
    old = keepwarm.daemon_status()["pid"]
    runner.stop()
    monkeypatch.setenv("DLCOURSE_BWRAP", "/usr/bin/bwrap")  # the workers' settings changed
    [runner] = keepwarm.lease_workers(1, {"cell_timeout_s": 60}, sandbox=False, idle_s=60)
    assert keepwarm.daemon_status()["pid"] != old
    runner.stop()
    assert _wait_until(lambda: not _alive(old)), "the stale daemon did not exit"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0] == "Z"
