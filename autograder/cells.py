"""A notebook cell's nbgrader metadata, read in one place.

nbgrader keeps a cell's grading role in `cell.metadata["nbgrader"]`: `grade_id`, `points`, the
flags `grade`, `solution`, `locked` and `task`, and bookkeeping (`checksum`, `schema_version`).
Old schemas leave false flags out and may write points as text; a student's edits may leave the
entry empty or null. Every reader here accepts plain dicts as well as NotebookNodes.
"""

from __future__ import annotations

import copy
import re

#: the flags that make a cell part of grading
ROLE_KEYS = ("grade", "solution", "locked", "task")


def meta_of(cell) -> dict:
    """The cell's nbgrader metadata ({} when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def has_meta(cell) -> bool:
    """Whether the cell carries an nbgrader entry at all (the grader's own cells do not)."""
    return "nbgrader" in cell.get("metadata", {})


def drop_meta(cell) -> None:
    """Make the cell an ordinary one: remove its nbgrader entry (if any)."""
    cell.get("metadata", {}).pop("nbgrader", None)


def set_meta(cell, nbgrader_meta: dict) -> None:
    """Give the cell (a copy of) `nbgrader_meta` as its nbgrader entry."""
    cell.metadata["nbgrader"] = copy.deepcopy(nbgrader_meta)


def grade_id_of(cell) -> str | None:
    return meta_of(cell).get("grade_id")


def points_of(cell) -> float:
    """The cell's points as a number (0 when it has none)."""
    return float(meta_of(cell).get("points", 0))


def checksum_of(cell) -> str | None:
    return meta_of(cell).get("checksum")


def is_solution(cell) -> bool:
    """An answer cell (nbgrader's solution=True): the student's code or text."""
    return bool(meta_of(cell).get("solution"))


def is_grade(cell) -> bool:
    """A cell worth points (nbgrader's grade=True): a test cell or a manually graded answer."""
    return bool(meta_of(cell).get("grade"))


def is_locked(cell) -> bool:
    return bool(meta_of(cell).get("locked"))


def is_graded(cell) -> bool:
    """Part of grading: an answer, a graded cell or a locked one."""
    return is_solution(cell) or is_grade(cell) or is_locked(cell)


def is_inert(nbgrader_meta: dict) -> bool:
    """nbgrader metadata that gives the cell no role (all flags false): an ordinary cell."""
    return not any(nbgrader_meta.get(key) for key in ROLE_KEYS)


def is_test_cell(cell) -> bool:
    """An autograded test cell: graded, not an answer (nbgrader's grade=True, solution=False)."""
    return cell.get("cell_type") == "code" and is_grade(cell) and not is_solution(cell)


def tags_of(cell) -> list[str]:
    """The cell's Jupyter tags (not nbgrader's: `metadata.tags`)."""
    return list(cell.get("metadata", {}).get("tags") or [])


def grading(nbgrader_meta: dict) -> dict:
    """What of a cell's nbgrader metadata decides its grading: its role, id and points. nbgrader's
    checksum, schema version and cell_type record are bookkeeping, and old schemas leave false
    flags out and may write points as text."""
    role = {key: bool(nbgrader_meta.get(key)) for key in ROLE_KEYS}
    value = nbgrader_meta.get("points") if role["grade"] or role["task"] else None
    try:
        value = None if value is None else float(value)
    except (TypeError, ValueError):
        pass
    return {**role, "grade_id": nbgrader_meta.get("grade_id"), "points": value}


def grade_points(nb) -> dict[str, float]:
    """grade_id -> points of every graded cell of `nb`, in notebook order."""
    return {grade_id_of(c): points_of(c) for c in nb["cells"] if is_grade(c)}


def solution_cells(nb) -> dict:
    """grade_id -> cell of every answer cell of `nb`, in notebook order."""
    return {grade_id_of(c): c for c in nb["cells"] if is_solution(c)}


def last_error(cell) -> str:
    """The cell's last error as one line, `Name: message` without colour codes ('' if none)."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return strip_ansi(f"{errors[-1]['ename']}: {errors[-1]['evalue']}") if errors else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes from a traceback line."""
    return _ANSI.sub("", text)
