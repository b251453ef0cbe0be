"""The tests' NotebookClient answers a cell as soon as its kernel does, Output widgets included, and a
cell that stalls anyway fails within a minute."""
import time
import tomllib

import nbformat
import pytest

from helpers.notebook_client import NotebookClient
from tests.notebooks import CELL_TIMEOUT
from tests.notebooks import ROOT

pytestmark = pytest.mark.slow
# Prints into an Output widget: nbclient's mimic sends each captured output back on the shell channel
# while it waits there for the cell's reply. With nbclient's own client every run of 200 such cells had
# a cell whose reply lost its wake-up (scripts/count_stalls.py --output-widget-cells 200 --plain-nbclient).
OUTPUT_WIDGET_CELL = """import ipywidgets
out = ipywidgets.Output()
display(out)
with out:
    for i in range(5):
        print(i, flush=True)"""
CELLS, TIMEOUT = 300, 10


def test_cells_printing_into_output_widgets_are_answered_at_once():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(OUTPUT_WIDGET_CELL) for _ in range(CELLS)])
    started, answered = {}, []

    def answered_at_once(cell, cell_index, execute_reply):
        took = time.monotonic() - started[cell_index]
        assert took < TIMEOUT / 2, (f"cell {cell_index} was answered after {took:.1f} s (timeout {TIMEOUT} s): a lost "
                                    "reply, found only by the client's last poll at the timeout")
        answered.append(cell_index)

    client = NotebookClient(notebook, timeout=TIMEOUT, kernel_name="python3", on_cell_executed=answered_at_once,
                            on_cell_execute=lambda cell, cell_index: started.update({cell_index: time.monotonic()}))
    client.execute()
    assert answered == list(range(CELLS))
    assert all(c.outputs and c.outputs[0].output_type == "display_data" for c in notebook.cells)
    captured = [s.get("outputs") for s in client.widget_state.values() if s.get("_model_name") == "OutputModel"]
    assert len(captured) == CELLS and all(captured), "the Output widget mimic still captures what the widgets print"


def test_nbval_and_nbclient_give_a_cell_the_same_minute():
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert f"--nbval-cell-timeout={CELL_TIMEOUT}" in addopts.split()
    assert CELL_TIMEOUT <= 60
