"""A small computational-graph engine with vector-valued nodes, and layers built from the same parts.

Three layers of code, each testable alone:

* the backward rules of single nodes (`add_backward`, `mul_backward`, ...): plain functions from the
  forward inputs and the upstream gradient to one downstream gradient per input;
* the engine: `Node` holds a value, a gradient and its parents; `topological_order` lists a graph's
  nodes so every node comes after its inputs; `forward` recomputes values in that order and
  `backward` visits the reverse order, starting from 1, and ADDS (`+=`) each downstream gradient
  into the parent's `.grad`, because a node used by several others receives one gradient from each;
* layers in the style of "Deep Learning from Scratch 2": objects with `params`, `grads`, `forward`
  and `backward` (`MatMul`, `Affine`, `Sigmoid`, `Tanh`, `SigmoidWithLoss`) that compose.

Shapes: a node's value may have any shape; its `.grad` always has the same shape as its value.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from helpers.activations import sigmoid

Array = np.ndarray


# --- the backward rules of single nodes -----------------------------------------------------------

def add_backward(x: Array, y: Array, dout: Array) -> tuple[Array, Array]:
    """out = x + y (same shapes). Add distributes: both inputs receive the upstream gradient."""
    return dout, dout


def mul_backward(x: Array, y: Array, dout: Array) -> tuple[Array, Array]:
    """out = x * y elementwise. Mul switches: each input's gradient is dout times the OTHER input."""
    return dout * y, dout * x


def max_backward(x: Array, y: Array, dout: Array) -> tuple[Array, Array]:
    """out = np.maximum(x, y). Max routes dout to the larger input (to x on ties); the other gets 0."""
    x_wins = x >= y
    return np.where(x_wins, dout, 0.0), np.where(x_wins, 0.0, dout)


def matmul_backward(X: Array, W: Array, dY: Array) -> tuple[Array, Array]:
    """Y = X @ W with X: (N, D), W: (D, H), dY: (N, H). Returns dX = dY Wᵀ: (N, D), dW = Xᵀ dY: (D, H)."""
    return dY @ W.T, X.T @ dY


def repeat_backward(dY: Array) -> Array:
    """Y = np.repeat(x[None], N, axis=0) copies x: (...) into N rows. dY: (N, ...) -> dx: (...) is the sum."""
    return dY.sum(axis=0)


def sum_backward(dy: Array, N: int) -> Array:
    """y = X.sum(axis=0) with X: (N, ...). dy: (...) -> dX: (N, ...), a copy of dy for every row."""
    return np.repeat(dy[None], N, axis=0)


def sigmoid_backward(y: Array, dout: Array) -> Array:
    """y = sigmoid(x). The local gradient y (1 − y) reuses the forward OUTPUT y. Returns dx, y's shape."""
    return dout * y * (1.0 - y)


def tanh_backward(y: Array, dout: Array) -> Array:
    """y = tanh(x). The local gradient 1 − y² reuses the forward output y. Returns dx, y's shape."""
    return dout * (1.0 - y ** 2)


def softmax_with_loss(Z: Array, labels: Array) -> tuple[float, Array]:
    """Mean cross-entropy of softmax(Z) and its gradient. Z: (N, C), labels: (N,) ints in [0, C).

    Returns (loss, dZ) with dZ = (softmax(Z) − onehot(labels)) / N: (N, C).
    """
    N = len(Z)
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(N), labels].mean()
    dZ = np.exp(log_p)
    dZ[np.arange(N), labels] -= 1.0
    return float(loss), dZ / N


# --- the engine ------------------------------------------------------------------------------------

class Node:
    """One value in a computational graph: a source node (no parents) or an operation on parents.

    value: any shape; grad: same shape, starts at 0. `forward_fn(*parent values) -> value` and
    `backward_fn(upstream, *parent values, value) -> one downstream gradient per parent` describe
    the operation; `local_fn(*parent values, value)` describes its local gradients for display.
    """

    def __init__(self, value: Array, parents: Sequence["Node"] = (), op: str = "", label: str = "",
                 forward_fn: Callable | None = None, backward_fn: Callable | None = None,
                 local_fn: Callable | None = None) -> None:
        self.value = np.array(value, dtype=np.float64)
        self.grad = np.zeros_like(self.value)
        self.parents = tuple(parents)
        self.op, self.label = op, label or op
        self.forward_fn, self.backward_fn, self.local_fn = forward_fn, backward_fn, local_fn

    def __repr__(self) -> str:
        return f"Node({self.label!r}, shape={self.value.shape})"

    def recompute(self) -> None:
        """value = forward_fn(parent values); source nodes keep their value."""
        if self.parents:
            self.value = self.forward_fn(*(p.value for p in self.parents))

    def downstream(self) -> tuple[Array, ...]:
        """The gradient this node sends to each parent: upstream (self.grad) times local gradient."""
        if not self.parents:
            return ()
        return tuple(self.backward_fn(self.grad, *(p.value for p in self.parents), self.value))

    def local_gradients(self) -> list[tuple[str, Array | None]]:
        """For each parent: a formula for the local gradient and, when it is an array, that array."""
        if not self.parents:
            return []
        return self.local_fn(*(p.value for p in self.parents), self.value)


def _op(op: str, parents: Sequence[Node], forward_fn: Callable, backward_fn: Callable,
        local_fn: Callable, label: str) -> Node:
    value = forward_fn(*(p.value for p in parents))
    return Node(value, parents, op, label, forward_fn, backward_fn, local_fn)


def _elementwise_local(formulas: tuple[str, ...], backward_fn: Callable) -> Callable:
    """local_fn of an elementwise op: each local gradient is what backward_fn sends for upstream 1."""
    def local_fn(*values: Array) -> list[tuple[str, Array | None]]:
        return list(zip(formulas, backward_fn(np.ones_like(values[-1]), *values)))
    return local_fn


def add(a: Node, b: Node, label: str = "") -> Node:
    """a + b, same shapes."""
    back = lambda d, x, y, out: add_backward(x, y, d)  # noqa: E731
    return _op("+", (a, b), np.add, back, _elementwise_local(("∂/∂a = 1", "∂/∂b = 1"), back), label)


def mul(a: Node, b: Node, label: str = "") -> Node:
    """a * b elementwise, same shapes."""
    back = lambda d, x, y, out: mul_backward(x, y, d)  # noqa: E731
    return _op("×", (a, b), np.multiply, back, _elementwise_local(("∂/∂a = b", "∂/∂b = a"), back), label)


def maximum(a: Node, b: Node, label: str = "") -> Node:
    """np.maximum(a, b), same shapes."""
    back = lambda d, x, y, out: max_backward(x, y, d)  # noqa: E731
    local = _elementwise_local(("∂/∂a = [a ≥ b]", "∂/∂b = [a < b]"), back)
    return _op("max", (a, b), np.maximum, back, local, label)


def matmul(X: Node, W: Node, label: str = "") -> Node:
    """X @ W with X: (N, D), W: (D, H) -> (N, H)."""
    back = lambda d, x, w, out: matmul_backward(x, w, d)  # noqa: E731
    local = lambda x, w, out: [("dX = dY Wᵀ", w.T), ("dW = Xᵀ dY", x.T)]  # noqa: E731
    return _op("@", (X, W), np.matmul, back, local, label)


def repeat(a: Node, N: int, label: str = "") -> Node:
    """N copies of a stacked along a new first axis: (...) -> (N, ...)."""
    forward_fn = lambda x: np.repeat(x[None], N, axis=0)  # noqa: E731
    back = lambda d, x, out: (repeat_backward(d),)  # noqa: E731
    local = lambda x, out: [("dx = dY.sum(axis=0)", None)]  # noqa: E731
    return _op(f"repeat×{N}", (a,), forward_fn, back, local, label)


def total(a: Node, label: str = "") -> Node:
    """Sum over the first axis: (N, ...) -> (...)."""
    forward_fn = lambda x: x.sum(axis=0)  # noqa: E731
    back = lambda d, x, out: (sum_backward(d, len(x)),)  # noqa: E731
    local = lambda x, out: [("dX = dy copied to every row", None)]  # noqa: E731
    return _op("sum", (a,), forward_fn, back, local, label)


def sigmoid_node(a: Node, label: str = "") -> Node:
    """sigmoid(a) elementwise."""
    back = lambda d, x, out: (sigmoid_backward(out, d),)  # noqa: E731
    local = lambda x, out: [("∂y/∂x = y (1 − y)", out * (1.0 - out))]  # noqa: E731
    return _op("σ", (a,), sigmoid, back, local, label)


def tanh_node(a: Node, label: str = "") -> Node:
    """tanh(a) elementwise."""
    back = lambda d, x, out: (tanh_backward(out, d),)  # noqa: E731
    local = lambda x, out: [("∂y/∂x = 1 − y²", 1.0 - out ** 2)]  # noqa: E731
    return _op("tanh", (a,), np.tanh, back, local, label)


def topological_order(output: Node) -> list[Node]:
    """Every node `output` depends on, once each, every node after all of its parents; output last."""
    order: list[Node] = []
    visited: set[int] = set()

    def visit(node: Node) -> None:
        if id(node) in visited:
            return
        visited.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)  # only after all its parents

    visit(output)
    return order


def forward(order: Sequence[Node]) -> None:
    """Recompute every value in topological order (source nodes keep theirs)."""
    for node in order:
        node.recompute()


def zero_grad(order: Sequence[Node]) -> None:
    """Set every node's gradient back to zeros."""
    for node in order:
        node.grad = np.zeros_like(node.value)


def backward(output: Node, order: Sequence[Node] | None = None) -> None:
    """Backpropagate from `output`: its gradient is 1, then every node in reverse topological order
    adds what it sends to each parent. Accumulates into existing .grad: call zero_grad first."""
    order = topological_order(output) if order is None else order
    output.grad = np.ones_like(output.value)
    for node in reversed(order):
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad += gradient  # +=: a parent used by several nodes gets a gradient from each


# --- layers: params, grads, forward, backward --------------------------------------------------------

class MatMul:
    """Y = X W. params = [W: (D, H)]; forward X: (N, D) -> (N, H); backward dY -> dX, sets grads[0]."""

    def __init__(self, W: Array) -> None:
        self.params, self.grads = [W], [np.zeros_like(W)]

    def forward(self, X: Array) -> Array:
        self.X = X
        return X @ self.params[0]

    def backward(self, dY: Array) -> Array:
        dX, self.grads[0][...] = matmul_backward(self.X, self.params[0], dY)
        return dX


class Affine:
    """Y = X W + b: a MatMul, then a Repeat of b over the N rows (broadcasting) and an Add.

    params = [W: (D, H), b: (H,)]; forward X: (N, D) -> (N, H); backward dY -> dX, sets grads.
    """

    def __init__(self, W: Array, b: Array) -> None:
        self.params, self.grads = [W, b], [np.zeros_like(W), np.zeros_like(b)]

    def forward(self, X: Array) -> Array:
        self.X = X
        return X @ self.params[0] + self.params[1]

    def backward(self, dY: Array) -> Array:
        dX, self.grads[0][...] = matmul_backward(self.X, self.params[0], dY)
        self.grads[1][...] = repeat_backward(dY)  # b was repeated over the rows: its gradient is a sum
        return dX


class Sigmoid:
    """Elementwise sigmoid; no params. backward reuses the forward output."""

    def __init__(self) -> None:
        self.params, self.grads = [], []

    def forward(self, X: Array) -> Array:
        self.out = sigmoid(X)
        return self.out

    def backward(self, dY: Array) -> Array:
        return sigmoid_backward(self.out, dY)


class Tanh:
    """Elementwise tanh; no params. backward reuses the forward output."""

    def __init__(self) -> None:
        self.params, self.grads = [], []

    def forward(self, X: Array) -> Array:
        self.out = np.tanh(X)
        return self.out

    def backward(self, dY: Array) -> Array:
        return tanh_backward(self.out, dY)


class SigmoidWithLoss:
    """Mean binary cross-entropy of sigmoid(s) against labels y ∈ {0, 1}.

    forward(s: (N,), y: (N,)) -> loss (float); backward() -> ds = (sigmoid(s) − y) / N: (N,).
    """

    def __init__(self) -> None:
        self.params, self.grads = [], []

    def forward(self, s: Array, y: Array) -> float:
        self.p, self.y = sigmoid(s), y
        # log sigmoid(s) = −log(1 + e^(−s)), computed without overflow by np.logaddexp
        return float(np.mean(y * np.logaddexp(0.0, -s) + (1 - y) * np.logaddexp(0.0, s)))

    def backward(self) -> Array:
        return (self.p - self.y) / len(self.y)
