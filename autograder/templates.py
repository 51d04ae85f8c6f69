"""Templates built once per version of an assignment, not once per `grade` run.

Building a template (grade.build_template: nbgrader's generate_assignment into a private course,
with a fresh gradebook) took seconds, most of it an `alembic heads` process that nbgrader starts to
stamp the new gradebook (see alembic_head_in_process). The result
depends only on the assignment's source folder, this grader's code and nbgrader's version, so it
is kept in a cache folder under that digest and reused as long as none of them changes. Units
only read a template (they copy it), so one folder serves every run and every worker.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

CACHE_VARIABLE = "DLCOURSE_CACHE"  #: where templates are kept (default: $XDG_CACHE_HOME/dlcourse-grader)
RECORD = "template.json"


def cache_root() -> Path:
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlcourse-grader"


def _digest(root: Path, assignment: str) -> str:
    from importlib.metadata import version  # not `import nbgrader`: that takes seconds

    from dlcourse.checks import hidden

    from .grade import COURSE_FILES

    digest = hashlib.sha256(f"nbgrader {version('nbgrader')}\n".encode())
    package = Path(__file__).parent
    key = hidden.of_course(root)
    course_files = [root / name for name in COURSE_FILES] + (hidden.files(key) if key else [])
    for path in sorted((root / "source" / assignment).rglob("*")) + sorted(package.glob("*.py")) + course_files:
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
    from .grade import Template, build_template

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
