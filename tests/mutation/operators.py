"""The mutation operators: cosmic-ray's own, and ours for the mistakes of array code it has none for.

Ours are cosmic-ray `Operator`s (its public base class), so cosmic-ray's `mutate_code` applies them
exactly as it applies its own: transposes removed or added, `@` read as `*`, `+=` and `=` confused,
a keyword argument (`axis=`, `keepdims=`, `p=`) dropped, a term or factor dropped (the max shift of a
softmax, the `/ N` of a mean), the values of a returned tuple swapped, a slice bound off by one.
"""
from __future__ import annotations

from abc import abstractmethod

from cosmic_ray.operators.operator import Example, Operator
from cosmic_ray.plugins import get_operator

_ARITHMETIC = ["Add", "Sub", "Mul", "Div", "Pow"]
_COMPARISON = ["Eq", "NotEq", "Lt", "LtE", "Gt", "GtE"]

# cosmic-ray's operators that make sense for NumPy code. Left out: bitwise, `%` and `//` as
# replacements (on float arrays they only raise TypeError), `+x` (the same as deleting `-`), and the
# variable replacer and inserter (random, so not reproducible).
CORE = (
    [f"core/ReplaceBinaryOperator_{a}_{b}" for a in _ARITHMETIC for b in _ARITHMETIC if a != b]
    + [f"core/ReplaceComparisonOperator_{a}_{b}" for a in _COMPARISON for b in _COMPARISON if a != b]
    + ["core/ReplaceComparisonOperator_Is_IsNot", "core/ReplaceComparisonOperator_IsNot_Is",
       "core/ReplaceUnaryOperator_Delete_USub", "core/ReplaceUnaryOperator_Delete_Not",
       "core/ReplaceTrueWithFalse", "core/ReplaceFalseWithTrue", "core/ReplaceAndWithOr",
       "core/ReplaceOrWithAnd", "core/AddNot", "core/NumberReplacer", "core/ZeroIterationForLoop",
       "core/ReplaceBreakWithContinue", "core/ReplaceContinueWithBreak"]
)


class Rewrite(Operator):
    """An operator given by the new code of a node, one string per mutation it makes there."""

    @abstractmethod
    def rewrites(self, node) -> list[str]:
        """The node's code (without its leading whitespace) after each of its mutations."""

    def mutation_positions(self, node):
        for _ in self.rewrites(node):
            yield node.start_pos, node.end_pos

    def mutate(self, node, index):
        code = self.rewrites(node)[index]
        first, *rest = _leaves(node)
        first.value = code
        for leaf in rest:
            leaf.value = leaf.prefix = ""
        return node


def _leaves(node):
    leaf, last = node.get_first_leaf(), node.get_last_leaf()
    while True:
        yield leaf
        if leaf is last:
            return
        leaf = leaf.get_next_leaf()


def _code(node, replace: dict[int, str] | None = None, drop: set[int] = frozenset()) -> str:
    """The node's code without its leading whitespace, some children replaced or dropped."""
    replace = replace or {}
    parts = []
    for i, child in enumerate(node.children):
        if i in drop:
            continue
        prefix = child.get_first_leaf().prefix if parts else ""
        parts.append(prefix + replace.get(i, child.get_code(include_prefix=False)))
    return "".join(parts)


def _is(node, value: str) -> bool:
    return getattr(node, "value", None) == value


def _call_arguments(trailer) -> list:
    """The argument nodes of a call trailer `( ... )`."""
    if len(trailer.children) < 3:
        return []
    inner = trailer.children[1]
    return inner.children[::2] if inner.type == "arglist" else [inner]


class RemoveTranspose(Rewrite):
    """`x.T`, `x.transpose(...)`, `x.swapaxes(...)`, `np.transpose(x, ...)`, `np.swapaxes(x, ...)` -> `x`."""

    def rewrites(self, node):
        if node.type != "atom_expr":
            return []
        children, out = node.children, []
        for i, trailer in enumerate(children):
            if trailer.type != "trailer" or not _is(trailer.children[0], "."):
                continue
            name = trailer.children[1].value
            if name == "T":
                out.append(_code(node, drop={i}))
            elif name in ("transpose", "swapaxes") and i + 1 < len(children) and _is(children[i + 1].children[0], "("):
                if i == 1 and _is(children[0], "np") and _call_arguments(children[2]):
                    rest = "".join(c.get_code() for c in children[3:])
                    out.append(_call_arguments(children[2])[0].get_code(include_prefix=False) + rest)
                elif i > 0:
                    out.append(_code(node, drop={i, i + 1}))
        return out

    @classmethod
    def examples(cls):
        return (Example("y = x.T @ w", "y = x @ w"),
                Example("y = np.swapaxes(k, -1, -2)", "y = k"),
                Example("y = x.transpose(0, 2, 1).reshape(n)", "y = x.reshape(n)"))


def _matmuls(node) -> list[int]:
    return [i for i, c in enumerate(node.children) if _is(c, "@")] if node.type == "term" else []


class AddTranspose(Rewrite):
    """An operand of `@` transposed: `a @ b` -> `a.T @ b`, `a @ b.T`."""

    def rewrites(self, node):
        out = []
        for i in _matmuls(node):
            for k in (i - 1, i + 1):
                operand = node.children[k]
                code = operand.get_code(include_prefix=False)
                wrapped = f"{code}.T" if operand.type in ("name", "atom", "atom_expr") else f"({code}).T"
                out.append(_code(node, replace={k: wrapped}))
        return out

    @classmethod
    def examples(cls):
        return (Example("y = a @ b", "y = a.T @ b"), Example("y = a @ b", "y = a @ b.T", occurrence=1))


class MatMulToMul(Rewrite):
    """A matrix product read as an elementwise one: `a @ b` -> `a * b`."""

    def rewrites(self, node):
        return [_code(node, replace={i: "*"}) for i in _matmuls(node)]

    @classmethod
    def examples(cls):
        return (Example("y = a @ b", "y = a * b"),)


class AugmentedToPlain(Rewrite):
    """An accumulation that overwrites: `x += y` -> `x = y` (and `-=`, `*=`, `/=`)."""

    def rewrites(self, node):
        if node.type == "expr_stmt" and node.children[1].value in ("+=", "-=", "*=", "/="):
            return [_code(node, replace={1: "="})]
        return []

    @classmethod
    def examples(cls):
        return (Example("p.grad += g", "p.grad = g"),)


class PlainToAugmented(Rewrite):
    """An assignment into an existing array or attribute that accumulates: `x[i] = y` -> `x[i] += y`."""

    def rewrites(self, node):
        if (node.type == "expr_stmt" and len(node.children) == 3 and _is(node.children[1], "=")
                and node.children[0].type == "atom_expr" and node.children[0].children[-1].type == "trailer"):
            return [_code(node, replace={1: "+="})]
        return []

    @classmethod
    def examples(cls):
        return (Example("out.grad = g", "out.grad += g"), Example("y[:, 0] = 1.0", "y[:, 0] += 1.0"))


class DropKeyword(Rewrite):
    """A keyword argument left out: `x.sum(axis=1, keepdims=True)` -> `x.sum(keepdims=True)`."""

    def rewrites(self, node):
        if node.type == "trailer" and len(node.children) == 3 and _is_keyword(node.children[1]):
            return [_code(node, drop={1})]
        if node.type != "arglist" or node.parent.type != "trailer":
            return []
        return [_code(node, drop={i - 1, i} if i else {i, i + 1})
                for i, argument in enumerate(node.children) if _is_keyword(argument)]

    @classmethod
    def examples(cls):
        return (Example("s = x.sum(axis=1, keepdims=True)", "s = x.sum(keepdims=True)"),
                Example("s = x.sum(axis=1, keepdims=True)", "s = x.sum(axis=1)", occurrence=1),
                Example("s = x.sum(axis=0)", "s = x.sum()"))


def _is_keyword(argument) -> bool:
    return argument.type == "argument" and len(argument.children) == 3 and _is(argument.children[1], "=")


class DropOperand(Rewrite):
    """A term or factor left out: `exp(z - z.max())` -> `exp(z)`, `g / n` -> `g`, `a * b * c` -> `a * c`."""

    def rewrites(self, node):
        if node.type not in ("arith_expr", "term"):
            return []
        return [_code(node, drop={i, i + 1}) for i, c in enumerate(node.children)
                if i % 2 and c.value in ("+", "-", "*", "/")]

    @classmethod
    def examples(cls):
        return (Example("e = np.exp(z - z.max())", "e = np.exp(z)"), Example("g = (p - y) / n", "g = (p - y)"))


class SwapReturned(Rewrite):
    """Two neighbouring values of a returned tuple swapped: `return a, b` -> `return b, a`."""

    def rewrites(self, node):
        if node.type not in ("testlist", "testlist_star_expr") or node.parent.type != "return_stmt":
            return []
        items = node.children[::2]
        return [_code(node, replace={2 * k: items[k + 1].get_code(include_prefix=False),
                                     2 * k + 2: items[k].get_code(include_prefix=False)})
                for k in range(len(items) - 1)]

    @classmethod
    def examples(cls):
        return (Example("return a, b", "return b, a"),)


class ShiftSliceBound(Rewrite):
    """A slice bound that is not a number off by one: `a[:, :H]` -> `a[:, :H + 1]`, `a[:, :H - 1]`.

    Number bounds are cosmic-ray's NumberReplacer's.
    """

    def rewrites(self, node):
        if node.type != "subscript":
            return []
        return [_code(node, replace={i: f"{bound.get_code(include_prefix=False)} {sign} 1"})
                for i, bound in enumerate(node.children)
                if bound.type not in ("operator", "sliceop", "number", "factor") for sign in "+-"]

    @classmethod
    def examples(cls):
        return (Example("f = a[:, :h]", "f = a[:, :h + 1]"), Example("f = a[:, :h]", "f = a[:, :h - 1]", occurrence=1))


class ReplaceParameter(Rewrite):
    """A parameter used where another was meant: `dout * y` -> `dout * x`."""

    def rewrites(self, node):
        if node.type != "name" or node.is_definition() or node.parent.type == "trailer" or _is_keyword_name(node):
            return []
        function = node.search_ancestor("funcdef")
        names = [param.name.value for param in function.get_params()] if function else []
        return [name for name in names if name != node.value] if node.value in names else []

    @classmethod
    def examples(cls):
        return (Example("def f(x, y, d):\n    return d * y", "def f(x, y, d):\n    return x * y"),)


def _is_keyword_name(name) -> bool:
    return name.parent.type == "argument" and name is name.parent.children[0]


OURS = [ReplaceParameter, RemoveTranspose, AddTranspose, MatMulToMul, AugmentedToPlain, PlainToAugmented, DropKeyword,
        DropOperand, SwapReturned, ShiftSliceBound]


def all_operators() -> dict[str, Operator]:
    """Every operator by the name a report shows: cosmic-ray's as `core/...`, ours as `course/...`."""
    return {**{name: get_operator(name)() for name in CORE}, **{f"course/{op.__name__}": op() for op in OURS}}
