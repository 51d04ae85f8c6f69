"""Skipping the demo cells changes no score: a sample of submissions graded both ways.

The sample: every assignment's full solution; one notebook per assignment filled with wrong
answers from the corpus, picked among those with side effects (global RNG, in-place updates,
shared lists, forward hooks left behind, re-seeding); the examples; hostile submissions.
benchmarks/skip_equivalence.py grades every wrong answer and every hostile submission both ways.
"""

from __future__ import annotations

import html
import re
import shutil

import nbformat
import pytest

from autograder.flows.grade import grade
from autograder.config import Limits
from autograder.engine.skipping import NOT_RUN_TEXT
from tests.autograder.hostile import HOSTILE, PERFECT
from tests.paths import ROOT
from tests.corpus.notebooks import TOPICS, corpus_notebook, wrong_notebooks

pytestmark = pytest.mark.slow
#: per assignment, the wrong-answer notebook of the sample (its k-th wrong answers)
WRONG_PICK = {"01_fitting": 3, "02_weight_decay": 3, "03_dropout": 13, "04_stability": 4, "05_remedies": 5}
HOSTILE_SAMPLE = ["rebound_check", "os_exit", "patched_allclose", "always_equal", "seeded_a"]
ENV = {"paths": [], "write_paths": [], "port": 9, "secret_name": "DLCOURSE_TEST_SECRET"}


def _write(nb, folder, student: str, assignment: str) -> None:
    target = folder / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory):
    base = tmp_path_factory.mktemp("equivalence")
    submissions = base / "submissions"
    for assignment in TOPICS:
        _write(corpus_notebook(assignment, lambda *_: None), submissions, "solution", assignment)
        _write(wrong_notebooks(assignment)[WRONG_PICK[assignment]], submissions, "wrong", assignment)
    for student in ("alice", "bob", "carol", "dave"):
        shutil.copytree(ROOT / "examples" / "submissions" / student, submissions / student)
    for name in HOSTILE_SAMPLE:
        _write(HOSTILE[name][0](nbformat.read(PERFECT, as_version=4), ENV), submissions, name, "01_fitting")
    limits = Limits(cell_timeout_s=60, notebook_timeout_s=600)
    runs = {run_all: {(r.student_id, r.assignment): r for r in
                      grade(submissions=submissions, out=base / f"out-{run_all}", root=ROOT, workers=2,
                            limits=limits, progress=False, run_all=run_all)}
            for run_all in (False, True)}
    return runs, base


def test_per_cell_scores_are_identical_with_and_without_skipping(both_ways):
    runs, _ = both_ways
    skipped, full = runs[False], runs[True]
    assert set(skipped) == set(full) and len(skipped) == 2 * len(TOPICS) + 4 + len(HOSTILE_SAMPLE)
    for key, result in skipped.items():
        assert [(c.grade_id, c.points) for c in result.cells] == \
            [(c.grade_id, c.points) for c in full[key].cells], key
    assert any(r.score < r.max_score for r in skipped.values())  # the sample has failures to agree on


def test_demo_cells_were_skipped_and_ran_in_a_full_run(both_ways):
    runs, _ = both_ways
    assert all(r.phases["skipped"] >= 7 for r in runs[False].values() if r.status == "ok")
    assert all(r.phases["skipped"] == 0 for r in runs[True].values())
    solution = ("solution", "03_dropout")
    assert runs[True][solution].phases["cells_other"] > 3 * runs[False][solution].phases["cells_other"]


def test_feedback_shows_skipped_cells_as_not_run(both_ways):
    runs, base = both_ways
    page = (base / "out-False" / "feedback" / "solution" / "01_fitting" / "01_fitting.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert text.count(NOT_RUN_TEXT.strip()) == 8
    assert "polyfit_curves(splits, degree=14" in text  # the skipped cell's own source is shown
    full = (base / "out-True" / "feedback" / "solution" / "01_fitting" / "01_fitting.html").read_text()
    assert NOT_RUN_TEXT.strip() not in html.unescape(re.sub(r"<[^>]+>", "", full))
