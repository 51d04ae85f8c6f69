"""Shared fixtures: the course root, and one autograder run over examples/submissions."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT, tree_digest


@pytest.fixture(autouse=True, scope="session")
def _venv_on_path():
    """nbgrader calls `alembic` and `jupyter`: use the ones of this interpreter."""
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(autouse=True, scope="session")
def _no_daemon_left_behind():
    """`grade` from the CLI keeps warm workers in a daemon; tests that want one start it themselves."""
    os.environ.setdefault("DLCOURSE_KEEP_WARM", "0")


@pytest.fixture(scope="session")
def graded_examples(tmp_path_factory):
    """Run `python -m autograder grade examples/submissions` once; yield (out, digest before, after)."""
    from autograder.cli import main

    submissions = tmp_path_factory.mktemp("subs") / "submissions"
    shutil.copytree(ROOT / "examples" / "submissions", submissions)
    before = tree_digest(submissions)
    out = tmp_path_factory.mktemp("graded")
    assert main(["grade", str(submissions), "--out", str(out), "--workers", "2", "--no-gradebook",
                 "--root", str(ROOT)]) == 0
    return out, before, tree_digest(submissions)
