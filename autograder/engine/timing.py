"""Where a grading unit's time goes: its phases, and the kernel's time per kind of cell.

`phases` of a SubmissionResult (seconds), for the benchmark and the curious instructor:
- prepare: copying the template, restoring graded cells, planning the skipped cells;
- nbgrader_before / nbgrader_after: nbgrader's bookkeeping around execution (gradebook, copies);
- kernel_start / kernel_stop: from the execute step's start to the first cell, and after the last;
- cells_solution, cells_test, cells_other: the kernel's time in answer cells, graded test cells,
  and ungraded cells that ran (imports, self-check, demos a submission needed); cells_grader:
  the grader's own seed and ledger cells and the seed code run in place of skipped cells;
- checks_grader: the grader evaluating test cells' checks outside the kernel (verdicts.py), calls
  into the student's code included;
- cells_skipped: always 0 (skipped cells do not run); skipped: how many cells were skipped;
- scoring: reading the executed notebook, restoring skipped cells, scoring; feedback: the HTML page.
"""

from __future__ import annotations

import time
from datetime import datetime

from ..cells import is_solution, is_test_cell
from .skipping import MARK_KEY


def _seconds(cell) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.status.busy"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        return None
    return max(0.0, (end - start).total_seconds())


def cell_breakdown(nb, grader_sources: set[str]) -> dict[str, float]:
    """The kernel's seconds per kind of cell in an executed notebook, before skipped cells are restored.

    `grader_sources`: the grader's own cells (seed, ledger); cells marked by skipping.py (the seed
    code run in place of skipped cells and, in a full run, after them) count as the grader's too.
    """
    totals = dict.fromkeys(("cells_solution", "cells_test", "cells_other", "cells_grader"), 0.0)
    for cell in nb.cells:
        seconds = _seconds(cell)
        if cell.get("cell_type") != "code":
            continue
        if cell.source in grader_sources or MARK_KEY in cell.get("metadata", {}):
            kind = "cells_grader"
        elif is_test_cell(cell):
            kind = "cells_test"
        elif is_solution(cell):
            kind = "cells_solution"
        else:
            kind = "cells_other"
        totals[kind] += seconds or 0.0
    return {**totals, "cells_skipped": 0.0}


class Clock:
    """Named laps of one unit: `clock.lap("prepare")` charges the time since the previous lap."""

    def __init__(self):
        self.phases: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.phases[name] = self.phases.get(name, 0.0) + now - self._last
        self._last = now

    def split(self, name: str, marks: dict[str, float], before: str, after: str) -> None:
        """Charge the time since the last lap to `before`, the execute step's own marks (kernel
        start, cells, kernel stop; see kernel.GuardedExecute.marks) and `after`."""
        start, first, last, end = (marks.get(k) for k in ("start", "first_cell", "last_cell", "end"))
        if None in (start, first, last, end):
            self.lap(name)
            return
        now = time.monotonic()
        for phase, seconds in ((before, start - self._last), ("kernel_start", first - start),
                               (name, last - first), ("kernel_stop", end - last), (after, now - end)):
            self.phases[phase] = self.phases.get(phase, 0.0) + max(0.0, seconds)
        self._last = now
