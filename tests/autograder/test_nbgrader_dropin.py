"""The grader as a drop-in for `nbgrader autograde` on any nbgrader course (issue 20).

Fast tests check each piece on nbgrader's own fixtures without grading: which notebooks are taken
in, the course's nbgrader_config.py, tamper flags, the ledger, the late plugin and the gradebook
merge. Slow tests build nbgrader 0.9.6's autograde test courses (tests/apps/files), grade each one
with stock `nbgrader autograde` and with `python -m autograder grade submitted --root COURSE`, and
compare the two gradebooks cell by cell; the only differences allowed are those docs/instructor.md
lists as intended. Every slow test also checks that no submitted file changed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.config import course_cell_timeout, course_config, course_id, load_course_config
from autograder.inputs.intake import take_in
from autograder.inputs.late import CoursePlugin, course_due_dates, course_policy
from autograder.results import CellResult, SubmissionResult
from autograder.engine.sanitize import sanitize
from autograder.engine.scoring import uses_ledger, verify_ledger
from dlcourse.checks.protocol import LEDGER_CELL
from tests.autograder.nbgrader_fixtures import (FILES, Scenario, build, differences, file_hashes, grade_ours,
                                                grade_stock, gradebook_view)

U, C = "submitted-unchanged.ipynb", "submitted-changed.ipynb"
LATE_PLUGIN = ("from nbgrader.plugins import BasePlugin\n\n\nclass Blarg(BasePlugin):\n"
               "    def late_submission_penalty(self, student_id, score, total_seconds_late):\n"
               "        return int(total_seconds_late / 3600)\n")
AUTOTESTS = {"autotests.yml": "autotests.yml"}


def fixture(name: str):
    return nbformat.read(FILES / name, as_version=4)


# --- intake: notebooks matched by the release's names -----------------------------------------

def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "subs" / "foo" / "ps1"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return tmp_path / "subs"


def test_a_copy_beside_the_real_notebook_is_listed_never_graded(tmp_path):
    """p1.ipynb and 'p1 copy.ipynb' (sorted first): is p1.ipynb graded and the copy listed as extra?"""
    subs = _folder(tmp_path, {"p1 copy.ipynb": "{}", "p1.ipynb": "{}", "p2.ipynb": "{}", "data.txt": "1"})
    intake = take_in(subs, ["ps1"], tmp_path / "scratch", notebook_names={"ps1": ["p1.ipynb", "p2.ipynb"]})
    [submission] = intake.submissions
    assert [(name, path.name) for name, path in submission.notebooks] == [("p1.ipynb", "p1.ipynb"),
                                                                          ("p2.ipynb", "p2.ipynb")]
    assert [rel for rel, _ in submission.extra_files] == ["data.txt"]
    [copy] = [item for item in intake.listed if item.origin.endswith("p1 copy.ipynb")]
    assert copy.reason.startswith("extra notebook: not one of the assignment's notebooks (p1.ipynb, p2.ipynb)")


def test_a_folder_with_none_of_several_notebooks_is_missing(tmp_path):
    subs = _folder(tmp_path, {"mine.ipynb": "{}"})
    (subs / "bar" / "ps1").mkdir(parents=True)
    (subs / "bar" / "ps1" / "p2.ipynb").write_text("{}")
    intake = take_in(subs, ["ps1"], tmp_path / "scratch", notebook_names={"ps1": ["p1.ipynb", "p2.ipynb"]})
    submission = next(s for s in intake.submissions if s.student_id == "foo")
    assert submission.path is None and submission.problem.startswith("missing: none of the assignment's notebooks")


def test_a_lone_notebook_of_another_name_is_graded_for_a_single_notebook_assignment(tmp_path):
    subs = _folder(tmp_path, {"p1 (1).ipynb": "{}"})
    [submission] = take_in(subs, ["ps1"], tmp_path / "scratch", notebook_names={"ps1": ["p1.ipynb"]}).submissions
    assert submission.path.name == "p1 (1).ipynb" and not submission.problem


# --- the course's nbgrader_config.py, with the grader's additions on top -------------------------

def _course(tmp_path: Path, config: str) -> Path:
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n" + config)
    return course


def test_the_course_config_is_honoured_and_the_grader_layered_on_top(tmp_path):
    course = _course(tmp_path, "c.CourseDirectory.course_id = 'phys101'\n"
                               "c.ClearSolutions.code_stub = dict(python='# YOUR CODE HERE')\n"
                               "c.Execute.timeout = 7\n"
                               "c.Autograde.exclude_overwriting = {'ps1': ['helper.py']}\n")
    config = course_config(course)
    assert config.ClearSolutions.code_stub == {"python": "# YOUR CODE HERE"}
    assert config.Autograde.exclude_overwriting == {"ps1": ["helper.py"]}
    assert course_id(course) == "phys101"
    assert course_cell_timeout(course, 600) == 7
    assert "GuardedExecute" in repr(config.Autograde.autograde_preprocessors)
    private = course_config(tmp_path / "unit", 7, private=True, course=course)
    assert private.ClearSolutions.code_stub == {"python": "# YOUR CODE HERE"}
    assert private.CourseDirectory.db_url == f"sqlite:///{tmp_path / 'unit' / 'gradebook.db'}"


def test_cell_timeout_defaults(tmp_path):
    """No Execute.timeout: the grader's 60 s; None (no limit): the notebook's limit."""
    assert course_cell_timeout(_course(tmp_path / "a", ""), 600) == 60
    assert course_cell_timeout(_course(tmp_path / "b", "c.Execute.timeout = None\n"), 600) == 600


def test_this_course_config_still_loads(tmp_path):
    from tests.paths import ROOT

    assert course_id(ROOT) == "dlcourse" and load_course_config(ROOT).Execute.timeout == 60


def test_the_course_late_plugin_and_due_dates_are_used(tmp_path):
    course = _course(tmp_path, "c.AssignLatePenalties.plugin_class = 'late_plugin.Blarg'\n")
    (course / "late_plugin.py").write_text(LATE_PLUGIN)
    policy = course_policy(course)
    assert isinstance(policy, CoursePlugin)
    assert policy.penalty(2.0, 7.0, 3 * 3600 + 5, "bar") == 2.0  # 3 h late, kept within the score
    assert policy.penalty(2.0, 7.0, 3600 + 5, "bar") == 1.0
    assert policy.penalty(2.0, 7.0, 0, "bar") is None
    zero = _course(tmp_path / "z", "c.LateSubmissionPlugin.penalty_method = 'zero'\n")
    assert course_policy(zero).penalty(2.0, 7.0, 60) == 2.0
    assert course_policy(_course(tmp_path / "n", "")) is None
    assert course_due_dates(f"sqlite:///{tmp_path / 'none.db'}") == {}


# --- tamper flags and the ledger ---------------------------------------------------------------

def test_checksum_only_differences_and_inert_metadata_are_not_tampering():
    """nbgrader's checksum differs or is missing, a cell carries nbgrader metadata with no role: no flag."""
    official = fixture(U)
    nb = fixture(U)
    for cell in nb.cells:  # the first checksum differs, every other one is gone
        meta = cell.metadata.get("nbgrader", {})
        if "checksum" in meta and meta["grade_id"] == "foo":
            meta["checksum"] = "0" * 32
        else:
            meta.pop("checksum", None)
    nb.cells.append(nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {
        "grade": False, "solution": False, "locked": False, "schema_version": 3, "grade_id": "stray"}}))
    assert sanitize(nb, official) == []


def test_a_real_edit_is_still_flagged():
    official, nb = fixture(U), fixture("submitted-grade-cell-changed.ipynb")
    assert any("was edited" in flag for flag in sanitize(nb, official))


def _executed_test_cell(grade_id: str, source: str):
    cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": 1, "schema_version": 3}})
    cell.execution_count = 3
    return cell


def test_no_ledger_in_a_course_without_check_helpers():
    """Silenced stdout, or no ledger cell at all: no 'check helper was replaced' without check helpers."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [_executed_test_cell("t1", "assert f() == 1")]
    assert not uses_ledger(nb)
    assert verify_ledger(nb, None) == []
    silent = nbformat.v4.new_code_cell(LEDGER_CELL)
    silent.execution_count, silent.outputs = 4, []
    assert verify_ledger(nb, silent) == []


def test_the_ledger_is_read_from_display_data():
    """A course with check helpers: the ledger cell's report comes as display data (stdout may be silenced)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [_executed_test_cell("t1", "assert check_in_kernel(model)")]  # a check the kernel runs
    assert uses_ledger(nb)
    ledger = nbformat.v4.new_code_cell(LEDGER_CELL)
    ledger.execution_count = 4
    report = "DLCOURSE-LEDGER " + json.dumps([4, [["mse", 3]]])
    ledger.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": report})]
    assert verify_ledger(nb, ledger) == []
    ledger.outputs = []
    assert verify_ledger(nb, ledger) == ["t1"]


# --- the gradebook merge: manual grading, several notebooks, nothing written to the input -------

@pytest.fixture(scope="module")
def two_notebook_course(tmp_path_factory) -> Path:
    """nbgrader's two-notebook course (p1, p2 from submitted-unchanged), released, no submission."""
    return build(Scenario({"p1.ipynb": U, "p2.ipynb": U}, {}), tmp_path_factory.mktemp("two") / "course")


def _result(course: Path, folder: Path) -> SubmissionResult:
    """foo's p1 (changed answers: manual cells await a grade); p2 not submitted."""
    cells = [CellResult("p1/foo", 1.0, 1.0, True), CellResult("p1/bar", 1.0, 1.0, True),
             CellResult("p1/baz", 0.0, 2.0, False, "awaits manual grading", manual=True),
             CellResult("p1/quux", 0.0, 3.0, False, "awaits manual grading", manual=True)]
    cells += [CellResult(f"p2/{g}", 0.0, p, False, "p2.ipynb was not submitted")
              for g, p in (("foo", 1.0), ("bar", 1.0), ("baz", 2.0), ("quux", 3.0))]
    return SubmissionResult("foo", "ps1", "ok", cells=cells, source=str(folder / "p1.ipynb"),
                            sources={"p1.ipynb": str(folder / "p1.ipynb")})


def _course_and_submission(template: Path, tmp_path: Path, submitted: str) -> tuple[Path, Path]:
    """A copy of the two-notebook course, and foo's complete p1 in `submitted` (relative to tmp_path)."""
    course = tmp_path / "course"
    shutil.copytree(template, course)
    folder = tmp_path / submitted
    folder.mkdir(parents=True)
    shutil.copyfile(FILES / C, folder / "p1.ipynb")
    return course, folder


def test_merge_keeps_manual_cells_for_manual_grading_and_writes_nothing_in_submitted(two_notebook_course, tmp_path):
    from autograder.outputs.gradebook import merge_results

    course, folder = _course_and_submission(two_notebook_course, tmp_path, "course/submitted/foo/ps1")
    shutil.copyfile(FILES / U, folder / "p1 copy.ipynb")
    before = file_hashes(course / "submitted")
    out = tmp_path / "out"
    (out / "autograded" / "foo" / "ps1").mkdir(parents=True)
    shutil.copyfile(FILES / C, out / "autograded" / "foo" / "ps1" / "p1.ipynb")
    report = merge_results(course, out, [_result(course, folder)])
    assert report.merged == ["foo/ps1"]
    assert file_hashes(course / "submitted") == before
    view = gradebook_view(course)["foo"]["notebooks"]
    assert view["p1"]["cells"] == {"foo": (1.0, False), "bar": (1.0, False), "baz": (None, True),
                                   "quux": (None, True)}
    assert view["p2"]["cells"] == dict.fromkeys(("foo", "bar", "baz", "quux"), (0.0, False))


def test_merge_from_another_folder_copies_each_notebook_under_its_release_name(two_notebook_course, tmp_path):
    from autograder.outputs.gradebook import merge_results

    course, folder = _course_and_submission(two_notebook_course, tmp_path, "subs/foo/ps1")
    before = file_hashes(tmp_path / "subs")
    merge_results(course, tmp_path / "out", [_result(course, folder)])
    assert (course / "submitted/foo/ps1/p1.ipynb").read_bytes() == (folder / "p1.ipynb").read_bytes()
    assert not (course / "submitted/foo/ps1/timestamp.txt").exists()  # no time known, none invented
    assert file_hashes(tmp_path / "subs") == before


# --- nbgrader's scenarios, graded both ways ----------------------------------------------------

def silenced(name: str) -> str:
    """A fixture submission whose first cell sends stdout to /dev/null (as text for Scenario)."""
    nb = fixture(name)
    cell = nbformat.v4.new_code_cell('import os, sys\nsys.stdout = open(os.devnull, "w")')
    del cell["id"]  # the fixtures are nbformat 4.0: no cell ids
    nb.cells.insert(0, cell)
    return nbformat.writes(nb)


LATE = {"foo": "2015-02-02 18:58:23.948203 America/Los_Angeles",
        "bar": "2015-02-02 15:58:23.948203 America/Los_Angeles"}
SCENARIOS = {
    "simple": Scenario({"p1.ipynb": U}, {"foo": {"p1.ipynb": U}, "bar": {"p1.ipynb": C}}),
    "cheat-attempts": Scenario({"p1.ipynb": U}, {"spam": {"p1.ipynb": "submitted-cheat-attempt.ipynb"},
                                                 "eggs": {"p1.ipynb": "submitted-cheat-attempt-alternative.ipynb"}},
                               config="c.Execute.timeout = None"),
    "grade-and-locked-cell-changed": Scenario({"p1.ipynb": U}, {
        "foo": {"p1.ipynb": "submitted-grade-cell-changed.ipynb"},
        "bar": {"p1.ipynb": "submitted-locked-cell-changed.ipynb"}}),
    "hidden-tests": Scenario({"p1.ipynb": "test-hidden-tests.ipynb"}, {"foo": {"p1.ipynb": "release:p1.ipynb"}},
                             config='c.ClearSolutions.code_stub = dict(python="# YOUR CODE HERE")'),
    "silenced-stdout": Scenario({"p1.ipynb": U}, {"foo": {"p1.ipynb": silenced(C)}, "bar": {"p1.ipynb": silenced(U)}}),
    "side-effects": Scenario({"p1.ipynb": "side-effects.ipynb"}, {"foo": {"p1.ipynb": "side-effects.ipynb"}}),
    "relative-files": Scenario({"p1.ipynb": "open_relative_file.ipynb"},
                               {"foo": {"p1.ipynb": "open_relative_file.ipynb"}}, source_files={"data.txt": "data.txt"}),
    "two-notebooks": Scenario({"p1.ipynb": U, "p2.ipynb": U}, {"foo": {"p1.ipynb": C, "p2.ipynb": U},
                                                               "bar": {"p1.ipynb": U, "p2.ipynb": C}}),
    "missing-notebook": Scenario({"p1.ipynb": U, "p2.ipynb": U}, {"foo": {"p1.ipynb": C}}),
    "extra-notebooks": Scenario({"p1.ipynb": U}, {"foo": {"p1 copy.ipynb": U, "p1.ipynb": C}}),
    "autotests": Scenario({"p1.ipynb": "autotest-simple.ipynb"}, {
        "foo": {"p1.ipynb": "autotest-simple-unchanged.ipynb"}, "bar": {"p1.ipynb": "autotest-simple-changed.ipynb"}},
        course_files=AUTOTESTS),
    "autotests-multi-hashed": Scenario({"p1.ipynb": "autotest-multi.ipynb", "p2.ipynb": "autotest-hashed.ipynb"}, {
        "foo": {"p1.ipynb": "autotest-multi-unchanged.ipynb", "p2.ipynb": "autotest-hashed-unchanged.ipynb"},
        "bar": {"p1.ipynb": "autotest-multi-changed.ipynb", "p2.ipynb": "autotest-hashed-changed.ipynb"}},
        course_files=AUTOTESTS),
    "late-penalty-zero": Scenario({"p1.ipynb": U}, {"foo": {"p1.ipynb": U}, "bar": {"p1.ipynb": C}},
                                  config="c.LateSubmissionPlugin.penalty_method = 'zero'",
                                  timestamps={"foo": "2015-02-02 14:58:23.948203 America/Los_Angeles",
                                              "bar": LATE["bar"]}),
    "late-penalty-plugin": Scenario({"p1.ipynb": U}, {"foo": {"p1.ipynb": U}, "bar": {"p1.ipynb": C}},
                                    config="c.AssignLatePenalties.plugin_class = 'late_plugin.Blarg'",
                                    course_files={"late_plugin.py": LATE_PLUGIN}, timestamps=LATE),
    "timeout": Scenario({"p1.ipynb": "timeout.ipynb"}, {"foo": {"p1.ipynb": "timeout.ipynb"}},
                        config="c.Execute.timeout = 2"),
    "infinite-loop": Scenario({"p1.ipynb": "infinite-loop.ipynb"}, {"foo": {"p1.ipynb": "infinite-loop.ipynb"}},
                              config="c.Execute.timeout = 1"),
    "old-and-too-new-metadata": Scenario({"p1.ipynb": "test.ipynb"}, {
        "v0": {"p1.ipynb": "test-v0.ipynb"}, "v1": {"p1.ipynb": "test-v1.ipynb"},
        "v2": {"p1.ipynb": "test-v2.ipynb"}, "new": {"p1.ipynb": "too-new.ipynb"}}),
}
#: where the grader differs from stock on purpose (docs/instructor.md, "Intended differences"):
#: stock refuses old metadata (no grade at all) and leaves a too-new notebook's cells to manual
#: grading; the grader repairs old metadata and grades the too-new one against the official cells
#: (none of them is in it: 0 points, status tampered)
INTENDED = {"old-and-too-new-metadata": [
    *(f"new/p1/{cell}: (None, True) (stock) vs (0.0, False)"
      for cell in ("correct_squares", "squares_invalid_input", "correct_sum_of_squares",
                   "sum_of_squares_uses_squares", "sum_of_squares_equation", "sum_of_squares_application")),
    "v0: graded by the grader only", "v1: graded by the grader only", "v2: graded by the grader only"]}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_grades_like_stock_nbgrader(name, tmp_path):
    """Same submissions, stock `nbgrader autograde` and this grader: the same gradebook, cell by cell."""
    course = build(SCENARIOS[name], tmp_path / "stock")
    shutil.copytree(course, tmp_path / "ours")
    stock = grade_stock(course)
    before = file_hashes(tmp_path / "ours" / "submitted")
    ours = grade_ours(tmp_path / "ours")
    assert ours.returncode == 0, ours.stderr[-3000:]
    assert file_hashes(tmp_path / "ours" / "submitted") == before
    found = differences(gradebook_view(course), gradebook_view(tmp_path / "ours"))
    assert found == INTENDED.get(name, []), f"stock exit {stock.returncode}\n" + "\n".join(found)


@pytest.mark.slow
def test_no_submitted_file_is_ever_written(tmp_path):
    """Grade the course's submitted/ in place, regrade it, then grade a copy elsewhere and regrade:
    with merges and feedback each time, every submitted file keeps its bytes and mode."""
    scenario = Scenario({"p1.ipynb": U, "p2.ipynb": U},
                        {"foo": {"p1.ipynb": C, "p1 copy.ipynb": U, "p2.ipynb": U, "notes.txt": "mine"},
                         "bar": {"p1.ipynb": U}},
                        timestamps={"foo": LATE["foo"]})
    course = build(scenario, tmp_path / "course")
    outside = tmp_path / "inbox"
    shutil.copytree(course / "submitted", outside)
    before, outside_before = file_hashes(course / "submitted"), file_hashes(outside)
    for extra in ((), ("--regrade",)):
        run = grade_ours(course, *extra)
        assert run.returncode == 0, run.stderr[-3000:]
        assert file_hashes(course / "submitted") == before
        assert (course / "grader-out" / "feedback" / "foo" / "ps1" / "p2.html").is_file()
    for extra in ((), ("--regrade",)):
        run = grade_ours(course, "--input", str(outside), *extra)
        assert run.returncode == 0, run.stderr[-3000:]
        assert file_hashes(outside) == outside_before
    results = {r["student_id"]: r for r in json.loads((course / "grader-out" / "results.json").read_text())}
    assert results["foo"]["max_score"] == 14 and results["bar"]["max_score"] == 14
    view = gradebook_view(course)
    assert view["foo"]["notebooks"]["p1"]["cells"]["baz"] == (None, True)  # changed answer: manual
    assert view["bar"]["notebooks"]["p2"]["cells"]["foo"] == (0.0, False)   # not submitted: 0
    listed = (course / "grader-out" / "files.csv").read_text()
    assert "p1 copy.ipynb" in listed and "extra notebook" in listed
