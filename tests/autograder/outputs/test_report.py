"""The class report (report.json/html/md) and the LMS totals CSV, on hand-built result records."""

from __future__ import annotations

import base64
import csv
import json
import re

import pytest

from autograder.outputs.export import write_outputs
from autograder.outputs.report import normalize_message, write_report
from autograder.results import CellResult, SubmissionResult, zero_cells

FITTING = {"test_a": 1.0, "test_b": 2.0, "test_c": 1.0}
DECAY = {"test_x": 2.0}
CELLS = {"01_fitting": FITTING, "02_weight_decay": DECAY, "03_dropout": {"test_d": 1.0}}
INJECTED = '<script>alert("x, y")</script>'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _cells(passed: dict[str, bool], messages: dict[str, str] | None = None,
           grade_cells: dict[str, float] = FITTING) -> list[CellResult]:
    messages = messages or {}
    return [CellResult(g, points if passed[g] else 0.0, points, passed[g],
                       "" if passed[g] else messages.get(g, "AssertionError: not implemented yet"))
            for g, points in grade_cells.items()]


def _result(student, status, cells, seconds, assignment="01_fitting", **extra):
    return SubmissionResult(student, assignment, status, cells=cells, seconds=seconds, **extra)


@pytest.fixture
def results() -> list[SubmissionResult]:
    """01_fitting: every status kind; 02_weight_decay: two; 03_dropout: none; one unmatched file."""
    return [
        _result("alice", "ok", _cells({"test_a": True, "test_b": True, "test_c": True}), 10.0),
        _result("bob", "ok", _cells({"test_a": True, "test_b": False, "test_c": False},
                                    {"test_b": "mse: expected 0.5, got 0.7. Hint: no ½"}), 12.0),
        _result("carol", "tampered", _cells({"test_a": True, "test_b": False, "test_c": True},
                                            {"test_b": "mse: expected 0.25, got -1.5e-03. Hint: no ½"}),
                20.0, detail="test_c: replaced torch.mean", flags=["test_c: replaced torch.mean"]),
        _result(INJECTED, "timeout", _cells({"test_a": False, "test_b": False, "test_c": False},
                                            {"test_a": "<img src=x onerror=alert(1)> got 4"}),
                30.0, detail="a cell ran longer than 60 s <b>and</b> was interrupted"),
        _result("erin", "invalid", zero_cells(FITTING, "not valid JSON"), 1.0, detail="not valid JSON"),
        _result("frank", "missing", zero_cells(FITTING, "no .ipynb"), 0.0, detail="no .ipynb"),
        _result("alice", "ok", _cells({"test_x": True}, grade_cells=DECAY), 5.0, "02_weight_decay"),
        _result("bob", "crashed", _cells({"test_x": False}, grade_cells=DECAY), 6.0, "02_weight_decay",
                detail="the kernel died in test_x"),
        _result("alice_homework", "invalid", [], 0.0, "", detail="cannot tell the assignment"),
    ]


@pytest.fixture
def written(tmp_path, results):
    report = write_report(tmp_path, results, CELLS)
    return tmp_path, report, json.loads((tmp_path / "report.json").read_text())


def _section(report: dict, assignment: str) -> dict:
    return next(s for s in report["assignments"] if s["assignment"] == assignment)


def test_normalize_message_groups_messages_that_differ_only_in_numbers():
    """Do numbers, signs, exponents and lists of numbers all collapse, but not names with digits?"""
    assert normalize_message("expected 0.5, got -1e-06.") == normalize_message("expected 2, got 3.25.")
    assert normalize_message("expected [0, 1, 2, 3, 4], got [0, 1]") == "expected [#…], got [#…]"
    assert normalize_message("dtype float64") != normalize_message("dtype float32")
    assert normalize_message("a  b\n c") == "a b c" and normalize_message("") == "(no message)"


def test_report_json_has_the_right_numbers(written):
    """Are status counts, score statistics, pass rates, groups, timing and attention right?"""
    _, report, saved = written
    assert saved == report
    assert saved["summary"] | {"status_counts": None} == {
        "submissions": 9, "students": 7, "assignments": ["01_fitting", "02_weight_decay", "03_dropout"],
        "status_counts": None, "needs_attention": 6}
    fitting = _section(saved, "01_fitting")
    assert fitting["status_counts"] == {"ok": 2, "tampered": 1, "invalid": 1, "missing": 1,
                                        "timeout": 1, "crashed": 0, "error": 0}
    assert (fitting["submissions"], fitting["executed"], fitting["max_points"]) == (6, 4, 4.0)
    scores = fitting["scores"]  # 4, 1, 2, 0, 0, 0 points of 4
    assert scores["mean"] == pytest.approx(7 / 24) and scores["median"] == pytest.approx(0.125)
    assert (scores["min"], scores["max"], scores["count"]) == (0.0, 1.0, 6)
    assert scores["histogram"]["counts"] == [3, 0, 1, 0, 0, 1, 0, 0, 0, 1]
    rates = {c["grade_id"]: c["pass_rate"] for c in fitting["cells"]}
    assert rates == {"test_a": 0.75, "test_b": 0.25, "test_c": 0.5}
    assert [c["grade_id"] for c in fitting["cells"]] == list(FITTING)  # notebook order
    assert fitting["weakest"] == ["test_b"]
    test_b = fitting["cells"][1]
    assert [(f["count"], f["students"]) for f in test_b["failures"]] == [(2, ["bob", "carol"]),
                                                                       (1, [INJECTED])]
    assert test_b["failures"][0]["example"].startswith("mse: expected 0.5")
    timing = fitting["timing"]  # frank (missing) took no time
    assert (timing["count"], timing["mean"], timing["median"], timing["max"]) == (5, 14.6, 12.0, 30.0)
    assert [s["student_id"] for s in timing["slowest"]] == [INJECTED, "carol", "bob"]
    assert [a["student_id"] for a in fitting["attention"]] == ["carol", "erin", "frank", INJECTED]
    assert fitting["attention"][0]["flags"] == ["test_c: replaced torch.mean"]


def test_assignment_without_submissions_and_unmatched_files(written):
    """Does an unsubmitted assignment get an empty section, and unmatched files one of their own?"""
    out, report, _ = written
    dropout = _section(report, "03_dropout")
    assert dropout["submissions"] == 0 and dropout["scores"]["mean"] is None
    assert dropout["cells"][0]["pass_rate"] is None and dropout["timing"]["histogram"] is None
    unmatched = _section(report, "")
    assert [a["student_id"] for a in unmatched["attention"]] == ["alice_homework"]
    assert not list((out / "report_files").glob("03_dropout*"))
    assert "No submissions." in (out / "report.md").read_text()


def test_html_embeds_every_figure_and_escapes_student_text(written):
    """Is the page self-contained (PNG data URIs) and is every student-provided string escaped?"""
    out, _, _ = written
    page = (out / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == len(list((out / "report_files").glob("*.png"))) == 6  # 3 + 3 for 02
    assert all(base64.b64decode(data).startswith(PNG_MAGIC) for data in images)
    assert "<script" not in page and "<img src=x" not in page and "<b>and" not in page
    assert "&lt;script&gt;alert(&#34;x, y&#34;)&lt;/script&gt;" in page  # Jinja's autoescape
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'class=weak><td>2</td><td>test_b' in page
    assert len(page) < 400_000


def test_markdown_references_existing_figures(written):
    """Does every figure link in report.md name a PNG written next to it, and is HTML escaped?"""
    out, _, _ = written
    text = (out / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\((report_files/[^)]+\.png)\)", text)
    assert len(links) == 6 and all((out / link).read_bytes().startswith(PNG_MAGIC) for link in links)
    assert {out / link for link in links} == set((out / "report_files").glob("*.png"))
    assert "<script" not in text and "&lt;script&gt;" in text
    assert "## 01_fitting" in text and "| test_b |" in text


def test_single_submission(tmp_path):
    """Does one submission give a full report (median = its score, one of each figure)?"""
    only = [_result("alice", "ok", _cells({"test_a": True, "test_b": False, "test_c": True}), 3.0)]
    report = write_report(tmp_path, only, {"01_fitting": FITTING})
    section = report["assignments"][0]
    assert section["scores"]["median"] == 0.5 and sum(section["scores"]["histogram"]["counts"]) == 1
    assert section["timing"]["histogram"]["counts"][-1] == 1 and section["weakest"] == ["test_b"]
    assert len(list((tmp_path / "report_files").glob("*.png"))) == 3


def test_no_submissions_at_all(tmp_path):
    """Does an empty batch still give a readable report with no figures?"""
    report = write_report(tmp_path, [], {"01_fitting": FITTING})
    assert report["summary"]["submissions"] == 0
    assert "No submissions." in (tmp_path / "report.html").read_text()
    assert not list((tmp_path / "report_files").glob("*.png"))


def test_totals_csv_one_row_per_student(tmp_path, results):
    """Does grades_totals.csv sum each student's assignments, count a missing one as 0 and quote ids?"""
    write_outputs(tmp_path, results, CELLS)
    with open(tmp_path / "grades_totals.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["student_id", "01_fitting", "02_weight_decay", "03_dropout", "total", "max",
                       "submitted_at", "late", "on_roster"]
    assert {tuple(row[6:]) for row in rows[1:]} == {("", "no", "")}  # no times, no due date, no roster
    table = {row[0]: row[1:6] for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == sorted(table)
    assert table["alice"] == ["4", "2", "0", "6", "7"]
    assert table["bob"] == ["1", "0", "0", "1", "7"]
    assert table["frank"] == ["0", "0", "0", "0", "7"]  # missing notebook, no 02 record at all
    assert table[INJECTED] == ["0", "0", "0", "0", "7"]
    assert "alice_homework" not in table  # a file that names no assignment
    assert '"<script>alert(""x, y"")</script>"' in (tmp_path / "grades_totals.csv").read_text()


def test_write_outputs_as_grade_calls_it(tmp_path, results):
    """With grade.py's cells per assignment, are the report and both CSVs written, grades.csv unchanged?"""
    write_outputs(tmp_path, results, {"01_fitting": FITTING, "02_weight_decay": DECAY})
    for name in ("grades.csv", "grades_totals.csv", "results.json", "report.html", "report.md",
                 "report.json"):
        assert (tmp_path / name).is_file(), name
    with open(tmp_path / "grades.csv", newline="") as handle:
        assert next(csv.reader(handle)) == ["student_id", "assignment", "test_a", "test_b", "test_c",
                                            "test_x", "score", "max_score", "status", "late_penalty",
                                            "final_score", "submitted_at", "late"]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["assignments"] == ["01_fitting", "02_weight_decay"]
    assert [c["grade_id"] for c in _section(report, "01_fitting")["cells"]] == list(FITTING)


def test_rewriting_removes_stale_figures(tmp_path, results):
    """Does a second report into the same folder drop figures of assignments no longer in it?"""
    write_report(tmp_path, results, CELLS)
    write_report(tmp_path, results[:1], {"01_fitting": FITTING})
    assert sorted(p.name for p in (tmp_path / "report_files").glob("*.png")) == [
        "01_fitting_pass_rates.png", "01_fitting_scores.png", "01_fitting_timing.png"]


@pytest.mark.slow
def test_report_on_the_example_batch(graded_examples):
    """Does the real example batch give a report and totals that agree with examples/expected.json?"""
    from tests.autograder.test_grade_examples import EXPECTED

    out, _, _ = graded_examples
    report = json.loads((out / "report.json").read_text())
    fitting = _section(report, "01_fitting")
    statuses = [e["status"] for e in EXPECTED.values()]
    assert fitting["status_counts"] == {s: statuses.count(s) for s in fitting["status_counts"]}
    assert fitting["scores"]["mean_points"] == pytest.approx(
        sum(e["score"] for e in EXPECTED.values()) / len(EXPECTED))
    with open(out / "grades_totals.csv", newline="") as handle:
        totals = {row["student_id"]: float(row["total"]) for row in csv.DictReader(handle)}
    assert totals == {student: e["score"] for student, e in EXPECTED.items()}
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and len(page) < 300_000


def test_status_feedback_page_escapes_student_text(tmp_path):
    """Does a submission that produced no feedback get a page saying why, with its text escaped?"""
    from autograder.outputs.export import write_status_feedback

    write_status_feedback(tmp_path, _result(INJECTED, "invalid", [], 0.0, detail="not JSON <b>here</b>"))
    page = next((tmp_path / "feedback").rglob("01_fitting.html")).read_text()
    assert "<script" not in page and "&lt;script&gt;" in page and "not JSON &lt;b&gt;here&lt;/b&gt;" in page
    assert "could not be graded: not a readable notebook." in page and "Score: 0 / 0" in page
