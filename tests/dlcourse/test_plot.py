"""dlcourse.plot: the course's plotting helpers return what they drew."""

from __future__ import annotations

import matplotlib
import torch

from dlcourse.plot import plot_matrix

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the headless backend)


def test_plot_matrix_returns_axes():
    ax = plot_matrix(torch.randn(4, 3, generator=torch.Generator().manual_seed(0)), title="W")
    assert ax.get_title() == "W" and len(ax.images) == 1
    plt.close(ax.figure)
