"""Checks for 05_remedies, the remedies for depth: gradient clipping and residual blocks.

References: torch.nn.utils.clip_grad_norm_ (run on copies of the parameters) and a residual
forward pass written here from the student's own nn.Linear layers, h ← h + act(linear(h)).
Exactness checks run in float64. N is the batch size and `width` the number of features.
"""

from __future__ import annotations

import torch
from torch import nn

from ._core import call, case, expect_close, expect_shape, fail, run_suite, seeded
from .rules import CLIP_GRAD
from .hidden import cases as hidden_cases

f64 = torch.float64
ACTIVATION_FUNCTIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


# -- clip_grad_norm_ -----------------------------------------------------------------------------

def _parameters(seed: int, shapes, scale: float = 1.0, without_grad=(), dtype=f64) -> list:
    """Leaf tensors with seeded gradients (None for the indices in without_grad)."""
    g = seeded(seed)
    params = []
    for i, shape in enumerate(shapes):
        p = torch.randn(shape, generator=g, dtype=f64).to(dtype).requires_grad_(True)
        if i not in without_grad:
            p.grad = (scale * torch.randn(shape, generator=g, dtype=f64)).to(dtype)
        params.append(p)
    return params


def _torch_clip(params, max_norm: float):
    """(total norm, clipped gradients) from torch.nn.utils.clip_grad_norm_ on copies."""
    copies = []
    for p in params:
        q = p.detach().clone().requires_grad_(True)
        q.grad = None if p.grad is None else p.grad.detach().clone()
        copies.append(q)
    total = torch.nn.utils.clip_grad_norm_(copies, max_norm)
    return float(total), [q.grad for q in copies]


def _number(what: str, got) -> float:
    if isinstance(got, torch.Tensor) and got.dim() == 0:
        return float(got)
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        return float(got)
    fail(what, "the total norm, a float or a 0-d tensor", type(got).__name__,
         "return the norm of all gradients together, computed before clipping")


def _total_hint(got: float, total: float, max_norm: float, norms: list[float]) -> str:
    close = lambda a, b: abs(a - b) <= 1e-5 * max(1.0, abs(b))  # noqa: E731
    if close(got, min(total, max_norm)) and total > max_norm:
        return "return the total norm from BEFORE clipping (PyTorch returns it so you can log it)"
    if close(got, total ** 2):
        return "take the square root of the sum of the squared gradient entries"
    if close(got, sum(norms)):
        return ("the total norm is sqrt(sum of the squares of every entry of every gradient), "
                "not the sum of the per-tensor norms")
    return ("sum the squares of every gradient entry over all parameters, then take one square "
            "root; skip parameters whose .grad is None")


def _grads_hint(got, expected, before, max_norm: float, total: float) -> str:
    if total <= max_norm:
        return "when the total norm is at most max_norm, leave the gradients as they are"
    per_tensor = all(torch.allclose(g, b * min(1.0, max_norm / (b.norm().item() + 1e-6)), rtol=1e-9)
                     for g, b in zip(got, before))
    if per_tensor:
        return ("clip all gradients by ONE common factor computed from the total norm, not each "
                "tensor by its own norm")
    without_eps = all(torch.allclose(g, b * max_norm / total, rtol=1e-12, atol=0)
                      for g, b in zip(got, before))
    if without_eps:
        return "PyTorch's factor is max_norm / (total_norm + 1e-6): add the 1e-6"
    return ("multiply every gradient in place by max_norm / (total_norm + 1e-6) when that factor "
            "is below 1")


def _check_clip(clip_grad_norm_, params, max_norm: float, what: str, as_iterator=False, rtol=1e-9):
    before = [None if p.grad is None else p.grad.detach().clone() for p in params]
    grad_objects = [p.grad for p in params]
    total, expected = _torch_clip(params, max_norm)
    got = _number(f"the value returned by {what}",
                  call(clip_grad_norm_, iter(params) if as_iterator else params, max_norm))
    norms = [b.norm().item() for b in before if b is not None]
    if abs(got - total) > rtol * max(1.0, total) + 1e-12:
        fail(f"the value returned by {what}", f"{total:.10g}", f"{got:.10g}",
             _total_hint(got, total, max_norm, norms))
    for i, (p, grad_object) in enumerate(zip(params, grad_objects)):
        if grad_object is None:
            if p.grad is not None:
                fail(f"parameter {i} (no gradient) after {what}", "p.grad still None",
                     "a gradient", "skip parameters whose .grad is None")
        elif p.grad is not grad_object:
            fail(f"parameter {i}'s .grad after {what}", "the same tensor, scaled in place",
                 "a new tensor", "scale in place, e.g. p.grad.mul_(factor) under torch.no_grad(); "
                 "an optimizer keeps reading the same .grad tensors")
    got_grads = [p.grad for p in params if p.grad is not None]
    expected_grads = [e for e in expected if e is not None]
    known = [b for b in before if b is not None]
    hint = _grads_hint([g.detach().double() for g in got_grads],
                       [e.double() for e in expected_grads], [b.double() for b in known],
                       max_norm, total)
    for i, (g, e) in enumerate(zip(got_grads, expected_grads)):
        expect_close(f"gradient {i} after {what}", g, e, hint, atol=1e-12, rtol=rtol)


SHAPES = [(4, 3), (4,), (2, 4), (2,)]


def check_clip_grad_norm_(clip_grad_norm_, hidden: bool = False) -> bool:
    """Visible: total norm and gradients vs torch.nn.utils.clip_grad_norm_ for max_norm below and
    above the norm. Hidden: a parameter without gradient, an iterator, zero gradients, float32,
    a model's parameters. Not allowed: torch/nn/utils/clip_grad.py."""
    @case("clip_grad_norm_ on 4 parameters with max_norm = 1 (below their total norm)")
    def clips():
        _check_clip(clip_grad_norm_, _parameters(0, SHAPES), 1.0, "clip_grad_norm_(params, 1.0)")

    @case("clip_grad_norm_ with max_norm = 100 (above the total norm)")
    def leaves():
        _check_clip(clip_grad_norm_, _parameters(1, SHAPES), 100.0, "clip_grad_norm_(params, 100.0)")

    visible = [clips, leaves]
    return run_suite("clip_grad_norm_", hidden_cases("depth", "clip_grad_norm_", clip_grad_norm_)
                     if hidden else visible, forbidden=CLIP_GRAD)


# -- ResidualMLP ---------------------------------------------------------------------------------

def _linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def residual_forward(linears, activation: str, X: torch.Tensor) -> torch.Tensor:
    """The reference: h ← h + act(linear(h)) for every linear layer in order."""
    h = X
    for layer in linears:
        h = h + ACTIVATION_FUNCTIONS[activation](layer(h))
    return h


def _forward_hint(got, linears, activation, X) -> str:
    act = ACTIVATION_FUNCTIONS[activation]
    variants = {
        "each block returns x + f(x) (the skip connection adds the block's INPUT to its output)":
            lambda h, layer: act(layer(h)),
        "apply the activation inside the block, before adding: x + act(linear(x)), "
        "not act(x + linear(x))": lambda h, layer: act(h + layer(h)),
        "f(x) = act(linear(x)): the linear layer comes first, then the activation":
            lambda h, layer: h + layer(act(h)),
    }
    with torch.no_grad():
        for hint, block in variants.items():
            h = X
            for layer in linears:
                h = block(h, layer)
            if got.shape == h.shape and torch.allclose(got.double(), h.double(), rtol=1e-9, atol=1e-12):
                return hint
    return "every block computes h = h + act(linear(h)), with its own nn.Linear(width, width)"


def _build(ResidualMLP, width: int, depth: int, activation: str) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(width * 100 + depth)
        model = call(ResidualMLP, width, depth, activation)
    if not isinstance(model, nn.Module):
        fail(f"ResidualMLP({width}, {depth}, {activation!r})", "an nn.Module", type(model).__name__,
             "subclass nn.Module and call super().__init__() first")
    return model


def _check_structure(model: nn.Module, width: int, depth: int, what: str) -> list[nn.Linear]:
    linears = _linears(model)
    if len(linears) != depth:
        fail(f"number of distinct nn.Linear layers registered in {what}", depth, len(linears),
             "create depth separate nn.Linear(width, width) layers (not one layer reused, not "
             "[layer] * depth) and keep them in an nn.ModuleList so that they are registered")
    for i, layer in enumerate(linears):
        if (layer.in_features, layer.out_features) != (width, width) or layer.bias is None:
            fail(f"layer {i} of {what}", f"nn.Linear({width}, {width}) with a bias",
                 f"nn.Linear({layer.in_features}, {layer.out_features}, bias={layer.bias is not None})",
                 "a residual block keeps the width: x and f(x) must have the same shape to be added")
    expected = depth * (width * width + width)
    got = sum(p.numel() for p in model.parameters())
    if got != expected:
        fail(f"number of parameters of {what}", expected, got,
             "the model has only the depth linear layers: no extra projection or output layer")
    return linears


def _check_forward(ResidualMLP, width: int, depth: int, activation: str, seed: int) -> None:
    what = f"ResidualMLP({width}, {depth}, {activation!r})"
    model = _build(ResidualMLP, width, depth, activation)
    linears = _check_structure(model, width, depth, what)
    model = model.double()
    X = torch.randn(6, width, generator=seeded(seed), dtype=f64)
    got = call(model, X)
    expect_shape(f"{what}(X) for X of shape (6, {width})", got, (6, width),
                 "the output has the input's shape (N, width)")
    with torch.no_grad():
        expected = residual_forward(linears, activation, X)
    expect_close(f"{what}(X)", got, expected, _forward_hint(got.detach(), linears, activation, X),
                 atol=1e-10, rtol=1e-9)


def check_ResidualMLP(ResidualMLP, hidden: bool = False) -> bool:
    """Visible: 3 tanh blocks of width 8, structure and forward vs h ← h + act(linear(h)).
    Hidden: relu and sigmoid, depths 1 and 6, float32, unknown activation, gradients."""
    @case("ResidualMLP(8, 3, 'tanh') on X of shape (6, 8)")
    def tanh_blocks():
        _check_forward(ResidualMLP, 8, 3, "tanh", seed=0)

    visible = [tanh_blocks]
    return run_suite("ResidualMLP", hidden_cases("depth", "ResidualMLP", ResidualMLP) if hidden else visible)
