"""The one rule for built-ins: `run_suite(..., forbidden=rule)` watches every `call` of the student's code."""

from __future__ import annotations

import sys
import threading

import pytest
import torch
import torch.nn.functional as F

from dlcourse.checks._core import call, expect_raises, run_suite
from dlcourse.checks.forbid import Forbidden, watching
from dlcourse.checks.rules import DROPOUT, SKLEARN, TORCH_OPTIM

X = torch.ones(4, 3)


def _suite(fn, rule=DROPOUT):
    return run_suite("f", [lambda: call(fn, X, 0.5)], forbidden=rule)


def test_own_code_passes_and_the_hook_is_gone_afterwards():
    assert _suite(lambda X, p: X * (torch.rand_like(X) >= p) / (1 - p))
    assert sys.getprofile() is None


def test_a_forbidden_call_fails_with_the_rule_and_the_hook_is_gone_afterwards():
    with pytest.raises(AssertionError, match=r"^f: f calls torch.nn.functional.dropout: expected "
                                             r"your own code \(not allowed here: torch's dropout"):
        _suite(lambda X, p: F.dropout(X, p))
    assert sys.getprofile() is None


def test_a_forbidden_call_counts_even_when_the_code_then_raises():
    """A student's code that calls F.dropout and then raises ValueError does not pass expect_raises."""
    def calls_then_raises(X, p):
        F.dropout(X, 0.5)
        raise ValueError("p")
    with pytest.raises(AssertionError, match="calls torch.nn.functional.dropout"):
        run_suite("f", [lambda: expect_raises("f(X, 2)", ValueError, calls_then_raises, X, 2,
                                              hint="raise")], forbidden=DROPOUT)


def test_catching_inside_the_student_code_hides_nothing():
    def swallows(X, p):
        try:
            return F.dropout(X, p)
        except Exception:
            return X
    with pytest.raises(AssertionError, match="calls torch.nn.functional.dropout"):
        _suite(swallows)


def test_a_thread_started_by_the_student_code_is_watched():
    def in_a_thread(X, p):
        out = []
        thread = threading.Thread(target=lambda: out.append(F.dropout(X, p)))
        thread.start()
        thread.join()
        return out[0]
    with pytest.raises(AssertionError, match="calls torch.nn.functional.dropout"):
        _suite(in_a_thread)


def test_nested_calls_share_one_watch():
    """A spy that the checks hand to the student's code may itself `call` the student's code."""
    inner = lambda X, p: X  # noqa: E731
    assert _suite(lambda X, p: call(inner, X, p))
    assert sys.getprofile() is None


def test_without_a_rule_nothing_is_watched_and_the_reference_may_use_the_builtin():
    assert run_suite("f", [lambda: call(lambda X, p: F.dropout(X, p), X, 0.5)])
    with watching(None) as watch:
        assert watch is None


def test_a_whole_folder_rule_names_the_class_reached():
    def optimizer_step(X, p):
        param = X.clone().requires_grad_(True)
        param.grad = torch.ones_like(X)
        torch.optim.SGD([param], lr=p).step()
        return param.detach()
    with pytest.raises(AssertionError, match="calls torch.optim.sgd.SGD.__init__"):
        _suite(optimizer_step, TORCH_OPTIM)


def test_the_sklearn_rule_does_not_import_sklearn_by_itself():
    assert SKLEARN.paths[0].endswith("sklearn/") or SKLEARN.paths[0].endswith("sklearn\\")


def test_a_rule_of_a_class_covers_its_own_methods():
    class Spell:
        def cast(self):
            return 1
    rule = Forbidden("SPELL", "Spell", "write it", functions=(Spell,))
    with pytest.raises(AssertionError, match="calls .*Spell.cast"):
        run_suite("f", [lambda: call(lambda: Spell().cast())], forbidden=rule)
