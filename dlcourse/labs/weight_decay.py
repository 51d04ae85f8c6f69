"""Experiment helpers for 02_weight_decay (never an exercise's answer).

X has shape (N, D), y and predictions have shape (N,), weights w have shape (D,).
"""

from __future__ import annotations

import torch


def null_space_part(X: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The component of `w` in the null space of X (directions with X v = 0).

    Args:
        X: (N, D) with N < D, so that the null space has dimension at least D - N.
        w: (D,).

    Returns:
        (D,): w minus its projection onto the row space of X.

    Introduced in: 02_weight_decay.
    """
    return w - torch.linalg.pinv(X) @ (X @ w)


def lasso_ista(X: torch.Tensor, y: torch.Tensor, lam: float, lr: float = 0.1,
               num_steps: int = 2000):
    """L1-regularized least squares by proximal gradient descent (ISTA), the bias unpenalized.

    Minimizes (1/2N)·||X w + b - y||² + lam·||w||₁. Each step is a gradient step on the data term
    followed by soft-thresholding, which sets small weights to exactly zero.

    Args:
        X: (N, D); y: (N,); lam: L1 strength; lr: step size (below 1/λ_max(XᵀX/N));
        num_steps: number of steps.

    Returns:
        w of shape (D,) and b, a 0-d tensor.

    Introduced in: 02_weight_decay.
    """
    x_mean, y_mean = X.mean(0), y.mean()
    X_centered, y_centered = X - x_mean, y - y_mean
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    for _ in range(num_steps):
        w = w - lr * X_centered.T @ (X_centered @ w - y_centered) / len(y)
        w = torch.sign(w) * torch.clamp(w.abs() - lr * lam, min=0.0)
    return w, y_mean - x_mean @ w


def fit_with_optimizer(optimizer_class, X: torch.Tensor, y: torch.Tensor, num_steps: int,
                       **options) -> torch.Tensor:
    """Full-batch training of a bias-free linear model with a torch optimizer, from w = 0.

    The loss is (1/2N)·||X w - y||² (use centered X and y so that no bias is needed).

    Args:
        optimizer_class: e.g. torch.optim.Adam or torch.optim.AdamW.
        X: (N, D); y: (N,); num_steps: number of steps.
        **options: passed to the optimizer (lr, weight_decay, betas, ...).

    Returns:
        The final weights, shape (D,).

    Introduced in: 02_weight_decay.
    """
    w = torch.zeros(X.shape[1], dtype=X.dtype, requires_grad=True)
    optimizer = optimizer_class([w], **options)
    for _ in range(num_steps):
        with torch.no_grad():
            w.grad = X.T @ (X @ w - y) / len(y)
        optimizer.step()
    return w.detach()
