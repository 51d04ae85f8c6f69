"""Templates are built once per version of an assignment and reused by later runs."""

from __future__ import annotations

import shutil

import pytest

from autograder import grade as grade_module
from autograder.templates import CACHE_VARIABLE, cached_template
from tests.conftest import ROOT


@pytest.fixture
def course(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "source" / "01_fitting", tmp_path / "source" / "01_fitting")
    return tmp_path


def test_second_run_reuses_the_template(course, tmp_path, monkeypatch):
    first = cached_template(course, "01_fitting", tmp_path / "scratch1")
    assert (first.folder / "gradebook.db").is_file() and first.grade_cells["test_mse"] == 1.0

    def no_build(*args):
        raise AssertionError("built again")
    monkeypatch.setattr(grade_module, "build_template", no_build)
    assert cached_template(course, "01_fitting", tmp_path / "scratch2") == first


def test_changed_source_gets_a_new_template(course, tmp_path):
    first = cached_template(course, "01_fitting", tmp_path / "scratch1")
    notebook = course / "source" / "01_fitting" / "01_fitting.ipynb"
    notebook.write_text(notebook.read_text().replace("Underfitting, overfitting", "Under- and overfitting"))
    second = cached_template(course, "01_fitting", tmp_path / "scratch2")
    assert second.folder != first.folder
    assert "Under- and overfitting" in (second.folder / "release" / "01_fitting" / "01_fitting.ipynb").read_text()
