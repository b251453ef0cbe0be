"""Every figure a lesson draws, widgets' included, has a title and labelled axes and reads in grey scale.

Each solution notebook runs with nbclient after a first cell that audits every figure as Jupyter draws
it (tests/figure_audit.py); a last cell presses the button of every widget that waits for one, so its
figure is drawn and audited too.
"""
import json

import nbformat
import pytest

from helpers.notebook_client import NotebookClient
from tests.notebooks import CELL_TIMEOUT
from tests.notebooks import ROOT, read, solution_notebooks

pytestmark = pytest.mark.slow
AUDIT = """import sys
sys.path.insert(0, {root!r})
from tests.figure_audit import record_figures
record_figures({path!r})"""
PRESS_BUTTONS = """import ipywidgets
for shown in list(Out.values()):
    if isinstance(shown, ipywidgets.interactive) and shown.manual:
        shown.manual_button.click()"""


@pytest.mark.parametrize("path", solution_notebooks(), ids=lambda p: p.parent.name)
def test_every_figure_is_titled_labelled_and_readable_in_grey(path, tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "1")  # timing demos measure less, never differently (CONTRIBUTING)
    record = tmp_path / "figures.jsonl"
    nb = read(path)
    nb.cells = [nbformat.v4.new_code_cell(AUDIT.format(root=str(ROOT), path=str(record))), *nb.cells,
                nbformat.v4.new_code_cell(PRESS_BUTTONS)]
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    lines = record.read_text(encoding="utf-8").splitlines() if record.exists() else []
    figures = [json.loads(line) for line in lines]
    assert figures, "no figure was audited: the notebook draws figures, so the audit hook did not run"
    problems = [f"{f['cell']!r}: {problem}" for f in figures for problem in f["problems"]]
    assert not problems, "\n".join(problems)
