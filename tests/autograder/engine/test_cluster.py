"""Serial, parallel-warm and Dask grading give the same results on the same batch.

A real Dask scheduler and two workers are started on loopback (`dask scheduler`, `dask worker`),
exactly as an instructor would start them on a cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.flows.grade import grade
from autograder.engine.sandbox import SandboxUnavailable, check_available
from tests.paths import ROOT

pytestmark = pytest.mark.slow
TIMING = ("seconds", "cell_seconds", "source", "sources", "digest", "phases")
STARTUP_S = 300  # scheduler, then workers: seconds on an idle machine, much longer on a loaded one


def comparable(out: Path) -> dict:
    """results.json without what legitimately differs between runs (timings, where the file was)."""
    return {(r["student_id"], r["assignment"]): {k: v for k, v in r.items() if k not in TIMING}
            for r in json.loads((out / "results.json").read_text())}


def _sandbox() -> bool:
    try:
        check_available()
        return True
    except SandboxUnavailable:
        return False


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    pytest.importorskip("distributed")
    folder = tmp_path_factory.mktemp("dask")
    dask = str(Path(sys.executable).parent / "dask")
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    common = ["--no-dashboard"]
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--scheduler-file", str(folder / "scheduler.json"), *common],
                                  stdout=subprocess.DEVNULL, stderr=open(folder / "scheduler.log", "w"),
                                  env=env, start_new_session=True)]
    try:
        for _ in range(STARTUP_S * 5):  # a bound on a scheduler that never starts, not a speed test
            if (folder / "scheduler.json").exists():
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"no Dask scheduler: {(folder / 'scheduler.log').read_text()[-2000:]}")
        for index in range(2):
            processes.append(subprocess.Popen(
                [dask, "worker", "--scheduler-file", str(folder / "scheduler.json"), "--nthreads", "1",
                 "--nworkers", "1", "--host", "127.0.0.1", "--name", f"worker-{index}",
                 "--memory-limit", "0", *common],
                stdout=subprocess.DEVNULL, stderr=open(folder / f"worker-{index}.log", "w"), env=env,
                start_new_session=True))
        from distributed import Client

        address = json.loads((folder / "scheduler.json").read_text())["address"]
        with Client(address, timeout=f"{STARTUP_S}s") as client:
            client.wait_for_workers(2, timeout=STARTUP_S)
        yield address
    finally:
        for process in reversed(processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_serial_warm_and_dask_runs_are_identical(graded_examples, dask_cluster, tmp_path):
    warm_parallel, _, _ = graded_examples  # `grade` defaults: warm workers, two of them
    submissions = tmp_path / "submissions"
    shutil.copytree(ROOT / "examples" / "submissions", submissions)
    sandbox = _sandbox()
    serial = grade(submissions=submissions, out=tmp_path / "serial", root=ROOT, workers=1, warm=False,
                   sandbox=sandbox, progress=False)
    on_dask = grade(submissions=submissions, out=tmp_path / "dask", root=ROOT, dask=dask_cluster,
                    sandbox=sandbox, progress=False)
    assert len(serial) == len(on_dask) == 6
    reference = comparable(tmp_path / "serial")
    assert comparable(warm_parallel) == reference
    assert comparable(tmp_path / "dask") == reference
    for student in ("alice", "carol"):  # the files came back from the workers
        assert (tmp_path / "dask" / "feedback" / student / "01_fitting" / "01_fitting.html").is_file()
        assert (tmp_path / "dask" / "autograded" / student / "01_fitting" / "01_fitting.ipynb").is_file()
    assert sorted(r.status for r in on_dask) == sorted(r.status for r in serial)
