"""Progress: each lesson's status in its own kernel, the course's from copies of the saved notebooks, and the
overview notebook that shows it.

The statuses are honest: a right answer turns ✓, a known mistake ✗ with the first line its check says, a
stub · (for every exercise of every lesson, in-process); a copy of a notebook in a real kernel gives the
same, and a missing, unreadable, broken or endless notebook is reported, the student's file untouched.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from helpers import overview
from helpers.course import lessons
from helpers.progress import DONE, NOT_RUN, TODO, WRONG, LessonProgress, Status, course_progress, exercises, \
    instructor_sources, lesson_status, notebook_exercises, run_lesson, status
from tests.notebooks import COURSE, RELEASED, ROOT, SOLUTIONS, nbgrader, read, reference_namespace, \
    released_notebooks, run_source, solution_notebooks, solved

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # mutants overflow on purpose
LESSONS = lessons()


def _solution(lesson: str) -> Path:
    return next((SOLUTIONS / lesson).glob("*.ipynb"))


def _module(lesson: str) -> str:
    return _solution(lesson).stem


def _stub(*args, **kwargs):
    raise NotImplementedError()


# The rules progress relies on ---------------------------------------------------------------------------

def test_lessons_are_the_folders_and_the_overview_is_the_one_notebook_beside_them():
    """A lesson is a folder of solutions/ (an nbgrader assignment) with one notebook; the overview is no lesson."""
    assert sorted(p.name for p in SOLUTIONS.iterdir() if p.is_file()) == [overview.NAME]
    assert [p.parent.name for p in solution_notebooks()] == LESSONS
    assert [p.parent.name for p in released_notebooks()] == LESSONS
    assert all(not name.startswith("overview") for name in LESSONS)
    assert all(len(list((SOLUTIONS / lesson).glob("*.ipynb"))) == 1 for lesson in LESSONS)
    course = CourseDirectory(root=str(ROOT), source_directory=SOLUTIONS.name, release_directory=RELEASED.name)
    assert sorted(NbGraderAPI(coursedir=course).get_source_assignments()) == LESSONS, "nbgrader's assignments"


def test_the_readme_table_lists_every_lesson_once_in_order():
    rows = overview.readme_lessons((ROOT / "README.md").read_text())
    assert [row.folder for row in rows] == LESSONS
    assert [row.number for row in rows] == list(range(1, len(LESSONS) + 1))


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_lessons_checks_are_its_exercises(lesson):
    """lesson_status lists the check module's exercises: exactly the notebook's solution cells."""
    cells = [nbgrader(c)["grade_id"] for c in read(_solution(lesson)).cells if nbgrader(c).get("solution")]
    assert sorted(exercises(_module(lesson))) == sorted(cells) and len(set(cells)) == len(cells)
    module = importlib.import_module(f"helpers.checks.{_module(lesson)}")
    assert all(callable(getattr(module, f"check_{name}", None)) for name in cells)


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_release_changes_only_exercises_and_tests(lesson):
    """What the copies skip is decided from the solution notebook's other code cells: the released ones."""
    released = [c.source for c in read(RELEASED / lesson / _solution(lesson).name).cells
                if c.cell_type == "code" and not (nbgrader(c).get("solution") or nbgrader(c).get("grade"))]
    assert instructor_sources(_solution(lesson)) == released


# A lesson's own status, in-process (the same function runs in the kernel) -------------------------------

def _mutants(lesson: str) -> dict:
    return importlib.import_module(f"tests.mutants.{_module(lesson)}").MUTANTS


@pytest.mark.parametrize("lesson", LESSONS)
def test_right_answers_pass_stubs_are_to_do_and_missing_ones_not_run(lesson):
    namespace = reference_namespace(_solution(lesson))
    names = exercises(_module(lesson))
    assert lesson_status(_module(lesson), namespace).statuses == tuple(Status(name, DONE) for name in names)
    stubs = {**namespace, **{name: _stub for name in names}}
    assert lesson_status(_module(lesson), stubs).statuses == tuple(Status(n, TODO, "not written yet") for n in names)
    missing = {key: value for key, value in namespace.items() if key not in names}
    assert lesson_status(_module(lesson), missing).statuses == tuple(Status(n, TODO, NOT_RUN) for n in names)


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_wrong_answer_fails_with_the_first_line_of_its_check(lesson, capsys):
    """Every exercise in turn gets a known mistake (its first mutant the visible check catches); it alone fails."""
    namespace = reference_namespace(_solution(lesson))
    for name, mutants in _mutants(lesson).items():
        mutant = next(m for m in mutants if m.visible)
        result = lesson_status(_module(lesson), {**namespace, name: mutant.fn})
        wrong = [s for s in result.statuses if s.mark != DONE]
        assert [s.exercise for s in wrong] == [name] and wrong[0].mark == WRONG, (name, mutant, wrong)
        assert wrong[0].note and "\n" not in wrong[0].note
        assert result.summary() == f"{len(result.statuses) - 1} of {len(result.statuses)} exercises pass " \
                                   "their visible check"
    assert capsys.readouterr().out == "", "the checks ran quietly"


def test_lesson_status_refuses_what_is_not_a_lesson():
    with pytest.raises(ValueError, match="lesson_module: no visible checks named helpers.checks.nope"):
        lesson_status("nope", {})
    with pytest.raises(TypeError, match="lesson_module must be a lesson's name"):
        lesson_status(importlib.import_module("helpers.checks.matrix_vs_loop"), {})


def test_statuses_render_as_text_and_escaped_html():
    progress = LessonProgress("01_x", 3, (Status("f", DONE), Status("g", WRONG, "`g` returned <b>1</b>"),
                                       Status("h", TODO, "not written yet")))
    assert str(progress).splitlines() == ["01_x: 1 of 3 exercises pass their visible check", "  ✓ f",
                                          "  ✗ g  `g` returned <b>1</b>", "  · h  not written yet"]
    page = progress._repr_html_()
    assert "&lt;b&gt;1&lt;/b&gt;" in page and "<b>" not in page
    assert "✓ passes" in page and "✗ fails" in page and "· to do" in page


# The course's progress, from copies of notebooks in real kernels --------------------------------------------

LESSON_1 = "01_matrix_vs_loop"
WRONG_SCORES = "def score_windows(X, W, b, u):\n    return np.tanh(X @ W) @ u\n"   # the bias is missing
STUDENT_HELPER = ("def unit_rows(A):\n    norms = np.linalg.norm(A, axis=1, keepdims=True)\n"
                  "    return A / np.maximum(norms, 1e-12)\n")
USES_HELPER = "def cosine_similarity_matrix(A):\n    return unit_rows(A) @ unit_rows(A).T\n"
BROKEN = "def pairwise_sq_distances(A, B):\n    return A @@ B\n"


def _student_lesson_1():
    """Lesson 1 as a student left it: one exercise wrong, one a stub, one solved with a helper of their own
    in a cell they added, one that does not parse, the rest solved."""
    notebook = solved(LESSON_1)
    stubs = {nbgrader(c)["grade_id"]: c.source for c in read(RELEASED / LESSON_1 / _solution(LESSON_1).name).cells
             if nbgrader(c).get("solution")}
    sources = {"score_windows": WRONG_SCORES, "softmax_rows": stubs["softmax_rows"],
               "cosine_similarity_matrix": USES_HELPER, "pairwise_sq_distances": BROKEN}
    for index, cell in enumerate(list(notebook.cells)):
        name = nbgrader(cell).get("grade_id")
        if nbgrader(cell).get("solution") and name in sources:
            cell.source = sources[name]
            if name == "cosine_similarity_matrix":
                notebook.cells.insert(index, nbformat.v4.new_code_cell(STUDENT_HELPER))
    return notebook


@pytest.fixture(scope="module")
def student_course(tmp_path_factory) -> Path:
    """A student's notebooks/: lesson 1 half done, lesson 3 not a notebook, the others not there."""
    folder = tmp_path_factory.mktemp("student") / "notebooks"
    (folder / LESSON_1).mkdir(parents=True)
    nbformat.write(_student_lesson_1(), folder / LESSON_1 / _solution(LESSON_1).name)
    (folder / "03_backprop_nodes").mkdir()
    (folder / "03_backprop_nodes" / _solution("03_backprop_nodes").name).write_text('{"cells": [')
    return folder


def _stat(path: Path) -> tuple:
    return path.read_bytes(), path.stat().st_mtime_ns


ROW = re.compile(r"^  (\S) (\w+) *(.*)$")          # "  ✗ score_windows   what its check says"


@pytest.mark.slow
def test_course_progress_prints_the_table(student_course):
    """`course progress DIR` runs a copy of each lesson and prints every exercise's status, in the lesson's
    order; exit status 0. The wrong answer gets what its check says in-process."""
    files = {path: _stat(path) for path in student_course.rglob("*") if path.is_file()}
    run = subprocess.run([COURSE, "progress", str(student_course)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert {path: _stat(path) for path in student_course.rglob("*") if path.is_file()} == files, \
        "the student's notebooks were changed"
    lines = run.stdout.splitlines()
    names = notebook_exercises(_solution(LESSON_1))
    wrong = {"np": np}
    run_source(WRONG_SCORES, wrong, "<wrong score_windows>")
    expected = {name: (DONE, "") for name in names} | {
        "score_windows": (WRONG, status(_module(LESSON_1), "score_windows", wrong).note),
        "softmax_rows": (TODO, "not written yet"),
    }
    assert lines[0] == f"{LESSON_1}: {len(names) - 3} of {len(names)} exercises pass their visible check", run.stdout
    rows = [ROW.match(line).groups() for line in lines[1:len(names) + 1]]
    assert [name for _, name, _ in rows] == names
    broken = next(row for row in rows if row[1] == "pairwise_sq_distances")
    assert broken[0] == WRONG and broken[2].startswith("its cell raised SyntaxError: invalid syntax"), broken
    assert {name: (mark, note) for mark, name, note in rows if name != "pairwise_sq_distances"} == \
        {name: want for name, want in expected.items() if name != "pairwise_sq_distances"}
    assert expected["score_windows"][1].startswith("`score_windows")
    assert f"02_jacobians: no notebook at {student_course / '02_jacobians' / 'jacobians.ipynb'}" in lines
    assert any(line.startswith("03_backprop_nodes: could not read backprop_nodes.ipynb: ") for line in lines)
    total = sum(len(exercises(_module(lesson))) for lesson in LESSONS)
    assert lines[-1] == f"Course: {len(names) - 3} of {total} exercises pass their visible check."


@pytest.mark.slow
def test_a_notebook_that_never_ends_is_stopped_and_named(tmp_path):
    lesson = "06_self_attention"
    notebook = solved(lesson)
    cell = next(c for c in notebook.cells if nbgrader(c).get("grade_id") == "causal_mask")
    cell.source = "while True:\n    pass\n"
    path = tmp_path / "self_attention.ipynb"
    nbformat.write(notebook, path)
    result = run_lesson(path, _solution(lesson), seconds=20)
    assert result.statuses == ()
    assert result.problem == "the cell starting `while True:` ran over 20 s and was stopped (an endless loop?)"


def test_course_progress_refuses_a_folder_that_is_not_there(tmp_path):
    run = subprocess.run([COURSE, "progress", str(tmp_path / "nope")], capture_output=True, text=True)
    assert run.returncode == 2 and f"no such folder: {tmp_path / 'nope'}" in run.stderr


def test_course_progress_says_it_needs_the_course_around_the_helpers(tmp_path, monkeypatch):
    """A plain install of the helpers package (a JupyterHub's) has no solutions/ naming the lessons."""
    monkeypatch.setattr("helpers.course.SOLUTIONS", tmp_path / "solutions")
    with pytest.raises(ValueError, match="course progress needs the course's repository"):
        course_progress(tmp_path)


# The overview notebook ------------------------------------------------------------------------------------

def test_the_overview_is_released_and_up_to_date():
    stored = RELEASED / overview.NAME
    assert stored.is_file(), "notebooks/overview.ipynb is missing: run `course release`"
    assert stored.read_text() == nbformat.writes(overview.build()) + "\n", \
        "notebooks/overview.ipynb is out of date: run `course release` and commit the result"


@pytest.mark.parametrize("path", [SOLUTIONS / overview.NAME, RELEASED / overview.NAME], ids=["source", "released"])
def test_the_overview_is_stored_without_outputs(path):
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_the_overview_links_every_lesson_and_says_what_it_teaches():
    listed = next(c for c in read(RELEASED / overview.NAME).cells if overview.LIST_TAG in c.metadata.get("tags", []))
    links = re.findall(r"\[([^\]]+)\]\(([^)]+\.ipynb)\)", listed.source)
    rows = overview.readme_lessons((ROOT / "README.md").read_text())
    assert [text for text, _ in links] == [row.teaches for row in rows]
    assert [target for _, target in links] == [f"{lesson}/{_solution(lesson).name}" for lesson in LESSONS]
    assert all((RELEASED / target).is_file() for _, target in links)
    for lesson in LESSONS:
        assert all(f"`{name}`" in listed.source for name in exercises(_module(lesson)))


def test_the_overview_shows_progress_in_a_cell_to_run():
    code = [c.source for c in read(RELEASED / overview.NAME).cells if c.cell_type == "code"]
    assert code == ['from helpers.progress import course_progress\n\n'
                    'course_progress(".")  # the lessons in this notebook\'s folder']


def test_the_overview_is_refused_without_a_row_for_every_lesson():
    readme = (ROOT / "README.md").read_text()
    with pytest.raises(ValueError, match="README.md's table of lessons has no row for 02_jacobians"):
        overview.build(re.sub(r"^\| 2 \|.*$", "", readme, flags=re.MULTILINE))


def test_make_lab_opens_the_overview():
    run = subprocess.run(["make", "--dry-run", "--no-print-directory", "lab"], cwd=ROOT, capture_output=True,
                         text=True, env={**os.environ, "MAKEFLAGS": ""})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1].endswith(f"notebooks/{overview.NAME}"), run.stdout
