"""Verdicts the student's kernel cannot forge: checks evaluated by the grader, outside the kernel.

Two kinds of test-cell statements are evaluated by the grader, with its own copy of the checks:
- answer checks, `assert check_answer(name, value, expected, hint=...)`, `check_choice` and
  `check_number`: they need only the student's value, which the kernel reports as JSON data
  (agent.py);
- function checks, `assert check_mse(mse)` / `assert check_mse(mse, hidden=True)`: the check runs
  here and calls the student's function through a `RemoteFunction` (remote.py), which sends the
  inputs into the kernel and gets the outputs back as data.
Such statements are removed from the source the kernel runs (blank lines keep line numbers), so
expected answers, hidden inputs and references never enter the student's process, and nothing the
kernel prints or displays is evidence of a pass. A cell passes only if the kernel raised nothing
AND every statement evaluated here passed. The checks' own output ("✅ ... passed", or the
failure) becomes the cell's output in the feedback.

Checks of a student's class run here too: its objects stay in the kernel, mirrored here
(remote.RemoteModule). Hidden cases come from the course's answer key (dlcourse/checks/hidden.py),
which only this process can read.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse.checks import _core, answers, depth, dropout, fitting, remedies, stability, weight_decay

from . import wire
from .remote import RemoteError, RemoteFunction, Session, UnreadableValue

#: checks whose arguments are plain data: evaluated by the grader on the reported values
ANSWER_CHECKS = {"check_answer": answers.check_answer, "check_choice": answers.check_choice,
                 "check_number": answers.check_number}
KERNEL_CHECKS: set[str] = set()  #: checks that must run in the kernel (none today)
#: checks of a student's function: evaluated by the grader, calling the function in the kernel
FUNCTION_CHECKS = {name: getattr(module, name)
                   for module in (fitting, weight_decay, dropout, stability, remedies, depth)
                   for name in dir(module) if name.startswith("check_") and name not in KERNEL_CHECKS
                   and getattr(getattr(module, name), "__module__", None) == module.__name__}
TRUSTED_CHECKS = {**ANSWER_CHECKS, **FUNCTION_CHECKS}
MAX_REPLY_BYTES = 1 << 20


@dataclass
class TestCellPlan:
    """How one test cell is graded: what the kernel runs, what the grader evaluates."""

    kernel_source: str
    statements: list[str] = field(default_factory=list)  #: evaluated by the grader, in order
    names: list[str] = field(default_factory=list)       #: student values they read
    functions: list[str] = field(default_factory=list)   #: student functions they call


def _trusted(statement: ast.stmt) -> str | None:
    """The check a statement `assert check_x(...)` calls, if the grader evaluates it."""
    if (isinstance(statement, ast.Assert) and isinstance(statement.test, ast.Call)
            and isinstance(statement.test.func, ast.Name) and statement.test.func.id in TRUSTED_CHECKS):
        call = statement.test
        if call.func.id in FUNCTION_CHECKS and not (call.args and isinstance(call.args[0], ast.Name)):
            return None  # a function check must name the function it checks
        return call.func.id
    return None


def plan(source: str) -> TestCellPlan:
    """Split a test cell: the statements the grader evaluates leave the kernel's source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return TestCellPlan(source)
    lines = source.split("\n")
    result = TestCellPlan(source)
    for statement in tree.body:
        check = _trusted(statement)
        if check is None:
            continue
        result.statements.append(ast.get_source_segment(source, statement))
        function = statement.test.args[0].id if check in FUNCTION_CHECKS else None
        if function and function not in result.functions:
            result.functions.append(function)
        for name in _free_names(statement):
            if name != function and name not in result.names and name not in result.functions:
                result.names.append(name)
        for number in range(statement.lineno, statement.end_lineno + 1):  # blank: line numbers kept
            lines[number - 1] = ""
    result.kernel_source = "\n".join(lines)
    if not result.kernel_source.strip():
        result.kernel_source = "pass"
    return result


def _free_names(statement: ast.stmt) -> list[str]:
    names = [n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return [n for n in dict.fromkeys(names) if n not in TRUSTED_CHECKS and not hasattr(builtins, n)]


def kernel_request(names: list[str], reply: Path) -> str:
    """The code the kernel runs to report `names` into `reply`."""
    return f"__import__('autograder.trusted.agent', fromlist=['dump']).dump({names!r}, {str(reply)!r})"


def read_reply(reply: Path) -> dict[str, object] | None:
    """The values the kernel reported (untrusted bytes, parsed as JSON data only); None if none."""
    try:
        if reply.is_symlink() or reply.stat().st_size > MAX_REPLY_BYTES:
            return None
        raw = json.loads(reply.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


_MISSING = object()


def decode(data: object) -> object:
    """The inverse of agent.encode; anything else is a value no answer can equal."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(item) for item in data]
    if type(data) is dict and len(data) == 1:
        (tag, inner), = data.items()
        if tag == "tuple" and type(inner) is list:
            return tuple(decode(item) for item in inner)
        if tag == "dict" and type(inner) is dict:
            return {str(k): decode(v) for k, v in inner.items()}
        if tag == "float" and inner in ("nan", "inf", "-inf"):
            return float(inner)
        if tag == "missing":
            return _MISSING
    return UnreadableValue(str(data)[:80])


@dataclass
class Verdict:
    failure: str = ""  #: '' if every statement passed, else the first failure as `Error: message`
    output: str = ""   #: what the checks printed ("✅ ... passed")
    outcomes: list[tuple[str, str, str]] = field(default_factory=list)  #: (suite, status, message) run here


def evaluate(test: TestCellPlan, values: dict[str, object] | None, session: Session | None = None) -> Verdict:
    """Run the cell's trusted statements on the student's `values` (None: the kernel reported
    nothing) and functions (called through `session`), stopping at the first failure."""
    if values is None:
        return Verdict(f"GraderCouldNotRead: the grader could not read {', '.join(test.names)} from your "
                       "kernel (did your code make its working folder read-only, or stop the kernel's "
                       "normal work?)")
    namespace: dict[str, object] = {**TRUSTED_CHECKS}
    for name in test.names:
        value = decode(values.get(name, {"missing": True}))
        if value is not _MISSING:
            namespace[name] = value
    if test.functions and session is None:
        return Verdict("GraderCouldNotRead: no kernel to call your functions in")
    for name in test.functions:
        namespace[name] = RemoteFunction(session, name)
    saved = wire.rng_state()  # the grader's own RNG states are the kernel's while checks run
    try:
        if test.functions:
            try:
                session.adopt_kernel_rng()
            except RemoteError as error:
                return Verdict(f"GraderCouldNotRead: {error}")
        return _run_statements(test.statements, namespace)
    finally:
        wire.set_rng_state(*saved)
        if session is not None:
            session.close()


def _run_statements(statements: list[str], namespace: dict) -> Verdict:
    before = _core.outcomes()
    verdict = _run(statements, namespace)
    verdict.outcomes = [(name, str(o.status), o.message) for name, o in _core.outcomes().items()
                        if before.get(name) is None or before[name].order != o.order]
    return verdict


def _run(statements: list[str], namespace: dict) -> Verdict:
    printed = io.StringIO()
    for statement in statements:
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(statement, "<grader>", "exec"), {"__builtins__": builtins}, namespace)  # noqa: S102
        except NameError as error:
            return Verdict(f"NameError: {error}", printed.getvalue())
        except AssertionError as error:
            return Verdict(f"AssertionError: {error}", printed.getvalue())
        except Exception as error:  # noqa: BLE001 - a check that crashed on the value is a failure
            return Verdict(f"{type(error).__name__}: {error}", printed.getvalue())
    return Verdict("", printed.getvalue())

