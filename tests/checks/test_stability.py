"""The 04_stability checks against the instructor's solution, correct variants and realistic bugs."""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn

from answer_key import stability as key_stability
from dlcourse.runtime import single_thread
from dlcourse.checks import stability
from tests.checks.corpus_suite import corpus_tests
from tests.corpus.stability import CORRECT, SOLUTION, WRONG

CHECKS = {
    "sigmoid_grad": stability.check_sigmoid_grad,
    "tanh_grad": stability.check_tanh_grad,
    "uniform_variance": stability.check_uniform_variance,
    "matrix_product_growth": stability.check_matrix_product_growth,
    "calculate_gain": stability.check_calculate_gain,
    "xavier_uniform_": stability.check_xavier_uniform_,
    "xavier_normal_": stability.check_xavier_normal_,
    "kaiming_normal_": stability.check_kaiming_normal_,
    "forward_stats": stability.check_forward_stats,
    "grad_norms_per_layer": stability.check_grad_norms_per_layer,
}
globals().update(corpus_tests(CHECKS, SOLUTION, WRONG, CORRECT))
SEEDS = range(1000, 1200)  # 200 seeds the checks themselves never use


@pytest.fixture
def one_thread():
    """The checks run their cases on one thread; so do the statistical reruns."""
    with single_thread():
        yield


# -- statistical checks: no false failures on the reference ---------------------------------------

@pytest.mark.parametrize("name, shape, kwargs", [
    ("xavier_uniform_", (300, 200), {}),
    ("xavier_uniform_", (150, 400), {"gain": 5 / 3}),
    ("xavier_normal_", (300, 200), {}),
    ("xavier_normal_", (400, 150), {"gain": 0.5}),
    ("kaiming_normal_", (300, 200), {"nonlinearity": "relu"}),
    ("kaiming_normal_", (400, 150), {"nonlinearity": "tanh"}),
])
def test_init_statistics_have_no_false_failures(name, shape, kwargs, one_thread):
    """Does torch.nn.init's own initializer pass the statistical check on 200 other seeds?"""
    reference = getattr(torch.nn.init, name)
    for seed in SEEDS:
        stability.init_statistics_case(reference, name, shape, seed, **kwargs)


def test_init_statistics_solution_has_no_false_failures(one_thread):
    for name, kwargs in [("xavier_uniform_", {}), ("xavier_normal_", {}),
                         ("kaiming_normal_", {"nonlinearity": "relu"})]:
        for seed in SEEDS:
            stability.init_statistics_case(SOLUTION[name], name, (300, 200), seed, **kwargs)


def test_matrix_growth_has_no_false_failures(one_thread):
    for seed in SEEDS:
        key_stability.matrix_growth_case(SOLUTION["matrix_product_growth"], seed)


def test_kaiming_depth_has_no_false_failures(one_thread):
    """torch.nn.init.kaiming_normal_ keeps the 10-layer second-moment ratio in [1/4, 4]."""
    for seed in SEEDS:
        key_stability.kaiming_depth_case(torch.nn.init.kaiming_normal_, seed)


def test_xavier_relu_depth_has_no_false_failures(one_thread):
    for seed in SEEDS:
        key_stability.xavier_relu_depth_case(SOLUTION["forward_stats"], seed)


def test_gradient_ratio_has_no_false_failures(one_thread):
    for seed in SEEDS:
        key_stability.gradient_ratio_case(SOLUTION["grad_norms_per_layer"], seed)


def test_torch_init_works_after_a_refused_call():
    with pytest.raises(AssertionError, match="calls torch.nn.init.xavier_uniform_"):
        stability.check_xavier_uniform_(WRONG["xavier_uniform_"][8][0], hidden=True)
    assert sys.getprofile() is None
    assert nn.Linear(3, 2).weight.shape == (2, 3)  # nn.Linear's own init still works
