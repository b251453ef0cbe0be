"""Every exercise: the reference passes its visible check and hidden tests; every mutant fails both."""
from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.mutants
from helpers.checks import CheckFailed
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


@pytest.mark.parametrize("lesson, name", list(_exercise_params()))
def test_reference_passes_visible_check_and_hidden_tests(lesson, name, capsys):
    namespace, visible, hidden = _parts(lesson, name)
    run_source(visible, dict(namespace), "<visible check>")
    assert "✓" in capsys.readouterr().out
    run_source(hidden, dict(namespace), "<hidden tests>")


@pytest.mark.parametrize("lesson, name, mutant", list(_mutant_params()))
def test_visible_check_names_the_mistake(lesson, name, mutant):
    namespace, visible, _ = _parts(lesson, name)
    namespace[name] = mutant.fn
    with pytest.raises(CheckFailed) as failure:
        run_source(visible, namespace, "<visible check>")
    assert mutant.says in str(failure.value), f"the check said: {failure.value}"


@pytest.mark.parametrize("lesson, name, mutant", list(_mutant_params()))
def test_hidden_tests_reject_the_mutant(lesson, name, mutant):
    namespace, _, hidden = _parts(lesson, name)
    namespace[name] = mutant.fn
    with pytest.raises(AssertionError):
        run_source(hidden, namespace, "<hidden tests>")
