"""The check machinery: messages, stderr, not-implemented stubs."""

from __future__ import annotations

import sys
import warnings

import pytest
import torch

from dlcourse.checks._core import (call, expect_close, expect_raises, expect_scalar_close,
                                   fail, run_suite)
from dlcourse.checks.answers import check_answer, check_choice, check_number


def test_run_suite_passes_and_prints_one_line(capsys):
    assert run_suite("f", [lambda: None, lambda: None]) is True
    assert capsys.readouterr().out.strip() == "✅ f: 2/2 checks passed"


def test_run_suite_reports_first_failure_with_name():
    def bad():
        fail("output shape", (2, 3), (3, 2), "transpose")
    with pytest.raises(AssertionError, match=r"^f: output shape: expected \(2, 3\), got \(3, 2\)\. Hint: transpose$"):
        run_suite("f", [bad, lambda: 1 / 0])


def test_run_suite_turns_not_implemented_into_friendly_message():
    def stub():
        raise NotImplementedError()
    with pytest.raises(AssertionError, match="f is not implemented yet"):
        run_suite("f", [lambda: call(stub)])


def test_run_suite_describes_a_crash():
    def crash():
        """f(torch.ones(2))"""
        raise IndexError("index 5 is out of bounds")
    with pytest.raises(AssertionError, match=r"f\(torch.ones\(2\)\): your code raised IndexError"):
        run_suite("f", [crash])


def test_run_suite_writes_nothing_to_stderr(capfd):
    """nbgrader scores a test cell that writes to stderr as failed."""
    def noisy():
        warnings.warn("a torch-like UserWarning", UserWarning)
        print("debug output", file=sys.stderr)
    run_suite("f", [noisy])
    assert capfd.readouterr().err == ""


def test_expect_close_reports_magnitudes():
    with pytest.raises(AssertionError, match="max abs diff 0.5"):
        expect_close("y", torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), "hint")


def test_expect_close_rejects_lookalikes():
    class AlwaysEqual:
        def __eq__(self, other):
            return True
    with pytest.raises(AssertionError, match="a torch.Tensor"):
        expect_close("y", AlwaysEqual(), torch.tensor([1.0]), "hint")


def test_expect_scalar_close_rejects_bool_and_nan():
    with pytest.raises(AssertionError):
        expect_scalar_close("v", True, 1.0, "h")
    with pytest.raises(AssertionError):
        expect_scalar_close("v", float("nan"), 1.0, "h")


def test_expect_raises_requires_the_right_error():
    with pytest.raises(AssertionError, match="expected ValueError to be raised, got no error"):
        expect_raises("f(-1)", ValueError, lambda v: v, -1, hint="h")
    with pytest.raises(AssertionError, match="got TypeError"):
        expect_raises("f(-1)", ValueError, lambda v: len(v), -1, hint="h")


def test_choice_and_answer():
    with pytest.raises(AssertionError, match="not answered yet"):
        check_choice("q", None, (1, 2))
    with pytest.raises(AssertionError, match="one of"):
        check_choice("q", True, (1, 2))  # True == 1, but it is not an int answer
    assert check_choice("q", 2, (1, 2))
    with pytest.raises(AssertionError) as failure:
        check_answer("q", 2, 1, hint="look again")
    assert "1" not in str(failure.value).replace("q:", "")  # never reveals the answer


def test_number_form():
    with pytest.raises(AssertionError, match="not answered yet"):
        check_number("q", None)
    for not_a_number in ("0.25", True, float("nan"), float("inf"), [0.25]):
        with pytest.raises(AssertionError, match="finite Python number"):
            check_number("q", not_a_number)
    assert check_number("q", 1) and check_number("q", 0.25)


def test_numeric_answer_within_its_relative_tolerance():
    assert check_answer("q", 1 / 6, 0.1667, hint="h", rel_tol=0.01)
    assert check_answer("q", 0.1667, 1 / 6, hint="h", rel_tol=0.01)
    assert check_answer("q", 3, 3.16, hint="h", rel_tol=0.06)  # an int answer is a number too
    assert check_answer("q", -0.0099, -0.01, hint="h", rel_tol=0.02)
    for wrong in (0.17 * 1.02, 0.5, -1 / 6, 0.0):
        with pytest.raises(AssertionError, match="not within 1% of the answer we expected. Hint: h") as failure:
            check_answer("q", wrong, 1 / 6, hint="h", rel_tol=0.01)
        assert "0.166" not in str(failure.value).replace(repr(wrong), "")  # never reveals the answer
    for not_a_number in ("1/6", None, True, float("nan")):
        with pytest.raises(AssertionError, match="finite Python number"):
            check_answer("q", not_a_number, 1 / 6, hint="h", rel_tol=0.01)


def test_without_a_tolerance_an_answer_is_exact():
    with pytest.raises(AssertionError, match="not the answer we expected"):
        check_answer("q", 0.16666, 1 / 6, hint="h")
    with pytest.raises(AssertionError):
        check_answer("q", 1.0, 1, hint="h")  # type and value, as for a choice
