"""notebooks/ is exactly what `course release` makes from solutions/, and every notebook is stored clean."""
import json
import subprocess

import pytest

from tests.notebooks import (
    COURSE,
    RELEASED,
    ROOT,
    SOLUTIONS,
    grade_cell_ids,
    nbgrader,
    read,
    released_notebooks,
    solution_notebooks,
)

ALL = solution_notebooks() + released_notebooks()


def _files(top):
    """Files below `top`, ignoring hidden folders such as JupyterLab's .ipynb_checkpoints."""
    return sorted(p.relative_to(top) for p in top.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(top).parts))


def test_every_lesson_has_a_solution_and_a_released_notebook():
    lessons = sorted(p.parent.name for p in solution_notebooks())
    assert lessons, "no lessons in solutions/"
    assert lessons == sorted(p.parent.name for p in released_notebooks())
    assert [p.relative_to(SOLUTIONS) for p in solution_notebooks()] == \
        [p.relative_to(RELEASED) for p in released_notebooks()]


def test_released_notebooks_are_up_to_date(tmp_path):
    subprocess.run([COURSE, "release", "--out", str(tmp_path)], cwd=ROOT, check=True)
    made, stored = _files(tmp_path), _files(RELEASED)
    assert made == stored, "notebooks/ has different files from a fresh release: run `course release`"
    for relative in made:
        assert (tmp_path / relative).read_bytes() == (RELEASED / relative).read_bytes(), \
            f"notebooks/{relative} is out of date: run `course release` and commit the result"


def test_release_is_byte_stable(tmp_path):
    for out in (tmp_path / "a", tmp_path / "b"):
        subprocess.run([COURSE, "release", "--out", str(out)], cwd=ROOT, check=True)
    for made in (tmp_path / "a").rglob("*.ipynb"):
        assert made.read_bytes() == (tmp_path / "b" / made.relative_to(tmp_path / "a")).read_bytes()


def test_release_of_an_unknown_lesson_is_refused():
    run = subprocess.run([COURSE, "release", "99_nope"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 2 and "no such lesson" in run.stderr


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_without_outputs(path):
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"][:80]


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_grade_ids_are_unique(path):
    ids = [nbgrader(c)["grade_id"] for c in read(path).cells if "grade_id" in nbgrader(c)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", released_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_released_notebook_hides_solutions_and_hidden_tests(path):
    text = path.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text


@pytest.mark.parametrize("path", solution_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_test_cell_has_points_and_hidden_tests(path):
    cells = [c for c in read(path).cells if nbgrader(c).get("grade")]
    assert cells and grade_cell_ids(path)
    for cell in cells:
        assert nbgrader(cell)["points"] > 0 and "### BEGIN HIDDEN TESTS" in cell.source, nbgrader(cell)["grade_id"]
