"""The grader's side of remote calls: the checks run here and call the student's code over there.

A `RemoteFunction` stands for a function defined in the student's kernel. The grader's own copy of
a check helper calls it as it would call the function itself; each call sends the inputs to the
kernel as data (wire.py), and the kernel (agent_calls.py) runs the student's function and sends
back the result and what the call did to its inputs. So the check's references, its hidden inputs
and its verdict stay in the grader's process; the student's code only ever sees inputs.

What a call carries so that a check cannot tell it from a local call:
- tensors (values, dtype, requires_grad, .grad; a returned input is that same object here),
  torch.Generators, modules built from torch.nn or dlcourse classes, and functions of torch or
  dlcourse (by name); in-place changes to any of them are copied back here;
- torch's, numpy's and Python's global RNG states, there and back;
- autograd: a result that depends on inputs requiring grad is differentiable here; its backward
  runs in the kernel.
Anything else (a closure, an object of the student's class) cannot travel: the call raises
`CannotSend`, and the check fails.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dlcourse.checks._core import active_guards

from . import wire
from .remote_data import (CannotSend, Decoder, RemoteError, Request, UnreadableValue, array_of, collect_outputs,
                          is_data, rebuild_error, replace_outputs)
from .remote_modules import RemoteModule, build_mirror, mirror_hooks, module_state, replace_state, run_hooks

__all__ = ["CannotSend", "KernelChannel", "KernelStopped", "RemoteError", "RemoteFunction", "RemoteModule",
           "Session", "UnreadableValue"]


class KernelStopped(BaseException):
    """The kernel timed out or died during a call. A BaseException: no check may take it for an
    answer of the student's code; the grader reports the cell as timed out (or the kernel as dead)."""


class KernelChannel:
    """Messages to and from the kernel's call server (agent_calls.serve) over a Unix socket."""

    def __init__(self, path: Path, timeout: float | None = None,
                 on_timeout: Callable[[], None] = lambda: None, on_lost: Callable[[], None] = lambda: None):
        self.path, self.timeout = path, timeout
        self.on_timeout, self.on_lost = on_timeout, on_lost  #: e.g. interrupt the call; raise if the kernel died
        self._connection: socket.socket | None = None

    def exchange(self, spec: dict, arrays: dict[str, np.ndarray]) -> tuple[dict, dict]:
        try:
            connection = self._connect()
            wire.send(connection, wire.pack(spec, arrays))
            raw = wire.receive(connection)
        except TimeoutError:
            self.close()
            self.on_timeout()
            raise KernelStopped("no reply in time") from None
        except (OSError, ValueError):
            raw = None
        if raw is None:
            self.close()
            try:
                self.on_lost()
            except Exception as error:  # the kernel died: not an answer of the student's code
                raise KernelStopped(str(error)) from error
            raise RemoteError("the grader could not reach your kernel (did your code stop its normal work, "
                              "e.g. close its sockets or threads?)")
        try:
            return wire.unpack(raw)
        except (ValueError, TypeError, KeyError):
            raise RemoteError("the grader could not read your kernel's answer") from None

    def _connect(self) -> socket.socket:
        if self._connection is None:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(self.timeout)
            connection.connect(str(self.path))
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Remote(torch.autograd.Function):
    """A result computed in the kernel; its backward runs there too."""

    @staticmethod
    def forward(ctx, session, graph, outputs, *inputs):
        ctx.session, ctx.graph, ctx.count = session, graph, len(inputs)
        return tuple(o.detach().clone() for o in outputs)

    @staticmethod
    def backward(ctx, *grads):
        return (None, None, None, *ctx.session.backward(ctx.graph, grads, ctx.count))


class Session:
    """Remote calls into one kernel."""

    def __init__(self, channel: KernelChannel):
        self.channel = channel
        self.mirrors: dict[tuple[int, str], nn.Module] = {}

    def close(self) -> None:
        self.channel.close()

    def adopt_kernel_rng(self) -> None:
        """Continue from the kernel's global RNG states, as a check run in the kernel would."""
        reply, arrays = self.channel.exchange({"rng_only": True}, {})
        wire.set_rng_state(reply.get("rng"), arrays)

    def call(self, name: str, args: tuple, kwargs: dict, module: "RemoteModule | None" = None) -> object:
        """`name(*args, **kwargs)` in the kernel, or `module(*args, **kwargs)` for a held module."""
        request = Request()
        spec = {"args": request.value(list(args)), "kwargs": request.value(dict(kwargs)),
                "grad_enabled": torch.is_grad_enabled(),
                "guards": [[path, request.value(list(arguments))] for path, arguments in active_guards()]}
        if module is not None:
            spec |= {"held": module._held, "path": module._path, "state": module_state(module, request),
                     "hooks": [path for path, m in module.named_modules() if path and m._forward_hooks]}
        spec["track"] = spec["grad_enabled"] and bool(request.differentiable)
        spec["rng"], rng_arrays = wire.rng_state()
        spec["name"] = name
        reply, arrays = self.channel.exchange(spec, {**request.arrays, **rng_arrays})
        wire.set_rng_state(reply.get("rng"), arrays)
        self._copy_back(request, reply.get("after", {}), arrays)
        if "raised" in reply:
            raise rebuild_error(reply)
        decoder = Decoder(request, arrays, self)
        result = decoder.value(reply.get("result"))
        if "graph" in reply:
            result = self._differentiable(result, reply["graph"], request)
        if module is not None:
            replace_state(module, decoder.value({"dict": reply.get("state", {})}))
            run_hooks(module, [decoder.value(record) for record in reply.get("hooked", [])])
        return result

    def mirror(self, held: int, tree: dict, decoder: "Decoder") -> nn.Module:
        """The grader's stand-in for a module held in the kernel (see RemoteModule)."""
        key = (held, tree.get("path", ""))
        if key not in self.mirrors:
            self.mirrors[key] = build_mirror(self, held, tree, decoder)
        return self.mirrors[key]

    def backward(self, graph: int, grads: tuple, count: int) -> list:
        specs, arrays = wire.tensor_list(grads)
        reply, found = self.channel.exchange({"backward": graph, "grads": specs}, arrays)
        result = wire.tensors_of(reply.get("grads", []), found)
        return (result + [None] * count)[:count]

    def _differentiable(self, result: object, graph: int, request: Request) -> object:
        outputs: list[torch.Tensor] = []
        collect_outputs(result, outputs)
        inputs = [request.tensors[i] for i in sorted(request.differentiable)]
        wrapped = iter(_Remote.apply(self, graph, tuple(outputs), *inputs))
        return replace_outputs(result, wrapped)

    @staticmethod
    def _copy_back(request: Request, after: dict, arrays: dict) -> None:
        with torch.no_grad():
            for key, entry in after.get("tensors", {}).items():
                tensor = request.tensors[int(key)]
                if tensor.is_meta:
                    continue
                if "value" in entry:
                    new = array_of(arrays, entry["value"])
                    if new.shape == tensor.shape:
                        tensor.copy_(new)
                if "grad" in entry:
                    tensor.grad = None if entry["grad"] is None else array_of(arrays, entry["grad"]).to(tensor.dtype)
        for (obj, names), entry in zip(request.instances, after.get("objects", [])):
            if isinstance(obj, nn.Module):
                obj.training = bool(entry.get("training", obj.training))
                mirror_hooks(obj, entry.get("hooks"))
            for name in names:
                value = Decoder(request, arrays).value(entry.get("attrs", {}).get(name))
                if is_data(value) and value != getattr(obj, name, None):
                    setattr(obj, name, value)
        for key, name in after.get("generators", {}).items():
            request.generators[int(key)].set_state(torch.from_numpy(np.array(arrays[name])))


class RemoteFunction:
    """The student's function `name`, called in their kernel."""

    def __init__(self, session: Session, name: str):
        self._session, self.__name__ = session, name

    def __call__(self, *args, **kwargs):
        return self._session.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<your {self.__name__}>"
