"""Submissions built from the wrong-answer corpus: each fill-in holds one corpus implementation.

`corpus_notebook(assignment, pick)` returns the released notebook with every solution cell
filled in: `pick(name, wrong, correct)` chooses the implementation for each corpus function (or
None for the instructor's solution). A corpus implementation is transplanted with what it needs
from its module: the module's imports, the private helpers it calls, and `SOLUTION[...]` as the
instructor's functions. Names it shares with the notebook (`mse`, `poly_features`) are the
notebook's own, as in a real submission. Used by the skip-equivalence test and benchmark.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import symtable
import textwrap

import nbformat

from tests.paths import ROOT

TOPICS = {"01_fitting": "fitting", "02_weight_decay": "weight_decay", "03_dropout": "dropout",
          "04_stability": "stability", "05_remedies": "remedies"}
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _read(folder: str, assignment: str):
    return nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)


def solutions(assignment: str) -> dict[str, str]:
    """grade_id -> the instructor's code for each solution cell, without the markers."""
    return {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if line.strip() not in MARKERS)
        for c in _read("source", assignment).cells if c.metadata.get("nbgrader", {}).get("solution")}


class _Module:
    """A corpus module's top-level statements by the names they define."""

    def __init__(self, module):
        self.source = inspect.getsource(module)
        self.tree = ast.parse(self.source)
        self.imports = [ast.get_source_segment(self.source, node) for node in self.tree.body
                        if isinstance(node, (ast.Import, ast.ImportFrom))
                        and not (getattr(node, "module", "") or "").startswith(("tests", "__future__"))]
        self.defined: dict[str, tuple[int, str]] = {}
        for position, node in enumerate(self.tree.body):
            names = ([node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else
                     [t.id for t in getattr(node, "targets", [getattr(node, "target", None)])
                      if isinstance(t, ast.Name)] if isinstance(node, (ast.Assign, ast.AnnAssign)) else [])
            for name in names:
                if "SOLUTION" not in ast.get_source_segment(self.source, node).split("=", 1)[-1][:20]:
                    self.defined[name] = (position, ast.get_source_segment(self.source, node))

    def needed(self, source: str, skip: str) -> list[str]:
        """Sources of the module-level definitions `source` reads, transitively, in module order."""
        found, todo = {}, [source]
        while todo:
            table = symtable.symtable(todo.pop(), "corpus", "exec")
            for name in _global_reads(table):
                if name in self.defined and name != skip and name not in found:
                    found[name] = self.defined[name]
                    todo.append(found[name][1])
        return [segment for _, segment in sorted(found.values())]


def _global_reads(table) -> set[str]:
    names = {s.get_name() for s in table.get_symbols() if s.is_referenced() and
             (table.get_type() == "module" or s.is_global())}
    for child in table.get_children():
        names |= _global_reads(child)
    return names


def _instructor(names: set[str], assignment: str) -> str:
    """`SOLUTION = {...}`: the instructor's functions, defined in a scope of their own."""
    code = solutions(assignment)
    body = "\n".join(textwrap.indent(code[n], "    ") for n in sorted(names))
    return f"def _instructor():\n{body}\n    return {{{', '.join(f'{n!r}: {n}' for n in sorted(names))}}}\n" \
           "SOLUTION = _instructor()"


def _where(implementation, assignment: str) -> tuple[object, str]:
    """The corpus module and the global name of `implementation` (a function, a class, or a value
    such as a functools.partial)."""
    if inspect.isfunction(implementation) or inspect.isclass(implementation):
        return importlib.import_module(implementation.__module__), implementation.__name__
    module = importlib.import_module(f"tests.corpus.{TOPICS[assignment]}")
    return module, next(key for key, value in vars(module).items() if value is implementation)


def transplant(implementation, name: str, assignment: str) -> str:
    """The code of a solution cell defining `name` as the corpus `implementation`."""
    module, own_name = _where(implementation, assignment)
    parsed = _Module(module)
    source = (textwrap.dedent(inspect.getsource(implementation)) if own_name == getattr(implementation, "__name__", None)
              else parsed.defined[own_name][1])
    helpers = parsed.needed(source, own_name)
    parts = [*parsed.imports, *helpers, source]
    used = {n for part in parts for n in _solution_keys(part)}
    if used:
        parts.insert(len(parsed.imports), _instructor(used, assignment))
    if own_name != name:  # defined under the notebook's name, as a student would
        parts[-1] = re.sub(rf"^(def |class |){own_name}\b", rf"\1{name}", source, count=1, flags=re.M)
    return "\n\n".join(parts)


def _solution_keys(source: str) -> set[str]:
    return {node.slice.value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and node.value.id == "SOLUTION" and isinstance(node.slice, ast.Constant)}


def corpus_notebook(assignment: str, pick):
    """The release notebook, every solution cell filled: `pick(name, wrong, correct)` -> an
    implementation from the corpus, or None for the instructor's code."""
    corpus = importlib.import_module(f"tests.corpus.{TOPICS[assignment]}")
    code = solutions(assignment)
    nb = _read("release", assignment)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        chosen = pick(grade_id, [fn for fn, _ in corpus.WRONG.get(grade_id, [])],
                      corpus.CORRECT.get(grade_id, [])) if grade_id in corpus.WRONG else None
        cell.source = transplant(chosen, grade_id, assignment) if chosen is not None else code[grade_id]
    return nb


def wrong_notebooks(assignment: str) -> list:
    """Notebooks that together hold every wrong answer of the corpus: the k-th holds the k-th
    wrong implementation of each function (the instructor's code once a function has none left)."""
    corpus = importlib.import_module(f"tests.corpus.{TOPICS[assignment]}")
    count = max(len(cases) for cases in corpus.WRONG.values())
    return [corpus_notebook(assignment, lambda name, wrong, correct, k=k: wrong[k] if k < len(wrong) else None)
            for k in range(count)]
