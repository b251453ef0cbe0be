"""The parts of `course grade`, each alone: collecting, screening, choosing cells, hiding tests, hiding files."""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from helpers.grading import autograde, cells, collect, nbgrader_shortcuts, screen
from helpers.grading.grade import _hidden
from tests.notebooks import RELEASED, read, solved

LESSON, NAME = "03_backprop_nodes", "backprop_nodes.ipynb"


def _notebook(path: Path, notebook=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook or nbformat.v4.new_notebook(), path)
    return path


def test_collect_reads_the_student_from_lms_file_names(tmp_path):
    _notebook(tmp_path / "ada_backprop_nodes.ipynb")
    _notebook(tmp_path / "s1234567.ipynb")
    _notebook(tmp_path / "sub" / "bob-smith_late_backprop_nodes.ipynb")
    found = {s.student: s for s in collect.collect(tmp_path, LESSON)}
    assert set(found) == {"ada", "s1234567", "bob-smith"}
    assert all(not s.problems for s in found.values())


def test_collect_keeps_what_it_cannot_match_and_names_second_copies(tmp_path):
    _notebook(tmp_path / "ada_first.ipynb")
    _notebook(tmp_path / "ada_second.ipynb")
    _notebook(tmp_path / "_no_id.ipynb")
    found = {s.student: s for s in collect.collect(tmp_path, LESSON)}
    assert found["_no_id.ipynb"].path is None and "no student id" in found["_no_id.ipynb"].problems[0]
    assert "several notebooks" in found["ada"].problems[0]


def test_collect_unzips_an_lms_export_and_reads_a_submitted_tree(tmp_path):
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("folder/ada_backprop_nodes.ipynb", nbformat.writes(nbformat.v4.new_notebook()))
        archive.writestr("bob_backprop_nodes.ipynb", nbformat.writes(nbformat.v4.new_notebook()))
    assert {s.student for s in collect.collect(tmp_path / "export.zip", LESSON)} == {"ada", "bob"}
    _notebook(tmp_path / "submitted" / "cy" / LESSON / NAME)
    (tmp_path / "submitted" / "dee" / LESSON).mkdir(parents=True)
    found = {s.student: s for s in collect.collect(tmp_path / "submitted", LESSON)}
    assert found["cy"].path.name == NAME and found["dee"].path is None


def test_collect_refuses_what_is_not_a_folder_or_zip(tmp_path):
    (tmp_path / "grades.csv").write_text("")
    with pytest.raises(ValueError, match="folder or a .zip"):
        collect.collect(tmp_path / "grades.csv", LESSON)
    with pytest.raises(FileNotFoundError):
        collect.collect(tmp_path / "nowhere", LESSON)


def _screen(tmp_path, notebook) -> screen.Screening:
    path = _notebook(tmp_path / "x.ipynb", notebook)
    return screen.screen(path, read(RELEASED / LESSON / NAME), {"01_matrix_vs_loop": {"window_matrix"}})


def _with_code(source: str):
    notebook = solved(LESSON)
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    return notebook


@pytest.mark.parametrize("code, finding", [
    ("np.allclose = lambda *a, **k: True", "changes np.allclose"),
    ("import os\nos._exit(0)", "os._exit"),
    ("setattr(np, 'isclose', print)", "setattr"),
    ("import builtins", "builtins"),
    ("!rm -rf /", "shell escape"),
    ("class A:\n    def __eq__(self, other):\n        return True", "__eq__"),
    ("data = open('../../gradebook.db').read()", "opens a file"),
])
def test_screen_flags_tampering(tmp_path, code, finding):
    found = _screen(tmp_path, _with_code(code))
    assert finding in "; ".join(found.problems.get(screen.SUSPICIOUS, [])), found.problems


@pytest.mark.parametrize("code", ["values = [1, 2]\nvalues.remove(1)", "print('Loading...')",
                                  "import math\nx = math.sqrt(2.0)", "result = {k: v for k, v in zip('ab', 'cd')}"])
def test_screen_leaves_ordinary_code_alone(tmp_path, code):
    assert _screen(tmp_path, _with_code(code)).problems == {}


def test_screen_names_broken_and_foreign_notebooks(tmp_path):
    (tmp_path / "bad.ipynb").write_text("{not json")
    bad = screen.screen(tmp_path / "bad.ipynb", read(RELEASED / LESSON / NAME), {})
    assert screen.INVALID in bad.problems and not bad.gradable
    off_schema = solved(LESSON)
    off_schema.cells[0]["execution_count"] = "twice"          # valid JSON, not a valid notebook
    (tmp_path / "off.ipynb").write_text(json.dumps(off_schema))
    invalid = screen.screen(tmp_path / "off.ipynb", read(RELEASED / LESSON / NAME), {})
    assert "ValidationError: Additional properties" in invalid.problems[screen.INVALID][0], invalid.problems
    foreign = _screen(tmp_path, read(RELEASED / "01_matrix_vs_loop" / "matrix_vs_loop.ipynb"))
    assert "it is 01_matrix_vs_loop" in foreign.problems[screen.WRONG_LESSON][0]


def test_names_know_what_is_local_to_a_function():
    reads, defines = cells._names("import numpy as np\ndef f(x):\n    y = x + 1\n    return np.sum(y) + z\n"
                                  "total = sum(v for v in range(3))\nfor i in range(2):\n    total += i")
    assert reads == {"z"}                            # np, x, y, v, i, total are all bound where they are read
    assert {"np", "f", "total", "i"} <= defines


def test_skip_demo_cells_keeps_setup_student_and_graded_cells():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell("slow_demo = train_for_an_hour()"),
        nbformat.v4.new_code_cell("def f(x):\n    return np.abs(x)", metadata={"nbgrader": {"solution": True}}),
        nbformat.v4.new_code_cell("print(f(-1))", metadata={"nbgrader": {"grade": True, "solution": False}}),
        nbformat.v4.new_code_cell("mine = 1  # a cell the student added"),
    ])
    instructor = [notebook.cells[i].source for i in range(4)]
    skipped, _ = cells.SkipDemoCells(instructor_sources=instructor).preprocess(notebook, {})
    assert [bool(c.source) for c in skipped.cells] == [True, False, True, True, True]
    restored, _ = cells.RestoreDemoCells().preprocess(skipped, {})
    assert restored.cells[1].source == "slow_demo = train_for_an_hour()"


def test_feedback_tracebacks_lose_the_hidden_lines_but_checks_keep_their_words():
    cell = nbformat.v4.new_code_cell("...", metadata={"nbgrader": {"grade": True}})
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="",
                                           traceback=["----> 12 assert secret_expected == got"]),
                    nbformat.v4.new_output("error", ename="CheckFailed", evalue="x", traceback=["✗ `f` is wrong"])]
    notebook, _ = cells.HideHiddenTracebacks().preprocess(nbformat.v4.new_notebook(cells=[cell]), {})
    text = "\n".join(line for o in notebook.cells[0].outputs for line in o.traceback)
    assert "secret_expected" not in text and "AssertionError" in text and "✗ `f` is wrong" in text


def test_grading_inside_the_checkout_hides_its_grading_files_not_the_checkout(tmp_path):
    import sys
    inside = Path(sys.prefix).resolve().parent
    hidden = _hidden([inside, tmp_path])
    assert inside not in hidden and inside / "gradebook.db" in hidden and tmp_path in hidden


def test_the_gradebook_revision_is_the_one_nbgrader_finds():
    from nbgrader.api import _temp_alembic_ini

    with _temp_alembic_ini("sqlite:////tmp/unused.db") as settings:      # what nbgrader's own lookup runs
        printed = subprocess.check_output([str(Path(sys.executable).parent / "alembic"), "-c", settings, "heads"])
    assert nbgrader_shortcuts.alembic_head() == printed.decode().split()[0]


def test_gradebooks_share_one_engine_and_only_scratch_ones_skip_the_disk_and_the_table_checks(tmp_path):
    from nbgrader.api import Gradebook
    from sqlalchemy import event, text

    main, scratch = autograde.db_url(tmp_path), autograde.db_url(tmp_path / "shard")
    (tmp_path / "shard").mkdir()
    nbgrader_shortcuts.scratch(scratch)
    for url, synchronous in ((main, 2), (scratch, 0)):               # 2: SQLite's default, FULL
        with Gradebook(url, autograde.COURSE_ID) as first:
            first.add_student("ada")
            engine = first.engine
            assert first.db.execute(text("PRAGMA synchronous")).scalar() == synchronous
        statements = []
        event.listen(engine, "before_cursor_execute", lambda *sent: statements.append(sent[2]))
        with Gradebook(url, autograde.COURSE_ID) as second:         # reopened after its engine was disposed of
            assert second.engine is engine, "every Gradebook on one file should share its engine"
            assert [s.id for s in second.students] == ["ada"]
        table_checks = [s for s in statements if "table_info" in s]
        assert bool(table_checks) == (url == main), f"{url}: {len(table_checks)} table checks on reopening"


def test_the_metadata_check_raises_what_jsonschema_raises():
    import jsonschema
    import nbgrader.nbgraderformat.common
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    schema = MetadataValidatorV3().schema
    good = {"grade": True, "grade_id": "test_a", "locked": True, "points": 1, "schema_version": 3, "solution": False}
    bad = {**good, "grade_id": "test a!"}                            # not a valid cell id
    nbgrader_shortcuts.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        jsonschema.validate(bad, schema)
    with pytest.raises(jsonschema.ValidationError) as ours:
        nbgrader_shortcuts.validate(bad, schema)
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(jsonschema.SchemaError):
        nbgrader_shortcuts.validate(good, {"type": "nonsense"})
    cell = nbformat.v4.new_code_cell("", metadata={"nbgrader": bad})
    with pytest.raises(jsonschema.ValidationError):
        MetadataValidatorV3().validate_cell(cell)
    assert nbgrader.nbgraderformat.common.jsonschema.validate is nbgrader_shortcuts.validate, \
        "nbgrader's metadata check should go through the shortcut"


def _page_notebook(heading: str, image: bool) -> nbformat.NotebookNode:
    code = nbformat.v4.new_code_cell("print(6 * 7)", outputs=[nbformat.v4.new_output("stream", text="42\n")])
    if image:
        code.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {heading}\n\nSome *text*."), code])
    notebook.metadata.language_info = {"name": "python", "pygments_lexer": "ipython3"}
    return notebook


@pytest.mark.parametrize("image", [False, True], ids=["no image", "an image without alt text"])
def test_the_feedback_exporter_makes_the_page_html_exporter_makes(image):
    from bs4 import BeautifulSoup
    from nbconvert.exporters import HTMLExporter

    from helpers.grading.feedback import FeedbackExporter

    ours = FeedbackExporter(template_name="classic")
    for heading in ("First", "Second"):                     # the second page is rendered partly from memory
        notebook = _page_notebook(heading, image)
        expected = HTMLExporter(template_name="classic").from_notebook_node(notebook)[0]
        made = ours.from_notebook_node(notebook)[0]
        assert BeautifulSoup(made, "html.parser") == BeautifulSoup(expected, "html.parser")
        assert heading in BeautifulSoup(made, "html.parser").h1.get_text()
        assert ('alt="No description has been provided for this image"' in made) == image
