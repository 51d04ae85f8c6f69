"""The tests every assignment's checks get: the solution, correct variants and the wrong-answer corpus.

A topic's test module binds them with
    test_solution_passes, test_correct_alternative_passes, test_wrong_implementation_fails_with_message, \
        test_corpus_is_large_enough = corpus_tests(CHECKS, SOLUTION, WRONG, CORRECT)
"""

from __future__ import annotations

import pytest


def run_all(check, fn) -> bool:
    """Visible then hidden checks, as autograding runs them."""
    return check(fn) and check(fn, hidden=True)


def corpus_tests(checks: dict, solution: dict, wrong: dict, correct: dict, minimum: int = 15):
    """Four pytest test functions over one assignment's checks and corpus."""

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

    return (test_solution_passes, test_correct_alternative_passes,
            test_wrong_implementation_fails_with_message, test_corpus_is_large_enough)


def stub_test(checks: dict, classes=()):
    """A pytest test: does every released stub (functions raise NotImplementedError; the classes
    named in `classes` raise it in __init__) get the friendly 'not implemented yet' message?"""
    import torch

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
