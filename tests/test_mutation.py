"""Mutation testing of every lesson (python -m tests.mutation), and the parts of the tool itself.

Each lesson's test runs the command on it and fails, with its table and survivors, unless the hidden
tests reject every mutant not recorded as equivalent and the visible checks reject at least 90%.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from cosmic_ray.mutating import mutate_code

from tests.mutation.isolation import Outcome, judge
from tests.mutation.mutants import Mutant, mutants
from tests.mutation.operators import OURS
from tests.mutation.report import ExerciseScore, Judged, LessonScore
from tests.notebooks import ROOT, solution_notebooks

LESSONS = [path.parent.name for path in solution_notebooks()]


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_hidden_tests_and_visible_checks_reject_the_mutants(lesson):
    run = subprocess.run([sys.executable, "-m", "tests.mutation", lesson, "--survivors"], cwd=ROOT,
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, f"python -m tests.mutation {lesson} --survivors\n{run.stdout}{run.stderr}"


@pytest.mark.parametrize("operator, example", [(op, ex) for op in OURS for ex in op.examples()],
                         ids=lambda value: getattr(value, "__name__", ""))
def test_our_operators_make_the_mutations_they_show(operator, example):
    assert mutate_code(example.pre_mutation_code, operator(), example.occurrence) == example.post_mutation_code


CELL = '''def double(x):
    """x: (n,). Returns 2 x."""
    ### BEGIN SOLUTION
    y = x * 2
    return y
    ### END SOLUTION
'''


def test_only_the_solution_lines_are_mutated():
    found = mutants("double", CELL)
    assert found and all(m.before in ("y = x * 2", "return y") for m in found)
    assert ("core/NumberReplacer", "y = x * 2", "y = x * 3") in {(m.operator, m.before, m.after) for m in found}


def test_an_answer_that_never_returns_is_rejected_by_a_timeout():
    cell = "def softmax_rows(Z):\n    while True:\n        pass\n"
    outcome = judge("01_matrix_vs_loop", "softmax_rows", cell, time_limit=0.5)
    assert outcome.hidden[0] and outcome.hidden[1].startswith("Timeout")
    assert outcome.visible[0] and outcome.visible[1].startswith("Timeout")


def test_a_survivor_a_rejected_correct_answer_and_a_stale_record_fail_the_lesson():
    accepted, rejected = (False, ""), (True, "AssertionError: wrong")
    wrong, equivalent = (Mutant("f", "core/NumberReplacer", "y = x * 2", after, 0, "")
                         for after in ("y = x * 3", "y = x * 2.0"))
    exercise = ExerciseScore("L", "f", Outcome(accepted, accepted),
                             [Judged(wrong, Outcome(accepted, accepted), False),
                              Judged(equivalent, Outcome(rejected, accepted), True)])
    problems = LessonScore("L", [exercise], stale=["('f', 'core/AddNot', 'a', 'b', 0)"]).problems()
    assert len(problems) == 4, problems  # the equivalent rejected, the survivor, 0% visible, the stale record
    assert LessonScore("L", [ExerciseScore("L", "f", Outcome(accepted, accepted),
                                           [Judged(wrong, Outcome(rejected, rejected), False)])]).problems() == []
