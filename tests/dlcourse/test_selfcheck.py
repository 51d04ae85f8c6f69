"""The record of suite outcomes kept by run_suite, and the self-check summary built from it."""

from __future__ import annotations

import contextlib
import sys
import threading

import pytest

from dlcourse.checks import _core, selfcheck
from dlcourse.checks._core import (FAILED, NOT_ATTEMPTED, PASSED, call, fail, ledger, outcomes,
                                   run_suite)
from dlcourse.checks.answers import check_answer, check_choice
from dlcourse.checks.selfcheck import (NOT_RUN, Exercise, exercise_status, format_summary,
                                       summary)


@pytest.fixture(autouse=True)
def fresh_record(monkeypatch):
    """Each test starts from a kernel in which no suite has run."""
    monkeypatch.setattr(_core, "_OUTCOMES", {})
    monkeypatch.setattr(_core, "_LEDGER", [])


_WATCHED = ("open", "os.", "subprocess.", "socket.", "shutil.", "import", "compile")
_watching: dict = {}  # thread id -> list of audit events seen while watched


def _audit_hook(event: str, args) -> None:
    seen = _watching.get(threading.get_ident())
    if seen is not None and event.startswith(_WATCHED):
        seen.append(event)


sys.addaudithook(_audit_hook)  # hooks cannot be removed: it records only inside _audit_events()


@contextlib.contextmanager
def _audit_events():
    """The file, process, socket and import audit events raised by this thread inside the block."""
    events = _watching[threading.get_ident()] = []
    try:
        yield events
    finally:
        del _watching[threading.get_ident()]


def _stub():
    raise NotImplementedError()


def _run(name, case):
    try:
        run_suite(name, [case])
    except AssertionError:
        pass


def test_run_suite_records_each_outcome():
    def wrong():
        fail("f(2)", 4, 5, "square it")

    _run("ok", lambda: None)
    _run("wrong", wrong)
    _run("stub", lambda: call(_stub))
    _run("crash", lambda: 1 / 0)
    got = {name: (o.status, o.message.split(":")[0]) for name, o in outcomes().items()}
    assert got == {"ok": (PASSED, ""), "wrong": (FAILED, "wrong"), "crash": (FAILED, "crash"),
                   "stub": (NOT_ATTEMPTED, "stub is not implemented yet")}


def test_an_unanswered_question_or_a_raw_not_implemented_error_is_not_attempted():
    with pytest.raises(AssertionError, match="not answered yet"):
        check_choice("answer", None, (1, 2))
    _run("raw", _stub)  # the student's code raised NotImplementedError outside call()
    assert outcomes()["answer"].status == outcomes()["raw"].status == NOT_ATTEMPTED


def test_only_the_latest_outcome_counts():
    _run("f", lambda: call(_stub))
    _run("f", lambda: None)
    assert outcomes()["f"].status == PASSED
    with pytest.raises(AssertionError):
        check_answer("q", 2, 3, hint="think")
    assert outcomes()["q"].status == FAILED and "Hint: think" in outcomes()["q"].message


def test_the_ledger_still_lists_passed_suites_only():
    """The autograder reads ledger(): its format must not change."""
    _run("good", lambda: None)
    _run("bad", lambda: 1 / 0)
    assert ledger() == [("good", None)]


def _outcome(status, message="", order=0):
    return _core.SuiteOutcome(status, message, None, order)


@pytest.mark.parametrize(("statuses", "expected"), [
    ((PASSED, PASSED), PASSED),
    ((PASSED, FAILED), FAILED),
    ((NOT_ATTEMPTED, FAILED), FAILED),
    ((PASSED, NOT_ATTEMPTED), NOT_ATTEMPTED),
    ((PASSED, None), NOT_RUN),
    ((None, None), NOT_RUN),
])
def test_an_exercise_with_two_suites(statuses, expected):
    exercise = Exercise("Exercise 1", "test_f", ("f", "g"))
    latest = {name: _outcome(status, f"{name}: broken") for name, status in zip("fg", statuses) if status}
    assert exercise_status(exercise, latest).status == expected


def test_a_failure_shows_the_first_line_of_its_message_without_the_suite_name():
    exercise = Exercise("Exercise 2", "test_f", ("f",))
    message = "f: f(2): expected 4, got 5. Hint: square it\nsecond line"
    status = exercise_status(exercise, {"f": _outcome(FAILED, message)})
    assert status.message == "f(2): expected 4, got 5. Hint: square it"
    assert len(exercise_status(exercise, {"f": _outcome(FAILED, "x" * 1000)}).message) <= selfcheck.MESSAGE_CHARS


def test_the_table_lists_every_exercise_and_a_total():
    exercises = [Exercise("Exercise 1", "a", ("f",)), Exercise("Question 1", "b", ("answer",)),
                 Exercise("Exercise 2", "c", ("g",)), Exercise("Exercise 3", "d", ("h",))]
    latest = {"f": _outcome(PASSED), "answer": _outcome(NOT_ATTEMPTED, "answer: not answered yet"),
              "g": _outcome(FAILED, "g: g(1): expected 1, got 2. Hint: h")}
    text = format_summary("01_fitting", [exercise_status(e, latest) for e in exercises])
    lines = text.splitlines()
    assert "01_fitting" in lines[0]
    assert lines[1].startswith("  Exercise 1  f") and lines[1].endswith("✅ passed")
    assert lines[2].endswith("⬜ not attempted")
    assert lines[3].endswith("❌ failed") and lines[4].strip() == "g(1): expected 1, got 2. Hint: h"
    assert lines[5].endswith("… not run yet")
    assert lines[6].startswith("1/4 exercises pass.")
    rows = [lines[i] for i in (1, 2, 3, 5)]  # the status column is aligned
    assert len({min(row.find(sign) for sign in selfcheck.SIGNS.values() if sign in row) for row in rows}) == 1


def test_all_passed_says_so():
    exercises = [Exercise("Exercise 1", "a", ("f",))]
    text = format_summary("x", [exercise_status(exercises[0], {"f": _outcome(PASSED)})])
    assert "1/1 exercises pass. Well done!" in text


def test_summary_prints_to_stdout_only(capfd):
    check_choice("cs231n_drop_probability", 0.2, (0.2, 0.8, 1.25))
    capfd.readouterr()
    assert summary("03_dropout") is None
    out, err = capfd.readouterr()
    assert err == ""
    assert "Question 1  cs231n_drop_probability" in out and "✅ passed" in out
    assert f"1/{len(selfcheck.REGISTRY['03_dropout'])} exercises pass" in out


def test_summary_never_raises(capsys, monkeypatch):
    summary("99_unknown")
    assert "No self-check for '99_unknown'" in capsys.readouterr().out

    def broken():
        raise RuntimeError("record corrupted")
    monkeypatch.setattr(selfcheck, "outcomes", broken)
    summary("01_fitting")
    assert "could not be computed (RuntimeError: record corrupted)" in capsys.readouterr().out


def test_summary_reads_only_the_record_in_memory(capsys):
    """Does summary() run no check and open no file, process or socket? (Timed in benchmarks/.)"""
    for name in ("poly_features", "mse", "fit_sgd"):
        _run(name, lambda: None)
    recorded = _core.outcomes()
    with _audit_events() as events:
        summary("01_fitting")
    assert "3/" in capsys.readouterr().out
    assert _core.outcomes() == recorded  # no suite ran again
    assert events == []


def test_during_grading_the_table_says_hidden_checks_are_included(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    exercise = Exercise("Exercise 1", "a", ("f",))
    text = format_summary("x", [exercise_status(exercise, {"f": _outcome(PASSED)})])
    assert "(hidden checks included)" in text and "run when your notebook is graded" not in text
