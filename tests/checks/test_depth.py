"""The checks of 05_remedies' remedies for depth (clipping, residual blocks) against the solution,
correct variants and realistic bugs."""

from __future__ import annotations

import pytest
import torch

from dlcourse.checks import depth
from tests.checks.corpus_suite import corpus_tests
from tests.corpus.depth import CORRECT, SOLUTION, WRONG

CHECKS = {
    "clip_grad_norm_": depth.check_clip_grad_norm_,
    "ResidualMLP": depth.check_ResidualMLP,
}
globals().update(corpus_tests(CHECKS, SOLUTION, WRONG, CORRECT, classes=("ResidualMLP",)))


@pytest.mark.parametrize("name", CHECKS)
def test_each_new_function_has_at_least_eight_wrong_answers(name):
    assert len(WRONG[name]) >= 8


def test_the_residual_reference_is_the_solution_on_random_weights():
    torch.manual_seed(0)
    model = SOLUTION["ResidualMLP"](6, 5, "sigmoid")
    X = torch.randn(3, 6)
    assert torch.allclose(model(X), depth.residual_forward(list(model.layers), "sigmoid", X))
