"""A unit's gradebook is a private, throwaway copy: write it without waiting for the disk.

nbgrader commits some thirty times per submission (every graded cell, the feedback); each commit
waits for fsync, 4-20 ms on a shared disk. The unit's gradebook dies with the unit and its
scores travel back as the result record, so a power cut could at worst lose a unit that is then
graded again. The course's own gradebook (gradebook.py, in the parent process) is never matched.
"""

from __future__ import annotations

from pathlib import Path

_folders: set[str] = set()


def _on_connect(dbapi_connection, connection_record) -> None:
    rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
    path = rows[0][2] if rows else ""
    if any(path.startswith(folder) for folder in _folders):
        dbapi_connection.execute("PRAGMA synchronous = OFF")
        dbapi_connection.execute("PRAGMA journal_mode = MEMORY")


def write_without_sync(folder: Path) -> None:
    """SQLite databases opened from now on under `folder` (a unit's private course) skip fsync."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
    _folders.clear()  # a process grades one unit at a time (worker.py, unit.py's main)
    _folders.update({str(Path(folder)) + "/", str(Path(folder).resolve()) + "/"})
