"""Reading the course's notebooks in tests: lessons, exercise cells, visible and hidden test code."""
from __future__ import annotations

import linecache
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, RELEASED = ROOT / "solutions", ROOT / "notebooks"
COURSE = str(Path(sys.executable).parent / "course")  # the installed console script the README shows
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# Seconds a cell may take in the tests (nbval's --nbval-cell-timeout in pyproject.toml too), so that a
# stalled cell fails within a minute. The slowest lesson cells (lesson 4's co-occurrence counts, lesson
# 1's timings) took 20-43 s on two cores at load 9-17 (scripts/count_stalls.py), 23 s under nbval at load 4.
CELL_TIMEOUT = 60


def solution_notebooks() -> list[Path]:
    return sorted(SOLUTIONS.glob("*/*.ipynb"))


def released_notebooks() -> list[Path]:
    return sorted(RELEASED.glob("*/*.ipynb"))


def nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def read(path: Path):
    return nbformat.read(path, as_version=4)


def grade_cell_ids(path: Path) -> list[str]:
    """grade_ids of the autograded test cells, in notebook order."""
    return [nbgrader(c)["grade_id"] for c in read(path).cells if nbgrader(c).get("grade")]


def exercises(path: Path) -> dict[str, tuple[str, str]]:
    """Exercise name -> (solution cell source, test cell source).

    By the course's convention a solution cell's grade_id is the function it defines, and its test
    cell's grade_id is "test_" + that name.
    """
    cells = {nbgrader(c)["grade_id"]: c.source for c in read(path).cells if nbgrader(c).get("grade_id")}
    return {name: (src, cells[f"test_{name}"]) for name, src in cells.items() if f"test_{name}" in cells}


def split_test(source: str) -> tuple[str, str]:
    """(visible part, hidden part) of a test cell."""
    visible, _, rest = source.partition(HIDDEN_BEGIN)
    hidden, _, after = rest.partition(HIDDEN_END)
    assert hidden.strip(), "a test cell without hidden tests"
    return visible + after, hidden


def run_source(source: str, namespace: dict, filename: str) -> None:
    """exec `source` with a real file name in linecache, as Jupyter does, so inspect can read it."""
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)


def reference_namespace(path: Path) -> dict:
    """A namespace holding the reference solution of every exercise in the notebook, and the read-only
    (locked) code cells the exercises use, run in notebook order."""
    namespace: dict = {"np": __import__("numpy")}
    for cell in read(path).cells:
        info = nbgrader(cell)
        if cell.cell_type == "code" and (info.get("solution") or (info.get("locked") and not info.get("grade"))):
            run_source(cell.source, namespace, f"<{path.parent.name}/{info['grade_id']}>")
    return namespace


def solved(lesson: str) -> "nbformat.NotebookNode":
    """What a student who solved every exercise submits: the released notebook with the reference answers."""
    source = next((SOLUTIONS / lesson).glob("*.ipynb"))
    answers = {nbgrader(c)["grade_id"]: c.source for c in read(source).cells if nbgrader(c).get("solution")}
    notebook = read(RELEASED / lesson / source.name)
    for cell in notebook.cells:
        if nbgrader(cell).get("solution"):
            cell.source = answers[nbgrader(cell)["grade_id"]]
    return notebook
