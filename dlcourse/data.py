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


def make_digits(num_train: int | None = None, label_noise: float = 0.0, standardize: bool = False,
                generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32):
    """scikit-learn's bundled 8x8 digits (1797 images, no download), split into train and test.

    Args:
        num_train: number of training images (default: two thirds); the rest is the test set.
        label_noise: fraction of *training* labels replaced by a uniformly drawn different class.
        standardize: scale each pixel to zero mean and unit variance (training statistics);
            otherwise pixels are divided by 16 to lie in [0, 1].
        generator: a seeded `torch.Generator` for the split and the label noise.
        dtype: dtype of the images.

    Returns:
        (X_train, y_train, X_test, y_test): images of shape (N, 64), int64 labels of shape (N,).

    Introduced in: 03_dropout.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = torch.tensor(digits.data, dtype=dtype)
    y = torch.tensor(digits.target, dtype=torch.int64)
    order = torch.randperm(len(y), generator=generator)
    num_train = num_train if num_train is not None else (2 * len(y)) // 3
    train, test = order[:num_train], order[num_train:]
    X_train, y_train, X_test, y_test = X[train], y[train].clone(), X[test], y[test]
    if label_noise > 0:
        flip = torch.rand(num_train, generator=generator) < label_noise
        shift = torch.randint(1, 10, (num_train,), generator=generator)
        y_train[flip] = (y_train[flip] + shift[flip]) % 10
    if standardize:
        mean, std = X_train.mean(0), X_train.std(0).clamp_min(1e-6)
        X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
    else:
        X_train, X_test = X_train / 16, X_test / 16
    return X_train, y_train, X_test, y_test


def make_linear_data(num_examples: int, w: torch.Tensor, b: float = 0.0, noise: float = 0.01,
                     generator: torch.Generator | None = None):
    """D2L's `synthetic_data`: X ~ N(0, 1) of shape (N, D) and y = X w + b + N(0, noise²).

    Args:
        num_examples: N.
        w: true weights of shape (D,); X and y get its dtype.
        b: true bias.
        noise: standard deviation of the Gaussian noise on y.
        generator: a seeded `torch.Generator` for reproducible data.

    Returns:
        X of shape (N, D) and y of shape (N,).

    Introduced in: 02_weight_decay.
    """
    X = torch.randn(num_examples, w.shape[0], generator=generator, dtype=w.dtype)
    y = X @ w + b + noise * torch.randn(num_examples, generator=generator, dtype=w.dtype)
    return X, y


def gaussian_batch(num_examples: int = 512, width: int = 256, seed: int = 0):
    """Inputs X ~ N(0, 1) of shape (N, H) and regression targets y ~ N(0, 1) of shape (N, H).

    Introduced in: 04_stability.
    """
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(num_examples, width, generator=generator)
    y = torch.randn(num_examples, width, generator=generator)
    return X, y
