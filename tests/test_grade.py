"""`course grade` against a class of honest, broken and hostile submissions (tests/adversarial.py).

One real grading run (two jobs, the sandbox, nbgrader's autograde and feedback) serves every test
here. For each case: the grader survives, the student gets a row, the status and reason are right,
and no points are gained; then the class report, the feedback, the gradebook and regrading.
"""
import csv
import html
import shutil
import subprocess

import pytest
from nbgrader.api import Gradebook

from tests import adversarial
from tests.notebooks import COURSE, RELEASED, ROOT, SOLUTIONS, read, split_test

pytestmark = pytest.mark.slow
LESSON, NAME = adversarial.LESSON, adversarial.NAME


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    work = tmp_path_factory.mktemp("class")
    run, verdicts, seconds = adversarial.grade_class(work, jobs=2)
    print(adversarial.table(run, verdicts, seconds))
    return work, run, verdicts


def test_the_grader_survives_and_every_student_gets_a_row(graded):
    work, run, verdicts = graded
    assert run.returncode == 0, run.stderr[-3000:]
    assert set(verdicts) == set(adversarial.CASES), "students in must equal rows out"


@pytest.mark.parametrize("student", list(adversarial.CASES))
def test_status_reason_and_no_points_gained(graded, student):
    _, _, verdicts = graded
    case, verdict = adversarial.CASES[student], verdicts[student]
    assert verdict.status == case.status, verdict.reasons
    assert case.reason in verdict.reasons
    assert not verdict.gained(case), f"{student} scored {verdict.score}"


def test_honest_students_next_to_attackers_get_their_marks(graded):
    _, _, verdicts = graded
    for student in ("correct", "correct-after-attacks", "split-cell", "huge-output"):
        assert verdicts[student].score == verdicts[student].max_score > 0, student
    assert verdicts["empty-stub"].score == 0
    for student in ("mutant-a1", "mutant-a2", "mutant-b"):
        assert 0 < verdicts[student].score < verdicts[student].max_score, student


def test_broken_notebooks_get_no_score_rather_than_zero(graded):
    _, _, verdicts = graded
    for student in ("invalid-json", "wrong-lesson", "metadata-stripped", "memory-bomb", "os-exit"):
        assert verdicts[student].score is None, student


def test_class_report_names_the_known_misconceptions(graded):
    work, _, _ = graded
    text = (work / "out" / "reports" / LESSON / "class_report.md").read_text()
    assert "2 students: add_splits_in_half (“does not split the gradient”)" in text
    assert "1 student: add_uses_mul_rule (“That is Mul's rule”)" in text
    assert "**invalid-json**: invalid notebook" in text


def _hidden_lines() -> list[str]:
    """Lines of the lesson's hidden tests that appear nowhere in the released notebook."""
    source = read(SOLUTIONS / LESSON / NAME)
    released = (RELEASED / LESSON / NAME).read_text()
    lines = set()
    for cell in source.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and "### BEGIN HIDDEN TESTS" in cell.source:
            hidden = split_test(cell.source)[1]
            lines |= {line.strip() for line in hidden.splitlines() if len(line.strip()) > 20}
    return sorted(line for line in lines if line not in released)


def test_feedback_exists_and_shows_no_hidden_test_source(graded):
    work, _, verdicts = graded
    hidden = _hidden_lines()
    assert len(hidden) > 20
    pages = {}
    for student, verdict in verdicts.items():
        if verdict.score is not None:
            files = list((work / "out" / "feedback" / student / LESSON).glob("*.html"))
            assert files, f"no feedback for {student}"
            pages[student] = html.unescape(files[0].read_text())
    for student, page in pages.items():
        leaked = [line for line in hidden if line in page]
        assert not leaked, f"{student}'s feedback shows hidden test lines: {leaked[:3]}"
    assert "is not written yet" in pages["empty-stub"]          # the feedback still says what went wrong


def test_flagged_submissions_are_flagged_in_the_gradebook(graded):
    work, _, verdicts = graded
    with Gradebook(f"sqlite:///{work / 'out' / 'gradebook.db'}", "loops-to-attention") as gradebook:
        def flagged(student):
            return gradebook.find_submission_notebook(NAME.removesuffix(".ipynb"), LESSON, student).flagged
        assert flagged("deleted-test-cell") and flagged("patch-numpy")
        assert not flagged("correct")


def test_regrading_one_student_changes_nothing_else(graded):
    work, _, _ = graded
    grades = work / "out" / "reports" / LESSON / "grades.csv"
    before = grades.read_text()
    for student in ("correct", "mutant-b"):
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
    work, _, _ = graded
    with (work / "out" / "reports" / LESSON / "grades.csv").open() as rows:
        header = next(csv.reader(rows))
    tests = [c.metadata["nbgrader"]["grade_id"] for c in read(SOLUTIONS / LESSON / NAME).cells
             if c.metadata.get("nbgrader", {}).get("grade")]
    assert header == ["student", "status", "score", "max_score", "reasons", "file", *tests]
