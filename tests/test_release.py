"""notebooks/ is exactly what `course release` makes from solutions/, and every notebook is stored clean."""
import gzip
import json
import math
import subprocess

import numpy as np

import pytest

from helpers.checks import visible, wire
from helpers.grading import judge, visible_data
from helpers.grading.visible_data import has_hidden_tests
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
    """Each test cell is worth points and is judged: by trusted hidden tests (helpers/grading/hidden_tests/),
    which its own source does not hold, or, for a lesson not yet converted, by its hidden section."""
    cells = [c for c in read(path).cells if nbgrader(c).get("grade")]
    assert cells and grade_cell_ids(path)
    lesson = path.parent.name
    judged = set(judge.plan(lesson)) if has_hidden_tests(lesson) else None
    for cell in cells:
        grade_id = nbgrader(cell)["grade_id"]
        assert nbgrader(cell)["points"] > 0, grade_id
        if judged is None:
            assert "### BEGIN HIDDEN TESTS" in cell.source, grade_id
        else:
            assert grade_id.removeprefix("test_") in judged, f"{grade_id} has no hidden tests"
            assert "HIDDEN TESTS" not in cell.source, f"{grade_id}: hidden tests belong outside the notebook"


def _same_data(made, stored, where: str = "") -> None:
    """Equal structure and text; numbers equal to the last few bits (another CPU's BLAS or SIMD `exp` may round
    the last bit differently), so a fresh release on any machine counts as up to date."""
    assert type(made) is type(stored), where
    if type(made) is np.ndarray:
        assert made.dtype == stored.dtype and made.shape == stored.shape, where
        assert np.allclose(made, stored, rtol=1e-12, atol=0, equal_nan=True) if made.dtype.kind == "f" \
            else np.array_equal(made, stored), where
    elif type(made) in (list, tuple):
        assert len(made) == len(stored), where
        for index, (a, b) in enumerate(zip(made, stored)):
            _same_data(a, b, f"{where}[{index}]")
    elif type(made) is dict:
        assert made.keys() == stored.keys(), where
        for key in made:
            _same_data(made[key], stored[key], f"{where}.{key}")
    elif type(made) is float and made != stored:
        assert math.isclose(made, stored, rel_tol=1e-12) or (math.isnan(made) and math.isnan(stored)), where
    else:
        assert made == stored, where


def _decoded(data):
    """The stored JSON with every value in wire form (a one-key "$..." object, helpers.checks.wire) decoded."""
    if type(data) is dict and len(data) == 1 and next(iter(data)).startswith("$"):
        return wire.decode(data, allow_rng=True)
    if type(data) is dict:
        return {key: _decoded(value) for key, value in data.items()}
    if type(data) is list:
        return [_decoded(value) for value in data]
    return data


@pytest.mark.parametrize("lesson", [p.parent.name for p in solution_notebooks() if has_hidden_tests(p.parent.name)])
def test_the_visible_checks_data_is_what_the_hidden_tests_make(lesson):
    stored = visible.path(judge.lesson_module(lesson))
    assert stored.is_file(), f"{stored.relative_to(ROOT)} is missing: run `course release {lesson}`"

    def read(data: bytes):
        return _decoded(json.loads(gzip.decompress(data)))
    try:
        _same_data(read(visible_data.build(lesson)), read(stored.read_bytes()))
    except AssertionError as difference:
        raise AssertionError(f"{stored.relative_to(ROOT)} is out of date at {difference}: run `course release "
                             f"{lesson}` and commit the result") from None
