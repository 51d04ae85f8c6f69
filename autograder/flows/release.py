"""source/ -> release/: nbgrader's generate_assignment, for all or some assignments."""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import ReleaseError
from ..config import assignments, course_config, venv_on_path

logger = logging.getLogger(__name__)


def release(*, root: Path, assignment_ids: list[str] | None = None) -> list[str]:
    """Regenerate release/<id>/ from source/<id>/ for each id (default: all); return the ids.

    Runs nbgrader's GenerateAssignment, which needs no exchange. (NbGraderAPI would probe the
    exchange and log "Unwritable directory" on a machine without one.)
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    venv_on_path()
    known = assignments(root)
    ids = assignment_ids or known
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise ReleaseError(f"unknown assignment(s) {unknown}; source/ has {known}")
    config = course_config(root)
    for assignment_id in ids:
        coursedir = CourseDirectory(config=config, assignment_id=assignment_id)
        generate = GenerateAssignment(coursedir=coursedir, config=config, force=True,
                                      create_assignment=True)
        result = capture_log(generate)
        if not result["success"]:
            raise ReleaseError(f"generate_assignment {assignment_id} failed:\n"
                               f"{result.get('error', '')}\n{result.get('log', '')}")
        logger.info("released %s", assignment_id)
    return ids
