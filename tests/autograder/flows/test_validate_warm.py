"""`validate --quick` in a warm worker of the grading daemon: the same report as a fresh kernel.

Also what both kernels share: a cell past --cell-timeout is interrupted and later cells run (as when
grading); a kernel that dies leaves the checks after it "not run", with no traceback for the student.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.engine.sandbox import SandboxUnavailable, check_available
from autograder.flows import daemon, keepwarm
from autograder.flows.validate import (FAILED, NOT_RUN, PASSED, check_outcomes, run_notebook, run_warm,
                                       validate)
from tests.corpus.notebooks import corpus_notebook
from tests.paths import ROOT, tree_digest

ASSIGNMENTS = ("01_fitting", "02_weight_decay", "03_dropout", "04_stability", "05_remedies")


def _notebook(path: Path, first: str) -> Path:
    test = new_code_cell("assert answer == 42", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "test_answer",
        "schema_version": 3}})
    nbformat.write(new_notebook(cells=[new_code_cell(first), test]), path)
    return path


def _report(outcomes) -> list[tuple[str, str, str]]:
    return [(o.grade_id, o.status, o.message) for o in outcomes]


def test_a_cell_past_the_timeout_is_interrupted_and_later_cells_run(tmp_path):
    path = _notebook(tmp_path / "a.ipynb", "import time\ntime.sleep(60)\nanswer = 42")
    [outcome] = check_outcomes(run_notebook(path, cell_timeout=1, quick=True))
    assert (outcome.status, outcome.message) == (FAILED, "NameError: name 'answer' is not defined")


def test_a_dead_kernel_leaves_the_later_checks_not_run(tmp_path):
    path = _notebook(tmp_path / "a.ipynb", "import os\nos._exit(1)")
    nb = run_notebook(path, quick=True)
    assert nb.cells[0].outputs[-1].ename == "KernelDied"
    assert [o.status for o in check_outcomes(nb)] == [NOT_RUN]


def test_without_a_sandbox_a_fresh_kernel_runs_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_BWRAP", str(tmp_path / "no-bwrap"))
    path = _notebook(tmp_path / "a.ipynb", "answer = 42")
    assert run_warm(path, cell_timeout=60, keep_warm_minutes=1) is None
    assert [o.status for o in validate(path, quick=True, keep_warm_minutes=1)] == [PASSED]


def test_off_linux_a_fresh_kernel_runs_it(tmp_path, monkeypatch):
    """No sandbox (macOS) nor fcntl (Windows): validate --quick still answers, from a fresh kernel."""
    import sys

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setitem(sys.modules, "fcntl", None)  # `import fcntl` raises ImportError
    monkeypatch.delitem(sys.modules, "autograder.flows.keepwarm", raising=False)
    path = _notebook(tmp_path / "a.ipynb", "answer = 42")
    assert [o.status for o in validate(path, quick=True, keep_warm_minutes=10)] == [PASSED]


def test_a_zygote_gone_at_fork_leaves_the_run_to_a_fresh_kernel(tmp_path):
    """The worker answers anyway (worker_main._validate), rather than 'could not be run'."""
    from autograder.engine import worker_main
    from autograder.engine.warm import ZygoteError

    class GoneHost:
        def new_unit(self) -> Path:
            (tmp_path / "unit").mkdir()
            return tmp_path / "unit"

        def fork_kernel(self, *args, **kwargs):
            raise ZygoteError("the warm kernel factory is gone")

    path = _notebook(tmp_path / "a.ipynb", "answer = 42")
    reply = worker_main._validate({"notebook": str(path), "cell_timeout": 60}, GoneHost(), {"uid": None, "limits": {}})
    assert [o.status for o in check_outcomes(nbformat.from_dict(reply["notebook"]))] == [PASSED]


@pytest.fixture
def runtime(monkeypatch):
    try:
        check_available()
    except SandboxUnavailable as why:
        pytest.skip(f"warm kernels need the sandbox: {why}")
    folder = Path(tempfile.mkdtemp(prefix="rt-"))
    monkeypatch.setenv(daemon.RUNTIME_VARIABLE, str(folder))
    yield folder
    keepwarm.stop_daemon()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_the_warm_worker_runs_it_as_a_fresh_kernel_would(runtime, tmp_path):
    """Its environment, the notebook's data files, a kernel that dies; the student's file untouched."""
    (tmp_path / "data.txt").write_text("the data")
    path = _notebook(tmp_path / "a.ipynb", "import os\nprint(os.environ['NBGRADER_EXECUTION'], "
                                           "open('data.txt').read())\nanswer = 42")
    before = tree_digest(tmp_path)
    warm = run_warm(path, cell_timeout=60, keep_warm_minutes=1)
    assert warm is not None, "no warm worker ran it"
    assert warm.cells[0].outputs[0].text == run_notebook(path, quick=True).cells[0].outputs[0].text \
        == "validate the data\n"
    assert [o.status for o in check_outcomes(warm)] == [PASSED]
    died = run_warm(_notebook(tmp_path / "b.ipynb", "import os\nos._exit(1)"), cell_timeout=60,
                    keep_warm_minutes=1)
    assert [o.status for o in check_outcomes(died)] == [NOT_RUN]
    assert tree_digest(tmp_path) == {**before, "b.ipynb": tree_digest(tmp_path)["b.ipynb"]}


@pytest.mark.slow
def test_the_warm_worker_reports_what_a_fresh_kernel_reports(runtime, tmp_path):
    """Every check's status and message, on each assignment's stub and full solution; one worker."""
    for assignment in ASSIGNMENTS:
        solution = tmp_path / "solution" / assignment / f"{assignment}.ipynb"
        solution.parent.mkdir(parents=True)
        nbformat.write(corpus_notebook(assignment, lambda name, wrong, correct: None), solution)
        for path in (ROOT / "release" / assignment / f"{assignment}.ipynb", solution):
            warm = run_warm(path, cell_timeout=60, keep_warm_minutes=1)
            assert warm is not None, "no warm worker ran it"
            fresh = check_outcomes(run_notebook(path, quick=True))
            assert _report(check_outcomes(warm)) == _report(fresh), path
            assert {o.status for o in fresh} == ({PASSED} if path == solution else {"not attempted"})
    [worker] = keepwarm.daemon_status()["workers"]
    assert worker["starts"] == 1
