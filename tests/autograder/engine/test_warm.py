"""Warm grading keeps students apart: what one leaves behind in a worker never reaches the next.

Two submissions graded one after the other by ONE warm worker (same sandbox, same zygote): the
first starts a daemon that outlives its kernel and keeps writing marker files into every folder
it can write; the second looks for that daemon and those files. Also: the progress bar.
"""

from __future__ import annotations

import io

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.flows.grade import grade
from autograder.outputs.progress import Progress
from autograder.results import SubmissionResult
from autograder.engine.sandbox import SandboxUnavailable, check_available
from tests.autograder.hostile import PERFECT, WRONG_ANSWER, _index
from tests.paths import ROOT

LURKER = """
import ctypes, os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.closerange(3, 4096)
        ctypes.CDLL(None).prctl(15, b"lurker", 0, 0, 0)  # PR_SET_NAME
        deadline = time.time() + 90
        while time.time() < deadline:
            for folder in (os.getcwd(), "/tmp", "/dev/shm", os.path.dirname(os.getcwd())):
                try:
                    open(os.path.join(folder, "LURKER-" + str(os.getpid())), "w").write("was here")
                except OSError:
                    pass
            time.sleep(0.05)
    os._exit(0)
time.sleep(1)  # let it write while this kernel is alive
"""

VICTIM = """
import os, time
time.sleep(0.5)  # a surviving lurker would write again meanwhile
def comm(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return ""
folders = (os.getcwd(), "/tmp", "/dev/shm", os.path.dirname(os.getcwd()))
traces = [name for folder in folders for name in os.listdir(folder) if name.startswith("LURKER")]
lurkers = [pid for pid in os.listdir("/proc") if pid.isdigit() and comm(pid) == "lurker"]
print("traces:", traces, "lurkers:", lurkers)
if traces or lurkers:
    """ + WRONG_ANSWER


def _submission(folder, code):
    nb = nbformat.read(PERFECT, as_version=4)
    nb.cells.insert(_index(nb, "underfitting_answer") + 1, new_code_cell(code))
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "01_fitting.ipynb")


@pytest.mark.slow
def test_nothing_of_one_student_reaches_the_next(tmp_path):
    try:
        check_available()
    except SandboxUnavailable as why:
        pytest.skip(f"warm kernels need the sandbox: {why}")
    submissions = tmp_path / "submissions"
    _submission(submissions / "a_lurker" / "01_fitting", LURKER)
    _submission(submissions / "b_victim" / "01_fitting", VICTIM)
    results = {r.student_id: r for r in grade(submissions=submissions, out=tmp_path / "out", root=ROOT,
                                                   workers=1, progress=False)}  # default limits
    assert results["a_lurker"].score == 14
    victim = results["b_victim"]
    executed = nbformat.read(tmp_path / "out" / "autograded" / "b_victim" / "01_fitting" / "01_fitting.ipynb",
                             as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "traces: [] lurkers: []" in printed, printed[-500:]
    assert (victim.status, victim.score) == ("ok", 14), victim.detail


def _result(status="ok", seconds=2.0):
    return SubmissionResult("s", "01_fitting", status, seconds=seconds)


def test_progress_counts_and_summarizes():
    stream = io.StringIO()
    bar = Progress(4, stream=stream)
    for status in ("ok", "ok", "timeout", "invalid"):
        bar.update(_result(status))
    bar.close()
    text = stream.getvalue()
    assert "4/4 100%" in text and "2 ok, 1 timeout, 1 invalid" in text and "median 2.0 s" in text
    assert text.count("\n") <= 6, "a log gets a line per tenth of the batch, not per submission"


def test_progress_shows_eta_midway():
    bar = Progress(10, stream=io.StringIO())
    bar.update(_result())
    assert "ETA" in bar.line() and "1/10" in bar.line()


def test_a_kernel_that_never_ran_a_cell_is_reported_as_dead():
    """E.g. a zygote that cannot fork: the notebook must be `crashed`, not `ok` with zeros."""
    from nbformat.v4 import new_code_cell, new_notebook

    from autograder.engine.kernel import GuardedExecute
    from autograder.engine.scoring import cell_messages

    test_meta = {"nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": "test_a",
                              "points": 1, "schema_version": 3}}
    nb = new_notebook(cells=[new_code_cell("seed"),
                             new_code_cell("import torch", metadata={"nbgrader": {"grade_id": "imports"}}),
                             new_code_cell("assert check_a()", metadata=test_meta)])
    GuardedExecute._mark_not_run(nb, -1, "no kernel")
    messages, _, died, _ = cell_messages(nb)
    assert "cell 2" in died and "import torch" in died
    assert messages["test_a"].startswith("NotRun")
