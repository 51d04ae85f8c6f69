"""A unit's gradebook is a private, throwaway copy: write it without waiting for the disk.

nbgrader commits some thirty times per submission (every graded cell, the feedback); each commit
waits for fsync, 4-20 ms on a shared disk. The unit's gradebook dies with the unit and its
scores travel back as the result record, so a power cut could at worst lose a unit that is then
graded again. nbgrader also opens it eleven times per submission, each time with a new engine
and connection; one engine per unit serves them all. The course's own gradebook (gradebook.py,
in the parent process) is never matched.
"""

from __future__ import annotations

from pathlib import Path

_folders: set[str] = set()
_engines: dict[str, object] = {}  #: the current unit's gradebook URL -> its engine


def _on_connect(dbapi_connection, connection_record) -> None:
    rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
    path = rows[0][2] if rows else ""
    if any(path.startswith(folder) for folder in _folders):
        dbapi_connection.execute("PRAGMA synchronous = OFF")
        dbapi_connection.execute("PRAGMA journal_mode = MEMORY")


def _unit_engine(url, *args, **kwargs):
    """nbgrader's create_engine: one engine per unit gradebook, a new one for anything else."""
    from sqlalchemy import create_engine

    path = str(url).removeprefix("sqlite:///")
    if not any(path.startswith(folder) for folder in _folders):
        return create_engine(url, *args, **kwargs)
    if str(url) not in _engines:
        for engine in _engines.values():
            engine.dispose()  # the previous unit's
        _engines.clear()
        _engines[str(url)] = create_engine(url, *args, **kwargs)
    return _engines[str(url)]


def write_without_sync(folder: Path) -> None:
    """SQLite databases opened from now on under `folder` (a unit's private course) skip fsync,
    and nbgrader opens each with one engine."""
    import nbgrader.api
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
    nbgrader.api.create_engine = _unit_engine
    _folders.clear()  # a process grades one unit at a time (worker.py, unit.py's main)
    _folders.update({str(Path(folder)) + "/", str(Path(folder).resolve()) + "/"})
