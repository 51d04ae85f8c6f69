"""`validate`'s report: passed, failed, not attempted (the stub is still there) or not run, per cell.

Not attempted comes from the suites' own statuses (the ledger report, dlcourse.checks.protocol),
never from the wording of a message.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.flows.validate import (FAILED, LEDGER_KEY, NOT_ATTEMPTED, NOT_RUN, PASSED, check_outcomes,
                                 format_outcomes)
from dlcourse.checks.protocol import LEDGER_CELL, LEDGER_MARK


def _test_cell(grade_id, error=None, count=None):
    cell = new_code_cell("assert check_f(f)", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": 1,
        "schema_version": 3}})
    cell.execution_count = count
    if error:
        cell.outputs = [new_output("error", ename=error[0], evalue=error[1], traceback=[])]
    return cell


def _ledger(count, suites):
    """The executed ledger cell, numbered `count`, reporting (suite, status, cell number) of each suite."""
    cell = new_code_cell(LEDGER_CELL)
    cell.execution_count = count
    report = LEDGER_MARK + json.dumps([count, [[s, n] for s, status, n in suites if status == PASSED], suites])
    cell.outputs = [new_output("display_data", data={"text/plain": report})]
    return cell


@pytest.fixture
def executed():
    nb = new_notebook(cells=[
        _test_cell("test_ok", count=1),
        _test_cell("test_wrong", ("AssertionError", "f: f(2): expected 4, got 5. Hint: square it"), 2),
        _test_cell("test_stub", ("AssertionError", "f is not implemented yet: fill in the cell above, then run it."), 3),
        _test_cell("test_question", ("AssertionError", "answer: not answered yet: set answer to one of [1, 2]"), 4),
        _test_cell("test_raw", ("NotImplementedError", ""), 5),
        _test_cell("test_name", ("NameError", "name 'f' is not defined"), 6),
        _test_cell("test_after_timeout"),
    ])
    nb.metadata[LEDGER_KEY] = _ledger(7, [["f_ok", PASSED, 1], ["f", FAILED, 2], ["g", NOT_ATTEMPTED, 3],
                                          ["answer", NOT_ATTEMPTED, 4]])
    return nb


def test_without_a_ledger_a_failed_cell_is_failed(executed):
    """No report (the kernel died before the ledger cell): a failure is not guessed from its words."""
    del executed.metadata[LEDGER_KEY]
    statuses = {o.grade_id: o.status for o in check_outcomes(executed)}
    assert statuses["test_stub"] == statuses["test_question"] == FAILED
    assert statuses["test_raw"] == NOT_ATTEMPTED  # the cell itself raised NotImplementedError


def test_each_cell_gets_its_category(executed):
    statuses = {o.grade_id: o.status for o in check_outcomes(executed)}
    assert statuses == {"test_ok": PASSED, "test_wrong": FAILED, "test_stub": NOT_ATTEMPTED,
                        "test_question": NOT_ATTEMPTED, "test_raw": NOT_ATTEMPTED,
                        "test_name": FAILED, "test_after_timeout": NOT_RUN}
    assert [o.passed for o in check_outcomes(executed)] == [True] + [False] * 6


def test_report_shows_messages_of_failures_only_and_counts_each_category(executed):
    text = format_outcomes(check_outcomes(executed))
    lines = text.splitlines()
    assert lines[0] == "✅ test_ok (1 pt): passed"
    assert lines[1] == "❌ test_wrong (1 pt): failed"
    assert lines[2].strip() == "AssertionError: f: f(2): expected 4, got 5. Hint: square it"
    assert lines[3] == "⬜ test_stub (1 pt): not attempted"
    assert "not implemented yet" not in text  # a stub needs no message: the category says it
    assert lines[-1] == "1/7 checks passed (2 failed, 3 not attempted, 1 not run)"


def test_all_passed_total_has_no_breakdown():
    nb = new_notebook(cells=[_test_cell("test_a", count=1), _test_cell("test_b", count=2)])
    assert format_outcomes(check_outcomes(nbformat.from_dict(nb))).splitlines()[-1] == "2/2 checks passed"
