"""Plotting helpers. Each takes an optional `ax`, returns it, and never calls `plt.show()`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt


def use_course_style() -> None:
    """Small, readable figures with a grid; the only place rcParams are touched."""
    plt.rcParams.update({
        "figure.figsize": (4.5, 3.0),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
    })


def plot_curves(x: Sequence, curves: Mapping[str, Sequence], *, xlabel: str = "",
                ylabel: str = "", title: str = "", logy: bool = False, logx: bool = False,
                marker: str | None = "o", ax=None):
    """Plot several named curves against the same x, e.g. {"train": [...], "test": [...]}."""
    if ax is None:
        _, ax = plt.subplots()
    for label, y in curves.items():
        ax.plot(list(x), [float(v) for v in y], marker=marker, markersize=3, label=label)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return ax


def plot_fit(x_train, y_train, x_grid, predictions: Mapping[str, Sequence], *, title: str = "",
             ylim=None, ax=None):
    """Scatter the training points and draw each named prediction curve over `x_grid`."""
    if ax is None:
        _, ax = plt.subplots()
    ax.scatter(x_train, y_train, s=12, color="black", zorder=3, label="training points")
    for label, y in predictions.items():
        ax.plot(x_grid, y, label=label)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set(xlabel="x", ylabel="y", title=title)
    ax.legend()
    return ax


def mark_epoch(ax, epoch: int, label: str):
    """Draw a dashed vertical line at `epoch` (e.g. the early-stopping point)."""
    ax.axvline(epoch, linestyle="--", color="gray", label=label)
    ax.legend()
    return ax


def plot_histograms(values: Mapping[str, Sequence], *, bins: int = 30, xlabel: str = "",
                    title: str = "", ax=None):
    """Overlaid histograms of several named 1-D tensors on shared bins (e.g. L1 vs L2 weights).

    Introduced in: 02_weight_decay.
    """
    import torch

    if ax is None:
        _, ax = plt.subplots()
    data = {label: torch.as_tensor(v).detach().double().flatten() for label, v in values.items()}
    low = min(float(v.min()) for v in data.values())
    high = max(float(v.max()) for v in data.values())
    edges = torch.linspace(low, high if high > low else low + 1.0, bins + 1).tolist()
    for label, v in data.items():
        ax.hist(v.tolist(), bins=edges, alpha=0.55, label=label)
    ax.set(xlabel=xlabel, ylabel="count", title=title)
    ax.legend()
    return ax


def plot_vs_reference(reference: Sequence, others: Mapping[str, Sequence], *, xlabel: str = "",
                      ylabel: str = "", title: str = "", ax=None):
    """Scatter each named vector against `reference` entry by entry, with the diagonal y = x.

    Introduced in: 02_weight_decay.
    """
    if ax is None:
        _, ax = plt.subplots()
    ref = [float(v) for v in reference]
    for label, values in others.items():
        ax.scatter(ref, [float(v) for v in values], s=14, alpha=0.8, label=label)
    low, high = min(ref), max(ref)
    ax.plot([low, high], [low, high], color="gray", linestyle="--", linewidth=1, label="y = x")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return ax


def plot_layer_bars(values: Sequence, *, ylabel: str = "", title: str = "", logy: bool = True,
                    ax=None):
    """One bar per layer (layer 1 = input side), e.g. the std of each layer's output.

    Introduced in: 04_stability.
    """
    if ax is None:
        _, ax = plt.subplots()
    heights = [float(v) for v in values]
    ax.bar(range(1, len(heights) + 1), heights, color="tab:blue")
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel="layer", ylabel=ylabel, title=title)
    return ax


def mark_level(ax, level: float, label: str):
    """Draw a dashed horizontal line at `level` (e.g. the -3 update:data reference line).

    Introduced in: 05_remedies.
    """
    ax.axhline(level, linestyle="--", color="gray", label=label)
    ax.legend()
    return ax


def plot_paths(surface, paths: Mapping[str, Sequence], *, xlim=(-8.0, 8.0), ylim=(-15.0, 8.0),
               title: str = "", ax=None):
    """Contours of a 2-D loss `surface` (a function of a (..., 2) tensor) with optimizer paths.

    Args:
        surface: maps a tensor of shape (..., 2) to losses of shape (...).
        paths: {label: tensor of shape (num_steps + 1, 2)}, the points each optimizer visited.
        xlim, ylim: the plotted ranges of the two coordinates.

    Introduced in: 05_remedies.
    """
    import torch

    if ax is None:
        _, ax = plt.subplots()
    w1 = torch.linspace(*xlim, 200, dtype=torch.float64)
    w2 = torch.linspace(*ylim, 200, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(w1, w2, indexing="xy"), dim=-1)
    ax.contourf(w1, w2, surface(grid), levels=30, cmap="viridis", alpha=0.6)
    for label, path in paths.items():
        path = torch.as_tensor(path).detach()
        ax.plot(path[:, 0], path[:, 1], marker="o", markersize=2, linewidth=1, label=label)
    ax.set(xlim=xlim, ylim=ylim, xlabel="$w_1$", ylabel="$w_2$", title=title)
    ax.legend(loc="upper left")
    return ax


def plot_matrix(matrix, *, xlabel: str = "", ylabel: str = "", title: str = "", ax=None):
    """Show a 2-D tensor as an image (white = 0) with a colorbar, e.g. a weight matrix.

    Introduced in: 03_dropout.
    """
    import torch

    if ax is None:
        _, ax = plt.subplots()
    values = torch.as_tensor(matrix).detach().double().cpu()
    limit = max(values.abs().max().item(), 1e-12)  # white is 0
    image = ax.imshow(values.numpy(), aspect="auto", cmap="coolwarm", interpolation="nearest",
                      vmin=-limit, vmax=limit)
    ax.figure.colorbar(image, ax=ax)
    ax.grid(False)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return ax
