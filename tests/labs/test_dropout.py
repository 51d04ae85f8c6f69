"""dlcourse.labs.dropout: the 03_dropout experiments on torch's dropout and the solution's MLP."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dlcourse.labs.dropout import constant_init_, count_distinct_rows, dropout_moments, first_linear
from tests.corpus.dropout import SOLUTION


def test_lab_dropout_moments_follow_the_theory():
    """Does dropout_moments measure mean h and variance h² p / (1 - p) on torch's dropout?"""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        moments = dropout_moments(lambda X, p: F.dropout(X, p), [0.0, 0.5, 0.8], h=2.0)
    assert moments["mean"] == pytest.approx([2.0, 2.0, 2.0], abs=0.05)
    assert moments["variance"] == pytest.approx([0.0, 4.0, 16.0], rel=0.05, abs=1e-12)


def test_lab_constant_init_makes_identical_units():
    """Does constant_init_ give every unit of a layer the same row, and count_distinct_rows see it?"""
    model = constant_init_(SOLUTION["DropoutMLP"](6, 5, 4, 3, 0.5, 0.5), 0.05)
    layer = first_linear(model)
    assert tuple(layer.weight.shape) == (5, 6)
    assert count_distinct_rows(layer.weight) == 1
    assert all((m.bias == 0).all() for m in model.modules() if isinstance(m, torch.nn.Linear))
    W = torch.tensor([[1.0, 2.0], [1.0, 2.0 + 1e-6], [0.0, 2.0]])
    assert count_distinct_rows(W) == 2 and count_distinct_rows(W, atol=1e-8) == 3
