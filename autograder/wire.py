"""The data format of calls from the grader into the student's kernel (see remote.py and agent.py).

A call travels as two files: a JSON spec and an .npz of arrays, both written and read with plain
data only (numpy's `allow_pickle=False`). The spec is a tree of JSON values and tagged objects:
`{"tuple": [...]}`, `{"dict": {...}}`, `{"float": "nan"}`, `{"tensor": i, ...}` (array `t<i>`),
`{"generator": i}` (its state is tensor i), `{"module": {...}}`, `{"callable": "module:name"}`,
`{"ref": i}` (the very tensor i of the request) and `{"unsupported": "what"}`.
Both sides import this module; neither trusts what the other wrote beyond its being data.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import torch

MAX_BYTES = 256 << 20  #: a reply larger than this is not read
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


def write(path: Path, spec: dict, arrays: dict[str, np.ndarray]) -> None:
    """`path`.json and `path`.npz."""
    np.savez(path.with_suffix(".npz"), **arrays)
    path.with_suffix(".json").write_text(json.dumps(spec), encoding="utf-8")


def read(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The spec and arrays at `path` (written by the other side: data only, size-limited)."""
    spec_file, array_file = path.with_suffix(".json"), path.with_suffix(".npz")
    for file in (spec_file, array_file):
        if file.is_symlink() or file.stat().st_size > MAX_BYTES:
            raise ValueError(f"{file.name}: not a plain file of at most {MAX_BYTES >> 20} MB")
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    with np.load(array_file, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    if not isinstance(spec, dict):
        raise ValueError("the spec is not a JSON object")
    return spec, arrays


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
    random.setstate((int(version), tuple(int(x) for x in arrays["rng_python"]),
                     None if gauss is None else float(gauss)))
