"""Find Python-level loops in an exercise that asks for vectorized code, reading its syntax tree.

Reading the code, not timing it, decides: a slow machine must not fail a correct answer. The rule,
the same in the notebook's check and in the grader:

* forbidden: `for` and `while` loops, comprehensions and generator expressions, recursion, and the
  loops in disguise `map`, `filter`, `functools.reduce`, anything from `itertools`, `np.vectorize`,
  `np.frompyfunc`, `np.apply_along_axis` and `np.fromiter`;
* followed: functions of the notebook that the exercise calls by name, and the functions they call,
  so a loop moved into a helper is still a loop;
* allowed: a loop over a fixed list written out in the code, such as `for W in (Wq, Wk, Wv)`: its
  length does not grow with the data.

An exercise that is a loop on purpose (a two-loop baseline to time the others against) asks for a number
of loops instead, counted the same way: each `for` clause of a comprehension is one loop.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from helpers.checks.core import CheckFailed

_LOOPS = {
    ast.For: "a `for` loop",
    ast.AsyncFor: "a `for` loop",
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
    "fromiter": "`np.fromiter` (a Python loop in disguise)",
    "map": "`map` (calls Python once per element)",
    "filter": "`filter` (calls Python once per element)",
    "reduce": "`reduce` (calls Python once per element)",
    "starmap": "`itertools.starmap` (calls Python once per element)",
}
_ITERTOOLS = "itertools"


@dataclass(frozen=True)
class Loop:
    function: str     # the function the loop is in
    line: int         # its line within that function
    kind: str         # "a `for` loop", ...
    code: str         # the code on that line
    column: int = 0   # where on that line (two `for` clauses of one comprehension are two loops)


def _fixed_length(iterable: ast.AST) -> bool:
    return isinstance(iterable, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in iterable.elts)


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id == _ITERTOOLS:
            return "starmap" if func.attr == "starmap" else f"itertools.{func.attr}"
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def loops_in(functions: dict[str, ast.FunctionDef | ast.Lambda], start: str,
             lines: dict[str, list[str]] | None = None) -> list[Loop]:
    """Every loop reachable from the function `start`, following calls to the other `functions` by name."""
    lines = lines or {}
    found: list[Loop] = []
    done: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:     # depth first; each function read once
        done.add(name)
        text = lines.get(name, [])
        for node in ast.walk(functions[name]):
            kind = next((label for loop_type, label in _LOOPS.items() if isinstance(node, loop_type)), None)
            columns = [getattr(node, "col_offset", 0)]
            if isinstance(node, (ast.For, ast.AsyncFor)) and _fixed_length(node.iter):
                kind = None
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                columns = [g.iter.col_offset for g in node.generators if not _fixed_length(g.iter)]
            if isinstance(node, ast.Call):
                called = _called_name(node)
                kind = _LOOPS_IN_DISGUISE.get(called) or (
                    f"`{called}` (a loop from itertools)" if called.startswith("itertools.") else None)
                if called in stack:
                    kind = f"recursion: `{called}` calls itself (a loop by another name)"
                elif called in functions and called not in done:
                    visit(called, stack + (called,))
            if kind:
                line = getattr(node, "lineno", 1)
                code = text[line - 1].strip() if 0 < line <= len(text) else ""
                found.extend(Loop(name, line, kind, code, column) for column in columns)

    visit(start, (start,))
    return sorted(set(found), key=lambda loop: (loop.function != start, loop.function, loop.line, loop.column))


def _tree(source: str) -> ast.Module:
    return ast.parse(textwrap.dedent(source))


def notebook_functions(fn: Callable) -> tuple[dict, dict]:
    """The syntax trees (and lines) of `fn` and of every function of the same notebook it calls by name."""
    functions: dict[str, ast.FunctionDef] = {}
    lines: dict[str, list[str]] = {}
    pending = [fn]
    while pending:
        current = inspect.unwrap(pending.pop())
        name = getattr(current, "__name__", "your function")
        if name in functions:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(current))
        except (OSError, TypeError):
            if current is fn:
                raise CheckFailed(f"`{name}`", "has no source code to read.",
                                  "Define it with `def` in a notebook cell and run that cell.") from None
            continue
        tree = next((n for n in _tree(source).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
        if tree is None:
            continue
        functions[name], lines[name] = tree, source.splitlines()
        namespace = getattr(current, "__globals__", {})
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                other = namespace.get(node.func.id)
                code = getattr(other, "__code__", None)
                if code is not None and ("ipykernel" in code.co_filename or code.co_filename.startswith("<")):
                    pending.append(other)
    return functions, lines


def find_loops(fn: Callable) -> list[tuple[int, str, str]]:
    """(line within the function, what kind of loop, the code on that line) for every loop found in `fn`
    and the notebook functions it calls."""
    functions, lines = notebook_functions(fn)
    start = getattr(inspect.unwrap(fn), "__name__", "your function")
    return [(loop.line, loop.kind if loop.function == start else f"{loop.kind} in `{loop.function}`, which it calls",
             loop.code) for loop in loops_in(functions, start, lines)]


def loop_failure(name: str, loops: list[tuple[int, str, str]]) -> CheckFailed:
    line, label, code = loops[0]
    more = f" (and {len(loops) - 1} more)" if len(loops) > 1 else ""
    return CheckFailed(f"`{name}`", f"uses {label}{more}.",
                       (f"Line {line}: `{code}`\n" if code else "") +
                       "This exercise asks for vectorized code: whole-array indexing, broadcasting and "
                       "matrix products, with no Python-level loop (a loop over a fixed list written out, "
                       "such as `for W in (Wq, Wk, Wv)`, is fine).")


def expect_no_loops(fn: Callable) -> None:
    """Raise CheckFailed naming the first loop in `fn` (or in a notebook function it calls), if there is one."""
    loops = find_loops(fn)
    if loops:
        raise loop_failure(inspect.unwrap(fn).__name__, loops)


_NUMBERS = ["none", "one", "two", "three", "four"]


def _number(count: int) -> str:
    return _NUMBERS[count] if 0 <= count < len(_NUMBERS) else str(count)


def loop_count_failure(name: str, loops: list[tuple[int, str, str]], least: int, most: int | None = None,
                       hint: str = "") -> CheckFailed | None:
    """CheckFailed if `loops` (as `find_loops` lists them) are fewer than `least` or more than `most` (None: no
    limit), for an exercise that asks for that many loops; None if their number is right."""
    count = len(loops)
    if least <= count and (most is None or count <= most):
        return None
    have = f"has {count} loop{'' if count == 1 else 's'}"
    if least == most:
        problem = f"{have}; this version asks for exactly {_number(least)}."
    elif count < least:
        problem = (f"has fewer than {_number(least)} loops ({count} found)." if most is None else
                   f"{have}; this version asks for at least {_number(least)}.")
    else:
        problem = f"{have}; this version asks for at most {_number(most)}."
    where = ", ".join(f"line {line} ({label})" for line, label, _ in loops)
    return CheckFailed(f"`{name}`", problem, hint + (f"\nLoops found: {where}." if where else ""))


def expect_loop_count(fn: Callable, least: int, most: int | None = None, hint: str = "") -> None:
    """Raise CheckFailed unless `fn` (with the notebook functions it calls) has between `least` and `most` loops."""
    failure = loop_count_failure(inspect.unwrap(fn).__name__, find_loops(fn), least, most, hint)
    if failure is not None:
        raise failure
