"""Modules of the student's class, held in the kernel and mirrored in the grader (see remote.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from .remote import Session
    from .remote_data import Decoder, Request


class RemoteModule(nn.Module):
    """A module of the student's class, held in the kernel; calling it runs its forward there.

    The grader sees its structure: flags, parameters, buffers and submodules (modules of torch.nn
    are rebuilt here, the student's own classes are RemoteModules too). Each call sends their
    current values, so .train()/.eval() and changes made here count; forward hooks registered
    here on its submodules see the inputs and outputs of the kernel's forward pass.
    """

    def __init__(self, session: Session, held: int, path: str, name: str):
        super().__init__()
        self._session, self._held, self._path, self._name = session, held, path, name

    def forward(self, *args, **kwargs):
        return self._session.call("", args, kwargs, module=self)

    def extra_repr(self) -> str:
        return f"your {self._name}, in the kernel"


def build_mirror(session: Session, held: int, tree: dict, decoder: Decoder) -> nn.Module:
    path, name = str(tree.get("path", "")), str(tree.get("name", "Module"))
    cls = None
    module_name, _, qualname = str(tree.get("cls", "")).partition(":")
    if module_name.startswith("torch.nn."):
        cls = __import__(module_name, fromlist=["_"])
        for part in qualname.split("."):
            cls = getattr(cls, part, None)
    if isinstance(cls, type) and issubclass(cls, nn.Module) and cls.forward is not nn.Module.forward:
        module = cls.__new__(cls)
        nn.Module.__init__(module)
        for key, value in tree.get("attrs", {}).items():
            setattr(module, key, decoder.value(value))
    else:
        module = RemoteModule(session, held, path, name)
        for key, value in tree.get("attrs", {}).items():
            if not hasattr(module, key):
                setattr(module, key, decoder.value(value))
    for key, value in tree.get("params", {}).items():
        tensor = decoder.value(value)
        module._parameters[key] = tensor if tensor is None or isinstance(tensor, nn.Parameter) else \
            nn.Parameter(tensor, requires_grad=tensor.requires_grad)
    for key, value in tree.get("buffers", {}).items():
        module._buffers[key] = decoder.value(value)
    for key, child in tree.get("children", {}).items():
        if isinstance(child, dict) and "alias" in child:  # the same module, met before
            child = {"path": str(child["alias"])}
        module._modules[key] = None if child is None else session.mirror(held, child, decoder)
    module.training = bool(tree.get("training", True))
    return module


def module_state(module: nn.Module, request: Request) -> dict:
    return {"flags": {path: m.training for path, m in module.named_modules(remove_duplicate=False)},
            "params": {n: request.tensor(t) for n, t in module.named_parameters(remove_duplicate=False)},
            "buffers": {n: request.tensor(t) for n, t in module.named_buffers(remove_duplicate=False)}}


def replace_state(module: nn.Module, replaced: object) -> None:
    """Tensors the kernel's forward replaced (e.g. `self.running_mean = ...`) replace ours."""
    for name, tensor in (replaced or {}).items():
        owner, _, leaf = name.rpartition(".")
        owner_module = module.get_submodule(owner)
        if not isinstance(tensor, torch.Tensor):
            continue
        if leaf in owner_module._buffers:
            owner_module._buffers[leaf] = tensor
        elif leaf in owner_module._parameters:
            owner_module._parameters[leaf] = tensor if isinstance(tensor, nn.Parameter) else nn.Parameter(tensor)


def run_hooks(module: nn.Module, records: list) -> None:
    """Our forward hooks on submodules, called with what the kernel's submodules saw."""
    for record in records:
        if not (isinstance(record, list) and len(record) == 3 and isinstance(record[0], str)):
            continue
        path, inputs, output = record
        child = module.get_submodule(path)
        inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
        for hook in list(child._forward_hooks.values()):
            hook(child, inputs, output)


def mirror_hooks(module: nn.Module, counts: object) -> None:
    """Hooks the student's code left on the kernel's copy of `module` appear here as no-ops."""
    if not (isinstance(counts, list) and len(counts) == 3 and all(type(c) is int for c in counts)):
        return
    for register, hooks, count in zip((module.register_forward_hook, module.register_forward_pre_hook,
                                       module.register_full_backward_hook),
                                      (module._forward_hooks, module._forward_pre_hooks, module._backward_hooks),
                                      counts):
        for _ in range(min(count, 64) - len(hooks)):
            register(no_op_hook)


def no_op_hook(*args):
    return None
