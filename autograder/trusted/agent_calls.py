"""The kernel side of remote calls: run the student's functions on the grader's inputs.

Runs INSIDE the student's kernel, so nothing here is trusted. `serve` answers the grader on a Unix
socket from a thread (the kernel's main thread is idle while the grader's checks run): for each
message it rebuilds the inputs (wire.py), calls the student's function, and sends back its result
and what the call did to its inputs (values, gradients, generator and RNG states, module flags),
as data. The grader compares them with references it computes itself (remote.py); no expected
value comes here.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import socket
import threading
import warnings

import torch
from torch import nn

from . import wire
from .agent_values import HELD, Inputs, Reply, load_state, resolve, state_after

_GRAPHS: dict[int, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}  #: id -> (inputs, outputs)


def handle(raw: bytes, namespace: dict) -> bytes:
    """Answer one message of the grader: a call of `namespace[spec["name"]]` (or of a held
    module), a backward pass, or the RNG states."""
    spec, arrays = wire.unpack(raw)
    if spec.get("rng_only"):
        return wire.pack(*_rng_reply())
    if "backward" in spec:
        return _backward(spec, arrays)
    inputs = Inputs(arrays)
    args, kwargs = inputs.value(spec["args"]), inputs.value(spec["kwargs"])
    wire.set_rng_state(spec["rng"], arrays)
    name = spec.get("name", "")
    out = Reply(inputs, track=bool(spec.get("track")))
    records: list = []
    try:
        if "held" in spec:
            target = HELD[spec["held"]].get_submodule(spec["path"])
            load_state(target, spec["state"], inputs)
        elif name not in namespace:
            raise NameError(f"name {name!r} is not defined")
        else:
            target = namespace[name]
        with contextlib.ExitStack() as guards, torch.set_grad_enabled(bool(spec.get("grad_enabled", True))):
            guards.enter_context(contextlib.redirect_stdout(io.StringIO()))  # nobody reads it
            guards.enter_context(contextlib.redirect_stderr(io.StringIO()))
            guards.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
            for path, arguments in spec.get("guards", []):  # e.g. forbidden built-ins raise
                if not path.startswith("dlcourse."):
                    raise ValueError(f"not a course guard: {path}")
                guards.enter_context(resolve(path)(*inputs.value(arguments)))
            for path in spec.get("hooks", []):
                guards.enter_context(_recording(target.get_submodule(path), path, records))
            result = target(*args, **kwargs)
        answer = {"result": out.value(result)}
        if records:
            out.track = False  # what hooks saw is data only: the result alone is differentiable
            answer["hooked"] = [[path, out.value(inp), out.value(output)] for path, inp, output in records]
        if "held" in spec:
            answer["state"] = state_after(target, spec["state"], inputs, out)
    except BaseException as error:  # noqa: BLE001 - the grader decides what an exception means
        kind = type(error)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}:{kind.__qualname__}"
        answer = {"raised": name, "message": str(error)[:2000],
                  "not_implemented": isinstance(error, NotImplementedError)}
    if out.outputs:
        graph = len(_GRAPHS)
        _GRAPHS[graph] = ([t for _, t in sorted(inputs.differentiable.items())], out.outputs)
        answer["graph"] = graph
    answer["after"] = out.after()
    answer["rng"], rng_arrays = wire.rng_state()
    return wire.pack(answer, {**out.arrays, **rng_arrays})


def _rng_reply() -> tuple[dict, dict]:
    state, arrays = wire.rng_state()
    return {"rng": state}, arrays


def serve(path: str, namespace: dict | None = None) -> None:
    """Answer the grader's messages on a Unix socket at `path`, in a daemon thread, with the
    user's namespace (IPython's, unless given). The kernel's main thread is idle meanwhile: the
    grader sends them while no cell runs."""
    if namespace is None:
        namespace = get_ipython().user_ns  # noqa: F821  (defined inside IPython)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    threading.Thread(target=_serve, args=(server, namespace), daemon=True, name="grader-calls").start()


def _serve(server: socket.socket, namespace: dict) -> None:
    while True:
        connection, _ = server.accept()
        threading.Thread(target=_answer, args=(connection, namespace), daemon=True, name="grader-call").start()


def _answer(connection: socket.socket, namespace: dict) -> None:
    """Answer one connection (the grader opens one per test cell) until the grader closes it."""
    global _SERVING
    _SERVING = threading.get_ident()
    with connection:
        try:
            while (raw := wire.receive(connection)) is not None:
                wire.send(connection, handle(raw, namespace))
        except (OSError, ValueError, KeyboardInterrupt):
            pass  # the grader gave up on this connection (a timeout)


def interrupt() -> None:
    """Stop the call the serving thread is running (the grader's timeout)."""
    if _SERVING is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(_SERVING), ctypes.py_object(KeyboardInterrupt))


_SERVING: int | None = None


@contextlib.contextmanager
def _recording(module: nn.Module, path: str, records: list):
    handle = module.register_forward_hook(lambda m, inp, output: records.append((path, inp, output)))
    try:
        yield
    finally:
        handle.remove()


def _backward(spec: dict, arrays: dict) -> bytes:
    inputs, outputs = _GRAPHS[spec["backward"]]
    grads = wire.tensors_of(spec["grads"], arrays)
    pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None]
    found = torch.autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                                allow_unused=True, retain_graph=True) if pairs and inputs else [None] * len(inputs)
    specs, out = wire.tensor_list(found)
    return wire.pack({"grads": specs}, out)
