"""Cells the grade does not depend on are not executed when grading.

An author tags a demo cell `skip-when-grading` (cell metadata `tags`; stock nbgrader ignores it
and still runs the cell). When a submission is graded, a cell is skipped only if

1. its source is exactly that of a tagged cell of the official release (a student's own tag, or
   an edited demo, is never skipped), it is no graded cell, and
2. no cell that still runs reads a name the cell binds (assigns, imports, defines, deletes) or may
   mutate (an attribute or item assigned, a method called on it, passed to a call; modules,
   functions and classes only by assignment), read anywhere, function bodies included. A cell
   needed this way runs, and so do the cells it needs in turn; a running cell that reaches the
   namespace in a way no static check can follow (`eval`, `exec`, `get_ipython()`, `Out`, a
   computed `globals()[name]`) makes every cell run; and
3. it changes no process-wide setting (`torch.set_default_dtype`, `os.chdir`, ...) and writes no
   file (`open(..., "w")`, `torch.save`, `%%writefile`) that a later cell could see.

A skipped cell is blanked; the last one before a cell that runs executes the grader's seed code
(in a full run, the same code follows it), so the cells after it start from the same random
state whether the demos ran or not. Its feedback shows "not run during grading". `problems(nb)`
is the authoring check that tests/notebooks/test_skipping.py runs on every assignment.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from nbformat.v4 import new_code_cell, new_output

from ..cells import is_graded, tags_of
from .cell_names import cell_names, definitions

SKIP_TAG = "skip-when-grading"
MARK_KEY = "skipped_by_grader"  #: cell metadata of a prepared submission: "<nonce>:<index>" or "<nonce>:reseed"
NOT_RUN_TEXT = ("⏭ Not run during grading: no graded cell depends on this cell. "
                "Run the notebook in Jupyter to see its output.\n")
#: the grader's seed code (unit.SEED_CELL begins with it), run after a run of skipped cells
RESEED = ("import random as _random_, numpy as _numpy_, torch as _torch_\n"
          "_random_.seed(0); _numpy_.random.seed(0); _torch_.manual_seed(0)\n"
          "del _random_, _numpy_, _torch_")
#: names through which code reads the namespace by name at run time
def is_tagged(cell) -> bool:
    return cell.get("cell_type") == "code" and SKIP_TAG in tags_of(cell)


@dataclass
class Skipped:
    """The cells of one prepared submission that grading does not run, and how to show them after."""

    originals: list[str] = field(default_factory=list)
    reseeds: int = 0
    nonce: str = field(default_factory=lambda: secrets.token_hex(8))

    def mark(self, cell, kind: str) -> None:
        cell.metadata[MARK_KEY] = f"{self.nonce}:{kind}"

    def restore(self, nb) -> None:
        """After execution: put back each skipped cell's source with a "not run" output; drop reseeds."""
        cells = []
        for cell in nb.cells:
            mark = str(cell.get("metadata", {}).pop(MARK_KEY, ""))
            nonce, _, kind = mark.partition(":")
            if nonce == self.nonce and kind == "reseed":
                continue
            if nonce == self.nonce and kind.isdigit() and int(kind) < len(self.originals):
                cell.source = self.originals[int(kind)]
                cell.outputs = [new_output("stream", name="stdout", text=NOT_RUN_TEXT)]
                cell.execution_count = None
            cells.append(cell)
        nb.cells = cells


def plan(nb, official) -> list[int]:
    """Indices of the cells of `nb` that need not run: see the module docstring."""
    skippable = {c.source for c in official.cells if is_tagged(c) and not is_graded(c)}
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    candidates = {i for i in code if nb.cells[i].source in skippable and not is_graded(nb.cells[i])}
    if not candidates:
        return []
    names = {i: cell_names(nb.cells[i].source) for i in code}
    defined = definitions(list(names.values()))
    running = set(code) - candidates
    skipped = {i for i in candidates if not names[i].global_effects and not names[i].opaque}
    running |= candidates - skipped
    while True:
        if any(names[i].opaque for i in running):
            return []
        reads = frozenset().union(*(names[i].reads for i in running))
        needed = {i for i in skipped if names[i].touches(defined) & reads}
        if not needed:
            return sorted(skipped)
        skipped -= needed
        running |= needed


def skip_cells(nb, official, run_all: bool = False) -> Skipped:
    """Blank the cells `plan` allows to skip (in place); the last of each run of them runs the seed
    code instead. With `run_all`, run every cell and add the seed code after each such run."""
    skipped = Skipped()
    indices = plan(nb, official)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    last_of_run = {i for i in indices if code.index(i) + 1 == len(code) or code[code.index(i) + 1] not in indices}
    if run_all:
        for index in sorted(last_of_run, reverse=True):
            reseed = new_code_cell(RESEED)
            skipped.mark(reseed, "reseed")
            nb.cells.insert(index + 1, reseed)
            skipped.reseeds += 1
        return skipped
    for index in indices:
        cell = nb.cells[index]
        skipped.mark(cell, str(len(skipped.originals)))
        skipped.originals.append(cell.source)
        cell.source = RESEED if index in last_of_run else ""  # nbclient does not send an empty cell
    return skipped


def problems(nb) -> list[str]:
    """Why the tags of a course notebook (with its solutions) are unsafe; empty when they are safe."""
    found = []
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    tagged = [i for i in code if is_tagged(nb.cells[i])]
    names = {i: cell_names(nb.cells[i].source) for i in code}
    defined = definitions(list(names.values()))
    for i in tagged:
        if is_graded(nb.cells[i]):
            found.append(f"cell {i + 1} is a graded, solution or locked cell: it must run; remove its "
                         f"{SKIP_TAG!r} tag")
        if names[i].global_effects:
            found.append(f"cell {i + 1} is tagged {SKIP_TAG!r} but changes a process-wide setting or a "
                         f"file ({', '.join(names[i].global_effects)}) that later cells would see")
        if names[i].opaque:
            found.append(f"cell {i + 1} is tagged {SKIP_TAG!r} but uses code no static check can follow "
                         "(eval, get_ipython(), %%writefile, ...): it would always run")
    running = [i for i in code if i not in tagged or is_graded(nb.cells[i])]
    for i in running:
        if names[i].opaque:
            found.append(f"cell {i + 1} reads the namespace dynamically (eval, get_ipython(), Out, "
                         "a computed globals() lookup): no cell of this notebook can be skipped")
        for j in tagged:
            shared = sorted(names[j].touches(defined) & names[i].reads)
            if j != i and shared:
                found.append(f"cell {j + 1} is tagged {SKIP_TAG!r} but binds or changes "
                             f"{', '.join(shared)}, which cell {i + 1} reads (and that cell runs)")
    return found
