"""Every function check gives the same verdict, with the same message, whether it calls the
function directly (in the student's kernel) or through the grader's remote calls (remote.py):
on the solution, the correct variants and every wrong answer of the corpus."""

from __future__ import annotations

import contextlib
import io

import pytest
import torch

from autograder.trusted import verdicts
from tests.checks import (test_depth, test_dropout, test_fitting, test_remedies, test_stability,
                          test_weight_decay)
from tests.checks.corpus_suite import run_all
from tests.remote_tools import SubprocessKernel

ORDER_DEPENDENT = {"fs_shared_list"}  #: wrong answers that keep state across calls
CASES = []
TOPICS = {test_fitting: "01_fitting", test_weight_decay: "02_weight_decay", test_dropout: "03_dropout",
          test_stability: "04_stability", test_remedies: "05_remedies", test_depth: "05_remedies"}
for topic, assignment in TOPICS.items():
    for name, check in topic.CHECKS.items():
        if check.__name__ not in verdicts.FUNCTION_CHECKS:
            continue
        implementations = [topic.SOLUTION[name], *topic.CORRECT.get(name, []),
                           *(fn for fn, _ in topic.WRONG.get(name, []))]
        CASES += [(check, name, fn, assignment) for fn in implementations]


def _verdict(check, fn) -> str:
    torch.manual_seed(0)  # a wrong answer may draw from the global RNG
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            run_all(check, fn)
        except AssertionError as failure:
            return str(failure)
    return "passed"


@pytest.fixture(scope="module")
def kernel():
    process = SubprocessKernel()
    yield process
    process.close()


@pytest.mark.slow
@pytest.mark.parametrize("check, name, fn, assignment", CASES,
                         ids=[f"{n}-{getattr(f, '__name__', '?')}" for _, n, f, _ in CASES])
def test_remote_verdict_equals_the_direct_one(kernel, check, name, fn, assignment):
    remote, direct = _verdict(check, kernel.function(name, fn, assignment)), _verdict(check, fn)
    if getattr(fn, "__name__", "") in ORDER_DEPENDENT:  # its numbers depend on the calls made before
        remote, direct = remote.partition(": expected")[0], direct.partition(": expected")[0]
    assert remote == direct


def test_every_function_check_is_covered():
    assert {check.__name__ for check, *_ in CASES} == set(verdicts.FUNCTION_CHECKS)
