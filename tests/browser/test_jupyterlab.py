"""JupyterLab in a real browser: what a student sees when they open, run and validate a notebook.

Run: .venv/bin/python -m pytest -q tests/browser -p no:xdist  (about a minute; docs/testing.md)
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from tests.browser.lab_page import (NUMBERED_PROMPT, Explorer, NotebookTab, error_outputs,
                                    plot_problems)
from tests.paths import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

COMPANION = "notebooks/04_stability.ipynb"
RELEASE_NOTEBOOK = "release/01_fitting/01_fitting.ipynb"
UNFILLED = re.compile(r"not implemented yet|not answered yet")  # what the check helpers say


def _describe(nb, errors) -> str:
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    return "\n".join(f"  code cell {index} ({code_cells[index].source.partition(chr(10))[0]!r}): "
                     f"{ename}: {evalue}" for index, ename, evalue in errors)


def test_companion_runs_and_its_explorer_redraws(lab, page, artifacts):
    """Run All on the companion: no error, every plot drawn, and a slider step redraws the plot."""
    assert (lab.root / COMPANION).is_file(), f"{COMPANION} is missing"
    tab = NotebookTab(page, lab.url, lab.root, COMPANION)
    tab.run_all(timeout_ms=300_000)  # a few seconds when idle: generous under load
    tab.screenshot(artifacts / "companion-ran.png")
    nb = tab.save()
    errors = error_outputs(nb)
    assert not errors, f"{COMPANION} shows errors:\n{_describe(nb, errors)}"
    unrun = [index for index, cell in enumerate(tab.rendered_cells())
             if not NUMBERED_PROMPT.search(cell["prompt"])]
    assert not unrun, f"Run All left code cells {unrun} of {COMPANION} unrun"
    problems = plot_problems(nb, tab.rendered_cells())
    assert not problems, "plots not drawn:\n" + "\n".join(problems)

    explorer = Explorer(tab, timeout_ms=30_000)
    explorer.view.scroll_into_view_if_needed()
    explorer.view.screenshot(path=str(artifacts / "explorer-before.png"))
    before, after = explorer.nudge_slider(timeout_ms=30_000)
    assert before != after, f"the slider did not move (value {before})"
    explorer.view.screenshot(path=str(artifacts / "explorer-after.png"))
    if os.environ.get("DLCOURSE_WRITE_SCREENSHOTS") == "1":  # the README's picture
        (ROOT / "docs" / "images").mkdir(exist_ok=True)
        shutil.copy(artifacts / "explorer-after.png", ROOT / "docs" / "images" / "explorer.png")


def test_release_stub_fails_only_where_the_student_has_work_to_do(lab, page, artifacts):
    """Run each code cell of the released 01_fitting stub: every error is an unfilled exercise."""
    tab = NotebookTab(page, lab.url, lab.root, RELEASE_NOTEBOOK)
    tab.run_each_code_cell(timeout_per_cell_ms=120_000)  # the slowest cell takes about 4 s when idle
    tab.screenshot(artifacts / "release-01_fitting.png")
    nb = tab.save()
    errors = error_outputs(nb)
    assert any(ename == "NotImplementedError" for _, ename, _ in errors), \
        "the released stub raised no NotImplementedError: are the solutions stripped?"
    unexpected = [(index, ename, evalue) for index, ename, evalue in errors
                  if ename != "NotImplementedError" and not UNFILLED.search(evalue)]
    for index, _, _ in unexpected[:3]:
        tab.show_last_output(index)
        tab.screenshot(artifacts / f"release-error-cell{index}.png")
    assert not unexpected, (f"{RELEASE_NOTEBOOK}, run cell by cell with nothing filled in, shows "
                            f"errors that do not say what to fill in:\n{_describe(nb, unexpected)}")
    problems = plot_problems(nb, tab.rendered_cells())
    assert not problems, "plots not drawn:\n" + "\n".join(problems)


def test_nbgrader_validate_button_and_assignment_list(lab, page, artifacts):
    """nbgrader's lab extension: Validate reports the stub's unfilled checks; the Assignment
    List offers 01_fitting and fetches it."""
    tab = NotebookTab(page, lab.url, lab.root, RELEASE_NOTEBOOK)
    tab.panel.locator(".jp-NotebookPanel-toolbar .validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=300_000)  # nbgrader runs the whole notebook on the server first
    page.screenshot(path=str(artifacts / "nbgrader-validate.png"))
    text = dialog.inner_text()
    assert "Validation Results" in text and "not implemented yet" in text, text[:2000]
    dialog.locator(".jp-Dialog-footer button").last.click()

    page.locator('.lm-MenuBar-itemLabel:text-is("Nbgrader")').click()
    page.locator('.lm-Menu-item[data-command="nbgrader:open-assignment-list"]').click()
    released = page.locator("#released_assignments_list")
    released.get_by_text("01_fitting").wait_for(timeout=30_000)
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list").get_by_text("01_fitting").first
    fetched.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "nbgrader-assignment-list.png"))
    assert (lab.root / "01_fitting" / "01_fitting.ipynb").is_file(), "Fetch copied nothing"


ZH_COMPANION = "notebooks/zh/03_dropout.ipynb"
ZH_RELEASE_NOTEBOOK = "release/01_fitting/zh/01_fitting.ipynb"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_chinese_companion_runs_and_speaks_chinese(lab, page, artifacts):
    """Run All on a Chinese companion: Chinese text, no error, every plot drawn (Chinese labels)."""
    tab = NotebookTab(page, lab.url, lab.root, ZH_COMPANION)
    tab.run_all(timeout_ms=300_000)
    tab.screenshot(artifacts / "zh-companion-ran.png")
    nb = tab.save()
    errors = error_outputs(nb)
    assert not errors, f"{ZH_COMPANION} shows errors:\n{_describe(nb, errors)}"
    language_cell = next(cell for cell in nb.cells if cell.get("id") == "use-language")
    assert "检查信息和图表现在使用中文" in "".join(o.get("text", "") for o in language_cell.outputs)
    problems = plot_problems(nb, tab.rendered_cells())
    assert not problems, "plots not drawn:\n" + "\n".join(problems)


def test_chinese_assignment_check_fails_in_chinese(lab, page, artifacts):
    """Run the Chinese 01_fitting stub cell by cell: the checks fail with Chinese messages."""
    tab = NotebookTab(page, lab.url, lab.root, ZH_RELEASE_NOTEBOOK)
    tab.run_each_code_cell(timeout_per_cell_ms=120_000)
    tab.screenshot(artifacts / "zh-release-01_fitting.png")
    nb = tab.save()
    failed_checks = [evalue for _, ename, evalue in error_outputs(nb) if ename == "AssertionError"]
    assert failed_checks, "no check failed on the Chinese stub"
    assert all(CHINESE.search(evalue) for evalue in failed_checks), failed_checks
    assert any("还没有实现" in evalue for evalue in failed_checks), failed_checks
