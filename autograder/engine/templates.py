"""Templates built once per version of an assignment, not once per `grade` run.

Building a template (build_template: nbgrader's generate_assignment into a private course,
with a fresh gradebook) took seconds, most of it an `alembic heads` process that nbgrader starts to
stamp the new gradebook (see alembic_head_in_process). The result
depends only on the assignment's source folder, this grader's code and nbgrader's version, so it
is kept in a cache folder under that digest and reused as long as none of them changes. Units
only read a template (they copy it), so one folder serves every run and every worker.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse.checks import hidden

from ..cells import grade_points
from ..config import CONFIG_FILE, course_config, venv_on_path
from ..errors import ReleaseError
from ..results import cell_key

logger = logging.getLogger(__name__)

CACHE_VARIABLE = "DLCOURSE_CACHE"  #: where templates are kept (default: $XDG_CACHE_HOME/dlcourse-grader)
RECORD = "template.json"


#: course-root files a template keeps beside source/: the course's options and its autotests
COURSE_FILES = (CONFIG_FILE, "autotests.yml")


@dataclass(frozen=True)
class Template:
    """A released assignment in a private course folder, with its gradebook, ready to copy."""

    assignment: str
    folder: Path
    notebooks: dict[str, dict[str, float]]  #: notebook name -> {grade_id: points}, in notebook order

    @property
    def notebook_name(self) -> str:
        return next(iter(self.notebooks))

    @property
    def grade_cells(self) -> dict[str, float]:
        """Every graded cell of the assignment (ids as in the results: results.cell_key)."""
        return flat_cells(self.notebooks)


def flat_cells(notebooks: dict[str, dict[str, float]]) -> dict[str, float]:
    several = len(notebooks) > 1
    return {cell_key(name, g, several): p for name, cells in notebooks.items() for g, p in cells.items()}


def notebook_cells(folder: Path) -> dict[str, dict[str, float]]:
    """grade_id -> points of each notebook in `folder` (sorted by name), in notebook order."""
    found = {}
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found[path.name] = grade_points(nb)
    return found


def grade_cells(root: Path, assignment: str) -> dict[str, float]:
    """The assignment's graded cells (results.cell_key -> points), in notebook order (from source/)."""
    return flat_cells(notebook_cells(root / "source" / assignment))


def build_template(root: Path, assignment: str, folder: Path) -> Template:
    """Copy source/<assignment> (and the course's nbgrader_config.py and autotests.yml) into
    `folder` and let nbgrader record its cells in a gradebook, with the course's options."""
    from nbgrader.apps import NbGraderAPI

    shutil.copytree(root / "source" / assignment, folder / "source" / assignment)
    copy_answer_key(root, folder)
    for name in COURSE_FILES:
        if (root / name).is_file():
            shutil.copyfile(root / name, folder / name)
    venv_on_path()
    api = NbGraderAPI(config=course_config(folder, private=True, course=folder))
    with _working_directory(folder):  # nbgrader reads the course's autotests.yml from there
        outcome = api.generate_assignment(assignment, force=True)
    if not outcome["success"]:
        raise ReleaseError(f"cannot prepare {assignment}: {outcome.get('error', '')}")
    return Template(assignment, folder, notebook_cells(folder / "source" / assignment))


def copy_answer_key(root: Path, folder: Path) -> None:
    """The course's answer key (hidden cases of the checks) into the template: units on this machine
    and on Dask workers take the hidden checks from there, never from the sandbox."""
    key = hidden.of_course(root)
    if key is None and any("hidden=True" in path.read_text(encoding="utf-8", errors="replace")
                           for path in folder.glob("source/*/*.ipynb")):
        raise hidden.HiddenChecksUnavailable(
            f"the assignment's hidden tests call the course's hidden checks, but no answer key was found: "
            f"expected {Path(root) / hidden.PACKAGE}/ beside source/ (it holds the hidden cases; "
            f"copy it from the course repository), or name its folder in ${hidden.KEY_VARIABLE}.")
    if key is not None:
        (folder / hidden.PACKAGE).mkdir()
        for path in hidden.files(key):
            shutil.copyfile(path, folder / hidden.PACKAGE / path.name)


@contextlib.contextmanager
def _working_directory(folder: Path):
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def cache_root() -> Path:
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlcourse-grader"


def _digest(root: Path, assignment: str) -> str:
    from importlib.metadata import version  # not `import nbgrader`: that takes seconds

    digest = hashlib.sha256(f"nbgrader {version('nbgrader')}\n".encode())
    package = Path(__file__).resolve().parents[1]  # the whole autograder package
    key = hidden.of_course(root)
    course_files = [root / name for name in COURSE_FILES] + (hidden.files(key) if key else [])
    for path in sorted((root / "source" / assignment).rglob("*")) + sorted(package.rglob("*.py")) + course_files:
        if path.is_file():
            digest.update(f"{path.name}\n".encode() + path.read_bytes())
    return digest.hexdigest()[:24]


def alembic_head_in_process() -> None:
    """nbgrader asks a new `alembic heads` process (which imports nbgrader: ~3 s) for the version to
    stamp on each new gradebook; alembic's own API gives the same answer in this process in 0.1 s."""
    import nbgrader.api
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    @functools.cache
    def head() -> str:
        config = Config()
        config.set_main_option("script_location", ALEMBIC_DIR)
        return ScriptDirectory.from_config(config).get_current_head()

    nbgrader.api.get_alembic_version = head


def cached_template(root: Path, assignment: str, scratch: Path):
    """The template of `assignment`: from the cache when its digest matches, else built (in
    `scratch`, then moved into the cache). Falls back to `scratch` when the cache is not writable."""
    folder = cache_root() / "templates" / f"{assignment}-{_digest(root, assignment)}"
    record = folder / RECORD
    if record.is_file():
        try:
            data = json.loads(record.read_text())
            return Template(assignment, folder, data["notebooks"])
        except (OSError, ValueError, KeyError):
            pass  # damaged: rebuild below
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{assignment}-", dir=folder.parent))
    except OSError as error:
        logger.debug("template cache unavailable (%s): building in the run's folder", error)
        return build_template(root, assignment, scratch)
    alembic_head_in_process()
    try:
        template = build_template(root, assignment, building / "t")
        (building / "t" / RECORD).write_text(json.dumps({"notebooks": template.notebooks}))
        try:
            os.rename(building / "t", folder)  # atomic; another run may have won the race
        except OSError:
            pass
    finally:
        shutil.rmtree(building, ignore_errors=True)
    if not record.is_file():  # could not move it into the cache
        return build_template(root, assignment, scratch)
    _prune(folder)
    return cached_template(root, assignment, scratch)


def _prune(kept: Path, age_s: float = 3600) -> None:
    """Remove this assignment's templates of other versions, unused for an hour."""
    import time

    prefix = kept.name.rsplit("-", 1)[0] + "-"
    for folder in kept.parent.glob(f"{prefix}*"):
        if folder != kept and not folder.name.startswith(".") and time.time() - folder.stat().st_mtime > age_s:
            shutil.rmtree(folder, ignore_errors=True)
