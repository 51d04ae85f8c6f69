"""Wrong-answer corpus for 05_remedies' remedies for depth: gradient clipping and residual blocks.

WRONG[name] lists (implementation, substring the check's message must contain).
CORRECT[name] lists implementations written differently from the solution that must pass.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import clip_grad_norm_ as _renamed_clip

from tests.notebook_tools import solution_namespace

SOLUTION = solution_namespace("05_remedies")


# -- clip_grad_norm_ -----------------------------------------------------------------------------

def _grads(parameters):
    return [p.grad for p in parameters if p.grad is not None]


def _total(grads):
    return torch.sqrt(sum((g.double() ** 2).sum() for g in grads)) if grads else torch.tensor(0.0)


def clip_per_tensor(parameters, max_norm):
    """Each gradient clipped by its own norm."""
    grads = _grads(parameters)
    total = _total(grads)
    with torch.no_grad():
        for g in grads:
            factor = max_norm / (g.norm().item() + 1e-6)
            if factor < 1:
                g.mul_(factor)
    return total


def clip_returns_after(parameters, max_norm):
    """Returns the norm after clipping."""
    grads = _grads(parameters)
    factor = max_norm / (float(_total(grads)) + 1e-6)
    with torch.no_grad():
        for g in grads:
            g.mul_(min(factor, 1.0))
    return _total(grads)


def clip_sum_of_norms(parameters, max_norm):
    """The total norm as the sum of the per-tensor norms."""
    grads = _grads(parameters)
    total = sum(g.norm() for g in grads) if grads else torch.tensor(0.0)
    factor = max_norm / (float(total) + 1e-6)
    with torch.no_grad():
        for g in grads:
            g.mul_(min(factor, 1.0))
    return total


def clip_always_rescale(parameters, max_norm):
    """Scales to max_norm even when the norm is below it (and divides 0 by 1e-6 on zero grads)."""
    grads = _grads(parameters)
    total = _total(grads)
    with torch.no_grad():
        for g in grads:
            g.mul_(max_norm / (float(total) + 1e-6))
    return total


def clip_replaces_grad(parameters, max_norm):
    """p.grad = p.grad * factor: a new tensor instead of an in-place change."""
    params = [p for p in parameters if p.grad is not None]
    total = _total([p.grad for p in params])
    factor = max_norm / (float(total) + 1e-6)
    if factor < 1:
        for p in params:
            p.grad = p.grad * factor
    return total


def clip_crashes_on_missing_grad(parameters, max_norm):
    """Forgets the parameters without a gradient."""
    params = list(parameters)
    total = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params))
    factor = max_norm / (float(total) + 1e-6)
    if factor < 1:
        with torch.no_grad():
            for p in params:
                p.grad.mul_(factor)
    return total


def clip_iterates_twice(parameters, max_norm):
    """Loops over `parameters` twice: an iterator is empty the second time."""
    total = _total([p.grad for p in parameters if p.grad is not None])
    factor = max_norm / (float(total) + 1e-6)
    if factor < 1:
        with torch.no_grad():
            for p in parameters:
                if p.grad is not None:
                    p.grad.mul_(factor)
    return total


def clip_without_eps(parameters, max_norm):
    """max_norm / total_norm, without PyTorch's 1e-6."""
    grads = _grads(parameters)
    total = _total(grads)
    if float(total) > max_norm:
        with torch.no_grad():
            for g in grads:
                g.mul_(max_norm / float(total))
    return total


def clip_squared_norm(parameters, max_norm):
    """Returns the squared total norm."""
    grads = _grads(parameters)
    total = _total(grads)
    factor = max_norm / (float(total) + 1e-6)
    with torch.no_grad():
        for g in grads:
            g.mul_(min(factor, 1.0))
    return total ** 2


def clip_torch(parameters, max_norm):
    """PyTorch's own function: exactly the expected values, but the exercise asks for your own."""
    return torch.nn.utils.clip_grad_norm_(parameters, max_norm)


def clip_torch_renamed(parameters, max_norm):
    """PyTorch's own function imported under another name."""
    return _renamed_clip(parameters, max_norm)


def clip_torch_total_norm(parameters, max_norm):
    """torch.nn.utils.get_total_norm for the norm, the scaling by hand."""
    grads = _grads(parameters)
    total = torch.nn.utils.get_total_norm(grads) if grads else torch.tensor(0.0)
    factor = max_norm / (float(total) + 1e-6)
    with torch.no_grad():
        for g in grads:
            g.mul_(min(factor, 1.0))
    return total


def clip_vector_norm(parameters, max_norm):
    """Correct: the norm of the per-tensor norms, torch.clamp for the factor, as PyTorch does."""
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.double()) for g in grads]))
    factor = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    with torch.no_grad():
        for g in grads:
            g.mul_(factor.to(g.dtype))
    return total


def clip_flattened(parameters, max_norm):
    """Correct: one concatenated vector for the norm, a float factor."""
    grads = _grads(parameters)
    total = torch.cat([g.reshape(-1).double() for g in grads]).norm().item() if grads else 0.0
    if max_norm / (total + 1e-6) < 1:
        for g in grads:
            g.detach().mul_(max_norm / (total + 1e-6))
    return total


# -- ResidualMLP ---------------------------------------------------------------------------------

_ACT = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class _Residual(nn.Module):
    """A configurable residual MLP used to write realistic bugs compactly."""

    def __init__(self, width, depth, activation, *, layers=None, check=True, fixed_act=None):
        super().__init__()
        if check and activation not in _ACT:
            raise ValueError(activation)
        self.layers = layers if layers is not None else nn.ModuleList(
            nn.Linear(width, width) for _ in range(depth))
        self.act = (fixed_act or _ACT.get(activation, nn.ReLU))()

    def block(self, h, layer):
        return h + self.act(layer(h))

    def forward(self, X):
        h = X
        for layer in self.layers:
            h = self.block(h, layer)
        return h


class ResPlain(_Residual):
    """No skip connection: a plain MLP."""

    def block(self, h, layer):
        return self.act(layer(h))


class ResActAfterSum(_Residual):
    """act(x + linear(x)): the activation after the sum."""

    def block(self, h, layer):
        return self.act(h + layer(h))


class ResPreActivation(_Residual):
    """x + linear(act(x)): activation and linear swapped."""

    def block(self, h, layer):
        return h + layer(self.act(h))


class ResSharedLayer(_Residual):
    """One nn.Linear used by every block."""

    def __init__(self, width, depth, activation):
        layer = nn.Linear(width, width)
        super().__init__(width, depth, activation, layers=nn.ModuleList([layer] * depth))


class ResOneBlockShort(_Residual):
    """depth - 1 blocks."""

    def __init__(self, width, depth, activation):
        super().__init__(width, depth - 1, activation)


class ResPythonList(nn.Module):
    """Layers in a plain Python list: not registered as parameters."""

    def __init__(self, width, depth, activation):
        super().__init__()
        if activation not in _ACT:
            raise ValueError(activation)
        self.layers = [nn.Linear(width, width) for _ in range(depth)]
        self.act = _ACT[activation]()

    def forward(self, X):
        for layer in self.layers:
            X = X + self.act(layer(X))
        return X


class ResAlwaysReLU(_Residual):
    """Ignores the activation argument."""

    def __init__(self, width, depth, activation):
        super().__init__(width, depth, activation, fixed_act=nn.ReLU)


class ResHalfSum(_Residual):
    """(x + f(x)) / 2: a scaled skip connection."""

    def block(self, h, layer):
        return (h + self.act(layer(h))) / 2


class ResNoValidation(_Residual):
    """Accepts any activation name."""

    def __init__(self, width, depth, activation):
        super().__init__(width, depth, activation, check=False)


class ResOutputLayer(_Residual):
    """An extra output layer after the blocks."""

    def __init__(self, width, depth, activation):
        super().__init__(width, depth, activation)
        self.out = nn.Linear(width, width)

    def forward(self, X):
        return self.out(super().forward(X))


class ResDetached(_Residual):
    """Detaches the skip path: h.detach() + f(h)."""

    def block(self, h, layer):
        return h.detach() + self.act(layer(h))


class ResFunctional(nn.Module):
    """Correct: torch functions for the activation, parameters created in a loop with add_module."""

    def __init__(self, width, depth, activation):
        super().__init__()
        functions = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
        if activation not in functions:
            raise ValueError(f"activation must be one of {sorted(functions)}")
        self.function = functions[activation]
        self.depth = depth
        for i in range(depth):
            self.add_module(f"block{i}", nn.Linear(width, width))

    def forward(self, X):
        for i in range(self.depth):
            X = X + self.function(getattr(self, f"block{i}")(X))
        return X


class ResSequentialBlocks(nn.Module):
    """Correct: each block its own module, chained by nn.Sequential."""

    class Block(nn.Module):
        def __init__(self, width, act):
            super().__init__()
            self.linear, self.act = nn.Linear(width, width), act()

        def forward(self, X):
            return X + self.act(self.linear(X))

    def __init__(self, width, depth, activation):
        super().__init__()
        if activation not in _ACT:
            raise ValueError(activation)
        self.blocks = nn.Sequential(*(self.Block(width, _ACT[activation]) for _ in range(depth)))

    def forward(self, X):
        return self.blocks(X)


WRONG = {
    "clip_grad_norm_": [
        (clip_per_tensor, "ONE common factor"),
        (clip_returns_after, "BEFORE clipping"),
        (clip_sum_of_norms, "not the sum of the per-tensor norms"),
        (clip_always_rescale, "leave the gradients as they are"),
        (clip_replaces_grad, "scale in place"),
        (clip_crashes_on_missing_grad, "AttributeError"),
        (clip_iterates_twice, "gradient 0 after clip_grad_norm_(iter(params), 0.5)"),
        (clip_without_eps, "add the 1e-6"),
        (clip_squared_norm, "take the square root"),
        (clip_torch, "calls torch.nn.utils.clip_grad.clip_grad_norm_"),
        (clip_torch_renamed, "calls torch.nn.utils.clip_grad"),
        (clip_torch_total_norm, "calls torch.nn.utils.clip_grad._get_total_norm"),
    ],
    "ResidualMLP": [
        (ResPlain, "each block returns x + f(x)"),
        (ResActAfterSum, "not act(x + linear(x))"),
        (ResPreActivation, "the linear layer comes first"),
        (ResSharedLayer, "not one layer reused"),
        (ResOneBlockShort, "number of distinct nn.Linear layers"),
        (ResPythonList, "nn.ModuleList"),
        (ResAlwaysReLU, "h = h + act(linear(h))"),
        (ResHalfSum, "h = h + act(linear(h))"),
        (ResNoValidation, "raise ValueError"),
        (ResOutputLayer, "number of distinct nn.Linear layers"),
        (ResDetached, "a gradient for X"),
    ],
}

CORRECT = {
    "clip_grad_norm_": [clip_vector_norm, clip_flattened],
    "ResidualMLP": [ResFunctional, ResSequentialBlocks],
}
