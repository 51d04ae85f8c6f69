"""Find submissions: nbgrader's <student>/<assignment>/*.ipynb, or an LMS's flat export.

A flat export holds files named <student>_<assignment>.ipynb (anything may follow the
assignment id, e.g. "-1"), in a folder or in a .zip archive. Nothing here modifies a file.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A notebook to grade, or the reason there is none."""

    student_id: str
    assignment: str
    path: Path | None        #: the submitted notebook (None when missing)
    problem: str = ""        #: set when it cannot be graded: "missing: ..." or "invalid: ..."


class CollectError(ValueError):
    """The submissions path cannot be read at all."""


def safe_id(text: str) -> str:
    """A student id nbgrader accepts as a folder name: letters, digits, '_', '-' and '.'."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._-")
    return cleaned or "unknown"


def discover(path: Path, assignments: list[str], scratch: Path) -> list[Submission]:
    """All submissions under `path` (a folder or a .zip) for the known `assignments`."""
    path = Path(path)
    if not path.exists():
        raise CollectError(f"{path} does not exist: pass a folder of submissions or a .zip file")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise CollectError(f"{path} is a file but not a .zip archive: pass a folder or a .zip")
        path = _extract(path, scratch / "unzipped")
    if _is_nbgrader_layout(path, assignments):
        return _from_nbgrader_layout(path, assignments)
    return _from_flat(path, assignments)


def _extract(archive: Path, target: Path) -> Path:
    """Extract the .ipynb members of `archive`, refusing paths that would escape `target`."""
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for member in zf.infolist():
            name = Path(member.filename)
            if member.is_dir() or name.suffix != ".ipynb" or name.is_absolute() or ".." in name.parts:
                continue
            if name.parts[0] == "__MACOSX":
                continue
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(zf.read(member))
    return target


def _is_nbgrader_layout(path: Path, assignments: list[str]) -> bool:
    return any((student / a).is_dir() for student in path.iterdir() if student.is_dir()
               for a in assignments)


def _from_nbgrader_layout(path: Path, assignments: list[str]) -> list[Submission]:
    found = []
    for student_dir in sorted(p for p in path.iterdir() if p.is_dir()):
        for assignment in assignments:
            folder = student_dir / assignment
            if not folder.is_dir():
                continue
            notebooks = sorted(folder.glob("*.ipynb"))
            student = safe_id(student_dir.name)
            if not notebooks:
                found.append(Submission(student, assignment, None,
                                        f"missing: no .ipynb file in {folder.name}/"))
            else:
                preferred = [nb for nb in notebooks if nb.stem == assignment]
                if len(notebooks) > 1 and not preferred:
                    logger.warning("%s: several notebooks, grading %s", folder, notebooks[0].name)
                found.append(Submission(student, assignment, (preferred or notebooks)[0]))
    return found


def _from_flat(path: Path, assignments: list[str]) -> list[Submission]:
    by_key: dict[tuple[str, str], Submission] = {}
    unmatched = []
    pattern = re.compile(r"^(?P<student>.+?)[_-](?P<assignment>%s)(?![0-9A-Za-z])"
                         % "|".join(map(re.escape, sorted(assignments, key=len, reverse=True))))
    for notebook in sorted(path.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        match = pattern.match(notebook.stem)
        if not match:
            unmatched.append(notebook)
            continue
        key = (safe_id(match["student"]), match["assignment"])
        if key in by_key:
            logger.warning("%s: another file for %s/%s, keeping %s", notebook, *key, notebook.name)
        by_key[key] = Submission(*key, notebook)
    found = list(by_key.values())
    for notebook in unmatched:
        found.append(Submission(safe_id(notebook.stem), "", notebook,
                                "invalid: cannot tell the assignment from the file name; expected "
                                f"<student>_<assignment>.ipynb with one of {assignments}"))
    return found
