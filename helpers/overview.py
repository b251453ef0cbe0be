"""The course overview, notebooks/overview.ipynb: the notebook `make lab` opens.

The overview is not a lesson: it has no exercises and is not an nbgrader assignment. Lessons are the
folders of solutions/ (`helpers.course.lessons()`, nbgrader's assignments); the overview is the one
notebook beside them, solutions/overview.ipynb, released to notebooks/overview.ipynb by `course release`
like the lessons. Releasing fills in its list of lessons (the cell tagged `lesson-list`) from the README's
table, the one place that says what each lesson teaches, with a link that opens each lesson and the
functions it asks for.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers.course import ROOT, SOLUTIONS, lessons
from helpers.progress import notebook_exercises

NAME = "overview.ipynb"
SOURCE = SOLUTIONS / NAME
LIST_TAG = "lesson-list"
README_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*(.+?)\s*\|\s*`(\w+)`\s*\|\s*$", re.MULTILINE)  # | 1 | text | `folder` |


@dataclass(frozen=True)
class Lesson:
    number: int
    teaches: str    # the README's words for it
    folder: str     # e.g. 01_matrix_vs_loop


def readme_lessons(readme: str) -> list[Lesson]:
    """The rows of the README's table of lessons."""
    return [Lesson(int(number), teaches, folder) for number, teaches, folder in README_ROW.findall(readme)]


def lesson_list(readme: str) -> str:
    """The markdown of the overview's list of lessons."""
    table = {lesson.folder: lesson for lesson in readme_lessons(readme)}
    missing = sorted(set(lessons()) - set(table))
    if missing:
        raise ValueError(f"README.md's table of lessons has no row for {', '.join(missing)}")
    rows = []
    for folder in lessons():
        notebook = next((SOLUTIONS / folder).glob("*.ipynb"))
        functions = ", ".join(f"`{name}`" for name in notebook_exercises(notebook))
        lesson = table[folder]
        rows.append(f"| {lesson.number} | [{lesson.teaches}]({folder}/{notebook.name}) | {functions} |")
    return "\n".join([
        "## The lessons",
        "",
        "Each lesson is a folder beside this notebook. Click a lesson to open it.",
        "",
        "| # | lesson | the functions you write |",
        "| --- | --- | --- |",
        *rows,
    ])


def build(readme: str | None = None) -> nbformat.NotebookNode:
    """The released overview: the source with its list of lessons written in."""
    notebook = nbformat.read(SOURCE, as_version=4)
    text = (ROOT / "README.md").read_text() if readme is None else readme
    listed = [cell for cell in notebook.cells if LIST_TAG in cell.get("metadata", {}).get("tags", [])]
    if len(listed) != 1 or listed[0].cell_type != "markdown":
        raise ValueError(f"{SOURCE.name} needs exactly one markdown cell tagged {LIST_TAG!r}, not {len(listed)}")
    listed[0].source = lesson_list(text)
    return notebook


def release(out: Path) -> Path:
    """Write the released overview into `out` (notebooks/, or `course release --out DIR`)."""
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(build(), out / NAME)
    return out / NAME
