"""A stand-in kernel for the grader's remote calls: a separate Python process that holds the
student's functions and answers calls through the very files and code a sandboxed kernel uses
(autograder/remote.py and autograder/agent_calls.py). Separate, so that nothing the grader's checks
do to their own process (RNG, patched torch functions) reaches the 'student' unless a call sends it."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder import remote

SERVER = r"""
import json, sys
from autograder import agent_calls
from tests.remote_tools import find
for line in sys.stdin:
    job = json.loads(line)
    agent_calls.call(job["name"], job["request"], job["reply"], namespace={job["name"]: find(job["where"])})
    print("done", flush=True)
"""


def _solution(assignment: str) -> dict:
    """The corpus's own solution namespace of `assignment` (e.g. 03_dropout -> tests.corpus.dropout)."""
    return importlib.import_module(f"tests.corpus.{assignment[3:]}").SOLUTION


def where(fn, assignment: str) -> str:
    """How the stand-in kernel finds `fn`: `module:qualname`, or `solution:assignment:name`."""
    module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if module in sys.modules and getattr(sys.modules[module], name, None) is fn:
        return f"{module}:{name}"
    for key, value in _solution(assignment).items():
        if value is fn or (getattr(value, "__code__", None) is not None and value.__code__ == getattr(fn, "__code__", None)):
            return f"solution:{assignment}:{key}"
    raise LookupError(f"{fn!r} cannot be found by another process")


def find(place: str):
    kind, _, rest = place.partition(":")
    if kind == "solution":
        assignment, _, name = rest.partition(":")
        return _solution(assignment)[name]
    __import__(kind)
    return getattr(sys.modules[kind], rest)


class SubprocessKernel:
    """One Python process serving calls; `function(name, fn, assignment)` gives the grader's handle."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="dlcourse-remote-"))
        self.process = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def function(self, name: str, fn, assignment: str) -> remote.RemoteFunction:
        kernel, place = self, where(fn, assignment)

        class Channel(remote.KernelChannel):
            def request_code(self, name, request, reply):
                return json.dumps({"name": name, "where": place, "request": str(request), "reply": str(reply)})

            def _serve(self, job: str) -> None:
                kernel.process.stdin.write(job + "\n")
                kernel.process.stdin.flush()
                assert kernel.process.stdout.readline().strip() == "done"

        channel = Channel(None, self.folder)
        channel.run = channel._serve
        return remote.RemoteFunction(remote.Session(channel), name)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
