"""Verdicts the student's kernel cannot forge: checks evaluated by the grader, outside the kernel.

A test-cell statement `assert check_answer(name, value, expected, hint=...)` (or `check_choice`)
needs only the student's value, which is plain data. The grader therefore:
- removes such statements of the hidden part from the source the kernel runs, so the expected
  answer never enters the student's process;
- fetches the values the statements read, as JSON data, right after the cell ran in the kernel;
- evaluates every such statement (visible and hidden) itself, with its own copy of the checks.
A cell passes only if the kernel raised nothing AND every statement evaluated here passed; what
the kernel prints or displays is never evidence of a pass.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse.checks import answers

#: checks whose arguments are plain data: evaluated by the grader
TRUSTED_CHECKS = {"check_answer": answers.check_answer, "check_choice": answers.check_choice}
_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
MAX_REPLY_BYTES = 1 << 20


@dataclass
class TestCellPlan:
    """How one test cell is graded: what the kernel runs, what the grader evaluates."""

    kernel_source: str
    statements: list[str] = field(default_factory=list)  #: evaluated by the grader, in order
    names: list[str] = field(default_factory=list)       #: student values they read


def _trusted(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Assert) and isinstance(statement.test, ast.Call)
            and isinstance(statement.test.func, ast.Name) and statement.test.func.id in TRUSTED_CHECKS)


def _hidden_lines(source: str) -> set[int]:
    lines = set()
    for match in _HIDDEN.finditer(source):
        first = source.count("\n", 0, match.start()) + 1
        lines |= set(range(first, first + match.group(0).count("\n") + 1))
    return lines


def plan(source: str) -> TestCellPlan:
    """Split a test cell: trusted statements of the hidden part leave the kernel's source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return TestCellPlan(source)
    hidden, lines = _hidden_lines(source), source.split("\n")
    result = TestCellPlan(source)
    for statement in tree.body:
        if not _trusted(statement):
            continue
        span = range(statement.lineno, statement.end_lineno + 1)
        result.statements.append(ast.get_source_segment(source, statement))
        for name in _free_names(statement):
            if name not in result.names:
                result.names.append(name)
        if set(span) <= hidden:  # the kernel never sees it: blank lines keep line numbers
            for number in span:
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
    return f"__import__('autograder.agent', fromlist=['dump']).dump({names!r}, {str(reply)!r})"


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
    return _Unsupported(str(data)[:80])


class _Unsupported:
    """A value the kernel could not report as data; equal to nothing."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"<a value the grader cannot read: {self.what}>"


def evaluate(test: TestCellPlan, values: dict[str, object] | None) -> str:
    """Run the cell's trusted statements on the student's `values` (None: the kernel reported
    nothing); '' if all passed, else the first failure as `Error: message`."""
    if values is None:
        return (f"GraderCouldNotRead: the grader could not read {', '.join(test.names)} from your kernel "
                "(did your code make its working folder read-only, or stop the kernel's normal work?)")
    namespace = {**TRUSTED_CHECKS}
    for name in test.names:
        value = decode(values.get(name, {"missing": True}))
        if value is not _MISSING:
            namespace[name] = value
    for statement in test.statements:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the checks' "✅ passed" lines
                exec(compile(statement, "<grader>", "exec"), {"__builtins__": builtins}, namespace)  # noqa: S102
        except NameError as error:
            return f"NameError: {error}"
        except AssertionError as error:
            return f"AssertionError: {error}"
        except Exception as error:  # noqa: BLE001 - a check that crashed on the value is a failure
            return f"{type(error).__name__}: {error}"
    return ""

