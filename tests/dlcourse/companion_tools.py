"""Shared by the explorer tests: move a slider, check a companion notebook."""

from __future__ import annotations

from pathlib import Path

import nbformat

from tests.paths import ROOT


class FakeOutput:
    """Stands in for ipywidgets.Output where only `outputs` is used."""
    outputs: tuple = ()


def sliders(box) -> dict:
    """The value widgets inside an explorer's VBox, by description."""
    found, stack = {}, [box]
    while stack:
        widget = stack.pop()
        stack.extend(getattr(widget, "children", ()))
        if hasattr(widget, "continuous_update"):
            found[widget.description] = widget
    return found


def shown_png(box) -> str:
    """The base64 PNG the explorer's Output widget (its last child) shows now."""
    (output,) = box.children[-1].outputs
    return output["data"]["image/png"]


def companion(name: str) -> Path:
    return ROOT / "notebooks" / f"{name}.ipynb"


def assert_committed_clean(path: Path) -> None:
    """Outputs cleared, no execution counts, no widget state or per-cell execution metadata."""
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    for cell in nb.cells:
        assert "execution" not in cell.metadata, cell.source[:60]
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def execute(path: Path, timeout: int = 120):
    """Run a notebook top to bottom in a fresh kernel, in its own folder; return it executed."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def run_without_errors(name: str) -> tuple[list, str]:
    """Execute notebooks/<name>.ipynb; assert no cell errs; return (all outputs, printed text)."""
    nb = execute(companion(name))
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, errors[0]["evalue"] if errors else ""
    return outputs, "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
