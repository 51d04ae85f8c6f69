"""When a saved result may be reused: only when nothing it depends on has changed.

A finished unit is saved as `OUT/.units/<folder>__<assignment>.json` with a key: the sha256 of the
submitted file, the assignment's source/ and release/ files, the grading code (the `dlcourse` and
`autograder` packages the grader imports), the limits and the sandbox setting. A later run into
the same OUT reuses the record only when the key is the same, so an interrupted batch resumes,
and a fixed hidden test, a changed check or other limits regrade exactly the units concerned.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from ..results import ResultError, SubmissionResult

UNITS_DIR = ".units"


def _hash_tree(digest, folder: Path, patterns: tuple[str, ...] = ("*",)) -> None:
    for path in sorted(p for pattern in patterns for p in folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts and ".ipynb_checkpoints" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


@functools.cache
def code_fingerprint() -> str:
    """The grading code: every .py file of the dlcourse and autograder packages as imported here."""
    from ..engine.sandbox import package_folders

    digest = hashlib.sha256()
    for folder in package_folders():
        digest.update(folder.name.encode())
        _hash_tree(digest, folder, ("*.py",))
    return digest.hexdigest()


def assignment_fingerprint(root: Path, assignment: str) -> str:
    """The assignment as the course defines it: its source/ and release/ folders, the course's
    nbgrader_config.py and autotests.yml, and the answer key of the hidden checks."""
    from dlcourse.checks import hidden

    from ..engine.templates import COURSE_FILES

    digest = hashlib.sha256()
    for step in ("source", "release"):
        digest.update(step.encode())
        if (root / step / assignment).is_dir():
            _hash_tree(digest, root / step / assignment)
    for name in COURSE_FILES:
        if (root / name).is_file():
            digest.update(name.encode() + b"\0" + (root / name).read_bytes())
    key = hidden.of_course(root)
    for path in hidden.files(key) if key else []:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def file_digest(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.is_file() else ""


def submission_digest(submission) -> str:
    """The submitted file's sha256; with several notebooks or other files, of all of them."""
    if not submission.notebooks and not submission.extra_files:
        return file_digest(submission.path)
    digest = hashlib.sha256()
    for name, path in (*submission.notebooks, *submission.extra_files):
        digest.update(f"{name}\0{file_digest(path)}\0".encode())
    return digest.hexdigest()


def unit_key(submission: str, assignment: str, settings: dict) -> str:
    """The key of one unit: submission and assignment fingerprints, grading code and settings."""
    text = json.dumps([submission, assignment, code_fingerprint(), settings], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def record_path(out: Path, folder: str, assignment: str) -> Path:
    return out / UNITS_DIR / f"{folder}__{assignment or 'unknown'}.json"


def load_current(record: Path, key: str) -> SubmissionResult | None:
    """The saved result if it was made with this key, else None (absent, stale or unreadable)."""
    try:
        previous = SubmissionResult.from_dict(json.loads(record.read_text(encoding="utf-8")))
    except (OSError, ValueError, ResultError):
        return None
    return previous if previous.key == key else None


def save(record: Path, result: SubmissionResult) -> None:
    """Write the record atomically (a killed run leaves the old one or the new one, never half)."""
    record.parent.mkdir(parents=True, exist_ok=True)
    partial = record.with_suffix(".tmp")
    partial.write_text(json.dumps(result.to_dict()), encoding="utf-8")
    partial.replace(record)
