"""Gradescope: an autograder zip per assignment that grades one submission with this grader.

`python -m autograder gradescope build` (`make gradescope`) writes `gradescope/<assignment>.zip`:
`setup.sh` (run once by Gradescope when it builds the image: installs Python 3.11, bubblewrap and
this course's package with its pinned dependencies), `run_autograder` (run for each submission) and
`course/` (the package, nbgrader_config.py and the assignment's source/ and release/ folders).

`run_autograder` calls `python -m autograder gradescope run`, which grades the notebook in
`<dir>/submission/` against `<dir>/source/course/` and writes Gradescope's
`<dir>/results/results.json` (lms.gradescope_results). `<dir>` is /autograder on Gradescope;
`$AUTOGRADER_DIR` (and `$AUTOGRADER_PYTHON` for the interpreter) stand in for it in tests.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

from ..errors import UsageError
from ..config import assignments as course_assignments

logger = logging.getLogger(__name__)

COURSE_FILES = ("pyproject.toml", "README.md", "nbgrader_config.py")
PACKAGES = ("dlcourse", "autograder")
SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (downloads happen here only).
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends python3.11 python3.11-venv bubblewrap
python3.11 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
/autograder/venv/bin/python -m pip install --quiet --extra-index-url https://download.pytorch.org/whl/cpu \\
    /autograder/source/course
"""
RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade it, write results/results.json.
set -uo pipefail
AUTOGRADER_DIR="${{AUTOGRADER_DIR:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-$AUTOGRADER_DIR/venv/bin/python}}"
cd "$AUTOGRADER_DIR"
exec "$PYTHON" -m autograder gradescope run --dir "$AUTOGRADER_DIR" --assignment {assignment}
"""


def build_autograder(*, root: Path, out: Path, assignments: list[str] | None = None) -> list[Path]:
    """One Gradescope autograder zip per assignment (default: all) in `out`; return their paths."""
    known = course_assignments(root)
    chosen = assignments or known
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise UsageError(f"unknown assignment(s) {', '.join(unknown)}: the course has {', '.join(known)}")
    out.mkdir(parents=True, exist_ok=True)
    return [_zip_one(root, assignment, out / f"{assignment}.zip") for assignment in chosen]


def _zip_one(root: Path, assignment: str, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER.format(assignment=assignment))):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16  # executable, as Gradescope requires
            zf.writestr(info, text)
        key = ["answer_key"] if (root / "answer_key").is_dir() else []  # the hidden checks, graded there
        folders = [*PACKAGES, *key, f"source/{assignment}", f"release/{assignment}"]
        files = [root / f for f in COURSE_FILES if (root / f).is_file()]
        files += [p for folder in folders for p in sorted((root / folder).rglob("*"))
                  if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts]
        for path in files:
            zf.write(path, f"course/{path.relative_to(root).as_posix()}")
    logger.info("Gradescope autograder for %s: %s", assignment, target)
    return target


def run_autograder(directory: Path, *, assignment: str | None) -> int:
    """Grade the submission in `directory`/submission and write `directory`/results/results.json."""
    from ..outputs.lms import gradescope_results

    root = directory / "source" / "course"
    assignment = assignment or course_assignments(root)[0]
    results_file = directory / "results" / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    notebook, problem = _find_notebook(directory / "submission", assignment)
    if problem:
        results_file.write_text(json.dumps({"score": 0, "output": problem, "tests": []}, ensure_ascii=False))
        print(problem)
        return 0
    result = _grade(root, assignment, notebook, _metadata(directory))
    results_file.write_text(json.dumps(gradescope_results(result), indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"{assignment}: {result.final_score:g}/{result.max_score:g} ({result.status}) -> {results_file}")
    return 0


def _find_notebook(folder: Path, assignment: str) -> tuple[Path | None, str]:
    notebooks = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    preferred = [p for p in notebooks if p.name == f"{assignment}.ipynb"]
    if preferred or len(notebooks) == 1:
        return (preferred or notebooks)[0], ""
    found = ", ".join(p.name for p in notebooks) or "no .ipynb file"
    return None, (f"Could not find your notebook: upload {assignment}.ipynb (the file you worked on in "
                  f"JupyterLab). Found: {found}.")


def _metadata(directory: Path) -> dict:
    try:
        return json.loads((directory / "submission_metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _grade(root: Path, assignment: str, notebook: Path, metadata: dict):
    """Grade one notebook as the only submission of a batch; sandboxed when the container allows it."""
    from .batch import ClassOptions
    from .grade import grade
    from ..inputs.late import parse_timestamp
    from ..engine.sandbox import SandboxUnavailable, check_available

    try:
        check_available()
        sandbox = True
    except SandboxUnavailable as error:  # Gradescope's container may refuse namespaces
        print(f"grading WITHOUT the sandbox (the container is the only isolation): {error}")
        sandbox = False
    with tempfile.TemporaryDirectory(prefix="gradescope-") as scratch:
        folder = Path(scratch) / "submissions" / "submission" / assignment
        folder.mkdir(parents=True)
        shutil.copyfile(notebook, folder / f"{assignment}.ipynb")
        created = parse_timestamp(str(metadata.get("created_at") or "")) if metadata.get("created_at") else None
        if created:
            (folder / "timestamp.txt").write_text(created.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        due_text = (metadata.get("assignment") or {}).get("due_date")
        due = parse_timestamp(str(due_text)) if due_text else None
        [result] = grade(submissions=folder.parent.parent, out=Path(scratch) / "out", root=root, workers=1,
                         sandbox=sandbox, warm=False, progress=False, options=ClassOptions(due=due))
    return result
