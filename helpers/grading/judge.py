"""The trusted judge: the grader's cases for a lesson, and a verdict for each exercise from the answers.

It runs in the grader, never in a kernel. `plan(lesson)` draws every exercise's cases (the visible
check's first, then the hidden ones) from the lesson's hidden tests (helpers.grading.spec);
`courier_cases` is what a kernel is given of them: the arguments, as plain data. What comes back
(helpers.courier's records) is compared, case by case, with the reference's answer computed here, by
the same `ANSWERS` the visible check uses; the first failing case decides, and its message names the
mistake when the answer equals a known mistake's. Only an explicit pass earns the exercise's points.
"""
from __future__ import annotations

import ast
import copy
import functools
import importlib
import inspect
import json
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from helpers.checks import wire
from helpers.checks.answers import Answer, answer_from
from helpers.checks.core import CheckFailed
from helpers.checks.loops import loop_count_failure, loop_failure, loops_in
from helpers.courier import run_case
from helpers.grading.cells import python_of
from helpers.grading.spec import Case, Exercise



def lesson_module(lesson: str) -> str:
    """"03_backprop_nodes" -> "backprop_nodes": the name of the lesson's check and hidden-test modules."""
    return lesson.split("_", 1)[1] if lesson[:2].isdigit() else lesson


def hidden_tests(lesson: str) -> ModuleType:
    return importlib.import_module(f"helpers.grading.hidden_tests.{lesson_module(lesson)}")


def check_module(lesson: str) -> ModuleType:
    return importlib.import_module(f"helpers.checks.{lesson_module(lesson)}")


@dataclass
class Plan:
    """An exercise's cases in the order they are tried: the visible check's `visible` first."""
    exercise: Exercise
    cases: list[Case]
    visible: int
    answer: Answer
    what: str
    labels: list[str]


@dataclass
class Verdict:
    exercise: str
    passed: bool
    message: str                    # what the student reads
    visible_passed: bool            # the visible check's own cases, as the grader ran them
    mistake: str | None = None      # the known mistake that explains the failure, for the class report
    failure: CheckFailed | None = None


@functools.lru_cache(maxsize=None)
def plan(lesson: str) -> dict[str, Plan]:
    """Every exercise of the lesson with its cases, the same on every run (made once per process; the cases'
    arguments reach answers and references only as fresh copies)."""
    answers = check_module(lesson).ANSWERS
    plans = {}
    for exercise in hidden_tests(lesson).EXERCISES:
        visible = list(exercise.visible(np.random.default_rng(exercise.seed)))
        hidden = list(exercise.cases(np.random.default_rng(exercise.seed + 1)))
        labels = list(inspect.signature(exercise.reference).parameters)
        call = exercise.call or f"{exercise.name}({', '.join(labels)})"
        what = f"`{call}`"
        plans[exercise.name] = Plan(exercise, visible + hidden, len(visible), answers[exercise.name], what, labels)
    return plans


def wire_case(case: Case) -> dict:
    return {"kind": case.kind, "args": wire.encode(tuple(case.args)), "kwargs": wire.encode(dict(case.kwargs))}


def courier_cases(lesson: str, planned: Plan) -> dict:
    """What the kernel is given for one exercise: the lesson's check module and each case's arguments."""
    return {"module": check_module(lesson).__name__, "cases": [wire_case(c) for c in planned.cases]}


def arguments(case: Case) -> tuple[tuple, dict]:
    """A fresh copy of the case's arguments (a seed stands for a new generator, as in the kernel)."""
    return wire.decode(wire.encode(tuple(case.args)), allow_rng=True), \
        wire.decode(wire.encode(dict(case.kwargs)), allow_rng=True)


def answer_of(record, planned: Plan, case: Case):
    """The student's answer in a courier record, or CheckFailed for what went wrong instead."""
    return answer_from(record, f"`{planned.exercise.name}`", planned.labels, arguments(case)[0])


def mistaken_answers(exercise: Exercise, case: Case) -> list[tuple[str, object]]:
    out = []
    for mistake in exercise.mistakes:
        args, kwargs = arguments(case)
        try:
            with np.errstate(all="ignore"):
                out.append((mistake.says, mistake.answer(*args, **kwargs)))
        except Exception:   # noqa: BLE001 — a mistake that cannot happen on these inputs names nothing
            continue
    return out


def check_case(planned: Plan, case: Case, record) -> None:
    """Raise CheckFailed unless the record holds the right answer to `case`."""
    got = answer_of(record, planned, case)
    args, kwargs = arguments(case)
    want = planned.exercise.reference(*args, **kwargs)
    with np.errstate(all="ignore"):
        try:
            planned.answer.check(got, want, planned.what)
        except CheckFailed:                        # wrong: which known mistake, if any, explains it?
            planned.answer.check(got, want, planned.what, mistaken_answers(planned.exercise, case))
            raise


def _labelled(failure: CheckFailed, case: Case, visible: bool) -> CheckFailed:
    where = "the visible check's case" if visible else "the grader's case"
    return CheckFailed(failure.what, failure.problem, (failure.hint + "\n" if failure.hint else "") +
                       f"({where}: {case.label})")


def verdict(planned: Plan, records: list | None, functions: dict | None = None) -> Verdict:
    """Judge one exercise from its courier records (in the order of planned.cases); `functions` are the
    notebook's function definitions by name (for the loop rule), as `notebook_functions` reads them."""
    exercise, records = planned.exercise, list(records or [])
    records += [None] * (len(planned.cases) - len(records))
    failure, failed_at = None, None
    try:
        if exercise.judge is not None:           # the visible check's cases first, then the grader's own
            judged = list(zip(planned.cases, records))
            for start, part in ((0, judged[:planned.visible]), (planned.visible, judged[planned.visible:])):
                failed_at = start
                exercise.judge([c for c, _ in part], [answer_of(r, planned, c) for c, r in part], planned.what)
            failed_at = None
        else:
            for index, (case, record) in enumerate(zip(planned.cases, records)):
                failed_at = index
                check_case(planned, case, record)
            failed_at = None
        if exercise.vectorized or exercise.loops:
            _check_loops(exercise, functions)
    except CheckFailed as error:
        failure = error if failed_at is None or exercise.judge is not None else \
            _labelled(error, planned.cases[failed_at], failed_at < planned.visible)   # a judge names its cases
    except Exception as error:  # noqa: BLE001 — a reference that cannot judge this answer fails it, with why
        failure = CheckFailed(f"`{exercise.name}`", "could not be judged.", f"{type(error).__name__}: {error}"[:300])
    if failure is None:
        return Verdict(exercise.name, True, f"✓ {exercise.name}: all of the grader's tests passed.", True)
    visible_passed = failed_at is not None and failed_at >= planned.visible
    mistake = next((m.name for m in exercise.mistakes if m.says and m.says in failure.hint), None)
    return Verdict(exercise.name, False, f"✗ {failure.what} {failure.problem}\n{failure.hint}".rstrip(),
                   visible_passed, mistake, failure)


def _check_loops(exercise: Exercise, functions: dict | None) -> None:
    """The loop rule (no loop at all), or the number of loops an exercise asks for."""
    name, functions = exercise.name, functions or {}
    if name not in functions:
        raise CheckFailed(f"`{name}`", "is not defined with `def` in the notebook.",
                          "Define it with `def` in its exercise cell, so its code can be read.")
    trees = {n: tree for n, (tree, _) in functions.items()}
    found = loops_in(trees, name, {n: text for n, (_, text) in functions.items()})
    listed = [(loop.line, loop.kind if loop.function == name else f"{loop.kind} in `{loop.function}`, which it calls",
              loop.code) for loop in found]
    if exercise.loops is not None:
        failure = loop_count_failure(name, listed, exercise.loops.least, exercise.loops.most, exercise.loops.hint)
        if failure is not None:
            raise failure
    elif found:
        raise loop_failure(name, listed)


def notebook_functions(sources: list[str]) -> dict[str, tuple[ast.AST, list[str]]]:
    """The functions the code cells define at top level, by name (the last definition wins), with their lines."""
    functions: dict = {}
    for source in sources:
        for name, definition in _definitions(source):
            if definition is None:
                functions.pop(name, None)               # no longer that def
            else:
                functions[name] = definition
    return functions


@functools.lru_cache(maxsize=4096)        # each exercise's verdict reads the cells before it: parse each once
def _definitions(source: str) -> tuple:
    """(name, (tree, lines)) for each top-level def of a cell, and (name, None) for each name it rebinds."""
    try:
        python = python_of(source)
        tree = ast.parse(python)
    except (SyntaxError, RecursionError, ValueError, MemoryError):
        return ()
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = ast.get_source_segment(python, node) or ""
            found.append((node.name, (_relined(node), lines.splitlines())))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [(t.id, None) for t in targets if isinstance(t, ast.Name)]
    return tuple(found)


def _relined(node: ast.AST) -> ast.AST:
    """`node` with line numbers counted from its own first line, as inspect.getsource would give them."""
    first = node.lineno
    node = copy.deepcopy(node)
    for child in ast.walk(node):
        if hasattr(child, "lineno"):
            child.lineno -= first - 1
    return node


def judge_function(lesson: str, name: str, fn) -> Verdict:
    """Judge a function directly, in this process, as a graded kernel's answers would be (for tests and
    mutation testing): the same cases, the same records through JSON, the same verdict."""
    from helpers.checks.loops import notebook_functions as source_functions

    planned = plan(lesson)[name]
    procedures = getattr(check_module(lesson), "PROCEDURES", {})
    records = [json.loads(json.dumps(run_case(fn, wire_case(case), procedures))) for case in planned.cases]
    functions = None
    if planned.exercise.vectorized or planned.exercise.loops:
        try:
            trees, lines = source_functions(fn)
        except CheckFailed:
            trees, lines = {}, {}
        functions = {n: (trees[n], lines.get(n, [])) for n in trees}
        if fn.__name__ in functions:              # a mutant or a copy under another name
            functions[name] = functions[fn.__name__]
    return verdict(planned, records, functions)
