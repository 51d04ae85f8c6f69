"""Hostile and broken submissions, each built from a perfect 01_fitting notebook (examples' alice).

HOSTILE: name -> (build(nb, env) -> nb, expected status (None: any), expected score, flag substring or None).
`env` holds paths and ports of the test run, so an attack can aim at the real course folder.
FILES: broken files for the flat/zip layout -> expected status and detail substring.
"""

from __future__ import annotations

import copy
import json

import nbformat
from nbformat.v4 import new_code_cell

from tests.paths import ROOT

PERFECT = ROOT / "examples" / "submissions" / "alice" / "01_fitting" / "01_fitting.ipynb"
WRONG_ANSWER = "underfitting_degree = 3  # the attack worked: lose a point to show it"


def _index(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def after(grade_id: str, code: str):
    def build(nb, env):
        nb.cells.insert(_index(nb, grade_id) + 1, new_code_cell(code.format(**env)))
        return nb
    return build


def solution(grade_id: str, code: str):
    def build(nb, env):
        nb.cells[_index(nb, grade_id)].source = code
        return nb
    return build


def edit(grade_id: str, change):
    def build(nb, env):
        change(nb, _index(nb, grade_id))
        return nb
    return build


def _set_source(nb, i):
    nb.cells[i].source = "assert True"


def _delete(nb, i):
    del nb.cells[i]


def _rename(nb, i):
    nb.cells[i].metadata["nbgrader"]["grade_id"] = "test_mse_v2"


def _points(nb, i):
    nb.cells[i].metadata["nbgrader"]["points"] = 50


def _markdown(nb, i):
    cell = nb.cells[i]
    nb.cells[i] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)


def _duplicate(nb, i):
    nb.cells.insert(i + 1, copy.deepcopy(nb.cells[i]))


def _fake_graded(nb, i):
    cell = new_code_cell("assert True")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 100,
                                 "grade_id": "bonus_points", "schema_version": 3}
    nb.cells.insert(i + 1, cell)


PROBE_READ = """
import os
targets = {paths!r}
readable = [p for p in targets if os.path.exists(p)]
print("visible:", readable)
if readable:
    """ + WRONG_ANSWER

PROBE_WRITE = """
import glob
written = []
for path in {write_paths!r} + glob.glob('/tmp/autograder-*/units/*/course/gradebook.db'):
    try:
        with open(path, 'a') as handle:
            handle.write('tampered')
        written.append(path)
    except OSError as error:
        print(path, error)
if written:
    """ + WRONG_ANSWER

PROBE_NETWORK = """
import socket
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=2).close()
    """ + WRONG_ANSWER + """
except OSError as error:
    print('no network:', error)
"""

PROBE_ENV = """
import os
if {secret_name!r} in os.environ:
    """ + WRONG_ANSWER

PROCESS_FLOOD = """
import os, time
children = []
try:
    for _ in range(400):  # bounded: the process limit stops it first
        pid = os.fork()
        if pid == 0:
            os.closerange(3, 4096)  # leave the kernel's sockets alone
            time.sleep(1)
            os._exit(0)
        children.append(pid)
finally:  # reap them, so the kernel can start threads again; the fork error still shows
    for pid in children:
        os.waitpid(pid, 0)
"""

HOSTILE = {
    "infinite_loop": (after("imports", "while True:\n    pass"), "timeout", 14, None),
    "hanging_function": (solution("early_stopping_epoch",
                                  "def early_stopping_epoch(val_losses, patience):\n    while True:\n        pass"),
                         "timeout", 12, None),
    # after the last check: the kernel may survive the MemoryError or die later; points stay
    "memory_bomb": (after("test_early_stopping_epoch", "def bomb():\n    blocks = []\n    while True:\n"
                                                       "        blocks.append(bytearray(10**8))\nbomb()"),
                    None, 14, None),
    "process_flood": (after("imports", PROCESS_FLOOD), "ok", 14, None),
    "output_flood": (after("imports", "for _ in range(2000):\n    print('x' * 10000)"), "ok", 14, None),
    "huge_file": (after("imports", "open('huge.bin', 'wb').write(b'0' * (40 * 2**20))"), "ok", 14, None),
    "read_solutions": (after("underfitting_answer", PROBE_READ), "ok", 14, None),
    "write_gradebook": (after("underfitting_answer", PROBE_WRITE), "ok", 14, None),
    "network": (after("underfitting_answer", PROBE_NETWORK), "ok", 14, None),
    "grader_secrets": (after("underfitting_answer", PROBE_ENV), "ok", 14, None),
    "sys_exit": (after("imports", "import sys\nsys.exit(3)"), "ok", 14, None),
    "os_exit": (after("test_fit_least_squares", "import os\nos._exit(1)"), "crashed", 3, None),
    "segfault": (after("test_mse", "import ctypes\nctypes.string_at(0)"), "crashed", 2, None),
    # the checks run in the grader's process: what the kernel replaces there changes nothing, and a
    # value arrives as data (a look-alike is a value the grader cannot read, equal to nothing)
    "patched_allclose": (after("imports", "torch.allclose = lambda *args, **kwargs: True"), "ok", 14, None),
    "patched_builtin": (after("imports", "import builtins\nbuiltins.abs = lambda value: 0"), "ok", 14, None),
    "always_equal": (solution("early_stopping_epoch",
                              "class Yes:\n    def __eq__(self, other):\n        return True\n\n"
                              "def early_stopping_epoch(val_losses, patience):\n    return Yes()"),
                     "ok", 12, None),
    "rebound_check": (after("imports", "check_mse = lambda *args, **kwargs: True"), "ok", 14, None),
    "rebound_hidden_check": (solution("underfitting_answer",
                                      "underfitting_degree = 3\ncheck_answer = lambda *args, **kwargs: True"),
                             # the grader evaluates check_answer itself: the rebinding changes
                             # nothing, and only the wrong answer loses its point
                             "ok", 13, None),
    "edited_test": (edit("test_mse", _set_source), "tampered", 14, "'test_mse' was edited"),
    "deleted_test": (edit("test_kfold_indices", _delete), "tampered", 14, "'test_kfold_indices' was deleted"),
    "renamed_test": (edit("test_mse", _rename), "tampered", 14, "'test_mse_v2' is not in the assignment"),
    "changed_points": (edit("test_fit_sgd", _points), "tampered", 14, "'test_fit_sgd' was edited"),
    "markdown_test": (edit("test_select_degree", _markdown), "tampered", 14, "'test_select_degree' was edited"),
    "duplicated_test": (edit("test_mse", _duplicate), "tampered", 14, "appears twice"),
    "fake_graded_cell": (edit("test_mse", _fake_graded), "tampered", 14, "'bonus_points' is not in the assignment"),
    "seeded_a": (after("imports", "import random\nprint('draws', torch.rand(3).tolist(), random.random())"),
                 "ok", 14, None),
    "seeded_b": (after("imports", "import random\nprint('draws', torch.rand(3).tolist(), random.random())"),
                 "ok", 14, None),
}

FILES = {  # flat LMS names -> (bytes, expected status, detail substring)
    "empty_01_fitting.ipynb": (b"", "invalid", "not valid JSON"),
    "binary_01_fitting.ipynb": (bytes(range(256)) * 4, "invalid", "not a text file"),
    "truncated_01_fitting.ipynb": (PERFECT.read_bytes()[:500], "invalid", "not valid JSON"),
    "not_a_notebook_01_fitting.ipynb": (json.dumps({"cells": 5}).encode(), "invalid", "not a valid notebook"),
    "future_format_01_fitting.ipynb": (json.dumps({"nbformat": 99, "nbformat_minor": 0, "cells": [],
                                                   "metadata": {}}).encode(), "invalid", "not a valid notebook"),
    "lecture_notes.ipynb": (PERFECT.read_bytes(), "invalid", "cannot tell the assignment"),
}
