"""The kernel side of the grader's verdicts: report values of the student's namespace as plain data.

Runs INSIDE the student's kernel, so nothing here is trusted: whatever it writes is read as the
student's answer, never as a verdict. It knows no expected value.
"""

from __future__ import annotations

import json

from .wire import plain as encode  # the same data format as remote calls


def dump(names: list[str], path: str) -> None:
    """Write the current values of `names` (the user's globals) to `path` as JSON."""
    namespace = get_ipython().user_ns  # noqa: F821  (defined inside IPython)
    values = {name: encode(namespace[name]) if name in namespace else {"missing": True} for name in names}
    with open(path, "w") as file:
        json.dump(values, file)
