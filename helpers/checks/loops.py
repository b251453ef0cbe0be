"""Find Python-level loops in a function's source, for the exercises that ask for vectorized code.

Reading the syntax tree, not timing, decides: a slow machine must not fail a correct answer.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable

from helpers.checks.core import CheckFailed

_LOOPS = {
    ast.For: "a `for` loop",
    ast.While: "a `while` loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}
_LOOPS_IN_DISGUISE = {
    "vectorize": "`np.vectorize` (a Python loop in disguise)",
    "frompyfunc": "`np.frompyfunc` (a Python loop in disguise)",
    "apply_along_axis": "`np.apply_along_axis` (a Python loop in disguise)",
    "map": "`map` (calls Python once per element)",
}


def _source(fn: Callable) -> str:
    fn = inspect.unwrap(fn)
    name = getattr(fn, "__name__", "your function")
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        raise CheckFailed(f"`{name}`", "has no source code to read.",
                          "Define it with `def` in a notebook cell and run that cell.") from None


def find_loops(fn: Callable) -> list[tuple[int, str, str]]:
    """(line within the function, what kind of loop, the code on that line) for every loop found."""
    source = _source(fn)
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        label = next((text for kind, text in _LOOPS.items() if isinstance(node, kind)), None)
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            label = _LOOPS_IN_DISGUISE.get(called)
        if label:
            found.append((node.lineno, label, lines[node.lineno - 1].strip()))
    return sorted(found)


def expect_no_loops(fn: Callable) -> None:
    """Raise CheckFailed naming the first loop in `fn`, if there is one."""
    loops = find_loops(fn)
    if loops:
        line, label, code = loops[0]
        more = f" (and {len(loops) - 1} more)" if len(loops) > 1 else ""
        raise CheckFailed(f"`{inspect.unwrap(fn).__name__}`", f"uses {label}{more}.",
                          f"Line {line} of the function: `{code}`\n"
                          "This exercise asks for vectorized code: whole-array indexing, broadcasting "
                          "and matrix products, with no Python-level loop.")
