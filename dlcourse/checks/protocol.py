"""The contract between the course's checks (in the student's kernel) and the autograder.

Both sides import this module; neither recognises a state by matching the text of a message.

- `CheckStatus`: what became of a check suite, or of a graded test cell (with its `SIGNS`).
  `NOT_RUN` is the grader's and `validate`'s "the cell never ran (an earlier cell timed out or the
  kernel died)"; `NOT_RUN_YET` is the self-check's "no run of it in this kernel yet".
- `NotAnsweredYet`: a question's answer is still its placeholder (answers.check_choice/number); a
  suite that meets it is NOT_ATTEMPTED, like a stub that raises NotImplementedError.
- `combine`: one exercise's (or one test cell's) status from the statuses of its suites.
- The ledger: after the notebook ran, a course cell publishes `ledger_report()` as display data
  marked `LEDGER_MARK`; `read_ledger` parses it back (counts aligned on that cell's number).
"""

from __future__ import annotations

import json
from enum import StrEnum


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"  #: the fill-in is still the stub, or the answer its placeholder
    NOT_RUN = "not run"              #: the test cell never ran (an earlier cell timed out, the kernel died)
    NOT_RUN_YET = "not run yet"      #: the self-check: no run of the suite in this kernel yet


PASSED, FAILED, NOT_ATTEMPTED, NOT_RUN, NOT_RUN_YET = CheckStatus
SIGNS = {PASSED: "✅", FAILED: "❌", NOT_ATTEMPTED: "⬜", NOT_RUN: "…", NOT_RUN_YET: "…"}
#: what a suite can record (the others say that no suite ran)
SUITE_STATUSES = (PASSED, FAILED, NOT_ATTEMPTED)

NOT_ANSWERED_YET = "not answered yet"


class NotAnsweredYet(AssertionError):
    """A question's answer is still the placeholder None; `instruction` says what to set."""

    def __init__(self, instruction: str):
        super().__init__(f"{NOT_ANSWERED_YET}: {instruction}")


def combine(statuses, unknown: CheckStatus = NOT_RUN_YET) -> CheckStatus:
    """The status of an exercise run as several suites (None: a suite that has not run):
    a failure wins, then not attempted; passed only if every suite passed; else `unknown`."""
    statuses = list(statuses)
    for status in (FAILED, NOT_ATTEMPTED):
        if status in statuses:
            return status
    return PASSED if statuses and all(s == PASSED for s in statuses) else unknown


# -- the ledger: which suites passed, in which cells ---------------------------------------------

LEDGER_MARK = "DLCOURSE-LEDGER "
#: appended to a notebook whose tests call check helpers; published as display data, so a
#: student's silenced stdout cannot hide it (no report when no check was ever imported)
LEDGER_CELL = ("import sys as _sys_\n"
               "if 'dlcourse.checks.protocol' in _sys_.modules:\n"
               "    from IPython.display import publish_display_data as _publish_\n"
               "    _publish_({'text/plain': _sys_.modules['dlcourse.checks.protocol'].ledger_report()})")


def ledger_text(cell) -> str:
    """The ledger cell's report as it came out of the kernel: printed (stream) or published (display data)."""
    return "".join(o.get("text", "") if o.get("output_type") == "stream" else o.get("data", {}).get("text/plain", "")
                   for o in cell.get("outputs", [])) + "\n"


def execution_count() -> int | None:
    """The IPython execution count of the cell running now (None outside IPython)."""
    try:
        return get_ipython().execution_count  # noqa: F821  (defined inside IPython)
    except NameError:
        return None


def ledger_report() -> str:
    """`LEDGER_MARK` + JSON [this cell's count, [[suite, count] of each passed suite],
    [[suite, status, count] of each suite's latest outcome]]."""
    from ._core import ledger, outcomes

    latest = [[name, str(o.status), o.execution_count] for name, o in outcomes().items()]
    return LEDGER_MARK + json.dumps([execution_count(), ledger(), latest])


class Ledger:
    """A parsed ledger report; every count is a cell number of the notebook as it was executed."""

    def __init__(self, passed: list[int | None], latest: dict[int | None, list[CheckStatus]]):
        self.passed = passed  #: the cell number of each passed suite (a cell may appear several times)
        self.latest = latest  #: cell number -> the latest statuses of the suites run in it

    def statuses_in(self, cell_number: int | None) -> list[CheckStatus]:
        return self.latest.get(cell_number, [])


def read_ledger(cell) -> Ledger | None:
    """The report of the executed ledger `cell`, or None when the cell is absent or did not run, or
    its report is absent or malformed. IPython's counter during a cell may be ahead of the cell's
    number: counts are aligned on the ledger cell's own."""
    if cell is None or cell.get("execution_count") is None:
        return None
    report = next((line for line in ledger_text(cell).splitlines() if line.startswith(LEDGER_MARK)), None)
    if report is None:
        return None
    try:
        own_count, passed, *rest = json.loads(report[len(LEDGER_MARK):])
        offset = own_count - cell["execution_count"]
        counts = [entry[1] - offset for entry in passed]
        latest: dict[int | None, list[CheckStatus]] = {}
        for _, status, count in (rest[0] if rest else []):
            latest.setdefault(None if count is None else count - offset, []).append(CheckStatus(status))
    except (ValueError, TypeError, IndexError):
        return None
    return Ledger(counts, latest)


# -- tampering: a check (in the kernel) or the grader says what was replaced ---------------------

TAMPERING_MARK = "tampering detected: "


def tampering(what: str) -> str:
    """The message of a tampering finding; the grader lists `what` among the submission's flags."""
    return TAMPERING_MARK + what


def tampering_in(message: str) -> str | None:
    """What a failed test cell's message says was tampered with (None: no tampering found). The
    message crossed the kernel boundary as text, so the mark is how the finding is recognised."""
    _, mark, what = message.partition(TAMPERING_MARK)
    return what if mark else None
