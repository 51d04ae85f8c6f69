"""A stand-in kernel for the grader's remote calls: a separate Python process that holds the
student's functions and answers calls through the very server a sandboxed kernel runs
(autograder/agent_calls.serve). Separate, so that nothing the grader's checks do to their own
process (RNG, patched torch functions) reaches the 'student' unless a call sends it."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.trusted import remote

SERVER = r"""
import json, sys
from autograder.trusted import agent_calls
from tests.remote_tools import find
namespace = {}
agent_calls.serve(sys.argv[1], namespace)
print("ready", flush=True)
for line in sys.stdin:
    name, where = json.loads(line)
    namespace[name] = find(where)
    print("defined", flush=True)
"""


def where(fn, assignment: str = "") -> str:
    """How the stand-in kernel finds `fn`: `module:name` for a global of a corpus or test module,
    `module:SOLUTION:key` for an entry of a corpus module's solution namespace."""
    module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if module in sys.modules and getattr(sys.modules[module], name, None) is fn:
        return f"{module}:{name}"
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith(("tests.corpus.", "tests.autograder.")):
            continue
        for key, value in vars(module).items():
            if value is fn:
                return f"{module_name}:{key}"
        for key, value in getattr(module, "SOLUTION", {}).items():
            if value is fn:
                return f"{module_name}:SOLUTION:{key}"
    raise LookupError(f"{fn!r} cannot be found by another process")


def find(place: str):
    module_name, _, rest = place.partition(":")
    module = importlib.import_module(module_name)
    if rest.startswith("SOLUTION:"):
        return module.SOLUTION[rest.removeprefix("SOLUTION:")]
    return getattr(module, rest)


class SubprocessKernel:
    """One Python process serving calls; `function(name, fn, assignment)` gives the grader's handle."""

    def __init__(self):
        self.socket = Path(tempfile.mkdtemp(prefix="dlcourse-remote-")) / "calls.sock"
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, str(self.socket)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"

    def function(self, name: str, fn, assignment: str) -> remote.RemoteFunction:
        self.process.stdin.write(json.dumps([name, where(fn, assignment)]) + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "defined"
        return remote.RemoteFunction(remote.Session(remote.KernelChannel(self.socket, timeout=300)), name)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
