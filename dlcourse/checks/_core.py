"""Machinery shared by the check helpers: run a list of cases, turn failures into kind messages.

A check helper builds a list of cases (zero-argument callables) and hands them to `run_suite`.
A case raises `CheckError` with a four-part message: what was checked, expected, got, hint.
`run_suite` returns True when every case passes, so a test cell reads `assert check_x(x)`.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional

from ..i18n import localize
from .forbid import Forbidden, ForbiddenCall, forbidding
from .protocol import (FAILED, NOT_ATTEMPTED, PASSED, SUITE_STATUSES, TAMPERING_MARK, CheckStatus,
                       NotAnsweredYet, execution_count, tampering)

Case = Callable[[], None]


class CheckError(AssertionError):
    """A property of the student's code does not hold; the message says which."""


class NotImplementedYet(AssertionError):
    """The student's function still raises NotImplementedError."""


class TamperingDetected(AssertionError):
    """Something the checks rely on was replaced, or a result pretends to equal anything."""


# -- integrity: what the checks rely on is snapshotted when the course's package is imported ------

_GUARDED_NAMESPACES = {"torch": torch, "torch.Tensor": torch.Tensor, "torch.linalg": torch.linalg,
                       "torch.nn.functional": torch.nn.functional, "torch.nn.init": torch.nn.init,
                       "builtins": builtins, "math": math}


def _snapshot() -> dict[tuple[str, str], object]:
    return {(label, name): getattr(space, name)
            for label, space in _GUARDED_NAMESPACES.items() for name in dir(space)
            if not name.startswith("_") or name in ("__eq__", "__ne__", "__bool__", "__import__")}


_ORIGINALS = _snapshot()


_TORCH_DIR = str(Path(torch.__file__).resolve().parent)


def _is_torch_wrapper(current: object, original: object) -> bool:
    """True if `current` is torch's own wrapper of `original` (torch._dynamo wraps some functions,
    e.g. torch.manual_seed, the first time an optimizer is created)."""
    for _ in range(4):
        code = getattr(current, "__code__", None)
        if code is None or not str(Path(code.co_filename).resolve()).startswith(_TORCH_DIR):
            return False
        current = getattr(current, "__wrapped__", None)
        if current is original:
            return True
    return False


def verify_integrity() -> None:
    """Raise TamperingDetected if a torch, builtins or math attribute was replaced since import."""
    for (label, name), original in _ORIGINALS.items():
        current = getattr(_GUARDED_NAMESPACES[label], name, None)
        if current is original or _is_torch_wrapper(current, original):
            continue
        if not (callable(original) and current == original):
            raise TamperingDetected(
                tampering(f"{label}.{name} was replaced after the course's checks were "
                "loaded, so no check can be trusted. Remove the code that reassigns it and restart "
                "the kernel."))


class _Sentinel:
    """A fresh object nothing legitimate compares equal to."""


def reject_lookalike(value: object) -> None:
    """Raise TamperingDetected if `value` claims to equal an object it cannot equal."""
    try:
        claims = value == _Sentinel()
        claims = claims if isinstance(claims, bool) else False
    except Exception:
        claims = False
    if claims:
        raise TamperingDetected(tampering(f"the result ({type(value).__name__}) claims to "
                                          "equal anything; return real tensors and numbers."))


def fail(what: str, expected: object, got: object, hint: str) -> None:
    """Raise a `CheckError` that names the property, the expected and actual values, and a hint."""
    raise CheckError(f"{what}: expected {expected}, got {got}. Hint: {hint}")


_RULES: list[tuple[str, str]] = []  #: (suite, rule name) of the suite running now, if it has one


def call(fn: Callable, *args, **kwargs):
    """Call the student's function; NotImplementedError becomes a friendly `NotImplementedYet`.

    Inside a suite run with `forbidden=rule`, the call runs in the guard `forbid.forbidding`, so
    reaching a routine of the rule raises ForbiddenCall, whatever the function returned or raised
    (in the grader's remote calls too: the kernel enters the same guard).
    """
    __tracebackhide__ = True
    context = guard(forbidding, *_RULES[-1]) if _RULES else contextlib.nullcontext()
    try:
        with context:
            result = fn(*args, **kwargs)
    except NotImplementedError:
        raise NotImplementedYet() from None
    for value in result if type(result) in (tuple, list) else (result,):
        reject_lookalike(value)
    return result


_LEDGER: list[tuple[str, int | None]] = []  #: (suite, IPython execution count) of every passed suite


def ledger() -> list[tuple[str, int | None]]:
    """The suites that passed, with the execution count of the cell that ran them.

    The autograder reads it after the notebook ran: a test cell that passed without a suite
    passing in it bypassed the checks (e.g. a check helper rebound to `lambda *a: True`).
    """
    return list(_LEDGER)


class SuiteOutcome(NamedTuple):
    """The latest run of one check suite, as the notebook's self-check summary shows it."""

    status: CheckStatus   #: PASSED, FAILED or NOT_ATTEMPTED
    message: str          #: the failure message ('' when passed)
    execution_count: int | None
    order: int            #: increases with every suite run in this kernel


_OUTCOMES: dict[str, SuiteOutcome] = {}  #: suite name -> its latest outcome (passed or not)
_RUNS = itertools.count()


def outcomes() -> dict[str, SuiteOutcome]:
    """The latest outcome of every suite run in this kernel, by suite name."""
    return dict(_OUTCOMES)


def _record(name: str, status: CheckStatus, message: str = "") -> None:
    _OUTCOMES[name] = SuiteOutcome(status, message, execution_count(), next(_RUNS))


def record_outcome(name: str, status: str, message: str = "") -> None:
    """Record a suite's outcome decided elsewhere (by the grader, which runs the checks outside
    the kernel), so that the notebook's self-check shows it."""
    if status in SUITE_STATUSES:
        _record(str(name), CheckStatus(status), str(message))


def run_suite(name: str, cases: Sequence[Case], forbidden: Forbidden | None = None) -> bool:
    """Run `cases` in order and stop at the first failure.

    With `forbidden`, every `call` of the student's code fails the suite when it reaches a routine
    of that rule: the exercise asks for the student's own code.

    Anything the student's code writes to stderr (e.g. a torch UserWarning) is swallowed, since
    nbgrader scores a test cell that writes to stderr as failed.
    """
    __tracebackhide__ = True
    message, status = None, FAILED
    if forbidden is not None:
        _RULES.append((name, forbidden.name))
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            for case in [verify_integrity, *cases]:
                try:
                    case()
                except TamperingDetected as error:
                    message = f"{name}: {error}"
                except NotImplementedYet:
                    message = f"{name} is not implemented yet: fill in the cell above, then run it."
                    status = NOT_ATTEMPTED
                except NotAnsweredYet as error:  # a question's answer is still its placeholder
                    message, status = f"{name}: {error}", NOT_ATTEMPTED
                except (CheckError, ForbiddenCall) as error:
                    message = f"{name}: {error}"
                except Exception as error:  # the student's code crashed on a valid input
                    what = (case.__doc__ or "a valid input").strip()
                    message = (f"{name}: {what}: your code raised {type(error).__name__}: {error}. "
                               "Hint: call it yourself on a small example and read the traceback.")
                    if isinstance(error, NotImplementedError):
                        status = NOT_ATTEMPTED
                if message:
                    break
    finally:
        if forbidden is not None:
            _RULES.pop()
    if message:
        message = _localized(message)
        _record(name, status, message)
        raise AssertionError(message)
    _LEDGER.append((name, execution_count()))
    _record(name, PASSED)
    print(localize(f"✅ {name}: {len(cases)}/{len(cases)} checks passed"))
    return True


def _localized(message: str) -> str:
    """`message` in the chosen language (dlcourse.i18n); a tampering mark stays as it is, since
    the grader recognises a finding by it."""
    before, mark, after = message.partition(TAMPERING_MARK)
    return localize(before) + mark + localize(after) if mark else localize(message)


_GUARDS: list[tuple[str, tuple]] = []  #: the guards active now, as (module:name, arguments)


@contextlib.contextmanager
def guard(factory: Callable, *args):
    """Run the block inside `factory(*args)` (a context manager of this package, with plain-data
    arguments, e.g. one that makes forbidden built-ins raise). When the grader runs a check outside
    the student's kernel, each call into the kernel enters the same guards there (see
    autograder/trusted/remote.py)."""
    _GUARDS.append((f"{factory.__module__}:{factory.__qualname__}", args))
    try:
        with factory(*args):
            yield
    finally:
        _GUARDS.pop()


def active_guards() -> list[tuple[str, tuple]]:
    return list(_GUARDS)


def case(description: str):
    """Decorator: attach `description` (used when the student's code crashes) to a case."""
    def wrap(fn: Case) -> Case:
        fn.__doc__ = description
        return fn
    return wrap


# -- comparisons ---------------------------------------------------------------------------------

def _fmt_shape(shape) -> str:
    return str(tuple(shape))


def expect_tensor(what: str, got: object, hint: str = "return a torch.Tensor") -> torch.Tensor:
    """`got` must be a real torch.Tensor (not a list, an ndarray or a look-alike)."""
    if type(got) is not torch.Tensor and not isinstance(got, torch.nn.Parameter):
        fail(what, "a torch.Tensor", type(got).__name__, hint)
    return got


def expect_shape(what: str, got: torch.Tensor, shape, hint: str) -> None:
    expect_tensor(what, got)
    if tuple(got.shape) != tuple(shape):
        fail(f"{what} shape", _fmt_shape(shape), _fmt_shape(got.shape), hint)


def expect_dtype(what: str, got: torch.Tensor, dtype: torch.dtype, hint: str) -> None:
    if got.dtype != dtype:
        fail(f"{what} dtype", dtype, got.dtype, hint)


def expect_close(what: str, got: object, expected: torch.Tensor, hint: str,
                 atol: float = 1e-8, rtol: float = 1e-6) -> None:
    """`got` must be a tensor of `expected`'s shape whose entries match within atol + rtol·|expected|."""
    got = expect_tensor(what, got)
    expect_shape(what, got, expected.shape, hint)
    got64, exp64 = got.detach().double().cpu(), expected.detach().double().cpu()
    if not torch.isfinite(got64).all():
        fail(what, "finite values", "nan or inf", hint)
    diff = (got64 - exp64).abs()
    allowed = atol + rtol * exp64.abs()
    if (diff > allowed).any():
        worst = int(torch.argmax(diff - allowed))
        fail(what, f"values within {atol:.0e} + {rtol:.0e}·|expected|",
             f"max abs diff {diff.max().item():.3g} (entry {worst}: expected "
             f"{exp64.flatten()[worst].item():.6g}, got {got64.flatten()[worst].item():.6g})", hint)


def expect_scalar_close(what: str, got: object, expected: float, hint: str,
                        atol: float = 1e-8, rtol: float = 1e-6) -> float:
    """`got` must be a Python number or a 0-d tensor close to `expected`."""
    if isinstance(got, torch.Tensor):
        if got.dim() != 0:
            fail(f"{what} shape", "a scalar (0-d tensor)", _fmt_shape(got.shape), hint)
        value = float(got)
    elif isinstance(got, (int, float)) and not isinstance(got, bool):
        value = float(got)
    else:
        fail(what, "a number or a 0-d tensor", type(got).__name__, hint)
    if not math.isfinite(value) or abs(value - expected) > atol + rtol * abs(expected):
        fail(what, f"{expected:.6g}", f"{value:.6g}", hint)
    return value


def expect_raises(what: str, exc_type: type[BaseException], fn: Callable, *args, hint: str,
                  **kwargs) -> None:
    """Calling the student's `fn(*args)` must raise `exc_type`."""
    try:
        call(fn, *args, **kwargs)
    except exc_type:
        return
    except (NotImplementedYet, ForbiddenCall):
        raise
    except Exception as error:
        fail(what, exc_type.__name__, f"{type(error).__name__}: {error}", hint)
    fail(what, f"{exc_type.__name__} to be raised", "no error", hint)


def seeded(seed: int) -> torch.Generator:
    """A fresh CPU generator with `seed`."""
    return torch.Generator().manual_seed(seed)



# -- case factories: cases that many checks share -----------------------------------------------

def inputs_untouched(description: str, what: str, inputs: Sequence[torch.Tensor],
                     run: Callable[..., object], hint: str) -> Case:
    """A case: `run(*copies)` on clones of `inputs` must leave every clone equal to its original.

    `run` calls the student's code on the copies it is given; the failure reads
    "`what`: expected unchanged, got modified in place".
    """
    @case(description)
    def untouched():
        copies = [tensor.clone() for tensor in inputs]
        run(*copies)
        if not all(torch.equal(copy, tensor) for copy, tensor in zip(copies, inputs)):
            fail(what, "unchanged", "modified in place", hint)
    return untouched


def raises_case(description: str, exc_type: type[BaseException], fn: Callable, *args, hint: str,
                within: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
                **kwargs) -> Case:
    """A case: the student's `fn(*args, **kwargs)` must raise `exc_type` (run inside `within()`).

    The failure names the call by `description` (see `expect_raises`).
    """
    @case(description)
    def raises():
        with within():
            expect_raises(description, exc_type, fn, *args, hint=hint, **kwargs)
    return raises


def same_seed_case(description: str, run: Callable[[int], object], same_hint: str, other_hint: str,
                   values: str = "weights", equal: Callable[[object, object], bool] = torch.equal) -> Case:
    """A case: `run(seed)` (the student's code on a generator seeded `seed`) gives equal results
    for seed 7 twice, and different ones for seeds 7 and 8."""
    @case(description)
    def uses_generator():
        if not equal(run(7), run(7)):
            fail("two runs with generators seeded 7", f"identical {values}", f"different {values}",
                 same_hint)
        if equal(run(7), run(8)):
            fail("runs with generators seeded 7 and 8", f"different {values}", f"identical {values}",
                 other_hint)
    return uses_generator


def same_gradients_case(description: str, run: Callable, reference: Callable,
                        inputs: Sequence[torch.Tensor], weights: torch.Tensor, names: Sequence[str],
                        what: str, hint: str, atol: float,
                        output_what: str, output_hint: str) -> Case:
    """A case: the gradients of L = sum(Y * weights), Y = run(*leaves), with respect to leaf copies
    of `inputs` equal those through `reference` (messages "<name> of <what>", names in input order).

    Y must require grad (else `output_what` fails with `output_hint`).
    """
    @case(description)
    def gradients():
        grads = []
        for fn in (run, reference):
            leaves = [tensor.clone().requires_grad_(True) for tensor in inputs]
            out = fn(*leaves)
            if not isinstance(out, torch.Tensor) or not out.requires_grad:
                fail(output_what, True, False, output_hint)
            (out * weights).sum().backward()
            grads.append([leaf.grad for leaf in leaves])
        for name, got, expected in zip(names, *grads):
            expect_close(f"{name} of {what}", got, expected, hint, atol=atol)
    return gradients
