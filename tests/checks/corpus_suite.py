"""The tests every assignment's checks get: the solution, correct variants, the wrong-answer corpus,
released stubs, and global state left alone.

A topic's test module binds them with
    globals().update(corpus_tests(CHECKS, SOLUTION, WRONG, CORRECT))
(`classes=` names the checks whose exercise is a class, for the stub test).
"""

from __future__ import annotations

import random
import sys

import numpy as np
import pytest
import torch


def run_all(check, fn) -> bool:
    """Visible then hidden checks, as autograding runs them."""
    return check(fn) and check(fn, hidden=True)


def corpus_tests(checks: dict, solution: dict, wrong: dict, correct: dict, minimum: int = 15,
                 classes=()) -> dict:
    """The pytest test functions over one assignment's checks and corpus, by name."""

    @pytest.mark.parametrize("name", checks)
    def test_solution_passes(name, capsys):
        """Does the instructor's solution pass the visible and hidden checks, saying so?"""
        assert run_all(checks[name], solution[name])
        assert "✅" in capsys.readouterr().out

    @pytest.mark.parametrize("name, fn", [(n, f) for n, fs in correct.items() for f in fs],
                             ids=lambda v: getattr(v, "__name__", v))
    def test_correct_alternative_passes(name, fn):
        """Does an implementation written differently, but right, pass?"""
        assert run_all(checks[name], fn)

    @pytest.mark.parametrize("name, fn, expected", [(n, f, m) for n, cases in wrong.items()
                                                    for f, m in cases],
                             ids=lambda v: getattr(v, "__name__", None))
    def test_wrong_implementation_fails_with_message(name, fn, expected):
        """Is each realistic bug caught, with a message that names the property?"""
        with pytest.raises(AssertionError) as failure:
            run_all(checks[name], fn)
        message = str(failure.value)
        assert message.startswith(name), message
        assert expected in message, message

    def test_corpus_is_large_enough():
        assert sum(len(cases) for cases in wrong.values()) >= minimum
        assert set(wrong) == set(checks) and set(correct) == set(checks)

    def test_checks_leave_global_state_alone():
        """After every check ran on the solution: are the torch, numpy and Python random streams,
        the thread count, torch.nn.init, the profile hook, grad mode and the default dtype the same?"""
        init_functions = {name: getattr(torch.nn.init, name) for name in dir(torch.nn.init)}
        profile, threads = sys.getprofile(), torch.get_num_threads()
        expected = _random_streams(123)
        _seed_all(123)
        for name in checks:
            run_all(checks[name], solution[name])
        got = _random_streams()
        assert torch.equal(got[0], expected[0])
        assert np.array_equal(got[1], expected[1]) and got[2] == expected[2]
        assert torch.get_num_threads() == threads
        assert all(getattr(torch.nn.init, name) is fn for name, fn in init_functions.items())
        assert sys.getprofile() is profile
        assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32

    return {"test_solution_passes": test_solution_passes,
            "test_correct_alternative_passes": test_correct_alternative_passes,
            "test_wrong_implementation_fails_with_message": test_wrong_implementation_fails_with_message,
            "test_corpus_is_large_enough": test_corpus_is_large_enough,
            "test_stub_reports_not_implemented": stub_test(checks, classes),
            "test_checks_leave_global_state_alone": test_checks_leave_global_state_alone}


def _seed_all(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def _random_streams(seed: int | None = None) -> tuple:
    """The next draws of the torch, numpy and Python global RNGs (seeded first when `seed` is given)."""
    if seed is not None:
        _seed_all(seed)
    return torch.rand(3), np.random.rand(3), random.random()


def stub_test(checks: dict, classes=()):
    """A pytest test: does every released stub (functions raise NotImplementedError; the classes
    named in `classes` raise it in __init__) get the friendly 'not implemented yet' message?"""
    def stub(*args, **kwargs):
        raise NotImplementedError()

    class StubModule(torch.nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()
            raise NotImplementedError()

    @pytest.mark.parametrize("name", checks)
    def test_stub_reports_not_implemented(name):
        """Does a released stub get the friendly 'not implemented yet' message, not a traceback?"""
        fn = StubModule if name in classes else stub
        for hidden in (False, True):
            with pytest.raises(AssertionError, match=f"{name} is not implemented yet"):
                checks[name](fn, hidden=hidden)

    return test_stub_reports_not_implemented
