"""`course grade` on every lesson: a solved notebook gets full marks, the unfilled one gets 0.

This also proves that grading runs only what the grades need without breaking any lesson: the
solved notebook's every test passes though its demonstrations are skipped.
"""
import csv
import os
import subprocess

import nbformat
import pytest

from tests.notebooks import COURSE, RELEASED, ROOT, grade_cell_ids, nbgrader, read, solution_notebooks, solved

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("source", solution_notebooks(), ids=lambda p: p.parent.name)
def test_course_grade_gives_full_marks_to_the_solution_and_zero_to_the_stub(tmp_path, source):
    lesson, name = source.parent.name, source.name
    (tmp_path / "class").mkdir()
    nbformat.write(solved(lesson), tmp_path / "class" / f"ada_{name}")
    nbformat.write(read(RELEASED / lesson / name), tmp_path / "class" / f"bob_{name}")
    run = subprocess.run([COURSE, "grade", lesson, str(tmp_path / "class"), "--out", str(tmp_path / "out"),
                          "--jobs", "2"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]

    points = sum(nbgrader(c)["points"] for c in read(source).cells if nbgrader(c).get("grade"))
    with (tmp_path / "out" / "reports" / lesson / "grades.csv").open() as rows:
        grades = {row["student"]: row for row in csv.DictReader(rows)}
    assert grades["ada"]["status"] == grades["bob"]["status"] == "graded", run.stdout
    assert float(grades["ada"]["max_score"]) == float(grades["bob"]["max_score"]) == points
    assert float(grades["ada"]["score"]) == points, f"the solution lost points: {grades['ada']}"
    assert float(grades["bob"]["score"]) == 0, "the unfilled stub earned points"
    assert [c for c in grades["ada"] if c.startswith("test_")] == grade_cell_ids(source)


def test_a_crashed_shard_keeps_the_grades_it_sent_and_marks_the_rest(tmp_path, monkeypatch):
    """Grades reach the main gradebook as each student is graded: a grading process that dies midway
    loses neither the students before the crash nor the fact that the others were not graded."""
    from nbgrader.api import Gradebook

    from helpers.grading import autograde
    from helpers.grading.grade import GradingError, grade

    lesson, name = "01_matrix_vs_loop", "matrix_vs_loop.ipynb"
    (tmp_path / "class").mkdir()
    for student, notebook in (("ada", solved(lesson)), ("bob", read(RELEASED / lesson / name)), ("cy", solved(lesson))):
        nbformat.write(notebook, tmp_path / "class" / f"{student}_{name}")
    grade_one = autograde._grade_one

    def dies_at_cy(api, lesson, shard, student, *rest):
        if student == "cy":
            os._exit(3)                                   # the shard's process dies, as if killed
        return grade_one(api, lesson, shard, student, *rest)

    monkeypatch.setattr(autograde, "_grade_one", dies_at_cy)
    with pytest.raises(GradingError, match="grading processes crashed"):
        grade(lesson, tmp_path / "class", tmp_path / "out", root=ROOT, jobs=1)

    with (tmp_path / "out" / "reports" / lesson / "grades.csv").open() as rows:
        grades = {row["student"]: row for row in csv.DictReader(rows)}
    source = read(ROOT / "solutions" / lesson / name)
    points = sum(nbgrader(c)["points"] for c in source.cells if nbgrader(c).get("grade"))
    assert float(grades["ada"]["score"]) == points and float(grades["bob"]["score"]) == 0
    for student in ("ada", "bob"):                       # graded, but their feedback was never written
        assert grades[student]["status"] == "needs manual grading"
        assert "feedback could not be generated" in grades[student]["reasons"]
    assert grades["cy"]["score"] == "" and "crashed before finishing" in grades["cy"]["reasons"]
    with Gradebook(autograde.db_url(tmp_path / "out"), autograde.COURSE_ID) as gradebook:
        assert {s.student_id: s.notebooks[0].flagged for s in gradebook.assignment_submissions(lesson)} == \
            {"ada": True, "bob": True}


def test_feedback_comes_in_batches_alongside_the_grading_and_a_failed_batch_costs_only_its_students(
        tmp_path, monkeypatch):
    """Forked copies of the grading process generate the first students' feedback while it grades on; the
    last batch is its own. A batch that fails, or hangs past the wait, flags its students and no others."""
    import time

    from helpers.grading import background_feedback
    from helpers.grading.grade import grade

    lesson, name = "01_matrix_vs_loop", "matrix_vs_loop.ipynb"
    (tmp_path / "class").mkdir()
    students = ("ada", "bob", "cy", "dee")
    for student in students:
        nbformat.write(solved(lesson), tmp_path / "class" / f"{student}_{name}")
    monkeypatch.setattr(background_feedback, "BATCH", 1)
    monkeypatch.setattr(background_feedback, "WAIT_SECONDS", 3)
    generate, calls = background_feedback.BackgroundFeedback._generate, tmp_path / "calls"

    def noted(self, batch):
        with calls.open("a") as record:
            record.write(f"{','.join(batch)} {os.getpid()} {os.getppid()}\n")
        if batch == ["bob"]:
            raise RuntimeError("this batch fails")
        if batch == ["cy"]:
            time.sleep(60)
        return generate(self, batch)

    monkeypatch.setattr(background_feedback.BackgroundFeedback, "_generate", noted)
    grade(lesson, tmp_path / "class", tmp_path / "out", root=ROOT, jobs=1)

    made_by = {line.split()[0]: tuple(map(int, line.split()[1:])) for line in calls.read_text().splitlines()}
    assert set(made_by) == set(students), "one batch per student"
    shard = made_by["dee"][0]
    assert all(made_by[s][1] == shard for s in ("ada", "bob", "cy")), "the first batches run in forked copies"
    assert len({made_by[s][0] for s in students}) == 4
    with (tmp_path / "out" / "reports" / lesson / "grades.csv").open() as rows:
        grades = {row["student"]: row for row in csv.DictReader(rows)}
    for student in ("ada", "dee"):
        assert grades[student]["status"] == "graded", grades[student]["reasons"]
        assert list((tmp_path / "out" / "feedback" / student / lesson).glob("*.html"))
    for student in ("bob", "cy"):
        assert "feedback could not be generated" in grades[student]["reasons"]
    log = (tmp_path / "out" / "reports" / lesson / "grading-0.log").read_text()
    assert "this batch fails" in log and "still being generated after 3 s" in log
