"""Experiment helpers for 03_dropout (never an exercise's answer).

The helpers take the student's functions as arguments, so the experiments run on their code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn


def dropout_moments(dropout_fn: Callable, ps: Sequence[float], h: float = 1.0,
                    num_samples: int = 100_000) -> dict:
    """Empirical mean and variance of dropout_fn(h, p) over `num_samples` copies of one unit h.

    Draws from the global RNG (seed it before calling).

    Args:
        dropout_fn: a function (X, p) -> tensor, e.g. the notebook's `dropout_layer`.
        ps: drop probabilities, each in [0, 1).
        h: the value of the unit before dropout.
        num_samples: how many independent copies of h are dropped.

    Returns:
        {"mean": [...], "variance": [...]}, one float per p.

    Introduced in: 03_dropout.
    """
    X = torch.full((num_samples,), float(h), dtype=torch.float64)
    moments = {"mean": [], "variance": []}
    for p in ps:
        out = dropout_fn(X, p).double()
        moments["mean"].append(out.mean().item())
        moments["variance"].append(out.var().item())
    return moments


def constant_init_(model: nn.Module, value: float) -> nn.Module:
    """Set every nn.Linear weight of `model` to `value` and every bias to 0, in place.

    Introduced in: 03_dropout.
    """
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.constant_(module.weight, value)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model


def first_linear(model: nn.Module) -> nn.Linear:
    """The first nn.Linear layer of `model` (in registration order).  Introduced in: 03_dropout."""
    return next(m for m in model.modules() if isinstance(m, nn.Linear))


def count_distinct_rows(W: torch.Tensor, atol: float = 1e-4) -> int:
    """The number of rows of W that differ from every earlier row by more than `atol` somewhere.

    Rows of a weight matrix of shape (num_units, num_inputs) are hidden units: two equal rows
    compute the same function.

    Introduced in: 03_dropout.
    """
    W = W.detach()
    distinct: list[torch.Tensor] = []
    for row in W:
        if all((row - other).abs().max() > atol for other in distinct):
            distinct.append(row)
    return len(distinct)
