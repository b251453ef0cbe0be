"""`course validate` runs a notebook's tests through nbgrader's Validator and reports by exit code."""
import shutil
import subprocess

import pytest

from tests.notebooks import COURSE, ROOT, grade_cell_ids

pytestmark = pytest.mark.slow
LESSON_1 = "01_matrix_vs_loop/matrix_vs_loop.ipynb"


def _validate(path):
    return subprocess.run([COURSE, "validate", str(path)], cwd=ROOT,
                          capture_output=True, text=True)


def test_a_complete_notebook_validates():
    run = _validate(ROOT / "solutions" / LESSON_1)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "every test cell passed" in run.stdout


def test_the_unfilled_stub_fails_validation_and_says_why(tmp_path):
    copy = tmp_path / "matrix_vs_loop.ipynb"
    shutil.copy(ROOT / "notebooks" / LESSON_1, copy)  # validating from elsewhere, as a student would
    run = _validate(copy)
    assert run.returncode == 1
    failed = f"{len(grade_cell_ids(copy))} test cell(s) failed"          # every one of them
    assert failed in run.stdout and "is not written yet" in run.stdout


def test_a_missing_notebook_is_a_clear_error(tmp_path):
    run = _validate(tmp_path / "nope.ipynb")
    assert run.returncode == 1 and "no such notebook" in run.stderr
