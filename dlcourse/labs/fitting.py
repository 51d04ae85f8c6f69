"""Experiment helpers for 01_fitting: polynomial features and their training curves (never an answer)."""

from __future__ import annotations

import torch


def monomial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """Plain powers x**0 .. x**degree as an (N, degree + 1) tensor (no factorial scaling)."""
    return x[:, None] ** torch.arange(degree + 1, dtype=x.dtype)


def polyfit_curves(splits: dict, degree: int, lr: float = 0.05, num_epochs: int = 8000,
                   train_split: str = "train") -> dict:
    """Fit a degree-`degree` polynomial by full-batch Adam and record the MSE on every split.

    Plain monomials make the high powers easy for Adam to reach, so the run drifts from a smooth
    fit towards the wiggly least-squares interpolant: the validation error falls, then rises.

    Args:
        splits: {"train": (x, y), "val": (x, y), ...}, each x and y of shape (N,).
        degree: the polynomial degree.
        lr: Adam's learning rate.
        num_epochs: number of full-batch steps.
        train_split: the split that is trained on.

    Returns:
        {split name: list of num_epochs MSE values, one after each step}.

    Introduced in: 01_fitting.
    """
    features = {name: (monomial_features(x, degree), y) for name, (x, y) in splits.items()}
    X_train, y_train = features[train_split]
    w = torch.zeros(degree + 1, dtype=X_train.dtype, requires_grad=True)
    optimizer = torch.optim.Adam([w], lr=lr)
    curves = {name: [] for name in splits}
    for _ in range(num_epochs):
        optimizer.zero_grad()
        ((X_train @ w - y_train) ** 2).mean().backward()
        optimizer.step()
        with torch.no_grad():
            for name, (X, y) in features.items():
                curves[name].append(((X @ w - y) ** 2).mean().item())
    return curves
