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
