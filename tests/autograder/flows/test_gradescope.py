"""The Gradescope autograder zip, and its run_autograder against a fake /autograder folder."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.flows.gradescope import build_autograder
from tests.paths import ROOT

ALICE = ROOT / "examples" / "submissions" / "alice" / "01_fitting" / "01_fitting.ipynb"


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    [path] = build_autograder(root=ROOT, out=tmp_path_factory.mktemp("gs"), assignments=["01_fitting"])
    return path


def fake_autograder(tmp_path: Path, archive: Path, submitted: dict[str, Path | str]) -> Path:
    """What Gradescope lays out: source/ (the zip), run_autograder, submission/, submission_metadata.json."""
    home = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(home / "source")
    shutil.copyfile(home / "source" / "run_autograder", home / "run_autograder")
    (home / "run_autograder").chmod(0o755)
    (home / "submission").mkdir()
    for name, content in submitted.items():
        if isinstance(content, Path):
            shutil.copyfile(content, home / "submission" / name)
        else:
            (home / "submission" / name).write_text(content)
    metadata = {"created_at": "2025-03-01T13:30:00.000000+01:00", "assignment": {"due_date": "2025-03-01T12:00:00+00:00"},
                "users": [{"email": "ann@x.org", "id": 7, "name": "Ann Lee"}]}
    (home / "submission_metadata.json").write_text(json.dumps(metadata))
    return home


def run_autograder(home: Path) -> dict:
    env = {**os.environ, "AUTOGRADER_DIR": str(home), "AUTOGRADER_PYTHON": sys.executable}
    run = subprocess.run([str(home / "run_autograder")], env=env, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return json.loads((home / "results" / "results.json").read_text(encoding="utf-8"))


def test_zip_holds_what_gradescope_needs(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in zf.infolist()}
        assert {"setup.sh", "run_autograder", "course/pyproject.toml", "course/README.md",
                "course/nbgrader_config.py", "course/source/01_fitting/01_fitting.ipynb",
                "course/dlcourse/checks/fitting.py", "course/autograder/flows/grade.py",
                "course/answer_key/fitting.py"} <= names
        assert not any(n.startswith("course/source/02_") or "__pycache__" in n for n in names)
        assert all(modes[n] & stat.S_IXUSR for n in ("setup.sh", "run_autograder"))
        assert zf.read("run_autograder").decode().startswith("#!/usr/bin/env bash")
        assert "--assignment 01_fitting" in zf.read("run_autograder").decode()


def test_no_notebook_is_a_result_that_says_what_to_upload(autograder_zip, tmp_path):
    home = fake_autograder(tmp_path, autograder_zip, {"report.pdf": "%PDF"})
    data = run_autograder(home)
    assert data["score"] == 0 and data["tests"] == []
    assert data["output"].startswith("Could not find your notebook: upload 01_fitting.ipynb")


@pytest.mark.slow
def test_run_autograder_grades_one_submission(autograder_zip, tmp_path):
    """A renamed full solution, uploaded with a stray file: 14/14, one test per graded cell."""
    home = fake_autograder(tmp_path, autograder_zip, {"my work.ipynb": ALICE, "notes.txt": "hi"})
    data = run_autograder(home)
    assert data["score"] == 14 and len(data["tests"]) == 11
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in data["tests"])
    assert data["tests"][0]["name"] == "test_poly_features"
    assert data["output"].startswith("status: ok")
