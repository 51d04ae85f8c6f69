"""The checks of 05_remedies' remedies for depth (clipping, residual blocks) against the solution,
correct variants and realistic bugs."""

from __future__ import annotations

import sys

import pytest
import torch

from dlcourse.checks import depth
from tests.checks.corpus_suite import corpus_tests, stub_test
from tests.corpus.depth import CORRECT, SOLUTION, WRONG

CHECKS = {
    "clip_grad_norm_": depth.check_clip_grad_norm_,
    "ResidualMLP": depth.check_ResidualMLP,
}
test_solution_passes, test_correct_alternative_passes, test_wrong_implementation_fails_with_message, \
    test_corpus_is_large_enough = corpus_tests(CHECKS, SOLUTION, WRONG, CORRECT)


@pytest.mark.parametrize("name", CHECKS)
def test_each_new_function_has_at_least_eight_wrong_answers(name):
    assert len(WRONG[name]) >= 8


test_stub_reports_not_implemented = stub_test(CHECKS, classes=("ResidualMLP",))


def test_checks_leave_global_state_alone():
    """The global RNG stream and the profile hook are the same after the checks ran."""
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for name, check in CHECKS.items():
        check(SOLUTION[name]) and check(SOLUTION[name], hidden=True)
    assert torch.equal(torch.rand(3), expected)
    assert sys.getprofile() is None


def test_the_residual_reference_is_the_solution_on_random_weights():
    torch.manual_seed(0)
    model = SOLUTION["ResidualMLP"](6, 5, "sigmoid")
    X = torch.randn(3, 6)
    assert torch.allclose(model(X), depth.residual_forward(list(model.layers), "sigmoid", X))
