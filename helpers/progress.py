"""Which exercises pass their visible check: at the end of a lesson, and for the whole course.

A lesson's last cell, `lesson_status("matrix_vs_loop")`, runs each exercise's visible check
(`helpers.checks.<lesson>.check_<name>`) on the function of that name in the student's kernel, quietly,
and shows one row per exercise: ✓ it passes, ✗ the first line of what the check says, · not written
(or not run) yet.

`course_progress("notebooks")` does the same for every lesson without touching the student's notebooks
(the overview notebook shows it, `course progress` prints it): it executes a copy of each saved lesson
notebook in a fresh local kernel, in a scratch folder, running only the exercises and the cells they need
(demos are skipped as grading skips them, by helpers.grading.cells.SkipDemoCells), then the same checks,
whose results come back as data, never as printed text.
"""
from __future__ import annotations

import contextlib
import copy
import html
import importlib
import io
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from helpers.checks.core import CheckFailed, not_written

DONE, WRONG, TODO = "✓", "✗", "·"
WORDS = {DONE: "passes", WRONG: "fails", TODO: "to do"}     # beside each mark, for screen readers and clarity
NOT_WRITTEN = not_written("").problem                          # what every check says of an unwritten stub
NOT_RUN = "not run yet: run its cell"
MIME = "application/vnd.loops-to-attention.progress+json"     # how a copy's kernel sends its statuses back
CELL_SECONDS = 120                                             # per cell, as nbgrader's Execute (nbgrader_config.py)


@dataclass(frozen=True)
class Status:
    """One exercise: its mark (DONE, WRONG or TODO) and what to say beside it."""
    exercise: str
    mark: str
    note: str = ""


@dataclass(frozen=True)
class LessonProgress:
    """The statuses of a lesson's `total` exercises, or the problem that kept us from having them."""
    lesson: str
    total: int
    statuses: tuple[Status, ...] = ()
    problem: str = ""

    @property
    def done(self) -> int:
        return sum(status.mark == DONE for status in self.statuses)

    def summary(self) -> str:
        if self.problem:
            return self.problem
        return f"{self.done} of {self.total} exercises pass their visible check"

    def lines(self) -> list[str]:
        width = max((len(status.exercise) for status in self.statuses), default=0)
        rows = [f"  {s.mark} {s.exercise:<{width}}  {s.note}".rstrip() for s in self.statuses]
        return [f"{self.lesson}: {self.summary()}", *rows]

    def rows_html(self) -> str:
        head = (f'<tr><th colspan="3" style="text-align:left">{html.escape(self.lesson)}: '
                f"{html.escape(self.summary())}</th></tr>")
        return head + "".join(
            f'<tr><td style="text-align:left">{s.mark} {WORDS[s.mark]}</td>'
            f'<td style="text-align:left"><code>{html.escape(s.exercise)}</code></td>'
            f'<td style="text-align:left">{html.escape(s.note)}</td></tr>' for s in self.statuses)

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_pretty_(self, printer, cycle) -> None:   # IPython's plain-text display
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return f'<table class="l2a-progress">{self.rows_html()}</table>'


@dataclass(frozen=True)
class CourseProgress:
    """Every lesson's progress, in course order."""
    lessons: tuple[LessonProgress, ...]

    def summary(self) -> str:
        total = sum(lesson.total for lesson in self.lessons)
        done = sum(lesson.done for lesson in self.lessons)
        return f"{done} of {total} exercises pass their visible check."

    def __str__(self) -> str:
        return "\n\n".join(str(lesson) for lesson in self.lessons) + f"\n\nCourse: {self.summary()}"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        rows = "".join(lesson.rows_html() for lesson in self.lessons)
        return (f'<table class="l2a-progress">{rows}</table>'
                f"<p><strong>Course:</strong> {html.escape(self.summary())}</p>")


# In a kernel: the lesson's own status ------------------------------------------------------------------

def exercises(lesson_module: str) -> list[str]:
    """The exercises of a lesson, in the order of its visible checks' module, helpers.checks.<lesson_module>:
    the keys of its ANSWERS (CONTRIBUTING.md), or, in a module not yet converted to them, the `check_<name>`
    functions it defines."""
    try:
        module = importlib.import_module(f"helpers.checks.{lesson_module}")
    except ModuleNotFoundError:
        raise ValueError(f"lesson_module: no visible checks named helpers.checks.{lesson_module!s:.80}; give a "
                         "lesson notebook's name without its number, e.g. 'matrix_vs_loop'") from None
    if hasattr(module, "ANSWERS"):
        return list(module.ANSWERS)
    return [name.removeprefix("check_") for name, value in vars(module).items()
            if name.startswith("check_") and getattr(value, "__module__", None) == module.__name__]


def status(lesson_module: str, exercise: str, namespace: dict) -> Status:
    """Run the visible check of `exercise` on `namespace[exercise]`, capturing what it prints."""
    fn = namespace.get(exercise)
    if fn is None:
        return Status(exercise, TODO, NOT_RUN)
    check = getattr(importlib.import_module(f"helpers.checks.{lesson_module}"), f"check_{exercise}")
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(fn)
    except CheckFailed as failure:
        if failure.problem == NOT_WRITTEN:
            return Status(exercise, TODO, "not written yet")
        return Status(exercise, WRONG, str(failure).splitlines()[0])
    except Exception as error:  # noqa: BLE001 — whatever the student's code makes the check raise is a fail
        return Status(exercise, WRONG, f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}")
    return Status(exercise, DONE)


def lesson_status(lesson_module: str, namespace: dict | None = None) -> LessonProgress:
    """The status of every exercise of a lesson, checked on the functions of the running notebook (or of
    `namespace`). lesson_module: the lesson notebook's name without its number, e.g. 'matrix_vs_loop'."""
    if not isinstance(lesson_module, str):
        raise TypeError(f"lesson_module must be a lesson's name such as 'matrix_vs_loop', not a "
                        f"{type(lesson_module).__name__}")
    if namespace is None:
        from IPython import get_ipython
        shell = get_ipython()
        if shell is None:
            raise RuntimeError("lesson_status needs a running notebook, or the functions given as `namespace`")
        namespace = shell.user_ns
    names = exercises(lesson_module)
    return LessonProgress(lesson_module, len(names), tuple(status(lesson_module, name, namespace) for name in names))


def publish(lesson_module: str) -> None:
    """In a copy's kernel: send the lesson's statuses to the process that runs the copy, as data."""
    from IPython.display import display

    statuses = lesson_status(lesson_module).statuses
    display({MIME: [[s.exercise, s.mark, s.note] for s in statuses]}, raw=True)


# Outside: every lesson, from copies of the saved notebooks ----------------------------------------------

def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _outputs_error(cell) -> str:
    """'SyntaxError: invalid syntax' if the executed cell ended in an error, else ''."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            first = (str(output.get("evalue", "")).splitlines() or [""])[0]
            return f"{output.get('ename', 'Error')}: {first}"[:300]
    return ""


def lesson_copy(notebook, instructor_sources: list[str], lesson_module: str):
    """What runs in place of the student's notebook: their solution cells and what those need, without the
    test cells (the status cell runs the same checks), then a cell that publishes the statuses."""
    import nbformat

    from helpers.grading.cells import SkipDemoCells

    runs = copy.deepcopy(notebook)
    for cell in runs.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if _nbgrader(cell).get("grade") and not _nbgrader(cell).get("solution"):
                cell.source = ""
    runs, _ = SkipDemoCells(instructor_sources=instructor_sources).preprocess(runs, {})
    runs.cells.append(nbformat.v4.new_code_cell(
        f"import helpers.progress\nhelpers.progress.publish({lesson_module!r})"))
    return runs


def _unix_sockets(folder: Path) -> Config:
    """The copy's kernel talks over Unix sockets in `folder` (given as an absolute path: the kernel runs
    there, we do not), which only this user can open, and about which ipykernel 7 does not warn on
    stderr as it does about unencrypted TCP."""
    return Config({"KernelManager": {"transport": "ipc", "ip": str(folder.resolve() / "kernel")}})


def instructor_sources(solution: Path) -> list[str]:
    """The code cells of a lesson's released notebook that are not exercises or their tests: the same in its
    solution notebook, since a release changes only those (tests/test_progress.py holds it to that)."""
    import nbformat

    return [cell.source for cell in nbformat.read(solution, as_version=4).cells
            if cell.cell_type == "code" and not (_nbgrader(cell).get("solution") or _nbgrader(cell).get("grade"))]


def notebook_exercises(solution: Path) -> list[str]:
    """The exercises of a lesson notebook, in its order: its solution cells' grade_ids."""
    import nbformat

    return [_nbgrader(cell)["grade_id"] for cell in nbformat.read(solution, as_version=4).cells
            if _nbgrader(cell).get("solution")]


def run_lesson(path: Path, solution: Path, seconds: int = CELL_SECONDS) -> LessonProgress:
    """Execute a copy of the lesson notebook at `path` in a fresh kernel; the statuses it sends back, in the
    order of the lesson's exercises. A notebook that is missing, unreadable or does not finish is reported as
    the lesson's problem. `solution`: the lesson's solution notebook, solutions/NN_name/name.ipynb."""
    import nbformat
    from helpers.notebook_client import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    lesson, lesson_module = solution.parent.name, solution.stem
    total = len(exercises(lesson_module))

    def problem(text: str) -> LessonProgress:
        return LessonProgress(lesson, total, problem=text[:300])

    if not path.is_file():
        return problem(f"no notebook at {path}")
    try:
        runs = lesson_copy(nbformat.read(path, as_version=4), instructor_sources(solution), lesson_module)
    except Exception as error:  # noqa: BLE001 — not JSON, not a notebook, cells without sources...
        return problem(f"could not read {path.name}: {type(error).__name__}: {error}")
    running = []                               # the cells started so far, to name the one that timed out
    with tempfile.TemporaryDirectory(prefix="progress-") as scratch:
        client = NotebookClient(runs, timeout=seconds, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": scratch}}, config=_unix_sockets(Path(scratch)),
                                on_cell_execute=lambda cell, cell_index: running.append(cell))
        try:
            client.execute()
        except CellTimeoutError:
            first = running[-1].source.strip().splitlines()[0][:60] if running else ""
            return problem(f"the cell starting `{first}` ran over {seconds} s and was stopped (an endless loop?)")
        except DeadKernelError:
            return problem("its kernel died while running a copy of the notebook")
        except Exception as error:  # noqa: BLE001 — a kernel that could not start
            return problem(f"a copy could not run: {type(error).__name__}: {error}")
    sent = [output["data"][MIME] for output in runs.cells[-1].outputs if MIME in output.get("data", {})]
    if not sent:
        return problem(f"no status came back: {_outputs_error(runs.cells[-1]) or 'the kernel sent none'}")
    raised = {_nbgrader(cell).get("grade_id"): _outputs_error(cell) for cell in runs.cells
              if _nbgrader(cell).get("solution")}
    statuses = []
    for exercise, mark, note in sent[0]:
        if note == NOT_RUN:             # every cell ran: the function's cell failed, or it is not in the notebook
            mark, note = ((WRONG, f"its cell raised {raised[exercise]}") if raised.get(exercise) else
                          (TODO, "not found in the notebook"))
        statuses.append(Status(exercise, mark, note))
    order = notebook_exercises(solution)
    statuses.sort(key=lambda s: order.index(s.exercise) if s.exercise in order else len(order))
    return LessonProgress(lesson, total, tuple(statuses))


def course_progress(notebooks_dir: str | Path = "notebooks") -> CourseProgress:
    """Every lesson's status, from a copy of each notebook in `notebooks_dir` (a folder per lesson, as
    `course release` makes notebooks/); the lessons are those of the course's solutions/."""
    from tqdm.auto import tqdm

    from helpers.course import SOLUTIONS, lessons

    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise ValueError(f"notebooks_dir: no such folder: {folder.resolve()}")
    if not SOLUTIONS.is_dir():     # a plain install of the helpers package, as on a JupyterHub
        raise ValueError(f"course progress needs the course's repository, whose solutions/ names the lessons; "
                         f"{SOLUTIONS} is not there")
    results = []
    for lesson in tqdm(lessons(), desc="Running a copy of each lesson", unit="lesson", leave=False):
        solution = next((SOLUTIONS / lesson).glob("*.ipynb"))
        results.append(run_lesson(folder / lesson / solution.name, solution))
    return CourseProgress(tuple(results))
