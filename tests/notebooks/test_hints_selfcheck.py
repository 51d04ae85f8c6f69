"""Hints after every fill-in, and the self-check summary cell that ends every notebook."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from autograder.config import assignments
from autograder.flows.validate import run_notebook
from dlcourse.checks import _core
from dlcourse.checks.selfcheck import REGISTRY
from tests.paths import ROOT
from tests.notebook_tools import is_test_cell, nbgrader_meta

ASSIGNMENTS = assignments(ROOT)
FOLDERS = ("source", "release")
OPEN = re.compile(r"<details><summary>💡 Hint (\d+)</summary>\n\n")
FIRST_HINT = "<details><summary>💡 Hint 1</summary>"


def _is_hints_cell(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.startswith(FIRST_HINT)


def _read(folder: str, assignment: str):
    return nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)


def _solution_lines(assignment: str) -> set[str]:
    """Every line of at least 12 characters between the solution markers of the source notebook."""
    lines = set()
    for cell in _read("source", assignment).cells:
        for block in cell.source.split("### BEGIN SOLUTION")[1:]:
            lines |= {ln.strip() for ln in block.split("### END SOLUTION")[0].splitlines() if len(ln.strip()) >= 12}
    return lines


def _hint_count(cell) -> int:
    """The number of nested hints in a hints cell; fails unless they nest as hint 1 > hint 2 > ..."""
    assert cell.cell_type == "markdown" and not cell.metadata.get("nbgrader"), cell.source[:60]
    opened = [int(m.group(1)) for m in OPEN.finditer(cell.source)]
    assert opened == list(range(1, len(opened) + 1)), f"hints numbered {opened}"
    closing = "</details>" * len(opened)
    # every hint opens before the previous one closes: all the closing tags come at the very end
    assert cell.source.endswith(closing) and cell.source.count("</details>") == len(opened), cell.source[-80:]
    assert cell.source.count("<details>") == len(opened)
    return len(opened)


def _is_question(nb, index: int) -> bool:
    """A solution cell answered through a variable: its test cell calls check_choice or check_number."""
    test = next(c for c in nb.cells[index:] if is_test_cell(c))
    return "check_choice(" in test.source or "check_number(" in test.source


def _fill_ins(nb):
    """(solution cell, the cell after it, is_question) for every solution cell."""
    for index, cell in enumerate(nb.cells):
        if nbgrader_meta(cell).get("solution"):
            yield cell, nb.cells[index + 1], _is_question(nb, index)


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_fill_in_is_followed_by_nested_hints(assignment, folder):
    nb = _read(folder, assignment)
    fill_ins = list(_fill_ins(nb))
    assert fill_ins
    for solution, after, question in fill_ins:
        grade_id = nbgrader_meta(solution)["grade_id"]
        count = _hint_count(after) if _is_hints_cell(after) else 0
        assert (count <= 1) if question else (2 <= count <= 3), (grade_id, count)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hints_never_contain_a_line_of_any_solution(assignment):
    solution_lines = _solution_lines(assignment)
    assert solution_lines
    for cell in _read("source", assignment).cells:
        if _is_hints_cell(cell):
            leaked = [line for line in solution_lines if line in cell.source]
            assert not leaked, (cell.source[:80], leaked)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hints_are_identical_in_source_and_release(assignment):
    def hints(nb):
        return [c.source for c in nb.cells if _is_hints_cell(c)]
    source = hints(_read("source", assignment))
    assert source and source == hints(_read("release", assignment))


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_ends_with_an_ungraded_summary_cell(assignment, folder):
    last = _read(folder, assignment).cells[-1]
    assert last.cell_type == "code" and not nbgrader_meta(last), "the summary cell must not be graded or locked"
    assert last.source.strip().endswith(f'summary("{assignment}")')
    assert "from dlcourse.checks.selfcheck import summary" in last.source


# -- the registry matches the notebooks --------------------------------------------------------

def _notebook_exercises(assignment: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(label, grade_id, suites) per graded test cell of the source notebook, read from its text."""
    rows, label = [], None
    for cell in _read("source", assignment).cells:
        if cell.cell_type == "markdown":
            for match in re.finditer(r"\*\*(Exercise|Question) (\d+)\.\*\*", cell.source):
                label = f"{match.group(1)} {match.group(2)}"
        if is_test_cell(cell):
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            suites = []
            for node in ast.walk(ast.parse(visible)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "").startswith("check_"):
                    first = node.args[0]  # check_choice("name", ...) or check_fn(fn)
                    suites.append(first.value if isinstance(first, ast.Constant) else first.id)
            rows.append((label, nbgrader_meta(cell)["grade_id"], tuple(suites)))
    return rows


def test_registry_covers_every_assignment():
    assert list(REGISTRY) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_registry_matches_the_graded_cells(assignment):
    registered = [(e.label, e.grade_id, e.suites) for e in REGISTRY[assignment]]
    assert registered == _notebook_exercises(assignment)


class _Stub:
    """Stands for any fill-in: calling it (or constructing it) raises NotImplementedError."""

    def __call__(self, *args, **kwargs):
        raise NotImplementedError()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_visible_test_cell_runs_the_registered_suites(assignment, monkeypatch):
    """Run each visible test cell on stubs: it records exactly its registered suites, as not attempted."""
    nb = _read("source", assignment)
    namespace: dict = {}
    exec(compile(next(c for c in nb.cells if c.cell_type == "code").source, "imports", "exec"), namespace)
    tests = [c for c in nb.cells if is_test_cell(c)]
    for exercise, cell in zip(REGISTRY[assignment], tests, strict=True):
        monkeypatch.setattr(_core, "_OUTCOMES", {})
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        names = {n.id for n in ast.walk(ast.parse(visible)) if isinstance(n, ast.Name)} - set(namespace)
        scope = dict(namespace, **{name: (None if exercise.label.startswith("Question") else _Stub())
                                   for name in names})
        with pytest.raises(AssertionError):
            exec(compile(visible, exercise.grade_id, "exec"), scope)
        recorded = _core.outcomes()
        assert set(recorded) == set(exercise.suites[:1]), (exercise.grade_id, recorded)
        assert all(o.status == _core.NOT_ATTEMPTED for o in recorded.values()), (exercise.grade_id, recorded)


# -- the summary cell in executed notebooks -------------------------------------------------------

def _summary_output(nb) -> str:
    """The summary cell's stdout (it must have run without an error or stderr)."""
    cell = nb.cells[-1]
    assert not [o for o in cell.outputs if o.output_type == "error" or o.get("name") == "stderr"], cell.outputs
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.slow
def test_summary_of_the_released_stub_lists_every_exercise_as_not_attempted():
    nb = run_notebook(ROOT / "release" / "03_dropout" / "03_dropout.ipynb")
    text = _summary_output(nb)
    exercises = REGISTRY["03_dropout"]
    for exercise in exercises:
        row = next(line for line in text.splitlines() if f"{exercise.label}  {exercise.suites[0]} " in line)
        assert "⬜ not attempted" in row, row
    assert f"0/{len(exercises)} exercises pass" in text


@pytest.mark.slow
def test_summary_of_the_source_notebook_says_everything_passes():
    nb = run_notebook(ROOT / "source" / "01_fitting" / "01_fitting.ipynb")
    text = _summary_output(nb)
    count = len(REGISTRY["01_fitting"])
    assert text.count("✅ passed") == count and f"{count}/{count} exercises pass" in text, text
