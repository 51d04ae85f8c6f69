"""A Chinese notebook is graded exactly as the English one: same per-cell scores from
`python -m autograder grade`, stock `nbgrader autograde` and `validate`, no tamper flag; its
feedback speaks Chinese. For all five assignments, the full solution and the released stub."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from autograder.cli import main
from autograder.config import assignments
from autograder.flows import translate
from autograder.flows.solutions import write_solutions
from autograder.flows.validate import validate
from tests.autograder.nbgrader_fixtures import nbgrader_cli
from tests.paths import ROOT

pytestmark = pytest.mark.slow
ASSIGNMENTS = assignments(ROOT)
KINDS = ("solution", "stub")


def _zh_blocks(assignment):
    return translate.read_blocks(translate.translation_path(ROOT, ROOT / "source" / assignment / f"{assignment}.ipynb", "zh"))


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    """<lang>-<kind>/<assignment>/<assignment>.ipynb: the English and Chinese solution and stub.
    The Chinese stub is the committed release/<id>/zh/ edition; the Chinese solution is the
    solution with the translation applied, as a student working in Chinese would submit it."""
    base = tmp_path_factory.mktemp("zh-equivalence")
    write_solutions(root=ROOT, out=base / "solutions")
    folder = base / "submissions"
    for assignment in ASSIGNMENTS:
        name = f"{assignment}.ipynb"
        solution = nbformat.read(base / "solutions" / assignment / name, as_version=4)
        editions = {("en", "solution"): solution,
                    ("zh", "solution"): translate.translate_notebook(solution, _zh_blocks(assignment), "zh"),
                    ("en", "stub"): nbformat.read(ROOT / "release" / assignment / name, as_version=4),
                    ("zh", "stub"): nbformat.read(ROOT / "release" / assignment / "zh" / name, as_version=4)}
        for (lang, kind), nb in editions.items():
            (folder / f"{lang}-{kind}" / assignment).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / f"{lang}-{kind}" / assignment / name)
    return folder


@pytest.fixture(scope="module")
def graded(submissions, tmp_path_factory):
    """results.json of one `grade` run over all of them, by (student, assignment)."""
    out = tmp_path_factory.mktemp("zh-graded")
    assert main(["grade", str(submissions), "--out", str(out), "--workers", "2", "--no-gradebook",
                 "--keep-warm", "0", "--quiet", "--root", str(ROOT)]) == 0
    return {(r["student_id"], r["assignment"]): r for r in json.loads((out / "results.json").read_text())}, out


def _scores(result) -> dict[str, float]:
    return {cell["grade_id"]: cell["points"] for cell in result["cells"]}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_scores_a_chinese_notebook_as_the_english_one(graded, assignment, kind):
    results, _ = graded
    en, zh = results[(f"en-{kind}", assignment)], results[(f"zh-{kind}", assignment)]
    assert _scores(zh) == _scores(en)
    assert (zh["status"], zh["flags"]) == ("ok", []) and en["flags"] == []
    assert (zh["score"] == zh["max_score"]) if kind == "solution" else zh["score"] == 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_chinese_stub_gets_chinese_feedback(graded, assignment):
    results, out = graded
    zh = [c["message"] for c in results[("zh-stub", assignment)]["cells"]]
    en = [c["message"] for c in results[("en-stub", assignment)]["cells"]]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in zh), zh
    assert not any("\u4e00" <= ch <= "\u9fff" for m in en for ch in m)
    page = next((out / "feedback" / "zh-stub" / assignment).glob("*.html")).read_text(encoding="utf-8")
    assert "还没有" in page or "尚未" in page


def test_stock_nbgrader_scores_the_chinese_notebooks_as_we_score_the_english(graded, submissions, tmp_path):
    """`nbgrader autograde` on the Chinese solution and stub of every assignment, in a course copy."""
    from nbgrader.api import Gradebook

    results, _ = graded
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for assignment in ASSIGNMENTS:
        shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
        nbgrader_cli(course, "generate_assignment", assignment, "--force")
        for kind in KINDS:
            shutil.copytree(submissions / f"zh-{kind}" / assignment, course / "submitted" / f"zh-{kind}" / assignment)
        nbgrader_cli(course, "autograde", assignment)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for assignment in ASSIGNMENTS:
            for kind in KINDS:
                submission = gradebook.find_submission(assignment, f"zh-{kind}")
                stock = {g.name: g.auto_score for nb in submission.notebooks for g in nb.grades}
                assert stock == _scores(results[(f"en-{kind}", assignment)]), (assignment, kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_says_the_same_of_both_editions(submissions, assignment, kind):
    en, zh = (validate(submissions / f"{lang}-{kind}" / assignment / f"{assignment}.ipynb", quick=True)
              for lang in ("en", "zh"))
    assert [(o.grade_id, o.status) for o in zh] == [(o.grade_id, o.status) for o in en]
    assert all(o.passed for o in zh) if kind == "solution" else not any(o.passed for o in zh)
