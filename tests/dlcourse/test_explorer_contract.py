"""What every explorer and companion notebook promises, tested once for all five topics.

An explorer module has a `explorer(display=True)` that returns None without display, while
nbgrader runs the notebook and without ipywidgets; its companion is committed clean, runs top
to bottom in a fresh kernel, and neither defines a function or class that the assignment asks
the student to write. Topic-specific claims stay in tests/dlcourse/test_explorers_<topic>.py.
"""

from __future__ import annotations

import ast
import importlib
import sys

import nbformat
import pytest

from tests.dlcourse.companion_tools import assert_committed_clean, companion, run_without_errors
from tests.paths import ROOT

TOPICS = {  # explorer module: companion / assignment name
    "fitting": "01_fitting",
    "weight_decay": "02_weight_decay",
    "dropout": "03_dropout",
    "stability": "04_stability",
    "remedies": "05_remedies",
}

#: what a companion run must print: the number of ✅ lines of its self-checks, other text
PRINTED = {"dropout": (1, ()), "stability": (1, ("two hidden units: 0.0",)), "remedies": (7, ())}

#: source text a companion and its explorer must not contain (it would answer an exercise)
FORBIDDEN_TEXT = {"dropout": ("rand_like", "torch.rand("),  # a hand-made dropout mask: exercise 1
                  "stability": ("register_forward_hook",)}  # the way to write forward_stats


def _explorer_module(topic: str):
    return importlib.import_module(f"dlcourse.explorers.{topic}")


def _defined_names(source: str) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


@pytest.mark.parametrize("topic", TOPICS)
def test_explorer_is_off_without_display_while_grading_and_without_ipywidgets(topic, monkeypatch):
    explorer = _explorer_module(topic).explorer
    assert explorer(display=False) is None
    for mode in ("autograde", "validate"):
        monkeypatch.setenv("NBGRADER_EXECUTION", mode)
        assert explorer() is None
    monkeypatch.delenv("NBGRADER_EXECUTION")
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if it were not installed
    assert explorer() is None


@pytest.mark.parametrize("topic", TOPICS)
def test_committed_companion_is_clean(topic):
    """Is notebooks/<topic>.ipynb committed without outputs, counts or execution metadata?"""
    assert_committed_clean(companion(TOPICS[topic]))


@pytest.mark.parametrize("topic", TOPICS)
def test_companion_and_explorer_define_no_fill_in_of_the_assignment(topic):
    """Neither the companion nor the explorer module may define a function the student writes."""
    name = TOPICS[topic]
    assignment = nbformat.read(ROOT / "source" / name / f"{name}.ipynb", as_version=4)
    fill_ins = {cell.metadata["nbgrader"]["grade_id"] for cell in assignment.cells
                if cell.metadata.get("nbgrader", {}).get("solution")}
    assert fill_ins
    notebook = nbformat.read(companion(name), as_version=4)
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    sources.append((ROOT / "dlcourse" / "explorers" / f"{topic}.py").read_text())
    for source in sources:
        assert not _defined_names(source) & fill_ins
        assert not any(text in source for text in FORBIDDEN_TEXT.get(topic, ())), topic


@pytest.mark.slow
@pytest.mark.parametrize("topic", TOPICS)
def test_companion_runs_top_to_bottom(topic):
    """Does the companion run in a fresh kernel, printing its ✅ checks, with the explorer shown?"""
    outputs, printed = run_without_errors(TOPICS[topic])
    if topic in PRINTED:
        checks, texts = PRINTED[topic]
        assert printed.count("✅") == checks, printed
        assert all(text in printed for text in texts)
    if topic in ("dropout", "stability"):
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
