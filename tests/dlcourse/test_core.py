"""The check machinery: messages, stderr, not-implemented stubs."""

from __future__ import annotations

import sys
import warnings

import pytest
import torch

from dlcourse.checks._core import (call, expect_close, expect_raises, expect_scalar_close,
                                   fail, run_suite)
from dlcourse.checks.answers import check_answer, check_choice


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
