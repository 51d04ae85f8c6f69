"""The kernel side of remote calls: run one of the student's functions on the grader's inputs.

Runs INSIDE the student's kernel, so nothing here is trusted: it rebuilds the inputs the grader
sent (wire.py), calls the student's function, and writes back its result and what the call did to
its inputs (values, gradients, generator and RNG states, module flags), as data. The grader
compares them with references it computes itself (remote.py); no expected value comes here.
"""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import wire

ALLOWED_PREFIXES = ("torch.", "dlcourse.")  #: where module classes and callables may come from
_GRAPHS: dict[int, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}  #: id -> (inputs, outputs)
_HELD: list[nn.Module] = []  #: the student's modules the grader holds handles to


def resolve(path: str) -> object:
    """The object `module:qualified.name`, from an allowed package only."""
    module_name, _, name = path.partition(":")
    if not module_name.startswith(ALLOWED_PREFIXES) and module_name not in ("torch", "dlcourse"):
        raise ValueError(f"not allowed: {path}")
    obj: object = importlib.import_module(module_name)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


class _Inputs:
    """Rebuilds the request's objects, keeping each one's index for the reply."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays
        self.tensors: dict[int, torch.Tensor] = {}
        self.differentiable: dict[int, torch.Tensor] = {}  #: inputs sent as requiring grad
        self.instances: list[tuple[object, dict]] = []
        self.generators: dict[int, torch.Generator] = {}

    def tensor(self, spec: dict) -> torch.Tensor:
        index = spec["tensor"]
        value = wire.array_to_tensor(self.arrays[f"t{index}"], spec["dtype"])
        if spec.get("device") == "meta":
            value = value.to("meta")
        if spec.get("parameter"):
            value = nn.Parameter(value, requires_grad=bool(spec.get("requires_grad")))
        elif spec.get("requires_grad"):
            value.requires_grad_(True)
        if spec.get("grad") is not None:
            value.grad = self.tensor(spec["grad"])
        self.tensors[index] = value
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
            return _HELD[inner].get_submodule(spec["path"])
        if tag == "callable":
            return resolve(inner)
        raise ValueError(f"cannot rebuild {tag}")


class _Reply:
    """Encodes results; a tensor of the request is named by its index, never copied."""

    def __init__(self, inputs: _Inputs, track: bool):
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
            held = next((i for i, obj in enumerate(_HELD) if obj is value), None)
            if held is None:
                held = len(_HELD)
                _HELD.append(value)
            return {"held": held, "tree": self.describe(value, held, "")}
        return wire.plain(value, depth)

    def describe(self, module: nn.Module, held: int, path: str) -> dict:
        """A module the student's code made: its class, flags, tensors and children."""
        cls = type(module)
        tree = {"cls": f"{cls.__module__}:{cls.__qualname__}", "name": cls.__name__, "path": path,
                "training": module.training,
                "attrs": {k: wire.plain(v) for k, v in vars(module).items()
                          if not k.startswith("_") and k != "training" and wire.is_plain(wire.plain(v))},
                "params": {k: None if v is None else self.value(v) for k, v in module._parameters.items()},
                "buffers": {k: None if v is None else self.value(v) for k, v in module._buffers.items()},
                "children": {k: None if v is None else self.describe(v, held, f"{path}.{k}".lstrip("."))
                             for k, v in module._modules.items()}}
        return tree

    def after(self) -> dict:
        """What the call left in its inputs."""
        tensors = {}
        for index, tensor in self.inputs.tensors.items():
            entry = {"value": self.tensor_data(tensor, f"a{index}")}
            if tensor.grad is not None:
                entry["grad"] = self.tensor_data(tensor.grad, f"ag{index}")
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


def call(name: str, request: str, reply: str, namespace: dict | None = None) -> None:
    """Call `name` of the user's namespace (IPython's, unless given) on the request's inputs;
    write the reply."""
    spec, arrays = wire.read(Path(request))
    if spec.get("rng_only"):
        state, rng_arrays = wire.rng_state()
        return wire.write(Path(reply), {"rng": state}, rng_arrays)
    if "backward" in spec:
        return _backward(spec, arrays, Path(reply))
    inputs = _Inputs(arrays)
    args, kwargs = inputs.value(spec["args"]), inputs.value(spec["kwargs"])
    wire.set_rng_state(spec["rng"], arrays)
    if namespace is None:
        namespace = get_ipython().user_ns  # noqa: F821  (defined inside IPython)
    out = _Reply(inputs, track=bool(spec.get("track")))
    records: list = []
    try:
        if "held" in spec:
            target = _HELD[spec["held"]].get_submodule(spec["path"])
            _load_state(target, spec["state"], inputs)
        elif name not in namespace:
            raise NameError(f"name {name!r} is not defined")
        else:
            target = namespace[name]
        with contextlib.ExitStack() as guards, torch.set_grad_enabled(bool(spec.get("grad_enabled", True))):
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
            answer["state"] = _state_after(target, spec["state"], inputs, out)
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
    wire.write(Path(reply), answer, {**out.arrays, **rng_arrays})


def _load_state(module: nn.Module, state: dict, inputs: _Inputs) -> None:
    """The grader's view of a held module (flags, parameters, buffers) becomes the module's own."""
    for path, training in state["flags"].items():
        module.get_submodule(path).training = bool(training)
    for kind in ("params", "buffers"):
        for name, value in state[kind].items():
            owner, _, leaf = name.rpartition(".")
            table = module.get_submodule(owner)._parameters if kind == "params" else \
                module.get_submodule(owner)._buffers
            table[leaf] = inputs.value(value)


def _state_after(module: nn.Module, state: dict, inputs: _Inputs, out: _Reply) -> dict:
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


@contextlib.contextmanager
def _recording(module: nn.Module, path: str, records: list):
    handle = module.register_forward_hook(lambda m, inp, output: records.append((path, inp, output)))
    try:
        yield
    finally:
        handle.remove()


def _backward(spec: dict, arrays: dict, reply: Path) -> None:
    inputs, outputs = _GRAPHS[spec["backward"]]
    grads = [None if g is None else wire.array_to_tensor(arrays[g["array"]], g["dtype"]) for g in spec["grads"]]
    pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None]
    found = torch.autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                                allow_unused=True, retain_graph=True) if pairs and inputs else [None] * len(inputs)
    out: dict[str, np.ndarray] = {}
    specs = []
    for index, grad in enumerate(found):
        if grad is None:
            specs.append(None)
        else:
            out[f"g{index}"] = wire.tensor_to_array(grad)
            specs.append({"array": f"g{index}", "dtype": str(grad.dtype).removeprefix("torch.")})
    wire.write(reply, {"grads": specs}, out)
