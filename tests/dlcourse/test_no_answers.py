"""The package ships to students: no public helper of dlcourse may pass an exercise's checks.

Every public function and class of every dlcourse module is handed to every exercise's check whose
call it can bind (same number of positional arguments as the exercise's own signature); each must
fail. A helper that passes computes the exercise's answer and would let a student skip it.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import pkgutil

import matplotlib
import pytest
import torch

import dlcourse
from tests.checks.corpus_suite import run_all
from tests.checks.test_depth import CHECKS as DEPTH
from tests.checks.test_dropout import CHECKS as DROPOUT
from tests.checks.test_fitting import CHECKS as FITTING
from tests.checks.test_remedies import CHECKS as REMEDIES
from tests.checks.test_stability import CHECKS as STABILITY
from tests.checks.test_weight_decay import CHECKS as WEIGHT_DECAY
from tests.notebook_tools import solution_namespace

matplotlib.use("Agg")

EXERCISES = {"01_fitting": FITTING, "02_weight_decay": WEIGHT_DECAY, "03_dropout": DROPOUT,
             "04_stability": STABILITY, "05_remedies": {**REMEDIES, **DEPTH}}


def _public_helpers() -> dict[str, object]:
    helpers = {}
    for info in pkgutil.walk_packages(dlcourse.__path__, "dlcourse."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (not name.startswith("_") and callable(value)
                    and getattr(value, "__module__", "") == info.name):
                helpers[f"{info.name}.{name}"] = value
    return helpers


def _positional_count(fn) -> tuple[int, int]:
    """(required, maximum) positional arguments of fn (classes: of __init__ without self)."""
    parameters = list(inspect.signature(fn).parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(p.default is p.empty for p in positional)
    unbounded = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    return required, 10 ** 6 if unbounded else len(positional)


#: helpers that draw, build widgets, train or rerun a statistical case when handed an exercise's
#: arguments (seconds each): only the slow suite hands them to the exercises
SLOW_HELPERS = ("dlcourse.explorers.", "dlcourse.plot.", "dlcourse.labs.dropout.count_distinct_rows")


def _slow(label: str) -> bool:
    return label.startswith(SLOW_HELPERS) or label.startswith("dlcourse.checks.") and label.endswith("_case")


def _candidates(assignment: str, exercise: str, slow: bool) -> dict[str, object]:
    """The public helpers that can be called as the exercise is called (positional arity)."""
    wanted, _ = _positional_count(solution_namespace(assignment)[exercise])
    found = {}
    for label, helper in HELPERS.items():
        if _slow(label) != slow or ".check_" in label:  # checks take a function
            continue
        try:
            required, maximum = _positional_count(helper)
        except (TypeError, ValueError):
            continue
        if required <= wanted <= maximum:
            found[label] = helper
    return found


def _passing(check, helpers: dict[str, object]) -> list[str]:
    passing = []
    for label, helper in helpers.items():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(AssertionError):
            run_all(check, helper)
            passing.append(label)
    return passing


HELPERS = _public_helpers()
CASES = [pytest.param(assignment, exercise, check, id=exercise)
         for assignment, checks in EXERCISES.items() for exercise, check in checks.items()]


def _accuracy_as_it_was(model, X, y):
    """stability_lab.accuracy and remedies_lab.accuracy before issue 15: evaluate_accuracy's answer."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        value = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train(was_training)
    return value


def test_the_scan_would_catch_an_answer():
    """Would a helper like the old lab accuracy be handed to evaluate_accuracy, and be caught?"""
    HELPERS["dlcourse.old_lab.accuracy"] = _accuracy_as_it_was
    try:
        candidates = _candidates("03_dropout", "evaluate_accuracy", slow=False)
        assert _passing(DROPOUT["evaluate_accuracy"], candidates) == ["dlcourse.old_lab.accuracy"]
    finally:
        del HELPERS["dlcourse.old_lab.accuracy"]


@pytest.mark.parametrize("assignment, exercise, check", CASES)
def test_no_public_helper_passes_an_exercise(assignment, exercise, check):
    """Does every public helper fail every exercise it could be handed to?"""
    assert _passing(check, _candidates(assignment, exercise, slow=False)) == []


@pytest.mark.slow
@pytest.mark.parametrize("assignment, exercise, check", CASES)
def test_no_slow_public_helper_passes_an_exercise(assignment, exercise, check):
    """The same for the helpers that draw, build widgets or train (seconds per call)."""
    assert _passing(check, _candidates(assignment, exercise, slow=True)) == []
