"""The 05_remedies checks against the instructor's solution, torch itself, correct variants and bugs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dlcourse.checks import remedies
from tests.checks.corpus_suite import corpus_tests
from tests.corpus.remedies import CORRECT, SOLUTION, WRONG

CHECKS = {
    "batchnorm_train": remedies.check_batchnorm_train,
    "batchnorm_eval": remedies.check_batchnorm_eval,
    "BatchNorm1d": remedies.check_BatchNorm1d,
    "sgd_momentum_step": remedies.check_sgd_momentum_step,
    "adam_step": remedies.check_adam_step,
    "grad_to_data_ratio": remedies.check_grad_to_data_ratio,
    "update_to_data_ratio": remedies.check_update_to_data_ratio,
}
globals().update(corpus_tests(CHECKS, SOLUTION, WRONG, CORRECT, classes=("BatchNorm1d",)))


# -- the seeded cases hold for the reference on many other seeds (no tolerance is too tight) ------

def torch_batchnorm_train(X, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    new_mean, new_var = running_mean.clone(), running_var.clone()
    Y = F.batch_norm(X, new_mean, new_var, gamma, beta, training=True, momentum=momentum, eps=eps)
    return Y, new_mean, new_var


def torch_batchnorm_eval(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return F.batch_norm(X, running_mean, running_var, gamma, beta, training=False, eps=eps)


SEEDS = range(1000, 1200)


@pytest.mark.parametrize("impl", [SOLUTION["batchnorm_train"], torch_batchnorm_train],
                         ids=["solution", "torch"])
def test_batchnorm_train_cases_hold_on_200_seeds(impl):
    for seed in SEEDS:
        remedies.batchnorm_train_case(impl, seed)
        remedies.batchnorm_train_case(impl, seed, batch_size=8, num_features=5, momentum=0.3, eps=1e-3)
        remedies.batchnorm_train_case(impl, seed, batch_size=16, num_features=4, dtype=torch.float32)


@pytest.mark.parametrize("impl", [SOLUTION["batchnorm_eval"], torch_batchnorm_eval],
                         ids=["solution", "torch"])
def test_batchnorm_eval_cases_hold_on_200_seeds(impl):
    for seed in SEEDS:
        remedies.batchnorm_eval_case(impl, seed)
        remedies.batchnorm_eval_case(impl, seed, batch_size=9, dtype=torch.float32)


def test_batchnorm_module_case_holds_on_200_seeds():
    for seed in SEEDS:
        remedies.batchnorm_module_case(SOLUTION["BatchNorm1d"], seed)
        remedies.batchnorm_module_case(_TorchNamed, seed)


class _TorchNamed(torch.nn.BatchNorm1d):
    """torch.nn.BatchNorm1d with the notebook's parameter names gamma and beta."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__(num_features, eps=eps, momentum=momentum)
        self.gamma, self.beta = self.weight, self.bias
        del self.weight, self.bias

    def forward(self, X):
        return F.batch_norm(X, self.running_mean, self.running_var, self.gamma, self.beta,
                            self.training, self.momentum, self.eps)


def test_optimizer_cases_hold_on_200_seeds():
    for seed in SEEDS:
        remedies.momentum_case(SOLUTION["sgd_momentum_step"], seed)
        remedies.momentum_case(SOLUTION["sgd_momentum_step"], seed, num_steps=10, shape=(3, 4),
                               lr=0.03, momentum=0.99)
        remedies.momentum_case(SOLUTION["sgd_momentum_step"], seed, num_steps=5, shape=(6,),
                               lr=0.2, momentum=0.5, dtype=torch.float32)
        remedies.adam_case(SOLUTION["adam_step"], seed)
        remedies.adam_case(SOLUTION["adam_step"], seed, num_steps=20, shape=(3, 4), lr=0.1,
                           betas=(0.8, 0.99), eps=1e-6)
        remedies.adam_case(SOLUTION["adam_step"], seed, lr=0.05, dtype=torch.float32)
