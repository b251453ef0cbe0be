"""`course grade` on every lesson: a solved notebook gets full marks, the unfilled one gets 0.

This also proves that grading runs only what the grades need without breaking any lesson: the
solved notebook's every test passes though its demonstrations are skipped.
"""
import csv
import subprocess

import nbformat
import pytest

from tests.notebooks import COURSE, RELEASED, ROOT, grade_cell_ids, nbgrader, read, solution_notebooks, solved

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("source", solution_notebooks(), ids=lambda p: p.parent.name)
def test_course_grade_gives_full_marks_to_the_solution_and_zero_to_the_stub(tmp_path, source):
    lesson, name = source.parent.name, source.name
    (tmp_path / "class").mkdir()
    nbformat.write(solved(lesson), tmp_path / "class" / f"ada_{name}")
    nbformat.write(read(RELEASED / lesson / name), tmp_path / "class" / f"bob_{name}")
    run = subprocess.run([COURSE, "grade", lesson, str(tmp_path / "class"), "--out", str(tmp_path / "out"),
                          "--jobs", "2"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]

    points = sum(nbgrader(c)["points"] for c in read(source).cells if nbgrader(c).get("grade"))
    with (tmp_path / "out" / "reports" / lesson / "grades.csv").open() as rows:
        grades = {row["student"]: row for row in csv.DictReader(rows)}
    assert grades["ada"]["status"] == grades["bob"]["status"] == "graded", run.stdout
    assert float(grades["ada"]["max_score"]) == float(grades["bob"]["max_score"]) == points
    assert float(grades["ada"]["score"]) == points, f"the solution lost points: {grades['ada']}"
    assert float(grades["bob"]["score"]) == 0, "the unfilled stub earned points"
    assert [c for c in grades["ada"] if c.startswith("test_")] == grade_cell_ids(source)
