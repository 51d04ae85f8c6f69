"""End to end: examples/submissions through `python -m autograder grade`."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil

import pytest

from tests.paths import ROOT
from tests.notebook_tools import is_test_cell, source_notebook

pytestmark = pytest.mark.slow
EXPECTED = json.loads((ROOT / "examples" / "expected.json").read_text())


def test_every_example_gets_its_expected_score(graded_examples):
    out, _, _ = graded_examples
    results = {r["student_id"]: r for r in json.loads((out / "results.json").read_text())}
    assert set(results) == set(EXPECTED)
    for student, expected in EXPECTED.items():
        result = results[student]
        assert (result["status"], result["score"], result["max_score"]) == \
            (expected["status"], expected["score"], 14), student
        failed = [c["grade_id"] for c in result["cells"] if not c["passed"]]
        all_cells = [c["grade_id"] for c in result["cells"]]
        assert failed == (all_cells if expected["failed"] == "all" else expected["failed"]), student


def test_grades_csv_has_one_column_per_graded_cell(graded_examples):
    out, _, _ = graded_examples
    rows = list(csv.DictReader(open(out / "grades.csv", encoding="utf-8")))
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in source_notebook("01_fitting").cells
                 if is_test_cell(c)]
    assert list(rows[0]) == ["student_id", "assignment", *grade_ids, "score", "max_score", "status",
                             "late_penalty", "final_score", "submitted_at", "late"]
    carol = next(r for r in rows if r["student_id"] == "carol")
    assert carol["test_early_stopping_epoch"] == "2" and carol["test_kfold_indices"] == "0"
    assert carol["score"] == "6" and carol["status"] == "ok"


def test_failed_cells_carry_the_check_message(graded_examples):
    out, _, _ = graded_examples
    carol = next(r for r in json.loads((out / "results.json").read_text()) if r["student_id"] == "carol")
    message = next(c["message"] for c in carol["cells"] if c["grade_id"] == "test_kfold_indices")
    assert "no example may be dropped" in message


def test_submissions_are_never_modified(graded_examples):
    _, before, after = graded_examples
    assert before == after


def _plain_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_feedback_for_everyone_and_without_hidden_tests(graded_examples):
    out, _, _ = graded_examples
    hidden_lines = set()
    for cell in source_notebook("01_fitting").cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and line.strip():
                hidden_lines.add(line.strip())
    assert hidden_lines
    for student in EXPECTED:
        pages = list((out / "feedback" / student / "01_fitting").glob("*.html"))
        assert len(pages) == 1, student
        text = _plain_text(pages[0].read_text())
        leaked = [line for line in hidden_lines if line in text]
        assert not leaked, (student, leaked)
    assert "not valid JSON" in _plain_text((out / "feedback" / "erin" / "01_fitting" / "01_fitting.html").read_text())


def test_no_sandbox_mode_grades_the_same(tmp_path):
    """--no-sandbox (for machines without bubblewrap) still grades: alice gets full marks."""
    from autograder.flows.grade import grade

    submissions = tmp_path / "subs"
    shutil.copytree(ROOT / "examples" / "submissions" / "alice", submissions / "alice")
    [result] = grade(submissions=submissions, out=tmp_path / "out", root=ROOT, workers=1, sandbox=False)
    assert (result.status, result.score) == ("ok", 14)
