"""A released notebook runs top to bottom, and fails exactly where the student still has work to do.

In a fresh student notebook every autograded test cell must fail with the "not written yet" message,
and no other cell may fail, except cells tagged `uses-exercises` (demos that call the student's
functions), which may fail only with NotImplementedError.
"""
import pytest

from helpers.notebook_client import NotebookClient
from tests.notebooks import CELL_TIMEOUT
from tests.notebooks import nbgrader, read, released_notebooks

pytestmark = pytest.mark.slow


def _error(cell):
    return next((o for o in cell.get("outputs", []) if o.output_type == "error"), None)


@pytest.mark.parametrize("path", released_notebooks(), ids=lambda p: p.parent.name)
def test_released_notebook_fails_exactly_its_exercise_tests(path):
    nb = read(path)
    NotebookClient(nb, allow_errors=True, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    tests = [c for c in nb.cells if nbgrader(c).get("grade")]
    assert tests
    for cell in tests:
        error = _error(cell)
        assert error is not None, f"{nbgrader(cell)['grade_id']} passed on the unfilled stub"
        assert error.ename == "CheckFailed" and "is not written yet" in error.evalue, (error.ename, error.evalue)
    for cell in nb.cells:
        error = _error(cell)
        if cell.cell_type != "code" or nbgrader(cell).get("grade") or error is None:
            continue
        assert "uses-exercises" in cell.metadata.get("tags", []) and error.ename == "NotImplementedError", \
            f"cell {cell.source[:60]!r} failed in the released notebook: {error.ename}: {error.evalue}"
