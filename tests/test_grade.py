"""`course grade` against a class of honest, broken and hostile submissions (tests/adversarial.py).

One real grading run (two jobs, the sandbox, nbgrader's autograde and feedback, the judge outside the
kernels) serves every test here: the grader survives, every student gets a row, every case gets what it
must (honest ones their exact score next to the attackers, attacks no point and a flag or 0, broken
ones a flag), nothing leaks into feedback, no course file changes, the gradebook agrees with grades.csv,
and regrading changes nothing.
"""
import csv
import html
import shutil
import subprocess

import pytest
from nbgrader.api import Gradebook

from tests import adversarial
from tests.notebooks import COURSE, RELEASED, ROOT, SOLUTIONS, read

pytestmark = pytest.mark.slow
LESSON, NAME = adversarial.LESSON, adversarial.NAME


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    work = tmp_path_factory.mktemp("class")
    run, verdicts, seconds, untouched = adversarial.grade_class(work, jobs=2)
    print(adversarial.table(run, verdicts, seconds, untouched))
    return work, run, verdicts, untouched


def test_the_grader_survives_and_every_student_gets_a_row(graded):
    work, run, verdicts, _ = graded
    assert run.returncode == 0, run.stderr[-3000:]
    assert set(verdicts) == set(adversarial.CASES), "students in must equal rows out"


@pytest.mark.parametrize("student", list(adversarial.CASES))
def test_every_case_gets_what_it_must(graded, student):
    _, _, verdicts, _ = graded
    case, verdict = adversarial.CASES[student], verdicts[student]
    assert not verdict.gained(case), f"{student} scored {verdict.score}"
    assert verdict.right(case), f"{student}: {verdict.status}, {verdict.score}: {verdict.reasons}"


def test_no_hidden_test_code_reaches_any_feedback(graded):
    work, _, verdicts, _ = graded
    assert len(adversarial.hidden_lines()) > 20
    leaked = [student for student, verdict in verdicts.items() if verdict.leaked]
    assert not leaked
    page = html.unescape(next((work / "out" / "feedback" / "empty-stub" / LESSON).glob("*.html")).read_text())
    assert "is not written yet" in page, "the feedback still says what went wrong"


def test_no_kernel_changed_the_course(graded):
    *_, untouched = graded
    assert untouched, "a file of the checkout's helpers or solutions changed while the class was graded"


def test_the_gradebook_agrees_with_grades_csv(graded):
    work, _, verdicts, _ = graded
    scores = adversarial.gradebook_scores(work / "out")
    graded_rows = {s: v.score for s, v in verdicts.items() if v.score is not None and not v.flagged()}
    assert graded_rows and all(scores[s] == score for s, score in graded_rows.items()), (scores, graded_rows)
    with Gradebook(f"sqlite:///{work / 'out' / 'gradebook.db'}", "loops-to-attention") as gradebook:
        def flagged(student):
            return gradebook.find_submission_notebook(NAME.removesuffix(".ipynb"), LESSON, student).flagged
        assert all(flagged(s) for s, v in verdicts.items() if v.flagged() and (work / "out" / "submitted" / s).exists())
        assert not flagged("correct")


def test_class_report_names_the_known_mistakes(graded):
    work, _, _, _ = graded
    text = (work / "out" / "reports" / LESSON / "class_report.md").read_text()
    assert "- 2 students: add_splits_in_half" in text and "- 1 student: add_uses_mul_rule" in text
    assert "**invalid-json**: invalid notebook" in text


def test_regrading_one_student_changes_nothing_else(graded):
    work, _, _, _ = graded
    grades = work / "out" / "reports" / LESSON / "grades.csv"
    before = grades.read_text()
    for student in ("correct", "mutant-b", "patch-check-alias"):
        run = subprocess.run([COURSE, "grade", LESSON, str(work / "class"), "--out", str(work / "out"),
                              "--student", student, *adversarial.LIMITS], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-2000:]
    assert grades.read_text() == before


def test_unknown_student_and_missing_submissions_are_errors(tmp_path):
    run = subprocess.run([COURSE, "grade", LESSON, str(tmp_path / "nowhere")], cwd=tmp_path, capture_output=True,
                         text=True)
    assert run.returncode == 1 and "no submissions at" in run.stderr
    (tmp_path / "class").mkdir()
    shutil.copy(RELEASED / LESSON / NAME, tmp_path / "class" / f"ada_{NAME}")
    run = subprocess.run([COURSE, "grade", LESSON, str(tmp_path / "class"), "--student", "bob"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 1 and "no submission from 'bob'" in run.stderr


def test_grades_csv_has_a_column_per_test_cell(graded):
    work, _, _, _ = graded
    with (work / "out" / "reports" / LESSON / "grades.csv").open() as rows:
        header = next(csv.reader(rows))
    tests = [c.metadata["nbgrader"]["grade_id"] for c in read(SOLUTIONS / LESSON / NAME).cells
             if c.metadata.get("nbgrader", {}).get("grade")]
    assert header == ["student", "status", "score", "max_score", "reasons", "file", *tests]
