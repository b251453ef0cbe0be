"""Every exercise: the reference passes its visible check and hidden tests; every mutant fails both.

A lesson with trusted hidden tests (helpers/grading/hidden_tests/) is judged as `course grade` judges
it; a lesson not yet converted keeps its hidden tests in its notebook's test cells.
"""
from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.mutants
from helpers.checks import CheckFailed
from helpers.grading import judge
from helpers.grading.visible_data import has_hidden_tests
from tests.notebooks import SOLUTIONS, exercises, reference_namespace, run_source, split_test

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # mutants overflow on purpose

LESSONS = [importlib.import_module(f"tests.mutants.{m.name}") for m in pkgutil.iter_modules(tests.mutants.__path__)]


def _short(lesson) -> str:
    return lesson.__name__.rsplit(".", 1)[1]


def _exercise_params():
    for lesson in LESSONS:
        for name in exercises(SOLUTIONS / lesson.NOTEBOOK):
            yield pytest.param(lesson, name, id=f"{_short(lesson)}:{name}")


def _mutant_params():
    for lesson in LESSONS:
        for name, mutants in lesson.MUTANTS.items():
            for mutant in mutants:
                yield pytest.param(lesson, name, mutant, id=f"{_short(lesson)}:{name}:{mutant.fn.__name__}")


def _parts(lesson, name):
    notebook = SOLUTIONS / lesson.NOTEBOOK
    visible, hidden = split_test(exercises(notebook)[name][1])
    return reference_namespace(notebook), visible, hidden


@pytest.mark.parametrize("lesson, name", list(_exercise_params()))
def test_every_exercise_has_three_mutants(lesson, name):
    assert len(lesson.MUTANTS.get(name, [])) >= 3, f"{name} needs at least three mutants in {lesson.__name__}"


def _folder(lesson) -> str:
    return lesson.NOTEBOOK.split("/")[0]


def _visible(lesson, name, fn, capsys=None) -> None:
    """Run the exercise's visible check on `fn` (raises CheckFailed when it rejects it)."""
    if has_hidden_tests(_folder(lesson)):
        getattr(judge.check_module(_folder(lesson)), f"check_{name}")(fn)
        return
    namespace, visible, _ = _parts(lesson, name)
    namespace[name] = fn
    run_source(visible, namespace, "<visible check>")


def _hidden_rejects(lesson, name, fn) -> bool:
    if has_hidden_tests(_folder(lesson)):
        return not judge.judge_function(_folder(lesson), name, fn).passed
    namespace, _, hidden = _parts(lesson, name)
    namespace[name] = fn
    try:
        run_source(hidden, namespace, "<hidden tests>")
    except AssertionError:
        return True
    return False


@pytest.mark.parametrize("lesson, name", list(_exercise_params()))
def test_reference_passes_visible_check_and_hidden_tests(lesson, name, capsys):
    reference = reference_namespace(SOLUTIONS / lesson.NOTEBOOK)[name]
    _visible(lesson, name, reference)
    assert "✓" in capsys.readouterr().out
    if has_hidden_tests(_folder(lesson)):
        verdict = judge.judge_function(_folder(lesson), name, reference)
        assert verdict.passed, verdict.message
    else:
        assert not _hidden_rejects(lesson, name, reference)


@pytest.mark.parametrize("lesson, name, mutant", [p for p in _mutant_params() if p.values[2].visible])
def test_visible_check_names_the_mistake(lesson, name, mutant):
    with pytest.raises(CheckFailed) as failure:
        _visible(lesson, name, mutant.fn)
    assert mutant.says in str(failure.value), f"the check said: {failure.value}"


@pytest.mark.parametrize("lesson, name, mutant", list(_mutant_params()))
def test_hidden_tests_reject_the_mutant(lesson, name, mutant):
    assert _hidden_rejects(lesson, name, mutant.fn), f"{mutant} passes the hidden tests"
