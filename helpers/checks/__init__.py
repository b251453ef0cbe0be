"""Instant, student-facing checks: one module of shared tools, one module per lesson.

A check either prints a short success line or raises `CheckFailed`, whose message says in words
what is wrong (which argument, which shape was expected and which came, a transposed result,
an overflow) instead of a bare `AssertionError`.
"""
from helpers.checks.core import (
    CheckFailed,
    call_student,
    expect_array,
    expect_close,
    expect_finite,
    passed,
)
from helpers.checks.loops import expect_no_loops, find_loops

__all__ = [
    "CheckFailed",
    "call_student",
    "expect_array",
    "expect_close",
    "expect_finite",
    "expect_no_loops",
    "find_loops",
    "passed",
]
