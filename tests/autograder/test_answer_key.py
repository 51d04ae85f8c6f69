"""The answer key (hidden cases of the checks) stays with the grader: not in the student package,
not reachable from the sandboxed kernel, and a grader without it stops before grading."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import answer_key
from autograder.flows import reuse
from autograder.engine import templates
from autograder.config import Limits
from autograder.engine.sandbox import SandboxUnavailable, masked_paths, check_available, wrap
from dlcourse.checks import fitting, hidden
from tests.corpus.fitting import SOLUTION

REPOSITORY = Path(__file__).resolve().parents[2]
KEY = Path(answer_key.__file__).parent
PACKAGE = REPOSITORY / "dlcourse"


def _case_titles(path: Path) -> list[str]:
    """Every constant `@case("...")` title of an answer-key module, as a string literal."""
    return [repr(node.args[0].value)[1:-1] for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "case" and node.args
            and isinstance(node.args[0], ast.Constant)]


@pytest.mark.parametrize("module", sorted(p.name for p in KEY.glob("*.py") if p.name != "__init__.py"))
def test_no_hidden_case_is_in_the_student_package(module):
    student_text = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    titles = _case_titles(KEY / module)
    assert titles, f"{module} has no hidden case"
    assert [t for t in titles if f'"{t}"' in student_text or f"'{t}'" in student_text] == []


def test_every_check_takes_its_hidden_cases_from_the_key():
    """No check module builds hidden cases itself: `hidden` only selects `hidden_cases(...)`."""
    for path in sorted((PACKAGE / "checks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.If) and "hidden" in ast.unparse(node.test):
                body = ast.unparse(node)
                assert "hidden_cases(" in body and "@case" not in body, f"{path.name}: {body[:200]}"


def test_the_installed_package_has_every_course_package_and_no_answer_key():
    from setuptools import find_packages

    found = find_packages(REPOSITORY, **tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
                          ["tool"]["setuptools"]["packages"]["find"])
    assert "dlcourse.labs" in found and "dlcourse.checks" in found
    assert not any(p.split(".")[0] in ("answer_key", "tests") for p in found)


def test_hidden_checks_without_the_key_say_where_they_run(tmp_path):
    hidden.use(tmp_path)  # a folder with no key: as on a student's machine
    try:
        assert fitting.check_mse(SOLUTION["mse"])  # visible checks work
        with pytest.raises(hidden.HiddenChecksUnavailable, match="run only when the course is graded"):
            fitting.check_mse(SOLUTION["mse"], hidden=True)
    finally:
        hidden.use(None)


def test_an_edited_key_is_loaded_afresh(tmp_path):
    copy = tmp_path / "answer_key"
    copy.mkdir()
    for path in hidden.files(KEY):
        (copy / path.name).write_text(path.read_text())
    (copy / "fitting.py").write_text((copy / "fitting.py").read_text().replace(
        "return [rejects_length, matrix_value, gradient, untouched]", "return []"))
    hidden.use(copy)
    try:
        assert hidden.cases("fitting", "mse", None, y_hat=None, y=None, g=None, hint="") == []
    finally:
        hidden.use(None)
    assert len(hidden.cases("fitting", "mse", None, y_hat=None, y=None, g=None, hint="")) == 4


def test_a_course_without_its_key_is_refused_before_grading(tmp_path, monkeypatch):
    monkeypatch.setattr(hidden, "of_course", lambda root: None)
    with pytest.raises(hidden.HiddenChecksUnavailable, match="no answer key was found"):
        templates.build_template(REPOSITORY, "01_fitting", tmp_path / "template")


def test_the_key_is_part_of_what_a_template_and_a_reused_grade_depend_on(tmp_path, monkeypatch):
    copy = tmp_path / "course"
    (copy / "source").mkdir(parents=True)
    (copy / "answer_key").mkdir()
    (copy / "answer_key" / "__init__.py").write_text("")
    before = templates._digest(copy, "01_fitting"), reuse.assignment_fingerprint(copy, "01_fitting")
    (copy / "answer_key" / "fitting.py").write_text("# an edit\n")
    after = templates._digest(copy, "01_fitting"), reuse.assignment_fingerprint(copy, "01_fitting")
    assert before[0] != after[0] and before[1] != after[1]


def test_a_key_inside_a_mounted_folder_is_masked(tmp_path, monkeypatch):
    environment = tmp_path / "env"
    (environment / "course" / "answer_key").mkdir(parents=True)
    (environment / "course" / "answer_key" / "__init__.py").write_text("")
    monkeypatch.setattr(hidden, "_chosen", environment / "course" / "answer_key")
    assert environment / "course" / "answer_key" in masked_paths([environment])
    assert masked_paths([tmp_path / "elsewhere"]) == []


def test_the_sandboxed_kernel_cannot_reach_the_key(tmp_path):
    try:
        check_available()
    except SandboxUnavailable as error:
        pytest.skip(f"no sandbox here: {error}")
    probe = f"""
import importlib.util, pathlib
from dlcourse.checks import hidden
print(hidden.location(), importlib.util.find_spec("answer_key"))
print([p for p in (pathlib.Path({str(KEY)!r}), pathlib.Path({str(templates.cache_root())!r})) if p.exists()
       and any(p.iterdir())])
"""
    command = wrap([sys.executable, "-c", probe], scratch=tmp_path, limits=Limits(), uid=None)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["None None", "[]"]


def test_the_key_defines_no_class():
    """What a hidden case sends into the kernel must be rebuilt there: a model class defined only in
    the key could not be (remote calls rebuild classes of torch and dlcourse), so none is defined."""
    for path in sorted(KEY.glob("*.py")):
        classes = [n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef)]
        assert classes == [], f"{path.name}: {classes}"
