"""Visible checks for lesson 3, "Backpropagation through computational-graph nodes".

Each `check_*` runs the student's function on the lesson's stored cases (helpers.checks.visible) and
compares with `ANSWERS`, the same comparison the grader makes outside the kernel. Nothing here
computes a right answer.

The graph exercises receive graphs as data, built here into `GraphNode`s: they offer what the lesson's
Node offers a backward pass (value, grad, parents, label, downstream()), and each edge's local gradient
is given: a matrix, or `None` for an edge that passes the upstream gradient on unchanged, the very
same array, as Add does. The node the student writes (`relu`) and the MLP they build (`mlp`) are
called on source GraphNodes, and what they return is read through the same interface.
"""
from __future__ import annotations

import numpy as np

from helpers.checks.answers import Answer, Array, Keys, Number, Parts, as_number, check_parts
from helpers.checks.core import CheckFailed, describe
from helpers.checks.visible import checker

MODULE = "backprop_nodes"
OVERFLOW = ("exp overflows to inf for a score above about 709 (then inf / inf is NaN), and a row whose every exp "
            "underflows to 0 gives 0 / 0 or log 0: subtract each row's own maximum before exp, so that the row's "
            "largest exp is e^0 = 1.")
UNDERFLOW = ("Softmax underflow: subtracting each row's maximum keeps exp from overflowing, but a probability "
             "below about 1e-308 (a score 745 below its row's maximum) still rounds to 0, and log(0) = −inf. "
             "Compute log p directly, as (z − max) − log Σ exp(z − max), never as log(p). (If the loss does not "
             "subtract the maximum, exp overflowed there: subtract it in the loss too.)")


class GraphNode:
    """A node of a graph sent as data (see `build_graph`), with the interface of the lesson's Node."""

    def __init__(self, value: np.ndarray, label: str, parents: tuple = (), jacobians: tuple = ()) -> None:
        self.value, self.label, self.op = value, label, ""
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


def _is_node(value) -> bool:
    return all(hasattr(value, name) for name in ("value", "grad", "parents", "downstream"))


def _node(make_node, value: np.ndarray, dout: np.ndarray):
    """Call make_node(a) on a source node `a` holding `value` (the case's own array, so a change to it shows);
    give the node it returns the upstream gradient `dout`. Its value, its parents (0 for `a`, -1 for any
    other) and what it sends its first parent, paired with its parents as a backward pass pairs them."""
    a = GraphNode(value, "a")
    out = make_node(a)
    if not _is_node(out):
        return out
    out.grad = dout
    sent = [gradient for _, gradient in zip(out.parents, out.downstream())]
    return {"value": out.value, "parents": np.array([0 if p is a else -1 for p in out.parents], dtype=np.int64),
            "da": sent[0] if sent else None}


def _mlp(mlp, X, W1, b1, W2, b2, dscores):
    """Call mlp(X, params) on source nodes; send `dscores` back from the scores node it returns. The scores
    and every parameter's gradient.

    An MLP's graph is a tree (every node is used once), and on a tree each node's gradient is complete
    as soon as its one user has sent it, so the gradients go down by plain recursion. A graph that uses a
    node twice is refused, since there that recursion would count a gradient twice.
    """
    params = {"W1": GraphNode(W1, "W1"), "b1": GraphNode(b1, "b1"), "W2": GraphNode(W2, "W2"),
              "b2": GraphNode(b2, "b2")}
    scores = mlp(GraphNode(X, "X"), params)
    if not _is_node(scores):
        return scores
    scores.grad = dscores
    reached: set[int] = set()

    def send(node) -> None:
        if id(node) in reached:
            raise ValueError(f"the graph uses the node {getattr(node, 'label', '?')!r} twice; an MLP's graph "
                             "uses each node once")
        reached.add(id(node))
        for parent, gradient in zip(node.parents, node.downstream()):
            parent.grad = parent.grad + gradient
            send(parent)

    send(scores)
    return {"scores": scores.value, **{name: node.grad for name, node in params.items()}}


PROCEDURES = {"order": _order, "backward": _backward, "node": _node, "mlp": _mlp}


class NodeParts(Keys):
    """What a node-making exercise returned, read as a dict of named parts (a part that is None: nothing was
    sent), or anything else it returned. `uses`: the student's other functions its gradients go through,
    named when a difference is not a known mistake."""

    def __init__(self, uses: str = "", **parts: Answer) -> None:
        super().__init__(**parts)
        self.uses = uses

    def check(self, got, want, what, mistakes=()):
        try:
            self._check(got, want, what, mistakes)
        except CheckFailed as failure:
            if not self.uses or any(failure.hint == explanation for explanation, _ in mistakes):
                raise
            raise CheckFailed(failure.what, failure.problem, (failure.hint + "\n" if failure.hint else "") +
                              f"Its gradients go through your {self.uses}: make sure their checks pass first.") \
                from None

    def _check(self, got, want, what, mistakes):
        if type(got) is not dict:
            raise CheckFailed(what, f"returned a {describe(got)}; expected a Node.",
                              "Build the result as a node, `out = Node(value, parents, op)`, set its rule "
                              "`out._backward`, and return `out`.")
        missing = [key for key in self.parts if key in got and got[key] is None and want.get(key) is not None]
        if missing:                               # first what is wrong in the other parts, then this
            present = {key: part for key, part in self.parts.items() if key not in missing}
            Keys(**present).check({k: v for k, v in got.items() if k not in missing},
                                  {k: want[k] for k in present}, what,
                                  [(e, {k: w[k] for k in present}) for e, w in mistakes
                                   if type(w) is dict and set(present) <= set(w)])
            raise CheckFailed(what, f"sends nothing back ({missing[0]!r}).",
                              "Set the node's rule, `out._backward = _backward`, where `_backward(dout)` returns "
                              "a tuple with one gradient per parent.")
        super().check(got, want, what, mistakes)


class Loss(Number):
    """The mean cross-entropy, checked after dZ (see LossAndGradient): a NaN or infinite loss beside a right
    dZ is explained by what makes it."""

    def check(self, got, want, what, mistakes=()):
        value = as_number(got, what)
        if not np.isfinite(value):
            raise CheckFailed(what, f"is {float(value)}, though dZ is right.", UNDERFLOW)
        super().check(got, want, what, mistakes)


class LossAndGradient(Parts):
    """(loss, dZ), dZ checked first: an exp that overflows already spoils dZ, and a right dZ beside a NaN or
    infinite loss points at the log."""

    def check(self, got, want, what, mistakes=()):
        if type(got) not in (tuple, list) or len(got) != len(self.parts):
            super().check(got, want, what, mistakes)
        mistakes = [(e, w) for e, w in mistakes if isinstance(w, (tuple, list)) and len(w) == len(self.parts)]
        check_parts([(1, self.parts[1], f"dZ of {what}"), (0, self.parts[0], f"loss of {what}")], got, want,
                    mistakes)


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
                        "Each node must appear only once, even when several nodes use it: a backward pass over "
                        "this order would visit it twice and pass its gradient on twice (double counting on "
                        "fan-out). Keep a set of visited nodes and skip a node you have already visited.")
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
    "softmax_with_loss": LossAndGradient(loss=Loss(), dZ=Array(finite_hint=OVERFLOW)),
    "topological_order": TopologicalOrder(),
    "backward_pass": Keys(each=Array(rtol=1e-7, atol=1e-10)),   # every node's .grad, by label
    "window_classifier_grads": Parts(loss=Number(), grads=Keys(W=Array(), b=Array(), u=Array())),
    "relu": NodeParts(value=Array(), parents=Array(integer=True), da=Array()),
    "mlp": NodeParts(uses="relu, add_backward, repeat_backward and matmul_backward", scores=Array(), W1=Array(),
                     b1=Array(), W2=Array(), b2=Array()),
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
check_relu = checker(MODULE, "relu")
check_mlp = checker(MODULE, "mlp")
