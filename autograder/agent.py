"""The kernel side of the grader's verdicts: report values of the student's namespace as plain data.

Runs INSIDE the student's kernel, so nothing here is trusted: whatever it writes is read as the
student's answer, never as a verdict. It imports nothing heavy and knows no expected value.
"""

from __future__ import annotations

import json
import math


def encode(value: object, depth: int = 0) -> object:
    """`value` as JSON data: numbers, strings, booleans, None, and lists, tuples and dicts of them."""
    if depth > 8:
        return {"unsupported": "nested too deeply"}
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if type(value) in (list, tuple):
        items = [encode(item, depth + 1) for item in value]
        return items if type(value) is list else {"tuple": items}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"dict": {k: encode(v, depth + 1) for k, v in value.items()}}
    return {"unsupported": type(value).__name__}


def dump(names: list[str], path: str) -> None:
    """Write the current values of `names` (the user's globals) to `path` as JSON."""
    namespace = get_ipython().user_ns  # noqa: F821  (defined inside IPython)
    values = {name: encode(namespace[name]) if name in namespace else {"missing": True} for name in names}
    with open(path, "w") as file:
        json.dump(values, file)
