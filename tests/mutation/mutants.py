"""Mutants of an exercise: its reference solution cell with one mutation in the function's body.

Only the lines between `### BEGIN SOLUTION` and `### END SOLUTION` are mutated (never the `def` line
or the docstring). Each mutation is applied with cosmic-ray's `mutate_code`; mutants that do not
compile, or whose syntax tree equals the reference's or an earlier mutant's, are left out.
"""
from __future__ import annotations

import ast
import difflib
from collections import Counter
from dataclasses import dataclass

from cosmic_ray.ast import ast_nodes, get_ast
from cosmic_ray.mutating import mutate_code

from tests.mutation.operators import all_operators

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


@dataclass(frozen=True)
class Mutant:
    exercise: str
    operator: str     # "core/NumberReplacer", "course/RemoveTranspose", ...
    before: str       # the reference's changed line(s), stripped
    after: str        # the same line(s) in the mutant
    occurrence: int   # 0 for the first mutant of this exercise with this operator, before and after, 1 ...
    source: str       # the whole mutated solution cell

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        """What names this mutant stably (no line numbers)."""
        return self.exercise, self.operator, self.before, self.after, self.occurrence


def solution_lines(source: str) -> range:
    """Line numbers (1-based) strictly between the solution markers."""
    lines = [line.strip() for line in source.splitlines()]
    return range(lines.index(BEGIN) + 2, lines.index(END) + 1)


def _syntax(source: str) -> str | None:
    try:
        return ast.dump(ast.parse(source))
    except SyntaxError:
        return None


def _changed(before: str, after: str) -> tuple[str, str]:
    old, new = before.splitlines(), after.splitlines()
    pairs = [(old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in
             difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes() if tag != "equal"]
    return tuple(" ⏎ ".join(line.strip() for pair in pairs for line in pair[side]) for side in (0, 1))


def mutants(exercise: str, source: str) -> list[Mutant]:
    """Every mutant of the solution cell `source` of `exercise`, in operator then position order."""
    body, seen, found = solution_lines(source), {_syntax(source)}, []
    nodes = list(ast_nodes(get_ast(source)))
    for name, operator in all_operators().items():
        positions = [start for node in nodes for start, _ in operator.mutation_positions(node)]
        for occurrence, (line, _) in enumerate(positions):
            if line not in body:
                continue
            mutated = mutate_code(source, operator, occurrence)
            syntax = _syntax(mutated) if mutated else None
            if syntax is None or syntax in seen:
                continue
            seen.add(syntax)
            found.append((name, *_changed(source, mutated), mutated))
    count = Counter()
    result = []
    for name, before, after, mutated in found:
        result.append(Mutant(exercise, name, before, after, count[name, before, after], mutated))
        count[name, before, after] += 1
    return result
