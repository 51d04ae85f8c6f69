"""Hidden cases of the 05_remedies depth checks (dlcourse/checks/depth.py)."""

from __future__ import annotations

import torch
from torch import nn

from dlcourse.checks._core import call, case, expect_close, expect_raises, fail, seeded
from dlcourse.checks.depth import (SHAPES, _build, _check_clip, _check_forward, _linears, _parameters,
                                   residual_forward)

f64 = torch.float64


def clip_grad_norm_(clip_grad_norm_):
    @case("clip_grad_norm_ with a parameter whose .grad is None, given as an iterator")
    def missing_grad():
        params = _parameters(2, SHAPES, scale=3.0, without_grad=(1,))
        _check_clip(clip_grad_norm_, params, 0.5, "clip_grad_norm_(iter(params), 0.5)",
                    as_iterator=True)

    @case("clip_grad_norm_ on all-zero gradients")
    def zero_grads():
        params = _parameters(3, SHAPES, scale=0.0)
        _check_clip(clip_grad_norm_, params, 1.0, "clip_grad_norm_ on zero gradients")

    @case("clip_grad_norm_ on float32 gradients")
    def float32():
        _check_clip(clip_grad_norm_, _parameters(4, SHAPES, scale=2.0, dtype=torch.float32), 1.0,
                    "clip_grad_norm_ on float32 gradients", rtol=1e-5)

    @case("clip_grad_norm_(model.parameters(), 0.05) after a backward pass")
    def model_parameters():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(5)
            model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3)).double()
        model(torch.randn(7, 5, generator=seeded(6), dtype=f64)).pow(2).sum().backward()
        params = list(model.parameters())
        _check_clip(lambda ps, m: clip_grad_norm_(ps, m), params, 0.05,
                    "clip_grad_norm_(model.parameters(), 0.05)")

    return [missing_grad, zero_grads, float32, model_parameters]


def ResidualMLP(ResidualMLP):
    @case("ResidualMLP with relu and sigmoid, depths 1 and 6")
    def other_blocks():
        for width, depth, activation in ((4, 1, "relu"), (16, 6, "sigmoid"), (5, 2, "relu")):
            _check_forward(ResidualMLP, width, depth, activation, seed=width + depth)

    @case("ResidualMLP(8, 2, 'softmax')")
    def unknown_activation():
        expect_raises("ResidualMLP(8, 2, 'softmax')", ValueError, ResidualMLP, 8, 2, "softmax",
                      hint="support 'relu', 'tanh' and 'sigmoid'; raise ValueError otherwise")

    @case("ResidualMLP(8, 4, 'tanh') on float32 input, gradients to the input and every layer")
    def float32_gradients():
        model = _build(ResidualMLP, 8, 4, "tanh")
        X = torch.randn(5, 8, generator=seeded(7)).requires_grad_(True)
        call(model, X).sum().backward()
        if X.grad is None or any(layer.weight.grad is None for layer in _linears(model)):
            fail("gradients after ResidualMLP(8, 4, 'tanh')(X).sum().backward()",
                 "a gradient for X and for every layer's weight", "some missing",
                 "use torch operations only (no .detach(), .item() or numpy inside forward)")
        leaf = X.detach().clone().requires_grad_(True)
        residual_forward(_linears(model), "tanh", leaf).sum().backward()
        expect_close("the gradient of ResidualMLP(8, 4, 'tanh')(X).sum() with respect to X",
                     X.grad, leaf.grad, "the skip path carries the gradient too: do not detach h "
                     "(a gradient for X flows through both x and f(x))", atol=1e-5, rtol=1e-4)

    return [other_blocks, unknown_activation, float32_gradients]
