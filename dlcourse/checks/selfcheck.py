"""The self-check summary at the end of each notebook: every exercise passed, failed or not yet done.

    from dlcourse.checks.selfcheck import summary; summary("03_dropout")

It reads the latest outcome of each check suite recorded by `_core.run_suite` in this kernel, so
it costs nothing to run (it is also executed during grading). It prints to stdout and never raises.
`REGISTRY` lists each assignment's graded test cells in notebook order; a test keeps it in step
with the source notebooks.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from ..i18n import display_width, localize
from ._core import SuiteOutcome, outcomes
from .protocol import FAILED, NOT_RUN_YET, PASSED, SIGNS, CheckStatus, combine

NOT_RUN = NOT_RUN_YET  #: the self-check's "no run of it in this kernel yet" (protocol.py)
MESSAGE_CHARS = 400  # a failure's message: its first line, cut at this length


class Exercise(NamedTuple):
    """One graded test cell: its heading in the notebook, grade_id, and the suites its visible part runs."""

    label: str
    grade_id: str
    suites: tuple[str, ...]


def _exercises(*rows: tuple[str, str, str]) -> tuple[Exercise, ...]:
    return tuple(Exercise(label, grade_id, (suite,)) for label, grade_id, suite in rows)


REGISTRY: dict[str, tuple[Exercise, ...]] = {
    "01_fitting": _exercises(
        ("Exercise 1", "test_poly_features", "poly_features"),
        ("Exercise 2", "test_mse", "mse"),
        ("Exercise 3", "test_fit_least_squares", "fit_least_squares"),
        ("Question 1", "test_underfitting_answer", "underfitting_degree"),
        ("Question 2", "test_more_data_answer", "train_mse_degree8"),
        ("Exercise 4", "test_fit_sgd", "fit_sgd"),
        ("Question 3", "test_sgd_answer", "sgd_overfits"),
        ("Exercise 5", "test_kfold_indices", "kfold_indices"),
        ("Exercise 6", "test_cross_val_mse", "cross_val_mse"),
        ("Exercise 7", "test_select_degree", "select_degree"),
        ("Exercise 8", "test_early_stopping_epoch", "early_stopping_epoch"),
    ),
    "02_weight_decay": _exercises(
        ("Exercise 1", "test_l2_penalty", "l2_penalty"),
        ("Exercise 2", "test_sgd_step_l2", "sgd_step_l2"),
        ("Exercise 3", "test_train_linear", "train_linear"),
        ("Question 1", "test_null_space_answer", "null_space_changes"),
        ("Exercise 4", "test_param_groups", "param_groups"),
        ("Question 2", "test_concise_answer", "concise_lam"),
        ("Exercise 5", "test_ridge_closed_form", "ridge_closed_form"),
        ("Exercise 6", "test_choose_lambda", "choose_lambda"),
        ("Exercise 7", "test_adamw_step", "adamw_step"),
        ("Question 3", "test_l2_optimizer_answer", "l2_optimizer"),
    ),
    "03_dropout": _exercises(
        ("Question 1", "test_cs231n_answer", "cs231n_drop_probability"),
        ("Exercise 1", "test_dropout_layer", "dropout_layer"),
        ("Exercise 2", "test_Dropout", "Dropout"),
        ("Exercise 3", "test_DropoutMLP", "DropoutMLP"),
        ("Exercise 4", "test_evaluate_accuracy", "evaluate_accuracy"),
        ("Exercise 5", "test_train_classifier", "train_classifier"),
        ("Question 2", "test_gap_answer", "gap_with_dropout"),
        ("Question 3", "test_symmetry_answer", "units_without_dropout"),
    ),
    "04_stability": _exercises(
        ("Exercise 1", "test_sigmoid_grad", "sigmoid_grad"),
        ("Exercise 2", "test_tanh_grad", "tanh_grad"),
        ("Question 1", "test_quarter_bound_answer", "quarter_bound_activation"),
        ("Exercise 3", "test_matrix_product_growth", "matrix_product_growth"),
        ("Question 2", "test_symmetry_answer", "symmetry_breaker"),
        ("Exercise 4", "test_uniform_variance", "uniform_variance"),
        ("Exercise 5", "test_calculate_gain", "calculate_gain"),
        ("Exercise 6", "test_xavier_uniform_", "xavier_uniform_"),
        ("Exercise 7", "test_xavier_normal_", "xavier_normal_"),
        ("Exercise 8", "test_kaiming_normal_", "kaiming_normal_"),
        ("Exercise 9", "test_forward_stats", "forward_stats"),
        ("Exercise 10", "test_grad_norms_per_layer", "grad_norms_per_layer"),
        ("Question 3", "test_default_relu_answer", "default_relu_factor"),
    ),
    "05_remedies": _exercises(
        ("Exercise 1", "test_grad_to_data_ratio", "grad_to_data_ratio"),
        ("Exercise 2", "test_update_to_data_ratio", "update_to_data_ratio"),
        ("Exercise 3", "test_batchnorm_train", "batchnorm_train"),
        ("Exercise 4", "test_batchnorm_eval", "batchnorm_eval"),
        ("Exercise 5", "test_BatchNorm1d", "BatchNorm1d"),
        ("Question 1", "test_d2l_switch_answer", "d2l_eval_with_grad_uses"),
        ("Question 2", "test_ratio_answer", "ratio_minus_5"),
        ("Exercise 6", "test_sgd_momentum_step", "sgd_momentum_step"),
        ("Exercise 7", "test_adam_step", "adam_step"),
        ("Question 3", "test_adam_answer", "first_step_without_correction"),
        ("Exercise 8", "test_clip_grad_norm_", "clip_grad_norm_"),
        ("Exercise 9", "test_ResidualMLP", "ResidualMLP"),
    ),
}


class ExerciseStatus(NamedTuple):
    exercise: Exercise
    status: CheckStatus  #: PASSED, FAILED, NOT_ATTEMPTED or NOT_RUN_YET
    message: str  #: the first failure's message, one line ('' unless failed)


def exercise_status(exercise: Exercise, latest: dict[str, SuiteOutcome]) -> ExerciseStatus:
    """Combine the latest outcomes of the exercise's suites (protocol.combine): a failure wins,
    then not attempted."""
    found = [latest.get(suite) for suite in exercise.suites]
    status = combine(None if o is None else o.status for o in found)
    failure = next((o for o in found if o is not None and o.status == FAILED), None)
    message = _one_line(failure.message, exercise.suites) if status == FAILED else ""
    return ExerciseStatus(exercise, status, message)


def _one_line(message: str, suites: tuple[str, ...]) -> str:
    line = (message.strip().splitlines() or [""])[0]
    for suite in suites:  # the row already names the exercise
        for prefix in (f"{suite}: ", f"{suite}："):  # English, Chinese
            if line.startswith(prefix):
                line = line[len(prefix):]
    return line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS - 1].rstrip() + "…"


def format_summary(assignment: str, statuses: list[ExerciseStatus]) -> str:
    """The table: one row per exercise, then the total."""
    width = max(display_width(f"{localize(s.exercise.label)}  {' + '.join(s.exercise.suites)}") for s in statuses)
    grading = os.environ.get("NBGRADER_EXECUTION") == "autograde"
    lines = [localize(f"Self-check of {assignment}, from the latest run of each check cell"
                      + (" (hidden checks included):" if grading else ":"))]
    for s in statuses:
        name = f"{localize(s.exercise.label)}  {' + '.join(s.exercise.suites)}"
        lines.append(f"  {name}{' ' * (width - display_width(name))}  {SIGNS[s.status]} {localize(s.status)}")
        if s.message:
            lines.append(f"      {s.message}")
    passed = sum(s.status == PASSED for s in statuses)
    total = [f"{passed}/{len(statuses)} exercises pass."]
    if passed == len(statuses):
        total += ["Well done!"] + ([] if grading else ["Hidden checks with other inputs run when your notebook is graded."])
    elif any(s.status == NOT_RUN for s in statuses):
        total += ["Run a check cell to update its row."]
    lines.append(localize(total[0]) + "".join(_sentence(t) for t in total[1:]))
    return "\n".join(lines)


def _sentence(text: str) -> str:
    """A sentence appended to the total line: separated by a space in English, none in Chinese."""
    translated = localize(text)
    return translated if translated != text else " " + text


def summary(assignment: str) -> None:
    """Print the self-check table of `assignment` (e.g. "03_dropout") to stdout; never raises."""
    try:
        exercises = REGISTRY.get(assignment)
        if exercises is None:
            print(localize(f"No self-check for {assignment!r}; known assignments: {', '.join(REGISTRY)}."))
            return
        latest = outcomes()
        print(format_summary(assignment, [exercise_status(e, latest) for e in exercises]))
    except Exception as error:  # a summary must never break the notebook or its grading
        print(localize(f"The self-check summary could not be computed ({type(error).__name__}: {error}); "
                       "the check cells above still tell you what passed."))
