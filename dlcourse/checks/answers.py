"""Checks for conceptual questions answered by setting a variable.

The visible check only says whether the answer has the right form; the expected answer is
passed in by the hidden test cell, so it never appears in the released notebook.
"""

from __future__ import annotations

from ._core import CheckError, run_suite


def check_choice(name: str, value: object, choices) -> bool:
    """`value` must be one of `choices` (and not the placeholder None)."""
    def has_form():
        if value is None:
            raise CheckError(f"not answered yet: set {name} to one of {list(choices)}")
        if value not in choices or type(value) not in {type(c) for c in choices}:
            raise CheckError(f"expected one of {list(choices)}, got {value!r}. "
                             "Hint: copy one of the options exactly")
    return run_suite(name, [has_form])


def check_answer(name: str, value: object, expected: object, hint: str) -> bool:
    """`value` must equal `expected`; the message gives a hint, never the answer."""
    def is_right():
        if type(value) is not type(expected) or value != expected:
            raise CheckError(f"{value!r} is not the answer we expected. Hint: {hint}")
    return run_suite(name, [is_right])
