"""Real nbgrader on the course's layout: generate_assignment, then autograde two fake students.

`ada` submits the solution notebook and must get full marks; `bob` submits the unfilled released
stub and must get zero. It runs in a copy of the course so the repository stays untouched.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from tests.notebooks import ROOT, grade_cell_ids, nbgrader, read, solution_notebooks

pytestmark = pytest.mark.slow
NBGRADER = [str(Path(sys.executable).parent / "nbgrader")]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    return tmp_path


@pytest.mark.parametrize("source", solution_notebooks(), ids=lambda p: p.parent.name)
def test_autograde_gives_full_marks_to_the_solution_and_zero_to_the_stub(course, source):
    lesson, name = source.parent.name, source.name
    subprocess.run(NBGRADER + ["generate_assignment", lesson, "--force"], cwd=course, check=True)
    submissions = {"ada": course / "solutions" / lesson / name, "bob": course / "notebooks" / lesson / name}
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / lesson
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder / name)
    subprocess.run(NBGRADER + ["autograde", lesson], cwd=course, check=True)

    points = sum(nbgrader(c)["points"] for c in read(source).cells if nbgrader(c).get("grade"))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        ada, bob = (gradebook.find_submission(lesson, s) for s in ("ada", "bob"))
        assert ada.max_score == bob.max_score == points
        assert ada.score == points, "the solution notebook lost points"
        assert bob.score == 0, "the unfilled stub earned points"
        graded = {g.name for g in gradebook.find_submission_notebook(name.removesuffix(".ipynb"), lesson, "bob").grades}
        assert graded == set(grade_cell_ids(source))
