"""A small computational-graph engine with array-valued nodes, written the way micrograd's engine.py is.

Each operation computes its value at once and, right beside it, sets the node's backward rule: the
gradient it sends to each parent, given its upstream gradient `dout`.

    def mul(a, b, label=""):
        out = Node(a.value * b.value, (a, b), "×", label)

        def _backward(dout):
            return dout * b.value, dout * a.value
        out._backward = _backward
        return out

A rule only returns gradients. The backward pass is the one place that adds them into the parents'
`.grad`, with `+=`: a node used by several others receives one gradient from each.

What lesson 3's exercises use of a node, here and in the graphs its checks build
(helpers.checks.backprop_nodes.GraphNode): `value` (any shape), `grad` (the same shape, zeros at first),
`parents` (a tuple of nodes), `label`, and `downstream()`, one gradient per parent.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helpers import activations


class Node:
    """One value of a computational graph: a source node (an input, a parameter) or an operation's result.

    value: any shape. grad: ∂L/∂value, the same shape, zeros at first. parents: the nodes the value was
    computed from. op, label: names for pictures. An operation sets `_backward(dout)`, its backward rule:
    one gradient per parent, as a tuple in the order of `parents`. A source node's rule sends nothing.
    """

    def __init__(self, value, parents=(), op="", label=""):
        self.value = np.array(value, dtype=np.float64)
        self.grad = np.zeros_like(self.value)
        self.parents = tuple(parents)
        self.op, self.label = op, label or op
        self._backward = lambda dout: ()

    def downstream(self):
        """The gradient this node sends to each parent: its rule applied to its upstream gradient, self.grad."""
        return self._backward(self.grad)

    def __repr__(self):
        return f"Node({self.label!r}, shape={self.value.shape})"


def add(a: Node, b: Node, label: str = "") -> Node:
    """a + b, elementwise (same shapes)."""
    out = Node(a.value + b.value, (a, b), "+", label)

    def _backward(dout):
        """Add distributes: both local gradients are 1, so each input receives dout unchanged."""
        return dout, dout
    out._backward = _backward
    return out


def mul(a: Node, b: Node, label: str = "") -> Node:
    """a * b, elementwise (same shapes)."""
    out = Node(a.value * b.value, (a, b), "×", label)

    def _backward(dout):
        """Mul switches: each input's local gradient is the other input, so it receives dout × the other."""
        return dout * b.value, dout * a.value
    out._backward = _backward
    return out


def maximum(a: Node, b: Node, label: str = "") -> Node:
    """np.maximum(a, b), elementwise (same shapes)."""
    out = Node(np.maximum(a.value, b.value), (a, b), "max", label)

    def _backward(dout):
        """Max routes: the larger input (the first on ties) receives dout, the other receives 0."""
        a_wins = a.value >= b.value
        return np.where(a_wins, dout, 0.0), np.where(a_wins, 0.0, dout)
    out._backward = _backward
    return out


def matmul(X: Node, W: Node, label: str = "") -> Node:
    """X @ W with X: (N, D), W: (D, H) -> (N, H)."""
    out = Node(X.value @ W.value, (X, W), "@", label)

    def _backward(dY):
        """MatMul Y = X W: X receives dY Wᵀ (N, D), W receives Xᵀ dY (D, H)."""
        return dY @ W.value.T, X.value.T @ dY
    out._backward = _backward
    return out


def repeat(a: Node, N: int, label: str = "") -> Node:
    """N copies of a stacked on a new first axis: (...) -> (N, ...)."""
    out = Node(np.repeat(a.value[None], N, axis=0), (a,), f"repeat×{N}", label)

    def _backward(dY):
        """Repeat: the input was copied into N rows, so it receives the sum of their gradients."""
        return (dY.sum(axis=0),)
    out._backward = _backward
    return out


def total(a: Node, label: str = "") -> Node:
    """The sum over the first axis: (N, ...) -> (...)."""
    out = Node(a.value.sum(axis=0), (a,), "sum", label)

    def _backward(dy):
        """Sum: every row of the input entered with weight 1, so each row receives dy."""
        return (np.repeat(dy[None], len(a.value), axis=0),)
    out._backward = _backward
    return out


def sigmoid(a: Node, label: str = "") -> Node:
    """σ(a), elementwise."""
    out = Node(activations.sigmoid(a.value), (a,), "σ", label)

    def _backward(dout):
        """Sigmoid: the local gradient is y (1 − y), from the output y, so the input receives dout × y (1 − y)."""
        return (dout * out.value * (1.0 - out.value),)
    out._backward = _backward
    return out


def tanh(a: Node, label: str = "") -> Node:
    """tanh(a), elementwise."""
    out = Node(np.tanh(a.value), (a,), "tanh", label)

    def _backward(dout):
        """tanh: the local gradient is 1 − y², from the output y, so the input receives dout × (1 − y²)."""
        return (dout * (1.0 - out.value ** 2),)
    out._backward = _backward
    return out


def topological_order(output: Node) -> list[Node]:
    """Every node `output` depends on, once each, every node after all of its parents; output last."""
    order: list[Node] = []
    visited: set[Node] = set()

    def visit(node: Node) -> None:
        if node not in visited:          # a Node hashes by identity: two nodes with one label stay apart
            visited.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)           # only after all of its parents

    visit(output)
    return order


def zero_grad(order: Sequence[Node]) -> None:
    """Set every node's gradient back to zeros."""
    for node in order:
        node.grad = np.zeros_like(node.value)


def backward(output: Node, order: Sequence[Node] | None = None) -> None:
    """Backpropagate from `output`: its gradient is 1, then each node in reverse topological order adds
    what it sends into its parents' gradients. Adds to whatever .grad holds: call zero_grad first."""
    order = topological_order(output) if order is None else order
    output.grad = np.ones_like(output.value)
    for node in reversed(order):
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad += gradient      # +=: a parent used by several nodes gets a gradient from each
