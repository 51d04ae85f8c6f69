"""Due dates, submission times and late penalties.

A submission's time comes from nbgrader's `timestamp.txt` beside the notebook (or a
`--filename-regex` timestamp group); an LMS that gives no time may still mark a file late (Canvas's
`LATE`). The penalty follows nbgrader's LateSubmissionPlugin: it is computed from the notebook's
score and the seconds late, kept within [0, score], and recorded as the gradebook's
`late_submission_penalty`; the final score is the score minus the penalty.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import UsageError

DAY_S = 24 * 3600


def parse_due(text: str) -> datetime:
    """--due as an aware UTC datetime; raise ValueError unless it is ISO 8601 with a time zone."""
    try:
        due = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--due {text!r} is not an ISO 8601 date and time: write e.g. "
                         "2025-03-01T23:59+01:00 (or ...Z for UTC)") from None
    if due.tzinfo is None:
        raise UsageError(f"--due {text!r} has no time zone: add one, e.g. {text}+01:00, or {text}Z for UTC")
    return due.astimezone(timezone.utc)


def parse_timestamp(text: str) -> datetime | None:
    """A submission time as nbgrader reads timestamp.txt (no zone means UTC); None if unreadable."""
    import dateutil.parser
    from nbgrader.utils import parse_utc

    text = text.strip()
    try:
        if len(text.split(" ")) == 3 and re.fullmatch(r"[A-Za-z][A-Za-z_/+-]*", text.split(" ")[2]):
            # "... UTC" as nbgrader writes it, or a zone name ("America/Los_Angeles")
            naive_utc = parse_utc(text)
        else:  # parse_utc would read a "+0100" offset as 100 seconds
            moment = dateutil.parser.parse(text)
            naive_utc = moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
    except (ValueError, OverflowError):
        match = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[-_ T](\d\d)[-:](\d\d)[-:](\d\d)", text)
        if not match:
            return None
        naive_utc = datetime(*map(int, match.groups()))
    return naive_utc.replace(tzinfo=timezone.utc)


def read_timestamp(folder: Path) -> datetime | None:
    """The time in `folder/timestamp.txt`, if there is a readable one."""
    stamp = folder / "timestamp.txt"
    if not stamp.is_file():
        return None
    try:
        return parse_timestamp(stamp.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def iso(moment: datetime | None) -> str:
    """An aware datetime as ISO 8601 in UTC, to the second ('' for None)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else ""


def seconds_late(submitted_at: datetime | None, marked_late: bool, due: datetime | None) -> float | None:
    """Seconds after `due` (0 when on time); None when late by the LMS's marker, at an unknown time."""
    if submitted_at is not None and due is not None:
        return max(0.0, (submitted_at - due).total_seconds())
    return None if marked_late else 0.0


@dataclass(frozen=True)
class LatePolicy:
    """`none` (nbgrader's default), `zero`, or `per-day:N` / `per-day:N%` (N points, or N% of the
    maximum, for each started day late; a late file of unknown time counts as one day)."""

    method: str = "none"
    per_day: float = 0.0
    percent: bool = False

    @classmethod
    def parse(cls, text: str) -> LatePolicy:
        text = text.strip()
        if text in ("none", "zero"):
            return cls(text)
        match = re.fullmatch(r"per-day:(\d+(?:\.\d+)?)(%?)", text)
        if not match:
            raise UsageError(f"--late-penalty {text!r}: use none, zero, per-day:N (points) or per-day:N% "
                             "(of the maximum), per started day late")
        return cls("per-day", float(match[1]), bool(match[2]))

    def penalty(self, score: float, max_score: float, late_by: float | None,
                student_id: str = "") -> float | None:
        """The penalty for a late notebook (None: none assigned), kept within [0, score] as nbgrader does."""
        if self.method == "none" or late_by == 0:
            return None
        if self.method == "zero":
            raw = score
        else:
            days = max(1, math.ceil((late_by or 0) / DAY_S))
            raw = days * self.per_day * (max_score / 100 if self.percent else 1)
        return min(max(raw, 0.0), score)

    def __str__(self) -> str:
        if self.method != "per-day":
            return self.method
        return f"per-day:{self.per_day:g}{'%' if self.percent else ''}"


@dataclass(frozen=True)
class CoursePlugin:
    """The course's own late-penalty plugin, as its nbgrader_config.py sets it
    (`AssignLatePenalties.plugin_class`, `LateSubmissionPlugin.penalty_method`), called as
    nbgrader's AssignLatePenalties calls it, the result kept within [0, score]."""

    root: str

    def _plugin(self):
        import sys

        from nbgrader.plugins import LateSubmissionPlugin
        from traitlets.utils.importstring import import_item

        from ..config import load_course_config

        config = load_course_config(self.root)
        chosen = config.get("AssignLatePenalties", {}).get("plugin_class", LateSubmissionPlugin)
        if isinstance(chosen, str):
            sys.path.insert(0, str(Path(self.root).resolve()))  # the course's own module
            try:
                chosen = import_item(chosen)
            finally:
                sys.path.pop(0)
        return chosen(config=config)

    def penalty(self, score: float, max_score: float, late_by: float | None,
                student_id: str = "") -> float | None:
        if late_by == 0:
            return None
        raw = self._plugin().late_submission_penalty(student_id, score, late_by if late_by is not None else DAY_S)
        return None if raw is None else min(max(float(raw), 0.0), score)

    def __str__(self) -> str:
        return "the course's late-submission plugin (nbgrader_config.py)"


def course_policy(root: Path) -> CoursePlugin | None:
    """The course's plugin when its nbgrader_config.py chooses a late penalty, else None."""
    from ..config import load_course_config

    config = load_course_config(root)
    chosen = "plugin_class" in config.get("AssignLatePenalties", {}) or \
        "penalty_method" in config.get("LateSubmissionPlugin", {})
    return CoursePlugin(str(root)) if chosen else None


def course_due_dates(db_url: str) -> dict[str, datetime]:
    """Each assignment's due date in the course's gradebook (nbgrader db assignment add --duedate)."""
    from nbgrader.api import Gradebook

    prefix = "sqlite:///"
    if db_url.startswith(prefix) and not Path(db_url[len(prefix):]).is_file():
        return {}
    with Gradebook(db_url) as gb:
        return {a.name: a.duedate.replace(tzinfo=timezone.utc) for a in gb.assignments if a.duedate}
