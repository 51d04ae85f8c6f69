"""Grades a student cannot forge, and no student reaches another.

- A test cell's points come from whether it ran and raised, never from its displayed output
  (nbgrader scores a test cell by the first text it displays).
- Hidden answer checks are evaluated by the grader: their expected answers never enter the
  kernel, so code that reads the cell being run learns nothing.
- One warm worker grades a saboteur, then a blank notebook, then a correct one: files the saboteur
  plants (an IPython startup file, read-only folders, a symbolic link for the grader to follow)
  never reach the next students, and nothing outside the sandbox changes owner.
"""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from autograder.flows.grade import grade
from autograder.config import Limits
from autograder.engine.sandbox import SandboxUnavailable, check_available, prepare_scratch, remove_tree
from tests.autograder.hostile import PERFECT, _index
from tests.paths import ROOT

STUB = ROOT / "release" / "01_fitting" / "01_fitting.ipynb"
MARK = "PLANTED-CODE-RAN"

DISPLAY_THEN_FAIL = '''
def _pretend(*args, **kwargs):
    get_ipython().displayhook("✅")  # a result for nbgrader to read, then the real failure
    raise ValueError("not implemented")

poly_features = mse = fit_least_squares = fit_sgd = kfold_indices = cross_val_mse = _pretend
select_degree = early_stopping_epoch = _pretend
'''

PEEK = r'''
import ast, re
def _peek(info):  # reads every cell before it runs and answers what check_answer expects
    for name, value in re.findall(r'check_answer\("\w+", (\w+), ([^,]+),', info.raw_cell or ""):
        get_ipython().user_ns[name] = ast.literal_eval(value)
get_ipython().events.register("pre_run_cell", _peek)
'''

SABOTEUR = '''
import os
try:  # for a grader that follows links as root
    os.symlink({victim!r}, os.path.join(os.getcwd(), "link-to-grader-file"))
    os.makedirs(os.path.join(os.getcwd(), "locked"), exist_ok=True)
    os.chmod(os.path.join(os.getcwd(), "locked"), 0)
except OSError:
    pass
payload = "import sys\\nsys.modules['dlcourse.checks'] = None  # {mark}\\n"  # every check fails to import
home = os.path.expanduser("~")
places = [os.path.join(os.environ.get("IPYTHONDIR", os.path.join(home, ".ipython")), "profile_default", "startup"),
          os.path.join(home, ".ipython", "profile_default", "startup"), os.getcwd(),
          os.path.dirname(os.getcwd()), "/tmp", "/dev/shm"]
for place in places:
    try:
        os.makedirs(os.path.join(place, "keep"), exist_ok=True)
        for folder in (place, os.path.join(place, "keep")):
            with open(os.path.join(folder, "00-planted.py"), "w") as f:
                f.write(payload)
        os.chmod(os.path.join(place, "keep"), 0o555)
        os.chmod(place, 0o555)
    except OSError:
        pass
'''


def _needs_sandbox():
    try:
        check_available()
    except SandboxUnavailable as why:
        pytest.skip(f"needs the sandbox: {why}")


def _write(nb, folder):
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "01_fitting.ipynb")


@pytest.mark.slow
def test_what_a_failing_test_cell_displays_earns_nothing(tmp_path):
    _needs_sandbox()
    nb = nbformat.read(STUB, as_version=4)
    nb.cells[_index(nb, "poly_features")].source = DISPLAY_THEN_FAIL
    _write(nb, tmp_path / "subs" / "mallory" / "01_fitting")
    out = tmp_path / "out"
    [result] = grade(submissions=tmp_path / "subs", out=out, root=ROOT, workers=1, progress=False)
    assert result.score == 0, [(c.grade_id, c.points, c.message) for c in result.cells]
    poly = next(c for c in result.cells if c.grade_id == "test_poly_features")
    assert not poly.passed and "not implemented" in poly.message
    recorded = json.loads((out / "results.json").read_text())
    assert all(cell["points"] == 0 for r in recorded for cell in r["cells"])
    feedback = (out / "feedback" / "mallory" / "01_fitting" / "01_fitting.html").read_text()
    assert "14.0 / 14.0" not in feedback and "0.0 / 14.0" in feedback


@pytest.mark.slow
def test_hidden_answers_never_reach_the_kernel(tmp_path):
    _needs_sandbox()
    nb = nbformat.read(STUB, as_version=4)
    nb.cells.insert(_index(nb, "poly_features"), nbformat.v4.new_code_cell(PEEK))
    _write(nb, tmp_path / "subs" / "peeker" / "01_fitting")
    [result] = grade(submissions=tmp_path / "subs", out=tmp_path / "out", root=ROOT, workers=1, progress=False)
    answers = [c for c in result.cells if c.grade_id.endswith("_answer")]
    assert answers and all(c.points == 0 for c in answers), [(c.grade_id, c.message) for c in answers]
    assert result.score == 0


@pytest.mark.slow
def test_nothing_planted_reaches_the_next_student(tmp_path):
    _needs_sandbox()
    victim = tmp_path / "grader-owned-file"
    victim.write_text("the grader's")
    subs = tmp_path / "subs"
    saboteur = nbformat.read(PERFECT, as_version=4)
    code = SABOTEUR.format(mark=MARK, victim=str(victim))
    saboteur.cells.insert(_index(saboteur, "underfitting_answer") + 1, nbformat.v4.new_code_cell(code))
    _write(saboteur, subs / "a_saboteur" / "01_fitting")
    _write(nbformat.read(STUB, as_version=4), subs / "b_blank" / "01_fitting")
    _write(nbformat.read(PERFECT, as_version=4), subs / "c_correct" / "01_fitting")
    _write(nbformat.read(PERFECT, as_version=4), subs / "d_correct" / "01_fitting")
    out = tmp_path / "out"
    results = {r.student_id: r for r in grade(submissions=subs, out=out, root=ROOT, workers=1,
                                               limits=Limits(cell_timeout_s=120), progress=False)}
    assert results["a_saboteur"].status == "ok"  # its own answers are lost: it made its folder read-only
    assert (results["b_blank"].status, results["b_blank"].score) == ("ok", 0)
    for student in ("c_correct", "d_correct"):
        assert (results[student].status, results[student].score) == ("ok", 14), results[student].detail
    stat = victim.lstat()
    assert (stat.st_uid, stat.st_gid) == (os.getuid(), os.getgid()) and victim.read_text() == "the grader's"


def test_remove_tree_removes_what_student_code_locked(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    tree = tmp_path / "unit"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "f.txt").write_text("x")
    (tree / "link").symlink_to(outside)
    (tree / "a" / "b").chmod(0)
    (tree / "a").chmod(0o555)
    remove_tree(tree)
    assert not tree.exists()
    assert (outside / "keep.txt").read_text() == "keep" and (outside.stat().st_mode & 0o777) != 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to a sandbox uid needs root")
def test_prepare_scratch_follows_no_link(tmp_path):
    target = tmp_path / "root-owned"
    target.write_text("x")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "file").write_text("y")
    (scratch / "link").symlink_to(target)
    prepare_scratch(scratch, 61999)
    assert target.stat().st_uid == 0
    assert (scratch / "file").stat().st_uid == 61999 and scratch.stat().st_uid == 61999


@pytest.mark.slow
def test_a_warm_host_gives_each_unit_a_fresh_folder_and_leaves_nothing(tmp_path):
    """The zygote starts (no silent fall-back to cold kernels) and finish_unit empties its root."""
    from autograder.engine.sandbox import FIRST_SANDBOX_UID
    from autograder.engine.warm import KernelHost

    _needs_sandbox()
    host = KernelHost(tmp_path / "sandbox", Limits(), FIRST_SANDBOX_UID + 99 if os.geteuid() == 0 else None,
                      tmp_path / "zygote.log")
    try:
        host.start()
        first = host.new_unit()
        (first / "locked").mkdir()
        (first / "locked" / "planted.py").write_text("x")
        (first / "locked").chmod(0o555)
        host.finish_unit()
        assert list(host.root.iterdir()) == []
        second = host.new_unit()
        assert second != first and list(second.iterdir()) == []
        assert host.alive()
    finally:
        host.close()


#: forgeries that fooled checks run in the kernel, each added to the unfilled notebook right
#: after its imports; the grader's checks run in its own process, so each earns nothing
FORGERIES = {
    "rebound_code": "import dlcourse.checks.fitting as f\n"
                    "for name in dir(f):\n"
                    "    if name.startswith('check_'):\n"
                    "        getattr(f, name).__code__ = (lambda *a, **k: True).__code__",
    "patched_suite": "import dlcourse.checks._core as core\ncore.run_suite = lambda name, cases: True",
    "input_transformer": "get_ipython().input_transformers_post.append(\n"
                         "    lambda lines: [l.replace('assert check_', 'assert True or check_') for l in lines])",
    "torch_function_mode": "import torch\nfrom torch.overrides import TorchFunctionMode\n"
                           "class Yes(TorchFunctionMode):\n"
                           "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
                           "        return True if func in (torch.allclose, torch.equal) else func(*args, **(kwargs or {}))\n"
                           "Yes().__enter__()",
    "lying_values": "import torch\n"
                    "class Liar(torch.Tensor):\n"
                    "    def __eq__(self, other): return True\n"
                    "    @classmethod\n"
                    "    def __torch_function__(cls, func, types, args=(), kwargs=None): return True\n"
                    "class Int(int):\n"
                    "    def __eq__(self, other): return True\n"
                    "def _liar(*args, **kwargs): return torch.zeros(3).as_subclass(Liar)\n"
                    "poly_features = mse = fit_least_squares = fit_sgd = cross_val_mse = _liar\n"
                    "kfold_indices = lambda n, k: [(_liar(), _liar())]\n"
                    "select_degree = early_stopping_epoch = lambda *a, **k: Int(3)\n"
                    "underfitting_degree = Int(1)",
    "trace_and_audit": "import sys\nsys.settrace(lambda *a: None)\n"
                       "sys.addaudithook(lambda event, args: None)",
}


@pytest.fixture(scope="module")
def forged(tmp_path_factory):
    _needs_sandbox()
    subs = tmp_path_factory.mktemp("forged") / "subs"
    for name, code in FORGERIES.items():
        nb = nbformat.read(STUB, as_version=4)
        nb.cells.insert(_index(nb, "poly_features"), nbformat.v4.new_code_cell(code))
        _write(nb, subs / name / "01_fitting")
    return {r.student_id: r for r in grade(submissions=subs, out=subs.parent / "out", root=ROOT,
                                           workers=2, progress=False)}


@pytest.mark.slow
@pytest.mark.parametrize("name", FORGERIES)
def test_a_forgery_in_the_kernel_earns_nothing(forged, name):
    result = forged[name]
    assert (result.status, result.score) == ("ok", 0), [(c.grade_id, c.points, c.message) for c in result.cells]


@pytest.mark.slow
def test_hidden_cases_never_reach_the_kernel(tmp_path):
    """A hook that records every cell before it runs never sees a check statement, hidden or not."""
    _needs_sandbox()
    nb = nbformat.read(PERFECT, as_version=4)
    record = ("seen = []\nget_ipython().events.register('pre_run_cell', "
              "lambda info: seen.append(info.raw_cell or ''))")
    nb.cells.insert(_index(nb, "poly_features"), nbformat.v4.new_code_cell(record))
    nb.cells.append(nbformat.v4.new_code_cell(
        "leaks = [s for s in seen[:-1] if 'assert check_' in s or 'hidden=True' in s]\n"
        "print(('LEA' + 'KED') if leaks else ('CLE' + 'AN'), leaks)"))
    _write(nb, tmp_path / "subs" / "recorder" / "01_fitting")
    [result] = grade(submissions=tmp_path / "subs", out=tmp_path / "out", root=ROOT, workers=1, progress=False)
    assert result.score == 14
    executed = (tmp_path / "out" / "autograded" / "recorder" / "01_fitting" / "01_fitting.ipynb")
    text = executed.read_text() if executed.exists() else ""
    assert "CLEAN" in text and "LEAKED" not in text


@pytest.mark.slow
def test_the_kernel_finds_no_answer_key(tmp_path):
    """A student's cell looks for the hidden cases everywhere it could: import, the course
    repository beside the package, the grader's template cache, a walk of the file system."""
    _needs_sandbox()
    nb = nbformat.read(PERFECT, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import importlib.util, os, pathlib, dlcourse\n"
        "from dlcourse.checks import hidden\n"
        "found = [hidden.location(), importlib.util.find_spec('answer_key')]\n"
        "found += [p for p in pathlib.Path(dlcourse.__file__).resolve().parents[1].glob('answer_key/*')]\n"
        "for top in ('/tmp', '/root', '/home', '/work', '/opt', '/srv', os.getcwd()):\n"
        "    for folder, dirs, files in os.walk(top):\n"
        "        found += [os.path.join(folder, f) for f in files if f == 'fitting.py' and 'answer_key' in folder]\n"
        "print(('FOU' + 'ND') if any(found) else ('NOT' + 'HING'), found)"))
    _write(nb, tmp_path / "subs" / "seeker" / "01_fitting")
    [result] = grade(submissions=tmp_path / "subs", out=tmp_path / "out", root=ROOT, workers=1, progress=False)
    assert result.score == 14
    text = (tmp_path / "out" / "autograded" / "seeker" / "01_fitting" / "01_fitting.ipynb").read_text()
    assert "NOTHING" in text and "FOUND" not in text


@pytest.mark.slow
def test_the_summary_cell_shows_the_graders_verdicts(tmp_path):
    """The checks run in the grader; their outcomes are sent to the kernel (without waiting for
    it) before the next cell, so the notebook's own summary cell lists every exercise as passed."""
    from dlcourse.checks.selfcheck import REGISTRY

    _needs_sandbox()
    _write(nbformat.read(PERFECT, as_version=4), tmp_path / "subs" / "alice" / "01_fitting")
    [result] = grade(submissions=tmp_path / "subs", out=tmp_path / "out", root=ROOT, workers=1, progress=False)
    assert result.score == 14
    executed = nbformat.read(tmp_path / "out" / "autograded" / "alice" / "01_fitting" / "01_fitting.ipynb",
                             as_version=4)
    summary = "".join(o.get("text", "") for o in executed.cells[-1].outputs if o.output_type == "stream")
    count = len(REGISTRY["01_fitting"])
    assert summary.count("✅ passed") == count and f"{count}/{count} exercises pass" in summary, summary
