"""The files of a merged submission where nbgrader looks (see gradebook.py): submitted/,
autograded/ and feedback/ under the course root, each with the submission's timestamp.txt."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from ..results import SubmissionResult

#: nbgrader's Exchange.timestamp_format (what `nbgrader collect` writes to timestamp.txt)
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


def submission_time(result: SubmissionResult) -> str | None:
    """The submission time the intake found, else the timestamp.txt beside a submission in
    nbgrader's layout; None when unknown (as nbgrader records a submission without timestamp.txt)."""
    from nbgrader.utils import parse_utc

    if result.submitted_at:
        return datetime.fromisoformat(result.submitted_at).astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)
    source = Path(result.source)
    stamp = source.parent / "timestamp.txt"
    if source.parent.name == result.assignment and stamp.is_file():
        text = stamp.read_text().strip()
        try:
            parse_utc(text)
            return text
        except (ValueError, OverflowError):
            pass  # unreadable: unknown
    return None


def lay_out_files(coursedir, out: Path, result: SubmissionResult, names: list[str], timestamp: str | None) -> None:
    """submitted/ gets a copy of each notebook as submitted (under the release's name) unless the
    submissions were graded from the course's submitted/ folder itself: nothing there is ever
    written. autograded/ and feedback/ get OUT's files."""
    student, assignment = result.folder, result.assignment
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    sources = {Path(name).stem: Path(path) for name, path in result.sources.items()} or \
        {names[0]: Path(result.source)}
    if not any(_inside(path, Path(coursedir.root) / coursedir.submitted_directory) for path in sources.values()):
        submitted.mkdir(parents=True, exist_ok=True)
        for name, source in sources.items():
            _replace_with_copy(submitted / f"{name}.ipynb", source)
        _write_timestamp(submitted, timestamp)
    for step, pattern in (("autograded", "*.ipynb"), ("feedback", "*.html")):
        folder = Path(coursedir.format_path(getattr(coursedir, f"{step}_directory"), student, assignment))
        graded = out / step / student / assignment
        if folder.resolve() != graded.resolve():  # OUT may be the course root itself
            shutil.rmtree(folder, ignore_errors=True)  # files of an earlier submission
            folder.mkdir(parents=True)
            for file in sorted(graded.glob(pattern)):
                shutil.copyfile(file, folder / file.name)
        _write_timestamp(folder, timestamp)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _replace_with_copy(target: Path, source: Path) -> None:
    """`target` becomes a new file with `source`'s bytes (never written through: a link or a hard
    link at `target` is replaced, not followed)."""
    if target.exists() and target.samefile(source):
        return
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    shutil.copyfile(source, partial)
    partial.replace(target)


def _write_timestamp(folder: Path, timestamp: str | None) -> None:
    stamp = folder / "timestamp.txt"
    if timestamp is None:
        stamp.unlink(missing_ok=True)  # an earlier submission's
        return
    if not stamp.is_file() or stamp.read_text().strip() != timestamp:
        stamp.unlink(missing_ok=True)
        stamp.write_text(timestamp)


def read_executed(out: Path, result: SubmissionResult, notebook: str):
    """The autograded notebook in OUT, or None (an unreadable file or a killed unit has none)."""
    path = out / "autograded" / result.folder / result.assignment / f"{notebook}.ipynb"
    return nbformat.read(path, as_version=4) if path.is_file() else None
