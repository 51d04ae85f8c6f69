"""source/ -> solutions/: the instructor's notebooks for self-learners, without hidden tests.

Each notebook keeps its solutions, visible checks, hints and nbgrader metadata (so
`python -m autograder validate` works on it), loses every `### BEGIN HIDDEN TESTS` ...
`### END HIDDEN TESTS` block and its outputs. The assignment's other files are copied along.
A marker file says the folder is generated; any other non-empty folder is never overwritten.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from ..errors import UsageError
from ..config import assignments

MARKER = ".dlcourse-solutions"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


class SolutionsError(UsageError):
    """The output folder is not ours, or a notebook's hidden-test markers do not pair up."""


def without_hidden_tests(source: str, where: str = "a cell") -> str:
    """`source` with every hidden-test block, markers included, removed."""
    kept, inside = [], False
    for line in source.splitlines(keepends=True):
        marker = line.strip()
        if marker == BEGIN_HIDDEN:
            if inside:
                raise SolutionsError(f"{where}: {BEGIN_HIDDEN} inside a hidden-test block")
            inside = True
        elif marker == END_HIDDEN:
            if not inside:
                raise SolutionsError(f"{where}: {END_HIDDEN} without {BEGIN_HIDDEN}")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise SolutionsError(f"{where}: {BEGIN_HIDDEN} is never closed")
    return "".join(kept).rstrip("\n")


def solution_notebook(path: Path):
    """The notebook at `path` without hidden tests and outputs."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        cell.source = without_hidden_tests(cell.source, f"{path.name}, cell {index + 1}")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    return nb


def _claim(out: Path) -> None:
    """Make `out` an empty folder of ours; refuse a non-empty folder without our marker."""
    if out.exists():
        if not out.is_dir():
            raise SolutionsError(f"{out} is a file: pass another --out folder")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise SolutionsError(f"{out} exists and was not written by `autograder solutions` "
                                 f"(no {MARKER} in it): pass another --out folder, or remove it yourself")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("Written by `python -m autograder solutions`; rewritten (deleted first) "
                              "each time it runs. Do not keep your own files here.\n")


def write_solutions(*, root: Path, out: Path) -> list[str]:
    """Write solutions/<id>/ for every assignment of the course at `root` into `out`; return the ids."""
    ids = assignments(root)
    paths = [path for assignment_id in ids for path in sorted((root / "source" / assignment_id).glob("*.ipynb"))]
    notebooks = {path: solution_notebook(path) for path in paths}  # all first: a bad marker writes nothing
    _claim(out)
    for assignment_id in ids:
        shutil.copytree(root / "source" / assignment_id, out / assignment_id,
                        ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"))
    for path, nb in notebooks.items():
        nbformat.write(nb, out / path.parent.name / path.name)
    return ids
