"""Checks for conceptual questions answered by setting a variable.

The visible check only says whether the answer has the right form; the expected answer is
passed in by the hidden test cell, so it never appears in the released notebook.

A numeric answer (predict a number, then verify it) is a plain Python int or float: the visible
part is `check_number`, the hidden part `check_answer(..., rel_tol=...)`, which accepts any number
within `rel_tol` of the expected one (relative to its size), so 0.1667 and 1 / 6 both pass.
"""

from __future__ import annotations

import math

from ._core import CheckError, run_suite
from .protocol import NotAnsweredYet


def check_choice(name: str, value: object, choices) -> bool:
    """`value` must be one of `choices` (and not the placeholder None)."""
    def has_form():
        if value is None:
            raise NotAnsweredYet(f"set {name} to one of {list(choices)}")
        if value not in choices or type(value) not in {type(c) for c in choices}:
            raise CheckError(f"expected one of {list(choices)}, got {value!r}. "
                             "Hint: copy one of the options exactly")
    return run_suite(name, [has_form])


def check_number(name: str, value: object) -> bool:
    """`value` must be a finite Python number (and not the placeholder None)."""
    def has_form():
        if value is None:
            raise NotAnsweredYet(f"set {name} to a number")
        _require_number(value)
    return run_suite(name, [has_form])


def check_answer(name: str, value: object, expected: object, hint: str, *, rel_tol: float = 0.0) -> bool:
    """`value` must equal `expected`; with `rel_tol` > 0, a number within rel_tol·|expected| of it.

    The message gives a hint (and the tolerance), never the answer.
    """
    def is_right():
        if rel_tol > 0:
            _require_number(value)
            if abs(value - expected) <= rel_tol * abs(expected):
                return
            raise CheckError(f"{value!r} is not within {rel_tol:.0%} of the answer we expected. Hint: {hint}")
        if type(value) is not type(expected) or value != expected:
            raise CheckError(f"{value!r} is not the answer we expected. Hint: {hint}")
    return run_suite(name, [is_right])


def _require_number(value: object) -> None:
    if type(value) not in (int, float) or not math.isfinite(value):
        raise CheckError(f"expected a finite Python number (an int or a float), got {value!r}. "
                         "Hint: write the number itself, e.g. 0.25 or 1 / 4; turn a tensor into one "
                         "with .item()")
