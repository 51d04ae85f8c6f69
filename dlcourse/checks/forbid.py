"""One rule for built-ins: an exercise that asks for your own code fails when the built-in runs.

A `Forbidden` rule names what an exercise may not use: Python functions (matched by their code
object, so any alias, module attribute, subclass or `functools.partial` of them is caught), whole
source files or folders (every optimizer class in `torch/optim/`, every splitter of scikit-learn),
and compiled torch functions (matched by name, so `torch.dropout`, `torch._VF.dropout` and
`torch.ops.aten.dropout` are one). `run_suite(name, cases, forbidden=rule)` makes every `call` of
the student's code in the suite run under `watching(rule)`: a profile hook notes the first forbidden
routine reached, and the check fails with its name once the student's code returns (a note, not an
exception raised inside the student's code, so no `try`/`except` there can hide it). Switching the
hook off (`sys.setprofile`) from inside the student's code is noted the same way.

Known limits: code run in threads started before the call, or compiled by `torch.jit`/`torch.compile`
before the call, is not watched.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field


class ForbiddenCall(AssertionError):
    """The student's code reached a built-in the exercise asks them to write themselves."""


_REGISTRY: dict[str, "Forbidden"] = {}  #: rule name -> rule (rules.py fills it)


@dataclass(frozen=True)
class Forbidden:
    """What one exercise may not call, and how its message says so."""

    name: str                               #: its name in rules.py, e.g. "DROPOUT"
    summary: str                            #: e.g. "torch's dropout (F.dropout, nn.Dropout, torch.dropout)"
    hint: str                               #: what to use instead
    functions: tuple[Callable, ...] = ()    #: Python functions or classes (their own methods)
    paths: tuple[str, ...] = ()             #: source files or folders, every function in them
    compiled: frozenset[str] = frozenset()  #: names of compiled (C++) torch functions
    _codes: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_codes", dict(_codes_of(self.functions)))
        _REGISTRY[self.name] = self

    def reached_by(self, event: str, frame: types.FrameType, arg: object) -> str | None:
        """The name of the forbidden routine this profile event enters, or None."""
        if event == "call":
            code = frame.f_code
            label = self._codes.get(code)
            if label is None and self.paths and code.co_filename.startswith(self.paths):
                label = f"{frame.f_globals.get('__name__', '?')}.{code.co_qualname}"
            return label
        if event == "c_call":
            if arg is sys.setprofile:
                return "sys.setprofile (switching off the checks' watch)"
            name = getattr(arg, "__name__", None)
            if name in self.compiled:
                return f"torch.{name}"
        return None


def _codes_of(targets: Iterable[Callable]) -> Iterator[tuple[types.CodeType, str]]:
    for target in targets:
        members = vars(target).values() if isinstance(target, type) else [target]
        for member in members:
            function = getattr(member, "__func__", member)  # staticmethod / classmethod
            code = getattr(function, "__code__", None)
            if code is not None:
                yield code, f"{function.__module__}.{function.__qualname__}"


def source_path(module: types.ModuleType) -> str:
    """The folder of a package, or the file of a module, as code objects name it."""
    file = module.__file__
    return os.path.dirname(file) + os.sep if file.endswith("__init__.py") else file


class _Watch:
    """A profile hook that remembers the first forbidden routine entered."""

    def __init__(self, rule: Forbidden):
        self.rule, self.reached, self.active = rule, None, True

    def __call__(self, frame, event, arg):
        # a decorator's inner wrapper is named only until the function it wraps is entered
        if self.active and (self.reached is None or "<locals>" in self.reached):
            self.reached = self.rule.reached_by(event, frame, arg) or self.reached


@contextlib.contextmanager
def watching(rule: Forbidden | None) -> Iterator[_Watch | None]:
    """Run the block under a watch for `rule` (nothing when None); `.reached` says what it saw."""
    current = sys.getprofile()
    if rule is None or isinstance(current, _Watch) and current.rule is rule:  # nested: one watch
        yield current if rule is not None else None
        return
    watch = _Watch(rule)
    saved, saved_threads = sys.getprofile(), threading.getprofile()
    threading.setprofile(watch)
    sys.setprofile(watch)
    try:
        yield watch
    finally:
        watch.active = False
        sys.setprofile(saved)
        threading.setprofile(saved_threads)


@contextlib.contextmanager
def forbidding(suite: str, rule_name: str) -> Iterator[None]:
    """Run the block under a watch for the rule named `rule_name`; at its end raise ForbiddenCall
    if a forbidden routine was reached, whatever the block returned or raised.

    A guard of `_core.guard` (plain-data arguments): when the grader runs a check outside the
    student's kernel, the kernel enters it around each call of the student's code.
    """
    from . import rules  # noqa: F401  (fills _REGISTRY in a kernel that only imported this module)
    rule = _REGISTRY[rule_name]
    raised = None
    with watching(rule) as watch:
        try:
            yield
        except BaseException as error:  # noqa: BLE001 - reported below unless the rule was broken
            raised = error
    if watch is not None and watch.reached:
        raise ForbiddenCall(f"{suite} calls {watch.reached}: expected your own code (not allowed "
                            f"here: {rule.summary}), got a call to {watch.reached}. Hint: {rule.hint}")
    if raised is not None:
        raise raised
