"""The values of a remote call on the kernel's side (see agent_calls.py): inputs rebuilt from the
grader's message, and the reply's result and changes encoded as data. Runs in the student's kernel.
"""

from __future__ import annotations

import importlib

import numpy as np
import torch
from torch import nn

from . import wire

ALLOWED_PREFIXES = ("torch.", "dlcourse.")  #: where module classes and callables may come from
HELD: list[nn.Module] = []  #: the student's modules the grader holds handles to


def resolve(path: str) -> object:
    """The object `module:qualified.name`, from an allowed package only."""
    module_name, _, name = path.partition(":")
    if not module_name.startswith(ALLOWED_PREFIXES) and module_name not in ("torch", "dlcourse"):
        raise ValueError(f"not allowed: {path}")
    obj: object = importlib.import_module(module_name)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


class Inputs:
    """Rebuilds the request's objects, keeping each one's index for the reply."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays
        self.tensors: dict[int, torch.Tensor] = {}
        self.differentiable: dict[int, torch.Tensor] = {}  #: inputs sent as requiring grad
        self.sent: dict[int, tuple] = {}  #: index -> (a copy of the values, the .grad) as received
        self.instances: list[tuple[object, dict]] = []
        self.generators: dict[int, torch.Generator] = {}

    def tensor(self, spec: dict) -> torch.Tensor:
        index = spec["tensor"]
        value = wire.tensor_from(self.arrays[f"t{index}"], spec)
        if spec.get("grad") is not None:
            value.grad = self.tensor(spec["grad"])
        self.tensors[index] = value
        self.sent[index] = (None if value.is_meta else value.detach().clone(), value.grad)
        if spec.get("requires_grad"):
            self.differentiable[index] = value
        return value

    def instance(self, spec: dict) -> object:
        """A torch.nn module or an object of a course class, rebuilt from its class and data."""
        cls = resolve(spec["cls"])
        if not isinstance(cls, type):
            raise ValueError(f"not a class: {spec['cls']}")
        obj = cls.__new__(cls)
        self.instances.append((obj, spec))
        if isinstance(obj, nn.Module):
            nn.Module.__init__(obj)
            for name, value in spec["params"].items():
                obj._parameters[name] = None if value is None else self.value(value)
            for name, value in spec["buffers"].items():
                obj._buffers[name] = None if value is None else self.value(value)
            for name, value in spec["children"].items():
                obj._modules[name] = None if value is None else self.value(value)
            obj.training = bool(spec["training"])
        for name, value in spec["attrs"].items():
            setattr(obj, name, self.value(value))
        return obj

    def value(self, spec: object) -> object:
        if isinstance(spec, list):
            return [self.value(item) for item in spec]
        if not isinstance(spec, dict):
            return spec
        (tag, inner), *_ = spec.items()
        if tag == "tuple":
            return tuple(self.value(item) for item in inner)
        if tag == "iter":
            return iter([self.value(item) for item in inner])
        if tag == "dict":
            return {key: self.value(item) for key, item in inner.items()}
        if tag == "float":
            return float(inner)
        if tag == "tensor":
            return self.tensor(spec)
        if tag == "ref":
            return self.tensors[inner]
        if tag == "generator":
            generator = torch.Generator()
            generator.set_state(torch.from_numpy(np.array(self.arrays[f"g{inner}"])))
            self.generators[inner] = generator
            return generator
        if tag == "object":
            return self.instance(inner)
        if tag == "same":
            return self.instances[inner][0]
        if tag == "held":
            return HELD[inner].get_submodule(spec["path"])
        if tag == "callable":
            return resolve(inner)
        raise ValueError(f"cannot rebuild {tag}")


class Reply:
    """Encodes results; a tensor of the request is named by its index, never copied."""

    def __init__(self, inputs: Inputs, track: bool):
        self.inputs, self.track = inputs, track
        self.arrays: dict[str, np.ndarray] = {}
        self.outputs: list[torch.Tensor] = []

    @property
    def known(self) -> dict[int, int]:
        return {id(t): i for i, t in self.inputs.tensors.items()}

    def tensor(self, value: torch.Tensor, name: str) -> dict:
        self.arrays[name] = wire.tensor_to_array(value)
        spec = {"tensor": name, "dtype": str(value.dtype).removeprefix("torch."), "device": value.device.type,
                "parameter": isinstance(value, nn.Parameter), "requires_grad": value.requires_grad}
        if self.track and value.requires_grad and value.grad_fn is not None:
            spec["out"] = len(self.outputs)
            self.outputs.append(value)
        return spec

    def value(self, value: object, depth: int = 0) -> object:
        if depth > 16:
            return {"unsupported": "nested too deeply"}
        if isinstance(value, torch.Tensor):
            if id(value) in self.known:
                return {"ref": self.known[id(value)]}
            return self.tensor(value, f"r{len(self.arrays)}")
        if isinstance(value, torch.Size):
            return {"size": list(value)}
        if type(value) in (list, tuple):
            items = [self.value(item, depth + 1) for item in value]
            return items if type(value) is list else {"tuple": items}
        if type(value) is dict and all(type(k) is str for k in value):
            return {"dict": {k: self.value(v, depth + 1) for k, v in value.items()}}
        if isinstance(value, (np.floating, np.integer, np.bool_)):
            return {"numpy": wire.plain(value.item()), "dtype": str(value.dtype)}
        if isinstance(value, nn.Module):
            sent = next((i for i, (obj, _) in enumerate(self.inputs.instances) if obj is value), None)
            if sent is not None:
                return {"same": sent}
            held = next((i for i, obj in enumerate(HELD) if obj is value), None)
            if held is None:
                held = len(HELD)
                HELD.append(value)
            return {"held": held, "tree": self.describe(value, held, "", {})}
        return wire.plain(value, depth)

    def describe(self, module: nn.Module, held: int, path: str, seen: dict[int, str]) -> dict:
        """A module the student's code made: its class, flags, tensors and children (a module met
        again, e.g. one layer used twice, by the path where it was first met)."""
        if id(module) in seen:
            return {"alias": seen[id(module)]}
        seen[id(module)] = path
        cls = type(module)
        tree = {"cls": f"{cls.__module__}:{cls.__qualname__}", "name": cls.__name__, "path": path,
                "training": module.training,
                "attrs": {k: wire.plain(v) for k, v in vars(module).items()
                          if not k.startswith("_") and k != "training" and wire.is_plain(wire.plain(v))},
                "params": {k: None if v is None else self.value(v) for k, v in module._parameters.items()},
                "buffers": {k: None if v is None else self.value(v) for k, v in module._buffers.items()},
                "children": {k: None if v is None else self.describe(v, held, f"{path}.{k}".lstrip("."), seen)
                             for k, v in module._modules.items()}}
        return tree

    def after(self) -> dict:
        """What the call changed in its inputs (values, .grad), and its objects and generators."""
        tensors = {}
        for index, tensor in self.inputs.tensors.items():
            values, grad = self.inputs.sent[index]
            entry = {}
            if values is not None and not (tensor.shape == values.shape and tensor.dtype == values.dtype
                                           and torch.equal(tensor.detach(), values)):
                entry["value"] = self.tensor_data(tensor, f"a{index}")
            if tensor.grad is not grad:
                entry["grad"] = None if tensor.grad is None else self.tensor_data(tensor.grad, f"ag{index}")
            if entry:
                tensors[str(index)] = entry
        objects = [{"training": getattr(obj, "training", None),
                    "attrs": {k: wire.plain(getattr(obj, k, None)) for k in spec["attrs"]},
                    "hooks": [len(obj._forward_hooks), len(obj._forward_pre_hooks), len(obj._backward_hooks)]
                    if isinstance(obj, nn.Module) else None}
                   for obj, spec in self.inputs.instances]
        generators = {}
        for index, generator in self.inputs.generators.items():
            self.arrays[f"ga{index}"] = generator.get_state().numpy()
            generators[str(index)] = f"ga{index}"
        return {"tensors": tensors, "objects": objects, "generators": generators}

    def tensor_data(self, tensor: torch.Tensor, name: str) -> dict:
        self.arrays[name] = wire.tensor_to_array(tensor)
        return {"array": name, "dtype": str(tensor.dtype).removeprefix("torch.")}


def load_state(module: nn.Module, state: dict, inputs: Inputs) -> None:
    """The grader's view of a held module (flags, parameters, buffers) becomes the module's own."""
    for path, training in state["flags"].items():
        module.get_submodule(path).training = bool(training)
    for kind in ("params", "buffers"):
        for name, value in state[kind].items():
            owner, _, leaf = name.rpartition(".")
            table = module.get_submodule(owner)._parameters if kind == "params" else \
                module.get_submodule(owner)._buffers
            table[leaf] = inputs.value(value)


def state_after(module: nn.Module, state: dict, inputs: Inputs, out: Reply) -> dict:
    """Tensors the call replaced (rather than changed in place), by name."""
    replaced = {}
    for kind in ("params", "buffers"):
        for name, value in state[kind].items():
            owner, _, leaf = name.rpartition(".")
            current = getattr(module.get_submodule(owner), leaf, None)
            loaded = inputs.tensors.get(value.get("tensor", value.get("ref")))
            if isinstance(current, torch.Tensor) and current is not loaded:
                replaced[name] = out.value(current)
    return replaced
