"""Driving one JupyterLab notebook with Playwright: open, run, save, read what it shows.

Selectors checked against JupyterLab 4.6 (see docs/testing.md). Every wait is bounded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

if TYPE_CHECKING:  # imported lazily: without playwright the tests skip instead of failing to import
    from playwright.sync_api import Locator, Page

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook tab in front
NUMBERED_PROMPT = re.compile(r"\[\d+\]")
_NUMBERED_JS = "prompt => /\\[\\d+\\]/.test(prompt.innerText)"

# For each code cell of the panel in front: its prompt and its rendered images.
_CELLS_JS = """panel => [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell => ({
    prompt: cell.querySelector('.jp-InputArea-prompt').innerText.trim(),
    images: [...cell.querySelectorAll('.jp-OutputArea-output.jp-RenderedImage img')]
        .filter(img => !img.closest('.widget-output'))
        .map(img => ({width: img.naturalWidth})),
}))"""

_KERNEL_IDLE_JS = """panel => {
    const name = panel.querySelector('.jp-NotebookPanel-toolbar .jp-KernelName');
    const idle = panel.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
    return idle !== null && name !== null && name.innerText.trim() !== ''
        && name.innerText.trim() !== 'No Kernel';
}"""

# Run All is done when every prompt is numbered, or when it stopped at an error: kernel idle,
# nothing running ("[*]") or queued, and at least one cell numbered.
_RUN_ALL_DONE_JS = """panel => {
    const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
        .map(p => p.innerText.trim());
    const numbered = prompts.filter(p => /\\[\\d+\\]/.test(p)).length;
    if (numbered === prompts.length) return true;
    const idle = panel.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
    return idle !== null && numbered > 0 && !prompts.some(p => p.includes('*'));
}"""


class NotebookTab:
    """One notebook open in JupyterLab; `path` is relative to the server's root."""

    def __init__(self, page: Page, server_url: str, root: Path, path: str):
        self.page, self.root, self.path = page, root, path
        page.goto(f"{server_url}/lab/tree/{path}?reset")  # ?reset: no tabs from earlier tests
        self.panel = page.locator(PANEL)
        self.panel.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        self.wait_idle(60_000)
        open_sidebar_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if open_sidebar_tab.count():  # collapse the file browser: wider notebook, clearer shots
            open_sidebar_tab.click()

    def wait_idle(self, timeout_ms: float) -> None:
        """Wait for a started kernel with nothing to do (with no kernel yet, it also says idle)."""
        self.page.wait_for_function(_KERNEL_IDLE_JS, arg=self.panel.element_handle(),
                                    timeout=timeout_ms, polling=100)

    @property
    def code_cells(self) -> Locator:
        return self.panel.locator(".jp-Notebook .jp-CodeCell")

    def run_all(self, timeout_ms: float) -> None:
        """Run > Run All Cells; wait until every cell ran or Run All stopped at an error."""
        self.page.locator('.lm-MenuBar-itemLabel:text-is("Run")').click()
        self.page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        self.page.wait_for_function(_RUN_ALL_DONE_JS, arg=self.panel.element_handle(),
                                    timeout=timeout_ms, polling=200)

    def run_each_code_cell(self, timeout_per_cell_ms: float) -> None:
        """Run the code cells one at a time (Ctrl+Enter), each after the previous one finished.

        Run All would stop at the first error: the kernel aborts the queued cells.
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        cells = self.code_cells
        for index in range(cells.count()):
            prompt = cells.nth(index).locator(".jp-InputArea-prompt")
            prompt.click()  # selects the cell in command mode
            self.page.keyboard.press("Control+Enter")
            try:
                self.page.wait_for_function(_NUMBERED_JS, arg=prompt.element_handle(),
                                            timeout=timeout_per_cell_ms, polling=50)
            except PlaywrightTimeoutError:
                raise AssertionError(f"code cell {index} did not finish within "
                                     f"{timeout_per_cell_ms / 1000:g} s") from None
        self.wait_idle(timeout_per_cell_ms)

    def show_last_output(self, code_index: int) -> None:
        """Scroll so that the end of a code cell's last output is at the bottom of the window."""
        self.code_cells.nth(code_index).locator(".jp-OutputArea-output").last.evaluate(
            "element => element.scrollIntoView({block: 'end'})")

    def save(self, timeout_ms: float = 15_000) -> nbformat.NotebookNode:
        """File > Save, wait until the tab is clean, and return the notebook as saved on disk."""
        from playwright.sync_api import expect

        self.page.locator('.lm-MenuBar-itemLabel:text-is("File")').click()
        self.page.locator('.lm-Menu-item[data-command="docmanager:save"]').click()
        dirty = self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty")
        expect(dirty).to_have_count(0, timeout=timeout_ms)
        return nbformat.read(self.root / self.path, as_version=4)

    def rendered_cells(self) -> list[dict]:
        """Per code cell: its prompt and its images (outside widgets) as the browser drew them."""
        return self.panel.evaluate(_CELLS_JS)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def error_outputs(nb) -> list[tuple[int, str, str]]:
    """(code cell index, ename, evalue) for every error output of a saved notebook."""
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    return [(index, output.ename, output.evalue)
            for index, cell in enumerate(code_cells) for output in cell.outputs
            if output.output_type == "error"]


def image_counts(nb) -> list[int]:
    """Per code cell of a saved notebook: how many PNG outputs the kernel sent."""
    return [sum("image/png" in output.get("data", {}) for output in cell.outputs)
            for cell in nb.cells if cell.cell_type == "code"]


def plot_problems(nb, rendered: list[dict]) -> list[str]:
    """Every PNG the kernel sent must be drawn: one decoded <img> (naturalWidth > 0) each."""
    problems = []
    for index, (sent, cell) in enumerate(zip(image_counts(nb), rendered, strict=True)):
        drawn = sum(image["width"] > 0 for image in cell["images"])
        if drawn != sent or len(cell["images"]) != sent:
            problems.append(f"code cell {index}: the kernel sent {sent} PNG(s), the page shows "
                            f"{len(cell['images'])} image(s), {drawn} of them decoded")
    return problems


# Tag the first explorer: a widget Output showing an image, with a slider in the same widget.
_FIND_EXPLORER_JS = """panel => {
    for (const img of panel.querySelectorAll('.widget-output img')) {
        const outputArea = img.closest('.jp-Cell-outputArea');
        const view = outputArea && [...outputArea.children].find(child => child.contains(img));
        const handle = view && view.querySelector('.widget-slider .noUi-handle');
        if (!handle || img.naturalWidth === 0) continue;
        view.dataset.browserTest = 'explorer';
        handle.dataset.browserTest = 'explorer-slider';
        img.closest('.widget-output').dataset.browserTest = 'explorer-plot';
        return true;
    }
    return false;
}"""

_PLOT_CHANGED_JS = """([plot, before]) => {
    const img = plot.querySelector('img');
    return img !== null && img.src !== before && img.complete && img.naturalWidth > 0;
}"""


class Explorer:
    """The first ipywidgets explorer of a notebook tab: a slider and the plot it redraws."""

    def __init__(self, tab: NotebookTab, timeout_ms: float):
        self.page = tab.page
        self.page.wait_for_function(_FIND_EXPLORER_JS, arg=tab.panel.element_handle(),
                                    timeout=timeout_ms, polling=250)
        self.view = tab.panel.locator('[data-browser-test="explorer"]')
        self.slider = tab.panel.locator('[data-browser-test="explorer-slider"]')
        self.plot = tab.panel.locator('[data-browser-test="explorer-plot"]')

    def image_src(self) -> str:
        return self.plot.locator("img").first.get_attribute("src") or ""

    def nudge_slider(self, timeout_ms: float) -> tuple[str, str]:
        """Move the slider one step (focus + arrow key); wait for a new, decoded plot image.

        Returns the slider's value before and after.
        """
        before = self.slider.get_attribute("aria-valuenow") or ""
        at_max = before == self.slider.get_attribute("aria-valuemax")
        image_before = self.image_src()
        self.slider.focus()
        self.page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        self.page.wait_for_function(_PLOT_CHANGED_JS, timeout=timeout_ms, polling=100,
                                    arg=[self.plot.element_handle(), image_before])
        return before, self.slider.get_attribute("aria-valuenow") or ""
