"""The student's experience, in a real JupyterLab and a real browser.

One `make lab` server (loopback, random token) and one Debian Chromium for the whole module. For every
lesson, in a fresh workspace: the released notebook, run cell by cell, fails only in its exercises and
shows its explanations, plots and widgets; the solution notebook runs without a red line and its main
widget answers the student. nbgrader's Validate gives the right verdict; no news or update question
pops up; widget controls are labelled. The repository is unchanged afterwards and the server is gone.

Screenshots of every lesson after its run are written to tests/screenshots/ (git-ignored), for humans.
Skipped only where chromium is missing outside CI; in CI (`CI` set) a missing chromium is a failure,
since `make test` installs it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from helpers import overview
from helpers.progress import exercises
from tests.jupyterlab_page import (
    CHROMIUM,
    WIDGET_FAILURES,
    CellView,
    launch_chromium,
    open_notebook,
    pop_ups,
    read_cells,
    replace_source,
    run_cell,
    run_every_cell,
    save,
    shown_by,
    unlabelled_controls,
    wait_for_change,
)
from tests.lab_server import Lab, running_lab
from tests.notebooks import (
    RELEASED,
    ROOT,
    grade_cell_ids,
    nbgrader,
    read,
    released_notebooks,
    solution_notebooks,
    solved,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENSHOTS = ROOT / "tests" / "screenshots"
LESSONS = [path.parent.name for path in solution_notebooks()]
OVERVIEW = "notebooks/overview.ipynb"          # what `make lab` opens
PROBLEMS = ("No nbgrader_config.py", "Unwritable", "Permission denied")
MAKES_A_WIDGET = re.compile(r"(explorer|stepper)\(.*\)\s*$")  # helpers' widget factories, called last in a cell


def _notebook(tree: str, lesson: str) -> str:
    """The path of a lesson's notebook in `tree` ("notebooks" or "solutions"), relative to the repository."""
    return next((ROOT / tree / lesson).glob("*.ipynb")).relative_to(ROOT).as_posix()


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--", "notebooks", "solutions"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: `make test` installs Debian's chromium as root")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    before = _git_status()
    with running_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server
        server_log = server.log.read_text()
    for problem in PROBLEMS:
        assert problem not in server_log
    assert _git_status() == before, "the browser tests left notebooks changed in the repository"


@pytest.fixture(scope="module")
def browser(lab) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def notebook_page(lab, browser) -> Iterator[Callable[[str], Page]]:
    """Opens notebooks in new tabs; closes them and shuts their kernels down afterwards."""
    pages = []

    def open_(path: str) -> Page:
        pages.append(open_notebook(browser, lab, path))
        return pages[-1]

    yield open_
    for page in pages:
        page.close()
    lab.shut_down_kernels()


def _screenshot(page: Page, name: str, cell: Locator | None = None) -> None:
    """Save what the page shows, scrolled to `cell` if given, as tests/screenshots/<name>.png."""
    if cell is not None:
        cell.evaluate("cell => cell.scrollIntoView({block: 'start'})")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def _run_whole_notebook(tree: str, lesson: str, notebook_page):
    """Open the lesson's notebook of `tree` in JupyterLab, run every cell, check it renders; (path, page, views)."""
    path = _notebook(tree, lesson)
    page = notebook_page(path)
    run_every_cell(page)
    views = read_cells(page)
    _assert_it_renders(path, page, views)
    return path, page, views


def _assert_it_renders(path: str, page: Page, views: list[CellView]) -> None:
    """Every cell ran; prose and formulas are typeset; cells that show a plot show an image; widgets draw."""
    cells = read(ROOT / path).cells
    assert len(views) == len(cells)
    assert "Lesson" in views[0].markdown
    for number, (cell, view) in enumerate(zip(cells, views)):
        where = f"{path} cell {number}: {cell.source[:50]!r}"
        if cell.cell_type == "markdown":
            assert view.markdown.strip(), f"{where} is not rendered"
            assert view.math or "$" not in cell.source, f"{where}: MathJax typeset none of its formulas"
            continue
        assert re.search(r"\[\d+\]", view.prompt), f"{where} did not run ({view.prompt})"
        assert "<Figure size" not in view.output, f"{where} printed a figure instead of drawing it"
        if "plt.show()" in cell.source and not view.errors:
            assert view.images, f"{where} shows no image"
        if MAKES_A_WIDGET.search(cell.source) and not view.errors:
            assert view.widgets, f"{where} shows no widget"
        for failure in WIDGET_FAILURES:
            assert failure not in view.output, f"{where} shows {failure!r}"
    assert unlabelled_controls(page.locator(".jp-Notebook")) == []
    assert pop_ups(page) == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_released_notebook_fails_only_in_its_exercises(lesson, notebook_page):
    path, page, views = _run_whole_notebook("notebooks", lesson, notebook_page)
    cells = read(ROOT / path).cells
    for number, (cell, view) in enumerate(zip(cells, views)):
        where = f"{path} cell {number}: {cell.source[:50]!r}"
        if nbgrader(cell).get("grade"):
            assert view.errors and all("is not written yet" in error for error in view.errors), where
        elif "uses-exercises" in cell.metadata.get("tags", []):
            # helpers.unwritten shows a stub's NotImplementedError as one line saying which exercise to write
            assert all("NotImplementedError" in error or "is not written yet" in error for error in view.errors), \
                (where, view.errors)
        else:
            assert not view.errors, (where, view.errors)
    first_check = next(n for n, cell in enumerate(cells) if nbgrader(cell).get("grade"))
    _screenshot(page, f"{lesson}-released", page.locator(".jp-Notebook .jp-Cell").nth(first_check - 1))


@dataclass(frozen=True)
class MainWidget:
    """A lesson's main widget: the control a student uses, what they do with it, and the button (if any)
    they press to see the result."""
    control: Callable[[Page], Locator]
    use: Callable[[Locator], None]
    button: str | None = None


def _slider(label: str) -> Callable[[Page], Locator]:
    """ipywidgets' sliders carry no accessible name: find one by the description beside it."""
    def find(page: Page) -> Locator:
        row = page.locator(".widget-slider", has=page.locator(".widget-label", has_text=label))
        return row.get_by_role("slider")
    return find


def _named(role: str, name: str) -> Callable[[Page], Locator]:
    return lambda page: page.get_by_role(role, name=name, exact=True)


def _type(word: str) -> Callable[[Locator], None]:
    def use(box: Locator) -> None:
        box.fill(word)
        box.press("Enter")
    return use


MAIN_WIDGETS = {
    "01_matrix_vs_loop": MainWidget(_slider("N windows"), lambda slider: slider.press("ArrowLeft"), button="Time it"),
    "02_jacobians": MainWidget(_named("button", "tanh"), Locator.click),
    "03_backprop_nodes": MainWidget(_slider("step"), lambda slider: slider.press("ArrowRight")),
    "04_word2vec": MainWidget(_named("textbox", "word"), _type("river")),
    "05_lstm_gates": MainWidget(_slider("spectral radius of W_h"), lambda slider: slider.press("ArrowRight")),
    "06_self_attention": MainWidget(_named("combobox", "head"), lambda menu: menu.select_option("1")),
}


def _use_and_see_it_change(page: Page, widget: MainWidget) -> Locator:
    """Use the widget's control; assert that its output changes. Returns the widget's output area."""
    control = widget.control(page)
    whole = page.locator(".jp-OutputArea-output > .jupyter-widgets", has=control)
    output = whole.locator(".widget-output").first
    press = whole.get_by_role("button", name=widget.button, exact=True) if widget.button else None
    if press:
        press.click()
        wait_for_change(output, "")
    before = shown_by(output)
    widget.use(control)
    if press:
        expect(press).to_be_enabled()  # disabled while the kernel runs the previous press
        press.click()
    wait_for_change(output, before)
    return whole


def test_main_widgets_cover_every_lesson():
    assert sorted(MAIN_WIDGETS) == LESSONS


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_notebook_runs_clean_and_its_main_widget_responds(lesson, notebook_page):
    path, page, views = _run_whole_notebook("solutions", lesson, notebook_page)
    red = [(number, view.errors) for number, view in enumerate(views) if view.errors]
    assert not red, f"{path}: cells show errors: {red}"
    widget = _use_and_see_it_change(page, MAIN_WIDGETS[lesson])
    _screenshot(page, f"{lesson}-solution", page.locator(".jp-Notebook .jp-Cell", has=widget))


def test_validate_passes_a_solved_notebook_and_fails_an_unsolved_one(notebook_page):
    """Lesson 3, the quickest to run: its solution passes; the released notebook fails every test cell."""
    solved, unsolved = _notebook("solutions", "03_backprop_nodes"), _notebook("notebooks", "03_backprop_nodes")
    reports = {}
    for path in (solved, unsolved):
        stored = (ROOT / path).read_bytes()  # Validate saves the notebook (with kernel metadata): restore it
        try:
            page = notebook_page(path)
            page.locator(".jp-ToolbarButtonComponent-label", has_text="Validate").click()
            dialog = page.locator(".jp-Dialog")
            expect(dialog.locator(".validation-success, .validation-failed")).to_be_visible()
            reports[path] = dialog.inner_text()
            _screenshot(page, f"validate-{Path(path).parts[0]}")
            dialog.get_by_role("button", name="Ok").click()
        finally:
            (ROOT / path).write_bytes(stored)
    assert "Success! Your notebook passes all the tests." in reports[solved]
    assert "failed" not in reports[solved]
    assert reports[unsolved].count("The following cell failed") == len(grade_cell_ids(ROOT / unsolved))
    assert "`add_backward` is not written yet" in reports[unsolved] and "Success" not in reports[unsolved]


def test_make_lab_opens_the_overview_with_nbgrader_working(lab, notebook_page):
    """The notebook `make lab` opens (the course overview), and nbgrader's student and instructor panels,
    without a problem."""
    page = notebook_page(OVERVIEW)
    expect(page.locator(".jp-RenderedMarkdown h1", has_text="From Loops to Attention")).to_be_visible()
    texts = {}
    for item, expected in [("Assignment List", "Released assignments"), ("Course List", "loops-to-attention")]:
        page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
        page.locator(".lm-Menu-itemLabel", has_text=item).first.click()
        page.locator("#jp-main-dock-panel").get_by_text(expected).first.wait_for()
        texts[item] = page.locator("#jp-main-dock-panel").inner_text()
    page.goto(lab.address("/formgrader/manage_assignments"))
    page.locator("td", has_text="01_matrix_vs_loop").first.wait_for()
    texts["Formgrader"] = page.inner_text("body")
    for item, text in texts.items():
        for problem in PROBLEMS:
            assert problem not in text, f"{item} shows {problem!r}"


def test_jupyterlab_is_told_not_to_ask_about_news_or_updates(lab):
    """The project's settings overrides (lab-settings/, installed by `make setup`) are the defaults in effect."""
    plugin = lab.api("GET", "/lab/api/settings/@jupyterlab/apputils-extension:notification")
    defaults = {name: field.get("default") for name, field in plugin["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False
    assert plugin["settings"] == {}, "user settings, not the project's overrides, decide"


def test_an_unlabelled_widget_control_is_found(browser):
    """The label check flags an icon-only button and a slider with no description, and passes labelled ones."""
    page = browser.new_page()
    page.set_content("""
        <div class="jupyter-widgets widget-inline-hbox"><label class="widget-label">step</label>
             <div role="slider" tabindex="0"></div></div>
        <div class="jupyter-widgets widget-inline-hbox"><label class="widget-label"></label>
             <div role="slider" tabindex="0" id="bare"></div></div>
        <div class="jupyter-widgets"><button>Time it</button><button id="icon"><i class="fa fa-play"></i></button>
             <label for="w">word</label><input id="w"></div>""")
    found = unlabelled_controls(page.locator("body"))
    page.close()
    assert len(found) == 2 and 'id="bare"' in found[0] and 'id="icon"' in found[1]


# The overview, progress and hints ------------------------------------------------------------------------

OVERVIEW = f"notebooks/{overview.NAME}"
PROGRESS_TABLE = "table.l2a-progress"


def _overview_cells(page: Page) -> tuple[Locator, Locator]:
    """(the overview's list of lessons, its progress cell)."""
    cells = read(ROOT / OVERVIEW).cells
    listed = next(n for n, c in enumerate(cells) if overview.LIST_TAG in c.metadata.get("tags", []))
    code = next(n for n, c in enumerate(cells) if c.cell_type == "code")
    every = page.locator(".jp-Notebook .jp-Cell")
    return every.nth(listed), every.nth(code)


def _exercise_row(cell: Locator, name: str) -> Locator:
    return cell.locator(f"{PROGRESS_TABLE} tr", has=cell.page.locator("code", has_text=re.compile(f"^{name}$")))


def test_the_overview_lists_every_lesson_shows_progress_and_opens_a_lesson(notebook_page):
    """What `make lab` opens: every lesson with what it teaches and a link; the progress cell's table (of the
    released, unsolved notebooks: every exercise to do); a click on a lesson opens it."""
    page = notebook_page(OVERVIEW)
    listed, progress = _overview_cells(page)
    lessons = overview.readme_lessons((ROOT / "README.md").read_text())
    for lesson in lessons:
        expect(listed.get_by_role("link", name=lesson.teaches, exact=True)).to_be_visible()
    run_cell(page, progress)
    expect(progress.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).to_have_count(0)
    for lesson in lessons:
        module = next((RELEASED / lesson.folder).glob("*.ipynb")).stem
        header = progress.locator(f"{PROGRESS_TABLE} th", has_text=f"{lesson.folder}: 0 of ")
        expect(header).to_have_count(1)
        for name in exercises(module):
            expect(_exercise_row(progress, name)).to_contain_text("· to do")
    assert unlabelled_controls(page.locator(".jp-Notebook")) == [] and pop_ups(page) == []
    _screenshot(page, "overview-progress", progress)
    listed.get_by_role("link", name=lessons[0].teaches, exact=True).click()
    expect(page.locator(".jp-RenderedMarkdown h1", has_text="Lesson 1")).to_be_visible()


@pytest.fixture
def course_copy() -> Iterator[Path]:
    """A student's copy of the overview and lesson 1, inside the repository (JupyterLab serves only its folder,
    and hides dot-folders), removed afterwards. Yields its notebooks folder, relative to the repository."""
    top = ROOT / f"progress-test-{uuid.uuid4().hex[:8]}"
    copy = top / "notebooks"
    copy.mkdir(parents=True)
    shutil.copy(RELEASED / overview.NAME, copy)
    shutil.copytree(RELEASED / "01_matrix_vs_loop", copy / "01_matrix_vs_loop")
    try:
        yield copy.relative_to(ROOT)
    finally:
        shutil.rmtree(top)


def test_progress_changes_when_an_exercise_is_solved_and_saved(course_copy, notebook_page):
    """In the copy: the overview says window_matrix is to do; the student writes it in lesson 1 and saves;
    the overview, run again, says it passes, and still that the next exercise is to do."""
    overview_page = notebook_page(f"{course_copy}/{overview.NAME}")
    _, progress = _overview_cells(overview_page)
    run_cell(overview_page, progress)
    expect(_exercise_row(progress, "window_matrix")).to_contain_text("· to do")

    lesson = f"{course_copy}/01_matrix_vs_loop/matrix_vs_loop.ipynb"
    cells = read(ROOT / lesson).cells
    index = next(n for n, c in enumerate(cells) if nbgrader(c).get("grade_id") == "window_matrix")
    answer = next(c.source for c in solved("01_matrix_vs_loop").cells if nbgrader(c).get("grade_id") == "window_matrix")
    lesson_page = notebook_page(lesson)
    replace_source(lesson_page, lesson_page.locator(".jp-Notebook .jp-Cell").nth(index), answer)
    save(lesson_page)
    assert read(ROOT / lesson).cells[index].source == answer, "the browser did not save what was typed"

    run_cell(overview_page, progress)
    expect(_exercise_row(progress, "window_matrix")).to_contain_text("✓ passes")
    expect(_exercise_row(progress, "score_windows")).to_contain_text("· to do")
    solved_one = f"01_matrix_vs_loop: 1 of {len(exercises('matrix_vs_loop'))} exercises pass"
    expect(progress.locator(f"{PROGRESS_TABLE} th", has_text=solved_one)).to_have_count(1)
    _screenshot(overview_page, "overview-progress-after-solving", progress)


def _first_hint() -> tuple[str, int] | None:
    """(released notebook, index of its first markdown cell with a <details> hint), lessons in course order."""
    for path in released_notebooks():
        for index, cell in enumerate(read(path).cells):
            if cell.cell_type == "markdown" and "<details" in cell.source:
                return path.relative_to(ROOT).as_posix(), index
    return None


def test_a_hint_is_collapsed_until_clicked(notebook_page):
    found = _first_hint()
    if found is None:
        pytest.skip("no released notebook has a hint yet (a markdown cell with <details><summary>Hint 1: …)")
    path, index = found
    page = notebook_page(path)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    details = cell.locator(".jp-RenderedMarkdown details").first
    summary = details.locator("summary")
    expect(summary).to_contain_text("Hint 1")
    assert details.evaluate("details => details.open") is False
    assert details.inner_text().strip() == summary.inner_text().strip(), "the hint shows before it is opened"
    summary.click()
    expect(details).to_have_attribute("open", "")
    assert len(details.inner_text().strip()) > len(summary.inner_text().strip()), "the opened hint shows nothing"
    _screenshot(page, "hint-open", cell)
