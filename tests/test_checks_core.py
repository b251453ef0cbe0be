"""The shared check toolkit: each explanation fires on the mistake it names, and only then."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from helpers.checks import (
    CheckFailed,
    call_student,
    expect_array,
    expect_close,
    expect_finite,
    expect_no_loops,
    find_loops,
    passed,
)

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def _fails(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as failure:
        fn(*args, **kwargs)
    return str(failure.value)


# expect_array

@pytest.mark.parametrize("value, says", [
    (None, "forget the `return`"),
    ([1.0, 2.0], "is a list, not a NumPy array"),
    (np.matrix([[1.0, 2.0]]), "is a matrix, not a NumPy array"),
    (np.zeros((3, 2)), "has shape (3, 2); expected (2, 3).\nIt looks transposed"),
    (np.zeros((2, 3, 1)), "extra or missing axis of length 1"),
    (np.zeros((2, 3), dtype=int), "has dtype int64; expected floating-point"),
])
def test_expect_array_explains_the_problem(value, says):
    assert says in _fails(expect_array, value, (2, 3), "`f`")


def test_expect_array_uses_the_exercise_specific_shape_hint():
    assert "pad the sentence" in _fails(expect_array, np.zeros((4, 3)), (6, 3), "`f`",
                                        shape_hints={(4, 3): "pad the sentence"})


def test_expect_array_accepts_the_right_array_and_integers_when_asked():
    expect_array(np.zeros((2, 3)), (2, 3), "`f`")
    expect_array(np.arange(6).reshape(2, 3), (2, 3), "`f`", integer=True)
    assert "expected integers" in _fails(expect_array, np.zeros((2, 3)), (2, 3), "`f`", integer=True)


# expect_close

WANT = np.arange(1.0, 7.0).reshape(2, 3)


@pytest.mark.parametrize("got, says", [
    (-WANT, "wrong sign everywhere"),
    (2.5 * WANT, "is 2.5 times the right answer"),
    (WANT + 0.75, "off by a constant +0.75"),
    (np.where(WANT == 4.0, 9.0, WANT), "at index (1, 0): got 9, expected 4"),
    (np.where(WANT == 4.0, np.nan, WANT), "contains 1 NaN and 0 inf"),
])
def test_expect_close_names_generic_mistakes(got, says):
    assert says in _fails(expect_close, got, WANT, "`f`")


def test_expect_close_spots_a_transpose_of_a_square_result():
    square = np.arange(9.0).reshape(3, 3)
    assert "is transposed" in _fails(expect_close, square.T, square, "`f`")


def test_expect_close_prefers_the_exercise_specific_mistake():
    message = _fails(expect_close, -WANT, WANT, "`f`", mistakes=[("forgot the minus in the loss", -WANT)])
    assert "forgot the minus in the loss" in message and "wrong sign" not in message


def test_expect_close_is_not_fooled_by_a_monkeypatched_allclose(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    monkeypatch.setattr(np, "isclose", lambda a, b, **kwargs: np.ones(np.shape(a), dtype=bool))
    with pytest.raises(CheckFailed):
        expect_close(WANT + 1.0, WANT, "`f`")


def test_expect_close_rejects_an_ndarray_subclass():
    class Cheat(np.ndarray):
        def __eq__(self, other):
            return True
    assert "not a NumPy array" in _fails(expect_close, WANT.view(Cheat), WANT, "`f`")


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=finite))
def test_expect_close_accepts_rounding_noise(want):
    expect_close(want * (1 + 1e-12), want, "`f`")


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=finite),
       st.floats(1.01, 1e6), st.sampled_from([-1.0, 1.0]), st.data())
def test_expect_close_rejects_every_error_beyond_its_tolerance(want, factor, sign, data):
    """An entry off by more than atol + rtol·|want| (NumPy's allclose, 1e-9 + 1e-6·|want| here) fails."""
    index = data.draw(st.tuples(*(st.integers(0, n - 1) for n in want.shape)))
    got = want.copy()
    got[index] += sign * factor * (1e-9 + 1e-6 * abs(want[index]))
    with pytest.raises(CheckFailed):
        expect_close(got, want, "`f`")


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=finite),
       st.floats(0.0, 0.99), st.sampled_from([-1.0, 1.0]), st.data())
def test_expect_close_accepts_every_error_within_its_tolerance(want, factor, sign, data):
    index = data.draw(st.tuples(*(st.integers(0, n - 1) for n in want.shape)))
    got = want.copy()
    got[index] += sign * factor * (1e-9 + 1e-6 * abs(want[index]))
    expect_close(got, want, "`f`")


def test_expect_close_says_by_how_much_and_when_it_is_float32_precision():
    want = np.linspace(1.0, 2.0, 6)
    off = want.copy()
    off[2] += 0.25
    assert "got 1.65, expected 1.4 (off by 0.25" in _fails(expect_close, off, want, "`f`")
    single = (want * (1 + 1e-4 * np.array([1, -2, 3, -1, 2, -3]))).astype(np.float32)
    says = _fails(expect_close, single, want, "`f`")
    assert "float32 keeps about 7 digits" in says and "of the value" in says
    expect_close((want * (1 + 1e-7)).astype(np.float32), want, "`f`")   # float32 held to float32's precision


def test_expect_close_names_an_overflow():
    want = np.array([0.5, 0.5])
    assert "NaN" in _fails(expect_close, np.array([np.nan, 0.5]), want, "`f`")


def test_expect_finite_counts_nan_and_inf():
    assert "contains 2 NaN and 1 inf values.\nsubtract the max" in _fails(
        expect_finite, np.array([np.nan, np.inf, np.nan, 1.0]), "`f`", "subtract the max")


# call_student

def test_call_student_says_an_exercise_is_not_written_yet():
    def stub(x):
        raise NotImplementedError()
    assert "`stub` is not written yet" in _fails(call_student, stub, np.ones(2))


def test_call_student_names_the_arguments_their_shapes_and_the_failing_line():
    def score(X, W):
        return X @ W.T
    message = _fails(call_student, score, np.ones((4, 3)), np.ones((3, 2)))
    assert "raised ValueError" in message
    assert "X = float64 array of shape (4, 3); W = float64 array of shape (3, 2)" in message
    assert "It failed at: return X @ W.T" in message


def test_call_student_catches_an_input_changed_in_place():
    def shift(Z):
        Z -= Z.max()
        return Z
    assert "changed its input `Z` in place" in _fails(call_student, shift, np.arange(3.0))


def test_call_student_explains_a_result_passed_instead_of_the_function():
    assert "not `check_name(name(...))`" in _fails(call_student, np.ones(3), np.ones(3))


def test_call_student_returns_the_result_of_a_correct_function():
    assert call_student(lambda x: x + 1, 1) == 2


# loops

def _vectorized(x):
    return (x ** 2).sum(axis=1)


def _with_for(x):
    total = 0
    for v in x:
        total += v
    return total


def _with_while(x):
    while x.any():
        x = x[1:]
    return x


def _with_comprehension(x):
    return sum([v * 2 for v in x])


def _with_generator(x):
    return sum(v * 2 for v in x)


def _with_vectorize(x):
    return np.vectorize(lambda v: v * 2)(x)


def _with_apply(x):
    return np.apply_along_axis(np.sum, 1, x)


def _with_map(x):
    return list(map(abs, x))


@pytest.mark.parametrize("fn, says", [
    (_with_for, "a `for` loop"), (_with_while, "a `while` loop"), (_with_comprehension, "a list comprehension"),
    (_with_generator, "a generator expression"), (_with_vectorize, "`np.vectorize`"),
    (_with_apply, "`np.apply_along_axis`"), (_with_map, "`map`"),
])
def test_expect_no_loops_names_the_loop_and_its_line(fn, says):
    message = _fails(expect_no_loops, fn)
    assert says in message and "Line " in message


def test_expect_no_loops_accepts_vectorized_code():
    assert find_loops(_vectorized) == []
    expect_no_loops(_vectorized)


def test_expect_no_loops_needs_source_code():
    assert "has no source code" in _fails(expect_no_loops, np.add)


# what a student sees

def test_a_failed_check_renders_as_a_short_explanation_not_a_traceback():
    error = CheckFailed("`softmax_rows(Z)`", "contains 3 NaN and 0 inf values.",
                        "Subtract each row's max.\nThen retry.")
    lines = error._render_traceback_()
    assert "✗ `softmax_rows(Z)` contains 3 NaN" in lines[0]
    assert lines[1:] == ["  Subtract each row's max.", "  Then retry."]


def test_passed_says_hidden_tests_try_more(capsys):
    passed("`f`")
    out = capsys.readouterr().out
    assert out.startswith("✓ `f`: all visible checks passed") and "hidden tests try more cases" in out
