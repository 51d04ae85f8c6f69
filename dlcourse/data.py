"""Seeded synthetic data sets. Nothing here downloads anything.

N is the number of examples. Every generator takes an optional `torch.Generator` so that a
notebook (or a check) can reproduce its inputs exactly.
"""

from __future__ import annotations

import math

import torch

#: True coefficients of the cubic used in 01_fitting, in the 1/i! feature basis:
#: y = 5 + 1.2 x - 3.4 x^2/2! + 5.6 x^3/3! + noise   (D2L's polynomial example)
CUBIC_COEFFS = (5.0, 1.2, -3.4, 5.6)


def cubic(x: torch.Tensor) -> torch.Tensor:
    """The noise-free cubic: sum_i CUBIC_COEFFS[i] * x^i / i!.  Introduced in: 01_fitting."""
    return sum(c * x**i / math.factorial(i) for i, c in enumerate(CUBIC_COEFFS))


def make_cubic_data(num_examples: int, noise: float = 0.1, low: float = -1.0, high: float = 1.0,
                    generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64):
    """Sample (x, y) with x ~ U(low, high) and y = cubic(x) + N(0, noise²).

    Args:
        num_examples: N.
        noise: standard deviation of the Gaussian noise.
        low, high: the range of x (use a wider range, e.g. D2L's N(0, 1) inputs, via `make_cubic_normal`).
        generator: a seeded `torch.Generator` for reproducible data.
        dtype: float64 by default, since closed-form polynomial fits are ill-conditioned.

    Returns:
        x of shape (N,) and y of shape (N,).

    Introduced in: 01_fitting.
    """
    x = low + (high - low) * torch.rand(num_examples, generator=generator, dtype=dtype)
    y = cubic(x) + noise * torch.randn(num_examples, generator=generator, dtype=dtype)
    return x, y


def make_cubic_normal(num_examples: int, noise: float = 0.1,
                      generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64):
    """D2L's variant: x ~ N(0, 1), y = cubic(x) + N(0, noise²). Returns x (N,), y (N,)."""
    x = torch.randn(num_examples, generator=generator, dtype=dtype)
    y = cubic(x) + noise * torch.randn(num_examples, generator=generator, dtype=dtype)
    return x, y
