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
import importlib
import io
import socket
import threading
import warnings

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


def handle(raw: bytes, namespace: dict) -> bytes:
    """Answer one message of the grader: a call of `namespace[spec["name"]]` (or of a held
    module), a backward pass, or the RNG states."""
    spec, arrays = wire.unpack(raw)
    if spec.get("rng_only"):
        return wire.pack(*_rng_reply())
    if "backward" in spec:
        return _backward(spec, arrays)
    inputs = _Inputs(arrays)
    args, kwargs = inputs.value(spec["args"]), inputs.value(spec["kwargs"])
    wire.set_rng_state(spec["rng"], arrays)
    name = spec.get("name", "")
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


def _backward(spec: dict, arrays: dict) -> bytes:
    inputs, outputs = _GRAPHS[spec["backward"]]
    grads = wire.tensors_of(spec["grads"], arrays)
    pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None]
    found = torch.autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                                allow_unused=True, retain_graph=True) if pairs and inputs else [None] * len(inputs)
    specs, out = wire.tensor_list(found)
    return wire.pack({"grads": specs}, out)
