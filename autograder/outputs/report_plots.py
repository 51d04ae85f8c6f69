"""The class report's figures as PNG bytes.

Drawn on `matplotlib.figure.Figure` with the Agg renderer, never through pyplot: no display is
needed, no global state changes, and grading threads cannot interfere.
"""

from __future__ import annotations

from io import BytesIO

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH_IN = 6.0
HEIGHT_IN = 2.4
DPI = 90
BAR = "#4c72b0"
WEAK = "#c44e52"


def draw_figures(report: dict) -> dict[tuple[int, str], bytes]:
    """(section index, kind) -> PNG of each figure that has data (scores, pass_rates, timing)."""
    figures = {}
    for index, section in enumerate(report["assignments"]):
        name = _plain(section["assignment"] or "files with no assignment")
        if section["scores"]["count"]:
            figures[index, "scores"] = score_histogram(section["scores"]["histogram"], name)
        if any(cell["pass_rate"] is not None for cell in section["cells"]):
            figures[index, "pass_rates"] = pass_rate_bars(section["cells"], name)
        if section["timing"]["histogram"]:
            figures[index, "timing"] = timing_histogram(section["timing"]["histogram"], name)
    return figures


def score_histogram(histogram: dict, title: str) -> bytes:
    """Submissions per 10 % band of the maximum score."""
    figure, axes = _figure(HEIGHT_IN)
    edges, counts = histogram["edges"], histogram["counts"]
    axes.bar([100 * e for e in edges[:-1]], counts, width=100 / len(counts), align="edge",
             color=BAR, edgecolor="white")
    axes.set_xlim(0, 100)
    axes.set_xlabel("score (% of the maximum)")
    axes.set_ylabel("submissions")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(f"{title}: scores", fontsize=10)
    return _png(figure)


def pass_rate_bars(cells: list[dict], title: str) -> bytes:
    """Pass rate per graded cell, top to bottom in notebook order; the weakest in red."""
    rated = [cell for cell in cells if cell["pass_rate"] is not None]
    figure, axes = _figure(0.8 + 0.25 * len(rated))
    positions = list(range(len(rated)))
    axes.barh(positions, [100 * cell["pass_rate"] for cell in rated],
              color=[WEAK if cell["weakest"] else BAR for cell in rated])
    labels = [_plain(cell["grade_id"].removeprefix("test_")) for cell in rated]
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("passed (% of executed notebooks)")
    axes.set_title(f"{title}: pass rate per test cell (weakest in red)", fontsize=10)
    return _png(figure)


def timing_histogram(histogram: dict, title: str) -> bytes:
    """Submissions per band of grading wall time."""
    figure, axes = _figure(HEIGHT_IN)
    edges, counts = histogram["edges"], histogram["counts"]
    width = (edges[-1] - edges[0]) / len(counts) or 1.0
    axes.bar(edges[:-1], counts, width=width, align="edge", color=BAR, edgecolor="white")
    axes.set_xlim(0, edges[-1] or 1.0)
    axes.set_xlabel("grading time (s)")
    axes.set_ylabel("submissions")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(f"{title}: grading time", fontsize=10)
    return _png(figure)


def _plain(text: str) -> str:
    """`text` shown literally (a '$' would start mathtext)."""
    return text.replace("$", r"\$")


def _figure(height_in: float):
    figure = Figure(figsize=(WIDTH_IN, height_in), layout="constrained")
    return figure, figure.subplots()


def _png(figure: Figure) -> bytes:
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
