"""Visible checks for lesson 3, "Backpropagation through computational-graph nodes".

Each `check_*` runs the student's function on small seeded inputs, compares it with the answer
computed here (by hand formulas or with the reference engine in helpers.graph) and, when it is
wrong, names the typical mistake that gives exactly that wrong answer.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from helpers import graph
from helpers.activations import sigmoid
from helpers.checks.core import CheckFailed, call_student, expect_array, expect_close, expect_finite, passed


def _pair(out: Any, what: str, names: str) -> tuple:
    """Require a tuple (or list) of two results, e.g. (dx, dy)."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise CheckFailed(what, f"returned {type(out).__name__}; expected a pair {names}.",
                          f"End with `return {names.strip('()')}`: one gradient per input.")
    return tuple(out)


def _scalar(value: Any, what: str) -> np.ndarray:
    """Require one real number (a float, or an array with one entry); return it as a 0-d float array."""
    if isinstance(value, (int, float, np.integer, np.floating)) or \
            (type(value) is np.ndarray and value.size == 1 and value.dtype.kind in "fiu"):
        return np.array(float(np.asarray(value).reshape(())), dtype=np.float64)
    raise CheckFailed(what, f"is a {type(value).__name__}; expected one number.",
                      "A loss is a single float: average the per-example losses with .mean().")


# --- single nodes -----------------------------------------------------------------------------------

def check_add_backward(add_backward: Callable) -> None:
    what = "`add_backward(x, y, dout)`"
    rng = np.random.default_rng(0)
    x, y, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    dx, dy = _pair(call_student(add_backward, x, y, dout), what, "(dx, dy)")
    for got, other, name in [(dx, y, "dx"), (dy, x, "dy")]:
        expect_close(got, dout, f"{name} of {what}", mistakes=[
            ("Add does not split the gradient in halves: it distributes, so EACH input receives the whole "
             "upstream gradient dout (the local gradient of x + y is 1 for both x and y).", dout / 2),
            ("That is Mul's rule (dout times the other input). For out = x + y the local gradient is 1, "
             "so each input receives dout unchanged.", dout * other),
            ("Both inputs of an Add receive the upstream gradient; one of yours receives nothing.",
             np.zeros_like(dout)),
            ("This is only the local gradient (1): multiply by the upstream gradient dout.", np.ones_like(dout)),
        ])
    passed(what)


def check_mul_backward(mul_backward: Callable) -> None:
    what = "`mul_backward(x, y, dout)`"
    rng = np.random.default_rng(1)
    x, y, dout = rng.normal(size=(2, 5)), rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    dx, dy = _pair(call_student(mul_backward, x, y, dout), what, "(dx, dy)")
    for got, own, other, name in [(dx, x, y, "dx"), (dy, y, x, "dy")]:
        expect_close(got, dout * other, f"{name} of {what}", mistakes=[
            (f"Mul switches: ∂(x·y)/∂x = y, so {name} = dout times the OTHER input, not its own.", dout * own),
            (f"This is only the local gradient: multiply it by the upstream gradient dout ({name} = dout * "
             f"{'y' if name == 'dx' else 'x'}).", other),
            ("That is Add's rule (pass dout through). For x * y each input's local gradient is the other "
             "input.", dout),
        ])
    passed(what)


def check_max_backward(max_backward: Callable) -> None:
    what = "`max_backward(x, y, dout)`"
    rng = np.random.default_rng(2)
    x, y, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    x[0, 0] = y[0, 0]  # one tie: the gradient goes to x
    x_wins = x >= y
    dx, dy = _pair(call_student(max_backward, x, y, dout), what, "(dx, dy)")
    for got, mine, name in [(dx, x_wins, "dx"), (dy, ~x_wins, "dy")]:
        expect_close(got, np.where(mine, dout, 0.0), f"{name} of {what}", mistakes=[
            ("Max routes: only the input that won (the larger one) receives the gradient; the other gets 0. "
             "You are sending the gradient to every input.", dout),
            ("Your gradient goes to the smaller input. It must go to the input that was the maximum.",
             np.where(mine, 0.0, dout)),
            ("Max routes, it does not split: the winner receives the whole upstream gradient.", dout / 2),
            ("These are 0/1 masks: multiply the mask by the upstream gradient dout.", mine.astype(float)),
            ("On a tie (x == y) the gradient must go to exactly one input, to x (use x >= y for x and the "
             "opposite for y): yours goes to neither or to both.",
             np.where(x == y, 0.0 if name == "dx" else dout, np.where(mine, dout, 0.0))),
        ])
    passed(what)


def check_matmul_backward(matmul_backward: Callable) -> None:
    what = "`matmul_backward(X, W, dY)`"
    rng = np.random.default_rng(3)
    for N, D, H in [(3, 3, 3), (4, 3, 2)]:  # square first, so a missing transpose still has the right shape
        X, W, dY = rng.normal(size=(N, D)), rng.normal(size=(D, H)), rng.normal(size=(N, H))
        dX, dW = _pair(call_student(matmul_backward, X, W, dY), what, "(dX, dW)")
        expect_array(dX, (N, D), f"dX of {what}", shape_hints={
            (D, H): "That has W's shape: is the pair in the wrong order? Return (dX, dW).",
        })
        square = N == D == H  # only then do the wrong formulas below have the right shapes
        expect_close(dX, dY @ W.T, f"dX of {what}", mistakes=[
            ("dX is missing a transpose: dX = dY Wᵀ, shape (N, H)(H, D) = (N, D) like X.", dY @ W),
            ("dX and dW are in the wrong order: return (dX, dW).", X.T @ dY),
        ] if square else [])
        expect_array(dW, (D, H), f"dW of {what}", shape_hints={
            (H, D): "dW must have W's shape (D, H): dW = Xᵀ dY, not (dY)ᵀ X.",
        })
        expect_close(dW, X.T @ dY, f"dW of {what}", mistakes=[
            ("dW is divided by N; the upstream gradient already carries any averaging.", X.T @ dY / N),
        ] + ([
            ("dW is missing a transpose: dW = Xᵀ dY, shape (D, N)(N, H) = (D, H) like W.", X @ dY),
            ("dW is transposed: it must have W's shape (D, H) with entry [d, h] = Σₙ X[n, d] dY[n, h]; "
             "dW = Xᵀ dY.", (X.T @ dY).T),
        ] if square else []))
    passed(what)


def check_repeat_backward(repeat_backward: Callable) -> None:
    what = "`repeat_backward(dY)`"
    dY = np.random.default_rng(4).normal(size=(4, 3))
    dx = call_student(repeat_backward, dY)
    expect_array(dx, (3,), what, shape_hints={
        (4,): "You summed over the wrong axis: the copies are the N rows (axis 0), so sum over axis 0.",
        (1, 3): "dx must have x's shape (D,): sum over axis 0 without keepdims.",
        (4, 3): "dx must have x's shape (D,): the N copies' gradients are summed into one.",
    })
    expect_close(dx, dY.sum(axis=0), what, mistakes=[
        ("Every copy of x reached the output, so the gradients of the copies add up: take the sum, not "
         "the mean.", dY.mean(axis=0)),
        ("You kept only the first copy's gradient: x was copied to all N rows, and every copy passes "
         "gradient back. Sum over axis 0.", dY[0]),
        ("You kept only the last copy's gradient (an `=` in a loop?). Every copy passes gradient back: "
         "sum over axis 0.", dY[-1]),
    ])
    passed(what)


def check_sum_backward(sum_backward: Callable) -> None:
    what = "`sum_backward(dy, N)`"
    dy, N = np.random.default_rng(5).normal(size=3), 4
    dX = call_student(sum_backward, dy, N)
    expect_array(dX, (N, 3), what, shape_hints={
        (3,): "dX must have X's shape (N, D): copy dy to every one of the N rows (np.repeat on a new axis 0).",
        (N * 3,): "np.repeat without axis flattens the array: repeat dy[None] along axis=0.",
        (3, N): "dX must have X's shape (N, D) = (4, 3): put the copies on axis 0.",
    })
    want = np.repeat(dy[None], N, axis=0)
    expect_close(dX, want, what, mistakes=[
        ("Each row of X adds into the sum with weight 1, so its gradient is dy itself: do not divide by N.",
         want / N),
        ("Only row 0 receives the gradient, but every row of X was added into the sum: copy dy to every row.",
         np.concatenate([dy[None], np.zeros((N - 1, 3))])),
        ("That is the sum of dy copied around; every row's gradient is dy itself.",
         np.full((N, 3), dy.sum())),
    ])
    passed(what)


def check_sigmoid_backward(sigmoid_backward: Callable) -> None:
    what = "`sigmoid_backward(y, dout)`"
    rng = np.random.default_rng(6)
    y, dout = sigmoid(rng.normal(size=(2, 4))), rng.normal(size=(2, 4))
    dx = call_student(sigmoid_backward, y, dout)
    s = sigmoid(y)
    expect_close(dx, dout * y * (1 - y), what, mistakes=[
        ("y is already the sigmoid's output: the local gradient is y (1 − y). You applied the sigmoid "
         "to it again.", dout * s * (1 - s)),
        ("The local gradient of the sigmoid is y (1 − y); a factor (1 − y) is missing.", dout * y),
        ("This is only the local gradient y (1 − y): multiply it by the upstream gradient dout.", y * (1 - y)),
        ("1 − y² is tanh's local gradient; the sigmoid's is y (1 − y).", dout * (1 - y ** 2)),
    ])
    passed(what)


def check_softmax_with_loss(softmax_with_loss: Callable) -> None:
    what = "`softmax_with_loss(Z, labels)`"
    rng = np.random.default_rng(7)
    N, C = 5, 4
    Z, labels = rng.normal(size=(N, C)), rng.integers(0, C, size=N)
    loss, dZ = _pair(call_student(softmax_with_loss, Z, labels), what, "(loss, dZ)")
    loss = _scalar(loss, f"the loss of {what}")
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    onehot = np.eye(C)[labels]
    want_loss = -np.mean(np.log(p[np.arange(N), labels]))
    expect_close(loss, np.array(want_loss), f"the loss of {what}", mistakes=[
        ("The loss is the MEAN cross-entropy over the N examples: it is not divided by N.", np.array(want_loss * N)),
        ("The cross-entropy uses only the probability of the correct class: −log p[n, labels[n]].",
         np.array(-np.log(p).sum(axis=1).mean())),
    ])
    expect_close(dZ, (p - onehot) / N, f"dZ of {what}", mistakes=[
        ("dZ is not divided by N: the loss is a mean over N examples, so dZ = (p − y) / N.", p - onehot),
        ("You forgot to subtract 1 at the correct class: dZ = (softmax(Z) − onehot(labels)) / N.", p / N),
        ("dZ = (p − y) / N, not (y − p) / N: the loss decreases when the correct score grows.", (onehot - p) / N),
    ])
    big = np.array([[1000.0, 0.0, -1000.0], [5.0, 1005.0, 0.0]])
    loss, dZ = _pair(call_student(softmax_with_loss, big, np.array([0, 2])), what, "(loss, dZ)")
    hint = ("exp(1000) overflows (the largest float64 is about 1.8e308). Subtract each row's maximum "
            "before exp, and compute log p as (z − max) − log Σ exp(z − max).")
    loss = _scalar(loss, f"the loss of {what}")
    expect_finite(loss, f"the loss of {what} for scores near ±1000", hint)
    expect_array(dZ, big.shape, f"dZ of {what}")
    expect_finite(dZ, f"dZ of {what} for scores near ±1000", hint)
    expect_close(loss, np.array(1005.0 / 2), f"the loss of {what} for large scores",
                 rtol=1e-9)
    passed(what)


# --- the engine ---------------------------------------------------------------------------------------

def _demo_graph(seed: int) -> tuple[graph.Node, dict[str, graph.Node]]:
    """A small graph with fan-out (x and h are each used twice), parents listed in awkward orders.

    x: (2, 3), W: (3, 3); h = tanh(x @ W); g = h * x; m = max(g, h); out = sum of all entries of m.
    """
    rng = np.random.default_rng(seed)
    x = graph.Node(rng.normal(size=(2, 3)), label="x")
    W = graph.Node(rng.normal(size=(3, 3)), label="W")
    a = graph.matmul(x, W, label="a")
    h = graph.tanh_node(a, label="h")
    g = graph.mul(h, x, label="g")
    m = graph.maximum(h, g, label="m")
    rows = graph.total(m, label="r")
    out = graph.total(rows, label="L")
    return out, {n.label: n for n in graph.topological_order(out)}


def _diamond() -> tuple[graph.Node, dict[str, graph.Node]]:
    """out = q + p with p = q * x, q = sigmoid(x): q is reached by a long and a short path."""
    x = graph.Node(np.array([0.5, -1.0]), label="x")
    q = graph.sigmoid_node(x, label="q")
    p = graph.mul(q, x, label="p")
    out = graph.total(graph.add(q, p, label="s"), label="L")
    return out, {n.label: n for n in graph.topological_order(out)}


def check_topological_order(topological_order: Callable) -> None:
    what = "`topological_order(output)`"
    for out, nodes in [_diamond(), _demo_graph(8)]:
        order = call_student(topological_order, out)
        if not isinstance(order, (list, tuple)):
            raise CheckFailed(what, f"returned {type(order).__name__}; expected a list of nodes.",
                              "Collect the nodes in a list and return it.")
        labels = [getattr(n, "label", repr(n)) for n in order]
        for label in dict.fromkeys(labels):
            if labels.count(label) > 1:
                raise CheckFailed(what, f"lists node {label!r} {labels.count(label)} times.",
                                  "Each node must appear only once, even when several nodes use it: keep a set "
                                  "of visited nodes and skip a node you have already visited.")
        wanted = {id(n) for n in nodes.values()}
        missing = [n.label for n in nodes.values() if id(n) not in {id(m) for m in order}]
        if missing:
            raise CheckFailed(what, f"is missing {len(missing)} node(s): {', '.join(missing)}.",
                              "Every node the output depends on belongs in the order, the source nodes "
                              "(inputs, no parents) and the output itself included.")
        if any(id(n) not in wanted for n in order):
            raise CheckFailed(what, "lists nodes that are not part of the graph.",
                              "Start from `output` and follow `.parents` only.")
        position = {id(n): i for i, n in enumerate(order)}
        for node in order:
            for parent in node.parents:
                if position[id(parent)] > position[id(node)]:
                    raise CheckFailed(what, f"lists {node.label!r} before its input {parent.label!r}: "
                                            "the topological order is violated.",
                                      f"Your order is {labels}. A node may only be listed after ALL of its "
                                      "parents: visit the parents first (recursively), then append the node.")
    passed(what)


def _backprop_variant(out: graph.Node, order: list, *, assign: bool = False, forwards: bool = False) -> None:
    """The reference backward pass, or a typical wrong version of it (for naming mistakes)."""
    out.grad = np.ones_like(out.value)
    for node in (order if forwards else reversed(order)):
        for parent, gradient in zip(node.parents, node.downstream()):
            if assign:
                parent.grad = gradient
            else:
                parent.grad = parent.grad + gradient


def _grads_after(variant: dict, seed: int, calls: int = 1) -> dict[str, np.ndarray]:
    out, nodes = _demo_graph(seed)
    order = graph.topological_order(out)
    for _ in range(calls):
        _backprop_variant(out, order, **variant)
    return {label: n.grad for label, n in nodes.items()}


def check_backward_pass(backward_pass: Callable) -> None:
    what = "`backward_pass(output, order)`"
    out, nodes = _demo_graph(9)
    call_student(backward_pass, out, graph.topological_order(out))
    if not np.array_equal(np.asarray(out.grad, dtype=float), np.ones_like(out.value)):
        raise CheckFailed(what, f"left output.grad = {out.grad}.",
                          "Backprop starts with output.grad = 1 (∂L/∂L = 1), set before visiting any node.")
    want, assigned, forwards = (_grads_after(v, 9) for v in ({}, {"assign": True}, {"forwards": True}))
    for label in ["h", "a", "x", "W"]:
        expect_close(nodes[label].grad, want[label], f"{label}.grad after {what}", mistakes=[
            (f"Node {label!r} (or one before it) is used by two nodes and should receive the SUM of their "
             "gradients. You used `=` instead of `+=` on fan-out, so the last gradient overwrote the first: "
             "write `parent.grad += gradient`.", assigned[label]),
            ("Visit the nodes in reverse topological order (`reversed(order)`): a node may pass its gradient "
             "on only after every node that uses it has added into its .grad. You went forwards.",
             forwards[label]),
        ])
    out, nodes = _demo_graph(9)
    order = graph.topological_order(out)
    call_student(backward_pass, out, order)
    call_student(backward_pass, out, order)
    twice = _grads_after({}, 9, calls=2)
    expect_close(nodes["x"].grad, twice["x"], f"x.grad after calling {what} twice", mistakes=[
        ("Do not reset the gradients inside backward_pass: it must ADD into .grad as it finds it "
         "(resetting is zero_grad's job, called before each backward pass).", want["x"]),
    ])
    passed(what)


# --- the window classifier ------------------------------------------------------------------------------

def _classifier_formulas(X: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray,
                         u: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients window by window, with the formulas of lesson 2 (row layout, W: (K, H))."""
    N = len(X)
    loss, dW, db, du = 0.0, np.zeros_like(W), np.zeros_like(b), np.zeros_like(u)
    for x, label in zip(X, y):
        h = np.tanh(x @ W + b)
        p = sigmoid(h @ u)
        loss -= (label * np.log(p) + (1 - label) * np.log(1 - p)) / N
        delta = u * (1 - h ** 2)          # ∂s/∂z
        dW += (p - label) / N * np.outer(x, delta)   # ∂s/∂W = x δᵀ in the row layout
        db += (p - label) / N * delta
        du += (p - label) / N * h
    return loss, {"W": dW, "b": db, "u": du}


def check_window_classifier_grads(window_classifier_grads: Callable) -> None:
    what = "`window_classifier_grads(X, y, W, b, u)`"
    rng = np.random.default_rng(10)
    N, K, H = 6, 5, 3
    X, W, b, u = rng.normal(size=(N, K)), rng.normal(size=(K, H)), rng.normal(size=H), rng.normal(size=H)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    loss, grads = _pair(call_student(window_classifier_grads, X, y, W, b, u), what, "(loss, grads)")
    want_loss, want = _classifier_formulas(X, y, W, b, u)
    expect_close(_scalar(loss, f"the loss of {what}"), np.array(want_loss), f"the loss of {what}", mistakes=[
        ("The loss is the mean over the N windows, not the sum.", np.array(want_loss * N)),
    ])
    if not isinstance(grads, dict) or set(grads) != {"W", "b", "u"}:
        raise CheckFailed(what, "must return grads as a dict with keys 'W', 'b' and 'u'.",
                          'For example: return loss, {"W": dW, "b": db, "u": du}.')
    h = np.tanh(X @ W + b)
    ds = (sigmoid(h @ u) - y) / N
    hints = {
        "W": {(H, K): "dW must have W's shape (K, H): dW = Xᵀ dZ (the MatMul rule), not its transpose."},
        "b": {(N, H): "b was added to every row: a hidden Repeat (broadcasting), so db is the Sum of dZ over "
                      "the N rows (axis 0)."},
        "u": {(H, 1): "du must have u's shape (H,)."},
    }
    no_tanh = {"W": X.T @ (ds[:, None] * u), "b": (ds[:, None] * u).sum(axis=0), "u": h.T @ ds}
    for name in ["u", "b", "W"]:
        got = grads[name]
        expect_array(got, want[name].shape, f"grads[{name!r}] of {what}", shape_hints=hints[name])
        expect_close(got, want[name], f"grads[{name!r}] of {what}", mistakes=[
            ("The gradients are N times too large: the loss is a mean, so the gradient reaching the score "
             "is (p − y) / N; divide by N.", want[name] * N),
            ("The tanh's local gradient 1 − h² is missing: δ = u ∘ (1 − h²).", no_tanh[name]),
        ])
    passed(what)
