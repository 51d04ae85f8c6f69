"""Restore a submission's graded cells from the official release before nbgrader sees it.

Stock nbgrader restores edited test cells, but fails the whole submission on a renamed grade_id or
an unknown graded cell, and scores a deleted test cell 0 without saying why. Here every graded
cell is matched to the official one by grade_id: edited, re-typed or re-pointed cells are put
back, deleted or renamed ones are re-inserted after their predecessor, unknown or duplicated ones
lose their grading metadata. Each repair is reported as a flag, and the submission is graded
against the official cells.
"""

from __future__ import annotations

import copy

from nbformat import NotebookNode

from ..cells import drop_meta, grade_id_of, grading, is_inert, is_locked, is_test_cell, meta_of, set_meta


def sanitize(nb: NotebookNode, official: NotebookNode) -> list[str]:
    """Repair `nb` in place against the `official` release notebook; return what was repaired."""
    official_cells = {grade_id_of(c): c for c in official.cells if grade_id_of(c)}
    order = list(official_cells)
    flags: list[str] = []
    seen: set[str] = set()
    cells = []
    for cell in nb.cells:
        meta = meta_of(cell)
        grade_id = meta.get("grade_id")
        if not meta or is_inert(meta):  # an ordinary cell: metadata of no role is dropped, silently
            drop_meta(cell)
            cells.append(cell)
            continue
        if grade_id not in official_cells or grade_id in seen:
            flags.append(f"graded cell {grade_id!r} is not in the assignment (or appears twice): "
                         "graded as an ordinary cell")
            drop_meta(cell)
            cells.append(cell)
            continue
        seen.add(grade_id)
        reference = official_cells[grade_id]
        if is_test_cell(reference) or is_locked(reference):
            if cell.cell_type != reference.cell_type or cell.source != reference.source or \
                    grading(meta) != grading(meta_of(reference)):
                flags.append(f"cell {grade_id!r} was edited (source, type or points): restored")
            cells.append(_copy_of(reference, cell))
        else:  # the student's answer: keep the code, restore type and metadata (old schemas too)
            if cell.cell_type != reference.cell_type:
                flags.append(f"cell {grade_id!r} had its type changed: restored")
                cell = _copy_of(reference, cell, source=cell.source)
            elif grading(meta) != grading(meta_of(reference)):
                flags.append(f"cell {grade_id!r} had its grading metadata changed: restored")
            set_meta(cell, meta_of(reference))
            cells.append(cell)
    for position, grade_id in enumerate(order):
        if grade_id in seen:
            continue
        flags.append(f"cell {grade_id!r} was deleted or renamed: the official cell was put back")
        previous = [g for g in order[:position] if g in seen]
        index = next((i + 1 for i, c in enumerate(cells) if previous and grade_id_of(c) == previous[-1]), 0)
        cells.insert(index, _copy_of(official_cells[grade_id]))
        seen.add(grade_id)
    nb.cells = cells
    return flags


def _copy_of(reference, replaced=None, source: str | None = None):
    cell = copy.deepcopy(reference)
    if replaced is not None and "id" in replaced:
        cell["id"] = replaced["id"]
    if source is not None:
        cell.source = source
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell
