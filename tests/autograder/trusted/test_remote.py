"""Remote calls (autograder/trusted/remote.py): what the grader's checks see is what a local call gives."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from torch import nn

from autograder.trusted import remote, wire
from dlcourse.checks._core import guard
from dlcourse.checks.forbid import ForbiddenCall, forbidding
from tests.autograder import remote_samples
from tests.remote_tools import SubprocessKernel


@pytest.fixture(scope="module")
def kernel():
    process = SubprocessKernel()
    yield process
    process.close()


def _remote(kernel, fn):
    return kernel.function(fn.__name__, fn, "01_fitting")


def test_global_rngs_travel_both_ways(kernel):
    torch.manual_seed(3), np.random.seed(3), random.seed(3)
    local = remote_samples.draws(4)
    after_local = torch.rand(1)
    torch.manual_seed(3), np.random.seed(3), random.seed(3)
    there = _remote(kernel, remote_samples.draws)(4)
    assert torch.equal(there[0], local[0]) and there[1:] == local[1:]
    assert torch.equal(torch.rand(1), after_local)  # the grader's RNG moved on as if local


def test_in_place_changes_come_back_and_a_returned_input_is_the_same_object(kernel):
    t = torch.ones(3)
    out = _remote(kernel, remote_samples.scale_in_place)(t, 2.0)
    assert out is t and torch.equal(t, torch.full((3,), 2.0))


def test_results_are_differentiable_through_the_kernel(kernel):
    x = torch.tensor([1.0, -3.0], requires_grad=True)
    _remote(kernel, remote_samples.square)(x).sum().backward()
    assert torch.equal(x.grad, torch.tensor([2.0, -6.0]))


def test_exceptions_keep_their_class(kernel):
    with pytest.raises(ValueError, match="bad p 2"):
        _remote(kernel, remote_samples.raises_value_error)(2)
    with pytest.raises(NotImplementedError):
        _remote(kernel, remote_samples.not_yet)()


def test_generators_and_iterators(kernel):
    g_local, g_remote = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(_remote(kernel, remote_samples.uses_generator)(3, g_remote),
                       remote_samples.uses_generator(3, g_local))
    assert torch.equal(g_remote.get_state(), g_local.get_state())
    model = nn.Linear(2, 2)
    assert _remote(kernel, remote_samples.sum_of)(model.parameters()) == pytest.approx(
        remote_samples.sum_of(model.parameters()))


def test_what_cannot_travel(kernel):
    assert "cannot read" in repr(_remote(kernel, remote_samples.returns_an_object)(1))
    with pytest.raises(remote.CannotSend):
        _remote(kernel, remote_samples.square)(lambda: 0)


def test_guards_enter_the_kernel_too(kernel):
    with guard(forbidding, "xavier_uniform_", "TORCH_INIT"), \
            pytest.raises(ForbiddenCall, match="calls torch.nn.init.xavier_uniform_"):
        _remote(kernel, remote_samples.init_with_torch)(torch.empty(3, 4))


def test_a_students_module_is_held_in_the_kernel(kernel):
    torch.manual_seed(0)
    module = kernel.function("Scale", remote_samples.Scale, "01_fitting")(3)
    assert isinstance(module, remote.RemoteModule) and isinstance(module.inner, nn.Linear)
    assert [n for n, _ in module.named_parameters()] == ["weight", "inner.weight", "inner.bias"]
    seen = []
    module.inner.register_forward_hook(lambda m, inp, out: seen.append((m, inp[0].shape, out.shape)))
    x = torch.ones(2, 3, requires_grad=True)
    y = module(x)
    assert seen == [(module.inner, (2, 3), (2, 3))] and float(module.calls) == 1
    y.sum().backward()
    assert module.weight.grad is not None and x.grad is not None
    module.eval()
    expected = module.inner(x)
    assert torch.allclose(module(x), expected)  # eval mode reached the kernel


def _message(header: object, body: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + body


def test_messages_are_read_as_data_only():
    spec, arrays = {"result": 1}, {"a": np.arange(6.0).reshape(2, 3), "b": np.array([True])}
    read_spec, read_arrays = wire.unpack(wire.pack(spec, arrays))
    assert read_spec == spec and np.array_equal(read_arrays["a"], arrays["a"]) and read_arrays["a"].flags.writeable
    for forged in (_message({"spec": {}, "arrays": {"x": ["|O", [1], 0, 8]}}, b"\0" * 8),
                   _message({"spec": {}, "arrays": {"x": ["<f8", [4], 0, 32]}}, b"\0" * 8),
                   _message([1, 2])):
        with pytest.raises(ValueError):
            wire.unpack(forged)


def test_a_kernel_that_stops_answering_is_a_timeout_not_an_answer(tmp_path):
    import socket
    path = tmp_path / "silent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    stopped = []
    channel = remote.KernelChannel(path, timeout=0.5, on_timeout=lambda: stopped.append(True))
    with pytest.raises(remote.KernelStopped):
        remote.RemoteFunction(remote.Session(channel), "f")(1)
    assert stopped == [True]
    server.close()
