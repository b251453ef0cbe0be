"""`%load_ext helpers.unwritten`: a demo cell calling an unwritten exercise fails with one line naming it."""
from __future__ import annotations

import nbclient
import nbformat

from helpers.unwritten import message


def _errors(*sources: str) -> list:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(s) for s in ("%load_ext helpers.unwritten", *sources)]
    nbclient.NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=60).execute()
    return [next((o for o in c.outputs if o.output_type == "error"), None) for c in notebook.cells[1:]]


def test_a_stub_called_from_a_demo_is_named_in_one_line_and_other_errors_keep_their_traceback():
    stub, demo, own, other = _errors(
        "def window_matrix(E, idx):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
        "def demo():\n    return window_matrix(1, 2)\ndemo()",
        "raise NotImplementedError('not this one')",
        "1 / 0")
    assert stub is None
    assert (demo.ename, demo.traceback) == ("NotImplementedError", [message("window_matrix")])
    assert own.ename == "NotImplementedError" and len(own.traceback) > 1 and "not this one" in "".join(own.traceback)
    assert other.ename == "ZeroDivisionError" and len(other.traceback) > 1
