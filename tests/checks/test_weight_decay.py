"""The 02_weight_decay checks against the instructor's solution, correct variants and realistic bugs."""

from __future__ import annotations

import pytest
import torch

from answer_key import weight_decay as key_weight_decay
from dlcourse.runtime import single_thread
from dlcourse.checks import weight_decay
from tests.checks.corpus_suite import corpus_tests, run_all
from tests.corpus.weight_decay import CORRECT, SOLUTION, WRONG

CHECKS = {
    "l2_penalty": weight_decay.check_l2_penalty,
    "sgd_step_l2": weight_decay.check_sgd_step_l2,
    "train_linear": weight_decay.check_train_linear,
    "param_groups": weight_decay.check_param_groups,
    "ridge_closed_form": weight_decay.check_ridge_closed_form,
    "choose_lambda": weight_decay.check_choose_lambda,
    "adamw_step": weight_decay.check_adamw_step,
}
globals().update(corpus_tests(CHECKS, SOLUTION, WRONG, CORRECT))


@pytest.mark.parametrize("name", ["l2_penalty", "sgd_step_l2", "train_linear", "ridge_closed_form"])
def test_missing_half_says_off_by_two(name):
    """Does the λ‖w‖² (no ½) bug get a message saying the factor is off by 2?"""
    no_half = next(fn for fn, message in WRONG[name] if message == "off by 2")
    with pytest.raises(AssertionError, match="the factor is off by 2"):
        run_all(CHECKS[name], no_half)


def test_train_linear_convergence_has_no_false_failures():
    """Does the statistical minibatch check pass the reference on 200 other seeds?"""
    with single_thread():
        for seed in range(200):
            key_weight_decay.train_linear_convergence_case(SOLUTION["train_linear"],
                                                           data_seed=1000 + seed, order_seed=seed)


def test_train_linear_convergence_passes_torch_sgd():
    """Does torch.optim.SGD itself (the concise corpus variant) pass it on 25 more seeds?"""
    from tests.corpus.weight_decay import train_torch_optimizer
    with single_thread():
        for seed in range(25):
            key_weight_decay.train_linear_convergence_case(train_torch_optimizer,
                                                           data_seed=2000 + seed, order_seed=seed)


def test_choose_lambda_reference_picks_a_moderate_lambda():
    """On the ridge data, does the KFold + sklearn reference pick λ in [0.03, 1] (as graded)?"""
    lams = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
    X, y, _, _ = weight_decay.make_ridge_problem(0)
    errors = weight_decay.reference_cv_errors(X, y, lams, 5)
    assert 0.03 <= lams[errors.index(min(errors))] <= 1.0


def test_checks_restore_the_thread_count():
    """Checks run on one thread but must give the notebook its own setting back."""
    threads = torch.get_num_threads()
    with pytest.raises(AssertionError):
        run_all(CHECKS["ridge_closed_form"], WRONG["ridge_closed_form"][0][0])
    run_all(CHECKS["choose_lambda"], SOLUTION["choose_lambda"])
    assert torch.get_num_threads() == threads


def test_checks_leave_global_rng_alone_with_a_global_rng_bug():
    """A student's code that uses the global RNG must not shift the notebook's stream either."""
    from tests.corpus.weight_decay import train_global_rng
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with pytest.raises(AssertionError):
        run_all(CHECKS["train_linear"], train_global_rng)
    assert torch.equal(torch.rand(3), expected)
