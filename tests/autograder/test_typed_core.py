"""The grading core's types without a kernel: the status policy, the request's JSON round trip,
the protocol's ledger and status combination."""

from __future__ import annotations

import json

import nbformat
import pytest

from autograder.results import STATUSES, ResultError, Status, SubmissionResult, UnitRequest
from autograder.engine.scoring import decide_status
from dlcourse.checks.protocol import (FAILED, LEDGER_CELL, LEDGER_MARK, NOT_ATTEMPTED, NOT_RUN_YET, PASSED,
                                      combine, read_ledger, tampering, tampering_in)

RAN = {"died": "", "timed_out": False, "limit": "", "flags": [], "not_graded": [], "cell_timeout_s": 60}


@pytest.mark.parametrize("changes, status, detail", [
    ({}, Status.OK, ""),
    ({"flags": ["t1: x was replaced"]}, Status.TAMPERED, "t1: x was replaced"),
    ({"timed_out": True, "flags": ["t1: x"]}, Status.TIMEOUT, "a cell ran longer than 60 s and was interrupted"),
    ({"died": "cell 3 ('x')", "timed_out": True},
     Status.CRASHED, "the kernel died in cell 3 ('x') (os._exit, a segfault, or a CPU, memory or process "
                     "limit); the checks before it kept their points"),
    ({"died": "cell 3 ('x')", "limit": "the memory limit was hit in cell 3"},
     Status.CRASHED, "the kernel died in cell 3 ('x') after the memory limit was hit in cell 3; the checks "
                     "before it kept their points; the memory limit was hit in cell 3"),
    ({"not_graded": ["b.ipynb: not submitted"]}, Status.OK, "b.ipynb: not submitted"),
])
def test_the_status_policy_died_before_timeout_before_tampering(changes, status, detail):
    assert decide_status(**{**RAN, **changes}) == (status, detail)


def test_a_request_crosses_a_process_boundary_as_json():
    request = UnitRequest(template="/t", assignment="a", student_id="s", work="/w",
                          notebooks=(("a.ipynb", "/s/a.ipynb"), ("b.ipynb", "")),
                          cells={"a.ipynb": {"t1": 1.0}, "b.ipynb": {"t1": 2.0}}, limits={"memory_mb": 1},
                          extra_files=(("data.csv", "/s/data.csv"),), uid=61000)
    again = UnitRequest.from_dict(json.loads(json.dumps(request.to_dict())))
    assert again == request
    assert again.notebook_name == "a.ipynb" and again.grade_cells == {"a/t1": 1.0, "b/t1": 2.0}
    assert again.with_changes(uid=5).uid == 5 and request.uid == 61000


def test_statuses_are_typed_and_read_back_from_plain_data():
    result = SubmissionResult("s", "a", "timeout")
    assert result.status is Status.TIMEOUT and result.status.executed and not Status.MISSING.graded
    assert SubmissionResult.from_dict(json.loads(json.dumps(result.to_dict()))).status is Status.TIMEOUT
    assert list(STATUSES) == [s.value for s in Status] and STATUSES["ok"] == Status.OK.meaning
    with pytest.raises(ResultError, match="unknown status 'fine'"):
        SubmissionResult.from_dict({**result.to_dict(), "status": "fine"})


@pytest.mark.parametrize("statuses, combined", [
    ([PASSED, FAILED, NOT_ATTEMPTED], FAILED), ([PASSED, NOT_ATTEMPTED], NOT_ATTEMPTED),
    ([PASSED, PASSED], PASSED), ([PASSED, None], NOT_RUN_YET), ([], NOT_RUN_YET)])
def test_an_exercise_combines_its_suites(statuses, combined):
    assert combine(statuses) == combined


def test_the_ledger_is_aligned_on_its_own_cell():
    cell = nbformat.v4.new_code_cell(LEDGER_CELL)
    cell.execution_count = 9
    report = [10, [["f", 3], ["g", 3]], [["f", "passed", 3], ["q", "not attempted", 5]]]  # counter one ahead
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": LEDGER_MARK + json.dumps(report)})]
    ledger = read_ledger(cell)
    assert ledger.passed == [2, 2] and ledger.statuses_in(4) == [NOT_ATTEMPTED] and ledger.statuses_in(7) == []
    cell.execution_count = None
    assert read_ledger(cell) is None and read_ledger(None) is None


def test_tampering_is_marked_and_read_in_one_place():
    assert tampering_in("AssertionError: f: " + tampering("torch.sum was replaced")) == "torch.sum was replaced"
    assert tampering_in("AssertionError: f: expected 1, got 2") is None


def test_exit_codes_come_from_our_own_errors(monkeypatch, capsys):
    """A usage error exits 2; the run failing exits 1; an unexpected ValueError is a bug (1), not usage."""
    from autograder import cli
    from autograder.inputs.collect import CollectError
    from autograder.errors import GraderError, UsageError
    from autograder.engine.sandbox import SandboxUnavailable

    def failing(error):
        def run(args):
            raise error
        return run

    for error, code in [(CollectError("nothing to grade"), 2), (SandboxUnavailable("no bwrap"), 2),
                        (UsageError("--due: no time zone"), 2), (GraderError("worker died"), 1),
                        (ValueError("nbformat broke"), 1)]:
        monkeypatch.setattr(cli, "_stop", failing(error))
        assert cli.main(["stop"]) == code, error
    assert capsys.readouterr().err.splitlines()[-1] == "error: ValueError: nbformat broke (-vv shows the traceback)"
