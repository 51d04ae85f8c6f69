"""The class report: per assignment, statuses, scores, test-cell pass rates, common failures, timing.

`build_report` turns the result records into plain numbers (OUT/report.json); `write_report` also
draws the figures (report_plots.py) and renders the same content as HTML, with the figures
embedded, and as Markdown, with the figures in OUT/report_files/ (report_render.py).
"""

from __future__ import annotations

import json
import logging
import math
import re
import statistics
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from ..results import STATUSES, SubmissionResult

logger = logging.getLogger(__name__)

#: statuses whose notebook was executed: only their cells count towards pass rates and failures
EXECUTED = ("ok", "tampered", "timeout", "crashed")
NUM_SCORE_BINS = 10   #: score histogram: bins of 10 % of the maximum
NUM_TIME_BINS = 10
NUM_WEAKEST = 3       #: cells flagged as weakest (more when the lowest pass rate is shared)
NUM_MESSAGES = 3      #: kinds of failure message shown per cell
NUM_SLOWEST = 3
EXAMPLE_CHARS = 400   #: an example failure message is cut to this length
FILES_DIR = "report_files"

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?!\w)")
_NUMBER_RUN = re.compile(r"#(?:, #)+")


def normalize_message(message: str) -> str:
    """The message with every number replaced by '#' (and lists of numbers by '#…'), for grouping."""
    text = " ".join(message.split())
    return _NUMBER_RUN.sub("#…", _NUMBER.sub("#", text)) or "(no message)"


def summarize(values: list[float]) -> dict:
    """count, mean, median, min and max of `values` (None for an empty list)."""
    if not values:
        return {"count": 0, "mean": None, "median": None, "min": None, "max": None}
    return {"count": len(values), "mean": statistics.fmean(values),
            "median": statistics.median(values), "min": min(values), "max": max(values)}


def histogram(values: list[float], top: float, num_bins: int) -> dict:
    """Counts of `values` in `num_bins` equal bins over [0, top] (the last bin includes top)."""
    edges = [top * i / num_bins for i in range(num_bins + 1)]
    counts = [0] * num_bins
    for value in values:
        position = round(value / top * num_bins, 9) if top > 0 else 0.0
        counts[min(max(math.floor(position), 0), num_bins - 1)] += 1
    return {"edges": edges, "counts": counts}


CellPoints = Mapping[str, float]  #: grade_id -> max points, in notebook order


def assignment_cells(results: list[SubmissionResult],
                     known: Mapping[str, CellPoints] | None = None) -> dict[str, dict[str, float]]:
    """grade_id -> max points per assignment, in notebook order: `known` first, then inferred.

    An assignment that only appears in the results gets the union of its records' cells (every
    record carries all graded cells, zeros included). Files naming no assignment are left out.
    """
    cells = {name: dict(grade_cells) for name, grade_cells in (known or {}).items()}
    inferred: dict[str, dict[str, float]] = {}
    for result in results:
        if result.assignment and result.assignment not in cells:
            target = inferred.setdefault(result.assignment, {})
            for cell in result.cells:
                target.setdefault(cell.grade_id, cell.max_points)
    return cells | dict(sorted(inferred.items()))


def build_report(results: list[SubmissionResult],
                 grade_cells_by_assignment: Mapping[str, CellPoints]) -> dict:
    """The whole report as plain, JSON-ready numbers and strings."""
    cells_by_assignment = assignment_cells(results, grade_cells_by_assignment)
    sections = [_section(name, [r for r in results if r.assignment == name], grade_cells)
                for name, grade_cells in cells_by_assignment.items()]
    unassigned = [r for r in results if not r.assignment]
    if unassigned:
        sections.append(_section("", unassigned, {}))
    return {
        "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
        "summary": {"submissions": len(results),
                    "students": len({r.student_id for r in results}),
                    "assignments": list(cells_by_assignment),
                    "status_counts": _status_counts(results),
                    "needs_attention": sum(r.status != "ok" for r in results)},
        "assignments": sections,
    }


def _status_counts(results: list[SubmissionResult]) -> dict[str, int]:
    return {status: sum(r.status == status for r in results) for status in STATUSES}


def _section(assignment: str, results: list[SubmissionResult], grade_cells: CellPoints) -> dict:
    """One assignment's part of the report (assignment "" holds files that named none)."""
    max_points = sum(grade_cells.values())
    executed = [r for r in results if r.status in EXECUTED]
    cells = _cell_stats(executed, grade_cells)
    return {
        "assignment": assignment,
        "submissions": len(results),
        "status_counts": _status_counts(results),
        "max_points": max_points,
        "executed": len(executed),
        "scores": _score_stats(results, max_points),
        "cells": cells,
        "weakest": [c["grade_id"] for c in cells if c["weakest"]],
        "timing": _timing_stats(results),
        "attention": [_attention(r) for r in sorted(
            (r for r in results if r.status != "ok"),
            key=lambda r: (list(STATUSES).index(r.status), r.student_id))],
    }


def _score_stats(results: list[SubmissionResult], max_points: float) -> dict:
    """Scores as fractions of the maximum; every submission counts (missing or unreadable as 0)."""
    fractions = [r.score / max_points for r in results] if max_points > 0 else []
    points = [r.score for r in results]
    return {**summarize(fractions), "mean_points": statistics.fmean(points) if points else None,
            "histogram": histogram(fractions, 1.0, NUM_SCORE_BINS)}


def _cell_stats(executed: list[SubmissionResult], grade_cells: CellPoints) -> list[dict]:
    """Per graded cell, in notebook order: pass rate and the most common failure messages."""
    outcomes = [{c.grade_id: c for c in r.cells} for r in executed]
    stats = []
    for grade_id, max_points in grade_cells.items():
        ran = [(r.student_id, cells[grade_id])
               for r, cells in zip(executed, outcomes) if grade_id in cells]
        num_passed = sum(cell.passed for _, cell in ran)
        groups: dict[str, list[tuple[str, str]]] = {}
        for student_id, cell in ran:
            if not cell.passed:
                key = normalize_message(cell.message)
                groups.setdefault(key, []).append((student_id, cell.message))
        ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
        stats.append({
            "grade_id": grade_id, "max_points": max_points, "graded": len(ran), "passed": num_passed,
            "pass_rate": num_passed / len(ran) if ran else None, "weakest": False,
            "failure_kinds": len(groups),
            "failures": [{"pattern": pattern, "count": len(members),
                          "example": members[0][1].strip()[:EXAMPLE_CHARS] or "(no message)",
                          "students": sorted(student for student, _ in members)}
                         for pattern, members in ranked[:NUM_MESSAGES]],
        })
    _flag_weakest(stats)
    return stats


def _flag_weakest(stats: list[dict]) -> None:
    """Flag the cells at the lowest pass rates below 100 %: the lowest level always, then the next
    levels while at most NUM_WEAKEST cells, and at most a third of the cells, are flagged."""
    rates = [s["pass_rate"] for s in stats if s["pass_rate"] is not None and s["pass_rate"] < 1]
    limit = min(NUM_WEAKEST, len(stats) // 3)
    threshold = None
    for level in sorted(set(rates)):
        if threshold is not None and sum(rate <= level for rate in rates) > limit:
            break
        threshold = level
    for s in stats:
        rate = s["pass_rate"]
        s["weakest"] = threshold is not None and rate is not None and rate <= threshold


def _timing_stats(results: list[SubmissionResult]) -> dict:
    """Grading wall time of the files that reached a grading unit (missing ones take none)."""
    timed = [r for r in results if r.seconds > 0]
    seconds = [r.seconds for r in timed]
    slowest = sorted(timed, key=lambda r: (-r.seconds, r.student_id))[:NUM_SLOWEST]
    return {**summarize(seconds),
            "histogram": histogram(seconds, max(seconds), NUM_TIME_BINS) if seconds else None,
            "slowest": [{"student_id": r.student_id, "seconds": r.seconds, "status": r.status}
                        for r in slowest]}


def _attention(result: SubmissionResult) -> dict:
    return {"student_id": result.student_id, "status": result.status,
            "meaning": STATUSES[result.status], "detail": result.detail, "flags": list(result.flags),
            "score": result.score, "max_score": result.max_score, "source": result.source}


def write_report(out: Path, results: list[SubmissionResult],
                 grade_cells_by_assignment: Mapping[str, CellPoints]) -> dict:
    """Write OUT/report.json, OUT/report.html (figures embedded) and OUT/report.md (+ report_files/)."""
    from .report_plots import draw_figures
    from .report_render import render_html, render_markdown

    out = Path(out)
    report = build_report(results, grade_cells_by_assignment)
    figures = draw_figures(report)  # (section index, kind) -> PNG bytes
    folder = out / FILES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.png"):
        stale.unlink()
    names = {}
    for (index, kind), png in figures.items():
        assignment = report["assignments"][index]["assignment"]
        names[index, kind] = f"{FILES_DIR}/{_slug(assignment)}_{kind}.png"
        (out / names[index, kind]).write_bytes(png)
    (out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(report, names), encoding="utf-8")
    (out / "report.html").write_text(render_html(report, figures), encoding="utf-8")
    logger.info("class report: %s", out / "report.html")
    return report


def _slug(assignment: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", assignment).strip("._") or "unassigned"
