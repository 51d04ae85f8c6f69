"""Templates are built once per version of an assignment and reused by later runs."""

from __future__ import annotations

import shutil

import pytest

from autograder.engine import templates as templates_module
from autograder.engine.templates import CACHE_VARIABLE, cached_template
from tests.paths import ROOT


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
    monkeypatch.setattr(templates_module, "build_template", no_build)
    assert cached_template(course, "01_fitting", tmp_path / "scratch2") == first


def test_changed_source_gets_a_new_template(course, tmp_path):
    first = cached_template(course, "01_fitting", tmp_path / "scratch1")
    notebook = course / "source" / "01_fitting" / "01_fitting.ipynb"
    notebook.write_text(notebook.read_text().replace("# 01 · Underfitting", "# 01 · Under-fitting"))
    second = cached_template(course, "01_fitting", tmp_path / "scratch2")
    assert second.folder != first.folder
    assert "# 01 · Under-fitting" in (second.folder / "release" / "01_fitting" / "01_fitting.ipynb").read_text()


def test_gradebook_stamped_in_process_as_by_alembic(tmp_path, monkeypatch):
    """The version stamped on a new gradebook is the one `alembic heads` prints (nbgrader's way)."""
    import nbgrader.api
    from sqlalchemy import create_engine, text

    from autograder.engine.templates import alembic_head_in_process

    by_process = nbgrader.api.get_alembic_version()
    monkeypatch.setattr(nbgrader.api, "get_alembic_version", nbgrader.api.get_alembic_version)
    alembic_head_in_process()
    nbgrader.api.Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}").close()
    with create_engine(f"sqlite:///{tmp_path / 'gradebook.db'}").connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == by_process
