"""Where the hidden checks come from: the answer key, a grader-only package beside `source/`.

`check_x(fn, hidden=True)` runs the cases `answer_key/<topic>.py` builds. That folder lives in the
course repository, like the solutions in `source/`: it is not part of the installed package (the
wheel students install has no copy) and the grading sandbox does not mount it, so the student's
kernel can neither import nor read it. The grader runs hidden checks in its own process
(autograder/trusted/verdicts.py) with the key it names through `use()`.

Found, in this order: the folder given to `use()` or in $DLCOURSE_ANSWER_KEY; an `answer_key/`
in the current folder or above it (an instructor running `source/` notebooks); the one beside this
package's folder (the course repository it is imported from).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path

PACKAGE = "answer_key"
KEY_VARIABLE = "DLCOURSE_ANSWER_KEY"  #: the answer key's folder, set by the grader for its workers

_chosen: Path | None = None
_loaded: dict[str, object] = {}
_loaded_from: tuple[Path, str] | None = None


class HiddenChecksUnavailable(RuntimeError):
    """No answer key here: hidden checks run only where the course is graded."""


def _is_key(folder: Path) -> bool:
    return (folder / "__init__.py").is_file()


def use(folder: Path | str | None) -> None:
    """Take the hidden checks from the answer key in `folder` (None: find it as described above)."""
    global _chosen
    _chosen = Path(folder).resolve() if folder is not None else None


def location() -> Path | None:
    """The answer key's folder, or None where there is none (a student's machine, the sandbox)."""
    if _chosen is not None:
        return _chosen if _is_key(_chosen) else None
    named = os.environ.get(KEY_VARIABLE)
    if named:
        return Path(named).resolve() if _is_key(Path(named)) else None
    start = Path.cwd()
    for folder in (start, *start.parents, Path(__file__).resolve().parents[2]):
        if _is_key(folder / PACKAGE):
            return (folder / PACKAGE).resolve()
    return None


def of_course(root: Path | str) -> Path | None:
    """The answer key the grader uses for the course at `root`: its own `answer_key/`, else the one
    found as described above (the course repository this package is imported from)."""
    own = Path(root) / PACKAGE
    return own.resolve() if _is_key(own) else location()


def files(folder: Path) -> list[Path]:
    """The answer key's source files (what a copy of it needs)."""
    return sorted(folder.glob("*.py"))


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in files(folder):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


def _module(topic: str):
    global _loaded_from
    folder = location()
    if folder is None:
        raise HiddenChecksUnavailable(
            "hidden checks run only when the course is graded: the answer key (the course "
            f"repository's {PACKAGE}/ folder) is not here. Your visible checks above are the ones to pass.")
    source = (folder, _digest(folder))
    if source != _loaded_from:  # another course, or the key was edited: load it afresh
        _loaded.clear()
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        _loaded_from = source
    if topic not in _loaded:
        _loaded[topic] = _import(folder, topic)
    return _loaded[topic]


def _import(folder: Path, topic: str):
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(PACKAGE, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{PACKAGE}.{topic}")


def cases(topic: str, check: str, *args, **shared) -> list[Callable[[], None]]:
    """The hidden cases of `check_<check>` from `answer_key/<topic>.py`, built for the student's
    `args` and the values the visible part of the check shares with them."""
    return getattr(_module(topic), check)(*args, **shared)
