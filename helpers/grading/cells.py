"""nbgrader preprocessors for grading: run only what the grades need.

A lesson's notebook spends most of its time on demonstrations (timing sweeps, training, plots) that
earn no points. `SkipDemoCells` blanks, for the duration of nbgrader's Execute, every instructor cell
that no graded cell depends on; `RestoreDemoCells` puts their source back, so the autograded notebook
and the feedback still show the whole lesson. A cell is kept when it is a graded (solution or test)
cell, when the student wrote or changed it, or when it defines a name a kept cell reads.
"""
from __future__ import annotations

import ast
import builtins
import functools

from IPython.core.inputtransformer2 import TransformerManager
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

STASH = "l2a_skipped_source"
BUILTINS = set(dir(builtins))
_IPYTHON = TransformerManager()          # IPython's own translation of magics and `!` lines into Python
LARGE = 100_000                          # characters: IPython's translation of a cell takes seconds beyond this


def python_of(source: str) -> str:
    """A cell's source as Python, magics and `!` lines translated as IPython does; a cell too large for
    that to be quick is taken as it is (a huge cell is unusual, and its magics, if any, cost it nothing more)."""
    return source if len(source) > LARGE else _IPYTHON.transform_cell(source)


@functools.lru_cache(maxsize=4096)          # a class shares the instructor's cells: each is parsed once
def _names(source: str) -> tuple[frozenset[str], frozenset[str]]:
    """(global names the code reads, names it defines) — generous, so that no needed cell is skipped.

    Names local to a function (its parameters and what it assigns) are not global reads.
    """
    try:
        tree = ast.parse(python_of(source))
    except (SyntaxError, RecursionError, MemoryError, ValueError):     # it fails when run, not here
        return frozenset(), frozenset()
    reads: set[str] = set()

    def block(statements: list[ast.stmt], local: frozenset[str]) -> frozenset[str]:
        for statement in statements:          # a name defined by an earlier statement is not read from outside
            visit(statement, local)
            local = local | _defined([statement])
        return local

    def visit(node: ast.AST, local: frozenset[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for outer in node.args.defaults + node.args.kw_defaults + getattr(node, "decorator_list", []):
                if outer is not None:
                    visit(outer, local)
            body = node.body if isinstance(node.body, list) else [node.body]
            block(body, local | _parameters(node.args) | _defined(body))
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            inner = local | {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
            for child in ast.iter_child_nodes(node):
                visit(child, inner)
        elif isinstance(node, ast.For | ast.AsyncFor):
            visit(node.iter, local)
            inner = local | _defined([ast.Expr(node.target)])
            block(node.body, inner)
            block(node.orelse, inner)
        else:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
                reads.add(node.id)
            for name, value in ast.iter_fields(node):
                if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                    block(value, local)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST):
                            visit(item, local)
                elif isinstance(value, ast.AST):
                    visit(value, local)

    block(tree.body, frozenset())
    return frozenset(reads - BUILTINS), frozenset(_defined(tree.body))


def _parameters(args: ast.arguments) -> set[str]:
    every = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
    return {a.arg for a in every}


def _defined(body: list[ast.stmt]) -> set[str]:
    """Every name the statements bind (assignments, loops, imports, definitions), at any depth."""
    names = set()
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                names.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return names


def _graded(cell) -> bool:
    info = cell.get("metadata", {}).get("nbgrader", {})
    return bool(info.get("solution") or info.get("grade"))


class SkipDemoCells(NbGraderPreprocessor):
    """Before Execute: blank the instructor's code cells that no graded cell needs."""

    instructor_sources = List(Unicode(), help="Source of every code cell of the released notebook.").tag(config=True)

    def preprocess(self, nb, resources):
        instructor = set(self.instructor_sources)
        needed: set[str] = set()
        for cell in reversed(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            reads, defines = _names(cell.source)
            if _graded(cell) or cell.source not in instructor or defines & needed:
                needed = (needed - defines) | reads
            else:
                cell.metadata[STASH] = cell.source
                cell.source = ""
        return nb, resources


class RestoreDemoCells(NbGraderPreprocessor):
    """After Execute: give the skipped cells their source back (without outputs)."""

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            if STASH in cell.get("metadata", {}):
                cell.source = cell.metadata.pop(STASH)
        return nb, resources
