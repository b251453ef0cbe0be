"""A notebook in JupyterLab, driven through Debian's Chromium as a student drives it, and read from the page.

Never a downloaded browser: Playwright launches /usr/bin/chromium. JupyterLab's "Run All" stops at the
first error (its execute requests ask the kernel to drop the queued cells after one fails, unless a cell
is tagged `raises-exception`), and a fresh student notebook fails in every exercise, so `run_every_cell`
runs the cells one at a time with Shift+Enter, as a student does, each after the one before has finished.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from tests.lab_server import Lab
from tests.notebooks import ROOT, read

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 300_000  # a loaded two-core machine can take minutes over a cell that trains a model
VIEWPORT = {"width": 1280, "height": 860}
IS_CODE = "cells => cells.map(cell => cell.classList.contains('jp-CodeCell'))"
HAS_RUN = """index => /\\[\\d+\\]/.test(
    document.querySelectorAll('.jp-Notebook .jp-Cell')[index].querySelector('.jp-InputPrompt').textContent)"""
RAN_AGAIN = "([prompt, before]) => /\\[\\d+\\]/.test(prompt.textContent) && prompt.textContent !== before"
KERNEL_IDLE = re.compile(r"\(ipykernel\) \| Idle")
WIDGET_FAILURES = ("Loading widget...", "Error displaying widget")

# Per cell, what the student sees. Errors and stderr are both rendered with the stderr MIME type.
READ_CELLS = """cells => cells.map(cell => ({
    prompt: (cell.querySelector('.jp-InputPrompt')?.textContent ?? '').trim(),
    errors: [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map(output => output.textContent),
    images: [...cell.querySelectorAll('.jp-OutputArea-output img')]
        .filter(img => img.complete && img.naturalWidth > 0).length,
    widgets: cell.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').length,
    output: cell.querySelector('.jp-Cell-outputWrapper')?.textContent ?? '',
    markdown: cell.querySelector('.jp-RenderedMarkdown')?.textContent ?? '',
    math: cell.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
}))"""

# Widget controls without a name a screen reader can announce, and without a description label in their row.
UNLABELLED_CONTROLS = """root => [...root.querySelectorAll(
        '.jupyter-widgets button, .jupyter-widgets select, .jupyter-widgets input, .jupyter-widgets textarea, '
        + '.jupyter-widgets [role=slider]')]
    .filter(control => {
        const named = control.getAttribute('aria-label') || control.title || control.textContent.trim()
            || [...(control.labels ?? [])].some(label => label.textContent.trim());
        const rowLabel = control.closest('.widget-inline-hbox')?.querySelector(':scope > .widget-label');
        return !named && !(rowLabel && rowLabel.textContent.trim());
    })
    .map(control => control.closest('.jupyter-widgets').className + ' > ' + control.outerHTML.slice(0, 120))"""


@dataclass(frozen=True)
class CellView:
    """One cell as the page shows it."""
    prompt: str              # "[7]:" once run, "[*]:" while running, "[ ]:" never run; "" for markdown
    errors: list[str]        # the text of each red (stderr or error) output
    images: int              # images drawn (loaded) in its outputs, widgets' included
    widgets: int             # widget views among its outputs
    output: str              # all the text of its outputs
    markdown: str            # the rendered text of a markdown cell
    math: int                # formulas MathJax typeset in it


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless; `expect` then waits as long as pages do (its default is 5 s)."""
    expect.set_options(timeout=TIMEOUT_MS)
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)


def open_notebook(browser: Browser, lab: Lab, path: str) -> Page:
    """A new tab on a fresh workspace holding only the notebook at `path` (relative to the repository), with
    every cell in the page, the kernel idle and the left sidebar closed (more room for the notebook)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(lab.address(f"/lab/workspaces/{uuid.uuid4().hex}/tree/{path}"))
    expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(len(read(ROOT / path).cells))
    wait_until_idle(page)
    page.keyboard.press("Control+b")    # View > Show Left Sidebar, off
    expect(page.locator("#jp-left-stack")).to_be_hidden()
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")       # command mode: keys act on cells, not on text
    return page


def wait_until_idle(page: Page) -> None:
    """Until no cell waits to run and the kernel says Idle (the status bar shows the notebook's kernel)."""
    expect(page.locator(".jp-InputPrompt", has_text="*")).to_have_count(0)
    expect(page.locator(".jp-StatusBar-TextItem", has_text=KERNEL_IDLE)).to_be_visible()


def run_every_cell(page: Page) -> None:
    """Run the cells top to bottom, one at a time, each after the one before has finished."""
    code = page.locator(".jp-Notebook .jp-Cell").evaluate_all(IS_CODE)
    for index, is_code in enumerate(code):
        page.keyboard.press("Shift+Enter" if index < len(code) - 1 else "Control+Enter")  # no new cell after the last
        if is_code:
            page.wait_for_function(HAS_RUN, arg=index)  # checked at every animation frame
    wait_until_idle(page)


def read_cells(page: Page) -> list[CellView]:
    return [CellView(**cell) for cell in page.locator(".jp-Notebook .jp-Cell").evaluate_all(READ_CELLS)]


def unlabelled_controls(root: Locator) -> list[str]:
    """Widget controls under `root` that have neither an accessible name nor a description beside them."""
    return root.evaluate(UNLABELLED_CONTROLS)


def pop_ups(page: Page) -> list[str]:
    """The text of every notification toast on the page (JupyterLab's news and update questions are toasts)."""
    return page.locator(".Toastify__toast").all_inner_texts()


def shown_by(output: Locator) -> str:
    """What an output area shows, images included (their data), for telling a change."""
    return output.inner_html()


def wait_for_change(output: Locator, before: str) -> None:
    """Until the output area shows something, and something other than `before`."""
    output.page.wait_for_function(
        "([area, before]) => area.innerHTML !== before && (area.textContent.trim() !== '' || "
        "[...area.querySelectorAll('img')].some(img => img.complete && img.naturalWidth > 0))",
        arg=[output.element_handle(), before])


def run_cell(page: Page, cell: Locator) -> None:
    """Run one cell again (click it, Ctrl+Enter) and wait until it has finished and the kernel is idle."""
    prompt = cell.locator(".jp-InputPrompt")
    before = prompt.text_content()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    page.wait_for_function(RAN_AGAIN, arg=[prompt.element_handle(), before])
    wait_until_idle(page)


def replace_source(page: Page, cell: Locator, source: str) -> None:
    """Type `source` over a code cell's text, as pasting would (no auto-indent or closing brackets added)."""
    cell.locator(".jp-InputArea-editor .cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(source)
    page.keyboard.press("Escape")


def save(page: Page) -> None:
    """File > Save (Ctrl+S); wait until the notebook's tab no longer shows unsaved changes."""
    page.keyboard.press("Control+s")
    expect(page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")).to_have_count(0)
