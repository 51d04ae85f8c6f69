"""A progress bar with ETA for a grading batch, and the summary printed at its end (on stderr).

On a terminal the bar redraws in place; in a log (CI, a file) it prints one line per tenth of
the batch instead, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from ..results import SubmissionResult


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(self, total: int, enabled: bool = True, stream=None, width: int = 28):
        self.total, self.enabled, self.width = total, enabled, width
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done, self.started = 0, time.monotonic()
        self.statuses: Counter = Counter()
        self.unit_seconds: list[float] = []
        self._next_line = 0.0

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        fraction = self.done / self.total if self.total else 1.0
        filled = int(self.width * fraction)
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        bar = "█" * filled + "·" * (self.width - filled)
        return (f"grading |{bar}| {self.done}/{self.total} {fraction:4.0%}  {_clock(elapsed)} elapsed"
                + (f", ETA {_clock(eta)}" if self.done < self.total and self.done else ""))

    def update(self, result: SubmissionResult) -> None:
        self.done += 1
        self.statuses[result.status] += 1
        if result.seconds:
            self.unit_seconds.append(result.seconds)
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r" + self.line() + " ")
        elif self.done / max(self.total, 1) >= self._next_line or self.done == self.total:
            self.stream.write(self.line() + f"  (last: {result.student_id} {result.assignment} "
                              f"{result.score:g}/{result.max_score:g} {result.status})\n")
            self._next_line += 0.1
        self.stream.flush()

    def summary(self) -> str:
        elapsed = time.monotonic() - self.started
        counts = ", ".join(f"{n} {status}" for status, n in self.statuses.most_common())
        per = sorted(self.unit_seconds)
        timing = (f"; per notebook: median {per[len(per) // 2]:.1f} s, max {per[-1]:.1f} s" if per else "")
        rate = f" ({elapsed / self.done:.1f} s per submission)" if self.done else ""
        return f"graded {self.done} submission(s) in {_clock(elapsed)}{rate}: {counts or 'none'}{timing}"

    def close(self) -> None:
        if self.enabled:
            self.stream.write(("\n" if self.tty else "") + self.summary() + "\n")
            self.stream.flush()
