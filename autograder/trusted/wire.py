"""The data format of calls from the grader into the student's kernel (see remote.py and agent.py).

A call travels as one message over a Unix socket: a JSON spec and the raw bytes of numeric arrays
(never pickles or objects; see `pack`). The spec is a tree of JSON values and tagged objects:
`{"tuple": [...]}`, `{"dict": {...}}`, `{"float": "nan"}`, `{"tensor": i, ...}` (array `t<i>`),
`{"generator": i}` (its state is tensor i), `{"module": {...}}`, `{"callable": "module:name"}`,
`{"ref": i}` (the very tensor i of the request) and `{"unsupported": "what"}`.
Both sides import this module; neither trusts what the other wrote beyond its being data.
"""

from __future__ import annotations

import json
import math
import random
import socket

import numpy as np
import torch

MAX_BYTES = 256 << 20  #: a message larger than this is not read
_KINDS = "biufc"  #: numpy kinds a message may hold: booleans and numbers, never objects
_NUMPY_OF = {torch.bfloat16: np.float32}  #: dtypes numpy lacks travel as float32
DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32,
    torch.int16, torch.int8, torch.uint8, torch.bool, torch.complex64, torch.complex128)}


def tensor_to_array(tensor: torch.Tensor) -> np.ndarray:
    """The values (for a tensor on the meta device, which has none: zeros of its shape)."""
    if tensor.is_meta:
        return np.zeros(tuple(tensor.shape), dtype=np.float32 if tensor.dtype in _NUMPY_OF else
                        torch.empty(0, dtype=tensor.dtype).numpy().dtype)
    data = tensor.detach().cpu()
    if data.dtype in _NUMPY_OF:
        data = data.float()
    return data.resolve_conj().resolve_neg().numpy().copy()


def array_to_tensor(array: np.ndarray, dtype: str) -> torch.Tensor:
    if dtype not in DTYPES or array.dtype == object:
        raise ValueError(f"not a tensor dtype: {dtype}")
    return torch.from_numpy(np.array(array)).to(DTYPES[dtype])


def tensor_from(array: np.ndarray, spec: dict) -> torch.Tensor:
    """The tensor a tensor spec describes: dtype, device (cpu or meta), Parameter, requires_grad."""
    value = array_to_tensor(array, spec["dtype"])
    if spec.get("device") == "meta":
        value = value.to("meta")
    if spec.get("parameter"):
        return torch.nn.Parameter(value, requires_grad=bool(spec.get("requires_grad")))
    return value.requires_grad_(True) if spec.get("requires_grad") else value


def tensor_list(tensors) -> tuple[list, dict[str, np.ndarray]]:
    """Specs and arrays for a list of tensors, some None (gradients of a backward pass)."""
    specs, arrays = [], {}
    for index, tensor in enumerate(tensors):
        if tensor is None:
            specs.append(None)
        else:
            arrays[f"g{index}"] = tensor_to_array(tensor)
            specs.append({"array": f"g{index}", "dtype": str(tensor.dtype).removeprefix("torch.")})
    return specs, arrays


def tensors_of(specs: list, arrays: dict[str, np.ndarray]) -> list:
    """The inverse of `tensor_list`."""
    return [None if spec is None else array_to_tensor(arrays[spec["array"]], spec["dtype"]) for spec in specs]


def plain(value: object, depth: int = 0) -> object:
    """`value` as JSON if it is plain data (numbers, strings, None and containers of them)."""
    if depth > 16:
        return {"unsupported": "nested too deeply"}
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if type(value) in (list, tuple):
        items = [plain(item, depth + 1) for item in value]
        return items if type(value) is list else {"tuple": items}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"dict": {k: plain(v, depth + 1) for k, v in value.items()}}
    return {"unsupported": type(value).__name__}


def is_plain(spec: object) -> bool:
    return "unsupported" not in json.dumps(spec)




def pack(spec: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """A message: an 8-byte header length, a JSON header (the spec and where each array's raw
    bytes lie), then the bytes."""
    layout, blobs, offset = {}, [], 0
    for name, array in arrays.items():
        array = np.asarray(array, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
        layout[name] = [array.dtype.str, list(array.shape), offset, array.nbytes]
        blobs.append(array.tobytes())
        offset += array.nbytes
    header = json.dumps({"spec": spec, "arrays": layout}).encode()
    return b"".join([len(header).to_bytes(8, "little"), header, *blobs])


def unpack(raw: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The spec and arrays of a message written by the other side: data only."""
    size = int.from_bytes(raw[:8], "little")
    message = json.loads(raw[8:8 + size])
    body = memoryview(raw)[8 + size:]
    if not (isinstance(message, dict) and isinstance(message.get("spec"), dict)):
        raise ValueError("not a message")
    arrays = {}
    for name, (dtype, shape, offset, nbytes) in message.get("arrays", {}).items():
        kind = np.dtype(dtype)
        if kind.kind not in _KINDS or offset < 0 or offset + nbytes > len(body):
            raise ValueError(f"array {name}: not plain numbers")
        arrays[name] = np.frombuffer(body, dtype=kind, count=nbytes // max(kind.itemsize, 1),
                                     offset=offset).reshape(shape).copy()
    return message["spec"], arrays


def send(connection: socket.socket, raw: bytes) -> None:
    connection.sendall(len(raw).to_bytes(8, "little") + raw)


def receive(connection: socket.socket) -> bytes | None:
    """One message, or None when the other side closed the connection."""
    head = _exactly(connection, 8)
    if head is None:
        return None
    size = int.from_bytes(head, "little")
    if size > MAX_BYTES:
        raise ValueError(f"a message of more than {MAX_BYTES >> 20} MB")
    return _exactly(connection, size)


def _exactly(connection: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def rng_state() -> tuple[dict, dict[str, np.ndarray]]:
    """torch's, numpy's and Python's global RNG states: the grader and the kernel share them."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    arrays = {"rng_torch": torch.get_rng_state().numpy(), "rng_numpy": np.asarray(keys),
              "rng_python": np.array(internal, dtype=np.uint64)}
    return {"numpy": [kind, int(pos), int(has_gauss), float(cached)], "python": [version, gauss]}, arrays


def set_rng_state(spec: dict | None, arrays: dict[str, np.ndarray]) -> None:
    if not spec:
        return
    torch.set_rng_state(torch.from_numpy(np.array(arrays["rng_torch"], dtype=np.uint8)))
    kind, pos, has_gauss, cached = spec["numpy"]
    np.random.set_state((str(kind), np.array(arrays["rng_numpy"], dtype=np.uint32), int(pos),
                         int(has_gauss), float(cached)))
    version, gauss = spec["python"]
    random.setstate((int(version), tuple(np.asarray(arrays["rng_python"], dtype=np.uint64).tolist()),
                     None if gauss is None else float(gauss)))
