"""The judge's parts: the plain-data wire, the courier's records, verdicts from whatever a kernel sends, the loop rule."""
from __future__ import annotations

import ast
import json
import math
import signal
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from helpers.checks import wire
from helpers.checks.core import CheckFailed
from helpers.checks.loops import expect_no_loops, loop_count_failure, loops_in
from helpers.courier import run_case
from helpers.checks.answers import Number
from helpers.grading import judge
from helpers.grading.spec import Case, Exercise

LESSON = "03_backprop_nodes"
DTYPES = [np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 63, 2 ** 63), st.floats(), st.text(max_size=20))
plain = st.recursive(scalars | st.sampled_from(DTYPES).flatmap(lambda d: arrays(d, array_shapes(min_dims=0, max_dims=4,
                                                                                                  min_side=0, max_side=4))),
                     lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) |
                     st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=12)


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    return a == b


@settings(max_examples=200, deadline=None)
@given(plain)
def test_plain_data_arrives_as_it_left(value):
    assert _same(wire.decode(json.loads(json.dumps(wire.encode(value)))), value)


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["$array", "$tuple", "$dict", "$scalar", "$float", "$object", "$rng", "x"]),
                        inner, max_size=2), max_leaves=10))
def test_anything_a_kernel_sends_is_plain_data_or_a_wire_error(data):
    try:
        wire.decode(data)
    except wire.WireError:
        pass


@pytest.mark.parametrize("data", [
    {"$array": ["float64", [10 ** 9, 10 ** 9], "AAAA"]},              # a shape its bytes do not fill
    {"$array": ["object", [1], "AAAA"]}, {"$array": ["float64", [-1], ""]}, {"$scalar": ["float64", "x"]},
    {"$rng": 3}, {"$dict": [[[1], 2]]}, {"$object": 7}, {"a": 1, "b": 2}, {"$array": ["float64", [1], "!!"]},
])
def test_malformed_or_oversized_messages_are_refused(data):
    with pytest.raises(wire.WireError):
        wire.decode(data)


def test_nesting_and_size_are_bounded():
    deep = 1
    for _ in range(100):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.decode(deep)
    with pytest.raises(wire.WireError):
        wire.decode("x" * 1000, limit=100)


def test_objects_travel_as_their_type_name_only():
    class Anything:
        def __eq__(self, other):
            return True
    sent = wire.decode(json.loads(json.dumps(wire.encode([Anything(), np.zeros(2).view(np.matrix)]))))
    assert [type(v) for v in sent] == [wire.Opaque, wire.Opaque] and "subclass of numpy.ndarray" in sent[1].type_name


def _case(*args) -> dict:
    return {"kind": "call", "args": wire.encode(args)}


def test_the_courier_records_answers_crashes_stubs_changed_inputs_and_timeouts():
    def stub(x):
        raise NotImplementedError

    def crash(x):
        return x @ np.ones((5, 5))

    def shift(x):
        x -= 1
        return x

    def forever(x):
        while True:
            pass

    x = np.arange(3.0)
    assert wire.decode(run_case(lambda v: v * 2, _case(x))["value"]).tolist() == [0.0, 2.0, 4.0]
    assert run_case(stub, _case(x)) == {"not_written": True, "changed": []}
    raised = run_case(crash, _case(x))["raised"]
    assert raised[0] == "ValueError" and "x @ np.ones" in raised[2]
    assert run_case(shift, _case(x))["changed"] == [0]
    assert run_case(forever, _case(x), seconds=0.3)["timeout"] == 0.3


@pytest.mark.parametrize("records", [
    None, [], ["nonsense"], [{"value": {"$object": "Anything"}}] * 40, [{"raised": [1, 2, 3]}] * 40,
    [{"value": {"$array": ["float64", [3, 4], "AAAA"]}}] * 40, [{"changed": ["a"], "value": 1}] * 40,
    [{"timeout": "x"}] * 40,
])
def test_whatever_comes_back_the_verdict_is_a_fail_with_a_reason(records):
    verdict = judge.verdict(judge.plan(LESSON)["add_backward"], records)
    assert not verdict.passed and verdict.message.startswith("✗")


def test_only_an_explicit_pass_of_every_case_earns_the_point():
    planned = judge.plan(LESSON)["add_backward"]
    answers = [{"value": wire.encode(planned.exercise.reference(*judge.arguments(c)[0]))} for c in planned.cases]
    assert judge.verdict(planned, answers).passed
    assert not judge.verdict(planned, answers[:-1]).passed, "a missing last case must fail"



def test_a_judge_by_properties_tells_the_visible_cases_from_the_graders_own():
    """An exercise with many right answers is judged by its `judge` (spec.Exercise): a failure in the grader's own
    cases must not be reported as a failure of the visible check's cases, which the grader takes for tampering."""
    def positive(cases, answers, what):
        for case, answer in zip(cases, answers):
            if answer <= 0:
                raise CheckFailed(what, "is not positive.", f"(case: {case.label})")

    shown, own = Case("visible", (1.0,)), Case("hidden", (2.0,))
    exercise = Exercise("draw", lambda x: x, lambda rng: [own], lambda rng: [shown], judge=positive)
    planned = judge.Plan(exercise, [shown, own], 1, Number(), "`draw(x)`", ["x"])
    assert judge.verdict(planned, [{"value": 1.0}, {"value": 2.0}]).passed
    failed_own = judge.verdict(planned, [{"value": 1.0}, {"value": -2.0}])
    assert not failed_own.passed and failed_own.visible_passed and "(case: hidden)" in failed_own.message
    failed_shown = judge.verdict(planned, [{"value": -1.0}, {"value": 2.0}])
    assert not failed_shown.passed and not failed_shown.visible_passed

def test_the_judge_reads_a_notebooks_functions_and_their_own_line_numbers():
    functions = judge.notebook_functions(["x = 1", "%time y = 2\ndef f(a):\n    return g(a)\n",
                                          "def g(a):\n    for v in a:\n        pass\n", "def h():\n    pass\nh = 3"])
    assert set(functions) == {"f", "g"}
    tree, lines = functions["g"]
    assert isinstance(tree, ast.FunctionDef) and lines[tree.body[0].lineno - 1].strip() == "for v in a:"


def _loops(source: str, start: str) -> list[str]:
    functions = judge.notebook_functions([source])
    return [loop.kind for loop in loops_in({n: t for n, (t, _) in functions.items()}, start)]


@pytest.mark.parametrize("source, says", [
    ("def f(x):\n    return helper(x)\ndef helper(x):\n    return [v for v in x]", "a list comprehension"),
    ("def f(x):\n    return f(x[1:]) if len(x) else 0", "recursion"),
    ("def f(x):\n    return g(x)\ndef g(x):\n    return f(x)", "recursion"),
    ("import itertools\ndef f(x):\n    return list(itertools.starmap(pow, x))", "itertools.starmap"),
    ("import functools\ndef f(x):\n    return functools.reduce(max, x)", "`reduce`"),
    ("def f(x):\n    return list(map(abs, x))", "`map`"),
    ("def f(x):\n    i = 0\n    while i < len(x):\n        i += 1\n    return i", "`while`"),
])
def test_the_loop_rule_follows_helpers_and_recursion(source, says):
    assert any(says in kind for kind in _loops(source, "f")), _loops(source, "f")


def test_the_loop_rule_allows_a_loop_over_a_fixed_list_written_out():
    source = "def f(x, Wq, Wk, Wv):\n    q, k, v = [x @ W for W in (Wq, Wk, Wv)]\n    for W in (Wq, Wk):\n" \
             "        x = x + W\n    return q + k + v + x"
    assert _loops(source, "f") == []


def test_the_visible_loop_check_follows_a_notebook_helper():
    namespace: dict = {}
    exec(compile("def helper(x):\n    return [v for v in x]\ndef f(x):\n    return helper(x)\n",
                 "<ipython-input-1>", "exec"), namespace)
    import linecache
    source = "def helper(x):\n    return [v for v in x]\ndef f(x):\n    return helper(x)\n"
    linecache.cache["<ipython-input-1>"] = (len(source), None, source.splitlines(keepends=True), "<ipython-input-1>")
    with pytest.raises(CheckFailed, match="in `helper`, which it calls"):
        expect_no_loops(namespace["f"])


@pytest.mark.parametrize("source, count", [
    ("def f(A, B):\n    return [[g(a, b) for b in B] for a in A]", 2),
    ("def f(A, B):\n    return [g(a, b) for a in A for b in B]", 2),
    ("def f(A, B):\n    return [g(a, b) for a in A for b in (1, 2)]", 1),
    ("def f(A, B):\n    for a in A:\n        helper(a, B)\ndef helper(a, B):\n    return list(map(abs, B))", 2),
    ("def f(A, B):\n    return f(A[1:], B) + [sum(b for b in B)] if len(A) else []", 2),
])
def test_the_loop_count_counts_each_for_clause_helpers_and_recursion(source, count):
    assert len(_loops(source, "f")) == count


@pytest.mark.parametrize("count, least, most, says", [
    (1, 2, None, "has fewer than two loops (1 found)."),
    (0, 1, 1, "has 0 loops; this version asks for exactly one."),
    (2, 1, 1, "has 2 loops; this version asks for exactly one."),
    (3, 0, 2, "has 3 loops; this version asks for at most two."),
])
def test_a_wrong_number_of_loops_is_named(count, least, most, says):
    loops = [(line, "a `for` loop", "for x in y:") for line in range(1, count + 1)]
    failure = loop_count_failure("f", loops, least, most, "Write it so.")
    assert failure is not None and says in str(failure) and "Write it so." in failure.hint
    assert loop_count_failure("f", loops, count, count) is None and loop_count_failure("f", loops, 0) is None


def test_the_courier_keeps_a_callers_own_time_limit():
    class Outer(BaseException):
        pass

    def forever(x):
        while True:
            pass

    def stop(_signum, _frame):
        raise Outer

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    started = time.monotonic()
    try:
        with pytest.raises(Outer):
            run_case(forever, _case(np.arange(3.0)), seconds=20)
        assert time.monotonic() - started < 5, "the courier's 20 s replaced the caller's 0.3 s"
        signal.setitimer(signal.ITIMER_REAL, 5.0)
        assert wire.decode(run_case(lambda v: v + 1, _case(np.zeros(1)))["value"]).tolist() == [1.0]
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 5.0, "the caller's timer was not given back"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
