"""`course grade` on every lesson: a solved notebook gets full marks, the unfilled one gets 0.

This also proves that grading runs only what the grades need without breaking any lesson: the
solved notebook's every test passes though its demonstrations are skipped.
"""
import csv
import os
import subprocess
from pathlib import Path

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
    """Grades reach the grader as each student is graded: a grading process that dies midway loses neither
    the students before the crash nor the fact that the others were not graded."""
    from nbgrader.api import Gradebook

    from helpers.grading import autograde
    from helpers.grading.grade import GradingError, grade

    lesson, name = "03_backprop_nodes", "backprop_nodes.ipynb"
    (tmp_path / "class").mkdir()
    for student, notebook in (("ada", solved(lesson)), ("bob", read(RELEASED / lesson / name)), ("cy", solved(lesson))):
        nbformat.write(notebook, tmp_path / "class" / f"{student}_{name}")
    grade_one = autograde._grade_one

    def dies_at_cy(api, run, shard, student, *rest):
        if student == "cy":
            os._exit(3)                                   # the shard's process dies, as if killed
        return grade_one(api, run, shard, student, *rest)

    monkeypatch.setattr(autograde, "_grade_one", dies_at_cy)
    with pytest.raises(GradingError, match="grading processes crashed"):
        grade(lesson, tmp_path / "class", tmp_path / "out", root=ROOT, jobs=1)

    with (tmp_path / "out" / "reports" / lesson / "grades.csv").open() as rows:
        grades = {row["student"]: row for row in csv.DictReader(rows)}
    points = sum(nbgrader(c)["points"] for c in read(ROOT / "solutions" / lesson / name).cells if nbgrader(c).get("grade"))
    assert float(grades["ada"]["score"]) == points and float(grades["bob"]["score"]) == 0
    assert grades["cy"]["score"] == "" and "crashed before finishing" in grades["cy"]["reasons"]
    with Gradebook(autograde.db_url(tmp_path / "out"), autograde.COURSE_ID) as gradebook:
        submissions = {s.student_id: s for s in gradebook.assignment_submissions(lesson)}
        assert submissions["ada"].score == points and not submissions["ada"].notebooks[0].flagged
        assert submissions["cy"].notebooks[0].flagged, "a student nobody graded is flagged for a person"


def test_a_failure_with_one_submission_flags_it_and_grading_goes_on(tmp_path, monkeypatch):
    """Whatever goes wrong with one submission (here: the judge itself fails on it) flags that submission
    with the reason; the others are graded and the grader exits normally."""
    from helpers.grading import autograde
    from helpers.grading.grade import grade

    lesson, name = "03_backprop_nodes", "backprop_nodes.ipynb"
    (tmp_path / "class").mkdir()
    notebooks = {"ada": solved(lesson), "bob": solved(lesson)}
    notebooks["bob"].cells.insert(1, nbformat.v4.new_code_cell("# bob's marker"))
    for student, notebook in notebooks.items():
        nbformat.write(notebook, tmp_path / "class" / f"{student}_{name}")
    def grade_one(api, run, shard, student, *rest):
        if student == "bob":
            raise RuntimeError("the judge broke on this notebook")
        return real_grade_one(api, run, shard, student, *rest)

    real_grade_one = autograde._grade_one
    monkeypatch.setattr(autograde, "_grade_one", grade_one)
    rows = {row.student: row for row in grade(lesson, tmp_path / "class", tmp_path / "out", root=ROOT, jobs=1)}
    assert rows["ada"].status == "graded" and rows["ada"].score == rows["ada"].max_score
    assert rows["bob"].score is None and "grading failed: RuntimeError: the judge broke" in "; ".join(rows["bob"].reasons)


@pytest.mark.skipif(os.geteuid() != 0, reason="makes a throwaway account to grade as (root only)")
def test_a_grader_that_is_not_root_still_judges_outside_and_isolates_with_user_namespaces(tmp_path):
    """The hub's grader account is not root: `course grade` run as such an account uses a user namespace
    of its own per kernel. The solution scores full marks, the stub 0, a check patched in the kernel
    gains nothing and is flagged, and the summary says what is missing against root."""
    import sys

    from helpers.grading import sandbox
    from tests import adversarial, system_accounts

    if not sandbox._user_namespaces_allowed():
        pytest.skip("this kernel allows no unprivileged user namespaces")
    lesson, name, account = adversarial.LESSON, adversarial.NAME, "l2a-test-grader"
    system_accounts.remove([account])
    home = system_accounts.create(account)
    try:
        folder = home / "class"
        folder.mkdir()
        for student, case in (("ada", "correct"), ("bob", "empty-stub"), ("dee", "patch-check-alias")):
            nbformat.write(adversarial.CASES[case].build(home / "out"), folder / f"{student}_{name}")
        subprocess.run(["chown", "-R", f"{account}:{account}", str(folder)], check=True)
        with system_accounts.searchable_by_all([Path(sys.executable).resolve(), ROOT]):
            run = system_accounts.run_as(account, [COURSE, "grade", lesson, str(folder), "--out", str(home / "out"),
                                                   "--jobs", "2", *adversarial.LIMITS], cwd=ROOT)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        assert "NOT as root" in run.stdout and "no network" in run.stdout
        with (home / "out" / "reports" / lesson / "grades.csv").open() as rows:
            grades = {row["student"]: row for row in csv.DictReader(rows)}
        assert (grades["ada"]["status"], float(grades["ada"]["score"])) == ("graded", adversarial.FULL)
        assert (grades["bob"]["status"], float(grades["bob"]["score"])) == ("graded", 0)
        assert float(grades["dee"]["score"]) == 0 and "tampered" in grades["dee"]["reasons"]
    finally:
        system_accounts.remove([account])
