"""Functions a stand-in kernel calls in tests/autograder/trusted/test_remote.py (importable by another process)."""

from __future__ import annotations

import random

import numpy as np
import torch
from torch import nn


def draws(n):
    return torch.rand(n), float(np.random.rand()), random.random()


def scale_in_place(t, factor):
    t.mul_(factor)
    return t


def square(x):
    return x * x


def raises_value_error(p):
    raise ValueError(f"bad p {p}")


def not_yet(*args):
    raise NotImplementedError


def uses_generator(n, generator):
    return torch.randn(n, generator=generator)


def sum_of(items):
    return sum(float(t.detach().sum()) for t in items)


def returns_an_object(x):
    return object()


def init_with_torch(t):
    return nn.init.xavier_uniform_(t)


class Scale(nn.Module):
    """A student's module: a parameter, a buffer it replaces, and a torch submodule."""

    def __init__(self, size):
        super().__init__()
        self.weight = nn.Parameter(torch.full((size,), 2.0))
        self.register_buffer("calls", torch.zeros(()))
        self.inner = nn.Linear(size, size)

    def forward(self, x):
        self.calls = self.calls + 1
        y = self.inner(x)
        return y * self.weight if self.training else y
