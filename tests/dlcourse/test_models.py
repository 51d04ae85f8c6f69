"""dlcourse.models: the shared model builders, training loops and the SGD step."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlcourse.labs.remedies import init_scale_sweep
from dlcourse.models import fit_classifier, linear_layers, make_digits_mlp, make_mlp, sgd_step_


def test_make_mlp_shapes_and_layers():
    model = make_mlp(64, 128, 10, 10, "sigmoid")
    assert len(linear_layers(model)) == 11
    assert model(torch.zeros(5, 64)).shape == (5, 10)
    bare = make_mlp(8, 8, 3, None, "relu", bias=False)
    assert all(layer.bias is None for layer in linear_layers(bare))
    with pytest.raises(ValueError):
        make_mlp(8, 8, 3, None, "softmax")


def test_sgd_step_matches_the_update_rule():
    model = nn.Linear(3, 2).double()
    before = [p.detach().clone() for p in model.parameters()]
    model(torch.ones(4, 3, dtype=torch.float64)).pow(2).sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    sgd_step_(model, 0.1)
    for p, p0, g in zip(model.parameters(), before, grads):
        assert torch.allclose(p, p0 - 0.1 * g) and p.grad is None


def test_make_digits_mlp_layout_and_training_history():
    """Does make_digits_mlp build Linear → norm → activation blocks, and fit_classifier call on_step?"""
    model = make_digits_mlp(num_hidden=3, width=8, norm_layer=torch.nn.BatchNorm1d,
                            generator=torch.Generator().manual_seed(0))
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "BatchNorm1d", "Sigmoid"] * 3 + ["Linear"]
    bound = (6 / (64 + 8)) ** 0.5
    assert model[0].weight.abs().max() <= bound and model[0].bias.abs().max() == 0
    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(50, 64, generator=g), torch.randint(0, 10, (50,), generator=g)
    history = fit_classifier(model, (X, y, X[:10], y[:10]), num_epochs=2, batch_size=16,
                             generator=g, on_step=lambda m: 1)
    assert len(history["test_acc"]) == 2 and history["steps"] == [1] * 8   # 2 epochs × 4 batches
    assert len(init_scale_sweep((X, y, X[:10], y[:10]), [0.1, 1.0], num_hidden=2, width=8,
                                num_epochs=1)) == 2
