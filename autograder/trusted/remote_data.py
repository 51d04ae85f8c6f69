"""The values of a remote call, both ways: what the grader sends into the kernel and how it reads
the reply (see remote.py). Tensors travel as arrays (wire.py), modules and course objects by class
and data attributes, functions of torch and the course by name; anything else raises `CannotSend`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from . import wire
from .agent_values import ALLOWED_PREFIXES
from .remote_modules import RemoteModule

if TYPE_CHECKING:
    from .remote import Session

_BASIC_ATTRS = (bool, int, float, str, type(None))


class CannotSend(TypeError):
    """An argument the grader cannot send into the kernel as data."""


class RemoteError(RuntimeError):
    """The student's function raised an exception the grader does not rebuild by type."""


class Request:
    """Encodes a call's inputs; remembers every object sent, to copy changes back."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.tensors: list[torch.Tensor] = []
        self.index: dict[int, int] = {}
        self.differentiable: set[int] = set()  #: indices of tensors sent as requiring grad
        self.instances: list[tuple[object, list[str]]] = []  #: objects sent, with their data attributes
        self.objects: dict[int, int] = {}
        self.generators: dict[int, torch.Generator] = {}

    def tensor(self, value: torch.Tensor) -> dict:
        if id(value) in self.index:
            return {"ref": self.index[id(value)]}
        if value.device.type not in ("cpu", "meta"):
            raise CannotSend(f"a tensor on {value.device} cannot be sent")
        index = len(self.tensors)
        self.index[id(value)] = index
        self.tensors.append(value)
        self.arrays[f"t{index}"] = wire.tensor_to_array(value)
        if value.requires_grad:
            self.differentiable.add(index)
        spec = {"tensor": index, "dtype": str(value.dtype).removeprefix("torch."), "device": value.device.type,
                "requires_grad": value.requires_grad, "parameter": isinstance(value, nn.Parameter)}
        if value.grad is not None:
            spec["grad"] = self.tensor(value.grad)
        return spec

    def instance(self, obj: object) -> dict:
        """A torch.nn module or an object of a course class, by class name and data attributes."""
        if id(obj) in self.objects:
            return {"same": self.objects[id(obj)]}
        cls = type(obj)
        if not cls.__module__.startswith(ALLOWED_PREFIXES) or "<locals>" in cls.__qualname__:
            raise CannotSend(f"an object of class {cls.__qualname__} cannot be sent")
        self.objects[id(obj)] = len(self.instances)
        attrs = [k for k, v in vars(obj).items() if not k.startswith("_") and k != "training" and is_data(v)]
        self.instances.append((obj, attrs))
        spec = {"cls": f"{cls.__module__}:{cls.__qualname__}", "attrs": {k: self.value(getattr(obj, k)) for k in attrs}}
        if isinstance(obj, nn.Module):
            spec |= {"training": obj.training,
                     "params": {k: None if v is None else self.tensor(v) for k, v in obj._parameters.items()},
                     "buffers": {k: None if v is None else self.tensor(v) for k, v in obj._buffers.items()},
                     "children": {k: None if v is None else self.value(v) for k, v in obj._modules.items()}}
        return {"object": spec}

    def value(self, value: object, depth: int = 0) -> object:
        if depth > 16:
            raise CannotSend("nested too deeply")
        if isinstance(value, torch.Tensor):
            return self.tensor(value)
        if isinstance(value, RemoteModule):
            return {"held": value._held, "path": value._path}
        if isinstance(value, nn.Module) or type(value).__module__.startswith("dlcourse."):
            return self.instance(value)
        if isinstance(value, torch.Generator):
            index = len(self.generators)
            self.generators[index] = value
            self.arrays[f"g{index}"] = value.get_state().numpy()
            return {"generator": index}
        if type(value) in (list, tuple):
            items = [self.value(item, depth + 1) for item in value]
            return items if type(value) is list else {"tuple": items}
        if type(value) is dict and all(type(k) is str for k in value):
            return {"dict": {k: self.value(v, depth + 1) for k, v in value.items()}}
        if isinstance(value, Iterator):  # e.g. model.parameters(): the student's code consumes it
            return {"iter": [self.value(item, depth + 1) for item in value]}
        if callable(value) and not isinstance(value, type):
            return {"callable": callable_path(value)}
        spec = wire.plain(value, depth)
        if not wire.is_plain(spec):
            raise CannotSend(f"a {type(value).__name__} cannot be sent")
        return spec


def is_data(value: object, depth: int = 0) -> bool:
    if isinstance(value, _BASIC_ATTRS):
        return True
    if type(value) in (list, tuple) and depth < 4:
        return all(is_data(v, depth + 1) for v in value)
    return False


def callable_path(fn: object) -> str:
    module, name = getattr(fn, "__module__", None) or "", getattr(fn, "__qualname__", "")
    if (module.startswith(ALLOWED_PREFIXES) or module == "torch") and "<locals>" not in name and name:
        target: object = __import__(module, fromlist=["_"])
        for part in name.split("."):
            target = getattr(target, part, None)
        if target is fn:
            return f"{module}:{name}"
    raise CannotSend(f"the function {name or fn!r} cannot be sent (only torch's and the course's)")


def array_of(arrays: dict, spec: dict) -> torch.Tensor:
    return wire.array_to_tensor(arrays[spec["array"]], spec["dtype"])


class Output:
    """A result tensor awaiting its autograd wrapper."""

    def __init__(self, tensor: torch.Tensor):
        self.tensor = tensor


def collect_outputs(value: object, found: list) -> None:
    if isinstance(value, Output):
        found.append(value.tensor)
    elif isinstance(value, (list, tuple)):
        for item in value:
            collect_outputs(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            collect_outputs(item, found)


def replace_outputs(value: object, wrapped) -> object:
    if isinstance(value, Output):
        return next(wrapped)
    if isinstance(value, list):
        return [replace_outputs(v, wrapped) for v in value]
    if isinstance(value, tuple):
        return tuple(replace_outputs(v, wrapped) for v in value)
    if isinstance(value, dict):
        return {k: replace_outputs(v, wrapped) for k, v in value.items()}
    return value


class Decoder:
    def __init__(self, request: Request, arrays: dict, session: Session | None = None):
        self.request, self.arrays, self.session = request, arrays, session

    def value(self, spec: object) -> object:
        if isinstance(spec, list):
            return [self.value(item) for item in spec]
        if not isinstance(spec, dict) or not spec:
            return spec if isinstance(spec, (bool, int, float, str, type(None))) else None
        tag, inner = next(iter(spec.items()))
        if tag == "tuple":
            return tuple(self.value(item) for item in inner)
        if tag == "dict":
            return {str(k): self.value(v) for k, v in inner.items()}
        if tag == "float":
            return float(inner) if inner in ("nan", "inf", "-inf") else None
        if tag == "size":
            return torch.Size(int(x) for x in inner)
        if tag == "numpy":
            dtype = np.dtype(spec["dtype"])
            return dtype.type(inner) if dtype.kind in "biuf" else None
        if tag == "ref":
            return self.request.tensors[int(inner)]
        if tag == "same":
            return self.request.instances[int(inner)][0]
        if tag == "held" and self.session is not None and isinstance(spec.get("tree"), dict):
            return self.session.mirror(int(inner), spec["tree"], self)
        if tag == "tensor":
            value = wire.tensor_from(self.arrays[inner], spec)
            return Output(value) if "out" in spec else value
        return UnreadableValue(str(spec)[:80])


class UnreadableValue:
    """A value the kernel could not send as data (e.g. an object of the student's class); equal
    to nothing."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"<a value the grader cannot read: {self.what}>"


def rebuild_error(reply: dict) -> BaseException:
    """The exception the student's code raised: a builtin or course exception of the same class."""
    name, message = str(reply.get("raised")), str(reply.get("message", ""))
    if reply.get("not_implemented"):
        return NotImplementedError(message)
    module, _, qualname = name.rpartition(":")
    error_type = getattr(builtins, name, None) if not module else None
    if module.startswith("dlcourse.") and "<locals>" not in qualname:
        error_type = __import__(module, fromlist=["_"])
        for part in qualname.split("."):
            error_type = getattr(error_type, part, None)
    if isinstance(error_type, type) and issubclass(error_type, Exception) and \
            error_type.__module__ in ("builtins", module):
        return error_type(message)
    return RemoteError(f"{qualname or name}: {message}")
