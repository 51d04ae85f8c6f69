"""The class report opens in Chromium from a plain file:// URL and shows its plots."""

from __future__ import annotations

import pytest

from autograder.outputs.report import write_report
from autograder.results import CellResult, SubmissionResult

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CELLS = {"test_a": 1.0, "test_b": 2.0}


def _result(student: str, status: str, passed: tuple[bool, bool], seconds: float) -> SubmissionResult:
    cells = [CellResult(g, p if ok else 0.0, p, ok, "" if ok else f"{g}: expected 0.5, got 0.{len(student)}")
             for (g, p), ok in zip(CELLS.items(), passed)]
    return SubmissionResult(student, "01_fitting", status, cells=cells, seconds=seconds)


def test_class_report_renders_its_plots(page, artifacts, tmp_path):
    results = [_result("alice", "ok", (True, True), 4.0), _result("bob", "ok", (True, False), 5.0),
               _result("<script>carol</script>", "timeout", (False, False), 61.0)]
    write_report(tmp_path, results, {"01_fitting": CELLS})
    page.goto((tmp_path / "report.html").as_uri())
    page.wait_for_selector("img", timeout=10_000)
    images = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
    page.screenshot(path=str(artifacts / "class-report.png"), full_page=True)
    assert len(images) >= 3, "score histogram, pass rates and grading times"
    assert all(complete and width > 0 for complete, width in images), images
    assert page.locator("script").count() == 0, "a student id must never become markup"
    assert "<script>carol</script>" in page.inner_text("body")
