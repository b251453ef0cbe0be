"""The parts of `course grade`, each alone: collecting, screening, choosing cells, sanitising, the gradebook."""
import json
import re
import zipfile
from pathlib import Path

import nbformat
import pytest

from helpers.grading import autograde, cells, collect, sanitize, screen
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


def test_screen_survives_code_nested_too_deeply_for_a_parser(tmp_path):
    found = _screen(tmp_path, _with_code("x = " + "+".join(["1"] * 100_000)))
    assert "cannot read" in "; ".join(found.problems.get(screen.SUSPICIOUS, [])), found.problems
    reads, defines = cells._names("x = " + "+".join(["1"] * 100_000))
    assert reads == defines == frozenset()


SCRIPTED = ('<script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">link</a>'
            '<p style="color:red" onclick="alert(4)">text</p><img src="data:image/png;base64,iVBORw0KGgo=" alt="a">'
            '<a href="data:text/html,<script>alert(5)</script>">data</a>')


def _harmless(page: str) -> bool:
    """No script element, event-handler attribute, javascript: URL or data: page."""
    return not re.search(r"<script|\son[a-z]+\s*=|javascript:|data:text", page, re.IGNORECASE)


def test_a_students_html_loses_scripts_and_handlers_and_keeps_text_and_images():
    cleaned = sanitize.clean_fragment(SCRIPTED)
    assert _harmless(cleaned) and "text" in cleaned and "data:image/png;base64" in cleaned


def test_the_autograded_notebook_and_the_feedback_page_carry_no_script():
    from helpers.grading.feedback import FeedbackExporter

    lesson_text = "# The lesson\n\nSome *text* with $x < y$."
    code = nbformat.v4.new_code_cell("show()", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": SCRIPTED, "text/plain": "shown"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "alert(6)"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload='alert(7)'></svg>"})])
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(lesson_text),
                                               nbformat.v4.new_markdown_cell("Mine: " + SCRIPTED), code])
    notebook.metadata.language_info = {"name": "python", "pygments_lexer": "ipython3"}
    cleaned, _ = sanitize.SanitizeNotebook(instructor_markdown=[lesson_text]).preprocess(notebook, {})
    assert cleaned.cells[0].source == lesson_text, "the lesson's own text is left as it is"
    assert _harmless(json.dumps(cleaned)), "script left in the autograded notebook"
    page = FeedbackExporter().from_notebook_node(cleaned)[0]
    assert _harmless(page) and "<style" in page and "The lesson" in page and "Mine:" in page
    raw = FeedbackExporter().from_notebook_node(notebook)[0]      # even from an uncleaned notebook
    assert _harmless(raw)


def test_the_main_gradebook_is_replaced_only_when_grading_got_through(tmp_path):
    from nbgrader.api import Gradebook

    with Gradebook(autograde.db_url(tmp_path), autograde.COURSE_ID) as gradebook:
        gradebook.add_student("ada")
    before = (tmp_path / "gradebook.db").read_bytes()
    (tmp_path / ".l2a").mkdir()
    main = autograde.MainGradebook(tmp_path, "lesson")
    main.gradebook.add_student("bob")
    main.abandon()
    assert (tmp_path / "gradebook.db").read_bytes() == before and not main.working.exists()
    main = autograde.MainGradebook(tmp_path, "lesson")
    main.gradebook.add_student("bob")
    main.commit()
    with Gradebook(autograde.db_url(tmp_path), autograde.COURSE_ID) as gradebook:
        assert sorted(s.id for s in gradebook.students) == ["ada", "bob"]
