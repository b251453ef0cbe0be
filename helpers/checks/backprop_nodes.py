"""Visible checks for lesson 3, "Backpropagation through computational-graph nodes".

Each `check_*` runs the student's function on the lesson's stored cases (helpers.checks.visible) and
compares with `ANSWERS`, the same comparison the grader makes outside the kernel. Nothing here
computes a right answer.

The graph exercises receive graphs as data: `GraphNode` has what the lesson's engine offers a backward
pass (value, grad, parents, label, downstream()), and each edge's local gradient is given: a matrix,
or `None` for an edge that passes the upstream gradient on unchanged, the very same array, as Add does.
"""
from __future__ import annotations

import numpy as np

from helpers.checks.answers import Answer, Array, Keys, Number, Parts
from helpers.checks.core import CheckFailed, describe
from helpers.checks.visible import checker

MODULE = "backprop_nodes"


class GraphNode:
    """A node of a graph described as data (see `build_graph`)."""

    def __init__(self, value: np.ndarray, label: str, parents: tuple = (), jacobians: tuple = ()) -> None:
        self.value, self.label = value, label
        self.grad = np.zeros_like(value)
        self.parents, self.jacobians = tuple(parents), tuple(jacobians)

    def __repr__(self) -> str:
        return f"Node({self.label!r}, shape={self.value.shape})"

    def downstream(self) -> tuple:
        """The gradient this node sends to each parent: its upstream gradient through the edge."""
        return tuple(self.grad if J is None else (self.grad.reshape(-1) @ J).reshape(p.value.shape)
                     for p, J in zip(self.parents, self.jacobians))


def build_graph(graph: dict) -> list[GraphNode]:
    """Nodes from {"labels", "values", "parents": [[index, ...]], "jacobians": [[matrix or None, ...]]};
    every node's parents come before it."""
    nodes: list[GraphNode] = []
    jacobians = graph.get("jacobians") or [[None] * len(p) for p in graph["parents"]]
    for label, value, parents, local in zip(graph["labels"], graph["values"], graph["parents"], jacobians):
        nodes.append(GraphNode(np.array(value, dtype=np.float64), label, tuple(nodes[i] for i in parents),
                               tuple(local)))
    return nodes


def _order(topological_order, graph: dict):
    """Call topological_order on the graph's output; the nodes it returns as indices (-1: not the graph's)."""
    nodes = build_graph(graph)
    result = topological_order(nodes[graph["output"]])
    if type(result) not in (list, tuple):
        return result
    index = {id(node): i for i, node in enumerate(nodes)}
    return [index.get(id(node), -1) for node in result]


def _backward(backward_pass, graph: dict) -> dict:
    """Call backward_pass(output, order) `calls` times; every node's .grad afterwards, by label."""
    nodes = build_graph(graph)
    order = [nodes[i] for i in graph["order"]]
    for _ in range(graph.get("calls", 1)):
        backward_pass(nodes[graph["output"]], list(order))
    return {node.label: node.grad for node in nodes}


PROCEDURES = {"order": _order, "backward": _backward}


class TopologicalOrder(Answer):
    """A list (or tuple) holding each node the output depends on once, every node after its parents.

    The answer to compare with is the graph itself: {"labels", "parents", "reachable", "output"}.
    """

    def check(self, got, want, what, mistakes=()):
        problem = self.problem(got, want)
        if problem is not None:
            for explanation, wrong in mistakes:
                if type(got) in (list, tuple) and list(got) == list(wrong):
                    raise CheckFailed(what, "is not right.", explanation)
            raise CheckFailed(what, *problem)

    @staticmethod
    def problem(got, want) -> tuple[str, str] | None:
        """(what is wrong, a hint), or None for a valid order."""
        labels, parents = want["labels"], want["parents"]
        if type(got) not in (list, tuple):
            return f"returned a {describe(got)}; expected a list of nodes.", "Collect the nodes in a list and return it."
        if not all(type(i) is int and 0 <= i < len(labels) for i in got):
            return "lists nodes that are not part of the graph.", "Start from `output` and follow `.parents` only."
        seen: set[int] = set()
        for index in got:
            if index in seen:
                return (f"lists node {labels[index]!r} more than once.",
                        "Each node must appear only once, even when several nodes use it: keep a set of visited "
                        "nodes and skip a node you have already visited.")
            seen.add(index)
        missing = [labels[i] for i in want["reachable"] if i not in seen]
        if missing or len(seen) != len(want["reachable"]):
            return (f"is missing {len(missing)} node(s): {', '.join(missing[:8])}.",
                    "Every node the output depends on belongs in the order, the source nodes (inputs, no parents) "
                    "and the output itself included.")
        position = {index: k for k, index in enumerate(got)}
        for index in got:
            for parent in parents[index]:
                if position[parent] > position[index]:
                    return (f"lists {labels[index]!r} before its input {labels[parent]!r}: the topological order "
                            "is violated.", "A node may only be listed after ALL of its parents: visit the parents "
                            "first (recursively), then append the node.")
        return None


ANSWERS = {
    "add_backward": Parts(dx=Array(), dy=Array()),
    "mul_backward": Parts(dx=Array(), dy=Array()),
    "max_backward": Parts(dx=Array(), dy=Array()),
    "repeat_backward": Array(),
    "sum_backward": Array(),
    "matmul_backward": Parts(dX=Array(), dW=Array()),
    "sigmoid_backward": Array(),
    "softmax_with_loss": Parts(loss=Number(finite_hint="exp of a large score overflows (subtract each row's "
                                                       "maximum first), or log of a probability that underflowed "
                                                       "to 0 gives −inf: compute log p as (z − max) − log Σ "
                                                       "exp(z − max), never as log(p)."),
                               dZ=Array(finite_hint="exp of a large score overflows (the largest float64 is "
                                                    "about 1.8e308): subtract each row's maximum before exp.")),
    "topological_order": TopologicalOrder(),
    "backward_pass": Keys(each=Array(rtol=1e-7, atol=1e-10)),   # every node's .grad, by label
    "window_classifier_grads": Parts(loss=Number(), grads=Keys(W=Array(), b=Array(), u=Array())),
}


check_add_backward = checker(MODULE, "add_backward")
check_mul_backward = checker(MODULE, "mul_backward")
check_max_backward = checker(MODULE, "max_backward")
check_repeat_backward = checker(MODULE, "repeat_backward")
check_sum_backward = checker(MODULE, "sum_backward")
check_matmul_backward = checker(MODULE, "matmul_backward")
check_sigmoid_backward = checker(MODULE, "sigmoid_backward")
check_softmax_with_loss = checker(MODULE, "softmax_with_loss")
check_topological_order = checker(MODULE, "topological_order")
check_backward_pass = checker(MODULE, "backward_pass")
check_window_classifier_grads = checker(MODULE, "window_classifier_grads")
